"""The kernels against the plain-numpy reference, finite differences and MATH.md's worked example."""


import numpy as np
import pytest
import scipy.sparse as sp

import fastmlp
from fastmlp import _backprop
from fastmlp._activations import HIDDEN_ACTIVATIONS
from fastmlp._layout import ParameterLayout
from fastmlp._losses import CANONICAL_OUTPUT, LOSSES
from fastmlp._optimizers import SGDState
from fastmlp._team import SYNC_SIZE, Team

from . import reference

# Every (output activation, loss) pairing the kernels support: the canonical
# ones, and squared error behind each element-wise output.
OUTPUT_LOSS_PAIRS = [(out, loss) for loss, out in CANONICAL_OUTPUT.items()] + [
    (out, "squared_error") for out in ("logistic", "tanh", "relu", "exp")
]


def _problem(hidden, output, loss, seed=0, layer_units=(4, 5, 3, 3), n=7):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, layer_units[0]))
    coefs, intercepts = reference.random_network(layer_units, rng)
    Y = reference.random_targets(loss, n, layer_units[-1], rng)
    sample_weight = rng.uniform(0.5, 2.0, n)
    return X, Y, coefs, intercepts, sample_weight


@pytest.mark.parametrize("hidden", HIDDEN_ACTIVATIONS)
@pytest.mark.parametrize("output, loss", OUTPUT_LOSS_PAIRS)
def test_gradients_match_reference_and_central_differences(hidden, output, loss):
    X, Y, coefs, intercepts, sw = _problem(hidden, output, loss)
    alpha = 0.3
    E, coef_grads, intercept_grads = fastmlp.loss_and_gradients(
        X, Y, coefs, intercepts, hidden_activation=hidden, output_activation=output,
        loss=loss, alpha=alpha, sample_weight=sw,
    )  # fmt: skip
    E_ref, coef_ref, intercept_ref = reference.loss_and_gradients(
        X, Y, coefs, intercepts, hidden, output, loss, alpha, sw
    )
    assert E == pytest.approx(E_ref, rel=1e-12)
    for got, want in zip(coef_grads + intercept_grads, coef_ref + intercept_ref):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-14)

    # Central differences of the reference loss, every parameter, float64.
    numeric = reference.central_differences(
        lambda: reference.loss_only(X, Y, coefs, intercepts, hidden, output, loss, alpha, sw), coefs + intercepts
    )
    for got, want in zip(coef_grads + intercept_grads, numeric):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-8)


def test_central_differences_tell_right_from_wrong_backprop():
    """The check used above separates the right dE/dV_11 from MATH.md's published
    error (the two output paths' contributions multiplied instead of summed)."""
    X, Y, coefs, intercepts, _ = _problem("logistic", "logistic", "squared_error", layer_units=(2, 3, 2), n=1)
    net = ("logistic", "logistic", "squared_error")
    _, coef_grads, _ = fastmlp.loss_and_gradients(
        X, Y, coefs, intercepts, hidden_activation="logistic", output_activation="logistic"
    )
    h = 1e-6
    V = coefs[0]
    V[0, 0] += h
    up = reference.loss_only(X, Y, coefs, intercepts, *net)
    V[0, 0] -= 2 * h
    down = reference.loss_only(X, Y, coefs, intercepts, *net)
    V[0, 0] += h
    numeric = (up - down) / (2 * h)
    A1, A2 = reference.forward(X, coefs, intercepts, "logistic", "logistic")[1:]
    path_errors = ((A2 - Y) * A2 * (1 - A2))[0] * coefs[1][0]  # per output unit
    wrong = np.prod(path_errors) * A1[0, 0] * (1 - A1[0, 0]) * X[0, 0]
    right = np.sum(path_errors) * A1[0, 0] * (1 - A1[0, 0]) * X[0, 0]
    assert coef_grads[0][0, 0] == pytest.approx(numeric, rel=1e-6)
    assert right == pytest.approx(numeric, rel=1e-6)
    assert abs(wrong - numeric) > 1e-3 * abs(numeric)


# MATH.md, "Worked example", computed in 30-digit arithmetic.
WORKED = dict(
    X=[[0.05, 0.10]],
    Y=[[0.01, 0.99]],
    V=[[0.15, 0.20, 0.25], [0.30, 0.35, 0.40]],
    b1=[0.35, 0.35, 0.35],
    W=[[0.40, 0.45], [0.50, 0.55], [0.60, 0.65]],
    b2=[0.60, 0.60],
    P=[0.595680730607847, 0.597485765827016, 0.599288163508356],
    O=[0.817065047933767, 0.830082321994349],
    E=0.338463827667526,
    dW=[
        [0.0718580478661442, -0.0134359926107029],
        [0.0720757925412939, -0.0134767064337638],
        [0.0722932190454673, -0.0135173607653272],
    ],
    db2=[0.120631815289406, -0.0225556945530073],
    dV=[
        [0.000458842177155566, 0.000576112741271828, 0.000693024047242241],
        [0.000917684354311133, 0.00115222548254366, 0.00138604809448448],
    ],
    db1=[0.00917684354311133, 0.0115222548254366, 0.0138604809448448],
    W_after=[
        [0.364070976066928, 0.456717996305351],
        [0.463962103729353, 0.556738353216882],
        [0.563853390477266, 0.656758680382664],
    ],
    V_after=[
        [0.149770578911422, 0.199711943629364, 0.249653487976379],
        [0.299541157822844, 0.349423887258728, 0.399306975952758],
    ],
)


