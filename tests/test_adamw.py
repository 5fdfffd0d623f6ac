"""``solver="adamw"`` (fastmlp's own): Adam with decoupled weight decay.

Checked in closed form against the plain-numpy reference (one step, and a
fit's steps replayed from its gradients), against Adam where they must agree
(no decay), and as an estimator a scikit-learn user would call.
"""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_regression

from fastmlp import MLPClassifier, MLPRegressor, loss_and_gradients
from fastmlp._layout import ParameterLayout
from fastmlp._optimizers import AdamState, optimizer_step_inplace, record_steps

from . import reference

X, Y = make_regression(n_samples=120, n_features=6, noise=1.0, random_state=0)
Y = Y / Y.std()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_adamw_steps_are_the_references(dtype):
    """Three kernel steps on a 6-5-3 network with random gradients equal the
    reference's AdamW steps: weights decayed, biases not, no L2 in the gradient."""
    rng = np.random.RandomState(0)
    layout = ParameterLayout([6, 5, 3])
    params = layout.initialize("relu", rng, dtype)
    coefs, intercepts = [[a.astype(np.float64) for a in part] for part in layout.views(params.copy())]
    state = AdamState(layout.size, dtype, 0.01, 0.9, 0.999, 1e-8, weight_decay=0.5)
    moments = {}
    n_coefs = int(layout.coef_offsets[-1])
    for t in (1, 2, 3):
        grads = rng.standard_normal(layout.size).astype(dtype)
        optimizer_step_inplace(params, grads, state.m, state.v, state.hyper, n_coefs, 0.0, 0, layout.size, t)
        record_steps(state.hyper, np.int64(1))
        coef_grads, intercept_grads = layout.views(grads.astype(np.float64))
        reference.adam_step(coefs, intercepts, coef_grads, intercept_grads, moments, t, 0.01, weight_decay=0.5)
    ours = layout.views(params)
    rtol = 1e-12 if dtype == np.float64 else 2e-6
    for a, b in zip(ours[0] + ours[1], coefs + intercepts):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol)
    assert state.t == 3


def test_adam_steps_are_the_references_too():
    rng = np.random.RandomState(1)
    layout = ParameterLayout([4, 3, 2])
    params = layout.initialize("tanh", rng, np.float64)
    coefs, intercepts = [list(part) for part in layout.views(params.copy())]
    coefs, intercepts = [a.copy() for a in coefs], [a.copy() for a in intercepts]
    state = AdamState(layout.size, np.float64, 0.01, 0.9, 0.999, 1e-8)
    moments = {}
    n_coefs = int(layout.coef_offsets[-1])
    for t in (1, 2):
        grads = rng.standard_normal(layout.size)
        optimizer_step_inplace(params, grads, state.m, state.v, state.hyper, n_coefs, 0.3, 0, layout.size, t)
        coef_grads, intercept_grads = layout.views(grads)
        reference.adam_step(coefs, intercepts, coef_grads, intercept_grads, moments, t, 0.01, l2=0.3)
    ours = layout.views(params)
    for a, b in zip(ours[0] + ours[1], coefs + intercepts):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


def _fit(**params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return MLPRegressor(**{"hidden_layer_sizes": (8,), "max_iter": 20, "random_state": 0, **params}).fit(X, Y)


@pytest.mark.kernels
def test_adamw_without_decay_is_adam_without_l2():
    adamw, adam = _fit(solver="adamw", alpha=0.0), _fit(solver="adam", alpha=0.0)
    for a, b in zip(adamw.coefs_ + adamw.intercepts_, adam.coefs_ + adam.intercepts_):
        np.testing.assert_array_equal(a, b)
    assert adamw.loss_curve_ == adam.loss_curve_


def test_adamw_decay_shrinks_the_weights():
    decayed = _fit(solver="adamw", alpha=5.0, learning_rate_init=0.01, max_iter=50)
    plain = _fit(solver="adamw", alpha=0.0, learning_rate_init=0.01, max_iter=50)
    assert np.linalg.norm(decayed.coefs_[0]) < 0.5 * np.linalg.norm(plain.coefs_[0])
    # biases are not decayed: with 50 steps of (1 - 0.05) they would be < 8% of their size
    assert np.linalg.norm(decayed.intercepts_[0]) > 0.3 * np.linalg.norm(plain.intercepts_[0])


@pytest.mark.parametrize("solver", ["adam", "adamw"])
def test_the_loss_has_an_l2_term_with_adam_and_none_with_adamw(solver):
    """One epoch of one batch: loss_ is the loss at the initial weights."""
    est = _fit(solver=solver, alpha=5.0, batch_size=120, max_iter=1)
    layout = ParameterLayout([6, 8, 1])
    coefs, intercepts = layout.views(layout.initialize("relu", np.random.RandomState(0), np.float64))
    data_loss, _, _ = loss_and_gradients(X, Y, coefs, intercepts, loss="squared_error")
    penalty = 0.5 * 5.0 * sum((W**2).sum() for W in coefs) / 120
    expected = data_loss if solver == "adamw" else data_loss + penalty
    assert est.loss_curve_[0] == pytest.approx(expected, rel=1e-12)


def test_adamw_is_a_stochastic_solver_for_users():
    est = MLPClassifier(solver="adamw", hidden_layer_sizes=(5,), random_state=0, max_iter=5)
    est.partial_fit(X, Y > 0, classes=[False, True])
    assert est._optimizer.t == 1  # one batch of 120 rows
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.set_params(early_stopping=True).fit(X, Y > 0)
    assert len(est.validation_scores_) == est.n_iter_


def test_a_partial_fit_keeps_the_optimizer_it_started_with():
    """As scikit-learn: changing solver between partial_fit calls keeps the
    state's optimizer, and its way of regularising with alpha."""
    params = dict(hidden_layer_sizes=(5,), random_state=0, alpha=0.5)
    stayed = MLPRegressor(solver="adam", **params).partial_fit(X, Y).partial_fit(X, Y)
    switched = MLPRegressor(solver="adam", **params).partial_fit(X, Y)
    switched.set_params(solver="adamw").partial_fit(X, Y)
    for a, b in zip(stayed.coefs_, switched.coefs_):
        np.testing.assert_array_equal(a, b)


def test_adamw_follows_alpha_set_between_partial_fits():
    est = MLPRegressor(solver="adamw", alpha=0.5, hidden_layer_sizes=(5,), random_state=0).partial_fit(X, Y)
    est.set_params(alpha=2.0).partial_fit(X, Y)
    from fastmlp._optimizers import WEIGHT_DECAY

    assert est._optimizer.hyper[WEIGHT_DECAY] == 2.0


def test_adamw_rejects_a_decay_that_would_flip_the_weights():
    with pytest.raises(ValueError, match="alpha \\* learning_rate_init is 2, it must be < 1"):
        MLPRegressor(solver="adamw", alpha=2000.0).fit(X, Y)
