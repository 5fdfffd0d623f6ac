"""Delta backprop and the fused training epoch.

Everything here is a Numba kernel over contiguous arrays of one float dtype,
integer codes and Python scalars (see docs/MATH.md for the equations):

    forward    Z_l = A_{l-1} W_l + b_l,  A_l = f_l(Z_l)          (_forward)
    backward   delta_L = s (A_L - Y) / S
               delta_l = (delta_{l+1} W_{l+1}^T) * f'(Z_l)        one GEMM per layer
    gradients  grad_W_l = A_{l-1}^T delta_l + (alpha / S) W_l,  grad_b_l = sum_rows delta_l

with ``f'(Z_l)`` read off ``A_l`` for most activations and kept from the
forward pass for the others, and hidden units dropped by ``_dropout`` masking
``A_l`` and ``delta_l`` alike. Parameters, gradients and optimizer moments are
flat buffers in the layout of ``_layout.ParameterLayout``; activations and
error terms of a batch live in one flat workspace allocated once per fit.
Where each layer's blocks start is computed once per kernel call
(``_forward.network_offsets``), so nothing is allocated per mini-batch.

Because layers, activations, losses and optimizers are all runtime values,
each kernel compiles once per dtype.
"""

import numpy as np

from ._activations import (
    multiply_any_derivative_inplace,
    multiply_derivative_inplace,
    multiply_kept_derivative_inplace,
    multiply_parametric_derivative_inplace,
    keeps_derivative,
)
from ._borrowed import borrowed
from ._config import kernel
from ._dropout import drop_error_terms_inplace
from ._forward import (  # noqa: F401  (codes and helpers re-exported for callers of the kernels)
    ACT,
    COEF,
    INDEX_DTYPE,
    INTERCEPT,
    IS_SPARSE,
    LOSS,
    MEAN_OVER_OUTPUTS,
    OUTPUT_ACTIVATION,
    PARAMETRIC,
    DERIV,
    PREDICT_CHUNK_ROWS,
    USE_WEIGHT,
    X_TRANSPOSED,
    csr_rows_transpose_dot,
    forward_batch_inplace,
    kernel_extras,
    layer_activation,
    layers_workspace_size,
    make_codes,
    network_offsets,
    no_sparse_input,
    parametric_blocks,
    predict_inplace,
)
from ._input_layers import (
    ALPHA_AT,
    batch_front,
    full_batch_front,
    input_blocks,
    input_layers_backward_inplace,
    input_workspace_size,
)
from ._losses import is_canonical, loss_and_output_delta
from ._optimizers import (
    DROPOUT_FACTOR,
    LEARNING_RATE_FACTOR,
    MAX_GRAD_NORM,
    STEP,
    WEIGHT_DECAY_FACTOR,
    clip_scale,
    gradient_squares,
    grouped_adam_step_inplace,
    optimizer_step_inplace,
    record_steps,
    scale_range_inplace,
)
from ._team import barrier, share, sum_parts_inplace, team_total
from ._validation_pass import gather_validation_rows, store_validation_outputs, validation_extras, validation_rows

@kernel
def sum_of_squared_weights(params, n_coefs):
    """``sum_l ||W_l||^2``: the weights are the first ``n_coefs`` entries."""
    total = 0.0
    for j in range(n_coefs):
        total += params[j] * params[j]
    return total


@kernel
def weight_sum_of(sample_weight, use_weight, n_rows):
    """S: the sum of the sample weights, or the row count without weights."""
    if not use_weight:
        return float(n_rows)
    total = 0.0
    for i in range(n_rows):
        total += sample_weight[i]
    return total


