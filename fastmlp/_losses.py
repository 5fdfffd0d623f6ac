"""Losses: each paired with its canonical output activation.

``LOSSES`` maps a loss name to its code; ``CANONICAL_OUTPUT`` gives the output
activation that makes the output error term simply ``delta_L = s (A - Y) / S``
(MATH.md, "Backward pass"). Values follow scikit-learn's ``_base.py`` so that
``loss_`` and ``loss_curve_`` match it, except that squared error is not
averaged over outputs here (the estimator does that when it reports).
"""

import numpy as np

from ._activations import EXP, IDENTITY, LOGISTIC, SOFTMAX, multiply_derivative_inplace
from ._config import kernel

SQUARED_ERROR, LOG_LOSS, BINARY_LOG_LOSS, POISSON = range(4)

#: name -> code. ``log_loss`` is the softmax (multiclass) cross-entropy,
#: ``binary_log_loss`` the per-output logistic one (binary and multilabel).
LOSSES = {
    "squared_error": SQUARED_ERROR,
    "log_loss": LOG_LOSS,
    "binary_log_loss": BINARY_LOG_LOSS,
    "poisson": POISSON,
}

#: loss name -> the output activation whose pairing with it is canonical.
CANONICAL_OUTPUT = {
    "squared_error": "identity",
    "log_loss": "softmax",
    "binary_log_loss": "logistic",
    "poisson": "exp",
}


@kernel
def is_canonical(loss_code, out_code):
    """Whether ``delta_L = A - Y`` holds for this loss and output activation."""
    return (
        (loss_code == SQUARED_ERROR and out_code == IDENTITY)
        or (loss_code == LOG_LOSS and out_code == SOFTMAX)
        or (loss_code == BINARY_LOG_LOSS and out_code == LOGISTIC)
        or (loss_code == POISSON and out_code == EXP)
    )


@kernel
def compute_loss(Y, A, sample_weight, use_weight, loss_code, eps, mean_over_outputs):
    """Data term of the loss: ``1/S sum_i s_i sum_k l(y_ik, a_ik)``.

    With ``mean_over_outputs`` the squared error is also divided by n_out,
    as scikit-learn does when it reports ``loss_`` (its gradient is not).

    Y, A: (n_samples, n_out); sample_weight: (n_samples,), read only when
    ``use_weight``. ``eps`` clips probabilities away from 0 and 1 before logs.
    Per element ``l`` is ``(y - a)^2 / 2`` (squared error), ``-y log a``
    (log_loss), ``-y log a - (1 - y) log(1 - a)`` (binary log loss) and
    ``y log(y / a) - y + a`` (Poisson deviance / 2, scikit-learn's form).
    Accumulated in float64 whatever the dtype.
    """
    n_samples, n_out = A.shape
    total = 0.0
    weight_sum = 0.0
    for i in range(n_samples):
        row = 0.0
        for k in range(n_out):
            y = Y[i, k]
            a = A[i, k]
            if loss_code == SQUARED_ERROR:
                r = y - a
                row += 0.5 * r * r
            elif loss_code == POISSON:
                if y > 0:
                    row += y * np.log(y / a)
                row += a - y
            else:
                p = min(max(a, eps), 1.0 - eps)
                if y != 0:
                    row -= y * np.log(p)
                if loss_code == BINARY_LOG_LOSS and y != 1:
                    row -= (1.0 - y) * np.log(1.0 - p)
        if use_weight:
            total += sample_weight[i] * row
            weight_sum += sample_weight[i]
        else:
            total += row
    if not use_weight:
        weight_sum = n_samples
    if mean_over_outputs and loss_code == SQUARED_ERROR:
        total /= n_out
    return total / weight_sum


@kernel
def compute_output_delta(Y, A, sample_weight, use_weight, loss_code, out_code, delta):
    """Output error term without the 1/S factor: ``delta = s (A - Y)``.

    Canonical pairs need nothing more. The only non-canonical pairs supported
    are squared error with an element-wise output (logistic, tanh, relu,
    exp), where ``dE/dA = A - Y`` is multiplied by ``f'(A)``. ``delta`` is
    written in place, shape (n_samples, n_out).
    """
    n_samples, n_out = A.shape
    for i in range(n_samples):
        s = sample_weight[i] if use_weight else 1.0
        for k in range(n_out):
            delta[i, k] = s * (A[i, k] - Y[i, k])
    if not is_canonical(loss_code, out_code):
        multiply_derivative_inplace(A, delta, out_code)
