"""Losses: each paired with its canonical output activation.

``LOSSES`` maps a loss name to its code; ``CANONICAL_OUTPUT`` gives the output
activation that makes the output error term simply ``delta_L = s (A - Y) / S``
(MATH.md, "Backward pass"). Values follow scikit-learn's ``_base.py`` so that
``loss_`` and ``loss_curve_`` match it.
"""

import numpy as np

from ._activations import EXP, IDENTITY, LOGISTIC, SOFTMAX
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


# ``math="ordered"``: the loss's sums kept in order, which keeps LLVM from
# vectorising the loop, so that a log is taken only where ``y != 0`` (one per
# row of a one-hot Y) instead of in every lane of a masked vector of logs.
# W6's shapes (16 rows, 10 classes): 0.97 -> 0.28 us per batch, 1160371's
# version 0.48 us (medians of 7, one process).
@kernel(math="ordered")
def loss_and_output_delta(Y, A, sample_weight, use_weight, weight_sum, loss_code, eps, mean_over_outputs, delta):
    """Data term of the loss, and the output error term, in one pass.

    Returns ``E = 1/S sum_i s_i sum_k l(y_ik, a_ik)`` (accumulated in float64)
    and writes ``delta = s (A - Y) / S``: ``dE/dZ`` of the output layer for a
    canonical pair (``is_canonical``), ``dE/dA`` for the others (squared error
    behind a logistic, tanh, relu or exp output), which the backward pass
    multiplies by ``f'(Z)``. Per element ``l`` is ``(y - a)^2 / 2`` (squared
    error), ``-y log a`` (log loss), ``-y log a - (1 - y) log(1 - a)`` (binary
    log loss) and ``y log(y / a) - y + a`` (Poisson, scikit-learn's form);
    probabilities are clipped to ``[eps, 1 - eps]`` before logs. With
    ``mean_over_outputs`` squared error is also divided by n_out, as
    scikit-learn reports it (its gradient is not).

    Y, A, delta: (n_samples, n_out); sample_weight: (n_samples,), read only
    when ``use_weight``; weight_sum is S of the whole batch these rows belong
    to (they may be one thread's share of it), so that the losses and
    gradients of the shares add up to the batch's.
    """
    n_samples, n_out = A.shape
    inv_weight_sum = 1.0 / weight_sum
    total = 0.0
    for i in range(n_samples):
        s = sample_weight[i] if use_weight else 1.0
        row = 0.0
        for k in range(n_out):
            y = Y[i, k]
            a = A[i, k]
            delta[i, k] = (s * inv_weight_sum) * (a - y)
            if loss_code == SQUARED_ERROR:
                row += 0.5 * (y - a) * (y - a)
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
        total += s * row
    if mean_over_outputs and loss_code == SQUARED_ERROR:
        total /= n_out
    return total * inv_weight_sum
