"""A plain-numpy reference of the math in docs/MATH.md.

Written for clarity, not speed, and independently of the kernels: lists of
per-layer arrays, one function per equation. Every kernel is tested against it.
"""

import numpy as np
from scipy.special import erfc, expit

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _softplus(z):
    return np.logaddexp(0.0, z)


def _normal_cdf(z):
    return 0.5 * erfc(-z / np.sqrt(2.0))  # 1 + erf(x) cancels for x << 0: erfc does not


def _gelu(z):
    return z * _normal_cdf(z)


def _normal_pdf(z):
    return np.exp(-0.5 * z**2) / np.sqrt(2 * np.pi)


ACTIVATION = {
    "identity": lambda z: z,
    "logistic": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0.0),
    "exp": np.exp,
    "softmax": lambda z: np.exp(z - z.max(axis=1, keepdims=True))
    / np.exp(z - z.max(axis=1, keepdims=True)).sum(axis=1, keepdims=True),
    "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
    "elu": lambda z: np.where(z > 0, z, np.expm1(np.minimum(z, 0.0))),
    "selu": lambda z: SELU_SCALE * np.where(z > 0, z, SELU_ALPHA * np.expm1(np.minimum(z, 0.0))),
    "gelu": _gelu,
    "silu": lambda z: z * expit(z),
    "softplus": _softplus,
    "mish": lambda z: z * np.tanh(_softplus(z)),
}

# f'(z) of every hidden activation, as a function of z (the textbook form)
PRIME = {
    "identity": lambda z: np.ones_like(z),
    "logistic": lambda z: expit(z) * (1.0 - expit(z)),
    "tanh": lambda z: 1.0 - np.tanh(z) ** 2,
    "relu": lambda z: (z > 0).astype(z.dtype),
    "leaky_relu": lambda z: np.where(z > 0, 1.0, 0.01),
    "elu": lambda z: np.where(z > 0, 1.0, np.exp(np.minimum(z, 0.0))),
    "selu": lambda z: SELU_SCALE * np.where(z > 0, 1.0, SELU_ALPHA * np.exp(np.minimum(z, 0.0))),
    "gelu": lambda z: _normal_cdf(z) + z * _normal_pdf(z),
    "silu": lambda z: expit(z) * (1.0 + z * (1.0 - expit(z))),
    "softplus": expit,
    "mish": lambda z: np.tanh(_softplus(z)) + z * (1.0 - np.tanh(_softplus(z)) ** 2) * expit(z),
}

# f'(z) written as a function of a = f(z)
DERIVATIVE = {
    "identity": lambda a: np.ones_like(a),
    "logistic": lambda a: a * (1.0 - a),
    "tanh": lambda a: 1.0 - a**2,
    "relu": lambda a: (a > 0).astype(a.dtype),
    "exp": lambda a: a,
}


def elementwise_loss(loss, Y, A):
    """Per-element loss l(y, a), as in MATH.md / scikit-learn."""
    eps = np.finfo(A.dtype).eps
    if loss == "squared_error":
        return 0.5 * (Y - A) ** 2
    if loss == "poisson":
        with np.errstate(divide="ignore", invalid="ignore"):
            ylogy = np.where(Y > 0, Y * np.log(np.where(Y > 0, Y, 1.0) / A), 0.0)
        return ylogy - Y + A
    P = np.clip(A, eps, 1 - eps)
    if loss == "log_loss":
        return -Y * np.log(P)
    if loss == "binary_log_loss":
        return -Y * np.log(P) - (1 - Y) * np.log(1 - P)
    raise ValueError(loss)


def dloss_dA(loss, Y, A):
    if loss == "squared_error":
        return A - Y
    raise ValueError("only squared error is used with a non-canonical output")


def hidden_names(hidden, n_hidden):
    """One activation name per hidden layer, from one name or a list."""
    return [hidden] * n_hidden if isinstance(hidden, str) else list(hidden)


def forward(X, coefs, intercepts, hidden, output, dropout=None, keep_z=False):
    """[A_0 = X, A_1, ..., A_L] (and [Z_1, ..., Z_L] with ``keep_z``).

    ``hidden`` is one name or one per hidden layer; ``dropout`` a list of
    (mask, rate) per hidden layer: inverted dropout, ``A_l <- A_l * mask /
    (1 - rate)``.
    """
    names = hidden_names(hidden, len(coefs) - 1)
    activations, pre_activations = [X], []
    for l, (W, b) in enumerate(zip(coefs, intercepts)):
        Z = activations[-1] @ W + b
        pre_activations.append(Z)
        A = ACTIVATION[output if l == len(coefs) - 1 else names[l]](Z)
        if dropout is not None and l < len(coefs) - 1:
            mask, rate = dropout[l]
            A = A * mask / (1.0 - rate)
        activations.append(A)
    return (activations, pre_activations) if keep_z else activations


