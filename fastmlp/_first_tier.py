"""The first tier: scikit-learn's MLP trains while fastmlp's kernels compile.

A new environment has no compiled kernels: compiling them takes 8-15 s per
dtype, where scikit-learn's own fit of a small model takes a fraction of a
second. As a tiered JIT runtime does, a fit that finds the kernels cold
starts their compile in a background process (``_background_compile``) and
trains meanwhile with the first tier: scikit-learn's ``MLPClassifier`` or
``MLPRegressor``, which trains the same model as the kernels (the
equivalence tests). At the end of each of its epochs the first tier looks
for the compile's marker; once the kernels are ready, it hands its state
over (weights, Adam's moments or SGD's velocity, counters, curves, the
random state and the order of the rows) and the kernels train the remaining
epochs, in the same process. L-BFGS cannot hand over mid-fit (scipy holds
its state), nor an epoch mid-way: each runs in the first tier only when its
estimated time is shorter than the compile's.

Only fits with scikit-learn's parameters can run there. The others (fastmlp's
own options, early stopping with its validation loss curve, callbacks, a
user's validation set, ``partial_fit`` and warm starts) wait for the kernels,
and say so in one line. Until the kernels are ready, predictions of models
with scikit-learn's activations run scikit-learn's forward pass in numpy (a
process that only predicts starts the compile too).

``FASTMLP_FIRST_TIER`` (read when fastmlp is imported): ``auto`` (default),
``always`` (every fit the first tier can take, and those models'
predictions, run there; no background compile: for tests) or ``never``
(fits wait for the kernels, as before the first tier).
"""

import contextlib
import math
import os
import sys
import warnings

import numpy as np
import scipy.sparse as sp
from scipy.special import expit
from sklearn import neural_network
from sklearn.base import is_classifier
from sklearn.exceptions import DataConversionWarning

from . import _background_compile as background
from ._safeguards import check_finite_weights

MODES = ("auto", "always", "never")
SKLEARN_ACTIVATIONS = ("identity", "logistic", "tanh", "relu")
SKLEARN_SOLVERS = ("sgd", "adam", "lbfgs")

# scikit-learn's estimator, per epoch (or L-BFGS iteration): a forward and
# backward pass over every row, 6 flops per weight and row at this many flops
# a second, plus this overhead per batch (its Python per layer, the
# optimizer's step; scipy's for L-BFGS). L-BFGS on the dev machine, one BLAS
# thread, 50 iterations: 1.10, 0.96, 8.84, 15.9 and 146 ms per iteration for
# 500x20 (50,), 2000x10 (10,), 1797x64 (100,), 5000x50 (100,) and 20000x100
# (100, 50), against 1.43, 1.20, 10.0, 20.9 and 228 ms estimated. L-BFGS's
# max_iter bounds its iterations (tol may stop it sooner): the estimate errs
# towards waiting for the kernels.
SKLEARN_FLOPS_PER_SECOND = 8e9
SKLEARN_SECONDS_PER_BATCH = 1e-3

# Tests set this to hand over at the end of that epoch with the tier forced on.
HANDOVER_AFTER_EPOCHS = None

last_fit_tier = None  # what the last fit ran on: "scikit-learn", "scikit-learn, then kernels" or "kernels"
_disabled = [0]  # depth of ``disabled()`` blocks
_announced = set()  # the lines this process printed
_compiling = set()  # (dtype, kind) the current fit compiles in this process


def _mode_from_environment():
    value = os.environ.get("FASTMLP_FIRST_TIER", "auto") or "auto"
    if value not in MODES:
        warnings.warn(f"FASTMLP_FIRST_TIER must be one of {MODES}, got {value!r}: using 'auto'.", RuntimeWarning)
        return "auto"
    return value


# Read once: a prediction's check of it costs a global's lookup, where
# os.environ.get cost 0.42 us (a one-row prediction takes 17 us). Tests set it.
MODE = _mode_from_environment()


