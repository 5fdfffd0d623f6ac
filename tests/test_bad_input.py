"""Bad input, every method: scikit-learn's error (type and message) or a clearer one,
and a fitted model whose weights are bit-for-bit those it had before the failed call.

Each case runs on a fitted fastmlp model and a fitted scikit-learn model side
by side. Where scikit-learn accepts the input, fastmlp must too; where it
raises, fastmlp raises the same type with the same first line, unless the case
is listed in ``CLEARER`` (fastmlp's behaviour is documented there).
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn.neural_network as sk
from sklearn.datasets import make_classification, make_regression

import fastmlp

X, Y = make_classification(n_samples=120, n_features=6, n_informative=4, n_classes=3, random_state=0)
X_REG, Y_REG = make_regression(n_samples=120, n_features=6, random_state=0)
PARAMS = dict(hidden_layer_sizes=(5,), max_iter=3, random_state=0, batch_size=10)

# case -> what fastmlp does instead of scikit-learn's error: None (accepts the
# input) or the error it raises, with a message of its own
CLEARER = {
    # a shuffled batch whose weights are all zero takes no step (scikit-learn:
    # ZeroDivisionError), see test_hard_edges
    "zero_weight_batch": None,
    # L-BFGS divides by the weights' sum (scikit-learn: ZeroDivisionError)
    "lbfgs_weights_sum_to_zero": (ValueError, "The sample weights sum to zero"),
}


def _with(X_new=None, y_new=None):
    return (X if X_new is None else X_new), (Y if y_new is None else y_new)


def _nan(a):
    a = a.astype(float).copy()
    a[3, 2] = np.nan
    return a


def _inf(a):
    a = a.astype(float).copy()
    a[0, 0] = np.inf
    return a


def _zero_batch_weights():
    sw = np.ones(len(X))
    sw[:10] = 0
    return sw


def _x_variants():
    """name -> X of the right length that is bad (or merely unusual)."""
    pd = pytest.importorskip("pandas")
    nullable = pd.DataFrame({f"c{i}": pd.array(np.round(X[:, i] * 10).astype(int), dtype="Int64") for i in range(6)})
    nullable_na = nullable.copy()
    nullable_na.iloc[2, 1] = pd.NA
    variants = {
        "nan": _nan(X),
        "inf": _inf(X),
        "zero_features": X[:, :0],
        "one_d": X[:, 0],
        "three_d": X[:, :, None],
        "object": X.astype(object),
        "object_strings": np.full(X.shape, "a", dtype=object),
        "complex": X + 1j,
        "strings": X.astype(str),
        "int8": (X * 10).astype(np.int8),
        "float16": X.astype(np.float16),
        "bool": X > 0,
        "pandas_nullable": nullable,
        "pandas_nullable_na": nullable_na,
    }
    for fmt in ("csr", "csc", "coo", "bsr", "lil", "dok", "dia"):
        variants[f"sparse_{fmt}_matrix"] = sp.csr_matrix(X).asformat(fmt)
        variants[f"sparse_{fmt}_array"] = sp.csr_array(X).asformat(fmt)
    return variants


def _cases():
    cases = {}
    for name, X_bad in _x_variants().items():
        cases[f"fit-{name}"] = lambda est, X_bad=X_bad: est.fit(X_bad, Y)
        cases[f"partial_fit-{name}"] = lambda est, X_bad=X_bad: est.partial_fit(X_bad, Y)
        cases[f"predict-{name}"] = lambda est, X_bad=X_bad: est.predict(X_bad)
        cases[f"predict_proba-{name}"] = lambda est, X_bad=X_bad: est.predict_proba(X_bad)
        cases[f"score-{name}"] = lambda est, X_bad=X_bad: est.score(X_bad, Y)
    y_nan = Y.astype(float)
    y_nan[4] = np.nan
    cases.update({
        "empty": lambda est: est.fit(X[:0], Y[:0]),
        "predict_empty": lambda est: est.predict(X[:0]),
        "lengths": lambda est: est.fit(X, Y[:-1]),
        "partial_fit_lengths": lambda est: est.partial_fit(X, Y[:-1]),
        "y_nan": lambda est: est.fit(X, y_nan),
        "single_class": lambda est: est.fit(X, np.zeros(len(X), dtype=int)),
        "partial_fit_unseen_class": lambda est: est.partial_fit(X, Y + 5),
        "partial_fit_missing_classes": lambda est: est.partial_fit(X[Y == 0], Y[Y == 0]),
        "negative_weights": lambda est: est.fit(X, Y, sample_weight=np.where(np.arange(len(X)) % 7, 1.0, -0.5)),
        "weights_length": lambda est: est.fit(X, Y, sample_weight=np.ones(3)),
        "weights_all_zero": lambda est: est.fit(X, Y, sample_weight=np.zeros(len(X))),
        "weights_nan": lambda est: est.fit(X, Y, sample_weight=_nan(np.ones((len(X), 3)))[:, 2]),
        "zero_weight_batch": lambda est: est.set_params(shuffle=False).partial_fit(X, Y, sample_weight=_zero_batch_weights()),
        "lbfgs_weights_sum_to_zero": lambda est: est.set_params(solver="lbfgs").fit(
            X, Y, sample_weight=np.where(np.arange(len(X)) % 2, 1.0, -1.0)
        ),
        "predict_wrong_width": lambda est: est.predict(X[:, :3]),
        "partial_fit_wrong_width": lambda est: est.partial_fit(np.hstack([X, X]), Y),
    })  # fmt: skip
    return cases


CASES = _cases()


def _outcome(call, est):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            call(est)
        except Exception as exc:  # noqa: BLE001 - the error is what is compared
            return exc
    return None


def _fitted(lib):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return lib.MLPClassifier(**PARAMS).fit(X, Y)


def _weights(est):
    return [a.copy() for a in est.coefs_ + est.intercepts_]


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_gets_sklearns_error_and_the_model_keeps_its_weights(case):
    call = CASES[case]
    ours, theirs = _fitted(fastmlp), _fitted(sk)
    before = _weights(ours)
    expected, got = _outcome(call, theirs), _outcome(call, ours)
    if case in CLEARER and CLEARER[case] is not None:
        assert expected is not None, "scikit-learn now accepts this: drop the CLEARER entry"
        error_type, message = CLEARER[case]
        assert isinstance(got, error_type) and str(got).startswith(message), got
        for a, b in zip(before, _weights(ours)):
            np.testing.assert_array_equal(a, b)
    elif expected is None or case in CLEARER:
        assert got is None, f"scikit-learn accepts this, fastmlp raised {got!r}"
    else:
        assert got is not None, f"scikit-learn raised {expected!r}, fastmlp accepted the input"
        assert isinstance(got, type(expected)), (got, expected)
        assert str(got).split("\n")[0] == str(expected).split("\n")[0]
        for a, b in zip(before, _weights(ours)):
            np.testing.assert_array_equal(a, b)
    if "coefs_" in ours.__dict__:
        assert all(np.isfinite(a).all() for a in ours.coefs_ + ours.intercepts_)


@pytest.mark.parametrize("case", ["nan", "inf", "zero_features", "object_strings", "complex", "sparse_coo_array"])
def test_bad_input_regressor(case):
    X_bad = _x_variants()[case][:, :] if case != "one_d" else None
    X_bad = X_bad if not sp.issparse(X_bad) else sp.csr_array(X_REG).asformat("coo")
    results = []
    for lib in (fastmlp, sk):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est = lib.MLPRegressor(**PARAMS).fit(X_REG, Y_REG)
        before = _weights(est)
        results.append((_outcome(lambda e: e.fit(X_bad, Y_REG), est), before, est))
    (got, before, ours), (expected, _, _) = results
    if expected is None:
        assert got is None
    else:
        assert isinstance(got, type(expected)) and str(got).split("\n")[0] == str(expected).split("\n")[0]
        for a, b in zip(before, _weights(ours)):
            np.testing.assert_array_equal(a, b)
