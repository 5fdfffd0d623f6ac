"""Property-based fuzzing against scikit-learn, and fits that diverge.

The fuzz test draws shapes, dtypes, layer sizes (``()`` and deep nets
included), activations, solvers, batch sizes, early stopping, warm starts,
sample weights (some zero), C, Fortran and CSR input and every kind of
target, fits fastmlp and scikit-learn alike and checks: fastmlp raises only where scikit-learn raises (the same type),
its predictions have scikit-learn's shapes and dtypes, are finite for finite
weights, and its probability rows sum to 1. A fixed seed and a small budget
by default; ``FASTMLP_FUZZ_EXAMPLES=500`` for a longer search.
"""

import os
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn.neural_network as sk

import fastmlp

hypothesis = pytest.importorskip("hypothesis", reason="hypothesis is a test extra: pip install -e '.[test]'")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

EXAMPLES = int(os.environ.get("FASTMLP_FUZZ_EXAMPLES", "150"))  # about 5 s here
TARGETS = ["binary", "multiclass", "multilabel", "regression", "multioutput"]


@st.composite
def problems(draw):
    n = draw(st.integers(2, 40))
    n_features = draw(st.integers(1, 6))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    target = draw(st.sampled_from(TARGETS))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.RandomState(seed)
    X = (rng.standard_normal((n, n_features)) * draw(st.sampled_from([1e-3, 1.0, 1e3]))).astype(dtype)
    if target == "binary":
        y = rng.randint(0, 2, n)
    elif target == "multiclass":
        y = rng.choice(["a", "b", "c"], n)
    elif target == "multilabel":
        y = rng.randint(0, 2, (n, 3))
    elif target == "regression":
        y = rng.standard_normal(n)
    else:
        y = rng.standard_normal((n, 2))
    params = dict(
        hidden_layer_sizes=tuple(draw(st.lists(st.integers(1, 8), min_size=0, max_size=4))),
        activation=draw(st.sampled_from(["identity", "logistic", "tanh", "relu"])),
        solver=draw(st.sampled_from(["lbfgs", "sgd", "adam"])),
        batch_size=draw(st.sampled_from(["auto", 1, 3, 16, 100])),
        early_stopping=draw(st.booleans()),
        warm_start=draw(st.booleans()),
        learning_rate_init=draw(st.sampled_from([1e-3, 0.1, 1.0])),
        max_iter=draw(st.integers(1, 5)),
        random_state=seed,
    )
    weights = draw(st.sampled_from(["none", "positive", "some_zero"]))
    sample_weight = None if weights == "none" else rng.uniform(0.1, 2, n)
    if weights == "some_zero":
        sample_weight[rng.rand(n) < 0.5] = 0
        sample_weight[0] = 1  # scikit-learn rejects all-zero weights, as fastmlp does
    layout = draw(st.sampled_from(["C", "F", "csr"]))
    if layout == "F":
        X = np.asfortranarray(X)
    elif layout == "csr":
        X = sp.csr_matrix(np.where(np.abs(X) > np.median(np.abs(X)), X, 0))
    return X, y, target, params, sample_weight


def _run(lib, X, y, target, params, sample_weight):
    cls = lib.MLPRegressor if target in ("regression", "multioutput") else lib.MLPClassifier
    est = cls(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            est.fit(X, y, sample_weight=sample_weight)
            if params["warm_start"]:
                est.fit(X, y, sample_weight=sample_weight)
        except Exception as exc:  # noqa: BLE001 - compared with scikit-learn's
            return est, exc
    return est, None


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])  # fmt: skip
@given(problems())
def test_fuzz_against_sklearn(problem):
    X, y, target, params, sample_weight = problem
    ours, our_error = _run(fastmlp, *problem)
    theirs, their_error = _run(sk, *problem)
    if our_error is not None:
        assert isinstance(our_error, ValueError), our_error
        # scikit-learn raises too: the same type, or ZeroDivisionError where
        # fastmlp names the problem (weights summing to zero, see test_bad_input)
        assert isinstance(their_error, (type(our_error), ZeroDivisionError)), (our_error, their_error)
        return
    assert all(np.isfinite(a).all() for a in ours.coefs_ + ours.intercepts_)
    if their_error is not None:
        # scikit-learn failed where fastmlp did not: only its divergence errors
        assert isinstance(their_error, (ValueError, ZeroDivisionError)), their_error
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours_pred, theirs_pred = ours.predict(X), theirs.predict(X)
    assert ours_pred.shape == theirs_pred.shape
    assert ours_pred.dtype.kind == theirs_pred.dtype.kind
    if ours_pred.dtype.kind == "f":
        assert np.isfinite(ours_pred).all() or not np.isfinite(theirs_pred).all()
    if hasattr(ours, "predict_proba"):
        proba = ours.predict_proba(X)
        assert proba.shape == theirs.predict_proba(X).shape
        assert proba.dtype == X.dtype
        if target != "multilabel":
            np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-4 if X.dtype == np.float32 else 1e-10)


# -- divergence: scikit-learn's error or finite weights, never silent NaN -----------------


def _diverging_problems(dtype=np.float64):
    rng = np.random.RandomState(0)
    X = rng.standard_normal((80, 5))
    y = X @ rng.standard_normal(5)
    huge = np.sqrt(np.finfo(dtype).max) / 10  # its square overflows
    yield "huge_lr", X, y, dict(learning_rate_init=1e8)
    yield "huge_X", X * huge, y, {}
    yield "huge_y", X, y * huge, {}
    yield "extreme_poisson", X * 50, rng.poisson(1e6, 80).astype(float), dict(loss="poisson")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
@pytest.mark.parametrize("name", [p[0] for p in _diverging_problems()])
def test_diverging_fits_raise_or_stay_finite(name, solver, dtype):
    _, X, y, extra = next(p for p in _diverging_problems(dtype) if p[0] == name)
    X = X.astype(dtype)
    params = dict(hidden_layer_sizes=(6,), solver=solver, max_iter=20, random_state=0, **extra)
    est = fastmlp.MLPRegressor(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            est.fit(X, y)
        except ValueError as exc:
            assert "non-finite parameter weights" in str(exc)
            assert "coefs_" not in est.__dict__  # a first fit that failed leaves no model
            return
    assert all(np.isfinite(a).all() for a in est.coefs_ + est.intercepts_)
