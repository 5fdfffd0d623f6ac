"""The tabular models' kernels against the plain-numpy reference and central
differences: the input layers (periodic numerical embeddings, categorical
embeddings, the scale), parametric activations, the grouped Adam step, the
step schedules, and the neural-tangent parametrisation's equivalence."""

import numpy as np
import pytest

from fastmlp import _backprop
from fastmlp._dropout import dropout_mask, dropout_vector
from fastmlp._elementary import cos_sin_turns
from fastmlp._forward import make_codes, no_sparse_input
from fastmlp._input_layers import input_workspace_size
from fastmlp._layout import ParameterLayout
from fastmlp._optimizers import AdamState, grouped_adam_step_inplace, record_steps
from fastmlp._schedules import STEP_SCHEDULES, step_factors
from fastmlp._tabular_network import TabularNetwork
from fastmlp._team import SYNC_SIZE

from . import reference

RECIPE = dict(embedding_size=3, n_frequencies=4, pbld_outputs=2, pbld_sigma=0.5, scale=True, parametric=True,
              ntk=True, bias_lr=0.1, scale_lr=6.0, pbld_lr=0.1, activation_lr=0.1, embedding_lr=1.0)  # fmt: skip


def make_case(recipe, n=13, n_numeric=3, n_binary=2, table_rows=(4, 6), hidden=(5, 4), n_out=3, seed=0):
    """A small network with random parameters and an encoded table for it."""
    rng = np.random.RandomState(seed)
    network = TabularNetwork(n_numeric, n_binary, table_rows, hidden, n_out, recipe)
    params = rng.uniform(-0.7, 0.7, network.size)
    network.view(params, "alpha")[:] = rng.uniform(0.3, 1.2, network.view(params, "alpha").shape[0])
    network.view(params, "scale")[:] = rng.uniform(0.5, 1.5, network.view(params, "scale").shape[0])
    network.view(params, "frequency")[:] *= 2
    numeric = rng.normal(size=(n, n_numeric))
    binary = rng.choice([-1.0, 0.0, 1.0], size=(n, n_binary))
    codes = np.column_stack([rng.randint(0, rows, n) for rows in table_rows]).astype(np.int64).reshape(n, -1)
    table = np.ascontiguousarray(np.hstack([numeric, binary, codes.astype(float)]))
    return network, params, numeric, binary, codes, table, rng


def reference_parameters(network, params):
    """The reference's view of a flat buffer: ``(p, coefs, intercepts, alphas)``."""
    r = network.recipe
    n, n_freq, n_mix = network.n_numeric, r["n_frequencies"], r["pbld_outputs"]
    coefs, intercepts = network.layout.views(params)
    tables, at = [], network.view(params, "tables")
    for rows in network.table_rows:
        tables.append(at[: rows * r["embedding_size"]].reshape(rows, r["embedding_size"]))
        at = at[rows * r["embedding_size"] :]
    p = {
        "frequency": network.view(params, "frequency").reshape(n, n_freq) if n_mix else np.zeros((n, n_freq)),
        "phase": network.view(params, "phase").reshape(n, n_freq) if n_mix else np.zeros((n, n_freq)),
        "mix": network.view(params, "mix").reshape(n, n_freq, n_mix),
        "mix_bias": network.view(params, "mix_bias").reshape(n, n_mix),
        "tables": tables,
        "scale": network.view(params, "scale") if r["scale"] else None,
    }
    alphas, at = None, network.view(params, "alpha")
    if r["parametric"]:
        alphas = []
        for width in network.hidden_layer_sizes:
            alphas.append(at[:width])
            at = at[width:]
    return p, coefs, intercepts, alphas