@kernel
def backward_batch_inplace(
    Xb, xb_transposed, X_data, X_indices, X_indptr, rows, params, grads, layer_units, codes, offsets, acts,
    deltas, derivs, extras, first_row, n_rows, front,
):  # fmt: skip
    """Backward pass of ``n_rows`` rows: every gradient, into ``grads``.

    The rows and the workspace blocks are those of the batch's forward pass
    (``_forward.forward_batch_inplace``): ``acts`` holds every layer's
    activations, ``derivs`` the derivatives ``f'(Z)`` layers keep, and the
    output block of ``deltas`` the output error term ``loss_and_output_delta``
    wrote (``dE/dZ_L``, or ``dE/dA_L`` behind a non-canonical output
    activation, which is multiplied by ``f'(Z_L)`` here); the hidden blocks
    of ``deltas`` are written. ``extras`` and ``first_row`` as in the forward
    pass. The L2 term is left to the caller: the optimizer step adds
    ``(alpha / S) W`` in its own pass over the weights. ``front`` as in the
    forward pass: the tabular models' input layers get their gradients from
    ``dX0 = delta_0 W_0^T``, one GEMM more, and their parametric activations'
    ``alpha`` theirs.
    """
    # Slices of these are not reference counted (see _borrowed).
    Xb, rows, params, grads = borrowed(Xb), borrowed(rows), borrowed(params), borrowed(grads)
    X_data, X_indices, X_indptr = borrowed(X_data), borrowed(X_indices), borrowed(X_indptr)
    acts, deltas, derivs = borrowed(acts), borrowed(deltas), borrowed(derivs)
    layer_units, codes, offsets = borrowed(layer_units), borrowed(codes), borrowed(offsets)
    n_layers = layer_units.shape[0] - 1
    n_outputs = layer_units[n_layers]
    dropout_factor = 1.0
    if front is not None:
        dropout_factor = front[2]
    out_start = offsets[ACT, n_layers - 1]
    delta = deltas[out_start : out_start + n_rows * n_outputs].reshape((n_rows, n_outputs))
    grad_b = grads[offsets[INTERCEPT, n_layers - 1] : offsets[INTERCEPT, n_layers]]
    if is_canonical(codes[LOSS], codes[OUTPUT_ACTIVATION]):
        grad_b[:] = 0
        for i in range(n_rows):
            for k in range(n_outputs):
                grad_b[k] += delta[i, k]
    else:  # delta_L = dE/dA_L * f'(Z_L), and its column sums
        A_out = acts[out_start : out_start + n_rows * n_outputs].reshape((n_rows, n_outputs))
        multiply_derivative_inplace(A_out, delta, codes[OUTPUT_ACTIVATION], grad_b)

    for l in range(n_layers - 1, -1, -1):
        n_in = layer_units[l]
        n_out = layer_units[l + 1]
        W = params[offsets[COEF, l] : offsets[COEF, l + 1]].reshape((n_in, n_out))
        grad_W = grads[offsets[COEF, l] : offsets[COEF, l + 1]].reshape((n_in, n_out))
        delta = deltas[offsets[ACT, l] : offsets[ACT, l] + n_rows * n_out].reshape((n_rows, n_out))
        if l == 0:
            if front is not None:
                x_in, X0, dX0, cosines, sines, scratch = input_blocks(front[0], front[1], n_rows)
                np.dot(X0.T, delta, grad_W)
                np.dot(delta, W.T, dX0)
                input_layers_backward_inplace(Xb, params, grads, front[0], front[1])
            elif codes[IS_SPARSE]:
                csr_rows_transpose_dot(X_data, X_indices, X_indptr, rows, delta, grad_W)
            elif xb_transposed:
                np.dot(Xb, delta, grad_W)
            else:
                np.dot(Xb.T, delta, grad_W)
        else:
            A_prev = acts[offsets[ACT, l - 1] : offsets[ACT, l - 1] + n_rows * n_in].reshape((n_rows, n_in))
            np.dot(A_prev.T, delta, grad_W)
            # delta_{l-1} = (delta_l W_l^T) * f'(A_{l-1}): a hidden unit feeds
            # every unit above it, so its error is the sum over them (a GEMM).
            delta_prev = deltas[offsets[ACT, l - 1] : offsets[ACT, l - 1] + n_rows * n_in].reshape((n_rows, n_in))
            np.dot(delta, W.T, delta_prev)
            grad_b_prev = grads[offsets[INTERCEPT, l - 1] : offsets[INTERCEPT, l]]
            code = layer_activation(codes, l - 1, n_layers)
            if extras is None:
                multiply_derivative_inplace(A_prev, delta_prev, code, grad_b_prev)
            elif front is not None and codes[PARAMETRIC]:  # D and G carry the dropout mask
                D, G = parametric_blocks(derivs, offsets, l - 1, n_rows, n_in)
                alpha_at = front[0][ALPHA_AT] + offsets[INTERCEPT, l - 1] - offsets[INTERCEPT, 0]
                multiply_parametric_derivative_inplace(D, G, delta_prev, grad_b_prev, grads[alpha_at : alpha_at + n_in])
            else:
                if extras.shape[0] > 0:
                    drop_error_terms_inplace(A_prev, delta_prev, extras, l - 1, first_row, dropout_factor)
                if keeps_derivative(code):
                    D = derivs[offsets[DERIV, l - 1] : offsets[DERIV, l - 1] + n_rows * n_in].reshape((n_rows, n_in))
                    multiply_kept_derivative_inplace(D, delta_prev, grad_b_prev)
                else:
                    multiply_any_derivative_inplace(A_prev, delta_prev, code, grad_b_prev)