def mode():
    return "never" if _disabled[0] else MODE


@contextlib.contextmanager
def disabled():
    """No first tier inside: precompile's fits, and the kernels' own training
    (an early-stopping fit scores its validation rows with the kernels)."""
    _disabled[0] += 1
    try:
        yield
    finally:
        _disabled[0] -= 1


# -- what a fit waits for, said once --------------------------------------------------


def announce(what, seconds):
    """One line, once per process: that a fit waits for a compile."""
    if what in _announced:
        return
    _announced.add(what)
    print(f"fastmlp: preparing {what} before this fit: about {seconds} s to compile, once per environment "
          f"(later processes load them from the cache in under a second; `python -m fastmlp precompile` "
          f"does it ahead)", file=sys.stderr, flush=True)  # fmt: skip


def compiles_here(dtype, kind, what, seconds):
    """This fit compiles the kernels of ``kind`` in this process: say so
    (once), and mark them ready when it succeeds (``fit_succeeded``)."""
    _compiling.add((np.dtype(dtype), kind))
    announce(what, seconds)


def fit_succeeded():
    for dtype, kind in _compiling:
        background.mark_ready(dtype, kind)
    _compiling.clear()


def announce_tabular(dtype):
    """The tabular models have no first tier: their first fit waits for their kernels, and says so."""
    if mode() != "never" and background.cache_directory() is not None and not background.kernels_ready(dtype, "tabular"):
        compiles_here(dtype, "tabular", f"the tabular models' kernels for {np.dtype(dtype)}", 30)


# -- which fits run in the first tier --------------------------------------------------


def has_callbacks(estimator):
    """Callbacks of its own or propagated by a meta-estimator (a Pipeline
    without callbacks only passes its context down: none)."""
    parent = getattr(estimator, "_parent_callback_ctx", None)
    return bool(getattr(estimator, "_skl_callbacks", None)) or bool(getattr(parent, "_callbacks", None))


def eligible(estimator, data, incremental, first_pass, validation):
    """A fit that scikit-learn's own estimator trains to the same model."""
    p = estimator
    return (
        first_pass and not incremental and validation is None and not has_callbacks(p)
        and not p.early_stopping  # fastmlp also records validation_loss_curve_
        and p.solver in SKLEARN_SOLVERS and isinstance(p.activation, str) and p.activation in SKLEARN_ACTIVATIONS
        and not np.any(np.asarray(p.dropout) != 0) and p.learning_rate_schedule is None and p.warmup_iter == 0
        and p.max_grad_norm is None and p.weight_init == "glorot_uniform"
        and getattr(p, "class_weight", None) is None
        # a mini-batch of zero weights: scikit-learn divides by zero, the kernels take no step
        and not (data.sample_weight.shape[0] and (data.sample_weight == 0).any())
        # CSR with int64 indices compiles kernels of its own on the first fit (precompile's are int32)
        and not (data.is_sparse and data.csr_arrays[1].dtype != np.int32)
    )  # fmt: skip


def uses_own_options(estimator):
    """Whether a fit needs the kernels' second specialisation (``kernel_extras``):
    one of fastmlp's own activations, or dropout."""
    activations = [estimator.activation] if isinstance(estimator.activation, str) else list(estimator.activation)
    return any(a not in SKLEARN_ACTIVATIONS for a in activations) or np.any(np.asarray(estimator.dropout) != 0)


def estimated_epoch_seconds(estimator, n_samples, layer_units):
    """scikit-learn's epoch (an L-BFGS iteration: one batch of every row)."""
    weights = sum(a * b for a, b in zip(layer_units[:-1], layer_units[1:]))
    if estimator.solver == "lbfgs":
        batches = 1
    else:
        batch_size = 200 if estimator.batch_size == "auto" else estimator.batch_size
        batches = math.ceil(n_samples / max(1, min(batch_size, n_samples)))
    return 6.0 * n_samples * weights / SKLEARN_FLOPS_PER_SECOND + batches * SKLEARN_SECONDS_PER_BATCH


