"""Stochastic optimizers: a small picklable state class each, one fused step kernel.

The state lives in flat arrays laid out like the parameter buffer, so a step
is one loop over every weight and bias at once. The Python classes mirror
scikit-learn's ``SGDOptimizer`` and ``AdamOptimizer`` (learning-rate schedule,
``trigger_stopping`` messages); the kernel receives their numbers packed in a
float64 ``hyper`` vector and updates the counters in it.
"""

import numpy as np

from ._config import kernel
from ._schedules import schedule_factor, warmup_factor

SGD, ADAM, ADAMW = 0, 1, 2

# Slots of the ``hyper`` vector shared by the Python states and the kernel.
# WEIGHT_DECAY: AdamW's decoupled decay coefficient (``alpha``).
# SCHEDULED_LR: the epoch's learning rate (``learning_rate_init`` unless a
# schedule sets it): Adam's alpha, and AdamW's in the decay.
# MAX_GRAD_NORM: ``max_grad_norm``, 0 for no clipping.
(CODE, LEARNING_RATE, MOMENTUM, NESTEROV, BETA_1, BETA_2, EPSILON, STEP, LEARNING_RATE_INIT, WEIGHT_DECAY,
 SCHEDULED_LR, MAX_GRAD_NORM) = range(12)  # fmt: skip
N_HYPER = 12

# Entries per block of the SGD step's sum of squares: each block sums in the
# parameters' dtype (float32 sums vectorise twice as wide), the blocks in
# float64: on W3's 670k float32 weights the penalty was within 8e-9 (relative)
# of a float64 sum, where one vectorised float32 sum was off by 1.4e-6.
SQUARES_BLOCK = 4096
FLOAT32_MAX = float(np.finfo(np.float32).max)


@kernel(math="ieee_sums", inline=True)
def _sgd_block_inplace(params, grads, m, l2, lr, mu, nesterov):
    """The SGD update of these entries; ``sum params^2`` of them, in their dtype."""
    squares = params.dtype.type(0.0)
    for j in range(params.shape[0]):
        g = grads[j] + l2 * params[j]
        velocity = mu * m[j] - lr * g
        m[j] = velocity
        updated = params[j] + (mu * velocity - lr * g if nesterov else velocity)
        params[j] = updated
        squares += updated * updated
    return squares


@kernel(math="ieee_sums")
def _sgd_range_inplace(params, grads, m, l2, lr, mu, nesterov):
    """SGD on every entry of these (equal-length) arrays with gradient
    ``grads + l2 * params``; returns ``sum params^2`` of the updated entries.

    The update runs in the parameters' dtype, as scikit-learn's does (its
    float32 arrays times Python floats stay float32): in float32, W3f32's step
    (670k weights) took 434 -> 169 us per batch against float64 arithmetic
    with a float64 sum (fits 0.927x of 1160371's time against 1.012x, 11
    paired rounds). Adam keeps float64 arithmetic: its float32 ``g^2`` would
    overflow where scikit-learn's float64 one does not (see
    ``_adam_range_inplace``)."""
    real = params.dtype.type
    l2, lr, mu = real(l2), real(lr), real(mu)
    squares = 0.0
    for start in range(0, params.shape[0], SQUARES_BLOCK):
        stop = start + SQUARES_BLOCK
        squares += _sgd_block_inplace(params[start:stop], grads[start:stop], m[start:stop], l2, lr, mu, nesterov)
    return squares


@kernel(math="ieee")
def _scale_inplace(values, factor):
    """``values *= factor`` (AdamW's decoupled weight decay)."""
    for j in range(values.shape[0]):
        values[j] = factor * values[j]


