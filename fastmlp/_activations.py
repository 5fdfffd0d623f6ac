"""Activations: ``f(Z + b)`` applied in place, and ``f'`` read off the output
``A`` or, for GELU, SiLU and Mish, off the pre-activation ``Z``.

Kernels receive an integer code instead of a function, so one compiled
specialisation serves every activation. Adding an activation means: a code in
``ACTIVATIONS`` (and ``HIDDEN_ACTIVATIONS``), its function in
:func:`activation_of` (or a loop of its own in
:func:`add_bias_activate_inplace`), and its derivative in
:func:`multiply_derivative_inplace`, or in
:func:`multiply_preactivation_derivative_inplace` when ``f'`` is not a function
of ``f`` (then also in ``PREACTIVATION_CODES``); the tests are parametrised
over the registries, against ``tests/reference.py``.

``exp``, ``tanh`` and the logistic function use :func:`exp_approx` /
:func:`tanh_approx`, written so that LLVM vectorises them: libm's scalar
calls, which Numba emits for ``np.exp``/``np.tanh`` (PyPI's llvmlite has no
SVML), measured 8 ns (exp) and 20 ns (tanh) per element here, 5-10x slower
than numpy's SIMD ufuncs, and made tanh networks slower than scikit-learn.
Both are accurate to a few ulp.
"""

import math

import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from ._config import kernel

IDENTITY, LOGISTIC, TANH, RELU, EXP, SOFTMAX, LEAKY_RELU, ELU, SELU, GELU, SILU, SOFTPLUS, MISH = range(13)

#: name -> code, for every activation a layer can have.
ACTIVATIONS = {
    "identity": IDENTITY,
    "logistic": LOGISTIC,
    "tanh": TANH,
    "relu": RELU,
    "exp": EXP,
    "softmax": SOFTMAX,
    "leaky_relu": LEAKY_RELU,
    "elu": ELU,
    "selu": SELU,
    "gelu": GELU,
    "silu": SILU,
    "softplus": SOFTPLUS,
    "mish": MISH,
}

#: the activations scikit-learn allows for hidden layers.
SKLEARN_HIDDEN_ACTIVATIONS = ("identity", "logistic", "tanh", "relu")

#: every activation a hidden layer may have: scikit-learn's and fastmlp's own.
HIDDEN_ACTIVATIONS = SKLEARN_HIDDEN_ACTIVATIONS + ("leaky_relu", "elu", "selu", "gelu", "silu", "softplus", "mish")

#: the activations whose derivative is not a function of their output: their
#: layers keep the pre-activations ``Z`` for the backward pass.
PREACTIVATION_CODES = (GELU, SILU, MISH)

LEAKY_RELU_SLOPE = 0.01
# SELU's constants (Klambauer et al. 2017), to double precision.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
_INV_SQRT2 = 0.70710678118654752440
_INV_SQRT_2PI = 0.39894228040143267794
# Past this, tanh(softplus(z)) rounds to 1 in float64 (1 - tanh(20) < 1e-17).
_MISH_SATURATION = 20.0


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


@kernel
def needs_preactivation(code):
    """Whether a layer with this activation keeps its pre-activations."""
    return code in PREACTIVATION_CODES


@kernel(math="ordered")
def activation_of(z, code):
    """``f(z)`` of a hidden activation (scikit-learn's also have vectorised
    loops of their own in :func:`add_bias_activate_inplace`).

    leaky_relu ``max(z, 0.01 z)``; elu ``z`` or ``e^z - 1``; selu ``scale *
    elu_alpha(z)``; softplus ``log(1 + e^z)``, as ``max(z, 0) + log1p(e^-|z|)``;
    gelu ``z Phi(z)`` with the exact normal CDF ``Phi(z) = erfc(-z/sqrt2)/2``;
    silu ``z sigmoid(z)``; mish ``z tanh(softplus(z))``, as ``z n / (n + 2)``
    with ``n = e^z (e^z + 2)``.
    """
    if code == IDENTITY:
        return z
    if code == LOGISTIC:
        return 1.0 / (1.0 + exp_approx(-z))
    if code == TANH:
        return tanh_approx(z)
    if code == RELU:
        return 0.0 if z <= 0 else z
    if code == LEAKY_RELU:
        return z if z > 0 else LEAKY_RELU_SLOPE * z
    if code == ELU:
        return z if z > 0 else math.expm1(z)
    if code == SELU:
        return SELU_SCALE * (z if z > 0 else SELU_ALPHA * math.expm1(z))
    if code == SOFTPLUS:
        return (z if z > 0 else 0.0) + math.log1p(exp_approx(-abs(z)))
    if code == GELU:
        return 0.5 * z * math.erfc(-z * _INV_SQRT2)
    if code == SILU:
        return z / (1.0 + exp_approx(-z))
    if code == MISH:
        e = exp_approx(min(z, _MISH_SATURATION))
        n = e * (e + 2.0)
        return z * (n / (n + 2.0))
    return np.nan


@kernel(math="ordered")
def preactivation_derivative_of(z, code):
    """``f'(z)`` of the activations in ``PREACTIVATION_CODES``."""
    if code == GELU:
        return 0.5 * math.erfc(-z * _INV_SQRT2) + z * _INV_SQRT_2PI * exp_approx(-0.5 * z * z)
    sigmoid = 1.0 / (1.0 + exp_approx(-z))
    if code == SILU:
        return sigmoid * (1.0 + z * (1.0 - sigmoid))
    if code == MISH:
        e = exp_approx(min(z, _MISH_SATURATION))
        n = e * (e + 2.0)
        t = n / (n + 2.0)
        return t + z * (1.0 - t * t) * sigmoid
    return np.nan


