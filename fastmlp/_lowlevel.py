"""A small functional API over the training kernels.

For checking the math and for research: the forward pass, and the loss and
gradients of given weights on given data, for any hidden activation, output
activation and loss, non-canonical pairs included (a logistic output with
squared error, as in the worked example of MATH.md).
"""

import numpy as np

from ._activations import ACTIVATIONS
from ._backprop import (
    full_batch_loss_and_grad,
    kernel_extras,
    layers_workspace_size,
    make_codes,
    no_sparse_input,
    predict_inplace,
)
from ._dropout import dropout_mask, dropout_vector
from ._layer_options import dropout_rates, layer_activations
from ._layout import ParameterLayout
from ._losses import CANONICAL_OUTPUT, LOSSES
from ._team import SYNC_SIZE

_ELEMENTWISE_OUTPUTS = ("identity", "logistic", "tanh", "relu", "exp")


def _prepare(X, coefs, intercepts, hidden_activation, output_activation):
    X = np.asarray(X)
    coefs = [np.asarray(W) for W in coefs]
    intercepts = [np.asarray(b) for b in intercepts]
    dtype = np.result_type(X, *coefs, *intercepts)
    if dtype not in (np.float32, np.float64):
        dtype = np.float64
    X = np.ascontiguousarray(X, dtype=dtype)
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(f"X must be 2-D (n_samples, n_features) with at least one row, got shape {X.shape}.")
    if len(coefs) != len(intercepts) or not coefs:
        raise ValueError("coefs and intercepts must be non-empty lists of the same length.")
    layer_units = [X.shape[1]] + [np.shape(W)[1] for W in coefs]
    layout = ParameterLayout(layer_units)
    for i, (W, b) in enumerate(zip(coefs, intercepts)):
        expected = (layer_units[i], layer_units[i + 1])
        if np.shape(W) != expected or np.shape(b) != (expected[1],):
            raise ValueError(
                f"Layer {i}: expected W of shape {expected} and b of shape ({expected[1]},), "
                f"got {np.shape(W)} and {np.shape(b)}."
            )
    layer_activations(hidden_activation, layout.n_layers - 1, parameter="hidden_activation")
    if output_activation not in ACTIVATIONS:
        raise ValueError(f"output_activation must be one of {tuple(ACTIVATIONS)}, got {output_activation!r}.")
    return X, layout, layout.pack(coefs, intercepts, dtype)


def forward_pass(X, coefs, intercepts, *, hidden_activation="relu", output_activation="identity"):
    """Output of the network ``A_L`` for the rows of X.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    coefs : list of arrays of shape (n_in, n_out)
        ``W_l`` per layer, as in ``MLPClassifier.coefs_``.
    intercepts : list of arrays of shape (n_out,)
        ``b_l`` per layer.
    hidden_activation : str or list of str
        Any hidden activation of the estimators (``fastmlp.MLPClassifier``'s
        ``activation``), or one per hidden layer.
    output_activation : {'identity', 'logistic', 'tanh', 'relu', 'exp', 'softmax'}

    Returns
    -------
    A_L : ndarray of shape (n_samples, n_outputs)

    Examples
    --------
    >>> import numpy as np
    >>> from fastmlp import forward_pass
    >>> V = [[0.15, 0.20, 0.25], [0.30, 0.35, 0.40]]
    >>> W = [[0.40, 0.45], [0.50, 0.55], [0.60, 0.65]]
    >>> forward_pass([[0.05, 0.10]], [V, W], [[0.35] * 3, [0.60] * 2],
    ...              hidden_activation="logistic", output_activation="logistic")
    array([[0.81706505, 0.83008232]])
    """
    X, layout, params = _prepare(X, coefs, intercepts, hidden_activation, output_activation)
    codes = make_codes(hidden_activation, output_activation)
    out = np.empty((X.shape[0], layout.layer_units[-1]), dtype=X.dtype)
    workspace = np.empty(X.shape[0] * layout.n_hidden_units, dtype=X.dtype)
    extras = kernel_extras(codes)
    if not predict_inplace(X, *no_sparse_input(X.dtype), params, layout.layer_units, codes, extras, workspace, out, None):
        raise ValueError("Input X contains NaN or infinity.")
    return out


