"""The tabular models' input layers, in front of the first dense layer:
periodic numerical embeddings, categorical embeddings and a per-feature scale
(RealMLP-TD's, Holzmueller et al. 2024; see docs/MATH.md).

A row of the encoded table (``_tabular_encoding``) is ``[numeric (N), binary
(B), codes (L)]``, the codes of the embedded categorical columns stored as
floats (exact below 2^24 categories). The input layers turn it into the first
dense layer's input, ``X0`` (d_in wide), in this order:

    [PBLD(x_1) (P), ..., PBLD(x_N) (P), x_1..x_N, binary, E(c_1) (E), ..., E(c_L) (E)]

- PBLD, per numeric feature f: ``e_f = M_f^T cos(2 pi w_f x_f + phi_f) + m_f``
  with ``F`` frequencies ``w_f`` and phases ``phi_f``, a linear map ``M_f``
  (F x P) and its bias ``m_f``; the value ``x_f`` itself follows all of them
  (pytabkit's "densenet" copy). ``P = 0``: no numerical embeddings.
- E(c): row ``c`` of the column's embedding table (E wide; row 0 stands for a
  missing or unseen category).
- The scale: ``X0 = x_in * s``, one factor per input column (when switched on).

The network description is the int64 vector ``spec`` (slots below), whose
``*_AT`` entries are offsets of each parameter block in the flat parameter
buffer (after the dense layers' ``W`` and ``b``, see ``_tabular_network``).
Backward, from ``dX0 = delta_0 W_0^T``: the gradients of the scale, the PBLD
parameters and the embedding rows the batch used (every table entry's
gradient is written, zero where no row used it).
"""

import numpy as np
from numba.core import types
from numba.extending import overload

from ._config import kernel
from ._elementary import cos_sin_turns, cos_sin_turns32

# Slots of ``spec``. PARAMETRIC: the hidden activations are parametric,
# ``A = Z + alpha (f(Z) - Z)`` with one alpha per unit from ALPHA_AT on.
(N_NUMERIC, N_BINARY, N_EMBEDDED, EMBEDDING_SIZE, N_FREQUENCIES, PBLD_OUTPUTS, SCALED, PARAMETRIC,
 SCALE_AT, ALPHA_AT, FREQUENCY_AT, PHASE_AT, MIX_AT, MIX_BIAS_AT, TABLES_AT, FIRST_TABLE_ROW) = range(16)  # fmt: skip

_INV_TWO_PI = 0.15915494309189533577
_TWO_PI = 6.283185307179586477


def input_width(spec):
    """d_in: the width of ``X0``."""
    n = spec[N_NUMERIC]
    return int(n * spec[PBLD_OUTPUTS] + n + spec[N_BINARY] + spec[N_EMBEDDED] * spec[EMBEDDING_SIZE])


@kernel
def input_workspace_size(spec, rows):
    """Entries of the input layers' workspace for ``rows`` rows: ``x_in``,
    ``X0`` and ``dX0`` (d_in each), the embedding's cosines and sines, and
    ``P + 2`` rows of scratch."""
    n = spec[N_NUMERIC]
    d_in = n * spec[PBLD_OUTPUTS] + n + spec[N_BINARY] + spec[N_EMBEDDED] * spec[EMBEDDING_SIZE]
    waves = n * spec[N_FREQUENCIES] if spec[PBLD_OUTPUTS] > 0 else 0
    return rows * (3 * d_in + 2 * waves + spec[PBLD_OUTPUTS] + 2)


