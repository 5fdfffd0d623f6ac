"""The batched forward pass, delta backprop and the fused training epoch.

Everything here is a Numba kernel over contiguous arrays of one float dtype,
integer codes and Python scalars (see ../shared/MATH.md for the equations):

    forward    Z_l = A_{l-1} W_l + b_l,  A_l = f_l(Z_l)          one GEMM per layer
    backward   delta_L = s (A_L - Y) / S
               delta_l = (delta_{l+1} W_{l+1}^T) * f'(A_l)        one GEMM per layer
    gradients  grad_W_l = A_{l-1}^T delta_l + (alpha / S) W_l,  grad_b_l = sum_rows delta_l

Parameters, gradients and optimizer moments are flat buffers in the layout of
``_layout.ParameterLayout``; activations and error terms of a batch live in one
flat workspace allocated once per fit. Sparse input is CSR: its rows enter
only the first layer's two products, which run on the CSR structure.

Because layers, activations, losses and optimizers are all runtime values,
each kernel compiles once per dtype.
"""

import numpy as np

from ._activations import add_bias_activate_inplace, multiply_derivative_inplace
from ._config import kernel
from ._losses import compute_loss, compute_output_delta
from ._optimizers import optimizer_step_inplace

# Slots of the integer ``codes`` vector passed to the kernels.
# MEAN_OVER_OUTPUTS: report squared error averaged over outputs (scikit-learn's loss_).
HIDDEN_ACTIVATION, OUTPUT_ACTIVATION, LOSS, IS_SPARSE, USE_WEIGHT, MEAN_OVER_OUTPUTS = range(6)
N_CODES = 6

# Rows per chunk in prediction: bounds the workspace while keeping GEMMs large.
PREDICT_CHUNK_ROWS = 4096


@kernel
def layer_offsets(layer_units, rows):
    """Start of each layer's ``rows x n_out`` block in a workspace: (n_layers + 1,)."""
    n_layers = layer_units.shape[0] - 1
    offsets = np.empty(n_layers + 1, dtype=np.int64)
    offsets[0] = 0
    for l in range(n_layers):
        offsets[l + 1] = offsets[l] + rows * layer_units[l + 1]
    return offsets


@kernel
def param_offsets(layer_units):
    """Starts of each layer's ``W`` and ``b`` in the flat parameter buffer."""
    n_layers = layer_units.shape[0] - 1
    coef_offsets = np.empty(n_layers + 1, dtype=np.int64)
    coef_offsets[0] = 0
    for l in range(n_layers):
        coef_offsets[l + 1] = coef_offsets[l] + layer_units[l] * layer_units[l + 1]
    intercept_offsets = np.empty(n_layers + 1, dtype=np.int64)
    intercept_offsets[0] = coef_offsets[n_layers]
    for l in range(n_layers):
        intercept_offsets[l + 1] = intercept_offsets[l] + layer_units[l + 1]
    return coef_offsets, intercept_offsets


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
    Xb, X_data, X_indices, X_indptr, rows, params, layer_units, codes, acts, act_offsets, n_rows, out
):
    """Forward pass of ``n_rows`` rows; hidden ``A_l`` go to ``acts``, ``A_L`` to ``out``.

    Dense rows are ``Xb`` (n_rows, n_features); sparse rows are ``rows`` of
    the CSR matrix (``codes[IS_SPARSE]``). ``out`` is (n_rows, n_outputs).
    """
    n_layers = layer_units.shape[0] - 1
    coef_offsets, intercept_offsets = param_offsets(layer_units)
    for l in range(n_layers):
        n_in = layer_units[l]
        n_out = layer_units[l + 1]
        W = params[coef_offsets[l] : coef_offsets[l + 1]].reshape((n_in, n_out))
        b = params[intercept_offsets[l] : intercept_offsets[l + 1]]
        if l == n_layers - 1:
            Z = out
        else:
            Z = acts[act_offsets[l] : act_offsets[l] + n_rows * n_out].reshape((n_rows, n_out))
        if l == 0:
            if codes[IS_SPARSE]:
                csr_rows_dot(X_data, X_indices, X_indptr, rows, W, Z)
            else:
                np.dot(Xb, W, Z)
        else:
            A_prev = acts[act_offsets[l - 1] : act_offsets[l - 1] + n_rows * n_in].reshape((n_rows, n_in))
            np.dot(A_prev, W, Z)
        code = codes[OUTPUT_ACTIVATION] if l == n_layers - 1 else codes[HIDDEN_ACTIVATION]
        add_bias_activate_inplace(Z, b, code)


