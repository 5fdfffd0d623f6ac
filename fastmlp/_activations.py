"""Activations: ``f(Z + b)`` applied in place, and ``f'`` read off the output
``A`` or, for GELU, SiLU, Mish and softplus, kept from the forward pass.

Kernels receive an integer code instead of a function, so one compiled
specialisation serves every activation. Adding an activation means: a code in
``ACTIVATIONS`` (and ``HIDDEN_ACTIVATIONS``), its function and its loop in
:func:`add_bias_activate_any_inplace`, and its derivative's loop in
:func:`multiply_any_derivative_inplace`, or, when ``f'`` is not a function of
``f`` (or costs more from it), its function and derivative together in
:func:`add_bias_activate_keeping` (and its code in ``KEEPS_DERIVATIVE``); the
tests are parametrised over the registries, against ``tests/reference.py``.

Kernels only other kernels call compile without Python wrappers
(``_config.InternalKernel``); Python calls them through a jitted entry.

Every loop is over one activation, branch-free, and calls only the
vectorisable functions of ``_elementary``, so that LLVM vectorises it.
"""


import numpy as np

from ._config import kernel
from ._elementary import (
    exp_approx,
    exp_approx32,
    expm1_approx,
    expm1_approx32,
    log1p_unit,
    normal_cdf,
    normal_cdf_given,
    tanh_approx,
)

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

#: the activations whose layers keep ``f'(Z)`` in training, computed in the
#: forward pass with ``f(Z)`` (the two share their exp): GELU, SiLU and Mish,
#: whose derivative is not a function of their output, and softplus, whose is
#: (``1 - e^-a``) but at the price of another exp. Keeping ``Z`` instead and
#: computing ``f'(Z)`` in the backward pass, a fit with GELU took 2.40x (W1)
#: and 2.05x (W2) the time of relu; keeping ``f'(Z)``, 1.82x and 1.40x
#: (benchmarks/option_costs.py, each against relu in its run, medians of 5).
#: The cost is memory: one more block of a batch's units per such layer.
KEEPS_DERIVATIVE = (GELU, SILU, MISH, SOFTPLUS)

LEAKY_RELU_SLOPE = 0.01
# SELU's constants (Klambauer et al. 2017), to double precision.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
_INV_SQRT_2PI = 0.39894228040143267794
# Past this, tanh(softplus(z)) rounds to 1 in float64 (1 - tanh(20) < 1e-17).
_MISH_SATURATION = 20.0


@kernel
def keeps_derivative(code):
    """Whether a layer with this activation keeps ``f'(Z)`` in training."""
    return code in KEEPS_DERIVATIVE


@kernel(math="ordered")
def sigmoid(z):
    return 1.0 / (1.0 + exp_approx(-z))


@kernel(math="ordered")
def leaky_relu(z):
    return z if z > 0 else LEAKY_RELU_SLOPE * z


@kernel(math="ordered", inline=True)
def elu(z):
    return z if z > 0 else expm1_approx(z)


@kernel(math="ordered", inline=True)
def selu(z):
    return SELU_SCALE * (z if z > 0 else SELU_ALPHA * expm1_approx(z))


@kernel(math="ordered", inline=True)
def softplus(z):
    """``log(1 + e^z)``, as ``max(z, 0) + log1p(e^-|z|)``."""
    return (z if z > 0 else 0.0) + log1p_unit(exp_approx(-abs(z)))


@kernel(math="ordered", inline=True)
def gelu(z):
    """``z Phi(z)`` with the exact normal CDF ``Phi(z) = erfc(-z / sqrt2) / 2``."""
    return z * normal_cdf(z)


@kernel(math="ordered")
def silu(z):
    return z * sigmoid(z)


@kernel(math="ordered")
def mish(z):
    """``z tanh(softplus(z))``, as ``z n / (n + 2)`` with ``n = e^z (e^z + 2)``."""
    e = exp_approx(min(z, _MISH_SATURATION))
    n = e * (e + 2.0)
    return z * (n / (n + 2.0))


