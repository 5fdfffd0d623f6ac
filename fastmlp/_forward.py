"""The forward pass: network layout tables, the kernels' integer codes, and
prediction.

    Z_l = A_{l-1} W_l + b_l,  A_l = f_l(Z_l)          one GEMM per layer

(see docs/MATH.md). Activations of a batch live in one flat workspace, in
blocks whose starts ``network_offsets`` computes once per kernel call; layers
of the activations in ``_activations.KEEPS_DERIVATIVE`` (GELU's derivative,
for one, is not a function of ``A_l``) keep ``f'(Z_l)`` in a block of their
own during training, and only those. Sparse input is CSR: its rows enter only
the first layer's products, which run on the CSR structure.
"""

import numpy as np

from ._activations import (
    ACTIVATIONS,
    LEAKY_RELU,
    KEEPS_DERIVATIVE,
    add_bias_activate_any_inplace,
    add_bias_activate_inplace,
    add_bias_activate_keeping,
    add_bias_activate_parametric,
    keeps_derivative,
)
from ._borrowed import borrowed
from ._config import kernel
from ._dropout import drop_units_inplace, drop_units_keeping_inplace
from ._input_layers import ALPHA_AT, input_layers_forward_inplace, input_workspace_size
from ._losses import LOSSES

# Slots of the integer ``codes`` vector passed to the kernels.
# MEAN_OVER_OUTPUTS: report squared error averaged over outputs (scikit-learn's loss_).
# X_TRANSPOSED: dense X is passed as its transpose, (n_features, n_samples)
# C-contiguous: how a Fortran-ordered X (pandas, a transposed array) is taken
# without copying it.
# PARAMETRIC: the hidden activations are parametric (the tabular models'),
# ``A = Z + alpha (f(Z) - Z)`` with one trained alpha per unit; their layers
# keep ``f'`` and ``f(Z) - Z`` in training (two blocks, ``offsets[DERIV]``).
# FIRST_HIDDEN_ACTIVATION: the slots from here on hold the hidden layers' activation
# codes, one per layer; the last one given serves every deeper layer (a
# single code: one activation for all).
(OUTPUT_ACTIVATION, LOSS, IS_SPARSE, USE_WEIGHT, MEAN_OVER_OUTPUTS, X_TRANSPOSED, PARAMETRIC,
 FIRST_HIDDEN_ACTIVATION) = range(8)  # fmt: skip

# The integer type of CSR indices the kernels are compiled for first: SciPy's
# own for every matrix under 2**31 stored values. int64 indices are taken as
# they are too (Numba compiles them a specialisation of their own, once).
INDEX_DTYPE = np.int32


def make_codes(hidden_activation, output_activation, loss="squared_error", *, is_sparse=False,
               use_weight=False, mean_over_outputs=False, x_transposed=False, parametric=False):  # fmt: skip
    """The integer ``codes`` vector the kernels take, from names;
    ``hidden_activation`` is one name for every hidden layer or a sequence
    of one per hidden layer."""
    hidden = [hidden_activation] if isinstance(hidden_activation, str) else list(hidden_activation)
    codes = np.zeros(FIRST_HIDDEN_ACTIVATION + max(1, len(hidden)), dtype=np.int64)
    codes[FIRST_HIDDEN_ACTIVATION : FIRST_HIDDEN_ACTIVATION + len(hidden)] = [ACTIVATIONS[name] for name in hidden]
    codes[OUTPUT_ACTIVATION] = ACTIVATIONS[output_activation]
    codes[LOSS] = LOSSES[loss]
    codes[IS_SPARSE] = is_sparse
    codes[USE_WEIGHT] = use_weight
    codes[MEAN_OVER_OUTPUTS] = mean_over_outputs
    codes[X_TRANSPOSED] = x_transposed
    codes[PARAMETRIC] = parametric
    return codes


def no_sparse_input(dtype):
    """``(data, indices, indptr)`` standing for "X is dense": empty arrays of
    the types a CSR X has, so that dense and sparse fits share one compile."""
    index = np.empty(0, dtype=INDEX_DTYPE)
    return np.empty(0, dtype=dtype), index, index


