"""Elementary functions written so that LLVM vectorises loops over them.

libm's scalar calls, which Numba emits for ``np.exp``/``np.tanh``/``math.expm1``
(PyPI's llvmlite has no SVML), measured 8 ns (exp) and 20 ns (tanh) per
element here, 5-10x slower than numpy's SIMD ufuncs, and made tanh networks
slower than scikit-learn; a loop calling one does not vectorise at all. These
are branch-free (both sides computed, one selected) and accurate to a few ulp
in float64, checked against numpy over their whole range by the tests.

Kernels only other kernels call compile without Python wrappers
(``_config.InternalKernel``); Python calls them through a jitted entry.
"""

import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from ._config import kernel


@intrinsic
def _bits_to_float64(typingctx, bits):
    """Reinterpret an int64 bit pattern as a float64 (no conversion)."""
    sig = types.float64(types.int64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return sig, codegen


_LN2_HI = 6.93147180369123816490e-01  # ln 2 split in two (Cody-Waite): k * _LN2_HI is exact
_LN2_LO = 1.90821492927058770002e-10
_INV_LN2 = 1.44269504088896338700e00


@kernel(math="ordered")
def exp_approx(x):
    """``exp(x)`` in float64, branch-free so that loops over it vectorise.

    ``x = k ln2 + r`` with ``|r| <= ln2 / 2``; ``exp(r)`` by its Taylor series
    to degree 13 (truncation below 1e-17), times ``2^k`` built from its bits
    as ``2^(k - k//2) * 2^(k//2)``, so that subnormal results (x down to
    -745) and the largest finite ones come out as numpy's do. Measured
    against numpy over [-708, 709.78]: at most 2 ulp.
    """
    xc = min(max(x, -745.2), 709.8)
    k = np.floor(xc * _INV_LN2 + 0.5)
    r = (xc - k * _LN2_HI) - k * _LN2_LO
    p = 1.0 / 6227020800.0
    p = p * r + 1.0 / 479001600.0
    p = p * r + 1.0 / 39916800.0
    p = p * r + 1.0 / 3628800.0
    p = p * r + 1.0 / 362880.0
    p = p * r + 1.0 / 40320.0
    p = p * r + 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r + 1.0
    p = p * r + 1.0
    k_int = np.int64(k)
    half = k_int >> 1
    y = p * _bits_to_float64((k_int - half + 1023) << 52) * _bits_to_float64((half + 1023) << 52)
    y = np.inf if x > 709.782712893384 else y
    y = 0.0 if x < -745.2 else y
    return x if x != x else y


@kernel(math="ordered")
def tanh_approx(x):
    """``tanh(x)`` in float64, branch-free: ``(1 - e^{-2|x|}) / (1 + e^{-2|x|})``
    with the sign of x, and for ``|x| < 1/8`` (where that difference cancels)
    the Taylor series to degree 17."""
    a = abs(x)
    t = exp_approx(-2.0 * a)
    large = (1.0 - t) / (1.0 + t)
    large = large if x >= 0 else -large
    x2 = x * x
    p = 6404582.0 / 10854718875.0
    p = p * x2 - 929569.0 / 638512875.0
    p = p * x2 + 21844.0 / 6081075.0
    p = p * x2 - 1382.0 / 155925.0
    p = p * x2 + 62.0 / 2835.0
    p = p * x2 - 17.0 / 315.0
    p = p * x2 + 2.0 / 15.0
    p = p * x2 - 1.0 / 3.0
    small = x + x * x2 * p
    y = small if a < 0.125 else large
    return x if x != x else y


# Inlined: LLVM left calls to these in the loops of elu, selu and softplus,
# which then did not vectorise (elu 10 ns per element, 3 ns inlined; softplus 18 -> 5.5 ns).
@kernel(math="ordered", inline=True)
def expm1_approx(x):
    """``e^x - 1``: its Taylor series to degree 16 for ``|x| < 1/2`` (where
    ``e^x - 1`` cancels; truncation below 1e-19), ``exp_approx(x) - 1`` beyond."""
    p = 1.0 / 355687428096000.0
    p = p * x + 1.0 / 20922789888000.0
    p = p * x + 1.0 / 1307674368000.0
    p = p * x + 1.0 / 87178291200.0
    p = p * x + 1.0 / 6227020800.0
    p = p * x + 1.0 / 479001600.0
    p = p * x + 1.0 / 39916800.0
    p = p * x + 1.0 / 3628800.0
    p = p * x + 1.0 / 362880.0
    p = p * x + 1.0 / 40320.0
    p = p * x + 1.0 / 5040.0
    p = p * x + 1.0 / 720.0
    p = p * x + 1.0 / 120.0
    p = p * x + 1.0 / 24.0
    p = p * x + 1.0 / 6.0
    p = p * x + 0.5
    small = x + x * x * p
    return small if abs(x) < 0.5 else exp_approx(x) - 1.0


@kernel(math="ordered", inline=True)
def log1p_unit(t):
    """``log(1 + t)`` for ``t`` in [0, 1] (softplus's ``log1p(e^-|z|)``), as
    ``2 atanh(s)`` with ``s = t / (2 + t)`` in [0, 1/3], by its series to
    ``s^35`` (truncation below 1e-18)."""
    s = t / (2.0 + t)
    s2 = s * s
    p = 1.0 / 35.0
    for k in range(16, -1, -1):
        p = p * s2 + 1.0 / (2 * k + 1)
    return 2.0 * s * p


# Phi's left tail: erfc(x) = e^{-x^2} h(u) / (x + 2) for x >= 1/2, with
# u = (x - 2) / (x + 2) in [-0.6, 1) and h (smooth up to u = 1, where x is
# infinite) by its Chebyshev series in t = (u + 0.6) / 0.8 - 1, fitted to
# scipy's erfcx at 400 Chebyshev nodes: relative error under 4e-15 for every
# x >= 1/2. For x < 1/2, erf's Taylor series 2 / sqrt(pi) sum_n (-1)^n
# x^(2n+1) / (n! (2n+1)) to n = 13 (truncation below 1e-19). Both are written
# out term by term: as loops over coefficient arrays, LLVM kept them scalar
# (GELU at 21-30 ns per element, 9-11 ns written out, tanh 4.5 ns, in one run).
_TWO_OVER_SQRT_PI = 1.1283791670955125739
_INV_SQRT2 = 0.70710678118654752440


@kernel(math="ordered", inline=True)
def normal_cdf(z):
    """``Phi(z)``, the standard normal CDF (:func:`normal_cdf_given`)."""
    return normal_cdf_given(z, exp_approx(-0.5 * z * z))


@kernel(math="ordered", inline=True)
def normal_cdf_given(z, gauss):
    """``Phi(z) = erfc(-z / sqrt2) / 2``, the standard normal CDF, given
    ``gauss = e^{-z^2 / 2}`` (which GELU's derivative shares), branch-free
    (libm's erfc measured 12-20 ns per element and kept GELU's loops scalar).

    With ``x = |z| / sqrt2``, ``erfc(x)`` is ``1 - erf(x)`` for ``x < 1/2``
    and the Chebyshev form beyond (see above); ``Phi(z)`` is ``erfc(x) / 2``
    for ``z < 0`` and ``1 - erfc(x) / 2`` otherwise. Relative error below
    5e-15 for ``z > -5`` (checked against scipy); further left the rounding
    of ``z^2 / 2`` in ``gauss`` adds about ``z^2 2e-16`` (2e-13 at z = -37).
    """
    x = abs(z) * _INV_SQRT2
    x2 = x * x
    p = -5.9477940136376354e-12
    p = p * x2 + 8.35070279514724e-11
    p = p * x2 + -1.0892221037148573e-09
    p = p * x2 + 1.3122532963802806e-08
    p = p * x2 + -1.4503852223150468e-07
    p = p * x2 + 1.4589169000933706e-06
    p = p * x2 + -1.3227513227513228e-05
    p = p * x2 + 0.00010683760683760684
    p = p * x2 + -0.0007575757575757576
    p = p * x2 + 0.004629629629629629
    p = p * x2 + -0.023809523809523808
    p = p * x2 + 0.1
    p = p * x2 + -0.3333333333333333
    p = p * x2 + 1.0
    near = 1.0 - _TWO_OVER_SQRT_PI * x * p
    t = ((x - 2.0) / (x + 2.0) + 0.6) / 0.8 - 1.0
    t2 = 2.0 * t
    b1 = 1.3173413653641954e-16
    b2 = 0.0
    b1, b2 = t2 * b1 - b2 + 3.4598942493546104e-17, b1
    b1, b2 = t2 * b1 - b2 + -2.374379068700876e-16, b1
    b1, b2 = t2 * b1 - b2 + -1.2601246863044367e-15, b1
    b1, b2 = t2 * b1 - b2 + 6.284376147051499e-16, b1
    b1, b2 = t2 * b1 - b2 + 2.490799783725907e-14, b1
    b1, b2 = t2 * b1 - b2 + 6.311179274246844e-14, b1
    b1, b2 = t2 * b1 - b2 + -2.8876745560337386e-13, b1
    b1, b2 = t2 * b1 - b2 + -2.0522971785742527e-12, b1
    b1, b2 = t2 * b1 - b2 + 3.472100459977143e-13, b1
    b1, b2 = t2 * b1 - b2 + 4.427893228471678e-11, b1
    b1, b2 = t2 * b1 - b2 + 9.95230325195385e-11, b1
    b1, b2 = t2 * b1 - b2 + -7.964802629115383e-10, b1
    b1, b2 = t2 * b1 - b2 + -4.03529402377789e-09, b1
    b1, b2 = t2 * b1 - b2 + 1.309585635292051e-08, b1
    b1, b2 = t2 * b1 - b2 + 1.2917225953214443e-07, b1
    b1, b2 = t2 * b1 - b2 + -2.3438312275281827e-07, b1
    b1, b2 = t2 * b1 - b2 + -4.213002010815786e-06, b1
    b1, b2 = t2 * b1 - b2 + 7.809517806368225e-06, b1
    b1, b2 = t2 * b1 - b2 + 0.00015524916589268527, b1
    b1, b2 = t2 * b1 - b2 + -0.0006380051760286208, b1
    b1, b2 = t2 * b1 - b2 + -0.005640402632517994, b1
    b1, b2 = t2 * b1 - b2 + 0.0783431603960388, b1
    b1, b2 = t2 * b1 - b2 + -0.48202889723521325, b1
    far = gauss * (t * b1 - b2 + 0.9739949793186767) / (x + 2.0)
    half_erfc = 0.5 * (near if x < 0.5 else far)
    return half_erfc if z < 0 else 1.0 - half_erfc


_TWO_PI = 6.283185307179586477


@kernel(math="ordered", inline=True)
def cos_sin_turns(u):
    """``(cos(2 pi u), sin(2 pi u))``, branch-free (the periodic numerical
    embeddings' ``cos``, and its derivative's ``sin``): libm's scalar calls
    kept the embedding's loops scalar at about 30 ns per pair.

    ``u`` is reduced to ``r = u - q / 4`` in [-1/8, 1/8] turns (q the nearest
    quarter turn, exact in float64 for |u| < 2^50), ``x = 2 pi r`` in
    [-pi/4, pi/4], where the Taylor series of cos to x^16 and of sin to x^17
    are within 1e-17; then a rotation by q quarter turns. Within a few ulp of
    numpy's for |u| < 1e6 (the tests check it).
    """
    q = np.floor(4.0 * u + 0.5)
    x = _TWO_PI * (u - 0.25 * q)
    x2 = x * x
    c = 1.0 / 20922789888000.0
    c = c * x2 - 1.0 / 87178291200.0
    c = c * x2 + 1.0 / 479001600.0
    c = c * x2 - 1.0 / 3628800.0
    c = c * x2 + 1.0 / 40320.0
    c = c * x2 - 1.0 / 720.0
    c = c * x2 + 1.0 / 24.0
    c = c * x2 - 0.5
    c = c * x2 + 1.0
    s = 1.0 / 355687428096000.0
    s = s * x2 - 1.0 / 1307674368000.0
    s = s * x2 + 1.0 / 6227020800.0
    s = s * x2 - 1.0 / 39916800.0
    s = s * x2 + 1.0 / 362880.0
    s = s * x2 - 1.0 / 5040.0
    s = s * x2 + 1.0 / 120.0
    s = s * x2 - 1.0 / 6.0
    s = x + x * x2 * s
    quadrant = q - 4.0 * np.floor(0.25 * q)  # 0, 1, 2 or 3, as a float (an integer kept the loops scalar)
    odd = quadrant == 1.0 or quadrant == 3.0
    cos_value = s if odd else c
    sin_value = c if odd else s
    cos_value = -cos_value if quadrant == 1.0 or quadrant == 2.0 else cos_value
    sin_value = -sin_value if quadrant >= 2.0 else sin_value
    return cos_value, sin_value


# -- float32 versions, for the tabular models' float32 training ----------------
# The functions above compute in float64 (a float32 input is promoted: the MLPs'
# float32 activations round a float64 result, as scikit-learn's numpy ufuncs
# nearly do). These compute in float32, whose vectors hold twice the lanes:
# a parametric SELU layer's forward step took 2.8 -> 1.1 ns per unit, the
# periodic embeddings' cos and sin 1.9 -> 0.9 ns per pair (256 x 256 block).
# Their constants are float32 (a Python float would promote the arithmetic).

_F32 = np.float32


@intrinsic
def _bits_to_float32(typingctx, bits):
    """Reinterpret an int32 bit pattern as a float32 (no conversion)."""
    sig = types.float32(types.int32)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.FloatType())

    return sig, codegen