def kernel_loss_and_gradient(network, params, table, Y, codes, dropout, sample_weight=None, first_row=0):
    """E and its gradient by the training kernels (one thread, the full batch)."""
    layer_units = network.layout.layer_units
    n = table.shape[0]
    ws = np.empty(
        _backprop.layers_workspace_size(layer_units, codes, n) + input_workspace_size.py_func(network.spec, n)
    )  # fmt: skip
    grads = np.full_like(params, np.nan)
    sw = np.empty(0) if sample_weight is None else sample_weight
    loss = _backprop.full_batch_loss_and_grad(
        table, no_sparse_input(np.float64), Y, sw, params, grads, np.empty((0, params.shape[0])), np.zeros((1, 8)),
        layer_units, codes, dropout, first_row, 0.0, 1e-16, ws, network.spec, 0, 1, np.zeros(SYNC_SIZE, np.int64),
    )  # fmt: skip
    return loss, grads


def flat_reference_gradient(network, grads):
    """The reference's gradients laid out as the flat buffer."""
    flat = np.zeros(network.size)
    coefs, intercepts = network.layout.views(flat)
    for view, value in zip(coefs + intercepts, grads["coefs"] + grads["intercepts"]):
        view[...] = value
    if grads["alphas"][0] is not None:
        network.view(flat, "alpha")[:] = np.concatenate(grads["alphas"])
    if grads["scale"] is not None:
        network.view(flat, "scale")[:] = grads["scale"]
    if network.recipe["pbld_outputs"]:
        for name in ("frequency", "phase", "mix", "mix_bias"):
            network.view(flat, name)[:] = grads[name].ravel()
    if grads["tables"]:
        network.view(flat, "tables")[:] = np.concatenate([g.ravel() for g in grads["tables"]])
    return flat


CASES = {
    "every layer, selu, classification": (dict(), "selu", "log_loss", True, False),
    "every layer, mish, regression, weights": (dict(), "mish", "squared_error", False, True),
    "dropout": (dict(), "gelu", "log_loss", True, False),
    "no pbld": (dict(pbld_outputs=0), "silu", "log_loss", False, False),
    "the recipe's three pbld outputs (one pass)": (dict(pbld_outputs=3, n_frequencies=6), "selu", "log_loss", False, True),
    "no scale, tanh": (dict(scale=False), "tanh", "squared_error", False, False),
    "not parametric, relu": (dict(parametric=False), "relu", "log_loss", False, True),
    "parametric elu, softplus-free": (dict(), "elu", "squared_error", False, False),
    "parametric leaky_relu": (dict(), "leaky_relu", "log_loss", False, False),
    "parametric logistic, softplus": (dict(), "logistic", "log_loss", False, False),
}


@pytest.mark.parametrize("case", CASES)
def test_gradients_match_reference_and_central_differences(case):
    changes, hidden, loss, use_dropout, weighted = CASES[case]
    recipe = {**RECIPE, **changes}
    network, params, numeric, binary, codes, table, rng = make_case(recipe, seed=len(case))
    n = table.shape[0]
    output = "softmax" if loss == "log_loss" else "identity"
    if loss == "log_loss":  # smoothed one-hot targets, as the classifier trains on
        Y = 0.9 * np.eye(3)[rng.randint(0, 3, n)] + 0.1 / 3
    else:
        Y = rng.normal(size=(n, 3))
    sample_weight = rng.uniform(0.2, 2.0, n) if weighted else None
    kernel_codes = make_codes(hidden, output, loss, use_weight=weighted, parametric=recipe["parametric"])
    first_row = 7
    rates = np.array([0.3, 0.2])
    dropout = dropout_vector(rates, 11) if use_dropout else np.empty(0)
    masks = None
    if use_dropout:
        masks = [(dropout_mask(dropout, l, first_row, n, w), rates[l]) for l, w in enumerate(network.hidden_layer_sizes)]
        assert 0 < sum(m.sum() for m, _ in masks) < sum(m.size for m, _ in masks)

    E, grads = kernel_loss_and_gradient(network, params, table, Y, kernel_codes, dropout, sample_weight, first_row)
    p, coefs, intercepts, alphas = reference_parameters(network, params)
    E_ref, grads_ref = reference.tabular_loss_and_gradients(
        numeric, binary, codes, Y, p, coefs, intercepts, alphas, hidden, output, loss, sample_weight, masks
    )  # fmt: skip
    assert E == pytest.approx(E_ref, rel=1e-12)
    np.testing.assert_allclose(grads, flat_reference_gradient(network, grads_ref), rtol=1e-9, atol=1e-13)

    def kernel_loss():
        return kernel_loss_and_gradient(network, params, table, Y, kernel_codes, dropout, sample_weight, first_row)[0]

    numeric_gradient = reference.central_differences(kernel_loss, [params])[0]
    np.testing.assert_allclose(grads, numeric_gradient, rtol=1e-5, atol=1e-8)