def test_worked_example_of_math_md():
    w = WORKED
    coefs, intercepts = [np.array(w["V"]), np.array(w["W"])], [np.array(w["b1"]), np.array(w["b2"])]
    kwargs = dict(hidden_activation="logistic", output_activation="logistic")
    np.testing.assert_allclose(fastmlp.forward_pass(w["X"], coefs, intercepts, **kwargs), [w["O"]], rtol=0, atol=1e-12)
    E, (dV, dW), (db1, db2) = fastmlp.loss_and_gradients(w["X"], w["Y"], coefs, intercepts, loss="squared_error", **kwargs)
    assert abs(E - w["E"]) < 1e-12
    for got, want in ((dV, w["dV"]), (dW, w["dW"]), (db1, w["db1"]), (db2, w["db2"])):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


def test_worked_example_sgd_step_through_the_fused_epoch():
    """One epoch of one sample with plain SGD (eta 0.5, no momentum) is MATH.md's update."""
    w = WORKED
    layout = ParameterLayout([2, 3, 2])
    params = layout.pack([w["V"], w["W"]], [w["b1"], w["b2"]], np.float64)
    grads = np.empty_like(params)
    state = SGDState(layout.size, np.float64, 0.5, "constant", 0.0, False, 0.5)
    codes = _backprop.make_codes("logistic", "logistic", "squared_error")
    workspace = np.empty(_backprop.training_workspace_size(layout.layer_units, codes, 1, False))
    X, Y = np.array(w["X"]), np.array(w["Y"])
    progress = np.zeros(_backprop.N_PROGRESS)
    progress[_backprop.STOP_ROW] = 1  # the one row
    loss = _backprop.train_epoch_inplace(
        X, _backprop.no_sparse_input(np.float64), Y, np.empty(0), np.arange(1), 1,
        params, grads, np.empty((0, layout.size)), np.zeros((1, 8)), (state.m, state.v, state.hyper),
        layout.layer_units, codes, None, 0.0, 1e-16, workspace, progress, None, 0, 1,
        np.zeros(SYNC_SIZE, np.int64),
    )  # fmt: skip
    assert abs(loss - w["E"]) < 1e-12
    (V, W), _ = layout.views(params)
    np.testing.assert_allclose(W, w["W_after"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(V, w["V_after"], rtol=0, atol=1e-12)


@pytest.mark.parametrize("output, loss", OUTPUT_LOSS_PAIRS)
def test_forward_pass_matches_reference(output, loss):
    X, _, coefs, intercepts, _ = _problem("tanh", output, loss, n=11)
    got = fastmlp.forward_pass(X, coefs, intercepts, hidden_activation="tanh", output_activation=output)
    want = reference.forward(X, coefs, intercepts, "tanh", output)[-1]
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_no_hidden_layer():
    rng = np.random.RandomState(3)
    X, Y = rng.normal(size=(9, 4)), rng.randint(0, 2, (9, 1)).astype(float)
    coefs, intercepts = reference.random_network([4, 1], rng)
    E, cg, ig = fastmlp.loss_and_gradients(X, Y, coefs, intercepts, loss="binary_log_loss", alpha=0.1)
    E_ref, cg_ref, ig_ref = reference.loss_and_gradients(X, Y, coefs, intercepts, "relu", "logistic", "binary_log_loss", 0.1)
    assert E == pytest.approx(E_ref, rel=1e-12)
    np.testing.assert_allclose(cg[0], cg_ref[0], rtol=1e-10)
    np.testing.assert_allclose(ig[0], ig_ref[0], rtol=1e-10)


@pytest.mark.parametrize("use_weight", [False, True])
def test_sparse_first_layer_matches_dense(use_weight):
    """The CSR products give the dense batch's loss and gradients."""
    rng = np.random.RandomState(0)
    X = sp.random(40, 12, density=0.3, format="csr", random_state=rng)
    Y = np.eye(3)[rng.randint(0, 3, 40)]
    layout = ParameterLayout([12, 6, 3])
    params = layout.initialize("relu", rng, np.float64)
    sw = rng.uniform(0.5, 2, 40) if use_weight else np.empty(0)
    codes = _backprop.make_codes("relu", "softmax", "log_loss", use_weight=use_weight, mean_over_outputs=True)
    ws = np.empty(2 * 40 * 9)
    results = []
    for sparse in (False, True):
        codes[_backprop.IS_SPARSE] = int(sparse)
        grads = np.empty_like(params)
        args = (
            (np.empty((0, 0)), X.data, X.indices, X.indptr)
            if sparse
            else (X.toarray(), *_backprop.no_sparse_input(np.float64))
        )
        loss = _full_batch(args, Y, sw, params, grads, layout, codes, 1e-3, ws, n_threads=1)
        results.append((loss, grads))
    assert results[0][0] == pytest.approx(results[1][0], rel=1e-13)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-11, atol=1e-15)


def test_float32_gradients_close_to_float64():
    X, Y, coefs, intercepts, sw = _problem("relu", "softmax", "log_loss", n=30)
    E64, cg64, _ = fastmlp.loss_and_gradients(X, Y, coefs, intercepts, loss="log_loss", sample_weight=sw)
    as32 = lambda arrays: [a.astype(np.float32) for a in arrays]  # noqa: E731
    E32, cg32, _ = fastmlp.loss_and_gradients(
        X.astype(np.float32), Y, as32(coefs), as32(intercepts), loss="log_loss", sample_weight=sw
    )
    assert cg32[0].dtype == np.float32
    assert E32 == pytest.approx(E64, rel=1e-5)
    for a, b in zip(cg32, cg64):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-5)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(loss="log_loss", output_activation="logistic"), "needs output_activation='softmax'"),
        (dict(loss="hinge"), "loss must be one of"),
        (dict(hidden_activation="softmax"), "hidden_activation must be one of"),
    ],
)
def test_low_level_api_rejects_unsupported_pairs(kwargs, message):
    X, Y, coefs, intercepts, _ = _problem("relu", "identity", "squared_error")
    with pytest.raises(ValueError, match=message):
        fastmlp.loss_and_gradients(X, Y, coefs, intercepts, **kwargs)