_LN2_HI_32 = _F32(0.693145751953125)  # 11 significant bits: k * _LN2_HI_32 is exact for |k| < 2^13
_LN2_LO_32 = _F32(1.428606765330187e-06)
_INV_LN2_32 = _F32(1.4426950408889634)
_EXP_MIN_32, _EXP_MAX_32 = _F32(-104.0), _F32(88.72)
_ZERO_32, _HALF_32, _ONE_32 = _F32(0.0), _F32(0.5), _F32(1.0)
_INV_FACTORIAL_32 = [_F32(1.0 / f) for f in (1, 2, 6, 24, 120, 720, 5040, 40320, 362880, 3628800)]
_C2, _C3, _C4, _C5, _C6, _C7, _C8, _C9, _C10 = _INV_FACTORIAL_32[1:]


@kernel(math="ordered", inline=True)
def exp_approx32(x):
    """``exp(x)`` of a float32, in float32, branch-free: ``x = k ln2 + r``,
    ``|r| <= ln2 / 2``, Taylor to r^7 (truncation 1.2e-8 relative), times
    ``2^k`` from its bits in two halves (subnormal results down to -103).
    Within 2 ulp of numpy's float32 exp (the tests check it)."""
    xc = min(max(x, _EXP_MIN_32), _EXP_MAX_32)
    k = np.floor(xc * _INV_LN2_32 + _HALF_32)
    r = (xc - k * _LN2_HI_32) - k * _LN2_LO_32
    p = _C7
    p = p * r + _C6
    p = p * r + _C5
    p = p * r + _C4
    p = p * r + _C3
    p = p * r + _C2
    p = p * r + _ONE_32
    p = p * r + _ONE_32
    k_int = np.int32(k)
    half = k_int >> np.int32(1)
    y = p * _bits_to_float32((k_int - half + np.int32(127)) << np.int32(23)) * _bits_to_float32(
        (half + np.int32(127)) << np.int32(23)
    )
    y = _F32(np.inf) if x > _EXP_MAX_32 else y
    y = _ZERO_32 if x < _EXP_MIN_32 else y
    return x if x != x else y