@kernel
def layer_activation(codes, layer, n_layers):
    """The activation code of weight layer ``layer`` (0-based) of ``n_layers``."""
    if layer == n_layers - 1:
        return codes[OUTPUT_ACTIVATION]
    return codes[min(FIRST_HIDDEN_ACTIVATION + layer, codes.shape[0] - 1)]


def kept_derivative_units(layer_units, codes):
    """Entries per row that training keeps for the backward pass besides the
    activations: ``f'(Z)`` of the layers in ``KEEPS_DERIVATIVE`` (none for
    networks of scikit-learn's activations), ``f'`` and ``f(Z) - Z`` of
    every hidden layer of a parametric network."""
    n_layers = len(layer_units) - 1
    if codes[PARAMETRIC]:
        return int(2 * sum(layer_units[1:-1]))
    return int(sum(layer_units[l + 1] for l in range(n_layers - 1) if layer_activation.py_func(codes, l, n_layers) in KEEPS_DERIVATIVE))


def kernel_extras(codes, dropout=None):
    """The kernels' ``extras`` argument: None when every layer has one of
    scikit-learn's activations and there is no dropout, so that Numba compiles
    them without fastmlp's own activations and dropout (a cold compile of the
    training kernels with them all took 13.5-14.5 s instead of 10-11 s);
    else the dropout vector (empty for none). A fit using them compiles that
    second specialisation once per dtype."""
    own_activation = any(code >= LEAKY_RELU for code in codes[FIRST_HIDDEN_ACTIVATION:])
    if dropout is not None and dropout.shape[0] > 0:
        return dropout
    return np.empty(0) if own_activation else None


def layers_workspace_size(layer_units, codes, rows):
    """Workspace length of the backward pass over ``rows`` rows: every layer's
    activations and error terms, and the kept derivatives."""
    return int(rows * (2 * sum(layer_units[1:]) + kept_derivative_units(layer_units, codes)))


# Rows of the (4, n_layers + 1) offsets table: where layer l's W and b start
# in the parameter buffer, its activations in a workspace, and its kept
# derivatives f'(Z) in theirs (a block of 0 rows for layers that keep none).
COEF, INTERCEPT, ACT, DERIV = range(4)

# Rows per chunk in prediction: bounds the workspace while keeping GEMMs large.
PREDICT_CHUNK_ROWS = 4096


@kernel
def network_offsets(layer_units, codes, rows):
    """(4, n_layers + 1) table of block starts: ``W_l``, ``b_l`` in the flat
    parameters, the ``rows x n_out`` activation block of layer l, and its
    kept-derivative block where its activation needs one (two for a
    parametric activation: ``f'`` and ``f(Z) - Z``)."""
    n_layers = layer_units.shape[0] - 1
    offsets = np.zeros((4, n_layers + 1), dtype=np.int64)
    for l in range(n_layers):
        offsets[COEF, l + 1] = offsets[COEF, l] + layer_units[l] * layer_units[l + 1]
        offsets[ACT, l + 1] = offsets[ACT, l] + rows * layer_units[l + 1]
        kept = 0
        if l < n_layers - 1 and codes[PARAMETRIC]:
            kept = 2
        elif l < n_layers - 1 and keeps_derivative(layer_activation(codes, l, n_layers)):
            kept = 1
        offsets[DERIV, l + 1] = offsets[DERIV, l] + kept * rows * layer_units[l + 1]
    offsets[INTERCEPT, 0] = offsets[COEF, n_layers]
    for l in range(n_layers):
        offsets[INTERCEPT, l + 1] = offsets[INTERCEPT, l] + layer_units[l + 1]
    return offsets


@kernel
def parametric_blocks(derivs, offsets, l, n_rows, n_out):
    """``(D, G)``: where hidden layer l of a parametric network keeps ``f'``
    and ``f(Z) - Z`` of ``n_rows`` rows, (n_rows, n_out) each."""
    start = offsets[DERIV, l]
    D = derivs[start : start + n_rows * n_out].reshape((n_rows, n_out))
    G = derivs[start + n_rows * n_out : start + 2 * n_rows * n_out].reshape((n_rows, n_out))
    return D, G