def loss_and_gradients(
    X,
    Y,
    coefs,
    intercepts,
    *,
    hidden_activation="relu",
    output_activation=None,
    loss="squared_error",
    alpha=0.0,
    sample_weight=None,
    dropout=0.0,
    dropout_seed=0,
    dropout_offset=0,
):
    """Loss ``E`` of the given weights on (X, Y) and its gradients, by backprop.

    ``E = 1/S sum_i s_i sum_k l(y_ik, a_ik) + alpha / (2 S) sum_l ||W_l||^2``
    with ``l`` the per-element loss of docs/MATH.md (squared error
    ``(y - a)^2 / 2``, not averaged over outputs), ``s`` the sample weights
    and ``S`` their sum.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    Y : array-like of shape (n_samples, n_outputs)
        Targets; for log losses, 0/1 indicators.
    coefs, intercepts : lists of arrays
        ``W_l`` (n_in, n_out) and ``b_l`` (n_out,) per layer.
    hidden_activation : str or list of str
        Any hidden activation of the estimators, or one per hidden layer.
    output_activation : str or None
        Defaults to the loss's canonical output: identity for squared_error,
        softmax for log_loss, logistic for binary_log_loss, exp for poisson.
        With squared_error any element-wise output is allowed
        (identity, logistic, tanh, relu, exp).
    loss : {'squared_error', 'log_loss', 'binary_log_loss', 'poisson'}
    alpha : float, default=0.0
        L2 penalty on the weights (not the biases).
    sample_weight : array-like of shape (n_samples,), default=None
    dropout : float or list of float, default=0.0
        Dropout rate of every hidden layer, or of each. The masks are those
        the estimators' kernels draw for these rows when they are rows
        ``dropout_offset, dropout_offset + 1, ...`` of the training of a model
        whose dropout seed is ``dropout_seed`` (see :func:`dropout_masks`):
        fixed by the two, so that the loss is a function of the weights and
        gradients can be checked.
    dropout_seed, dropout_offset : int, default=0
        Integers in [0, 2**53).

    Returns
    -------
    loss : float
    coef_grads : list of ndarrays, ``dE/dW_l``
    intercept_grads : list of ndarrays, ``dE/db_l``
    """
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {tuple(LOSSES)}, got {loss!r}.")
    if output_activation is None:
        output_activation = CANONICAL_OUTPUT[loss]
    if output_activation != CANONICAL_OUTPUT[loss] and not (
        loss == "squared_error" and output_activation in _ELEMENTWISE_OUTPUTS
    ):
        raise ValueError(
            f"loss={loss!r} needs output_activation={CANONICAL_OUTPUT[loss]!r}; only "
            f"squared_error accepts other (element-wise) outputs, got {output_activation!r}."
        )
    X, layout, params = _prepare(X, coefs, intercepts, hidden_activation, output_activation)
    Y = np.asarray(Y, dtype=X.dtype)
    if Y.ndim == 1:
        Y = Y.reshape(-1, 1)
    Y = np.ascontiguousarray(Y)
    if Y.shape != (X.shape[0], layout.layer_units[-1]):
        raise ValueError(f"Y must have shape {(X.shape[0], int(layout.layer_units[-1]))}, got {Y.shape}.")
    codes = make_codes(hidden_activation, output_activation, loss, use_weight=sample_weight is not None)
    if sample_weight is None:
        sample_weight = np.empty(0, dtype=X.dtype)
    else:
        sample_weight = np.ascontiguousarray(sample_weight, dtype=X.dtype)
        if sample_weight.shape != (X.shape[0],):
            raise ValueError(f"sample_weight must have shape ({X.shape[0]},), got {sample_weight.shape}.")
    grads = np.empty_like(params)
    workspace = np.empty(layers_workspace_size(layout.layer_units, codes, X.shape[0]), dtype=X.dtype)
    dropout = dropout_vector(dropout_rates(dropout, layout.n_layers - 1), _counter(dropout_seed))
    value = full_batch_loss_and_grad(
        X, no_sparse_input(X.dtype), Y, sample_weight, params, grads, np.empty((0, layout.size), dtype=X.dtype),
        np.zeros((1, 8)), layout.layer_units, codes, kernel_extras(codes, dropout), _counter(dropout_offset), float(alpha),
        float(np.finfo(X.dtype).eps), workspace, None, 0, 1, np.zeros(SYNC_SIZE, dtype=np.int64),
    )  # fmt: skip
    coef_grads, intercept_grads = layout.views(grads)
    return value, coef_grads, intercept_grads


def _counter(value):
    """A seed or row count: an integer in [0, 2**53), exact in the kernels' float64."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or not 0 <= value < 2**53:
        raise ValueError(f"dropout_seed and dropout_offset must be integers in [0, 2**53), got {value!r}.")
    return int(value)


def dropout_masks(n_rows, hidden_layer_sizes, dropout, *, dropout_seed=0, dropout_offset=0):
    """The 0/1 masks of the hidden units, one (n_rows, width) array per hidden
    layer, that ``n_rows`` rows draw when they are rows ``dropout_offset,
    dropout_offset + 1, ...`` of the training of a model whose dropout seed is
    ``dropout_seed`` (an estimator's ``t_`` counts the rows it trained on; as
    :func:`loss_and_gradients` applies them, kept units are also scaled by
    ``1 / (1 - rate)``)."""
    sizes = list(hidden_layer_sizes)
    rates = dropout_rates(dropout, len(sizes))
    vector = dropout_vector(rates, _counter(dropout_seed))
    if vector.shape[0] == 0:
        return [np.ones((n_rows, width)) for width in sizes]
    offset = _counter(dropout_offset)
    return [dropout_mask(vector, layer, offset, n_rows, width) for layer, width in enumerate(sizes)]