@kernel(math="ieee_sums")
def _adam_range_inplace(params, grads, m, v, l2, lr_t, beta_1, beta_2, eps, g_max):
    """Adam on every entry of these (equal-length) arrays with gradient
    ``grads + l2 * params``; returns ``sum params^2`` of the updated entries.

    In float32, a gradient entry that overflowed to +-inf counts as
    +-``g_max`` (float32's largest value): scikit-learn computes a float32
    regressor's gradients in float64 (its float64 targets promote them), where
    they are finite, and Adam's step depends only on the gradients' signs and
    relative sizes, so the step stays finite as scikit-learn's does, where
    ``inf / sqrt(inf)`` would be NaN. In float64 ``g_max`` is inf: an infinite
    gradient gives NaN and scikit-learn's "non-finite parameter weights" error,
    as in scikit-learn. NaN stays NaN."""
    squares = 0.0
    for j in range(params.shape[0]):
        g = grads[j] + l2 * params[j]
        g = g_max if g > g_max else (-g_max if g < -g_max else g)
        m_j = beta_1 * m[j] + (1 - beta_1) * g
        v_j = beta_2 * v[j] + (1 - beta_2) * (g * g)
        m[j] = m_j
        v[j] = v_j
        updated = params[j] - lr_t * m_j / (np.sqrt(v_j) + eps)
        params[j] = updated
        squares += updated * updated
    return squares


@kernel(math="ieee")
def gradient_squares(params, grads, n_coefs, l2, lo, hi):
    """``sum g^2`` over ``[lo, hi)`` of the gradient the step takes: ``grads +
    l2 W`` on the weights (the first ``n_coefs`` entries), ``grads`` on the
    biases. Summed over the team's shares, the squared global norm."""
    total = 0.0
    for j in range(lo, hi):
        g = grads[j] + (l2 * params[j] if j < n_coefs else 0.0)
        total += g * g
    return total


@kernel(math="ieee")
def clip_scale(squares, max_norm):
    """The factor that brings a gradient of squared norm ``squares`` down to
    norm ``max_norm`` (1 when it is within it): ``min(1, max_norm / norm)``."""
    norm = np.sqrt(squares)
    return max_norm / norm if norm > max_norm else 1.0


@kernel(math="ieee")
def scale_range_inplace(values, lo, hi, factor):
    """``values[lo:hi] *= factor``."""
    _scale_inplace(values[lo:hi], factor)


@kernel
def adam_learning_rate(hyper, t):
    """``lr_t = lr sqrt(1 - b2^t) / (1 - b1^t)`` of Adam's step t (``lr`` the epoch's rate)."""
    return hyper[SCHEDULED_LR] * np.sqrt(1 - hyper[BETA_2] ** t) / (1 - hyper[BETA_1] ** t)


@kernel
def optimizer_step_inplace(params, grads, m, v, hyper, n_coefs, l2, lo, hi, t):
    """Step ``t`` (counted from 1) of the optimizer on ``params[lo:hi]`` (flat,
    same layout as ``grads``), in place.

    The gradient is ``grads + l2 * W`` on the weights (the first ``n_coefs``
    entries; the L2 term of MATH.md is added here, in the pass the update makes
    anyway) and ``grads`` on the biases. With ``g`` that gradient:

    SGD (m is the velocity): ``m <- mu m - lr g``; then ``params += m``, or with
    Nesterov ``params += mu m - lr g``.
    Adam: ``m <- b1 m + (1 - b1) g``, ``v <- b2 v + (1 - b2) g^2``,
    ``lr_t = lr sqrt(1 - b2^t) / (1 - b1^t)``, ``params -= lr_t m / (sqrt(v) + eps)``.
    AdamW (Loshchilov and Hutter): Adam with ``l2 = 0``, the weights (not the
    biases) first decayed, ``W <- (1 - lr decay) W``, with ``decay`` the
    ``WEIGHT_DECAY`` slot of ``hyper`` and ``lr`` the epoch's learning rate
    (``SCHEDULED_LR``).

    ``m`` and ``v`` are updated on the same range; ``hyper`` is only read (the
    epoch records the steps taken with :func:`record_steps`), so threads can
    step disjoint ranges at once. Returns ``sum W^2`` of the updated weights in
    the range: the next batch's L2 penalty, summed over the ranges. The L2
    term and the penalty are fused into the update loop, which compiles with
    IEEE arithmetic and reassociated sums (``math="ieee_sums"``: with
    ``math="ieee"`` the reduction kept LLVM from vectorising the loop, W1 16%
    slower, and a second pass over the weights for the penalty cost W3 2%,
    see ``_config``). The ranges are sliced
    before the loops so that their indices are known non-negative: with
    ``range(lo, hi)`` indexing, Numba's negative-index check kept LLVM from
    vectorising, and the bias range ran at 3.5 instead of 1.7 ns per entry.
    """
    mid = min(max(n_coefs, lo), hi)
    if int(hyper[CODE]) == SGD:
        lr = hyper[LEARNING_RATE]
        mu = hyper[MOMENTUM]
        nesterov = hyper[NESTEROV] != 0
        _sgd_range_inplace(params[mid:hi], grads[mid:hi], m[mid:hi], 0.0, lr, mu, nesterov)
        return _sgd_range_inplace(params[lo:mid], grads[lo:mid], m[lo:mid], l2, lr, mu, nesterov)
    lr_t = adam_learning_rate(hyper, t)
    beta_1 = hyper[BETA_1]
    beta_2 = hyper[BETA_2]
    eps = hyper[EPSILON]
    # float64: no saturation (see _adam_range_inplace). (Numba's np.finfo
    # compiled two functions of its own, 0.3 s of a cold compile.)
    g_max = np.inf if params.itemsize == 8 else FLOAT32_MAX
    if int(hyper[CODE]) == ADAMW:  # a pass of its own: Adam's loop stays as it was
        _scale_inplace(params[lo:mid], 1.0 - hyper[SCHEDULED_LR] * hyper[WEIGHT_DECAY])
    _adam_range_inplace(params[mid:hi], grads[mid:hi], m[mid:hi], v[mid:hi], 0.0, lr_t, beta_1, beta_2, eps, g_max)
    return _adam_range_inplace(
        params[lo:mid], grads[lo:mid], m[lo:mid], v[lo:mid], l2, lr_t, beta_1, beta_2, eps, g_max
    )


