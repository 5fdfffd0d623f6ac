"""The flat parameter buffer, its per-layer views, initialisation and workspaces.

All weights live in one 1-D buffer, in scikit-learn's ``_pack`` order: every
layer's ``W`` (row-major, ``n_in x n_out``) first, then every layer's ``b``.
``coefs_[i]`` and ``intercepts_[i]`` are reshaped views of it; gradients and
optimizer moments share the layout, so an optimizer step is one loop and the
L-BFGS vector is the buffer itself.
"""

import numpy as np


class ParameterLayout:
    """Where each layer's ``W`` and ``b`` sit in the flat buffer.

    Parameters
    ----------
    layer_units : sequence of int
        ``[n_features, hidden..., n_outputs]``.
    """

    def __init__(self, layer_units):
        self.layer_units = np.asarray(layer_units, dtype=np.int64)
        fan_in, fan_out = self.layer_units[:-1], self.layer_units[1:]
        coef_sizes = fan_in * fan_out
        self.coef_offsets = np.concatenate(([0], np.cumsum(coef_sizes)))
        self.intercept_offsets = self.coef_offsets[-1] + np.concatenate(([0], np.cumsum(fan_out)))
        self.size = int(self.intercept_offsets[-1])
        #: sum of the hidden layers' widths (prediction workspace per row)
        self.n_hidden_units = max(1, int(self.layer_units[1:-1].sum()))
        #: the largest layer's ``n_in * n_out``: a GEMM of r rows through it is
        #: the largest of the forward pass, ``r * largest_layer`` multiply-adds
        self.largest_layer = int(coef_sizes.max())

    @property
    def n_layers(self):
        """Number of weight layers (``n_layers_ - 1`` in scikit-learn)."""
        return len(self.layer_units) - 1

    def views(self, buffer):
        """``(coefs, intercepts)``: lists of views into ``buffer``."""
        coefs, intercepts = [], []
        for i in range(self.n_layers):
            n_in, n_out = int(self.layer_units[i]), int(self.layer_units[i + 1])
            start = self.coef_offsets[i]
            coefs.append(buffer[start : start + n_in * n_out].reshape(n_in, n_out))
            start = self.intercept_offsets[i]
            intercepts.append(buffer[start : start + n_out])
        return coefs, intercepts

    def pack(self, coefs, intercepts, dtype):
        """A new buffer holding copies of ``coefs`` and ``intercepts``."""
        buffer = np.empty(self.size, dtype=dtype)
        coef_views, intercept_views = self.views(buffer)
        for view, value in zip(coef_views + intercept_views, list(coefs) + list(intercepts)):
            view[...] = value
        return buffer

    def initialize(self, activation, random_state, dtype):
        """Glorot-uniform weights, drawn exactly as scikit-learn draws them.

        Per layer, first ``W`` of shape (fan_in, fan_out) then ``b``, both from
        ``U(-bound, bound)`` with ``bound = sqrt(factor / (fan_in + fan_out))``,
        ``factor`` 2 for logistic units and 6 otherwise, drawn in float64 and
        then cast, so that the same ``random_state`` gives the same weights.
        """
        factor = 2.0 if activation == "logistic" else 6.0
        buffer = np.empty(self.size, dtype=dtype)
        coefs, intercepts = self.views(buffer)
        for W, b in zip(coefs, intercepts):
            fan_in, fan_out = W.shape
            bound = np.sqrt(factor / (fan_in + fan_out))
            W[...] = random_state.uniform(-bound, bound, (fan_in, fan_out))
            b[...] = random_state.uniform(-bound, bound, fan_out)
        return buffer


def training_workspace_size(layer_units, batch_size, is_sparse, n_threads=1):
    """Length of the flat workspace the training kernels use for one batch.

    One block per thread, for its ``ceil(batch_size / n_threads)`` rows: per
    row the gathered inputs (dense only), targets and sample weight, then
    every layer's activations ``A`` and error terms ``delta``.
    """
    n_features, n_outputs = layer_units[0], layer_units[-1]
    part_rows = -(-batch_size // n_threads)
    per_row = (0 if is_sparse else n_features) + n_outputs + 1 + 2 * sum(layer_units[1:])
    return int(n_threads * part_rows * per_row)



class _ArrayInterface:
    def __init__(self, interface, base):
        self.__array_interface__ = interface
        self.base = base


def as_kernel_input(array):
    """``array`` itself, or for a read-only one a writeable-flagged view of it.

    Numba compiles a separate specialisation for read-only arrays (seconds,
    and one more entry per dtype); joblib hands read-only memmaps to GridSearchCV
    workers. Kernels never write their inputs, so a view flagged writeable
    reuses the one specialisation without copying the data.
    """
    if array.flags.writeable:
        return array
    interface = dict(array.__array_interface__)
    interface["data"] = (interface["data"][0], False)
    return np.asarray(_ArrayInterface(interface, array))
