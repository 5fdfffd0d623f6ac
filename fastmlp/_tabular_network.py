"""The tabular models' network: where its parameters live, how they start,
and how fast each group of them learns (RealMLP-TD's, Holzmueller et al. 2024).

The flat parameter buffer holds the dense layers first, in the layout of
``_layout.ParameterLayout`` (so ``coefs_`` and ``intercepts_`` are views of
it, as for the MLPs), then the blocks of the other layers:

    W_1..W_L, b_1..b_L | alpha (hidden units) | scale (d_in) |
    frequencies (N F) | phases (N F) | mix (N F P) | mix bias (N P) | tables

``spec`` (``_input_layers``) tells the kernels where each block starts.

Neural-tangent parametrisation. RealMLP computes a layer as ``A W / sqrt(n_in)``
and trains the stored ``W``. fastmlp stores the effective weights ``W' = W /
sqrt(n_in)`` and computes ``A W'``, so its dense kernels stay the MLPs'; the
training is the same because of how Adam scales: the gradient of ``W`` is
``dE/dW' / sqrt(n_in)``, and Adam's step on ``W``, ``lr m / (sqrt(v) + eps)``,
is on ``W'`` the step of learning rate ``lr / sqrt(n_in)`` and epsilon ``eps
sqrt(n_in)`` (``m`` and ``sqrt(v)`` scale with the gradient, the decay
``W <- (1 - c) W`` is the same on both). So each layer's weights form a
group of their own, with those two factors.
"""

import numpy as np

from ._input_layers import (
    ALPHA_AT,
    EMBEDDING_SIZE,
    FIRST_TABLE_ROW,
    FREQUENCY_AT,
    MIX_AT,
    MIX_BIAS_AT,
    N_BINARY,
    N_EMBEDDED,
    N_FREQUENCIES,
    N_NUMERIC,
    PBLD_OUTPUTS,
    PHASE_AT,
    SCALE_AT,
    SCALED,
    TABLES_AT,
)
from ._layout import ParameterLayout

#: Rows the data-dependent initialisation looks at, at most (a random subset
#: beyond; pytabkit takes up to about 2^28 / (values per row) rows): enough
#: for each unit's standard deviation within a few percent, and 4 forward
#: passes over 25,600 rows of 56 features had taken 0.94 s of a fit.
INIT_ROWS = 4096

#: The "he+5" bias initialisation: each unit's bias puts its kink at a random
#: convex combination of this many training points.
HE_PLUS_POINTS = 5