def test_every_parameter_block_gets_a_gradient():
    """No block's gradient is silently zero (each case above would pass for a
    block the kernels forgot, if the reference forgot it too)."""
    network, params, numeric, binary, codes, table, rng = make_case(RECIPE)
    Y = 0.9 * np.eye(3)[rng.randint(0, 3, table.shape[0])] + 0.1 / 3
    _, grads = kernel_loss_and_gradient(
        network, params, table, Y, make_codes("selu", "softmax", "log_loss", parametric=True), np.empty(0)
    )  # fmt: skip
    for name in ("alpha", "scale", "frequency", "phase", "mix", "mix_bias", "tables"):
        assert np.abs(network.view(grads, name)).max() > 1e-6, name
    used = np.zeros(network.view(grads, "tables").shape[0], dtype=bool)
    width = RECIPE["embedding_size"]
    for c, start in enumerate(network.spec[-len(network.table_rows) - 1 : -1]):
        for code in codes[:, c]:
            used[(start + code) * width : (start + code + 1) * width] = True
    assert np.all(network.view(grads, "tables")[~used] == 0)  # rows no sample used


def test_cos_sin_turns():
    @__import__("numba").njit
    def both(u):
        c, s = np.empty_like(u), np.empty_like(u)
        for i in range(u.shape[0]):
            c[i], s[i] = cos_sin_turns(u[i])
        return c, s

    rng = np.random.RandomState(0)
    for scale in (1e-9, 0.3, 1.0, 40.0, 1e6):
        u = rng.uniform(-scale, scale, 20000)
        c, s = both(u)
        r = u - np.round(u)  # the angle reduced exactly in float64, then numpy's
        np.testing.assert_allclose(c, np.cos(2 * np.pi * r), rtol=0, atol=5e-16)
        np.testing.assert_allclose(s, np.sin(2 * np.pi * r), rtol=0, atol=5e-16)
    c, s = both(np.array([0.0, 0.25, 0.5, 0.75, -0.25]))
    np.testing.assert_allclose(c, [1, 0, -1, 0, 0], atol=1e-16)
    np.testing.assert_allclose(s, [0, 1, 0, -1, -1], atol=1e-16)


def test_step_schedules_in_closed_form():
    p = np.array([0.0, 1 / 15, 3 / 15, 7 / 15, (2**0.5 - 1) / 15, 0.3, 0.5, 0.75, 0.99])
    coslog4 = STEP_SCHEDULES["coslog4"](p)
    np.testing.assert_allclose(coslog4[:4], 0, atol=1e-15)  # the cycles' starts
    assert coslog4[4] == pytest.approx(1.0)  # the first cycle's peak
    np.testing.assert_allclose(coslog4, 0.5 * (1 - np.cos(2 * np.pi * np.log2(1 + 15 * p))))
    flat = STEP_SCHEDULES["flat_cos"](p)
    np.testing.assert_allclose(flat[p < 0.5], 1.0)
    assert flat[-3] == 1.0 and flat[-2] == pytest.approx(0.5) and flat[-1] == pytest.approx(0.5 * (1 + np.cos(np.pi * 0.98)))
    # step k of K is at progress k / K: the first step's factor is coslog4(0) = 0
    factors = step_factors("coslog4", 3, 4, 12)
    np.testing.assert_allclose(factors, STEP_SCHEDULES["coslog4"](np.arange(3, 7) / 12))
    assert step_factors("coslog4", 0, 1, 5)[0] == 0.0


