"""How fits use the cores: one BLAS thread and a team of threads splitting
each batch for small GEMMs, BLAS threads for large ones, and never more
threads than the caller allows."""

import threading
import warnings

import numpy as np
import pytest
import sklearn.neural_network as sk
from sklearn.datasets import make_classification
from threadpoolctl import threadpool_info, threadpool_limits

from fastmlp import MLPClassifier, _prediction, _threads
from fastmlp import _solvers as solvers_module
from fastmlp._team import STOP, Team, barrier

pytestmark = pytest.mark.kernels  # the kernels' own machinery, whatever FASTMLP_FIRST_TIER says


def _scipy_blas_threads():
    import scipy.linalg.cython_blas  # noqa: F401

    return max(info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas")


@pytest.fixture
def seen_in_epochs(monkeypatch):
    """(BLAS threads, team size) observed at every epoch call of the fit's own thread."""
    seen = []
    real_epoch = solvers_module.train_epoch_inplace

    def recording_epoch(*args):
        seen.append((_scipy_blas_threads(), args[-2]))
        return real_epoch(*args)

    monkeypatch.setattr(solvers_module, "train_epoch_inplace", recording_epoch)
    return seen


def _fit(X, y, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return MLPClassifier(max_iter=2, random_state=0, **params).fit(X, y)


def test_plan_depends_on_the_gemm_size():
    cores = _threads.allowed_threads()
    assert _threads.plan([64, 32, 10], 16) == (1, 1)  # tiny batch: run whole, one BLAS thread
    assert _threads.plan([64, 32, 10], 128) == (1, 1)  # rows enough, but too little work to split
    assert _threads.plan([64, 100, 10], 200) == (1, min(cores, 200 // _threads.MIN_ROWS_PER_PART))
    assert _threads.plan([784, 512, 512, 10], 128) == (None, 1)  # large GEMMs: BLAS threads


def test_sparse_first_layer_is_not_counted_as_blas_work():
    """A wide CSR first layer runs in fastmlp's own loops: split the batch."""
    assert _threads.plan([100000, 16, 3], 200)[0] is None
    assert _threads.plan([100000, 16, 3], 200, is_sparse=True) == (1, min(_threads.allowed_threads(), 6))


def test_fits_from_other_threads_do_not_split_batches(seen_in_epochs):
    X, y = make_classification(n_samples=300, n_features=20, random_state=0)
    worker = threading.Thread(target=_fit, args=(X, y), kwargs=dict(hidden_layer_sizes=(256,), batch_size=128))
    worker.start()
    worker.join()
    assert [n_threads for _, n_threads in seen_in_epochs] == [1, 1]


def test_small_batches_split_across_threads_and_settings_are_restored(seen_in_epochs):
    before = _scipy_blas_threads()
    X, y = make_classification(n_samples=300, n_features=20, random_state=0)
    _fit(X, y, hidden_layer_sizes=(256,), batch_size=128)
    assert seen_in_epochs == [(1, min(_threads.allowed_threads(), 4))] * 2
    assert _scipy_blas_threads() == before
    assert not [t for t in threading.enumerate() if t.name.startswith("fastmlp-team")]


def test_caller_limit_is_respected(seen_in_epochs):
    X, y = make_classification(n_samples=256, n_features=400, random_state=0)
    with threadpool_limits(limits=1, user_api="blas"):
        _fit(X, y, hidden_layer_sizes=(300, 300), batch_size=256)  # large GEMMs
        _fit(X, y, hidden_layer_sizes=(8,), batch_size=256)  # small GEMMs
    assert seen_in_epochs == [(1, 1)] * 4
    seen_in_epochs.clear()
    _fit(X.astype(np.float32), y, hidden_layer_sizes=(300, 300), batch_size=256)
    assert seen_in_epochs[0][:2] == (_scipy_blas_threads(), 1)


@pytest.mark.parametrize("sparse", [False, True])
def test_split_batches_give_sklearns_model(monkeypatch, sparse):
    """The team's row blocks add their gradients: the model is scikit-learn's,
    with sample weights, two hidden layers and a last batch of one row (empty
    blocks). A team of four is forced, more threads than this machine's cores,
    so that the barriers' yielding is exercised too."""
    monkeypatch.setattr(_threads, "plan", lambda *args: (1, 4))
    X, y = make_classification(n_samples=401, n_features=12, n_informative=6, n_classes=3, random_state=0)
    sample_weight = np.random.RandomState(0).uniform(0.5, 2.0, 401)
    if sparse:
        import scipy.sparse as sp

        X[np.abs(X) < 1] = 0
        X = sp.csr_matrix(X)
    params = dict(hidden_layer_sizes=(16, 7), batch_size=200, max_iter=10, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = MLPClassifier(**params).fit(X, y, sample_weight=sample_weight)
        theirs = sk.MLPClassifier(**params).fit(X, y, sample_weight=sample_weight)
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-12)


def test_a_failing_worker_stops_the_team_and_is_reported():
    """The caller is not left waiting at a barrier for a worker that died."""

    def kernel(tid, n_threads, sync):
        if tid == 1:
            raise ValueError("worker failed on purpose")
        return barrier(sync, n_threads)

    with pytest.raises(RuntimeError, match="worker thread failed") as info:
        with Team(2) as team:
            team.start(kernel, ())
            assert not barrier(team.sync, 2)
            team.check()
    assert isinstance(info.value.__cause__, ValueError)


def test_a_long_wait_at_the_barrier_sleeps_and_still_meets():
    """A partner 100 ms late: the waiting thread passes from spinning to
    yielding to sleeping (after 10-20 ms), and both leave the barrier."""
    import time

    met = []

    def late_kernel(tid, n_threads, sync):
        time.sleep(0.1)
        met.append(barrier(sync, n_threads))
        while not sync[STOP]:  # wait for the team to stop
            time.sleep(0.001)

    with Team(2) as team:
        team.start(late_kernel, ())
        assert barrier(team.sync, 2)
    assert met == [True]


def test_predictions_too_small_for_blas_threads_run_on_one():
    """OpenBLAS would wake its threads for these GEMMs but gain nothing; its
    idle threads would then spin and slow the next fit's team."""
    units = [64, 100, 10]
    assert _threads.prediction_blas_threads(units, 1) is None  # OpenBLAS uses one thread anyway
    assert _threads.prediction_blas_threads(units, 1797) == 1  # digits scored after a fit
    assert _threads.prediction_blas_threads([784, 512, 512, 10], 4096) is None  # large: BLAS threads


def test_scoring_leaves_the_blas_limit_as_it_was(monkeypatch):
    X, y = make_classification(n_samples=2000, n_features=64, random_state=0)
    model = _fit(X, y, hidden_layer_sizes=(100,))
    before = _scipy_blas_threads()
    seen = []
    real_predict = _prediction.predict_inplace

    def recording_predict(*args):
        seen.append(_scipy_blas_threads())
        return real_predict(*args)

    monkeypatch.setattr(_prediction, "predict_inplace", recording_predict)
    model.score(X, y)
    assert seen == [1]
    assert _scipy_blas_threads() == before


def test_cpu_quota_caps_the_team(monkeypatch):
    """A container allowed one CPU's worth of time gets no team, whatever it sees."""
    monkeypatch.setattr(_threads, "_usable_cpus", lambda: 1)
    assert _threads.plan([64, 100, 10], 200) == (1, 1)
