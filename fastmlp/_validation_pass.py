"""The tabular models' validation rows, predicted by the training team.

After each epoch a tabular model predicts its validation rows to pick its
best epoch. Predicted from Python between the epoch kernel's calls, with a
helper thread for half the rows, they took 2.1 ms of cells' 13.6 ms epochs
(323 rows), 5.9 of taxi's 43 ms (1,600 rows) and 7.2 of Caravan's 44 ms
(1,165 rows): twice the one-thread GEMM floor, the helper's half on a thread
woken after 10 ms asleep gaining nothing. Here the team that trains, whose
workers wait spinning inside the epoch kernel, predicts them in one more call
of that kernel (``progress[VALIDATE]`` set): each thread its share of the
rows, in blocks of its training rows, through the training workspace and the
forward pass the batches take (no dropout; the same specialisation, so no
more compile time): 0.9 ms of cells' epochs, 2.7 ms of taxi's (64-epoch fits,
one network; whole fits 6-9% shorter).

The rows and the output ``(X_val, out_val)`` follow the tabular argument of
``_backprop.train_epoch_inplace`` (0 rows without validation); the MLPs'
argument is None, for which :func:`predict_validation_share` compiles to
nothing.
"""

import numpy as np
from numba.core import types
from numba.extending import overload

from ._forward import X_TRANSPOSED, forward_batch_inplace
from ._team import share

#: ``tabular[VALIDATION_X]``, ``tabular[VALIDATION_OUT]``: the validation
#: rows (encoded, C-contiguous) and their predicted outputs.
VALIDATION_X, VALIDATION_OUT = 4, 5


def predict_validation_share(tabular, X_csr, Xbuf, part_capacity, rows, params, layer_units, codes, offsets, acts,
                             derivs, extras, inputs_ws, out_start, tid, n_threads):  # fmt: skip
    """Thread ``tid``'s share of the validation rows ``tabular[VALIDATION_X]``
    predicted into ``tabular[VALIDATION_OUT]``, ``part_capacity`` rows at a
    time through the thread's training blocks (``Xbuf``, ``acts``,
    ``derivs``, ``inputs_ws``); ``rows`` is any int64 slice of the epoch's
    order (unused by a dense pass, typed as the training's), ``extras`` the
    training's dropout vector, of which no entry is used. Nothing for the
    MLPs (``tabular`` None)."""


@overload(predict_validation_share)
def _predict_validation_share(tabular, X_csr, Xbuf, part_capacity, rows, params, layer_units, codes, offsets, acts,
                              derivs, extras, inputs_ws, out_start, tid, n_threads):  # fmt: skip
    if isinstance(tabular, types.NoneType):
        return lambda tabular, X_csr, Xbuf, part_capacity, rows, params, layer_units, codes, offsets, acts, derivs, \
            extras, inputs_ws, out_start, tid, n_threads: None  # fmt: skip

    def impl(tabular, X_csr, Xbuf, part_capacity, rows, params, layer_units, codes, offsets, acts, derivs, extras,
             inputs_ws, out_start, tid, n_threads):  # fmt: skip
        X_val, out_val = tabular[VALIDATION_X], tabular[VALIDATION_OUT]
        x_width, n_outputs = X_val.shape[1], out_val.shape[1]
        X_data, X_indices, X_indptr = X_csr
        not_transposed = codes[X_TRANSPOSED] != 0  # False, typed as the training's flag
        front = (tabular[0], inputs_ws, 1.0)
        no_dropout = extras[:0]
        lo, hi = share(X_val.shape[0], tid, n_threads)
        for start in range(lo, hi, part_capacity):
            n = min(start + part_capacity, hi) - start
            Xb = Xbuf[: n * x_width].reshape((n, x_width))
            for i in range(n):
                for j in range(x_width):
                    Xb[i, j] = X_val[start + i, j]
            A_out = acts[out_start : out_start + n * n_outputs].reshape((n, n_outputs))
            forward_batch_inplace(
                Xb, not_transposed, X_data, X_indices, X_indptr, rows, params, layer_units, codes, offsets, acts,
                derivs, no_dropout, np.int64(start), A_out, front,
            )  # fmt: skip
            for i in range(n):
                for k in range(n_outputs):
                    out_val[start + i, k] = A_out[i, k]

    return impl