def choose(estimator, data, layer_units, incremental, first_pass, validation):
    """Where this fit trains: "scikit-learn" or "kernels". Starts the
    background compile, or waits for it, as the fit needs."""
    current = mode()
    if current == "never":
        return "kernels"
    dtype = data.dtype
    own = uses_own_options(estimator)
    if current == "auto" and background.kernels_ready(dtype, "own" if own else "mlp"):
        return "kernels"
    ok = eligible(estimator, data, incremental, first_pass, validation)
    if current == "always" or not background.can_start():
        return "scikit-learn" if ok and current == "always" else "kernels"
    if own:
        compiles_here(dtype, "own", f"the kernels of fastmlp's own activations and dropout for {dtype}", "10-20")
        return "kernels"
    started = background.start(dtype) is not None and not background.failed(dtype)
    if ok and started:
        epoch = estimated_epoch_seconds(estimator, data.n_samples, layer_units)
        epochs = estimator.max_iter if estimator.solver == "lbfgs" else 1
        if epochs * epoch <= background.seconds_left(dtype):
            return "scikit-learn"
    if started:
        announce(f"fastmlp's kernels for {dtype}", 10)
        if background.wait(dtype):
            return "kernels"
    compiles_here(dtype, "mlp", f"fastmlp's kernels for {dtype}", 10)
    return "kernels"


# -- the first tier's fit and its handover --------------------------------------------


class _KernelsReady(Exception):
    """Raised at the end of a first-tier epoch once the kernels are compiled."""


class _HandingOver:
    """Mixed into scikit-learn's estimators: records the random state the
    epochs start from, stops at the end of an epoch once the kernels are
    ready (after its stopping counters, before its learning-rate update and
    stopping decision, which the kernels' loop then takes), and stops a
    diverged fit where the kernels' loop does."""

    _dtype_watched = None

    def _initialize(self, y, layer_units, dtype):
        super()._initialize(y, layer_units, dtype)
        self._epochs_random_state = self._random_state.get_state()

    def _update_no_improvement_count(self, early_stopping, X, y, sample_weight):
        if not math.isfinite(self.loss_):
            check_finite_weights(np.concatenate([W.ravel() for W in self.coefs_ + self.intercepts_]))
        super()._update_no_improvement_count(early_stopping, X, y, sample_weight)
        if self._dtype_watched is not None and background.kernels_ready(self._dtype_watched):
            raise _KernelsReady
        if HANDOVER_AFTER_EPOCHS is not None and self.n_iter_ == HANDOVER_AFTER_EPOCHS:
            raise _KernelsReady


class _Classifier(_HandingOver, neural_network.MLPClassifier):
    pass


class _Regressor(_HandingOver, neural_network.MLPRegressor):
    pass


def fit_first_tier(estimator, X, y, sample_weight, data, layer_units):
    """Train ``estimator`` (initialised, not trained) with scikit-learn's
    estimator; returns the order of the rows to resume from if the kernels
    became ready mid-fit (the kernels then train the remaining epochs), else
    None (the fit is complete)."""
    from . import _threads

    cls = _Classifier if is_classifier(estimator) else _Regressor
    names = cls._get_param_names()  # scikit-learn's own parameters
    params = {name: value for name, value in estimator.get_params(deep=False).items() if name in names}
    params["random_state"] = estimator._random_state  # the kernels' draws: the same initial weights and shuffles
    model = cls(**params)
    model._dtype_watched = None if mode() == "always" else data.dtype
    handed_over = False
    # the other core compiles (scikit-learn's GEMMs are mostly small)
    with _threads.limits(max(1, _threads.allowed_threads() - 1)), warnings.catch_warnings():
        warnings.simplefilter("ignore", DataConversionWarning)  # fastmlp's validation has said it
        try:
            model.fit(X, y, sample_weight=sample_weight)
        except _KernelsReady:
            handed_over = True
    _take_state(estimator, model, data.dtype, layer_units, handed_over)
    if not handed_over:
        return None
    # the order of the rows after n_iter_ epochs: replay the shuffles from the state the epochs began with
    order = np.arange(data.n_samples)
    if estimator.shuffle:
        replay = np.random.RandomState()
        replay.set_state(model._epochs_random_state)
        for _ in range(estimator.n_iter_):
            permutation = np.arange(data.n_samples)
            replay.shuffle(permutation)
            order = order[permutation]
    return order