@kernel
def add_bias_activate_inplace(Z, b, code):
    """``Z <- f(Z + b)`` in one pass; Z is (n_samples, n_out), b is (n_out,).

    softmax is computed row-wise as ``exp(z - max z) / sum exp(z - max z)``.
    """
    n_samples, n_out = Z.shape
    if code == SOFTMAX:
        for i in range(n_samples):
            z_max = -np.inf
            for k in range(n_out):
                Z[i, k] += b[k]
                z_max = max(z_max, Z[i, k])
            total = 0.0
            for k in range(n_out):
                e = exp_approx(Z[i, k] - z_max)
                Z[i, k] = e
                total += e
            inv_total = 1.0 / total
            for k in range(n_out):
                Z[i, k] *= inv_total
        return
    # One loop per code, so that each inner loop is branch-free and vectorises.
    if code == IDENTITY:
        for i in range(n_samples):
            for k in range(n_out):
                Z[i, k] += b[k]
    elif code == RELU:
        for i in range(n_samples):
            for k in range(n_out):
                z = Z[i, k] + b[k]
                Z[i, k] = 0.0 if z <= 0 else z  # NaN stays NaN, as with np.maximum
    elif code == LOGISTIC:
        for i in range(n_samples):
            for k in range(n_out):
                Z[i, k] = 1.0 / (1.0 + exp_approx(-(Z[i, k] + b[k])))
    elif code == TANH:
        for i in range(n_samples):
            for k in range(n_out):
                Z[i, k] = tanh_approx(Z[i, k] + b[k])
    elif code == EXP:
        for i in range(n_samples):
            for k in range(n_out):
                Z[i, k] = exp_approx(Z[i, k] + b[k])


@kernel
def add_bias_activate_any_inplace(Z, b, code):
    """:func:`add_bias_activate_inplace` for every activation, fastmlp's own
    included (kernels compile this one only for the fits that need it)."""
    if code < LEAKY_RELU:
        add_bias_activate_inplace(Z, b, code)
        return
    n_samples, n_out = Z.shape
    for i in range(n_samples):
        for k in range(n_out):
            Z[i, k] = activation_of(Z[i, k] + b[k], code)


@kernel
def add_bias_activate_keeping(Z, b, code, P):
    """``P <- Z + b``, ``Z <- f(P)``: the forward step of a layer that keeps
    its pre-activations ``P`` for the backward pass (``needs_preactivation``)."""
    n_samples, n_out = Z.shape
    for i in range(n_samples):
        for k in range(n_out):
            z = Z[i, k] + b[k]
            P[i, k] = z
            Z[i, k] = activation_of(z, code)


@kernel
def multiply_derivative_inplace(A, delta, code, column_sums):
    """``delta *= f'(Z)``, the derivative written in terms of ``A = f(Z)``;
    then ``column_sums = sum_rows delta`` (the bias gradient), in the same pass.

    logistic ``a (1 - a)``, tanh ``1 - a^2``, relu ``[a > 0]``, identity ``1``,
    exp ``a`` (the last only for non-canonical output layers). ``A`` and
    ``delta`` are (n_samples, n_out), ``column_sums`` (n_out,); ``delta`` and
    ``column_sums`` are written.
    """
    n_samples, n_out = A.shape
    column_sums[:] = 0
    for i in range(n_samples):
        if code == RELU:
            for k in range(n_out):
                delta[i, k] = 0.0 if A[i, k] == 0 else delta[i, k]
        elif code == LOGISTIC:
            for k in range(n_out):
                delta[i, k] *= A[i, k] * (1.0 - A[i, k])
        elif code == TANH:
            for k in range(n_out):
                delta[i, k] *= 1.0 - A[i, k] * A[i, k]
        elif code == EXP:
            for k in range(n_out):
                delta[i, k] *= A[i, k]
        for k in range(n_out):
            column_sums[k] += delta[i, k]


@kernel
def multiply_any_derivative_inplace(A, delta, code, column_sums):
    """:func:`multiply_derivative_inplace` for every activation whose ``f'`` is
    a function of ``A``, fastmlp's own included: leaky_relu ``1`` or ``0.01``,
    elu ``1`` or ``a + 1``, selu ``scale`` or ``a + scale alpha`` (by the sign
    of ``a``, which is that of ``z``), softplus ``sigmoid(z) = 1 - e^-a``."""
    if code < LEAKY_RELU:
        multiply_derivative_inplace(A, delta, code, column_sums)
        return
    n_samples, n_out = A.shape
    column_sums[:] = 0
    for i in range(n_samples):
        if code == LEAKY_RELU:
            for k in range(n_out):
                delta[i, k] *= 1.0 if A[i, k] > 0 else LEAKY_RELU_SLOPE
        elif code == ELU:
            for k in range(n_out):
                delta[i, k] *= 1.0 if A[i, k] > 0 else A[i, k] + 1.0
        elif code == SELU:
            for k in range(n_out):
                delta[i, k] *= SELU_SCALE if A[i, k] > 0 else A[i, k] + SELU_SCALE * SELU_ALPHA
        elif code == SOFTPLUS:
            for k in range(n_out):
                delta[i, k] *= -math.expm1(-A[i, k])
        for k in range(n_out):
            column_sums[k] += delta[i, k]


@kernel
def multiply_preactivation_derivative_inplace(P, delta, code, column_sums):
    """``delta *= f'(P)`` from the pre-activations ``P`` (GELU, SiLU, Mish),
    and ``column_sums = sum_rows delta``, as :func:`multiply_derivative_inplace`."""
    n_samples, n_out = P.shape
    column_sums[:] = 0
    for i in range(n_samples):
        for k in range(n_out):
            delta[i, k] *= preactivation_derivative_of(P[i, k], code)
            column_sums[k] += delta[i, k]