@kernel
def input_blocks(spec, ws, rows):
    """``(x_in, X0, dX0, cosines, sines, scratch)``: the workspace's blocks for
    ``rows`` rows, (rows, d_in) each, (N F, rows) for the waves (row index
    last: the embedding's loops run along the rows, where they vectorise)
    and (P + 2, rows) of scratch."""
    n = spec[N_NUMERIC]
    d_in = n * spec[PBLD_OUTPUTS] + n + spec[N_BINARY] + spec[N_EMBEDDED] * spec[EMBEDDING_SIZE]
    waves = n * spec[N_FREQUENCIES] if spec[PBLD_OUTPUTS] > 0 else 0
    block = rows * d_in
    x_in = ws[:block].reshape((rows, d_in))
    X0 = ws[block : 2 * block].reshape((rows, d_in))
    dX0 = ws[2 * block : 3 * block].reshape((rows, d_in))
    cosines = ws[3 * block : 3 * block + rows * waves].reshape((waves, rows))
    sines = ws[3 * block + rows * waves : 3 * block + 2 * rows * waves].reshape((waves, rows))
    at = 3 * block + 2 * rows * waves
    scratch = ws[at : at + (spec[PBLD_OUTPUTS] + 2) * rows].reshape((spec[PBLD_OUTPUTS] + 2, rows))
    return x_in, X0, dX0, cosines, sines, scratch


@kernel
def pbld_forward(Xb, params, spec, x_in, cosines, sines, scratch):
    """The periodic embeddings of the numeric columns into ``x_in``'s first
    ``N P`` columns, keeping the waves' cosines and sines (N F, n_rows).

    Feature by feature, along the rows: each feature's column is copied once,
    then every loop runs over the rows, contiguous, and vectorises
    (element by element along a row's waves, with the row's feature found by
    division, it took 10 ms a batch of cells' shapes, 56 features).
    """
    n_rows = Xb.shape[0]
    n, n_freq, n_mix = spec[N_NUMERIC], spec[N_FREQUENCIES], spec[PBLD_OUTPUTS]
    frequency = params[spec[FREQUENCY_AT] : spec[FREQUENCY_AT] + n * n_freq]
    phase = params[spec[PHASE_AT] : spec[PHASE_AT] + n * n_freq]
    mix = params[spec[MIX_AT] : spec[MIX_AT] + n * n_freq * n_mix].reshape((n * n_freq, n_mix))
    mix_bias = params[spec[MIX_BIAS_AT] : spec[MIX_BIAS_AT] + n * n_mix]
    x, out = scratch[0], scratch[1]
    inv_two_pi = Xb.dtype.type(_INV_TWO_PI)
    for f in range(n):
        for i in range(n_rows):
            x[i] = Xb[i, f]
        for k in range(n_freq):
            j = f * n_freq + k
            w, shift = frequency[j], inv_two_pi * phase[j]
            c, s = cosines[j], sines[j]
            if Xb.itemsize == 4:  # in float32 arithmetic: 1.9 -> 0.9 ns per pair
                for i in range(n_rows):
                    c[i], s[i] = cos_sin_turns32(w * x[i] + shift)
            else:
                for i in range(n_rows):
                    c[i], s[i] = cos_sin_turns(w * x[i] + shift)
        for o in range(n_mix):
            out[:] = mix_bias[f * n_mix + o]
            for k in range(n_freq):
                m = mix[f * n_freq + k, o]
                c = cosines[f * n_freq + k]
                for i in range(n_rows):
                    out[i] += m * c[i]
            for i in range(n_rows):
                x_in[i, f * n_mix + o] = out[i]


