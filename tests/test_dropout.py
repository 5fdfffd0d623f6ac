"""``dropout`` (fastmlp's own): inverted dropout on hidden units in training,
masks from a counter-based hash of (seed, step, layer, row, unit)."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits, make_classification
from sklearn.utils._param_validation import InvalidParameterError

import fastmlp
from fastmlp import MLPClassifier, MLPRegressor
from fastmlp._layout import ParameterLayout

from . import reference

X, y = make_classification(n_samples=80, n_features=6, n_informative=4, random_state=0)


def _quiet(fit):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit()


def _weights(est):
    return est.coefs_ + est.intercepts_


def test_masks_drop_the_rate_and_differ_by_seed_layer_and_row():
    masks = fastmlp.dropout_masks(4000, [250, 250], [0.3, 0.6], dropout_seed=7, dropout_offset=3)
    for mask, rate in zip(masks, (0.3, 0.6)):
        assert set(np.unique(mask)) == {0.0, 1.0}
        n = mask.size  # binomial: the dropped fraction within 5 standard deviations
        assert abs((1 - mask.mean()) - rate) < 5 * np.sqrt(rate * (1 - rate) / n)
        # no structure by unit or by row: each unit's and each row's rate is the rate
        assert abs((1 - mask.mean(axis=0)).mean() - rate) < 0.01 and (1 - mask.mean(axis=0)).std() < 0.05
    again = fastmlp.dropout_masks(4000, [250, 250], [0.3, 0.6], dropout_seed=7, dropout_offset=3)
    np.testing.assert_array_equal(masks[0], again[0])
    # a row's mask is its count's, whichever rows come with it
    later = fastmlp.dropout_masks(10, [250, 250], [0.3, 0.6], dropout_seed=7, dropout_offset=1003)
    np.testing.assert_array_equal(later[1], masks[1][1000:1010])
    for other in (dict(dropout_seed=8, dropout_offset=3), dict(dropout_seed=7, dropout_offset=4003)):
        different = fastmlp.dropout_masks(4000, [250, 250], [0.3, 0.6], **other)
        assert (different[0] != masks[0]).mean() > 0.3  # independent masks differ in 2 p (1 - p) = 42%
    same_rate = fastmlp.dropout_masks(4000, [250, 250], 0.3, dropout_seed=7, dropout_offset=3)
    assert (same_rate[0] != same_rate[1]).mean() > 0.3  # layers draw apart
    assert (masks[0][:2000] != masks[0][2000:]).mean() > 0.3  # rows too
    assert all((m == 1).all() for m in fastmlp.dropout_masks(10, [5, 5], 0.0))


@pytest.mark.parametrize("hidden", ["relu", "logistic", "gelu", ["tanh", "silu"]])
def test_gradients_under_a_fixed_mask_match_the_reference_and_central_differences(hidden):
    rng = np.random.RandomState(1)
    layer_units, rates, seed, offset = [6, 8, 7, 3], [0.25, 0.5], 11, 500
    coefs, intercepts = reference.random_network(layer_units, rng)
    Y = np.eye(3)[rng.randint(0, 3, 30)]
    Xs, sw = rng.normal(size=(30, 6)), rng.uniform(0.5, 2, 30)
    masks = fastmlp.dropout_masks(30, layer_units[1:-1], rates, dropout_seed=seed, dropout_offset=offset)
    assert 0 < np.mean([m.mean() for m in masks]) < 1
    dropout = list(zip(masks, rates))
    args = (Xs, Y, coefs, intercepts, hidden, "softmax", "log_loss", 0.1, sw, dropout)
    E, coef_grads, intercept_grads = fastmlp.loss_and_gradients(
        Xs, Y, coefs, intercepts, hidden_activation=hidden, loss="log_loss", alpha=0.1, sample_weight=sw,
        dropout=rates, dropout_seed=seed, dropout_offset=offset,
    )  # fmt: skip
    E_ref, coef_ref, intercept_ref = reference.loss_and_gradients(*args)
    assert E == pytest.approx(E_ref, rel=1e-12)
    for got, want in zip(coef_grads + intercept_grads, coef_ref + intercept_ref):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-14)
    numeric = reference.central_differences(lambda: reference.loss_only(*args), coefs + intercepts)
    for got, want in zip(coef_grads + intercept_grads, numeric):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-8)
    # the masks are applied at all: without them the loss differs
    no_dropout = fastmlp.loss_and_gradients(Xs, Y, coefs, intercepts, hidden_activation=hidden, loss="log_loss")[0]
    assert no_dropout != pytest.approx(E, rel=1e-6)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_the_first_training_step_uses_the_masks_of_the_first_rows(solver):
    """A whole-batch step without momentum: the kernels' training path drops
    the units ``dropout_masks`` says for rows 0 to 79, and scales the kept ones."""
    lr, rates = 0.1, [0.3, 0.5]
    est = _quiet(lambda: MLPClassifier(hidden_layer_sizes=(9, 7), activation="tanh", solver=solver, momentum=0.0,
                                       batch_size=80, max_iter=1, shuffle=False, alpha=0.0, learning_rate_init=lr,
                                       random_state=0, dropout=rates).fit(X, y))  # fmt: skip
    layout = ParameterLayout([6, 9, 7, 1])
    rng = np.random.RandomState(0)
    coefs, intercepts = layout.views(layout.initialize("tanh", rng, np.float64))
    assert est._dropout_seed == rng.randint(np.iinfo(np.int32).max)  # drawn right after the weights
    masks = fastmlp.dropout_masks(80, [9, 7], rates, dropout_seed=est._dropout_seed, dropout_offset=0)
    _, coef_grads, intercept_grads = reference.loss_and_gradients(
        X, y[:, None].astype(float), coefs, intercepts, "tanh", "logistic", "binary_log_loss",
        dropout=list(zip(masks, rates)),
    )  # fmt: skip
    if solver == "sgd":
        expected = [p - lr * g for p, g in zip(coefs + intercepts, coef_grads + intercept_grads)]
    else:
        reference.adam_step(coefs, intercepts, coef_grads, intercept_grads, {}, 1, lr)
        expected = coefs + intercepts
    for got, want in zip(_weights(est), expected):
        np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_two_threads_draw_the_masks_one_thread_draws(solver, monkeypatch):
    from fastmlp import _threads

    params = dict(hidden_layer_sizes=(40, 30), solver=solver, batch_size=80, max_iter=4, random_state=0,
                  dropout=[0.2, 0.4], activation=["relu", "gelu"])  # fmt: skip
    models = []
    for n_threads in (1, 2):
        monkeypatch.setattr(_threads, "plan", lambda *args, n=n_threads: (1, n))
        models.append(_quiet(lambda: MLPRegressor(**params).fit(X, y.astype(float))))
    for a, b in zip(_weights(models[0]), _weights(models[1])):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)


def test_masks_follow_random_state_and_prediction_drops_nothing():
    fit = lambda seed: _quiet(lambda: MLPClassifier((20,), dropout=0.5, max_iter=5, random_state=seed).fit(X, y))  # noqa: E731
    a, b, c = fit(0), fit(0), fit(1)
    for wa, wb in zip(_weights(a), _weights(b)):
        np.testing.assert_array_equal(wa, wb)
    assert a._dropout_seed != c._dropout_seed
    proba = a.predict_proba(X)
    np.testing.assert_array_equal(proba, a.predict_proba(X))
    want = fastmlp.forward_pass(X, a.coefs_, a.intercepts_, hidden_activation="relu", output_activation="logistic")
    np.testing.assert_allclose(proba[:, 1], want[:, 0], rtol=1e-13)


def test_every_way_to_train_on_counts_the_rows_on():
    """Plain SGD (no momentum: no optimizer state a new fit would reset),
    rows in order: two epochs in one fit, two warm_start fits of one epoch
    and two partial_fit calls train the same model, drawing new masks in the
    second epoch (rows 80-159 of the training), not the first's again."""
    params = dict(hidden_layer_sizes=(12, 8), solver="sgd", momentum=0.0, shuffle=False, batch_size=20,
                  learning_rate_init=0.05, dropout=[0.5, 0.3], random_state=0)  # fmt: skip
    one_fit = _quiet(lambda: MLPClassifier(max_iter=2, **params).fit(X, y))
    warm = MLPClassifier(max_iter=1, warm_start=True, **params)
    partial = MLPClassifier(**params)
    for _ in range(2):
        _quiet(lambda: warm.fit(X, y))
        partial.partial_fit(X, y, classes=[0, 1])
    for model in (warm, partial):
        assert model.t_ == 160
        for a, b in zip(_weights(model), _weights(one_fit)):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    replayed = _quiet(lambda: MLPClassifier(max_iter=1, **params).fit(X, y))  # one epoch, then one more
    replayed.t_ = 0  # as if the second epoch were rows 0-79 again
    _quiet(lambda: replayed.set_params(warm_start=True).fit(X, y))
    assert not np.allclose(replayed.coefs_[0], one_fit.coefs_[0])


