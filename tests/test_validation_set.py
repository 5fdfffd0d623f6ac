"""A validation set of the user's own (``fit(..., X_val=, y_val=,
sample_weight_val=)``, fastmlp's own) and ``validation_loss_curve_``."""

import warnings

import numpy as np
import pytest
import sklearn
from sklearn.datasets import make_classification, make_regression
from sklearn.metrics import accuracy_score, log_loss, mean_squared_error
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from fastmlp import MLPClassifier, MLPRegressor

X, Y = make_classification(n_samples=300, n_features=8, n_informative=5, n_classes=3, random_state=0)
X_TRAIN, X_VAL, Y_TRAIN, Y_VAL = train_test_split(X, Y, random_state=1)


def _quiet(fit):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit()


def test_early_stopping_on_given_rows_is_the_internal_split_on_the_same_rows():
    """Given the rows scikit-learn's split holds out (and the training rows in
    its order, with shuffle=False), fit(X_val=...) trains the same model."""
    params = dict(hidden_layer_sizes=(10,), early_stopping=True, shuffle=False, random_state=0, max_iter=40)
    internal = _quiet(lambda: MLPClassifier(**params).fit(X, Y))
    rng = np.random.RandomState(0)
    rng.uniform(size=8 * 10 + 10 + 10 * 3 + 3)  # the weight initialisation's draws
    # scikit-learn stratifies single-output targets only: three classes are three outputs
    train_idx, val_idx = train_test_split(np.arange(len(Y)), random_state=rng, test_size=0.1)
    given = _quiet(lambda: MLPClassifier(**params).fit(X[train_idx], Y[train_idx], X_val=X[val_idx], y_val=Y[val_idx]))
    for a, b in zip(internal.coefs_ + internal.intercepts_, given.coefs_ + given.intercepts_):
        np.testing.assert_array_equal(a, b)
    assert internal.validation_scores_ == given.validation_scores_
    assert internal.validation_loss_curve_ == given.validation_loss_curve_
    assert internal.n_iter_ == given.n_iter_ and len(given.validation_loss_curve_) == given.n_iter_


@pytest.mark.kernels
def test_without_early_stopping_the_set_is_scored_and_stops_nothing():
    params = dict(hidden_layer_sizes=(10,), random_state=0, max_iter=15, tol=0, n_iter_no_change=100)
    est = _quiet(lambda: MLPClassifier(**params).fit(X_TRAIN, Y_TRAIN, X_val=X_VAL, y_val=Y_VAL))
    plain = _quiet(lambda: MLPClassifier(**params).fit(X_TRAIN, Y_TRAIN))
    for a, b in zip(est.coefs_, plain.coefs_):
        np.testing.assert_array_equal(a, b)  # the validation set changes nothing in training
    assert est.n_iter_ == 15 and len(est.validation_scores_) == 15 and len(est.validation_loss_curve_) == 15
    assert est.validation_scores_[-1] == accuracy_score(Y_VAL, est.predict(X_VAL))
    assert est.validation_loss_curve_[-1] == pytest.approx(log_loss(Y_VAL, est.predict_proba(X_VAL)), rel=1e-9)
    assert plain.validation_scores_ is None and plain.validation_loss_curve_ is None


def test_regression_validation_loss_is_half_the_mean_squared_error_and_weights_count():
    X_r, y_r = make_regression(n_samples=200, n_features=6, noise=5.0, random_state=0)
    y_r = y_r / y_r.std()
    sw_val = np.linspace(0.1, 2, 50)
    est = _quiet(lambda: MLPRegressor(hidden_layer_sizes=(8,), max_iter=10, random_state=0, alpha=1.0).fit(
        X_r[:150], y_r[:150], X_val=X_r[150:], y_val=y_r[150:], sample_weight_val=sw_val))  # fmt: skip
    pred = est.predict(X_r[150:])
    expected = 0.5 * mean_squared_error(y_r[150:], pred, sample_weight=sw_val)  # no L2 term
    assert est.validation_loss_curve_[-1] == pytest.approx(expected, rel=1e-9)
    assert est.validation_scores_[-1] == pytest.approx(est.score(X_r[150:], y_r[150:], sample_weight=sw_val))