def loss_and_gradients(X, Y, coefs, intercepts, hidden, output, loss, alpha=0.0, sample_weight=None, dropout=None):
    """E and dE/dW_l, dE/db_l by delta backprop, per MATH.md; ``dropout`` as
    in :func:`forward` (a hidden unit's error term is masked and scaled as
    its output was)."""
    n = X.shape[0]
    s = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    S = s.sum()
    names = hidden_names(hidden, len(coefs) - 1)
    activations, pre_activations = forward(X, coefs, intercepts, hidden, output, dropout, keep_z=True)
    A_L = activations[-1]
    E = (s[:, None] * elementwise_loss(loss, Y, A_L)).sum() / S
    E += alpha / (2 * S) * sum((W**2).sum() for W in coefs)

    canonical = {"squared_error": "identity", "log_loss": "softmax", "binary_log_loss": "logistic", "poisson": "exp"}
    if canonical[loss] == output:
        delta = s[:, None] * (A_L - Y) / S
    else:
        delta = s[:, None] * dloss_dA(loss, Y, A_L) * DERIVATIVE[output](A_L) / S

    coef_grads = [None] * len(coefs)
    intercept_grads = [None] * len(coefs)
    for l in range(len(coefs) - 1, -1, -1):
        A_prev = activations[l]
        coef_grads[l] = A_prev.T @ delta + (alpha / S) * coefs[l]
        intercept_grads[l] = delta.sum(axis=0)
        if l > 0:
            delta = delta @ coefs[l].T
            if dropout is not None:
                mask, rate = dropout[l - 1]
                delta = delta * mask / (1.0 - rate)
            delta = delta * PRIME[names[l - 1]](pre_activations[l - 1])
    return E, coef_grads, intercept_grads


def loss_only(X, Y, coefs, intercepts, hidden, output, loss, alpha=0.0, sample_weight=None, dropout=None):
    n = X.shape[0]
    s = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    A_L = forward(X, coefs, intercepts, hidden, output, dropout)[-1]
    return (s[:, None] * elementwise_loss(loss, Y, A_L)).sum() / s.sum() + alpha / (2 * s.sum()) * sum(
        (W**2).sum() for W in coefs
    )


def central_differences(loss, arrays, h=1e-6):
    """``d loss() / d a`` for every entry of every array in ``arrays`` (which
    ``loss`` reads), by central differences ``(E(a + h) - E(a - h)) / 2h``."""
    numeric = []
    for P in arrays:
        gradient = np.empty_like(P)
        for idx in np.ndindex(P.shape):
            old = P[idx]
            P[idx] = old + h
            up = loss()
            P[idx] = old - h
            down = loss()
            P[idx] = old
            gradient[idx] = (up - down) / (2 * h)
        numeric.append(gradient)
    return numeric


def random_network(layer_units, rng, scale=0.5):
    coefs = [rng.uniform(-scale, scale, (a, b)) for a, b in zip(layer_units[:-1], layer_units[1:])]
    intercepts = [rng.uniform(-scale, scale, b) for b in layer_units[1:]]
    return coefs, intercepts


def random_targets(loss, n, n_out, rng):
    if loss == "squared_error":
        return rng.normal(size=(n, n_out))
    if loss == "poisson":
        return rng.poisson(1.5, size=(n, n_out)).astype(float)
    if loss == "log_loss":
        return np.eye(n_out)[rng.randint(0, n_out, n)]
    return rng.randint(0, 2, (n, n_out)).astype(float)


def adam_step(coefs, intercepts, coef_grads, intercept_grads, state, t, lr, beta_1=0.9, beta_2=0.999, eps=1e-8,
              l2=0.0, weight_decay=0.0):  # fmt: skip
    """One Adam step (``weight_decay=0``), or AdamW's (``l2=0``), on lists of
    per-layer arrays, in place; ``state`` is a dict of first and second
    moments per array, created on the first step.

    Adam (Kingma and Ba, scikit-learn's ``AdamOptimizer``): ``g = grad + l2 W``
    on the weights, ``m = b1 m + (1 - b1) g``, ``v = b2 v + (1 - b2) g^2``,
    ``W -= lr sqrt(1 - b2^t) / (1 - b1^t) m / (sqrt(v) + eps)``. AdamW
    (Loshchilov and Hutter, decoupled weight decay): before that update, the
    weights, not the biases, are multiplied by ``1 - lr weight_decay``.
    """
    arrays = list(coefs) + list(intercepts)
    grads = [g + l2 * W for g, W in zip(coef_grads, coefs)] + list(intercept_grads)
    lr_t = lr * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
    for i, (p, g) in enumerate(zip(arrays, grads)):
        m, v = state.setdefault(i, (np.zeros_like(p), np.zeros_like(p)))
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g**2
        state[i] = (m, v)
        if i < len(coefs):
            p *= 1 - lr * weight_decay
        p -= lr_t * m / (np.sqrt(v) + eps)


def clip_by_global_norm(grads, max_norm):
    """``grads`` (a list of arrays) scaled by ``min(1, max_norm / ||grads||)``,
    the norm taken over all of them at once."""
    norm = np.sqrt(sum((g**2).sum() for g in grads))
    scale = min(1.0, max_norm / norm) if norm > 0 else 1.0
    return [g * scale for g in grads]


