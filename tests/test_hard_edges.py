"""Hard edges: nothing lost, nothing copied, clear errors.

One test (or a few) per defect of the "Hard edges" issue, each reproducing
what failed before the fix: a zero-weight batch, overflowing Adam moments,
copies of Fortran-ordered, pandas and int32-indexed input, read-only models,
fractional layer sizes and Ctrl-C inside an epoch.
"""

import signal
import warnings

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
import sklearn.neural_network as sk
from sklearn.datasets import make_classification

from fastmlp import MLPClassifier, MLPRegressor, _safeguards
from fastmlp import _solvers as solvers_module


def _quiet(fit):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit()


def _state(est):
    """Copies of everything training updates: weights and optimizer state."""
    arrays = [a.copy() for a in est.coefs_ + est.intercepts_]
    optimizer = est.__dict__.get("_optimizer")
    if optimizer is not None:
        arrays += [optimizer.m.copy(), optimizer.v.copy(), optimizer.hyper.copy()]
    return arrays


def _assert_same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


# -- 1. a mini-batch whose sample weights are all zero ------------------------------------


def _zero_weight_problem():
    rng = np.random.RandomState(0)
    X = rng.randn(400, 6)
    y = X[:, 0] > 0
    sw = (rng.rand(400) < 0.1).astype(float)
    sw[0] = 1
    return X, y, sw


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_partial_fit_with_zero_weight_batches_keeps_a_finite_model(solver):
    X, y, sw = _zero_weight_problem()
    est = _quiet(lambda: MLPClassifier(hidden_layer_sizes=(8,), batch_size=8, max_iter=20, solver=solver,
                                       random_state=0).fit(X, y))  # fmt: skip
    est.partial_fit(X, y, sample_weight=sw)
    assert all(np.isfinite(a).all() for a in est.coefs_ + est.intercepts_)
    assert np.isfinite(est.loss_)
    # scikit-learn raises ZeroDivisionError on the same call
    theirs = _quiet(lambda: sk.MLPClassifier(hidden_layer_sizes=(8,), batch_size=8, max_iter=20, solver=solver,
                                             random_state=0).fit(X, y))  # fmt: skip
    with pytest.raises(ZeroDivisionError):
        theirs.partial_fit(X, y, sample_weight=sw)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_a_zero_weight_batch_takes_no_step(solver):
    """Skipping a batch whose weights sum to zero trains the model that the
    same batches without it train, in scikit-learn too (same steps, same t)."""
    rng = np.random.RandomState(1)
    X, y = rng.randn(64, 5), rng.randn(64)
    sw = rng.uniform(0.5, 2.0, 64)
    sw[16:24] = 0  # the third batch of 8 (shuffle=False)
    keep = np.r_[0:16, 24:64]
    params = dict(hidden_layer_sizes=(7,), batch_size=8, solver=solver, shuffle=False, random_state=0,
                  max_iter=3, tol=0, n_iter_no_change=100)  # fmt: skip
    skipped = _quiet(lambda: MLPRegressor(**params).fit(X, y, sample_weight=sw))
    without = _quiet(lambda: MLPRegressor(**params).fit(X[keep], y[keep], sample_weight=sw[keep]))
    theirs = _quiet(lambda: sk.MLPRegressor(**params).fit(X[keep], y[keep], sample_weight=sw[keep]))
    for a, b, c in zip(skipped.coefs_ + skipped.intercepts_, without.coefs_ + without.intercepts_,
                       theirs.coefs_ + theirs.intercepts_):  # fmt: skip
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(a, c, rtol=1e-9, atol=1e-12)
    if solver == "adam":
        assert skipped._optimizer.t == without._optimizer.t == 3 * 7