@kernel
def csr_rows_dot(data, indices, indptr, rows, W, out):
    """``out = X[rows] @ W`` for CSR ``X``; out is (len(rows), n_out)."""
    n_out = W.shape[1]
    for i in range(rows.shape[0]):
        r = rows[i]
        for k in range(n_out):
            out[i, k] = 0
        for p in range(indptr[r], indptr[r + 1]):
            j = indices[p]
            x = data[p]
            for k in range(n_out):
                out[i, k] += x * W[j, k]


@kernel
def csr_rows_transpose_dot(data, indices, indptr, rows, delta, out):
    """``out = X[rows]^T @ delta`` for CSR ``X``; out is (n_features, n_out)."""
    out[:] = 0
    n_out = delta.shape[1]
    for i in range(rows.shape[0]):
        r = rows[i]
        for p in range(indptr[r], indptr[r + 1]):
            j = indices[p]
            x = data[p]
            for k in range(n_out):
                out[j, k] += x * delta[i, k]


@kernel
def forward_batch_inplace(
    Xb, xb_transposed, X_data, X_indices, X_indptr, rows, params, layer_units, codes, offsets, acts, derivs,
    extras, first_row, out, front,
):  # fmt: skip
    """Forward pass of one batch; hidden ``A_l`` go to ``acts``, ``A_L`` to ``out``.

    Dense rows are ``Xb`` (n_rows, n_features), or its transpose with
    ``xb_transposed``; sparse rows are ``rows`` of the CSR matrix
    (``codes[IS_SPARSE]``). ``out`` is (n_rows, n_outputs).

    ``extras`` is None for networks of scikit-learn's activations without
    dropout (see ``kernel_extras``): Numba then compiles the kernels without
    the code of fastmlp's own activations and of dropout. Otherwise it is the
    dropout vector (``_dropout``, empty for none): a non-empty one drops
    hidden units of the rows, counted ``first_row, first_row + 1, ...``; in
    training ``derivs`` receives the derivatives ``f'(Z)`` layers keep
    (``offsets[DERIV]``); prediction passes it empty.

    ``front`` is None but for the tabular models (which compile their own
    specialisation): ``(spec, ws, dropout_factor)``, their input layers
    (``_input_layers``: ``Xb`` is an encoded table, turned into the first
    layer's input in the workspace ``ws``) and the factor of the dropout
    rates at this step (their schedule); their hidden activations are
    parametric where ``codes[PARAMETRIC]``, with ``derivs`` given in
    prediction too.
    """
    # Slices of these are not reference counted (see _borrowed).
    Xb, rows, params, acts, derivs = borrowed(Xb), borrowed(rows), borrowed(params), borrowed(acts), borrowed(derivs)
    layer_units, codes, offsets = borrowed(layer_units), borrowed(codes), borrowed(offsets)
    n_layers = layer_units.shape[0] - 1
    n_rows = out.shape[0]
    dropout_factor = 1.0
    if front is not None:
        dropout_factor = front[2]
    for l in range(n_layers):
        n_in = layer_units[l]
        n_out = layer_units[l + 1]
        W = params[offsets[COEF, l] : offsets[COEF, l + 1]].reshape((n_in, n_out))
        b = params[offsets[INTERCEPT, l] : offsets[INTERCEPT, l + 1]]
        if l == n_layers - 1:
            Z = out
        else:
            Z = acts[offsets[ACT, l] : offsets[ACT, l] + n_rows * n_out].reshape((n_rows, n_out))
        if l == 0:
            if front is not None:
                np.dot(input_layers_forward_inplace(Xb, params, front[0], front[1]), W, Z)
            elif codes[IS_SPARSE]:
                csr_rows_dot(X_data, X_indices, X_indptr, rows, W, Z)
            elif xb_transposed:
                np.dot(Xb.T, W, Z)
            else:
                np.dot(Xb, W, Z)
        else:
            A_prev = acts[offsets[ACT, l - 1] : offsets[ACT, l - 1] + n_rows * n_in].reshape((n_rows, n_in))
            np.dot(A_prev, W, Z)
        code = layer_activation(codes, l, n_layers)
        if extras is None:
            add_bias_activate_inplace(Z, b, code)
        else:
            kept = offsets[DERIV, l + 1] > offsets[DERIV, l] and derivs.shape[0] > 0
            if front is not None and codes[PARAMETRIC] and l < n_layers - 1:
                D, G = parametric_blocks(derivs, offsets, l, n_rows, n_out)
                alpha_at = front[0][ALPHA_AT] + offsets[INTERCEPT, l] - offsets[INTERCEPT, 0]
                add_bias_activate_parametric(Z, b, code, params[alpha_at : alpha_at + n_out], D, G)
                if extras.shape[0] > 0:  # the mask goes into D and G too: none in the backward pass
                    drop_units_keeping_inplace(Z, D, G, extras, l, first_row, dropout_factor)
                continue
            elif kept:
                D = derivs[offsets[DERIV, l] : offsets[DERIV, l] + n_rows * n_out].reshape((n_rows, n_out))
                add_bias_activate_keeping(Z, b, code, D)
            else:
                add_bias_activate_any_inplace(Z, b, code)
            if extras.shape[0] > 0 and l < n_layers - 1:
                drop_units_inplace(Z, extras, l, first_row, dropout_factor)


