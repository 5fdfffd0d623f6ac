"""``learning_rate_schedule`` and ``warmup_iter`` (fastmlp's own).

The schedules' factors in closed form, each schedule seen through the
estimator's optimizer state epoch by epoch, SGD under a schedule equal to a
sequence of one-epoch fits at the scheduled rates, a constant factor equal to
a scaled ``learning_rate_init`` (Adam, AdamW), and 'plateau' equal to
scikit-learn's 'adaptive' for SGD.
"""

import io
import math
import warnings
from contextlib import redirect_stdout

import numpy as np
import pytest
import sklearn.neural_network as sk
from sklearn.datasets import make_regression
from sklearn.utils._param_validation import InvalidParameterError

import fastmlp
from fastmlp import MLPClassifier, MLPRegressor
from fastmlp._optimizers import SCHEDULED_LR
from fastmlp._schedules import SCHEDULES, schedule_factor, warmup_factor

X, Y = make_regression(n_samples=90, n_features=5, noise=1.0, random_state=0)
Y = Y / Y.std()


def _quiet(fit):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit()


def test_every_schedule_is_tested():
    assert set(SCHEDULES) == {"cosine", "plateau"}


def test_factors_in_closed_form():
    assert [schedule_factor("cosine", e, 4) for e in range(5)] == pytest.approx(
        [1.0, (1 + math.sqrt(0.5)) / 2, 0.5, (1 - math.sqrt(0.5)) / 2, 0.0]
    )
    assert [schedule_factor("plateau", e, 4) for e in range(3)] == [1.0, 1.0, 1.0]
    assert [schedule_factor(lambda e: 0.5**e, e, 4) for e in range(3)] == [1.0, 0.5, 0.25]
    assert [warmup_factor(e, 3) for e in range(5)] == [0.25, 0.5, 0.75, 1.0, 1.0]
    assert [warmup_factor(e, 0) for e in range(2)] == [1.0, 1.0]


@pytest.mark.parametrize("bad", [-0.1, float("nan"), float("inf"), "fast", None])
def test_a_callable_must_return_a_finite_non_negative_factor(bad):
    est = MLPRegressor(learning_rate_schedule=lambda epoch: bad, max_iter=2)
    with pytest.raises(ValueError, match="a learning-rate factor must be a finite number >= 0"):
        est.fit(X, Y)
    assert not hasattr(est, "coefs_")


@pytest.mark.parametrize("solver", ["sgd", "adam", "adamw"])
def test_each_epochs_rate_through_the_estimator(solver):
    lr = 0.01
    expected = [lr * warmup_factor(e, 2) * schedule_factor("cosine", e, 6) for e in range(6)]
    est = MLPRegressor(solver=solver, learning_rate_init=lr, learning_rate_schedule="cosine", warmup_iter=2,
                       max_iter=6, hidden_layer_sizes=(4,), random_state=0)  # fmt: skip
    seen = []
    for _ in range(6):  # partial_fit: one epoch per call, the schedule's epochs go on
        est.partial_fit(X, Y)
        seen.append(est._optimizer.hyper[SCHEDULED_LR])
    assert seen == pytest.approx(expected, rel=1e-15)
    if solver == "sgd":
        assert est._optimizer.learning_rate == pytest.approx(expected[-1], rel=1e-15)


@pytest.mark.kernels
def test_sgd_under_a_schedule_is_one_epoch_fits_at_the_scheduled_rates():
    lr, factors = 0.05, [1.0, 0.5, 0.2, 0.1]
    params = dict(solver="sgd", momentum=0.0, shuffle=False, hidden_layer_sizes=(6,), random_state=0, tol=0,
                  n_iter_no_change=100)  # fmt: skip
    scheduled = _quiet(lambda: MLPRegressor(learning_rate_init=lr, learning_rate_schedule=lambda e: factors[e],
                                            max_iter=4, **params).fit(X, Y))  # fmt: skip
    stepwise = MLPRegressor(warm_start=True, max_iter=1, **params)
    for factor in factors:
        _quiet(lambda: stepwise.set_params(learning_rate_init=lr * factor).fit(X, Y))
    for a, b in zip(scheduled.coefs_ + scheduled.intercepts_, stepwise.coefs_ + stepwise.intercepts_):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("solver", ["adam", "adamw"])
def test_a_constant_factor_is_a_scaled_learning_rate(solver):
    params = dict(solver=solver, alpha=0.5, hidden_layer_sizes=(6,), random_state=0, max_iter=8)
    scaled = _quiet(lambda: MLPRegressor(learning_rate_init=0.003 * 0.25, **params).fit(X, Y))
    scheduled = _quiet(lambda: MLPRegressor(learning_rate_init=0.003, learning_rate_schedule=lambda e: 0.25,
                                            **params).fit(X, Y))  # fmt: skip
    for a, b in zip(scaled.coefs_ + scaled.intercepts_, scheduled.coefs_ + scheduled.intercepts_):
        np.testing.assert_array_equal(a, b)


def test_plateau_is_sklearns_adaptive_for_sgd():
    params = dict(solver="sgd", tol=10.0, n_iter_no_change=1, max_iter=40, hidden_layer_sizes=(5,),
                  random_state=0, verbose=True)  # fmt: skip
    outputs, models = [], []
    for make in (lambda: MLPRegressor(learning_rate_schedule="plateau", **params),
                 lambda: sk.MLPRegressor(learning_rate="adaptive", **params)):  # fmt: skip
        buffer = io.StringIO()
        with redirect_stdout(buffer):
            models.append(_quiet(lambda: make().fit(X, Y)))
        outputs.append(buffer.getvalue())
    assert outputs[0] == outputs[1]
    assert "Setting learning rate to 0.000200" in outputs[0] and "Learning rate too small" in outputs[0]
    ours, theirs = models
    # the first epoch improves on an infinite best loss; then every second epoch
    # divides the rate (1e-3, 2e-4, ..., 3.2e-7), and the sixth trigger stops
    assert ours.n_iter_ == theirs.n_iter_ == 13
    for a, b in zip(ours.coefs_, theirs.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-9)


