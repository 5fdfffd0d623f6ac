"""Inverted dropout on hidden units, with masks from a counter-based generator.

A unit's mask is a hash of (seed, layer, row, unit), the row counted over
the whole training: the ``t_``-th row a model trains on (scikit-learn's
``t_``, the samples seen so far, across epochs, ``partial_fit`` calls and
``warm_start`` fits) is row ``t_``, wherever it falls in its batch. Nothing is
stored between the forward and the backward pass, which hashes again, a batch
split across threads draws exactly the masks one thread would, and no row is
ever drawn twice with the same key. The hash is SplitMix64's finaliser (Steele, Lea and
Flood 2014), which passes BigCrush on a counter; a unit is dropped when the
top 53 bits of its hash, as a fraction of 2^53, are below the rate.

Kept units are scaled by ``1 / (1 - rate)`` (inverted dropout), so that
nothing changes at prediction time, where there is no dropout.

The ``dropout`` vector the kernels take is ``[seed, rate_1, ..., rate_H]``,
one rate per hidden layer, or empty for no dropout.
"""

import numpy as np

from ._config import kernel

SEED = 0
FIRST_RATE = 1



def dropout_vector(rates, seed):
    """``[seed, rate_1, ..., rate_H]``, or empty (no dropout: the kernels skip
    it) when every rate is 0."""
    if not np.any(rates):
        return np.empty(0)
    return np.concatenate(([float(seed)], np.asarray(rates, dtype=np.float64)))


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_TWO_53 = 9007199254740992.0


@kernel
def mix64(z):
    """SplitMix64's finaliser: a bijection of uint64 with full avalanche."""
    z = (z ^ (z >> _S30)) * _MIX_1
    z = (z ^ (z >> _S27)) * _MIX_2
    return z ^ (z >> _S31)


@kernel
def row_key(dropout, layer, row):
    """The hash every unit of one row of one layer starts from."""
    h = mix64(np.uint64(dropout[SEED]) + _GOLDEN * np.uint64(layer + 1))
    return mix64(h + _GOLDEN * np.uint64(row + 1))


@kernel
def drop_threshold(rate):
    """A unit is dropped when its hash's top 53 bits are below this."""
    return np.uint64(rate * _TWO_53)


@kernel
def is_kept(key, unit, threshold):
    return (mix64(key + _GOLDEN * np.uint64(unit + 1)) >> _S11) >= threshold


@kernel
def drop_units_inplace(A, dropout, layer, first_row, factor):
    """Forward: ``A <- A * mask / (1 - rate)`` for hidden layer ``layer``, on
    the rows counted ``first_row, first_row + 1, ...``, with ``rate`` the
    layer's times ``factor`` (a schedule's; 1 without). No-op for a rate of 0."""
    rate = dropout[FIRST_RATE + layer] * factor
    if rate == 0.0:
        return
    threshold = drop_threshold(rate)
    scale = 1.0 / (1.0 - rate)
    for i in range(A.shape[0]):
        key = row_key(dropout, layer, first_row + i)
        for k in range(A.shape[1]):
            A[i, k] = A[i, k] * scale if is_kept(key, k, threshold) else 0.0


@kernel
def drop_units_keeping_inplace(A, D, G, dropout, layer, first_row, factor):
    """Forward, for a parametric layer: ``A``, and the ``D`` and ``G`` its
    backward pass multiplies the error terms by, times ``mask / (1 - rate)``:
    the backward pass then needs no mask of its own (recomputing the masks
    there took about as long as drawing them, 0.2 ms a 256-row batch of three
    256-unit layers)."""
    rate = dropout[FIRST_RATE + layer] * factor
    if rate == 0.0:
        return
    threshold = drop_threshold(rate)
    scale = A.dtype.type(1.0 / (1.0 - rate))
    zero = A.dtype.type(0.0)
    for i in range(A.shape[0]):
        key = row_key(dropout, layer, first_row + i)
        for k in range(A.shape[1]):
            kept = scale if is_kept(key, k, threshold) else zero
            A[i, k] *= kept
            D[i, k] *= kept
            G[i, k] *= kept


@kernel
def drop_error_terms_inplace(A, delta, dropout, layer, first_row, factor):
    """Backward, the same mask: ``delta <- delta * mask / (1 - rate)``, and
    ``A`` gets its value before dropout back (up to rounding) where it was
    kept, for ``f'(A)``. No-op for a rate of 0."""
    rate = dropout[FIRST_RATE + layer] * factor
    if rate == 0.0:
        return
    threshold = drop_threshold(rate)
    scale = 1.0 / (1.0 - rate)
    for i in range(A.shape[0]):
        key = row_key(dropout, layer, first_row + i)
        for k in range(A.shape[1]):
            if is_kept(key, k, threshold):
                A[i, k] *= 1.0 - rate
                delta[i, k] *= scale
            else:
                delta[i, k] = 0.0


@kernel(entry=True)
def dropout_mask(dropout, layer, first_row, n_rows, n_units):
    """The mask as a (n_rows, n_units) float array of 0 and 1 (for tests and
    the reference implementation)."""
    mask = np.zeros((n_rows, n_units))
    threshold = drop_threshold(dropout[FIRST_RATE + layer])
    for i in range(n_rows):
        key = row_key(dropout, layer, first_row + i)
        for k in range(n_units):
            mask[i, k] = 1.0 if is_kept(key, k, threshold) else 0.0
    return mask
