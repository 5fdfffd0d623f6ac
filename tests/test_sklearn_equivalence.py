"""Same data, same parameters, same random_state: the same model as scikit-learn.

scikit-learn is the oracle: both libraries are trained side by side and their
weights, losses and predictions compared. Gaps measured when these tests were
written: float64 weights agree to ~1e-14 relative (sgd, adam and lbfgs);
float32 sgd/adam to ~5e-7; float32 lbfgs to ~5e-4, because scikit-learn's
lbfgs silently upcasts float32 problems to float64 while fastmlp keeps them
in float32.
"""

import itertools
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn.neural_network as sk
from sklearn.datasets import make_classification, make_multilabel_classification, make_regression

import fastmlp

ACTIVATIONS = ["identity", "logistic", "tanh", "relu"]
SOLVERS = ["adam", "sgd", "lbfgs"]

# relative tolerance on weights, by (dtype, solver family)
RTOL = {
    (np.float64, "stochastic"): 1e-6,
    (np.float64, "lbfgs"): 1e-4,
    (np.float32, "stochastic"): 1e-5,
    (np.float32, "lbfgs"): 5e-3,
}


def _data(kind, dtype=np.float64, n_samples=240):
    if kind == "multiclass":
        X, y = make_classification(
            n_samples=n_samples, n_features=10, n_informative=6, n_classes=3, random_state=0
        )
    elif kind == "binary":
        X, y = make_classification(n_samples=n_samples, n_features=10, random_state=1)
        y = np.where(y == 1, "yes", "no")  # string labels
    elif kind == "multilabel":
        X, y = make_multilabel_classification(n_samples=n_samples, n_features=10, n_classes=4, random_state=0)
        X = X / X.max()
    elif kind == "regression":
        X, y = make_regression(n_samples=n_samples, n_features=10, noise=1.0, random_state=0)
        y = y / y.std()
    elif kind == "multioutput":
        X, y = make_regression(n_samples=n_samples, n_features=10, n_targets=3, noise=1.0, random_state=0)
        y = y / y.std(axis=0)
    elif kind == "poisson":
        rng = np.random.RandomState(0)
        X = rng.normal(size=(n_samples, 10))
        y = rng.poisson(np.exp(0.3 * X[:, 0])).astype(float)
    return X.astype(dtype), y


def _fit_both(name, X, y, sample_weight=None, **params):
    models = []
    for lib in (fastmlp, sk):
        est = getattr(lib, name)(**params)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(X, y, sample_weight=sample_weight)
        models.append(est)
    return models


def _assert_same_model(ours, theirs, rtol):
    assert len(ours.coefs_) == len(theirs.coefs_)
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        assert a.shape == b.shape
        gap = np.max(np.abs(a - b)) / np.max(np.abs(b))
        assert gap <= rtol, gap
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.t_ == theirs.t_
    assert ours.n_layers_ == theirs.n_layers_
    assert ours.n_outputs_ == theirs.n_outputs_
    assert ours.out_activation_ == theirs.out_activation_
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=max(rtol, 1e-9))
    if hasattr(theirs, "loss_curve_"):
        np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=max(rtol, 1e-9))
        if theirs.best_loss_ is None:
            assert ours.best_loss_ is None
        else:
            assert ours.best_loss_ == pytest.approx(theirs.best_loss_, rel=max(rtol, 1e-9))


def _rtol(dtype, solver):
    return RTOL[(dtype, "lbfgs" if solver == "lbfgs" else "stochastic")]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("solver, activation", list(itertools.product(SOLVERS, ACTIVATIONS)))
@pytest.mark.parametrize("name, kind", [("MLPClassifier", "multiclass"), ("MLPRegressor", "regression")])
def test_same_model_as_sklearn(name, kind, solver, activation, dtype):
    X, y = _data(kind, dtype)
    params = dict(
        hidden_layer_sizes=(12, 7), activation=activation, solver=solver, max_iter=15,
        random_state=0, batch_size=32, learning_rate_init=0.01 if solver == "sgd" else 0.001,
    )  # fmt: skip
    ours, theirs = _fit_both(name, X, y, **params)
    _assert_same_model(ours, theirs, _rtol(dtype, solver))
    if solver != "lbfgs":
        assert ours.coefs_[0].dtype == dtype


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_same_model_on_sparse_input(solver, fmt):
    X, y = _data("multiclass")
    X[np.abs(X) < 0.8] = 0
    Xs = sp.csr_matrix(X) if fmt == "csr" else sp.csc_matrix(X)
    ours, theirs = _fit_both("MLPClassifier", Xs, y, solver=solver, max_iter=15, random_state=1, hidden_layer_sizes=(9,))
    _assert_same_model(ours, theirs, _rtol(np.float64, solver))
    np.testing.assert_allclose(ours.predict_proba(Xs), theirs.predict_proba(Xs), rtol=1e-9)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("name, kind", [("MLPClassifier", "binary"), ("MLPRegressor", "multioutput")])
