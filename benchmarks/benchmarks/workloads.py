"""The workloads of the speed comparison (issue: "Speed you can see").

Every workload runs all its epochs: ``tol=0`` and a large ``n_iter_no_change``.
Data is made once per process and cached.
"""

import functools

import numpy as np
from sklearn.datasets import load_digits, make_classification, make_regression
from sklearn.preprocessing import StandardScaler

ALL_EPOCHS = dict(tol=0.0, n_iter_no_change=10**9, random_state=0)


@functools.lru_cache(maxsize=None)
def dataset(name, dtype="float64"):
    """(X, y) for a dataset name, X in the given dtype (C-contiguous)."""
    if name == "digits":
        X, y = load_digits(return_X_y=True)
        X = StandardScaler().fit_transform(X)
    elif name == "classification_50k":
        X, y = make_classification(
            n_samples=50000, n_features=100, n_informative=50, n_classes=10, random_state=0
        )
    elif name == "classification_20k_784":
        X, y = make_classification(
            n_samples=20000, n_features=784, n_informative=100, n_classes=10, random_state=0
        )
    elif name == "regression_100k":
        X, y = make_regression(n_samples=100000, n_features=50, noise=1.0, random_state=0)
        y = (y - y.mean()) / y.std()
    else:
        raise KeyError(name)
    return np.ascontiguousarray(X, dtype=dtype), y


# name -> (estimator, dataset, dtype, parameters)
WORKLOADS = {
    "W1": ("MLPClassifier", "digits", "float64",
           dict(hidden_layer_sizes=(100,), activation="relu", solver="adam", batch_size=200, max_iter=100)),
    "W2": ("MLPClassifier", "classification_50k", "float64",
           dict(hidden_layer_sizes=(256, 128), activation="relu", solver="adam", batch_size=256, max_iter=5)),
    "W3": ("MLPClassifier", "classification_20k_784", "float64",
           dict(hidden_layer_sizes=(512, 512), activation="relu", solver="sgd", momentum=0.9,
                nesterovs_momentum=True, batch_size=128, max_iter=3)),
    "W3f32": ("MLPClassifier", "classification_20k_784", "float32",
              dict(hidden_layer_sizes=(512, 512), activation="relu", solver="sgd", momentum=0.9,
                   nesterovs_momentum=True, batch_size=128, max_iter=3)),
    "W4": ("MLPRegressor", "regression_100k", "float64",
           dict(hidden_layer_sizes=(64, 64), activation="relu", solver="adam", batch_size=200, max_iter=5)),
    "W5": ("MLPClassifier", "digits", "float64",
           dict(hidden_layer_sizes=(50,), activation="logistic", solver="lbfgs", max_iter=200)),
    "W6": ("MLPClassifier", "digits", "float64",
           dict(hidden_layer_sizes=(32,), activation="relu", solver="adam", batch_size=16, max_iter=20)),
}  # fmt: skip


def make_estimator(library, workload):
    """An unfitted estimator of ``library`` (a module with MLPClassifier/MLPRegressor)."""
    name, _, _, params = WORKLOADS[workload]
    return getattr(library, name)(**params, **ALL_EPOCHS)


def workload_data(workload):
    _, data, dtype, _ = WORKLOADS[workload]
    return dataset(data, dtype)


def layer_units(workload):
    X, y = workload_data(workload)
    name, _, _, params = WORKLOADS[workload]
    n_outputs = 1 if name == "MLPRegressor" else (len(np.unique(y)) if len(np.unique(y)) > 2 else 1)
    return [X.shape[1], *params["hidden_layer_sizes"], n_outputs]