# Columns of the tabular models' ``step_factors`` (one row per batch of an
# epoch): the factors their schedules give the learning rate, the weight
# decay and the dropout rates at that step.
LEARNING_RATE_FACTOR, WEIGHT_DECAY_FACTOR, DROPOUT_FACTOR = 0, 1, 2
# Columns of ``group_factors`` (one row per parameter group): the group's
# factors of the learning rate, of Adam's epsilon and of the weight decay.
GROUP_LEARNING_RATE, GROUP_EPSILON, GROUP_DECAY = 0, 1, 2


@kernel(math="ieee_sums")
def _adam_in_dtype_inplace(params, grads, m, v, lr_t, beta_1, beta_2, eps, g_max):
    """:func:`_adam_range_inplace` (without L2 term and sum of squares) in the
    parameters' dtype: for float32, twice the lanes (a 195k-parameter step
    0.39 -> 0.12 ms). Overflow gives no NaN: a gradient saturates at
    ``g_max``, and a square that overflows makes ``v`` infinite and that
    entry's steps 0 from then on (it stops learning; the others go on).
    Epsilon is added to ``sqrt(v)``, as scikit-learn's Adam does (PyTorch's
    adds it to the bias-corrected ``sqrt(v)``: at 1e-8, no difference that
    shows)."""
    real = params.dtype.type
    lr_t, beta_1, beta_2, eps, g_max = real(lr_t), real(beta_1), real(beta_2), real(eps), real(g_max)
    one_minus_beta_1, one_minus_beta_2 = real(1.0) - beta_1, real(1.0) - beta_2
    for j in range(params.shape[0]):
        g = grads[j]
        g = g_max if g > g_max else (-g_max if g < -g_max else g)
        m_j = beta_1 * m[j] + one_minus_beta_1 * g
        v_j = beta_2 * v[j] + one_minus_beta_2 * (g * g)
        m[j] = m_j
        v[j] = v_j
        params[j] -= lr_t * m_j / (np.sqrt(v_j) + eps)


