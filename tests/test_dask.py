"""Dask (the ``dask`` extra): on a LocalCluster of process workers, the results
of GridSearchCV, dask-ml's Incremental and ParallelPostFit equal in-process ones."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV

from fastmlp import MLPClassifier

distributed = pytest.importorskip("distributed", reason="the dask extra is not installed: pip install 'fastmlp[dask]'")
dask_ml_wrappers = pytest.importorskip("dask_ml.wrappers", reason="the dask extra is not installed: pip install 'fastmlp[dask]'")
import dask.array as da  # noqa: E402
import joblib  # noqa: E402

X, y = load_digits(return_X_y=True)
X = X / 16
CLASSES = np.unique(y)


@pytest.fixture(scope="module")
def client():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
        with cluster, distributed.Client(cluster) as client:
            yield client


def test_grid_search_on_the_cluster_is_the_in_process_one(client):
    grid = {"alpha": [1e-4, 1e-2], "activation": ["relu", "gelu"]}
    make = lambda: GridSearchCV(MLPClassifier((16,), max_iter=15, random_state=0), grid, cv=2, n_jobs=-1)  # noqa: E731
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with joblib.parallel_backend("dask"):
            on_cluster = make().fit(X, y)
        in_process = make().set_params(n_jobs=1).fit(X, y)
    np.testing.assert_allclose(on_cluster.cv_results_["mean_test_score"], in_process.cv_results_["mean_test_score"])
    assert on_cluster.best_params_ == in_process.best_params_


def test_incremental_over_blocks_is_partial_fit_block_by_block_and_predicts_in_parallel(client):
    X_blocks, y_blocks = da.from_array(X, chunks=(400, X.shape[1])), da.from_array(y, chunks=400)
    incremental = dask_ml_wrappers.Incremental(MLPClassifier((16,), random_state=0, shuffle=False), shuffle_blocks=False)
    incremental.fit(X_blocks, y_blocks, classes=CLASSES)
    reference = MLPClassifier((16,), random_state=0, shuffle=False)
    for start in range(0, len(X), 400):
        reference.partial_fit(X[start : start + 400], y[start : start + 400], classes=CLASSES)
    for got, want in zip(incremental.estimator_.coefs_, reference.coefs_):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    predicted = dask_ml_wrappers.ParallelPostFit(reference).predict_proba(X_blocks).compute()
    np.testing.assert_allclose(predicted, reference.predict_proba(X), rtol=1e-12)


def test_workers_can_precompile(client):
    import fastmlp

    seconds = client.run(fastmlp.precompile, ("float64",), own_options=False)
    assert len(seconds) == 2 and all(set(result) == {"float64"} for result in seconds.values())