@pytest.mark.parametrize("dropout", [0.0, [0.0, 0.0]])
@pytest.mark.kernels
def test_no_dropout_is_scikit_learns_model(dropout):
    params = dict(hidden_layer_sizes=(8, 6), max_iter=5, random_state=0)
    with_zero = _quiet(lambda: MLPClassifier(dropout=dropout, **params).fit(X, y))
    default = _quiet(lambda: MLPClassifier(**params).fit(X, y))
    for a, b in zip(_weights(with_zero), _weights(default)):
        np.testing.assert_array_equal(a, b)
    _quiet(lambda: MLPClassifier(solver="lbfgs", dropout=dropout, **params).fit(X, y))  # 0 is allowed


def test_bad_dropout_is_refused_clearly():
    with pytest.raises(ValueError, match="solver='lbfgs' needs a deterministic loss"):
        MLPClassifier(solver="lbfgs", dropout=0.1).fit(X, y)
    with pytest.raises(InvalidParameterError, match="dropout"):
        MLPClassifier(dropout=1.0).fit(X, y)
    with pytest.raises(InvalidParameterError, match="dropout"):
        MLPClassifier(dropout="0.5").fit(X, y)
    with pytest.raises(ValueError, match="dropout has 1 rate for 2 hidden layers"):
        MLPClassifier((4, 4), dropout=[0.5]).fit(X, y)
    with pytest.raises(ValueError, match="a flat sequence of rates"):
        MLPClassifier((4, 4), dropout=[[0.1, 0.2]]).fit(X, y)
    with pytest.raises(ValueError, match="a sequence of rates"):
        MLPClassifier((4, 4), dropout=["a", "b"]).fit(X, y)
    for seed in (-1, 2**53, 1.5, True):  # the kernels hold seeds and counts as float64: exact below 2**53
        with pytest.raises(ValueError, match=r"integers in \[0, 2\*\*53\)"):
            fastmlp.dropout_masks(3, [4], 0.5, dropout_seed=seed)
    as_array = _quiet(lambda: MLPClassifier((4, 4), dropout=np.array(0.3), max_iter=2, random_state=0).fit(X, y))
    as_float = _quiet(lambda: MLPClassifier((4, 4), dropout=0.3, max_iter=2, random_state=0).fit(X, y))
    np.testing.assert_array_equal(as_array.coefs_[0], as_float.coefs_[0])
    with pytest.raises(ValueError, match=r"in \[0, 1\)"):
        MLPClassifier((4, 4), dropout=[0.5, 1.0]).fit(X, y)


def test_dropout_lowers_the_validation_loss_of_an_overfitting_network():
    """200 digits to train a 256-256 network on: without dropout it fits them
    exactly and its validation loss climbs; with dropout=0.5 it ends lower,
    and its best epoch is better, on each of three draws."""
    X_digits, y_digits = load_digits(return_X_y=True)
    X_digits = X_digits / 16
    order = np.random.RandomState(0).permutation(len(X_digits))
    validation = order[1000:]
    for seed in range(3):
        train = order[seed * 200 : (seed + 1) * 200]
        curves = []
        for rate in (0.0, 0.5):
            est = _quiet(lambda: MLPClassifier(hidden_layer_sizes=(256, 256), dropout=rate, max_iter=200,
                                               learning_rate_init=0.003, n_iter_no_change=1000, random_state=seed)
                         .fit(X_digits[train], y_digits[train], X_val=X_digits[validation],
                              y_val=y_digits[validation]))  # fmt: skip
            curves.append(est.validation_loss_curve_)
        plain, dropped = curves
        assert dropped[-1] < plain[-1] and min(dropped) < min(plain), seed