def test_grouped_adam_step_is_adam_per_group_after_its_decay():
    """Each group steps as Adam with its learning-rate and epsilon factors,
    after ``p *= 1 - lr lr_factor decay decay_factor f_decay``; a team's
    shares step the same."""
    network, params, *_ = make_case(RECIPE)
    groups, factors = network.groups()
    rng = np.random.RandomState(3)
    state = AdamState(network.size, np.float64, 0.04, 0.9, 0.95, 1e-8, weight_decay=0.02)
    expected = params.copy()
    m, v = np.zeros(network.size), np.zeros(network.size)
    for t, (lr_factor, decay_factor) in enumerate([(0.3, 1.0), (1.0, 0.5)], start=1):
        grads = rng.normal(size=network.size) * np.exp(rng.normal(size=network.size))
        for lo, hi in ((0, 17), (17, network.size)):  # two shares, as a team of two steps them
            grouped_adam_step_inplace(
                params, grads, state.m, state.v, state.hyper, groups, factors, lr_factor, decay_factor, lo, hi, t
            )  # fmt: skip
        record_steps(state.hyper, 1)
        for g in range(len(groups) - 1):
            part = slice(groups[g], groups[g + 1])
            f_lr, f_eps, f_decay = factors[g]
            lr = 0.04 * lr_factor
            expected[part] *= 1 - lr * 0.02 * decay_factor * f_decay
            m[part] = 0.9 * m[part] + 0.1 * grads[part]
            v[part] = 0.95 * v[part] + 0.05 * grads[part] ** 2
            lr_t = lr * f_lr * np.sqrt(1 - 0.95**t) / (1 - 0.9**t)
            expected[part] -= lr_t * m[part] / (np.sqrt(v[part]) + 1e-8 * f_eps)
        np.testing.assert_allclose(params, expected, rtol=1e-13, atol=1e-16)
    # the groups' factors: NTK on each layer's weights, no decay of the biases
    layout = network.layout
    assert factors[0].tolist() == pytest.approx([1 / np.sqrt(layout.layer_units[0]), np.sqrt(layout.layer_units[0]), 1])
    bias = list(groups).index(layout.intercept_offsets[0])
    assert factors[bias].tolist() == [0.1, 1.0, 0.0]


def test_ntk_steps_are_the_effective_weights_steps():
    """RealMLP's layer ``A W / sqrt(n_in)`` trained by Adam with rate lr and
    epsilon eps moves its effective weights ``W / sqrt(n_in)`` exactly as
    fastmlp's step with rate ``lr / sqrt(n_in)`` and epsilon ``eps sqrt(n_in)``
    moves them (the module docstring of ``_tabular_network``)."""
    rng = np.random.RandomState(0)
    layout = ParameterLayout([9, 4, 2])
    X, Y = rng.normal(size=(20, 9)), rng.normal(size=(20, 2))
    W_ntk = [rng.normal(size=(9, 4)), rng.normal(size=(4, 2))]
    b = [rng.normal(size=4), rng.normal(size=2)]
    scales = [1 / np.sqrt(9), 1 / np.sqrt(4)]
    effective = layout.pack([W * c for W, c in zip(W_ntk, scales)], b, np.float64)
    groups = np.array([0, 36, 44, layout.size])
    factors = np.array([[scales[0], 1 / scales[0], 1.0], [scales[1], 1 / scales[1], 1.0], [1.0, 1.0, 0.0]])
    state = AdamState(layout.size, np.float64, 0.05, 0.9, 0.95, 1e-3, weight_decay=0.1)
    ref_state = {}
    for t in (1, 2, 3):
        # RealMLP's step, in its own parametrisation (the reference's backprop
        # on the effective weights, times the chain rule's factor)
        coefs = [W * c for W, c in zip(W_ntk, scales)]
        _, coef_grads, intercept_grads = reference.loss_and_gradients(X, Y, coefs, b, "tanh", "identity", "squared_error")
        ntk_grads = [g * c for g, c in zip(coef_grads, scales)]
        reference.adam_step(W_ntk, b, ntk_grads, intercept_grads, ref_state, t, 0.05, 0.9, 0.95, 1e-3,
                            weight_decay=0.1)  # fmt: skip
        # fastmlp's step on the effective weights
        grads = layout.pack(coef_grads, intercept_grads, np.float64)
        grouped_adam_step_inplace(effective, grads, state.m, state.v, state.hyper, groups, factors, 1.0, 1.0, 0,
                                  layout.size, t)  # fmt: skip
        record_steps(state.hyper, 1)
        ours, ours_b = layout.views(effective)
        for W, c, mine in zip(W_ntk, scales, ours):
            np.testing.assert_allclose(mine, W * c, rtol=1e-12)
        for bias, mine in zip(b, ours_b):
            np.testing.assert_allclose(mine, bias, rtol=1e-12)


