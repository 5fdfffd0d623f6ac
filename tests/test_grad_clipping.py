"""``max_grad_norm`` (fastmlp's own): each mini-batch's whole gradient clipped to
a global L2 norm before the optimizer's step."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_regression
from sklearn.utils._param_validation import InvalidParameterError

from fastmlp import MLPClassifier, MLPRegressor
from fastmlp._layout import ParameterLayout

from . import reference

X, Y = make_regression(n_samples=64, n_features=5, noise=1.0, random_state=0)
Y = Y / Y.std() * 10  # large errors: large gradients


def _quiet(fit):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit()


@pytest.mark.parametrize("max_norm", [0.05, 1e9])
def test_a_clipped_sgd_step_is_the_references(max_norm):
    """One SGD step of the whole batch (no momentum): ``W - lr clip(grad)``,
    the gradient from the numpy reference, L2 term included."""
    alpha, lr = 0.3, 0.1
    est = _quiet(lambda: MLPRegressor(solver="sgd", momentum=0.0, batch_size=64, max_iter=1, shuffle=False, alpha=alpha,
                                      learning_rate_init=lr, hidden_layer_sizes=(7,), random_state=0,
                                      max_grad_norm=max_norm).fit(X, Y))  # fmt: skip
    layout = ParameterLayout([5, 7, 1])
    coefs, intercepts = layout.views(layout.initialize("relu", np.random.RandomState(0), np.float64))
    _, coef_grads, intercept_grads = reference.loss_and_gradients(
        X, Y.reshape(-1, 1), coefs, intercepts, "relu", "identity", "squared_error", alpha=alpha
    )
    # the gradient clipped is E's: central differences of the reference loss, float64
    net = (X, Y.reshape(-1, 1), coefs, intercepts, "relu", "identity", "squared_error", alpha)
    numeric = reference.central_differences(lambda: reference.loss_only(*net), coefs + intercepts)
    for got, want in zip(coef_grads + intercept_grads, numeric):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)
    grads = reference.clip_by_global_norm(coef_grads + intercept_grads, max_norm)
    expected = [p - lr * g for p, g in zip(coefs + intercepts, grads)]
    for got, want in zip(est.coefs_ + est.intercepts_, expected):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    if max_norm < 1:
        step = np.sqrt(sum(((a - b) ** 2).sum() for a, b in zip(est.coefs_ + est.intercepts_, coefs + intercepts)))
        assert step == pytest.approx(lr * max_norm, rel=1e-9)


@pytest.mark.parametrize("solver", ["sgd", "adam", "adamw"])
@pytest.mark.kernels
def test_a_norm_never_reached_changes_nothing(solver):
    params = dict(solver=solver, hidden_layer_sizes=(6,), max_iter=10, random_state=0)
    clipped = _quiet(lambda: MLPRegressor(max_grad_norm=1e12, **params).fit(X, Y))
    plain = _quiet(lambda: MLPRegressor(**params).fit(X, Y))
    for a, b in zip(clipped.coefs_ + clipped.intercepts_, plain.coefs_ + plain.intercepts_):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_a_team_clips_by_the_norm_of_the_whole_gradient(solver, monkeypatch):
    """Split across two threads, each holding a share of the gradient, the
    clipping factor is the whole gradient's: the model is the one thread's."""
    from fastmlp import _threads

    params = dict(solver=solver, hidden_layer_sizes=(40,), batch_size=64, max_iter=5, random_state=0,
                  max_grad_norm=0.5, learning_rate_init=0.01)  # fmt: skip
    models = []
    for n_threads in (1, 2):
        monkeypatch.setattr(_threads, "plan", lambda *args, n=n_threads: (1, n))
        models.append(_quiet(lambda: MLPRegressor(**params).fit(X, Y)))
    for a, b in zip(models[0].coefs_ + models[0].intercepts_, models[1].coefs_ + models[1].intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)


def test_clipping_is_for_the_stochastic_solvers():
    with pytest.raises(ValueError, match="solver='lbfgs' takes no such steps"):
        MLPClassifier(solver="lbfgs", max_grad_norm=1.0).fit(X, Y > 0)
    with pytest.raises(InvalidParameterError, match="max_grad_norm"):
        MLPRegressor(max_grad_norm=0.0).fit(X, Y)
