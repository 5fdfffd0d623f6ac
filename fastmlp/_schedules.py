"""Learning-rate schedules of the stochastic solvers (``learning_rate_schedule``
and ``warmup_iter``): a factor of the learning rate per epoch.

Adding a schedule means an entry in ``SCHEDULES``, a closed-form test of its
sequence (tests/test_schedules.py) and a line in the parameter's docs.
"""

import math

import numpy as np


def _cosine(epoch, max_iter):
    """From 1 at the first epoch down towards 0 at ``max_iter``, and 0 after
    (partial_fit calls past ``max_iter`` epochs take no step)."""
    return 0.5 * (1.0 + math.cos(math.pi * min(epoch, max_iter) / max_iter))


def _plateau(epoch, max_iter):
    """1: the plateau schedule divides the rate itself (``_OptimizerState.trigger_stopping``)."""
    return 1.0


#: name -> factor(epoch, max_iter), epochs counted from 0
SCHEDULES = {"cosine": _cosine, "plateau": _plateau}


def schedule_factor(schedule, epoch, max_iter):
    """The factor of ``schedule`` (a name or a callable ``epoch -> factor``) at ``epoch``."""
    factor = schedule(epoch) if callable(schedule) else SCHEDULES[schedule](epoch, max_iter)
    try:
        factor = float(factor)
    except (TypeError, ValueError):
        factor = math.nan
    if not (math.isfinite(factor) and factor >= 0):
        raise ValueError(
            f"learning_rate_schedule returned {factor!r} for epoch {epoch}: "
            "a learning-rate factor must be a finite number >= 0."
        )
    return factor


def warmup_factor(epoch, warmup_iter):
    """Linear warm-up: ``(epoch + 1) / (warmup_iter + 1)`` for the first
    ``warmup_iter`` epochs, then 1."""
    return (epoch + 1) / (warmup_iter + 1) if epoch < warmup_iter else 1.0


# The tabular models' schedules (RealMLP-TD's, pytabkit's
# ``training/scheduling.py``): factors of a hyperparameter as functions of the
# training's progress ``p`` in [0, 1), evaluated at every step: step k of K
# (counted from 0 over all epochs) has ``p = k / K``, so that the first step
# takes the factor at 0.


def _coslog4(p):
    """Four cosine cycles on a log time axis, each twice the last:
    ``(1 - cos(2 pi log2(1 + 15 p))) / 2``; 0 at p = 0, 1/15, 3/15, 7/15 and 1."""
    return 0.5 * (1.0 - np.cos(2.0 * np.pi * np.log2(1.0 + 15.0 * p)))


def _flat_cos(p):
    """1 for the first half, then a half cosine down to 0."""
    return np.where(p < 0.5, 1.0, 0.5 * (1.0 + np.cos(np.pi * (2.0 * p - 1.0))))


def _progress_cosine(p):
    """From 1 down towards 0: ``(1 + cos(pi p)) / 2``."""
    return 0.5 * (1.0 + np.cos(np.pi * p))


#: name -> factor(progress), vectorised over an array of progress values
STEP_SCHEDULES = {
    "coslog4": _coslog4,
    "flat_cos": _flat_cos,
    "cosine": _progress_cosine,
    "constant": lambda p: np.ones_like(p),
}


def step_factors(schedule, first_step, n_steps, total_steps):
    """The factors of ``schedule`` (a ``STEP_SCHEDULES`` name) at the steps
    ``first_step, ..., first_step + n_steps - 1`` of ``total_steps``."""
    progress = np.arange(first_step, first_step + n_steps, dtype=np.float64) / total_steps
    return np.asarray(STEP_SCHEDULES[schedule](progress), dtype=np.float64)