@kernel(math="ordered", inline=True)
def expm1_approx32(x):
    """``e^x - 1`` of a float32: Taylor to x^9 for ``|x| < 1/2`` (1e-10
    relative), ``exp_approx32(x) - 1`` beyond."""
    p = _C9
    p = p * x + _C8
    p = p * x + _C7
    p = p * x + _C6
    p = p * x + _C5
    p = p * x + _C4
    p = p * x + _C3
    p = p * x + _C2
    small = x + x * x * p
    return small if abs(x) < _HALF_32 else exp_approx32(x) - _ONE_32


_QUARTER_32, _FOUR_32, _TWO_PI_32 = _F32(0.25), _F32(4.0), _F32(6.283185307179586)
_S3, _S5, _S7, _S9, _S11 = (_F32(-1 / 6), _F32(1 / 120), _F32(-1 / 5040), _F32(1 / 362880), _F32(-1 / 39916800))
_K2, _K4, _K6, _K8, _K10 = (_F32(-0.5), _F32(1 / 24), _F32(-1 / 720), _F32(1 / 40320), _F32(-1 / 3628800))


@kernel(math="ordered", inline=True)
def cos_sin_turns32(u):
    """:func:`cos_sin_turns` of a float32, in float32 (Taylor to x^10 and
    x^11 on [-pi/4, pi/4]: 1e-10), within a few float32 ulps of numpy's."""
    q = np.floor(_FOUR_32 * u + _HALF_32)
    x = _TWO_PI_32 * (u - _QUARTER_32 * q)
    x2 = x * x
    c = _K10
    c = c * x2 + _K8
    c = c * x2 + _K6
    c = c * x2 + _K4
    c = c * x2 + _K2
    c = c * x2 + _ONE_32
    s = _S11
    s = s * x2 + _S9
    s = s * x2 + _S7
    s = s * x2 + _S5
    s = s * x2 + _S3
    s = x + x * x2 * s
    quadrant = q - _FOUR_32 * np.floor(_QUARTER_32 * q)
    odd = quadrant == _F32(1.0) or quadrant == _F32(3.0)
    cos_value = s if odd else c
    sin_value = c if odd else s
    cos_value = -cos_value if quadrant == _F32(1.0) or quadrant == _F32(2.0) else cos_value
    sin_value = -sin_value if quadrant >= _F32(2.0) else sin_value
    return cos_value, sin_value
