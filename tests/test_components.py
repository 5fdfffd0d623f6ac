"""Each registry entry and component kernel against its reference.

Activations and losses against scikit-learn's ``_base`` registries and the
numpy reference; the optimizer step against scikit-learn's optimizers; the
parameter layout and initialisation against scikit-learn's draws.
"""

import numpy as np
import pytest
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.neural_network._base import ACTIVATIONS as SK_ACTIVATIONS
from sklearn.neural_network._base import DERIVATIVES as SK_DERIVATIVES
from sklearn.neural_network._base import LOSS_FUNCTIONS as SK_LOSSES
from sklearn.neural_network._stochastic_optimizers import AdamOptimizer, SGDOptimizer

from fastmlp._activations import (
    ACTIVATIONS,
    HIDDEN_ACTIVATIONS,
    KEEPS_DERIVATIVE,
    add_bias_activate_any_inplace,
    add_bias_activate_inplace,
    add_bias_activate_keeping,
    multiply_any_derivative_inplace,
    multiply_derivative_inplace,
    multiply_kept_derivative_inplace,
)
from fastmlp._layout import ParameterLayout
from fastmlp._losses import LOSSES, loss_and_output_delta
from fastmlp._optimizers import SQUARES_BLOCK, AdamState, SGDState, optimizer_step_inplace, record_steps

from . import reference

RNG = np.random.RandomState(0)
Z = RNG.normal(scale=3, size=(13, 5))
B = RNG.normal(size=5)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_matches_sklearn_and_reference(name, dtype):
    got = Z.astype(dtype)
    add_bias_activate_any_inplace(got, B.astype(dtype), ACTIVATIONS[name])
    if name in SK_ACTIVATIONS:  # the kernel compiled for scikit-learn's options: the same
        only_sklearns = Z.astype(dtype)
        add_bias_activate_inplace(only_sklearns, B.astype(dtype), ACTIVATIONS[name])
        np.testing.assert_array_equal(only_sklearns, got)
    want = Z.astype(dtype) + B.astype(dtype)
    # exp/tanh/logistic are fastmlp's vectorised approximations (a few ulp)
    rtol = 1e-14 if dtype == np.float64 else 1e-6
    if name in SK_ACTIVATIONS:
        SK_ACTIVATIONS[name](want)
        np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * 1e-3)
    np.testing.assert_allclose(got, reference.ACTIVATION[name](Z + B), rtol=max(rtol, 1e-6), atol=1e-6)
    if dtype == np.float64:  # fastmlp's own activations: against the reference, to rounding
        np.testing.assert_allclose(got, reference.ACTIVATION[name](Z + B), rtol=1e-13, atol=1e-300)
    assert got.dtype == dtype
    if ACTIVATIONS[name] in KEEPS_DERIVATIVE:  # training's path: the same f(Z), and f'(Z) kept
        kept, keeping = np.empty_like(got), Z.astype(dtype)
        add_bias_activate_keeping(keeping, B.astype(dtype), ACTIVATIONS[name], kept)
        np.testing.assert_allclose(keeping, got, rtol=1e-15 if dtype == np.float64 else 1e-6, atol=0)
        # in float32 the rounding of Z + B alone moves f' in the tails (GELU's
        # f'(z) = Phi + z phi cancels there: condition number about z^2)
        tolerance = dict(rtol=1e-13, atol=1e-300) if dtype == np.float64 else dict(rtol=1e-4, atol=1e-10)
        np.testing.assert_allclose(kept, reference.PRIME[name](Z + B), **tolerance)


@pytest.mark.parametrize("name", HIDDEN_ACTIVATIONS)
def test_activation_extremes_stay_finite_and_keep_nan(name):
    z = np.array([[-1e300, -800.0, -40.0, -1e-300, 0.0, 1e-300, 40.0, 800.0, 1e300, np.nan]])
    got = z.copy()
    add_bias_activate_any_inplace(got, np.zeros(z.shape[1]), ACTIVATIONS[name])
    with np.errstate(all="ignore"):
        want = reference.ACTIVATION[name](z)
    assert np.isnan(got[0, -1])
    finite = np.isfinite(want)
    np.testing.assert_allclose(got[finite], want[finite], rtol=1e-13, atol=1e-300)
    assert np.array_equal(np.isfinite(got), finite)


def test_exp_matches_numpy_down_to_subnormals_and_up_to_overflow():
    z = np.concatenate([np.linspace(-760, 720, 20001), [0.0, -np.inf, np.inf]])[:, None]
    got = z.copy()
    add_bias_activate_inplace(got, np.zeros(1), ACTIVATIONS["exp"])
    with np.errstate(over="ignore"):
        want = np.exp(z)
    np.testing.assert_allclose(got, want, rtol=3e-16, atol=5e-324)
    assert np.array_equal(np.isinf(got), np.isinf(want)) and np.array_equal(got == 0, want == 0)