@kernel
def pbld_backward(Xb, params, grads, spec, dX0, cosines, sines, scratch):
    """The periodic embeddings' gradients from ``dx_in`` (in ``dX0``): per
    feature, with ``g_o`` the rows' ``dx_in`` of its output o, ``dM[k, o] =
    sum_i c_ki g_oi``, ``dm[o] = sum_i g_oi``, ``da_ki = -s_ki sum_o M[k, o]
    g_oi``, ``dphi_k = sum_i da_ki``, ``dw_k = sum_i 2 pi x_i da_ki``; loops
    along the rows, as the forward pass (P = 3, the recipe's: one loop per
    wave, ``da`` not stored)."""
    n_rows = Xb.shape[0]
    n, n_freq, n_mix = spec[N_NUMERIC], spec[N_FREQUENCIES], spec[PBLD_OUTPUTS]
    mix = params[spec[MIX_AT] : spec[MIX_AT] + n * n_freq * n_mix].reshape((n * n_freq, n_mix))
    grad_frequency = grads[spec[FREQUENCY_AT] : spec[FREQUENCY_AT] + n * n_freq]
    grad_phase = grads[spec[PHASE_AT] : spec[PHASE_AT] + n * n_freq]
    grad_mix = grads[spec[MIX_AT] : spec[MIX_AT] + n * n_freq * n_mix].reshape((n * n_freq, n_mix))
    grad_mix_bias = grads[spec[MIX_BIAS_AT] : spec[MIX_BIAS_AT] + n * n_mix]
    x, da, g = scratch[0], scratch[1], scratch[2:]
    # Sums in the data's type: float32 sums started at a Python 0.0 ran in
    # float64, converting every product (Caravan's 85 features, 128 rows: 179 -> 109 us).
    zero = Xb.dtype.type(0.0)
    for f in range(n):
        for i in range(n_rows):
            x[i] = Xb[i, f]
        for o in range(n_mix):
            total = zero
            for i in range(n_rows):
                g[o, i] = dX0[i, f * n_mix + o]
                total += g[o, i]
            grad_mix_bias[f * n_mix + o] = total
        for k in range(n_freq):
            j = f * n_freq + k
            c, s = cosines[j], sines[j]
            phase_total = zero
            frequency_total = zero
            if n_mix == 3:  # the recipe's: one pass, da never stored (109 -> 71-75 us)
                m0, m1, m2 = mix[j, 0], mix[j, 1], mix[j, 2]
                g0, g1, g2 = g[0], g[1], g[2]
                t0 = t1 = t2 = zero
                for i in range(n_rows):
                    ci = c[i]
                    t0 += ci * g0[i]
                    t1 += ci * g1[i]
                    t2 += ci * g2[i]
                    d = -s[i] * (m0 * g0[i] + m1 * g1[i] + m2 * g2[i])
                    phase_total += d
                    frequency_total += x[i] * d
                grad_mix[j, 0], grad_mix[j, 1], grad_mix[j, 2] = t0, t1, t2
            else:
                da[:] = 0.0
                for o in range(n_mix):
                    m = mix[j, o]
                    total = zero
                    for i in range(n_rows):
                        total += c[i] * g[o, i]
                        da[i] += m * g[o, i]
                    grad_mix[j, o] = total
                for i in range(n_rows):
                    d = -s[i] * da[i]
                    phase_total += d
                    frequency_total += x[i] * d
            grad_phase[j] = phase_total
            grad_frequency[j] = _TWO_PI * frequency_total


@kernel
def input_layers_forward_inplace(Xb, params, spec, ws):
    """``X0`` of the rows ``Xb`` (n_rows, N + B + L), written into its block
    of ``ws`` (with ``x_in``, the input before the scale, and the waves
    ``cos``/``sin`` the backward pass needs); returns ``X0`` (n_rows, d_in)."""
    n_rows = Xb.shape[0]
    n, n_binary, n_embedded = spec[N_NUMERIC], spec[N_BINARY], spec[N_EMBEDDED]
    width, n_freq, n_mix = spec[EMBEDDING_SIZE], spec[N_FREQUENCIES], spec[PBLD_OUTPUTS]
    x_in, X0, dX0, cosines, sines, scratch = input_blocks(spec, ws, n_rows)
    d_in = X0.shape[1]
    numeric_at = n * n_mix
    if n_mix > 0:
        pbld_forward(Xb, params, spec, x_in, cosines, sines, scratch)
    tables = params[spec[TABLES_AT] :]
    for i in range(n_rows):
        for j in range(n + n_binary):
            x_in[i, numeric_at + j] = Xb[i, j]
        at = numeric_at + n + n_binary
        for c in range(n_embedded):
            first = (spec[FIRST_TABLE_ROW + c] + np.int64(Xb[i, n + n_binary + c])) * width
            for e in range(width):
                x_in[i, at + c * width + e] = tables[first + e]
    if spec[SCALED]:
        scale = params[spec[SCALE_AT] : spec[SCALE_AT] + d_in]
        for i in range(n_rows):
            for j in range(d_in):
                X0[i, j] = x_in[i, j] * scale[j]
    else:
        X0[:, :] = x_in
    return X0


