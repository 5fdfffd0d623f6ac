"""BLAS threads: one for small GEMMs, and never more than the caller allows."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification
from threadpoolctl import threadpool_info, threadpool_limits

from fastmlp import MLPClassifier, _threads
from fastmlp import _multilayer_perceptron as mlp_module


def _scipy_blas_threads():
    import scipy.linalg.cython_blas  # noqa: F401

    return max(info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas")


@pytest.fixture
def threads_seen_in_epochs(monkeypatch):
    seen = []
    real_epoch = mlp_module.train_epoch_inplace

    def recording_epoch(*args):
        seen.append(_scipy_blas_threads())
        return real_epoch(*args)

    monkeypatch.setattr(mlp_module, "train_epoch_inplace", recording_epoch)
    return seen


def test_choice_depends_on_the_gemm_size():
    assert _threads.choose_blas_threads([64, 32, 10], 16) == 1
    assert _threads.choose_blas_threads([784, 512, 512, 10], 128) is None


def test_small_fit_uses_one_thread_and_restores_the_setting(threads_seen_in_epochs):
    before = _scipy_blas_threads()
    X, y = make_classification(n_samples=100, n_features=8, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        MLPClassifier(hidden_layer_sizes=(8,), max_iter=3).fit(X, y)
    assert threads_seen_in_epochs == [1, 1, 1]
    assert _scipy_blas_threads() == before


def test_caller_limit_is_respected_for_large_gemms(threads_seen_in_epochs):
    X, y = make_classification(n_samples=256, n_features=400, random_state=0)
    params = dict(hidden_layer_sizes=(300, 300), batch_size=256, max_iter=1)
    with threadpool_limits(limits=1, user_api="blas"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        MLPClassifier(**params).fit(X, y)
    assert threads_seen_in_epochs == [1]
    threads_seen_in_epochs.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        MLPClassifier(**params).fit(X.astype(np.float32), y)
    assert threads_seen_in_epochs == [_scipy_blas_threads()]