# -- the tabular models' network (RealMLP-TD's layers) ---------------------------


def tabular_inputs(numeric, binary, codes, p):
    """``(x_in, X0, waves)``: the first dense layer's input before and after
    the scale, and the PBLD's pre-activations ``2 pi w x + phi`` (n, N, F).

    ``p``: ``frequency``, ``phase`` (N, F), ``mix`` (N, F, P), ``mix_bias``
    (N, P) (P = 0: no PBLD), ``tables`` (one (rows, E) array per embedded
    column), ``scale`` (d_in,) or None. Columns: every feature's P embedding
    values, the numeric values, the binary ones, the embeddings.
    """
    n = numeric.shape[0]
    columns = []
    waves = 2 * np.pi * p["frequency"][None] * numeric[:, :, None] + p["phase"][None]
    if p["mix"].shape[-1]:
        embedded = np.einsum("nfk,fkp->nfp", np.cos(waves), p["mix"]) + p["mix_bias"][None]
        columns.append(embedded.reshape(n, -1))
    columns += [numeric, binary] + [table[codes[:, c]] for c, table in enumerate(p["tables"])]
    x_in = np.hstack(columns)
    X0 = x_in if p["scale"] is None else x_in * p["scale"]
    return x_in, X0, waves


def tabular_loss_and_gradients(numeric, binary, codes, Y, p, coefs, intercepts, alphas, hidden, output, loss,
                               sample_weight=None, dropout=None):  # fmt: skip
    """E and the gradient of every parameter of a tabular network, by delta
    backprop: a dict with ``coefs``, ``intercepts``, ``alphas`` (lists) and
    the entries of ``p``. Hidden layers ``A = Z + alpha (f(Z) - Z)`` (``alphas``
    None: ``A = f(Z)``), then dropout (``dropout``: (mask, rate) per hidden
    layer) as :func:`forward`."""
    n = numeric.shape[0]
    s = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    S = s.sum()
    x_in, X0, waves = tabular_inputs(numeric, binary, codes, p)
    A, Zs, Fs = [X0], [], []
    for l, (W, b) in enumerate(zip(coefs, intercepts)):
        Z = A[-1] @ W + b
        Zs.append(Z)
        if l == len(coefs) - 1:
            A.append(ACTIVATION[output](Z))
            continue
        F = ACTIVATION[hidden](Z)
        Fs.append(F)
        H = F if alphas is None else Z + alphas[l] * (F - Z)
        if dropout is not None:
            mask, rate = dropout[l]
            H = H * mask / (1.0 - rate)
        A.append(H)
    E = (s[:, None] * elementwise_loss(loss, Y, A[-1])).sum() / S
    delta = s[:, None] * (A[-1] - Y) / S  # canonical pairs only
    grads = {"coefs": [None] * len(coefs), "intercepts": [None] * len(coefs), "alphas": [None] * (len(coefs) - 1)}
    for l in range(len(coefs) - 1, -1, -1):
        grads["coefs"][l] = A[l].T @ delta
        grads["intercepts"][l] = delta.sum(axis=0)
        dA = delta @ coefs[l].T
        if l == 0:
            break
        if dropout is not None:
            mask, rate = dropout[l - 1]
            dA = dA * mask / (1.0 - rate)
        Z, F = Zs[l - 1], Fs[l - 1]
        if alphas is None:
            delta = dA * PRIME[hidden](Z)
        else:
            grads["alphas"][l - 1] = (dA * (F - Z)).sum(axis=0)
            delta = dA * (1.0 + alphas[l - 1] * (PRIME[hidden](Z) - 1.0))
    dX0 = dA
    grads["scale"] = None if p["scale"] is None else (x_in * dX0).sum(axis=0)
    dx_in = dX0 if p["scale"] is None else dX0 * p["scale"]
    N, F, P = p["mix"].shape
    if P:
        d_embedded = dx_in[:, : N * P].reshape(n, N, P)
        grads["mix"] = np.einsum("nfk,nfp->fkp", np.cos(waves), d_embedded)
        grads["mix_bias"] = d_embedded.sum(axis=0)
        d_waves = -np.sin(waves) * np.einsum("nfp,fkp->nfk", d_embedded, p["mix"])
        grads["phase"] = d_waves.sum(axis=0)
        grads["frequency"] = (2 * np.pi * numeric[:, :, None] * d_waves).sum(axis=0)
    start = N * P + N + binary.shape[1]
    grads["tables"] = []
    for c, table in enumerate(p["tables"]):
        width = table.shape[1]
        grad = np.zeros_like(table)
        np.add.at(grad, codes[:, c], dx_in[:, start + c * width : start + (c + 1) * width])
        grads["tables"].append(grad)
    return E, grads


def tabular_loss(numeric, binary, codes, Y, p, coefs, intercepts, alphas, hidden, output, loss, sample_weight=None,
                 dropout=None):  # fmt: skip
    return tabular_loss_and_gradients(numeric, binary, codes, Y, p, coefs, intercepts, alphas, hidden, output, loss,
                                      sample_weight, dropout)[0]  # fmt: skip
