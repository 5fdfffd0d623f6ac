"""The per-hidden-layer options: ``activation`` and ``dropout``, each one value
for every hidden layer or a sequence of one per layer."""

from numbers import Real

import numpy as np

from ._activations import HIDDEN_ACTIVATIONS


def _count(n, noun):
    return f"{n} {noun}" + ("" if n == 1 else "s")


def layer_activations(activation, n_hidden, parameter="activation"):
    """``activation`` checked against the network's depth: a name, or a list
    of ``n_hidden`` names (one per hidden layer, first layer first)."""
    names = [activation] if isinstance(activation, str) else list(activation)
    if not isinstance(activation, str) and len(names) != n_hidden:
        raise ValueError(
            f"{parameter} has {_count(len(names), 'name')} for {_count(n_hidden, 'hidden layer')}: give one "
            "activation for every hidden layer, or a single name."
        )
    for name in names:
        if name not in HIDDEN_ACTIVATIONS:
            raise ValueError(
                f"{parameter} must be one of {HIDDEN_ACTIVATIONS}, or a list of them (one per "
                f"hidden layer), got {name!r}."
            )
    return activation if isinstance(activation, str) else names


def activation_of_layer(activation, layer):
    """The activation name of weight layer ``layer`` (0-based); the output
    layer gets the last hidden layer's (scikit-learn draws the initial
    weights of every layer by its one ``activation``)."""
    if isinstance(activation, str):
        return activation
    return activation[min(layer, len(activation) - 1)] if len(activation) else "relu"


def dropout_rates(dropout, n_hidden):
    """The dropout rate of each hidden layer, as a float64 array of
    ``n_hidden``, from one rate for all or one per layer."""
    if isinstance(dropout, Real):
        return np.full(n_hidden, float(dropout))
    try:
        rates = np.asarray(dropout, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"dropout must be a rate or a sequence of rates (floats), got {dropout!r}.") from None
    if rates.ndim == 0:  # a 0-d array: one rate for all
        rates = np.full(n_hidden, float(rates))
    if rates.ndim != 1:
        raise ValueError(f"dropout must be a rate or a flat sequence of rates, got {dropout!r}.")
    if rates.shape[0] != n_hidden:
        raise ValueError(
            f"dropout has {_count(rates.shape[0], 'rate')} for {_count(n_hidden, 'hidden layer')}: give one rate for "
            "every hidden layer, or a single rate."
        )
    if not ((rates >= 0) & (rates < 1)).all():
        raise ValueError(f"Each dropout rate must be in [0, 1), got {list(map(float, rates))}.")
    return rates
