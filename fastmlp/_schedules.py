"""Learning-rate schedules of the stochastic solvers (``learning_rate_schedule``
and ``warmup_iter``): a factor of the learning rate per epoch.

Adding a schedule means an entry in ``SCHEDULES``, a closed-form test of its
sequence (tests/test_schedules.py) and a line in the parameter's docs.
"""

import math


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