# Columns of ``part_sums`` (n_threads, 8): each thread's share of the batch's
# loss, of the squared weights and of the squared gradient. np.int64, not
# Python ints: a literal argument compiles a specialisation per value (team_total
# compiled three times).
LOSS_COLUMN, WEIGHT_SQUARES_COLUMN, GRADIENT_SQUARES_COLUMN = np.int64(0), np.int64(1), np.int64(2)

# Slots of the float64 ``progress`` vector of ``train_epoch_inplace``: the rows
# of ``sample_idx`` a call trains on, the L2 penalty carried from one call to
# the next, the rows trained on before this epoch (the estimator's ``t_``, from
# which dropout counts the rows, ``_dropout``), and VALIDATE: the call predicts
# the tabular models' validation rows instead (``_validation_pass``).
FIRST_ROW, STOP_ROW, PENALTY, ROWS_BEFORE, VALIDATE = range(5)
N_PROGRESS = 5


def training_workspace_size(layer_units, codes, batch_size, is_sparse, n_threads=1, spec=None, x_width=None):
    """Length of the flat workspace ``train_epoch_inplace`` uses.

    One block per thread, for its ``ceil(batch_size / n_threads)`` rows: per
    row the gathered inputs (dense only), targets and sample weight, then
    every layer's activations, error terms and kept derivatives, then (the
    tabular models, ``spec``) the input layers' workspace. ``x_width``: the
    columns of X where they are not the first layer's inputs (an encoded
    table's).
    """
    n_features, n_outputs = layer_units[0] if x_width is None else x_width, layer_units[-1]
    part_rows = -(-batch_size // n_threads)
    gathered = part_rows * ((0 if is_sparse else n_features) + n_outputs + 1)
    inputs = 0 if spec is None else input_workspace_size.py_func(spec, part_rows)
    return int(n_threads * (gathered + layers_workspace_size(layer_units, codes, part_rows) + inputs))


@kernel(entry=True)
def train_epoch_inplace(
    X, X_csr, Y, sample_weight, sample_idx, batch_size, params, grads, part_grads, part_sums,
    optimizer, layer_units, codes, extras, alpha, eps, ws, progress, tabular, tid, n_threads, sync,
):  # fmt: skip
    """Mini-batch training on part of an epoch, updating ``params`` and the
    optimizer state ``optimizer = (m, v, hyper)`` in place; run by every
    thread of a team (``_team``), or by one thread alone (``n_threads == 1``).

    Batches are consecutive slices of ``sample_idx`` (the epoch's order of
    row indices into X, Y and sample_weight), the last one possibly shorter;
    a call trains on the rows ``progress[FIRST_ROW]:progress[STOP_ROW]`` of it
    (a whole number of batches), so that the caller regains control, and
    Python a chance to act on Ctrl-C, every few batches. ``X_csr = (data,
    indices, indptr)`` holds a sparse X; a dense X given transposed
    (``codes[X_TRANSPOSED]``) is gathered transposed too. Per batch, each
    thread gathers its block of the batch's rows into its block of ``ws``,
    runs the forward and backward pass on them into ``part_grads[tid]``
    (into ``grads`` when alone), and after a barrier sums the parts over its
    share of the parameters and applies the optimizer to that share
    (``_optimizers.optimizer_step_inplace``); a second barrier ends the batch.
    A batch whose sample weights sum to zero has no defined gradient (it is
    divided by that sum): it is skipped, taking no optimizer step.
    ``part_sums`` (n_threads, 8) carries each thread's loss and squared
    weights. The workers stay in the kernel, waiting for the next call at the
    first barrier, until the team stops (leaving the kernel to wait in
    Python, for the GIL, cost 50-100 us per call in thread wake-ups). The
    gradient is the sum of the parts, so the model is the same whatever the
    split, up to rounding.

    Returns ``sum_batches loss_batch * n_rows_batch`` over the call's batches,
    which summed over the epoch and divided by the number of rows is
    scikit-learn's ``loss_`` (0 if the team was stopped). Adam's step count in
    ``hyper`` counts the steps taken when the call returns. ``extras`` as in
    ``_forward.forward_batch_inplace``: None, or the dropout vector, from
    which each row draws its masks, the row at position p of the epoch's
    order counted ``progress[ROWS_BEFORE] + p``.

    ``tabular`` is None but for the tabular models: ``(spec, groups,
    group_factors, step_factors, X_val, out_val)``, their input layers
    (``_input_layers``; X is then an encoded table, whose rows the input
    layers turn into the first layer's input), the parameter groups of their
    Adam steps (``_optimizers.grouped_adam_step_inplace``), the schedules'
    factors of each batch of the epoch, ``(learning rate, weight decay,
    dropout)`` per row of ``step_factors``, and the validation rows a call
    with ``progress[VALIDATE]`` set predicts into ``out_val`` instead of
    training (``_validation_pass``).
    """
    X_data, X_indices, X_indptr = X_csr
    opt_m, opt_v, opt_hyper = optimizer
    # Slices of these are not reference counted (see _borrowed).
    X, Y, sample_weight, sample_idx = borrowed(X), borrowed(Y), borrowed(sample_weight), borrowed(sample_idx)
    params, grads, part_grads, ws = borrowed(params), borrowed(grads), borrowed(part_grads), borrowed(ws)
    n_layers = layer_units.shape[0] - 1
    n_outputs = layer_units[n_layers]
    is_sparse = codes[IS_SPARSE] != 0
    use_weight = codes[USE_WEIGHT] != 0
    x_transposed = codes[X_TRANSPOSED] != 0
    x_width = 0 if is_sparse else (X.shape[0] if x_transposed else X.shape[1])
    part_capacity = (batch_size + n_threads - 1) // n_threads
    offsets = network_offsets(layer_units, codes, part_capacity)
    n_coefs = offsets[COEF, n_layers]
    # This thread's block of the workspace: its gathered rows, then its
    # activations and error terms.
    block = ws.shape[0] // n_threads
    my_ws = ws[tid * block : (tid + 1) * block]
    Xbuf = my_ws[: part_capacity * x_width]
    Ybuf = my_ws[part_capacity * x_width : part_capacity * (x_width + n_outputs)]
    swbuf = my_ws[part_capacity * (x_width + n_outputs) : part_capacity * (x_width + n_outputs + 1)]
    layers_ws = my_ws[part_capacity * (x_width + n_outputs + 1) :]
    n_acts = offsets[ACT, n_layers]
    acts, deltas = layers_ws[:n_acts], layers_ws[n_acts : 2 * n_acts]
    derivs = layers_ws[2 * n_acts : 2 * n_acts + offsets[DERIV, n_layers]]
    inputs_ws = layers_ws[2 * n_acts + offsets[DERIV, n_layers] :]
    out_start = offsets[ACT, n_layers - 1]
    my_grads = grads if n_threads == 1 else part_grads[tid]
    param_lo, param_hi = share(params.shape[0], tid, n_threads)
    while barrier(sync, n_threads):  # workers wait here between calls
        validating = progress[VALIDATE] != 0  # the tabular models' validation rows (_validation_pass)
        first_row = 0 if validating else np.int64(progress[FIRST_ROW])
        stop_row = validation_rows(tabular) if validating else np.int64(progress[STOP_ROW])
        rows_before = np.int64(progress[ROWS_BEFORE])
        first_step = opt_hyper[STEP]
        penalty = progress[PENALTY] if first_row > 0 or validating else sum_of_squared_weights(params, n_coefs)
        batch_extras = validation_extras(extras) if validating else extras
        accumulated_loss = 0.0
        n_batches = 0
        for start in range(first_row, stop_row, batch_size):
            stop = min(start + batch_size, stop_row)
            n_rows = stop - start
            batch_rows = sample_idx[start:stop]
            weight_sum = float(n_rows)
            if use_weight and not validating:  # S of the whole batch, summed in row order by every thread
                weight_sum = 0.0
                for i in range(n_rows):
                    weight_sum += sample_weight[batch_rows[i]]
                if weight_sum == 0.0:
                    continue  # every thread skips it alike
            lo, hi = share(n_rows, tid, n_threads)
            rows = batch_rows[lo:hi]
            Yb = Ybuf[: (hi - lo) * n_outputs].reshape((hi - lo, n_outputs))
            swb = swbuf[: hi - lo]
            if x_transposed:
                # The batch's rows, gathered transposed: each column of X is
                # read and each row of Xb written contiguously, and the GEMMs
                # take Xb transposed. (Gathered row-major instead, W1 on
                # Fortran-ordered input was 10% slower than on C-ordered.)
                Xb = Xbuf[: x_width * (hi - lo)].reshape((x_width, hi - lo))
                for j in range(x_width):
                    for i in range(hi - lo):
                        Xb[j, i] = X[j, rows[i]]
            else:
                Xb = Xbuf[: (hi - lo) * x_width].reshape((hi - lo, x_width))
            if validating:
                gather_validation_rows(tabular, Xb, start + lo)
            for i in range(0 if validating else hi - lo):
                r = rows[i]
                if not x_transposed:
                    for j in range(x_width):
                        Xb[i, j] = X[r, j]
                for k in range(n_outputs):
                    Yb[i, k] = Y[r, k]
                if use_weight:
                    swb[i] = sample_weight[r]
            # The forward pass, the loss and the backward pass of this thread's
            # rows, called from here rather than from one kernel calling the
            # three: Numba optimises and emits a kernel's callees again inside
            # every kernel above it, and this level less took a cold fit's LLVM
            # time from 6.9 to 5.6 s (IR 45.9k to 40.2k lines; one profile each,
            # LLVM counted as benchmarks/cold_start.py --profile counts it).
            n_part = hi - lo
            first_part_row = rows_before + start + lo
            A_out = acts[out_start : out_start + n_part * n_outputs].reshape((n_part, n_outputs))
            delta_out = deltas[out_start : out_start + n_part * n_outputs].reshape((n_part, n_outputs))
            front = batch_front(tabular, inputs_ws, 0 if validating else start // batch_size)
            forward_batch_inplace(
                Xb, x_transposed, X_data, X_indices, X_indptr, rows, params, layer_units, codes, offsets, acts,
                derivs, batch_extras, first_part_row, A_out, front,
            )  # fmt: skip
            if validating:
                store_validation_outputs(tabular, A_out, start + lo)
                continue
            batch_loss = loss_and_output_delta(
                Yb, A_out, swb, use_weight, weight_sum, codes[LOSS], eps, codes[MEAN_OVER_OUTPUTS] != 0, delta_out,
            )  # fmt: skip
            backward_batch_inplace(
                Xb, x_transposed, X_data, X_indices, X_indptr, rows, params, my_grads, layer_units, codes, offsets,
                acts, deltas, derivs, extras, first_part_row, n_part, front,
            )  # fmt: skip
            if n_threads > 1:
                part_sums[tid, LOSS_COLUMN] = batch_loss
                if not barrier(sync, n_threads):
                    return 0.0
                batch_loss = team_total(part_sums, LOSS_COLUMN)
                sum_parts_inplace(part_grads, grads, param_lo, param_hi)
            batch_loss += 0.5 * alpha * penalty / weight_sum
            accumulated_loss += batch_loss * n_rows
            n_batches += 1
            l2 = alpha / weight_sum
            if opt_hyper[MAX_GRAD_NORM] > 0:  # clip the whole gradient, L2 term included
                grad_squares = gradient_squares(params, grads, n_coefs, l2, param_lo, param_hi)
                if n_threads > 1:
                    part_sums[tid, GRADIENT_SQUARES_COLUMN] = grad_squares
                    if not barrier(sync, n_threads):
                        return 0.0
                    grad_squares = team_total(part_sums, GRADIENT_SQUARES_COLUMN)
                scale = clip_scale(grad_squares, opt_hyper[MAX_GRAD_NORM])
                if scale < 1.0:
                    scale_range_inplace(grads, param_lo, param_hi, scale)
                    l2 *= scale
            if tabular is None:
                squares = optimizer_step_inplace(
                    params, grads, opt_m, opt_v, opt_hyper, n_coefs, l2, param_lo, param_hi, first_step + n_batches
                )
            else:
                step_factors = tabular[3][start // batch_size]
                squares = grouped_adam_step_inplace(
                    params, grads, opt_m, opt_v, opt_hyper, tabular[1], tabular[2], step_factors[LEARNING_RATE_FACTOR],
                    step_factors[WEIGHT_DECAY_FACTOR], param_lo, param_hi, first_step + n_batches,
                )  # fmt: skip
            if n_threads > 1:
                part_sums[tid, WEIGHT_SQUARES_COLUMN] = squares
                if not barrier(sync, n_threads):
                    return 0.0
                squares = team_total(part_sums, WEIGHT_SQUARES_COLUMN)
            penalty = squares
        # Every thread has read the call's progress before any returns (the
        # caller writes the next call's rows as soon as thread 0 returns): a
        # batch's barriers see to it, and a call whose batches were all
        # skipped, or that predicted validation rows (no barrier per batch),
        # meets here. (A barrier after reading, in every call, cost W2 a
        # third barrier per batch: it runs two batches per call.)
        if (validating or n_batches == 0) and not barrier(sync, n_threads):
            return 0.0
        if tid == 0:
            record_steps(opt_hyper, np.int64(n_batches))
            progress[PENALTY] = penalty
            return accumulated_loss
    return 0.0


@kernel(entry=True)
def full_batch_loss_and_grad(
    X, X_csr, Y, sample_weight, params, grads, part_grads, part_sums, layer_units, codes, extras, first_row, alpha,
    eps, ws, spec, tid, n_threads, sync,
):  # fmt: skip
    """Loss and gradient over all rows at once (L-BFGS); ``grads`` is written.

    X is used in place (never gathered); ``ws`` holds the activations and
    error terms of every row, in ``n_threads`` blocks of
    ``ceil(n_samples / n_threads)`` rows (``layers_workspace_size``).
    ``extras`` as in ``_forward.forward_batch_inplace``, the rows counted
    from ``first_row`` (the estimators pass no dropout here: L-BFGS needs a
    deterministic loss; the low-level API uses it for gradient checks under
    a fixed mask). Run by a team as
    ``train_epoch_inplace`` is: each thread takes a block of rows into
    ``part_grads[tid]``, then sums the parts and adds the L2 term over its
    share of the parameters; workers stay in the kernel between calls. W5
    (digits, lbfgs) went from 0.30 to 0.18 s (medians of 7) with two threads
    on the 2-core dev machine. A transposed X (``codes[X_TRANSPOSED]``) is
    used whole, by one thread: its row blocks are not contiguous. ``spec``:
    None, or the tabular models' input layers (``_input_layers``; for the
    gradient checks), whose workspace follows each thread's layers in ``ws``.
    """
    X_data, X_indices, X_indptr = X_csr
    n_samples = Y.shape[0]
    n_layers = layer_units.shape[0] - 1
    use_weight = codes[USE_WEIGHT] != 0
    offsets = network_offsets(layer_units, codes, (n_samples + n_threads - 1) // n_threads)
    n_coefs = offsets[COEF, n_layers]
    weight_sum = weight_sum_of(sample_weight, use_weight, n_samples)
    x_transposed = codes[X_TRANSPOSED] != 0
    n_outputs = layer_units[n_layers]
    n_acts = offsets[ACT, n_layers]
    out_start = offsets[ACT, n_layers - 1]
    while barrier(sync, n_threads):  # workers wait here between calls
        lo, hi = share(n_samples, tid, n_threads)
        rows = np.arange(lo, hi) if codes[IS_SPARSE] else np.empty(0, dtype=np.int64)
        block = ws.shape[0] // n_threads
        my_ws = ws[tid * block : (tid + 1) * block]
        acts, deltas = my_ws[:n_acts], my_ws[n_acts : 2 * n_acts]
        derivs = my_ws[2 * n_acts : 2 * n_acts + offsets[DERIV, n_layers]]
        front = full_batch_front(spec, my_ws[2 * n_acts + offsets[DERIV, n_layers] :])
        Xb = X if x_transposed else X[lo:hi]
        my_grads = grads if n_threads == 1 else part_grads[tid]
        A_out = acts[out_start : out_start + (hi - lo) * n_outputs].reshape((hi - lo, n_outputs))
        delta_out = deltas[out_start : out_start + (hi - lo) * n_outputs].reshape((hi - lo, n_outputs))
        forward_batch_inplace(
            Xb, x_transposed, X_data, X_indices, X_indptr, rows, params, layer_units, codes, offsets, acts, derivs,
            extras, first_row + lo, A_out, front,
        )  # fmt: skip
        loss = loss_and_output_delta(
            Y[lo:hi], A_out, sample_weight[lo:hi] if use_weight else sample_weight, use_weight, weight_sum,
            codes[LOSS], eps, codes[MEAN_OVER_OUTPUTS] != 0, delta_out,
        )  # fmt: skip
        backward_batch_inplace(
            Xb, x_transposed, X_data, X_indices, X_indptr, rows, params, my_grads, layer_units, codes, offsets, acts,
            deltas, derivs, extras, first_row + lo, hi - lo, front,
        )  # fmt: skip
        param_lo, param_hi = share(params.shape[0], tid, n_threads)
        if n_threads > 1:
            part_sums[tid, LOSS_COLUMN] = loss
            if not barrier(sync, n_threads):
                return 0.0
            loss = team_total(part_sums, LOSS_COLUMN)
            sum_parts_inplace(part_grads, grads, param_lo, param_hi)
        loss += 0.5 * alpha * sum_of_squared_weights(params, n_coefs) / weight_sum
        l2 = alpha / weight_sum
        # sliced first: loops indexed from 0 vectorise (see sum_parts_inplace)
        weight_grads = grads[param_lo : max(param_lo, min(param_hi, n_coefs))]
        weights = params[param_lo : param_lo + weight_grads.shape[0]]
        for j in range(weight_grads.shape[0]):
            weight_grads[j] += l2 * weights[j]
        if not barrier(sync, n_threads):  # every share of grads is written
            return 0.0
        if tid == 0:
            return loss
    return 0.0