def test_float32_functions_against_numpy():
    import numba

    from fastmlp._elementary import cos_sin_turns32, exp_approx32, expm1_approx32

    @numba.njit
    def apply(x, out, which):
        for i in range(x.shape[0]):
            if which == 0:
                out[i] = exp_approx32(x[i])
            elif which == 1:
                out[i] = expm1_approx32(x[i])
            else:
                out[i] = cos_sin_turns32(x[i])[1]

    rng = np.random.RandomState(0)
    x = np.concatenate([rng.uniform(-103, 88, 100000), rng.uniform(-1, 1, 10000)]).astype(np.float32)
    out = np.empty_like(x)
    apply(x, out, 0)
    assert out.dtype == np.float32
    ulps = np.abs(out.astype(np.float64) - np.exp(x).astype(np.float64)) / np.spacing(np.exp(x))
    assert ulps.max() <= 3
    small = x[np.abs(x) < 20]
    out = np.empty_like(small)
    apply(small, out, 1)
    np.testing.assert_allclose(out, np.expm1(small.astype(np.float64)), rtol=3e-7, atol=1e-30)
    u = rng.uniform(-5, 5, 20000).astype(np.float32)
    out = np.empty_like(u)
    apply(u, out, 2)
    np.testing.assert_allclose(out, np.sin(2 * np.pi * u.astype(np.float64)), rtol=0, atol=3e-7)


@pytest.mark.parametrize("pbld", [dict(), dict(pbld_outputs=3, n_frequencies=6)], ids=["2 outputs", "3 outputs"])
def test_float32_gradients_are_the_references_to_float32_rounding(pbld):
    """The float32 kernels (their own SELU and cos/sin, sums in float32
    included) against the float64 reference on the same parameters."""
    network, params, numeric, binary, codes, table, rng = make_case({**RECIPE, **pbld}, seed=5)
    Y = 0.9 * np.eye(3)[rng.randint(0, 3, table.shape[0])] + 0.1 / 3
    kernel_codes = make_codes("selu", "softmax", "log_loss", parametric=True)
    params32, table32 = params.astype(np.float32), table.astype(np.float32)
    layer_units = network.layout.layer_units
    n = table.shape[0]
    ws = np.empty(_backprop.layers_workspace_size(layer_units, kernel_codes, n)
                  + input_workspace_size.py_func(network.spec, n), dtype=np.float32)  # fmt: skip
    grads = np.empty_like(params32)
    E = _backprop.full_batch_loss_and_grad(
        table32, no_sparse_input(np.float32), Y.astype(np.float32), np.empty(0, np.float32), params32, grads,
        np.empty((0, params.shape[0]), np.float32), np.zeros((1, 8)), layer_units, kernel_codes, np.empty(0), 0, 0.0,
        float(np.finfo(np.float32).eps), ws, network.spec, 0, 1, np.zeros(SYNC_SIZE, np.int64),
    )  # fmt: skip
    p, coefs, intercepts, alphas = reference_parameters(network, params32.astype(np.float64))
    E_ref, grads_ref = reference.tabular_loss_and_gradients(
        numeric.astype(np.float32).astype(np.float64), binary, codes, Y, p, coefs, intercepts, alphas, "selu",
        "softmax", "log_loss",
    )  # fmt: skip
    assert E == pytest.approx(E_ref, rel=1e-5)
    expected = flat_reference_gradient(network, grads_ref)
    np.testing.assert_allclose(grads, expected, rtol=2e-3, atol=2e-5 * np.abs(expected).max())