def test_plateau_divides_adams_rate_and_stops_under_1e_6():
    est = _quiet(lambda: MLPRegressor(solver="adam", learning_rate_schedule="plateau", tol=10.0, n_iter_no_change=1,
                                      max_iter=40, hidden_layer_sizes=(5,), random_state=0).fit(X, Y))  # fmt: skip
    assert est.n_iter_ == 13  # as scikit-learn's 'adaptive' SGD above
    assert est._optimizer.plateau_learning_rate == pytest.approx(1e-3 / 5**5)


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(solver="lbfgs", learning_rate_schedule="cosine"), "solver='lbfgs' has no learning rate"),
        (dict(solver="lbfgs", warmup_iter=2), "solver='lbfgs' has no learning rate"),
        (dict(solver="sgd", learning_rate="invscaling", learning_rate_schedule="cosine"), "use learning_rate='constant'"),
        (dict(solver="sgd", learning_rate="adaptive", warmup_iter=3), "use learning_rate='constant'"),
    ],
)
def test_schedules_reject_what_they_cannot_mean(params, message):
    with pytest.raises(ValueError, match=message):
        MLPClassifier(**params).fit(X, Y > 0)


def test_unknown_schedule_and_negative_warmup_are_rejected_by_the_constraints():
    with pytest.raises(InvalidParameterError, match="learning_rate_schedule"):
        MLPRegressor(learning_rate_schedule="step").fit(X, Y)
    with pytest.raises(InvalidParameterError, match="warmup_iter"):
        MLPRegressor(warmup_iter=-1).fit(X, Y)


def test_without_a_schedule_the_model_is_sklearns():
    for solver in ("sgd", "adam"):
        ours = _quiet(lambda: fastmlp.MLPRegressor(solver=solver, max_iter=5, random_state=0).fit(X, Y))
        theirs = _quiet(lambda: sk.MLPRegressor(solver=solver, max_iter=5, random_state=0).fit(X, Y))
        for a, b in zip(ours.coefs_, theirs.coefs_):
            np.testing.assert_allclose(a, b, rtol=1e-9)


def test_optimizer_states_pickled_before_schedules_load_and_train():
    """A state of fastmlp 0.1 had 9 hyper slots: loaded, it gets the new
    slots at their defaults, and training on it is training from the same
    state today."""
    import pickle

    from fastmlp._optimizers import LEARNING_RATE_INIT, N_HYPER, WEIGHT_DECAY

    est = _quiet(lambda: MLPRegressor(max_iter=3, random_state=0, hidden_layer_sizes=(4,)).fit(X, Y))
    today = pickle.loads(pickle.dumps(est))
    est._optimizer.hyper = est._optimizer.hyper[:9].copy()
    del est._optimizer.__dict__["plateau_learning_rate"]
    old = pickle.loads(pickle.dumps(est))
    hyper = old._optimizer.hyper
    assert hyper.shape == (N_HYPER,) and hyper[WEIGHT_DECAY] == 0
    assert hyper[SCHEDULED_LR] == hyper[LEARNING_RATE_INIT] == 1e-3
    old.partial_fit(X, Y)
    today.partial_fit(X, Y)
    for a, b in zip(old.coefs_, today.coefs_):
        np.testing.assert_array_equal(a, b)


def test_cosine_stays_at_zero_past_max_iter_and_a_fit_starts_it_again():
    est = _quiet(lambda: MLPRegressor(learning_rate_schedule="cosine", max_iter=5, random_state=0,
                                      hidden_layer_sizes=(4,)).fit(X, Y))  # fmt: skip
    before = [c.copy() for c in est.coefs_]
    for _ in range(3):
        est.partial_fit(X, Y)
        assert est._optimizer.hyper[SCHEDULED_LR] == 0.0
    for a, b in zip(before, est.coefs_):
        np.testing.assert_array_equal(a, b)
    _quiet(lambda: est.fit(X, Y))
    assert est._optimizer.epoch == 5


def test_removing_the_schedule_between_partial_fits_restores_the_rate():
    for solver in ("sgd", "adam"):
        est = MLPRegressor(solver=solver, learning_rate_schedule=lambda e: 0.01, hidden_layer_sizes=(4,), random_state=0)
        est.partial_fit(X, Y)
        assert est._optimizer.hyper[SCHEDULED_LR] == pytest.approx(1e-5)
        est.set_params(learning_rate_schedule=None).partial_fit(X, Y)
        assert est._optimizer.hyper[SCHEDULED_LR] == 1e-3
        if solver == "sgd":
            assert est._optimizer.learning_rate == 1e-3


def test_a_model_with_a_callable_schedule_pickles_once_the_parameter_is_reset():
    import pickle

    est = MLPRegressor(learning_rate_schedule=lambda e: 0.5, hidden_layer_sizes=(4,), random_state=0).partial_fit(X, Y)
    est.set_params(learning_rate_schedule=None)
    restored = pickle.loads(pickle.dumps(est))
    assert restored._optimizer.schedule is None
