"""The tabular models' validation rows, predicted by the training team.

After each epoch a tabular model predicts its validation rows to pick its
best epoch. Predicted from Python between the epoch kernel's calls, with a
helper thread for half the rows, they took 2.1 ms of cells' 13.6 ms epochs
(323 rows), 5.9 of taxi's 43 ms (1,600 rows) and 7.2 of Caravan's 44 ms
(1,165 rows): twice the one-thread GEMM floor, the helper's half on a thread
woken after 10 ms asleep gaining nothing. Instead the team that trains, whose
workers wait spinning inside the epoch kernel, predicts them in one more call
of that kernel (``progress[VALIDATE]`` set): the rows go through the batches'
own loop, in batches split among the threads as training batches are, forward
only and without dropout, through the same call of the forward pass. Whole
fits of one network took 0.91-0.96 of their time before (cells, taxi, Caravan,
ames; 256 epochs, two paired rounds). The cost: a cold compile of the tabular
kernels 31.6 -> 35.7 s (a second call of the forward pass, 37.4 s); the MLPs'
compile (0.99) and fits (W1, W6, W2: 0.998, 0.997, 1.004) as before.

The rows and their outputs, ``(X_val, out_val)``, end the tabular argument of
``_backprop.train_epoch_inplace`` (0 rows without validation). The MLPs'
argument is None, for which these helpers compile to nothing.
"""

import numpy as np
from numba.core import types
from numba.extending import overload

#: ``tabular[VALIDATION_X]``, ``tabular[VALIDATION_OUT]``: the validation
#: rows (encoded, C-contiguous) and their predicted outputs.
VALIDATION_X, VALIDATION_OUT = 4, 5


def validation_rows(tabular):
    """How many validation rows there are (0 for the MLPs)."""


def validation_extras(extras):
    """The forward pass's ``extras`` for the validation rows: the dropout
    vector emptied (no dropout), typed as the training's."""


def gather_validation_rows(tabular, Xb, first):
    """``Xb`` (n, x_width) <- the validation rows ``first:first + n``."""


def store_validation_outputs(tabular, A_out, first):
    """The validation outputs ``first:first + n`` <- ``A_out`` (n, n_outputs)."""


def _nothing_for_the_mlps(argument_type):
    return isinstance(argument_type, types.NoneType)


@overload(validation_rows)
def _validation_rows(tabular):
    if _nothing_for_the_mlps(tabular):
        return lambda tabular: np.int64(0)
    return lambda tabular: np.int64(tabular[VALIDATION_X].shape[0])


@overload(validation_extras)
def _validation_extras(extras):
    if _nothing_for_the_mlps(extras):
        return lambda extras: extras
    return lambda extras: extras[:0]


@overload(gather_validation_rows)
def _gather_validation_rows(tabular, Xb, first):
    if _nothing_for_the_mlps(tabular):
        return lambda tabular, Xb, first: None

    def impl(tabular, Xb, first):
        X_val = tabular[VALIDATION_X]
        for i in range(Xb.shape[0]):
            for j in range(Xb.shape[1]):
                Xb[i, j] = X_val[first + i, j]

    return impl


@overload(store_validation_outputs)
def _store_validation_outputs(tabular, A_out, first):
    if _nothing_for_the_mlps(tabular):
        return lambda tabular, A_out, first: None

    def impl(tabular, A_out, first):
        out_val = tabular[VALIDATION_OUT]
        for i in range(A_out.shape[0]):
            for k in range(A_out.shape[1]):
                out_val[first + i, k] = A_out[i, k]

    return impl