@kernel(math="ordered", inline=True)
def softplus_and_derivative(z):
    """``(softplus(z), sigmoid(z))`` from one ``e^-|z|``."""
    t = exp_approx(-abs(z))
    return (z if z > 0 else 0.0) + log1p_unit(t), (1.0 if z > 0 else t) / (1.0 + t)


@kernel(math="ordered", inline=True)
def gelu_and_derivative(z):
    """``(z Phi(z), Phi(z) + z phi(z))``, one exp for both."""
    gauss = exp_approx(-0.5 * z * z)
    cdf = normal_cdf_given(z, gauss)
    return z * cdf, cdf + z * _INV_SQRT_2PI * gauss


@kernel(math="ordered")
def silu_and_derivative(z):
    """``(z s, s (1 + z (1 - s)))`` with ``s = sigmoid(z)``."""
    s = sigmoid(z)
    return z * s, s * (1.0 + z * (1.0 - s))


@kernel(math="ordered")
def mish_and_derivative(z):
    """``(z t, t + z (1 - t^2) sigmoid(z))``, ``t = tanh(softplus(z))``; one
    exp serves both (past the saturation ``1 - t^2`` is 0 and sigmoid's error nil)."""
    e = exp_approx(min(z, _MISH_SATURATION))
    n = e * (e + 2.0)
    t = n / (n + 2.0)
    return z * t, t + z * (1.0 - t * t) * (e / (1.0 + e))


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


@kernel(math="ordered")
def add_bias_activate_any_inplace(Z, b, code):
    """:func:`add_bias_activate_inplace` for every activation, fastmlp's own
    included (kernels compile this one only for the fits that need it), one
    loop per activation as there."""
    n_samples, n_out = Z.shape
    if code < LEAKY_RELU:
        add_bias_activate_inplace(Z, b, code)
    elif code == LEAKY_RELU:
        for i in range(n_samples):
            for k in range(n_out):
                Z[i, k] = leaky_relu(Z[i, k] + b[k])
    elif code == ELU:
        for i in range(n_samples):
            for k in range(n_out):
                Z[i, k] = elu(Z[i, k] + b[k])
    elif code == SELU:
        for i in range(n_samples):
            for k in range(n_out):
                Z[i, k] = selu(Z[i, k] + b[k])
    elif code == SOFTPLUS:
        for i in range(n_samples):
            for k in range(n_out):
                Z[i, k] = softplus(Z[i, k] + b[k])
    elif code == GELU:
        for i in range(n_samples):
            for k in range(n_out):
                Z[i, k] = gelu(Z[i, k] + b[k])
    elif code == SILU:
        for i in range(n_samples):
            for k in range(n_out):
                Z[i, k] = silu(Z[i, k] + b[k])
    elif code == MISH:
        for i in range(n_samples):
            for k in range(n_out):
                Z[i, k] = mish(Z[i, k] + b[k])