def _take_state(estimator, model, dtype, layer_units, handed_over):
    from ._layout import ParameterLayout
    from ._optimizers import STEP, make_optimizer_state

    layout = ParameterLayout(layer_units)
    estimator._set_flat_params(layout.pack(model.coefs_, model.intercepts_, dtype), layout)
    for name in ("n_iter_", "t_", "loss_", "loss_curve_", "best_loss_", "validation_scores_",
                 "best_validation_score_", "_no_improvement_count"):  # fmt: skip
        if name in model.__dict__:
            setattr(estimator, name, getattr(model, name))
    estimator._random_state = model._random_state
    if estimator.solver == "lbfgs":
        return
    state = make_optimizer_state(estimator, layout.size, dtype)
    n_layers = len(model.coefs_)
    if estimator.solver == "adam":
        state.m[:] = layout.pack(model._optimizer.ms[:n_layers], model._optimizer.ms[n_layers:], dtype)
        state.v[:] = layout.pack(model._optimizer.vs[:n_layers], model._optimizer.vs[n_layers:], dtype)
        state.hyper[STEP] = model._optimizer.t
    else:
        velocities = model._optimizer.velocities
        state.m[:] = layout.pack(velocities[:n_layers], velocities[n_layers:], dtype)
    state.learning_rate = model._optimizer.learning_rate  # Adam's: the last step's, bias-corrected
    # the epochs whose end-of-epoch update ran (the last one's runs in the kernels' loop after a handover)
    state.epoch = estimator.n_iter_ - (1 if handed_over else 0)
    estimator._optimizer = state


# -- prediction before the kernels are ready ------------------------------------------


def predicts_with_numpy(estimator, dtype):
    """A prediction of a model with scikit-learn's activations while the
    kernels are cold (starting their compile) or the tier is forced on."""
    if MODE == "never" or (MODE == "auto" and (dtype, "mlp") in background._ready):
        return False  # the one-row prediction's path: a global and a set lookup
    current = mode()
    if current == "never" or not isinstance(estimator.activation, str):
        return False
    if estimator.activation not in SKLEARN_ACTIVATIONS:
        return False
    if current == "always":
        return True
    if background.kernels_ready(dtype) or not background.can_start():
        return False
    return background.start(dtype) is not None and not background.failed(dtype)


def forward_numpy(X, coefs, intercepts, activation, out_activation, dtype):
    """scikit-learn's forward pass, in numpy."""
    functions = {"identity": lambda z: z, "logistic": expit, "tanh": np.tanh, "relu": lambda z: np.maximum(z, 0),
                 "exp": np.exp}  # fmt: skip
    a = X.astype(dtype) if sp.issparse(X) else X
    for i, (W, b) in enumerate(zip(coefs, intercepts)):
        z = np.asarray(a @ W.astype(dtype, copy=False)) + b.astype(dtype, copy=False)
        last = i == len(coefs) - 1
        if last and out_activation == "softmax":
            z -= z.max(axis=1, keepdims=True)
            with np.errstate(over="ignore"):
                np.exp(z, out=z)
            z /= z.sum(axis=1, keepdims=True)
            a = z
        else:
            a = functions[out_activation if last else activation](z)
    return np.ascontiguousarray(a, dtype=dtype)