def test_internal_split_has_a_validation_loss_curve():
    est = _quiet(lambda: MLPClassifier(early_stopping=True, max_iter=10, random_state=0).fit(X, Y))
    assert len(est.validation_loss_curve_) == est.n_iter_
    assert all(np.isfinite(est.validation_loss_curve_))


def test_a_pipeline_transforms_the_validation_set_with_metadata_routing():
    with sklearn.config_context(enable_metadata_routing=True):
        mlp = MLPClassifier(early_stopping=True, max_iter=20, random_state=0).set_fit_request(X_val=True, y_val=True)
        pipe = Pipeline([("scale", StandardScaler()), ("mlp", mlp)], transform_input=["X_val"])
        _quiet(lambda: pipe.fit(X_TRAIN, Y_TRAIN, X_val=X_VAL, y_val=Y_VAL))
    scaler = StandardScaler().fit(X_TRAIN)
    by_hand = _quiet(lambda: MLPClassifier(early_stopping=True, max_iter=20, random_state=0).fit(
        scaler.transform(X_TRAIN), Y_TRAIN, X_val=scaler.transform(X_VAL), y_val=Y_VAL))  # fmt: skip
    for a, b in zip(pipe[-1].coefs_, by_hand.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    assert pipe[-1].validation_scores_ == by_hand.validation_scores_


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(X_val=X_VAL), "X_val is given but y_val is not"),
        (dict(y_val=Y_VAL), "y_val is given but X_val is not"),
        (dict(sample_weight_val=np.ones(3)), "sample_weight_val is given without X_val"),
        (dict(X_val=X_VAL[:, :3], y_val=Y_VAL), "X has 3 features, but MLPClassifier is expecting 8"),
        (dict(X_val=X_VAL, y_val=Y_VAL + 7), "y_val has classes not in y"),
        (dict(X_val=X_VAL, y_val=Y_VAL, sample_weight_val=np.r_[1.0, -1.0, np.zeros(len(Y_VAL) - 2)]),
         "sample weights sum to zero"),
    ],
)
def test_bad_validation_sets_are_rejected_before_training(kwargs, message, monkeypatch):
    est = _quiet(lambda: MLPClassifier(max_iter=3, random_state=0).fit(X_TRAIN, Y_TRAIN))
    before = [c.copy() for c in est.coefs_]
    epochs = _count_epochs(monkeypatch)
    with pytest.raises(ValueError, match=message):
        est.fit(X_TRAIN, Y_TRAIN, **kwargs)
    assert epochs == []  # rejected before any training, not rolled back after
    for a, b in zip(before, est.coefs_):
        np.testing.assert_array_equal(a, b)


def _count_epochs(monkeypatch):
    from fastmlp import _solvers

    calls, real = [], _solvers.train_epoch_inplace

    def counting(*args):
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(_solvers, "train_epoch_inplace", counting)
    return calls


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: (MLPRegressor(), np.ones((40, 2))), "y_val has 2 outputs"),
        (lambda: (MLPRegressor(loss="poisson"), -np.ones(40)), "y_val are negative"),
        (lambda: (MLPClassifier(), np.full((40, 3), 2)), "y_val is 'multilabel-indicator' but y was 'multiclass'"),
    ],
)
def test_validation_targets_are_checked_as_training_targets(make, message, monkeypatch):
    est, y_val = make()
    y_train = np.abs(Y_TRAIN) if isinstance(est, MLPRegressor) else Y_TRAIN
    epochs = _count_epochs(monkeypatch)
    with pytest.raises(ValueError, match=message):
        est.fit(X_TRAIN, y_train, X_val=X_VAL[:40], y_val=y_val)
    assert epochs == []


def test_a_warm_fit_without_the_set_has_no_stale_validation_loss_curve():
    est = _quiet(lambda: MLPClassifier(max_iter=5, random_state=0, warm_start=True).fit(
        X_TRAIN, Y_TRAIN, X_val=X_VAL, y_val=Y_VAL))  # fmt: skip
    assert len(est.validation_loss_curve_) == 5
    _quiet(lambda: est.fit(X_TRAIN, Y_TRAIN))
    assert est.validation_loss_curve_ is None


def test_lbfgs_has_no_epochs_to_score():
    with pytest.raises(ValueError, match="solver='lbfgs' has no epochs"):
        MLPClassifier(solver="lbfgs").fit(X_TRAIN, Y_TRAIN, X_val=X_VAL, y_val=Y_VAL)
