"""Estimator benchmarks, fastmlp next to scikit-learn (the in-suite baseline).

Every compiled function is warmed in ``setup`` (a short fit and a predict on
the same dtype), so no timed body compiles; compilation has its own suite.
"""

import numpy as np

from .common import LIBRARIES, classification_data, quiet

FIT_PARAMS = dict(hidden_layer_sizes=(100,), max_iter=10, tol=0.0, n_iter_no_change=10**9, random_state=0)


class EstimatorFit:
    """fit, its peak memory and the training score it reaches."""

    param_names = ["library", "solver", "dtype", "size"]
    params = (["fastmlp", "sklearn"], ["adam", "sgd", "lbfgs"], ["float64", "float32"], ["small", "medium"])
    timeout = 300

    def setup(self, library, solver, dtype, size):
        self.X, self.y = classification_data(size, dtype)
        self.estimator_class = LIBRARIES[library].MLPClassifier
        self.fit_params = dict(FIT_PARAMS, solver=solver)
        warm = quiet(self.estimator_class(**dict(self.fit_params, max_iter=2)).fit, self.X[:300], self.y[:300])
        warm.predict_proba(self.X[:10])

    def time_fit(self, library, solver, dtype, size):
        quiet(self.estimator_class(**self.fit_params).fit, self.X, self.y)

    def peakmem_fit(self, library, solver, dtype, size):
        quiet(self.estimator_class(**self.fit_params).fit, self.X, self.y)

    def track_train_score(self, library, solver, dtype, size):
        model = quiet(self.estimator_class(**self.fit_params).fit, self.X, self.y)
        return model.score(self.X, self.y)

    track_train_score.unit = "accuracy"


class EstimatorPredict:
    """predict_proba latency for one row, and throughput for every row."""

    param_names = ["library", "dtype", "rows"]
    params = (["fastmlp", "sklearn"], ["float64", "float32"], ["one", "all"])

    def setup(self, library, dtype, rows):
        X, y = classification_data("medium", dtype)
        params = dict(FIT_PARAMS, hidden_layer_sizes=(256, 128), max_iter=1)
        self.model = quiet(LIBRARIES[library].MLPClassifier(**params).fit, X[:2000], y[:2000])
        self.X = np.ascontiguousarray(X[:1]) if rows == "one" else X
        self.model.predict_proba(self.X)

    def time_predict_proba(self, library, dtype, rows):
        self.model.predict_proba(self.X)


def _as_layout(X, layout):
    if layout == "fortran":
        return np.asfortranarray(X)
    if layout == "pandas":
        import pandas as pd

        return pd.DataFrame(np.asfortranarray(X))
    if layout == "csr_int32":
        import scipy.sparse as sp

        return sp.csr_matrix(np.where(np.abs(X) > 1.0, X, 0))  # SciPy's own int32 indices
    return X


class InputLayouts:
    """fit on the same data in four layouts: time and peak memory (a copy of the
    input shows in both), next to scikit-learn."""

    param_names = ["library", "layout"]
    params = (["fastmlp", "sklearn"], ["C", "fortran", "pandas", "csr_int32"])
    timeout = 300

    def setup(self, library, layout):
        X, self.y = classification_data("medium", "float32")
        self.X = _as_layout(X, layout)
        self.estimator_class = LIBRARIES[library].MLPClassifier
        self.fit_params = dict(FIT_PARAMS, max_iter=2)
        quiet(self.estimator_class(**dict(self.fit_params, max_iter=1)).fit, self.X[:300], self.y[:300])

    def time_fit(self, library, layout):
        quiet(self.estimator_class(**self.fit_params).fit, self.X, self.y)

    def peakmem_fit(self, library, layout):
        quiet(self.estimator_class(**self.fit_params).fit, self.X, self.y)
