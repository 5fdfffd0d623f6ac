"""Activations: ``f(Z)`` applied in place, and ``f'`` read off the output ``A``.

Kernels receive an integer code instead of a function, so one compiled
specialisation serves every activation. Adding an activation means: a code in
``ACTIVATIONS``, a branch in :func:`add_bias_activate_inplace` and, for hidden
units, a branch in :func:`multiply_derivative_inplace`; the tests are
parametrised over the registries.
"""

import numpy as np

from ._config import kernel

IDENTITY, LOGISTIC, TANH, RELU, EXP, SOFTMAX = range(6)

#: name -> code, for every activation a layer can have.
ACTIVATIONS = {
    "identity": IDENTITY,
    "logistic": LOGISTIC,
    "tanh": TANH,
    "relu": RELU,
    "exp": EXP,
    "softmax": SOFTMAX,
}

#: the activations scikit-learn allows for hidden layers.
HIDDEN_ACTIVATIONS = ("identity", "logistic", "tanh", "relu")


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
                if Z[i, k] > z_max:
                    z_max = Z[i, k]
            total = 0.0
            for k in range(n_out):
                e = np.exp(Z[i, k] - z_max)
                Z[i, k] = e
                total += e
            for k in range(n_out):
                Z[i, k] /= total
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
                Z[i, k] = z if z > 0 else 0
    elif code == LOGISTIC:
        for i in range(n_samples):
            for k in range(n_out):
                Z[i, k] = 1 / (1 + np.exp(-(Z[i, k] + b[k])))
    elif code == TANH:
        for i in range(n_samples):
            for k in range(n_out):
                Z[i, k] = np.tanh(Z[i, k] + b[k])
    elif code == EXP:
        for i in range(n_samples):
            for k in range(n_out):
                Z[i, k] = np.exp(Z[i, k] + b[k])


@kernel
def multiply_derivative_inplace(A, delta, code):
    """``delta *= f'(Z)``, with the derivative written in terms of ``A = f(Z)``.

    logistic ``a (1 - a)``, tanh ``1 - a^2``, relu ``[a > 0]``, identity ``1``,
    exp ``a`` (the last only for non-canonical output layers). ``A`` and
    ``delta`` are (n_samples, n_out); ``delta`` is modified in place.
    """
    n_samples, n_out = A.shape
    if code == RELU:
        for i in range(n_samples):
            for k in range(n_out):
                if A[i, k] == 0:
                    delta[i, k] = 0
    elif code == LOGISTIC:
        for i in range(n_samples):
            for k in range(n_out):
                a = A[i, k]
                delta[i, k] *= a * (1 - a)
    elif code == TANH:
        for i in range(n_samples):
            for k in range(n_out):
                a = A[i, k]
                delta[i, k] *= 1 - a * a
    elif code == EXP:
        for i in range(n_samples):
            for k in range(n_out):
                delta[i, k] *= A[i, k]