def test_expm1_and_log1p_match_numpy_to_a_few_ulp():
    from fastmlp._elementary import expm1_approx, log1p_unit

    x = np.concatenate([np.linspace(-745, 709, 20001), np.linspace(-0.6, 0.6, 20001), [1e-300, -1e-300, 0.0]])
    got = np.array([expm1_approx(v) for v in x])
    np.testing.assert_allclose(got, np.expm1(x), rtol=1e-15, atol=0)
    t = np.concatenate([np.linspace(0, 1, 20001), np.geomspace(1e-300, 1e-3, 1001)])
    np.testing.assert_allclose([log1p_unit(v) for v in t], np.log1p(t), rtol=5e-16, atol=0)


def test_normal_cdf_matches_scipy_in_both_tails():
    from scipy.special import ndtr

    from fastmlp._elementary import normal_cdf

    z = np.concatenate([np.linspace(-37.5, 9, 40001), [-1e300, -0.0, 0.0, 1e300]])
    got, want = np.array([normal_cdf(v) for v in z]), ndtr(z)
    normal = want > np.finfo(float).tiny
    # e^{-z^2/2}'s argument is rounded: in the far left tail a relative error of about z^2 1e-16
    relative = np.abs(got[normal] / want[normal] - 1)
    assert (relative <= 5e-15 + 4e-16 * np.minimum(z[normal], 1e3) ** 2).all(), relative.max()
    assert relative[z[normal] > -5].max() < 5e-15
    assert (got[~normal] < 1e-300).all() and np.isnan(normal_cdf(np.nan))