@kernel
def grouped_adam_step_inplace(params, grads, m, v, hyper, groups, group_factors, lr_factor, decay_factor, lo, hi, t):
    """Adam's step ``t`` on ``params[lo:hi]`` by parameter groups (the tabular
    models'): group g, the entries ``groups[g]:groups[g + 1]``, steps with
    the learning rate ``lr lr_factor f_lr`` and epsilon ``eps f_eps``, after
    a decoupled weight decay ``p <- (1 - lr lr_factor decay decay_factor
    f_decay) p`` (``lr`` the ``SCHEDULED_LR`` slot of ``hyper``, ``decay``
    its ``WEIGHT_DECAY``; ``lr_factor`` and ``decay_factor`` this step's
    schedule factors, ``f_*`` the group's ``group_factors``), computed in the
    parameters' dtype. Returns 0 (these models have no L2 term to sum
    squares for)."""
    lr = hyper[SCHEDULED_LR] * lr_factor
    lr_t = adam_learning_rate(hyper, t) * lr_factor
    decay = lr * hyper[WEIGHT_DECAY] * decay_factor
    g_max = np.inf if params.itemsize == 8 else FLOAT32_MAX
    for g in range(groups.shape[0] - 1):
        start = max(groups[g], lo)
        stop = min(groups[g + 1], hi)
        if start >= stop:
            continue
        shrink = decay * group_factors[g, GROUP_DECAY]
        if shrink != 0.0:
            _scale_inplace(params[start:stop], params.dtype.type(1.0 - shrink))
        _adam_in_dtype_inplace(
            params[start:stop], grads[start:stop], m[start:stop], v[start:stop],
            lr_t * group_factors[g, GROUP_LEARNING_RATE], hyper[BETA_1], hyper[BETA_2],
            hyper[EPSILON] * group_factors[g, GROUP_EPSILON], g_max,
        )  # fmt: skip
    return 0.0


@kernel
def record_steps(hyper, n_steps):
    """After ``n_steps`` steps: Adam's step count and current ``lr_t`` in ``hyper``."""
    if int(hyper[CODE]) != SGD and n_steps > 0:
        t = hyper[STEP] + n_steps
        hyper[STEP] = t
        hyper[LEARNING_RATE] = adam_learning_rate(hyper, t)


def _adaptive_rule(msg, verbose, rate):
    """scikit-learn's 'adaptive' rule when training stops improving: stop at a
    rate of 1e-6 or less, else go on at a fifth of it. ``(stop, rate)``."""
    if rate <= 1e-6:
        if verbose:
            print(msg + " Learning rate too small. Stopping.")
        return True, rate
    rate /= 5.0
    if verbose:
        print(msg + " Setting learning rate to %f" % rate)
    return False, rate


class _OptimizerState:
    """Flat moment buffers ``m``, ``v`` and the ``hyper`` vector the kernel reads,
    and the learning-rate schedule (``learning_rate_schedule``, ``warmup_iter``)
    applied at the start of each epoch."""

    # defaults of states pickled before these existed
    schedule = None
    warmup_iter = 0
    max_iter = 1
    epoch = 0

    def __init__(self, code, learning_rate_init):
        self.learning_rate_init = learning_rate_init
        self.plateau_learning_rate = learning_rate_init
        self.hyper = np.zeros(N_HYPER)
        self.hyper[CODE] = code
        self.hyper[LEARNING_RATE] = learning_rate_init
        self.hyper[LEARNING_RATE_INIT] = learning_rate_init
        self.hyper[SCHEDULED_LR] = learning_rate_init

    def __setstate__(self, state):
        self.__dict__.update(state)
        if self.hyper.shape[0] < N_HYPER:  # pickled by an older fastmlp
            hyper = np.zeros(N_HYPER)
            hyper[: self.hyper.shape[0]] = self.hyper
            hyper[SCHEDULED_LR] = hyper[LEARNING_RATE_INIT]
            self.hyper = hyper
        self.__dict__.setdefault("plateau_learning_rate", self.learning_rate_init)

    def __getstate__(self):
        state = dict(self.__dict__)
        if callable(state.get("schedule")):
            # a callable schedule is the estimator's parameter, set again at each fit
            state["schedule"] = None
        return state

    def set_schedule(self, schedule, warmup_iter, max_iter):
        self.schedule, self.warmup_iter, self.max_iter = schedule, warmup_iter, max_iter

    def set_weight_decay(self, alpha):
        """AdamW's decay coefficient, from the estimator's current ``alpha``."""
        if self.decoupled_weight_decay:
            self.hyper[WEIGHT_DECAY] = alpha

    @property
    def decoupled_weight_decay(self):
        """Whether this is AdamW's state (its ``alpha`` decays the weights in
        the step, instead of an L2 term in the gradient)."""
        return int(self.hyper[CODE]) == ADAMW

    def set_max_grad_norm(self, max_grad_norm):
        """Clip each batch's gradient to this global L2 norm (None: no clipping)."""
        self.hyper[MAX_GRAD_NORM] = 0.0 if max_grad_norm is None else max_grad_norm

    @property
    def learning_rate(self):
        return self.hyper[LEARNING_RATE]

    @learning_rate.setter
    def learning_rate(self, value):
        self.hyper[LEARNING_RATE] = value

    def make_writeable(self):
        """Copy on write: states loaded read-only (a memory-mapped model) are
        copied before training updates them."""
        for name in ("m", "v", "hyper"):
            array = getattr(self, name)
            if not array.flags.writeable:
                setattr(self, name, array.copy())

    def begin_epoch(self):
        """Set the epoch's learning rate from the schedule (nothing without one,
        but the rate a schedule removed since had set goes back to
        ``learning_rate_init``)."""
        if self.schedule is None and not self.warmup_iter:
            if self.__dict__.get("scheduled"):
                self.scheduled = False
                self.hyper[SCHEDULED_LR] = self.learning_rate_init
                if int(self.hyper[CODE]) == SGD:
                    self.learning_rate = self.learning_rate_init
            return
        self.scheduled = True
        rate = self.plateau_learning_rate * warmup_factor(self.epoch, self.warmup_iter)
        if self.schedule is not None:
            rate *= schedule_factor(self.schedule, self.epoch, self.max_iter)
        self.hyper[SCHEDULED_LR] = rate
        if int(self.hyper[CODE]) == SGD:
            self.learning_rate = rate

    def iteration_ends(self, time_step):
        self.epoch += 1

    def trigger_stopping(self, msg, verbose):
        if self.schedule == "plateau":  # scikit-learn's 'adaptive', for every solver
            stop, self.plateau_learning_rate = _adaptive_rule(msg, verbose, self.plateau_learning_rate)
            return stop
        if verbose:
            print(msg + " Stopping.")
        return True


