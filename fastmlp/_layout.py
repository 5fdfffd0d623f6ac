"""The flat parameter buffer, its per-layer views and initialisation.

All weights live in one 1-D buffer, in scikit-learn's ``_pack`` order: every
layer's ``W`` (row-major, ``n_in x n_out``) first, then every layer's ``b``.
``coefs_[i]`` and ``intercepts_[i]`` are reshaped views of it; gradients and
optimizer moments share the layout, so an optimizer step is one loop and the
L-BFGS vector is the buffer itself.
"""

import numpy as np

from ._layer_options import activation_of_layer


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

    def initialize(self, activation, random_state, dtype, weight_init="glorot_uniform"):
        """Initial weights by the scheme ``weight_init`` (``WEIGHT_INITS``),
        layer by layer, drawn in float64 from ``random_state`` and then cast.

        The default, ``"glorot_uniform"``, is scikit-learn's draw, in its
        order: the same ``random_state`` gives scikit-learn's weights.
        ``activation`` is the hidden activation, or one per hidden layer.
        """
        draw = WEIGHT_INITS[weight_init]
        buffer = np.empty(self.size, dtype=dtype)
        coefs, intercepts = self.views(buffer)
        for layer, (W, b) in enumerate(zip(coefs, intercepts)):
            W[...], b[...] = draw(random_state, *W.shape, activation_of_layer(activation, layer))
        return buffer


def _glorot_uniform(random_state, fan_in, fan_out, activation):
    """scikit-learn's: W, then b, from ``U(-bound, bound)`` with ``bound =
    sqrt(factor / (fan_in + fan_out))``, ``factor`` 2 for logistic units and
    6 otherwise."""
    factor = 2.0 if activation == "logistic" else 6.0
    bound = np.sqrt(factor / (fan_in + fan_out))
    return random_state.uniform(-bound, bound, (fan_in, fan_out)), random_state.uniform(-bound, bound, fan_out)


def _zero_bias(draw_weights):
    """A scheme drawing W by ``draw_weights(random_state, fan_in, fan_out)``
    and starting every bias at 0 (Keras' and PyTorch's convention)."""

    def draw(random_state, fan_in, fan_out, activation):
        return draw_weights(random_state, fan_in, fan_out), np.zeros(fan_out)

    return draw


def _normal(std):
    return lambda rng, fan_in, fan_out: rng.normal(0.0, std(fan_in, fan_out), (fan_in, fan_out))


def _uniform(bound):
    return lambda rng, fan_in, fan_out: rng.uniform(-bound(fan_in, fan_out), bound(fan_in, fan_out), (fan_in, fan_out))


#: name -> draw(random_state, fan_in, fan_out, activation) -> (W, b)
WEIGHT_INITS = {
    "glorot_uniform": _glorot_uniform,
    "glorot_normal": _zero_bias(_normal(lambda fan_in, fan_out: np.sqrt(2.0 / (fan_in + fan_out)))),
    "he_uniform": _zero_bias(_uniform(lambda fan_in, fan_out: np.sqrt(6.0 / fan_in))),
    "he_normal": _zero_bias(_normal(lambda fan_in, fan_out: np.sqrt(2.0 / fan_in))),
    "lecun_normal": _zero_bias(_normal(lambda fan_in, fan_out: np.sqrt(1.0 / fan_in))),
}


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