def test_all_pairs_are_listed():
    """Every loss in the registry is covered by the gradient checks above."""
    assert {loss for _, loss in OUTPUT_LOSS_PAIRS} == set(LOSSES)


@pytest.mark.parametrize("sparse", [False, True])
def test_full_batch_split_across_threads_equals_whole(sparse):
    """lbfgs' full batch on a team of 3 threads (uneven: 101 rows) gives the whole batch's
    loss and gradient, dense and CSR, with sample weights."""
    rng = np.random.RandomState(1)
    X_dense = rng.normal(size=(101, 9))
    X_dense[np.abs(X_dense) < 0.7] = 0
    X = sp.csr_matrix(X_dense)
    Y = np.eye(4)[rng.randint(0, 4, 101)]
    sw = rng.uniform(0.5, 2.0, 101)
    layout = ParameterLayout([9, 7, 5, 4])
    params = layout.initialize("tanh", rng, np.float64)
    codes = _backprop.make_codes("tanh", "softmax", "log_loss", is_sparse=sparse, use_weight=True)
    if sparse:
        inputs = (np.empty((0, 0)), X.data, X.indices, X.indptr)
    else:
        inputs = (X_dense, *_backprop.no_sparse_input(np.float64))
    results = []
    for n_threads in (1, 3):
        grads = np.empty_like(params)
        ws = np.empty(n_threads * -(-101 // n_threads) * 2 * 16)
        loss = _full_batch(inputs, Y, sw, params, grads, layout, codes, 0.1, ws, n_threads)
        results.append((loss, grads))
    assert results[1][0] == pytest.approx(results[0][0], rel=1e-13)
    np.testing.assert_allclose(results[1][1], results[0][1], rtol=1e-11, atol=1e-15)


def _full_batch(inputs, Y, sw, params, grads, layout, codes, alpha, ws, n_threads):
    """``full_batch_loss_and_grad`` run by a team of ``n_threads`` threads, twice
    (the workers wait at the first barrier between calls)."""
    X, X_data, X_indices, X_indptr = inputs
    part_grads = np.empty((n_threads if n_threads > 1 else 0, layout.size))
    args = (
        X, (X_data, X_indices, X_indptr), Y, sw, params, grads, part_grads, np.zeros((n_threads, 8)),
        layout.layer_units, codes, None, 0, alpha, 1e-16, ws, None,
    )  # fmt: skip
    with Team(n_threads) as team:
        team.start(_backprop.full_batch_loss_and_grad, args)
        losses = [_backprop.full_batch_loss_and_grad(*args, 0, n_threads, team.sync) for _ in range(2)]
    assert losses[0] == losses[1]
    return losses[1]