@kernel
def loss_and_grad_batch(
    Xb, X_data, X_indices, X_indptr, rows, Yb, swb, params, grads, layer_units, codes, alpha, eps, ws, capacity
):
    """Loss of one batch and its gradient, written into ``grads``.

    ``ws`` holds, for a batch of up to ``capacity`` rows, every layer's
    activations followed by every layer's error terms. Returns the loss as
    scikit-learn reports it per batch: the data term plus
    ``alpha / (2 S) sum_l ||W_l||^2``, S the batch's weight sum.
    """
    n_rows = Yb.shape[0]
    n_layers = layer_units.shape[0] - 1
    use_weight = codes[USE_WEIGHT] != 0
    coef_offsets, intercept_offsets = param_offsets(layer_units)
    act_offsets = layer_offsets(layer_units, capacity)
    deltas = ws[act_offsets[n_layers] :]
    n_outputs = layer_units[n_layers]
    A_out = ws[act_offsets[n_layers - 1] : act_offsets[n_layers - 1] + n_rows * n_outputs].reshape(
        (n_rows, n_outputs)
    )
    forward_batch_inplace(
        Xb, X_data, X_indices, X_indptr, rows, params, layer_units, codes, ws, act_offsets, n_rows, A_out
    )

    weight_sum = 0.0
    if use_weight:
        for i in range(n_rows):
            weight_sum += swb[i]
    else:
        weight_sum = n_rows
    penalty = 0.0
    for j in range(coef_offsets[n_layers]):
        penalty += params[j] * params[j]
    loss = compute_loss(Yb, A_out, swb, use_weight, codes[LOSS], eps, codes[MEAN_OVER_OUTPUTS] != 0)
    loss += 0.5 * alpha * penalty / weight_sum

    # delta_L = s (A_L - Y) / S: the 1/S is folded in here once.
    delta = deltas[act_offsets[n_layers - 1] : act_offsets[n_layers - 1] + n_rows * n_outputs].reshape(
        (n_rows, n_outputs)
    )
    compute_output_delta(Yb, A_out, swb, use_weight, codes[LOSS], codes[OUTPUT_ACTIVATION], delta)
    inv_weight_sum = 1.0 / weight_sum
    for i in range(n_rows):
        for k in range(n_outputs):
            delta[i, k] *= inv_weight_sum
    l2 = alpha * inv_weight_sum

    for l in range(n_layers - 1, -1, -1):
        n_in = layer_units[l]
        n_out = layer_units[l + 1]
        W = params[coef_offsets[l] : coef_offsets[l + 1]].reshape((n_in, n_out))
        grad_W = grads[coef_offsets[l] : coef_offsets[l + 1]].reshape((n_in, n_out))
        grad_b = grads[intercept_offsets[l] : intercept_offsets[l + 1]]
        delta = deltas[act_offsets[l] : act_offsets[l] + n_rows * n_out].reshape((n_rows, n_out))
        if l == 0:
            if codes[IS_SPARSE]:
                csr_rows_transpose_dot(X_data, X_indices, X_indptr, rows, delta, grad_W)
            else:
                np.dot(Xb.T, delta, grad_W)
        else:
            A_prev = ws[act_offsets[l - 1] : act_offsets[l - 1] + n_rows * n_in].reshape((n_rows, n_in))
            np.dot(A_prev.T, delta, grad_W)
            # delta_{l-1} = (delta_l W_l^T) * f'(A_{l-1}): a hidden unit feeds
            # every unit above it, so its error is the sum over them (a GEMM).
            delta_prev = deltas[act_offsets[l - 1] : act_offsets[l - 1] + n_rows * n_in].reshape((n_rows, n_in))
            np.dot(delta, W.T, delta_prev)
            multiply_derivative_inplace(A_prev, delta_prev, codes[HIDDEN_ACTIVATION])
        for j in range(n_in):
            for k in range(n_out):
                grad_W[j, k] += l2 * W[j, k]
        for k in range(n_out):
            grad_b[k] = 0
        for i in range(n_rows):
            for k in range(n_out):
                grad_b[k] += delta[i, k]
    return loss