def test_same_model_with_sample_weight(name, kind, solver):
    X, y = _data(kind)
    sample_weight = np.random.RandomState(0).uniform(0.1, 3.0, X.shape[0])
    ours, theirs = _fit_both(name, X, y, sample_weight, solver=solver, max_iter=15, random_state=2, batch_size=50)
    _assert_same_model(ours, theirs, _rtol(np.float64, solver))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "name, kind", [("MLPClassifier", "binary"), ("MLPClassifier", "multiclass"), ("MLPRegressor", "regression")]
)
def test_same_model_with_early_stopping(name, kind, dtype):
    X, y = _data(kind, dtype, n_samples=400)
    params = dict(early_stopping=True, max_iter=60, random_state=3, n_iter_no_change=3, tol=1e-3, validation_fraction=0.2)
    ours, theirs = _fit_both(name, X, y, **params)
    _assert_same_model(ours, theirs, _rtol(dtype, "adam"))
    np.testing.assert_allclose(ours.validation_scores_, theirs.validation_scores_, rtol=1e-6)
    assert ours.best_validation_score_ == pytest.approx(theirs.best_validation_score_, rel=1e-6)
    assert ours.best_loss_ is None and theirs.best_loss_ is None
    assert ours.n_iter_ < 60  # it did stop early, and restored the best weights


def test_same_model_with_early_stopping_and_sample_weight():
    X, y = _data("multiclass", n_samples=400)
    sw = np.random.RandomState(1).uniform(0.5, 2.0, X.shape[0])
    ours, theirs = _fit_both("MLPClassifier", X, y, sw, early_stopping=True, max_iter=30, random_state=0)
    _assert_same_model(ours, theirs, 1e-6)
    np.testing.assert_allclose(ours.validation_scores_, theirs.validation_scores_)


@pytest.mark.parametrize(
    "params",
    [
        dict(solver="sgd", nesterovs_momentum=False),
        dict(solver="sgd", momentum=0.0),
        dict(solver="sgd", learning_rate="invscaling", learning_rate_init=0.1),
        dict(solver="sgd", learning_rate="adaptive", tol=0.5, n_iter_no_change=1, max_iter=30),
        dict(solver="adam", tol=0.05, n_iter_no_change=2, max_iter=100),  # converges before max_iter
        dict(solver="adam", shuffle=False),
        dict(solver="adam", batch_size=1000),  # clipped to n_samples, with a warning
        dict(solver="adam", batch_size=7),  # a short last batch
        dict(solver="adam", alpha=1.0, beta_1=0.5, beta_2=0.9, epsilon=1e-6),
        dict(solver="lbfgs", max_fun=20),
        dict(solver="adam", hidden_layer_sizes=()),  # no hidden layer: logistic regression
        dict(solver="lbfgs", hidden_layer_sizes=(5, 4, 3)),
    ],
    ids=lambda p: ",".join(f"{k}={v}" for k, v in p.items()),
)
def test_same_model_for_optimizer_options(params):
    X, y = _data("multiclass")
    params = {"max_iter": 15, "random_state": 4, "hidden_layer_sizes": (8,), **params}
    ours, theirs = _fit_both("MLPClassifier", X, y, **params)
    _assert_same_model(ours, theirs, _rtol(np.float64, params["solver"]))


@pytest.mark.parametrize("solver", SOLVERS)
def test_same_model_multilabel_and_poisson(solver):
    X, y = _data("multilabel")
    ours, theirs = _fit_both("MLPClassifier", X, y, solver=solver, max_iter=15, random_state=5)
    _assert_same_model(ours, theirs, _rtol(np.float64, solver))
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    X, y = _data("poisson")
    ours, theirs = _fit_both("MLPRegressor", X, y, loss="poisson", solver=solver, max_iter=15, random_state=5)
    _assert_same_model(ours, theirs, _rtol(np.float64, solver))


def test_same_predictions():
    X, y = _data("binary")
    ours, theirs = _fit_both("MLPClassifier", X, y, max_iter=20, random_state=0)
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-10)
    np.testing.assert_allclose(ours.predict_log_proba(X), theirs.predict_log_proba(X), rtol=1e-10)
    assert ours.score(X, y) == theirs.score(X, y)


def test_same_model_with_random_state_instance_and_refits():
    """A RandomState instance is shared across fits: draws continue in the same order."""
    X, y = _data("multiclass")
    models = []
    for lib in (fastmlp, sk):
        est = lib.MLPClassifier(max_iter=5, random_state=np.random.RandomState(7))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(X, y)
            est.fit(X, y)
        models.append(est)
    _assert_same_model(*models, 1e-6)


def test_same_model_partial_fit_and_warm_start():
    X, y = _data("multiclass")
    models = []
    for lib in (fastmlp, sk):
        est = lib.MLPClassifier(random_state=0, hidden_layer_sizes=(10,))
        for start in range(0, 240, 60):
            est.partial_fit(X[start : start + 60], y[start : start + 60], classes=np.unique(y))
        models.append(est)
    _assert_same_model(*models, 1e-6)

    models = []
    for lib in (fastmlp, sk):
        est = lib.MLPRegressor(random_state=0, warm_start=True, max_iter=5, solver="sgd")
        X, y = _data("regression")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(X, y)
            est.fit(X, y)
        models.append(est)
    _assert_same_model(*models, 1e-6)