@kernel
def input_layers_backward_inplace(Xb, params, grads, spec, ws):
    """The input layers' gradients into ``grads``, from ``dX0`` (dE/dX0 of the
    batch's rows, in its block of ``ws``, overwritten: it becomes dE/dx_in).

    scale: ``sum_i x_in dX0``; then ``dx_in = dX0 s``. PBLD, with
    ``c = cos(a)``, ``a = 2 pi w x + phi`` and ``g`` the rows' ``dx_in`` of
    feature f's outputs: ``dM = sum_i c g^T``, ``dm = sum_i g``, ``da = -sin(a)
    (M g)``, ``dw = sum_i 2 pi x da``, ``dphi = sum_i da``. Embeddings: each
    row's ``dx_in`` of a column added to its table row's gradient.
    """
    n_rows = Xb.shape[0]
    n, n_binary, n_embedded = spec[N_NUMERIC], spec[N_BINARY], spec[N_EMBEDDED]
    width, n_freq, n_mix = spec[EMBEDDING_SIZE], spec[N_FREQUENCIES], spec[PBLD_OUTPUTS]
    x_in, X0, dX0, cosines, sines, scratch = input_blocks(spec, ws, n_rows)
    d_in = X0.shape[1]
    if spec[SCALED]:
        scale = params[spec[SCALE_AT] : spec[SCALE_AT] + d_in]
        grad_scale = grads[spec[SCALE_AT] : spec[SCALE_AT] + d_in]
        grad_scale[:] = 0
        for i in range(n_rows):
            for j in range(d_in):
                grad_scale[j] += x_in[i, j] * dX0[i, j]
                dX0[i, j] *= scale[j]
    if n_mix > 0:
        pbld_backward(Xb, params, grads, spec, dX0, cosines, sines, scratch)
    if n_embedded > 0:
        tables = grads[spec[TABLES_AT] :]
        tables[:] = 0
        at = n * n_mix + n + n_binary
        for i in range(n_rows):
            for c in range(n_embedded):
                first = (spec[FIRST_TABLE_ROW + c] + np.int64(Xb[i, n + n_binary + c])) * width
                for e in range(width):
                    tables[first + e] += dX0[i, at + c * width + e]


# ``front``, the argument by which the forward and backward passes see the
# input layers: None for the MLPs, ``(spec, workspace, dropout factor)`` for
# the tabular models. Built by these two functions, typed by their arguments'
# types: a kernel testing ``x is None`` on a tuple argument compiles both
# branches, and one returning None or a tuple from them returns an optional
# tuple, which the passes cannot index.


def batch_front(tabular, inputs_ws, batch):
    """The training passes' ``front`` for ``batch`` of the epoch: None, or
    ``(spec, inputs_ws, the batch's dropout factor)`` from ``tabular``
    (``_backprop.train_epoch_inplace``)."""


def full_batch_front(spec, inputs_ws):
    """``front`` of a full batch (no schedule): None, or ``(spec, inputs_ws, 1.0)``."""


@overload(batch_front)
def _batch_front(tabular, inputs_ws, batch):
    if isinstance(tabular, types.NoneType):
        return lambda tabular, inputs_ws, batch: None
    return lambda tabular, inputs_ws, batch: (tabular[0], inputs_ws, tabular[3][batch, 2])


@overload(full_batch_front)
def _full_batch_front(spec, inputs_ws):
    if isinstance(spec, types.NoneType):
        return lambda spec, inputs_ws: None
    return lambda spec, inputs_ws: (spec, inputs_ws, 1.0)