class TabularNetwork:
    """The parameter blocks of a tabular model and their learning groups.

    Parameters
    ----------
    n_numeric, n_binary : int
        Numeric and binary (one-hot, indicator) columns of the encoded table.
    table_rows : sequence of int
        Rows of each embedded categorical column's table (categories + 1).
    hidden_layer_sizes : sequence of int
    n_outputs : int
    recipe : dict
        ``embedding_size``, ``n_frequencies``, ``pbld_outputs`` (0: no PBLD),
        ``scale`` (bool), ``parametric`` (bool), ``ntk`` (bool) and the
        learning-rate factors ``bias_lr``, ``scale_lr``, ``pbld_lr``,
        ``activation_lr``, ``embedding_lr``.
    """

    def __init__(self, n_numeric, n_binary, table_rows, hidden_layer_sizes, n_outputs, recipe):
        self.n_numeric, self.n_binary = int(n_numeric), int(n_binary)
        self.table_rows = np.asarray(table_rows, dtype=np.int64)
        self.hidden_layer_sizes = [int(h) for h in hidden_layer_sizes]
        self.n_outputs = int(n_outputs)
        self.recipe = dict(recipe)
        width = recipe["embedding_size"]
        n, n_freq, n_mix = self.n_numeric, recipe["n_frequencies"], recipe["pbld_outputs"]
        self.d_in = n * n_mix + n + self.n_binary + len(self.table_rows) * width
        self.layout = ParameterLayout([self.d_in, *self.hidden_layer_sizes, self.n_outputs])
        n_hidden = sum(self.hidden_layer_sizes)
        sizes = {
            "alpha": n_hidden if recipe["parametric"] else 0,
            "scale": self.d_in if recipe["scale"] else 0,
            "frequency": n * n_freq if n_mix else 0,
            "phase": n * n_freq if n_mix else 0,
            "mix": n * n_freq * n_mix,
            "mix_bias": n * n_mix,
            "tables": int(self.table_rows.sum()) * width,
        }
        self.blocks = {}
        at = self.layout.size
        for name, size in sizes.items():
            self.blocks[name] = (at, at + size)
            at += size
        self.size = at
        spec = np.zeros(FIRST_TABLE_ROW + len(self.table_rows) + 1, dtype=np.int64)
        spec[[N_NUMERIC, N_BINARY, N_EMBEDDED, EMBEDDING_SIZE]] = n, self.n_binary, len(self.table_rows), width
        spec[[N_FREQUENCIES, PBLD_OUTPUTS, SCALED]] = n_freq, n_mix, recipe["scale"]
        for slot, name in ((SCALE_AT, "scale"), (ALPHA_AT, "alpha"), (FREQUENCY_AT, "frequency"),
                           (PHASE_AT, "phase"), (MIX_AT, "mix"), (MIX_BIAS_AT, "mix_bias"), (TABLES_AT, "tables")):  # fmt: skip
            spec[slot] = self.blocks[name][0]
        spec[FIRST_TABLE_ROW:] = np.concatenate(([0], np.cumsum(self.table_rows)))
        self.spec = spec

    def truncated(self, n_layers):
        """The same network with only its first ``n_layers`` weight layers, the
        last of them an output layer of its width (for the initialisation)."""
        units = self.layout.layer_units[1 : n_layers + 1]
        return TabularNetwork(self.n_numeric, self.n_binary, self.table_rows, units[:-1], units[-1], self.recipe)

    def view(self, params, name):
        """The block ``name`` of ``params``."""
        start, stop = self.blocks[name]
        return params[start:stop]

    def groups(self):
        """``(boundaries, factors)`` of the parameter groups for
        ``_optimizers.grouped_adam_step_inplace``: each layer's weights (with
        the neural-tangent factors, see the module docstring), the biases,
        the activations' alphas, the scale, the PBLD parameters and the
        embedding tables, each with its learning-rate factor.

        The decay factors are the squares of the learning-rate factors:
        pytabkit multiplies the decay ``lr wd`` by the group's learning-rate
        (and weight-decay) factors once more than the step's (its issue #40),
        and RealMLP-TD's published results were obtained with that: the scale
        decays at 36 times the weights' rate, the PBLD parameters and alphas
        at 0.01 times. The biases do not decay.
        """
        r = self.recipe
        rows = []
        for l in range(self.layout.n_layers):
            start, stop = self.layout.coef_offsets[l], self.layout.coef_offsets[l + 1]
            fan_in = float(self.layout.layer_units[l])
            lr, eps = (1.0 / np.sqrt(fan_in), np.sqrt(fan_in)) if r["ntk"] else (1.0, 1.0)
            rows.append((start, stop, lr, eps, 1.0))
        rows.append((self.layout.intercept_offsets[0], self.layout.size, r["bias_lr"], 1.0, 0.0))
        for name, lr in (("alpha", r["activation_lr"]), ("scale", r["scale_lr"])):
            rows.append((*self.blocks[name], lr, 1.0, lr * lr))
        start = self.blocks["frequency"][0]
        rows.append((start, self.blocks["mix_bias"][1], r["pbld_lr"], 1.0, r["pbld_lr"] ** 2))
        rows.append((*self.blocks["tables"], r["embedding_lr"], 1.0, r["embedding_lr"] ** 2))
        rows = [row for row in rows if row[1] > row[0]]
        boundaries = np.array([rows[0][0]] + [row[1] for row in rows], dtype=np.int64)
        assert boundaries[0] == 0 and boundaries[-1] == self.size and np.all(np.diff(boundaries) > 0)
        return boundaries, np.array([row[2:] for row in rows], dtype=np.float64)

    def initialize_inputs(self, params, random_state):
        """Draw the input layers' parameters: frequencies ``N(0, sigma^2)``,
        phases ``U(-pi, pi)``, the PBLD map and its bias ``U(-1/sqrt(F),
        1/sqrt(F))``, embeddings ``N(0, 1)``; scale and alphas 1."""
        r = self.recipe
        self.view(params, "alpha")[:] = 1.0
        self.view(params, "scale")[:] = 1.0
        n, n_freq, n_mix = self.n_numeric, r["n_frequencies"], r["pbld_outputs"]
        if n_mix and n:
            bound = 1.0 / np.sqrt(n_freq)
            self.view(params, "frequency")[:] = r["pbld_sigma"] * random_state.standard_normal(n * n_freq)
            self.view(params, "phase")[:] = random_state.uniform(-np.pi, np.pi, n * n_freq)
            self.view(params, "mix")[:] = random_state.uniform(-bound, bound, n * n_freq * n_mix)
            self.view(params, "mix_bias")[:] = random_state.uniform(-bound, bound, n * n_mix)
        tables = self.view(params, "tables")
        tables[:] = random_state.standard_normal(tables.shape[0])

    def initialize(self, X, random_state, forward, bias_init="he+5"):
        """A new parameter buffer of X's dtype, initialised on the encoded
        training rows ``X`` (a random subset of ``INIT_ROWS`` of them where
        there are more).

        The input layers as :meth:`initialize_inputs`; then layer by layer,
        on the rows' outputs of the layers below (no dropout): each weight
        column drawn ``N(0, I)`` and divided by the standard deviation of its
        unit's pre-activation (so that it starts at 1, RealMLP's "std"
        initialisation); with ``bias_init="he+5"``, each unit's bias is minus
        a random convex combination (weights ~ Dirichlet(1, ..., 1)) of its
        pre-activation at ``HE_PLUS_POINTS`` random rows, so that its kink
        starts among the data; ``"zeros"`` starts the biases at 0.
        ``forward(network, params, X)`` returns the output of a network on
        X (the prediction kernel).
        """
        params = np.zeros(self.size)
        self.initialize_inputs(params, random_state)
        if X.shape[0] > INIT_ROWS:
            X = X[np.sort(random_state.choice(X.shape[0], INIT_ROWS, replace=False))]
        coefs, intercepts = self.layout.views(params)
        for l, (W, b) in enumerate(zip(coefs, intercepts)):
            W[...] = random_state.standard_normal(W.shape)
            b[...] = 0.0
            below = self.truncated(l + 1)
            part = np.zeros(below.size)
            below_coefs, below_intercepts = below.layout.views(part)
            for k in range(l + 1):
                below_coefs[k][...], below_intercepts[k][...] = coefs[k], intercepts[k]
            for name in ("alpha", "scale", "frequency", "phase", "mix", "mix_bias", "tables"):
                below.view(part, name)[:] = self.view(params, name)[: len(below.view(part, name))]
            Z = forward(below, part.astype(X.dtype), X).astype(np.float64)
            std = Z.std(axis=0)
            std = np.where(std > 0, std, 1.0)  # a dead unit keeps its draw
            W /= std
            Z /= std
            if bias_init == "he+5" and Z.shape[0] > 0:
                rows = random_state.randint(0, Z.shape[0], size=(Z.shape[1], HE_PLUS_POINTS))
                weights = random_state.standard_exponential((Z.shape[1], HE_PLUS_POINTS))
                weights /= weights.sum(axis=1, keepdims=True)
                b[...] = -(Z[rows, np.arange(Z.shape[1])[:, None]] * weights).sum(axis=1)
        return params.astype(X.dtype)