@pytest.mark.parametrize("name", HIDDEN_ACTIVATIONS)
def test_derivative_matches_sklearn_and_finite_differences(name):
    A = Z.copy()
    add_bias_activate_any_inplace(A, np.zeros(5), ACTIVATIONS[name])
    delta = RNG.normal(size=Z.shape)
    got = delta.copy()
    column_sums = np.empty(Z.shape[1])
    if ACTIVATIONS[name] in KEEPS_DERIVATIVE:  # f'(Z) kept by the forward pass
        kept = np.empty_like(Z)
        add_bias_activate_keeping(Z.copy(), np.zeros(5), ACTIVATIONS[name], kept)
        multiply_kept_derivative_inplace(kept, got, column_sums)
    else:
        multiply_any_derivative_inplace(A, got, ACTIVATIONS[name], column_sums)
    np.testing.assert_allclose(column_sums, got.sum(axis=0), rtol=1e-12)
    if name in SK_DERIVATIVES:
        only_sklearns = delta.copy()
        multiply_derivative_inplace(A, only_sklearns, ACTIVATIONS[name], column_sums)
        np.testing.assert_array_equal(only_sklearns, got)
        want = delta.copy()
        SK_DERIVATIVES[name](A, want)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(got, delta * reference.PRIME[name](Z), rtol=1e-12, atol=1e-15)
    h = 1e-6
    f = reference.ACTIVATION[name]
    numeric = (f(Z + h) - f(Z - h)) / (2 * h)
    np.testing.assert_allclose(got, delta * numeric, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("use_weight", [False, True])
@pytest.mark.parametrize("name", list(LOSSES))
def test_loss_matches_sklearn(name, use_weight):
    n, k = 20, 3
    rng = np.random.RandomState(1)
    Y = reference.random_targets(name, n, k, rng)
    if name == "log_loss":
        A = reference.ACTIVATION["softmax"](rng.normal(size=(n, k)))
    elif name == "binary_log_loss":
        A = reference.ACTIVATION["logistic"](rng.normal(size=(n, k)))
    else:
        A = np.exp(rng.normal(size=(n, k)))
    sw = rng.uniform(0.2, 2, n)
    S = sw.sum() if use_weight else n
    delta = np.empty_like(A)
    got = loss_and_output_delta(
        Y, A, sw if use_weight else np.empty(0), use_weight, S, LOSSES[name], np.finfo(float).eps, True, delta
    )
    want = SK_LOSSES[name](Y, A, sample_weight=sw if use_weight else None)
    assert got == pytest.approx(want, rel=1e-12)
    s_col = (sw if use_weight else np.ones(n))[:, None]
    np.testing.assert_allclose(delta, s_col * (A - Y) / S, rtol=1e-14)


def _run_steps(layout, params, theirs, state, sk_opt, n_steps, l2=0.3, rtol=1e-13, atol=0.0):
    """Steps of our fused kernel (which adds ``l2 * W`` itself) next to
    scikit-learn's optimizer given the full gradient, in the params' dtype."""
    n_coefs = int(layout.coef_offsets[-1])
    for step in range(n_steps):
        grads = np.random.RandomState(step).normal(size=layout.size).astype(params.dtype)
        full = grads.copy()
        full[:n_coefs] += params.dtype.type(l2) * params[:n_coefs]
        # in two ranges, as two threads of a team step their shares
        cut = [n_coefs // 2, n_coefs, layout.size - 1][step % 3]
        squares = sum(
            optimizer_step_inplace(params, grads, state.m, state.v, state.hyper, n_coefs, l2, lo, hi, step + 1)
            for lo, hi in ((0, cut), (cut, layout.size))
        )
        record_steps(state.hyper, 1)
        sk_opt.update_params(theirs, sum(layout.views(full), []))
        assert squares == pytest.approx(np.sum(params[:n_coefs].astype(np.float64) ** 2), rel=max(rtol, 1e-13))
        assert state.learning_rate == pytest.approx(sk_opt.learning_rate, rel=1e-15)
    np.testing.assert_allclose(params, np.concatenate([a.ravel() for a in theirs]), rtol=rtol, atol=atol)


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_step_matches_sklearn(nesterov):
    layout = ParameterLayout([4, 3, 2])
    params = layout.initialize("relu", np.random.RandomState(0), np.float64)
    theirs = [a.copy() for a in sum(layout.views(params), [])]
    sk_opt = SGDOptimizer(theirs, learning_rate_init=0.1, momentum=0.8, nesterov=nesterov)
    state = SGDState(layout.size, np.float64, 0.1, "constant", 0.8, nesterov, 0.5)
    _run_steps(layout, params, theirs, state, sk_opt, n_steps=3)


@pytest.mark.parametrize("nesterov", [False, True])
def test_float32_sgd_step_matches_sklearn(nesterov):
    """In float32 the step computes in float32, as scikit-learn's does; its
    sum of squares runs in blocks (of ``SQUARES_BLOCK``: 5150 weights make two,
    and the cuts split them) yet stays as accurate as a float64 sum."""
    layout = ParameterLayout([100, 50, 3])
    assert SQUARES_BLOCK < layout.coef_offsets[-1] < 2 * SQUARES_BLOCK
    params = layout.initialize("relu", np.random.RandomState(0), np.float32)
    theirs = [a.copy() for a in sum(layout.views(params), [])]
    sk_opt = SGDOptimizer(theirs, learning_rate_init=0.1, momentum=0.8, nesterov=nesterov)
    state = SGDState(layout.size, np.float32, 0.1, "constant", 0.8, nesterov, 0.5)
    # within 2 float32 ulps of the largest weight (ours fuses multiply-adds)
    _run_steps(layout, params, theirs, state, sk_opt, n_steps=3, l2=0.01, rtol=1e-6, atol=2.4e-7)


def test_adam_step_matches_sklearn():
    layout = ParameterLayout([4, 3, 2])
    params = layout.initialize("relu", np.random.RandomState(0), np.float64)
    theirs = [a.copy() for a in sum(layout.views(params), [])]
    sk_opt = AdamOptimizer(theirs, learning_rate_init=0.01, beta_1=0.8, beta_2=0.99, epsilon=1e-7)
    state = AdamState(layout.size, np.float64, 0.01, 0.8, 0.99, 1e-7)
    _run_steps(layout, params, theirs, state, sk_opt, n_steps=4)
    assert state.t == sk_opt.t == 4
    assert state.learning_rate == pytest.approx(sk_opt.learning_rate, rel=1e-15)


def test_schedules_match_sklearn():
    for schedule in ("invscaling", "adaptive", "constant"):
        state = SGDState(1, np.float64, 0.5, schedule, 0.9, True, 0.25)
        sk_opt = SGDOptimizer([np.zeros(1)], 0.5, schedule, 0.9, True, 0.25)
        for t in (10, 20):
            state.iteration_ends(t)
            sk_opt.iteration_ends(t)
            assert state.trigger_stopping("m", False) == sk_opt.trigger_stopping("m", False)
            assert state.learning_rate == sk_opt.learning_rate


@pytest.mark.parametrize("activation", ["relu", "logistic"])
def test_initialisation_draws_sklearns_weights(activation):
    sk_model = SkMLPClassifier(activation=activation, hidden_layer_sizes=(5, 4))
    sk_model._random_state = np.random.RandomState(42)
    layout = ParameterLayout([6, 5, 4, 3])
    params = layout.initialize(activation, np.random.RandomState(42), np.float32)
    coefs, intercepts = layout.views(params)
    for i, (n_in, n_out) in enumerate([(6, 5), (5, 4), (4, 3)]):
        W, b = sk_model._init_coef(n_in, n_out, np.float32)
        np.testing.assert_array_equal(coefs[i], W)
        np.testing.assert_array_equal(intercepts[i], b)


def test_layout_views_share_the_buffer_and_pack_round_trips():
    layout = ParameterLayout([3, 4, 2])
    buffer = np.arange(layout.size, dtype=float)
    coefs, intercepts = layout.views(buffer)
    assert [c.shape for c in coefs] == [(3, 4), (4, 2)] and [b.shape for b in intercepts] == [(4,), (2,)]
    coefs[1][0, 0] = -1
    assert buffer[12] == -1  # scikit-learn's _pack order: all W, then all b
    np.testing.assert_array_equal(layout.pack(coefs, intercepts, float), buffer)