@kernel
def train_epoch_inplace(
    X, X_data, X_indices, X_indptr, Y, sample_weight, sample_idx, batch_size,
    params, grads, opt_m, opt_v, opt_hyper, layer_units, codes, alpha, eps, ws,
):  # fmt: skip
    """One epoch of mini-batch training, updating ``params`` and the optimizer state in place.

    Batches are consecutive slices of ``sample_idx`` (the epoch's order of
    row indices into X, Y and sample_weight), the last one possibly shorter.
    Per batch: gather the rows into the workspace, forward, backward, one
    optimizer step. Returns ``sum_batches loss_batch * n_rows_batch``, which
    divided by the number of rows is scikit-learn's ``loss_``.
    """
    n_samples = sample_idx.shape[0]
    n_features = layer_units[0]
    n_outputs = layer_units[layer_units.shape[0] - 1]
    is_sparse = codes[IS_SPARSE] != 0
    use_weight = codes[USE_WEIGHT] != 0
    x_size = 0 if is_sparse else batch_size * n_features
    Xbuf = ws[:x_size]
    Ybuf = ws[x_size : x_size + batch_size * n_outputs]
    swbuf = ws[x_size + batch_size * n_outputs : x_size + batch_size * (n_outputs + 1)]
    layers_ws = ws[x_size + batch_size * (n_outputs + 1) :]
    accumulated_loss = 0.0
    for start in range(0, n_samples, batch_size):
        stop = min(start + batch_size, n_samples)
        n_rows = stop - start
        rows = sample_idx[start:stop]
        Xb = Xbuf[: n_rows * (0 if is_sparse else n_features)].reshape((n_rows, 0 if is_sparse else n_features))
        Yb = Ybuf[: n_rows * n_outputs].reshape((n_rows, n_outputs))
        swb = swbuf[:n_rows]
        for i in range(n_rows):
            r = rows[i]
            if not is_sparse:
                Xb[i, :] = X[r, :]
            Yb[i, :] = Y[r, :]
            if use_weight:
                swb[i] = sample_weight[r]
        batch_loss = loss_and_grad_batch(
            Xb, X_data, X_indices, X_indptr, rows, Yb, swb, params, grads,
            layer_units, codes, alpha, eps, layers_ws, batch_size,
        )  # fmt: skip
        accumulated_loss += batch_loss * n_rows
        optimizer_step_inplace(params, grads, opt_m, opt_v, opt_hyper)
    return accumulated_loss


@kernel
def full_batch_loss_and_grad(
    X, X_data, X_indices, X_indptr, Y, sample_weight, params, grads, layer_units, codes, alpha, eps, ws
):
    """Loss and gradient over all rows at once (L-BFGS); ``grads`` is written.

    X is used in place (never gathered); ``ws`` holds the activations and
    error terms of every row.
    """
    n_samples = Y.shape[0]
    rows = np.arange(n_samples) if codes[IS_SPARSE] else np.empty(0, dtype=np.int64)
    return loss_and_grad_batch(
        X, X_data, X_indices, X_indptr, rows, Y, sample_weight, params, grads,
        layer_units, codes, alpha, eps, ws, n_samples,
    )  # fmt: skip


@kernel
def predict_inplace(X, X_data, X_indices, X_indptr, params, layer_units, codes, ws, out):
    """Forward pass of every row of X into ``out`` (n_samples, n_outputs).

    Rows go in chunks of ``PREDICT_CHUNK_ROWS`` so the workspace stays small.
    Returns False, leaving ``out`` unspecified, if a dense X holds a
    non-finite value (the caller then raises scikit-learn's error).
    """
    is_sparse = codes[IS_SPARSE] != 0
    n_samples = out.shape[0]
    if not is_sparse:
        for i in range(n_samples):
            for j in range(X.shape[1]):
                if not np.isfinite(X[i, j]):
                    return False
    chunk = min(PREDICT_CHUNK_ROWS, n_samples)
    act_offsets = layer_offsets(layer_units, chunk)
    rows = np.empty(0, dtype=np.int64)
    for start in range(0, n_samples, chunk):
        stop = min(start + chunk, n_samples)
        if is_sparse:
            rows = np.arange(start, stop)
        forward_batch_inplace(
            X[start:stop], X_data, X_indices, X_indptr, rows, params, layer_units, codes,
            ws, act_offsets, stop - start, out[start:stop],
        )  # fmt: skip
    return True
