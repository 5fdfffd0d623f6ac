"""``weight_init`` (fastmlp's own): the schemes' distributions, determinism,
and the default being scikit-learn's draw."""

import warnings

import numpy as np
import pytest
import sklearn.neural_network as sk
from sklearn.datasets import make_classification
from sklearn.utils._param_validation import InvalidParameterError

from fastmlp import MLPClassifier, MLPRegressor
from fastmlp._layout import WEIGHT_INITS, ParameterLayout

X, Y = make_classification(n_samples=120, n_features=10, random_state=0)

# (bias is zero, the weights' distribution: "uniform" bound or "normal" std)
EXPECTED = {
    "glorot_normal": ("normal", lambda fan_in, fan_out: np.sqrt(2 / (fan_in + fan_out))),
    "he_uniform": ("uniform", lambda fan_in, fan_out: np.sqrt(6 / fan_in)),
    "he_normal": ("normal", lambda fan_in, fan_out: np.sqrt(2 / fan_in)),
    "lecun_normal": ("normal", lambda fan_in, fan_out: np.sqrt(1 / fan_in)),
}


def test_every_scheme_is_tested():
    assert set(WEIGHT_INITS) == set(EXPECTED) | {"glorot_uniform"}


@pytest.mark.parametrize("scheme", sorted(EXPECTED))
def test_scheme_draws_its_distribution(scheme):
    layout = ParameterLayout([300, 400, 200])
    params = layout.initialize("relu", np.random.RandomState(0), np.float64, scheme)
    coefs, intercepts = layout.views(params)
    kind, scale = EXPECTED[scheme]
    for W, b in zip(coefs, intercepts):
        expected = scale(*W.shape)
        assert not b.any()
        if kind == "normal":
            assert W.std() == pytest.approx(expected, rel=0.02)
            assert abs(W.mean()) < 0.02 * expected
        else:
            assert np.abs(W).max() <= expected
            assert W.std() == pytest.approx(expected / np.sqrt(3), rel=0.02)  # U(-b, b) has std b / sqrt(3)


@pytest.mark.parametrize("activation", ["relu", "logistic"])
def test_default_is_sklearns_draw(activation):
    params = dict(hidden_layer_sizes=(6, 4), activation=activation, max_iter=1, random_state=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = MLPClassifier(**params).fit(X, Y)
        explicit = MLPClassifier(weight_init="glorot_uniform", **params).fit(X, Y)
        theirs = sk.MLPClassifier(**params).fit(X, Y)
    for a, b, c in zip(ours.coefs_ + ours.intercepts_, explicit.coefs_ + explicit.intercepts_,
                       theirs.coefs_ + theirs.intercepts_):  # fmt: skip
        np.testing.assert_array_equal(a, b)
        np.testing.assert_allclose(a, c, rtol=1e-9)


@pytest.mark.parametrize("scheme", sorted(WEIGHT_INITS))
@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
def test_initial_weights_are_deterministic_and_train(scheme, cls):
    params = dict(hidden_layer_sizes=(8,), weight_init=scheme, max_iter=30, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first, second = cls(**params).fit(X, Y), cls(**params).fit(X, Y)
        other_seed = cls(**dict(params, random_state=1)).fit(X, Y)
    for a, b in zip(first.coefs_, second.coefs_):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first.coefs_[0], other_seed.coefs_[0])
    assert first.loss_curve_[-1] < first.loss_curve_[0]


def test_unknown_scheme_is_rejected_by_the_parameter_constraints():
    with pytest.raises(InvalidParameterError, match="The 'weight_init' parameter of MLPRegressor must be"):
        MLPRegressor(weight_init="xavier").fit(X, Y)