@kernel(math="ordered")
def add_bias_activate_keeping(Z, b, code, D):
    """``Z <- f(Z + b)`` and ``D <- f'(Z + b)``: the training forward step of
    a layer in ``KEEPS_DERIVATIVE``, whose backward pass multiplies by ``D``."""
    n_samples, n_out = Z.shape
    if code == GELU:
        for i in range(n_samples):
            for k in range(n_out):
                Z[i, k], D[i, k] = gelu_and_derivative(Z[i, k] + b[k])
    elif code == SILU:
        for i in range(n_samples):
            for k in range(n_out):
                Z[i, k], D[i, k] = silu_and_derivative(Z[i, k] + b[k])
    elif code == MISH:
        for i in range(n_samples):
            for k in range(n_out):
                Z[i, k], D[i, k] = mish_and_derivative(Z[i, k] + b[k])
    elif code == SOFTPLUS:
        for i in range(n_samples):
            for k in range(n_out):
                Z[i, k], D[i, k] = softplus_and_derivative(Z[i, k] + b[k])


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
    of ``a``, which is that of ``z``)."""
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
        for k in range(n_out):
            column_sums[k] += delta[i, k]


@kernel
def multiply_kept_derivative_inplace(D, delta, column_sums):
    """``delta *= D``, the ``f'(Z)`` a layer kept (:func:`add_bias_activate_keeping`),
    and ``column_sums = sum_rows delta``, as :func:`multiply_derivative_inplace`."""
    n_samples, n_out = D.shape
    column_sums[:] = 0
    for i in range(n_samples):
        for k in range(n_out):
            delta[i, k] *= D[i, k]
            column_sums[k] += delta[i, k]


@kernel(math="ordered", inline=True)
def selu_and_derivative(z):
    """``(selu(z), selu'(z))``, one ``e^z - 1`` for both."""
    m = expm1_approx(min(z, 0.0))
    return SELU_SCALE * (z if z > 0 else SELU_ALPHA * m), SELU_SCALE * (1.0 if z > 0 else SELU_ALPHA * (m + 1.0))


@kernel(math="ordered", inline=True)
def elu_and_derivative(z):
    m = expm1_approx(min(z, 0.0))
    return (z if z > 0 else m), (1.0 if z > 0 else m + 1.0)


@kernel(math="ordered", inline=True)
def parametric(z, f, d, alpha):
    """The parametric activation ``a = z + alpha (f - z)``, ``a' = 1 + alpha (d - 1)``,
    given ``f = f(z)`` and ``d = f'(z)``: ``(a, a', f - z)``."""
    return z + alpha * (f - z), 1.0 + alpha * (d - 1.0), f - z


_SELU_SCALE_32, _SELU_SCALE_ALPHA_32 = np.float32(SELU_SCALE), np.float32(SELU_SCALE * SELU_ALPHA)
_ONE_32, _TWO_32, _ZERO_32, _MISH_SATURATION_32 = np.float32(1.0), np.float32(2.0), np.float32(0.0), np.float32(20.0)


@kernel(math="ordered", inline=True)
def selu_and_derivative32(z):
    """:func:`selu_and_derivative` of a float32, in float32."""
    m = expm1_approx32(min(z, _ZERO_32))
    positive = z > _ZERO_32
    return (_SELU_SCALE_32 * z if positive else _SELU_SCALE_ALPHA_32 * m), (
        _SELU_SCALE_32 if positive else _SELU_SCALE_ALPHA_32 * (m + _ONE_32)
    )


@kernel(math="ordered", inline=True)
def mish_and_derivative32(z):
    """:func:`mish_and_derivative` of a float32, in float32."""
    e = exp_approx32(min(z, _MISH_SATURATION_32))
    n = e * (e + _TWO_32)
    t = n / (n + _TWO_32)
    return z * t, t + z * (_ONE_32 - t * t) * (e / (_ONE_32 + e))


@kernel(math="ordered", inline=True)
def parametric32(z, f, d, alpha):
    """:func:`parametric` in float32."""
    return z + alpha * (f - z), _ONE_32 + alpha * (d - _ONE_32), f - z


@kernel(math="ordered")
def add_bias_activate_parametric(Z, b, code, alpha, D, G):
    """The training forward step of a parametric activation (RealMLP's):
    ``Z <- Z + b``, then ``Z <- Z + alpha (f(Z) - Z)`` with one ``alpha`` per
    unit (n_out,); ``D <- 1 + alpha (f'(Z) - 1)``, the derivative, and ``G <-
    f(Z) - Z``, the gradient of ``A`` with respect to ``alpha``, for the
    backward pass (:func:`multiply_parametric_derivative_inplace`). ``alpha =
    1`` is ``f``, ``alpha = 0`` the identity. One loop per activation; in
    float32, SELU and Mish (the tabular models' defaults) compute in float32
    (``_elementary``'s float32 functions: 2.8 -> 1.1 ns per unit for SELU),
    the others in float64, rounded."""
    n_samples, n_out = Z.shape
    if Z.itemsize == 4 and (code == SELU or code == MISH):  # the defaults, in float32 arithmetic
        for i in range(n_samples):
            if code == SELU:
                for k in range(n_out):
                    z = Z[i, k] + b[k]
                    f, d = selu_and_derivative32(z)
                    Z[i, k], D[i, k], G[i, k] = parametric32(z, f, d, alpha[k])
            else:
                for k in range(n_out):
                    z = Z[i, k] + b[k]
                    f, d = mish_and_derivative32(z)
                    Z[i, k], D[i, k], G[i, k] = parametric32(z, f, d, alpha[k])
        return
    for i in range(n_samples):
        if code == SELU:
            for k in range(n_out):
                z = Z[i, k] + b[k]
                f, d = selu_and_derivative(z)
                Z[i, k], D[i, k], G[i, k] = parametric(z, f, d, alpha[k])
        elif code == MISH:
            for k in range(n_out):
                z = Z[i, k] + b[k]
                f, d = mish_and_derivative(z)
                Z[i, k], D[i, k], G[i, k] = parametric(z, f, d, alpha[k])
        elif code == RELU:
            for k in range(n_out):
                z = Z[i, k] + b[k]
                Z[i, k], D[i, k], G[i, k] = parametric(z, z if z > 0 else 0.0, 1.0 if z > 0 else 0.0, alpha[k])
        elif code == LEAKY_RELU:
            for k in range(n_out):
                z = Z[i, k] + b[k]
                slope = 1.0 if z > 0 else LEAKY_RELU_SLOPE
                Z[i, k], D[i, k], G[i, k] = parametric(z, slope * z, slope, alpha[k])
        elif code == ELU:
            for k in range(n_out):
                z = Z[i, k] + b[k]
                f, d = elu_and_derivative(z)
                Z[i, k], D[i, k], G[i, k] = parametric(z, f, d, alpha[k])
        elif code == GELU:
            for k in range(n_out):
                z = Z[i, k] + b[k]
                f, d = gelu_and_derivative(z)
                Z[i, k], D[i, k], G[i, k] = parametric(z, f, d, alpha[k])
        elif code == SILU:
            for k in range(n_out):
                z = Z[i, k] + b[k]
                f, d = silu_and_derivative(z)
                Z[i, k], D[i, k], G[i, k] = parametric(z, f, d, alpha[k])
        elif code == SOFTPLUS:
            for k in range(n_out):
                z = Z[i, k] + b[k]
                f, d = softplus_and_derivative(z)
                Z[i, k], D[i, k], G[i, k] = parametric(z, f, d, alpha[k])
        elif code == TANH:
            for k in range(n_out):
                z = Z[i, k] + b[k]
                t = tanh_approx(z)
                Z[i, k], D[i, k], G[i, k] = parametric(z, t, 1.0 - t * t, alpha[k])
        elif code == LOGISTIC:
            for k in range(n_out):
                z = Z[i, k] + b[k]
                s = sigmoid(z)
                Z[i, k], D[i, k], G[i, k] = parametric(z, s, s * (1.0 - s), alpha[k])
        else:  # identity: alpha changes nothing
            for k in range(n_out):
                z = Z[i, k] + b[k]
                Z[i, k], D[i, k], G[i, k] = z, 1.0, 0.0


@kernel
def multiply_parametric_derivative_inplace(D, G, delta, column_sums, alpha_grads):
    """Backward of :func:`add_bias_activate_parametric`: ``alpha_grads = sum_rows
    delta G`` (dE/dalpha, with ``delta`` dE/dA on entry), then ``delta *= D``
    (dE/dZ) and ``column_sums = sum_rows delta`` (the bias gradient)."""
    n_samples, n_out = D.shape
    column_sums[:] = 0
    alpha_grads[:] = 0
    for i in range(n_samples):
        for k in range(n_out):
            alpha_grads[k] += delta[i, k] * G[i, k]
            delta[i, k] *= D[i, k]
            column_sums[k] += delta[i, k]