@kernel(entry=True)
def predict_inplace(X, X_data, X_indices, X_indptr, params, layer_units, codes, extras, ws, out, spec):
    """Forward pass of every row of X into ``out`` (n_samples, n_outputs).

    Rows go in chunks of ``PREDICT_CHUNK_ROWS`` so the workspace stays small.
    ``extras``: ``kernel_extras(codes)``. ``spec``: None, or the tabular
    models' input layers (``_input_layers``), whose workspace and parametric
    activations' blocks follow the activations in ``ws``
    (``prediction_workspace_size``). Returns whether a dense X was all finite (the caller raises scikit-learn's
    error when it was not; ``out`` is computed either way).
    """
    is_sparse = codes[IS_SPARSE] != 0
    n_samples = out.shape[0]
    all_finite = True
    if not is_sparse:
        for i in range(n_samples):
            for j in range(X.shape[1]):
                if not np.isfinite(X[i, j]):
                    all_finite = False
    if n_samples == 0:
        return all_finite
    chunk = min(PREDICT_CHUNK_ROWS, n_samples)
    offsets = network_offsets(layer_units, codes, chunk)
    rows = np.empty(0, dtype=np.int64)
    # typed as training passes them (bool, int64): literal False and 0 compiled
    # forward_batch_inplace a second time for prediction
    not_transposed = codes[X_TRANSPOSED] < 0
    first_row = np.int64(0)
    if spec is None:
        for start in range(0, n_samples, chunk):
            stop = min(start + chunk, n_samples)
            if is_sparse:
                rows = np.arange(start, stop)
            forward_batch_inplace(
                X[start:stop], not_transposed, X_data, X_indices, X_indptr, rows, params, layer_units, codes,
                offsets, ws, ws[:0], extras, first_row, out[start:stop], None,
            )  # fmt: skip
    else:
        n_acts = max(chunk, offsets[ACT, layer_units.shape[0] - 2])  # the hidden layers' (one row's worth at least)
        derivs = ws[n_acts : n_acts + offsets[DERIV, layer_units.shape[0] - 1]]
        front = (spec, ws[n_acts + derivs.shape[0] :], 1.0)
        for start in range(0, n_samples, chunk):
            stop = min(start + chunk, n_samples)
            forward_batch_inplace(
                X[start:stop], not_transposed, X_data, X_indices, X_indptr, rows, params, layer_units, codes,
                offsets, ws, derivs, extras, first_row, out[start:stop], front,
            )  # fmt: skip
    return all_finite


def prediction_workspace_size(layer_units, codes, spec, rows):
    """Length of ``predict_inplace``'s workspace for chunks of ``rows`` rows."""
    hidden = max(1, int(np.sum(layer_units[1:-1])))
    if spec is None:
        return rows * hidden
    return rows * hidden + rows * kept_derivative_units(layer_units, codes) + int(input_workspace_size.py_func(spec, rows))