class SGDState(_OptimizerState):
    """Velocity and learning-rate schedule of SGD with (Nesterov) momentum, as
    scikit-learn's ``SGDOptimizer``."""

    def __init__(self, n_params, dtype, learning_rate_init, lr_schedule, momentum, nesterov, power_t):
        super().__init__(SGD, learning_rate_init)
        self.lr_schedule = lr_schedule
        self.power_t = power_t
        self.m = np.zeros(n_params, dtype=dtype)  # the velocity
        self.v = np.zeros(0, dtype=dtype)
        self.hyper[MOMENTUM] = momentum
        self.hyper[NESTEROV] = float(nesterov)

    def iteration_ends(self, time_step):
        super().iteration_ends(time_step)
        if self.lr_schedule == "invscaling":
            self.learning_rate = float(self.learning_rate_init) / (time_step + 1) ** self.power_t

    def trigger_stopping(self, msg, verbose):
        if self.lr_schedule != "adaptive":
            return super().trigger_stopping(msg, verbose)
        stop, self.learning_rate = _adaptive_rule(msg, verbose, self.learning_rate)
        return stop


class AdamState(_OptimizerState):
    """First and second moments and step count of Adam, as scikit-learn's
    ``AdamOptimizer``."""

    def __init__(self, n_params, dtype, learning_rate_init, beta_1, beta_2, epsilon, weight_decay=None):
        super().__init__(ADAM if weight_decay is None else ADAMW, learning_rate_init)
        self.hyper[WEIGHT_DECAY] = 0.0 if weight_decay is None else weight_decay
        self.m = np.zeros(n_params, dtype=dtype)
        self.v = np.zeros(n_params, dtype=dtype)
        self.hyper[BETA_1] = beta_1
        self.hyper[BETA_2] = beta_2
        self.hyper[EPSILON] = epsilon

    @property
    def t(self):
        return int(self.hyper[STEP])


def make_optimizer_state(estimator, n_params, dtype):
    """The state for ``estimator.solver`` ('sgd', 'adam' or 'adamw'), zero-initialised."""
    if estimator.solver == "sgd":
        state = SGDState(
            n_params,
            dtype,
            estimator.learning_rate_init,
            estimator.learning_rate,
            estimator.momentum,
            estimator.nesterovs_momentum,
            estimator.power_t,
        )
    else:
        state = AdamState(
            n_params,
            dtype,
            estimator.learning_rate_init,
            estimator.beta_1,
            estimator.beta_2,
            estimator.epsilon,
            weight_decay=estimator.alpha if estimator.solver == "adamw" else None,
        )
    state.set_schedule(estimator.learning_rate_schedule, estimator.warmup_iter, estimator.max_iter)
    return state