def test_a_team_skipping_whole_kernel_calls_trains_the_one_thread_model(monkeypatch):
    """Zero-weight rows spanning whole kernel calls (one batch per call): the
    team's threads must agree on every call's rows (they once raced there)."""
    from fastmlp import _threads

    rng = np.random.RandomState(0)
    X, y = rng.randn(300, 8), rng.randn(300)
    sw = rng.uniform(0.5, 2, 300)
    sw[60:200] = 0
    params = dict(hidden_layer_sizes=(40,), batch_size=20, shuffle=False, max_iter=4, random_state=0,
                  tol=0, n_iter_no_change=100)  # fmt: skip
    monkeypatch.setattr(_safeguards, "INTERRUPT_CHECK_FLOPS", 1.0)
    fits = {}
    for n_threads in (1, 2, 2, 2):
        monkeypatch.setattr(_threads, "plan", lambda *args, n=n_threads: (1, n))
        est = _quiet(lambda: MLPRegressor(**params).fit(X, y, sample_weight=sw))
        fits.setdefault(n_threads, []).append(_state(est))
    for state in fits[2][1:]:
        _assert_same(fits[2][0], state)  # deterministic
    for a, b in zip(fits[2][0], fits[1][0]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("warm_start", [True, False])
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_a_diverging_fit_raises_and_keeps_the_model(solver, warm_start):
    rng = np.random.RandomState(0)
    X, y = rng.randn(100, 4), rng.randn(100)
    params = dict(hidden_layer_sizes=(5,), solver=solver, max_iter=5, random_state=0)
    est = _quiet(lambda: MLPRegressor(**params).fit(X, y))
    before = _state(est)
    curve = list(getattr(est, "loss_curve_", []))
    est.set_params(warm_start=warm_start, learning_rate_init=1e6, max_iter=50)
    with pytest.raises(ValueError, match="Solver produced non-finite parameter weights"):
        _quiet(lambda: est.fit(X * 1e200, y * 1e200))
    _assert_same(before, _state(est))
    assert list(getattr(est, "loss_curve_", [])) == curve
    assert np.isfinite(est.predict(X)).all()


@pytest.mark.kernels  # counts kernel calls
def test_a_diverging_fit_stops_at_the_first_non_finite_epoch(monkeypatch):
    rng = np.random.RandomState(0)
    X, y = rng.randn(100, 4) * 1e10, rng.randn(100) * 1e10
    calls = []
    real_epoch = solvers_module.train_epoch_inplace

    def counting_epoch(*args):
        calls.append(1)
        return real_epoch(*args)

    monkeypatch.setattr(solvers_module, "train_epoch_inplace", counting_epoch)
    est = MLPRegressor(solver="sgd", learning_rate_init=1.0, max_iter=200, random_state=0)
    with pytest.raises(ValueError, match="Solver produced non-finite parameter weights"):
        _quiet(lambda: est.fit(X, y))
    assert 1 <= len(calls) < 20  # not 200 epochs of NaN
    assert "coefs_" not in est.__dict__


# -- 2. Adam's moments overflow ----------------------------------------------------------


def test_adam_survives_overflowing_float32_gradients_as_sklearn_does():
    rng = np.random.RandomState(0)
    X = (rng.randn(300, 8) * 1e20).astype(np.float32)
    y = rng.randn(300)
    for cls in (MLPRegressor, sk.MLPRegressor):
        est = _quiet(lambda: cls(random_state=0, max_iter=5).fit(X, y))
        assert all(np.isfinite(a).all() for a in est.coefs_ + est.intercepts_)


def test_adam_survives_an_overflowing_poisson_output():
    rng = np.random.RandomState(0)
    X = rng.randn(218, 29) * 30
    y = rng.poisson(2, 218).astype(float)
    params = dict(loss="poisson", hidden_layer_sizes=(61,), activation="identity", learning_rate_init=0.1,
                  max_iter=1, shuffle=False, random_state=0)  # fmt: skip
    ours = _quiet(lambda: MLPRegressor(**params).fit(X, y))
    theirs = _quiet(lambda: sk.MLPRegressor(**params).fit(X, y))
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        assert np.isfinite(a).all()
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adam_step_keeps_ieee_infinities(dtype):
    """An overflowing square gives a zero step, not NaN; in float32 an
    overflowing gradient gives a bounded step."""
    from fastmlp._optimizers import AdamState, optimizer_step_inplace, record_steps

    big = np.finfo(dtype).max / 4
    params = np.ones(6, dtype=dtype)
    grads = np.array([big, -big, np.inf, -np.inf, 1.0, np.nan], dtype=dtype)
    state = AdamState(6, dtype, 1e-3, 0.9, 0.999, 1e-8)
    for t in (1, 2):
        optimizer_step_inplace(params, grads, state.m, state.v, state.hyper, 6, 0.0, 0, 6, t)
        record_steps(state.hyper, np.int64(1))
    finite = [0, 1, 4] if dtype == np.float64 else [0, 1, 2, 3, 4]
    assert np.isfinite(params[finite]).all()
    assert (np.abs(params[finite] - 1) < 0.01).all()
    # float64 infinities give NaN (and scikit-learn's error), as in scikit-learn
    assert np.isnan(params[5]) and (dtype == np.float32 or np.isnan(params[2:4]).all())


# -- 3. no copy of Fortran-ordered, pandas or int32-indexed input -------------------------


def _recording_epochs(monkeypatch):
    seen = []
    real_epoch = solvers_module.train_epoch_inplace

    def recording_epoch(*args):
        seen.append(args)
        return real_epoch(*args)

    monkeypatch.setattr(solvers_module, "train_epoch_inplace", recording_epoch)
    return seen


X_F, Y_F = make_classification(n_samples=120, n_features=6, random_state=0)


@pytest.mark.parametrize("kind", ["fortran", "pandas", "csr_int32", "csr_int64"])
def test_input_is_used_in_place_and_trains_the_same_model(kind, monkeypatch):
    if kind == "fortran":
        X = np.asfortranarray(X_F)
    elif kind == "pandas":
        pd = pytest.importorskip("pandas")
        X = pd.DataFrame(X_F, columns=[f"f{i}" for i in range(6)])
    else:
        X = sp.csr_matrix(np.where(np.abs(X_F) > 0.5, X_F, 0))
        index_dtype = np.int32 if kind == "csr_int32" else np.int64
        X.indices, X.indptr = X.indices.astype(index_dtype), X.indptr.astype(index_dtype)
    seen = _recording_epochs(monkeypatch)
    params = dict(hidden_layer_sizes=(5,), max_iter=3, random_state=0, batch_size=32)
    est = _quiet(lambda: MLPClassifier(**params).fit(X, Y_F))
    if kind in ("fortran", "pandas"):
        memory = np.asarray(X)
        assert all(np.shares_memory(args[0], memory) for args in seen)
        reference = np.ascontiguousarray(memory)
    else:
        assert all(np.shares_memory(args[1][1], X.indices) for args in seen)
        reference = X.toarray() if kind == "csr_int32" else sp.csr_matrix(X.toarray())
    monkeypatch.undo()
    same = _quiet(lambda: MLPClassifier(**params).fit(reference, Y_F))
    for a, b in zip(est.coefs_ + est.intercepts_, same.coefs_ + same.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(est.predict_proba(X), same.predict_proba(reference), rtol=1e-12)


@pytest.mark.parametrize("solver", ["lbfgs", "adam"])
def test_fortran_input_with_lbfgs_and_early_stopping(solver):
    X = np.asfortranarray(X_F)
    extra = {"early_stopping": True} if solver == "adam" else {}
    params = dict(hidden_layer_sizes=(5,), max_iter=20, random_state=0, solver=solver, **extra)
    ours = _quiet(lambda: MLPClassifier(**params).fit(X, Y_F))
    theirs = _quiet(lambda: sk.MLPClassifier(**params).fit(X, Y_F))
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-6, atol=1e-9)


# -- 4. read-only models continue training ------------------------------------------------


@pytest.mark.parametrize("params", [dict(solver="sgd"), dict(solver="adam"),
                                    dict(solver="adam", early_stopping=True, warm_start=True)])  # fmt: skip
def test_memory_mapped_model_continues_training(params, tmp_path):
    X, y = X_F, Y_F
    est = _quiet(lambda: MLPClassifier(hidden_layer_sizes=(300,), max_iter=3, random_state=0, **params).fit(X, y))
    path = tmp_path / "model.joblib"
    joblib.dump(est, path)
    loaded = joblib.load(path, mmap_mode="r")
    assert not loaded._optimizer.m.flags.writeable  # large enough to be memory-mapped
    in_memory = joblib.load(path)
    if params.get("warm_start"):
        _quiet(lambda: loaded.fit(X, y))
        _quiet(lambda: in_memory.fit(X, y))
    else:
        loaded.partial_fit(X, y)
        in_memory.partial_fit(X, y)
    _assert_same(_state(loaded), _state(in_memory))
    reloaded = joblib.load(path, mmap_mode="r")  # the file itself was not written
    _assert_same(_state(reloaded), _state(joblib.load(path)))


def test_a_failed_call_on_a_memory_mapped_model_keeps_its_state(tmp_path):
    rng = np.random.RandomState(0)
    X, y = rng.randn(100, 4), rng.randn(100)
    est = _quiet(lambda: MLPRegressor(hidden_layer_sizes=(300,), max_iter=3, random_state=0).fit(X, y))
    joblib.dump(est, tmp_path / "model.joblib")
    loaded = joblib.load(tmp_path / "model.joblib", mmap_mode="r")
    assert not loaded._optimizer.m.flags.writeable
    before = _state(loaded)
    loaded.set_params(learning_rate_init=1e6)
    with pytest.raises(ValueError, match="non-finite parameter weights"):
        _quiet(lambda: loaded.partial_fit(X * 1e200, y * 1e200))
    _assert_same(before, _state(loaded))
    loaded.set_params(learning_rate_init=1e-3)
    loaded.partial_fit(X, y)  # and it trains on
    in_memory = joblib.load(tmp_path / "model.joblib").partial_fit(X, y)
    _assert_same(_state(loaded), _state(in_memory))


def test_a_failed_first_partial_fit_leaves_no_classes():
    est = MLPClassifier()
    with pytest.raises(ValueError):
        est.partial_fit(np.full((4, 2), np.nan), [0, 1, 0, 1], classes=[0, 1])
    assert not hasattr(est, "classes_") and not hasattr(est, "_label_binarizer")
    est.partial_fit(X_F, Y_F, classes=[0, 1, 2])  # other classes: no leftover from the failed call
    assert list(est.classes_) == [0, 1, 2]


# -- 5. fractional layer sizes ------------------------------------------------------------


@pytest.mark.parametrize("sizes", [(3.5,), (4, 2.0), 3.5, ("a",)])
def test_non_integer_layer_sizes_raise_type_error_as_sklearn(sizes):
    for cls in (MLPClassifier, sk.MLPClassifier):
        with pytest.raises(TypeError):
            cls(hidden_layer_sizes=sizes, max_iter=2).fit(X_F, Y_F)
    # (a bare float is caught by the parameter constraints, as in scikit-learn)
    with pytest.raises(TypeError, match="must contain only integers|must be an array-like or an int"):
        MLPClassifier(hidden_layer_sizes=sizes).fit(X_F, Y_F)


@pytest.mark.parametrize("sizes", [(0,), (-1.5,), (3, -2)])
def test_non_positive_layer_sizes_raise_sklearns_value_error(sizes):
    for cls in (MLPClassifier, sk.MLPClassifier):
        with pytest.raises(ValueError, match="hidden_layer_sizes must be > 0"):
            cls(hidden_layer_sizes=sizes).fit(X_F, Y_F)


def test_numpy_integer_layer_sizes_are_accepted():
    est = _quiet(lambda: MLPClassifier(hidden_layer_sizes=np.array([4, 3]), max_iter=2).fit(X_F, Y_F))
    assert [c.shape[1] for c in est.coefs_] == [4, 3, 1]


# -- 6. Ctrl-C inside an epoch -------------------------------------------------------------


@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.kernels
def test_ctrl_c_inside_an_epoch_keeps_weights_and_step_count_consistent(solver, monkeypatch):
    """A real SIGINT delivered between two kernel calls of one epoch: the fit
    stops there, with the weights of the batches taken and Adam's step count
    equal to their number (the same model as a partial_fit on those rows)."""
    rng = np.random.RandomState(0)
    X, y = rng.randn(400, 5), rng.randn(400)
    params = dict(hidden_layer_sizes=(6,), batch_size=10, solver=solver, shuffle=False, random_state=0)
    monkeypatch.setattr(_safeguards, "INTERRUPT_CHECK_FLOPS", 1.0)  # a kernel call per batch
    real_epoch = solvers_module.train_epoch_inplace
    calls = []

    def signalled_on_third_call(*args):
        calls.append(1)
        loss = real_epoch(*args)
        if len(calls) == 3:
            signal.raise_signal(signal.SIGINT)
        return loss

    monkeypatch.setattr(solvers_module, "train_epoch_inplace", signalled_on_third_call)
    with pytest.warns(UserWarning, match="Training interrupted by user"):
        est = MLPRegressor(max_iter=5, **params).fit(X, y)
    monkeypatch.undo()
    assert len(calls) == 3 and est.n_iter_ == 0 and est.loss_curve_ == []
    replay = MLPRegressor(**params).partial_fit(X[:30], y[:30])  # the same three batches
    _assert_same(_state(est), _state(replay))
    if solver == "adam":
        assert est._optimizer.t == replay._optimizer.t == 3


def test_epochs_are_split_into_kernel_calls_by_work():
    assert _safeguards.rows_between_interrupt_checks([64, 100, 10], 200) == 200 * 22
    assert _safeguards.rows_between_interrupt_checks([784, 512, 512, 10], 128) == 128
