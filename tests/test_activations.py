"""fastmlp's own hidden activations, one per layer if wished: trained by the
kernels as the numpy reference trains them, and the same whatever the threads."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.utils._param_validation import InvalidParameterError

import fastmlp
from fastmlp import MLPClassifier, MLPRegressor
from fastmlp._activations import HIDDEN_ACTIVATIONS, SKLEARN_HIDDEN_ACTIVATIONS
from fastmlp._layout import ParameterLayout

from . import reference

X, y = make_classification(n_samples=80, n_features=6, n_informative=4, random_state=0)
Y = np.eye(2)[y][:, 1:]
NEW_ACTIVATIONS = [name for name in HIDDEN_ACTIVATIONS if name not in SKLEARN_HIDDEN_ACTIVATIONS]
# with a layer keeping a kept derivative first, last, and next to one that does not
LAYER_LISTS = [["gelu", "relu"], ["tanh", "mish"], ["silu", "elu"], ["selu", "softplus"]]


def _quiet(fit):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit()


@pytest.mark.parametrize("activation", NEW_ACTIVATIONS + LAYER_LISTS)
def test_one_sgd_step_is_the_references(activation):
    """A whole-batch SGD step without momentum is ``W - lr grad``, the
    gradient by the numpy reference (derivatives written in terms of z)."""
    lr, alpha = 0.1, 0.01
    est = _quiet(lambda: MLPClassifier(hidden_layer_sizes=(7, 5), activation=activation, solver="sgd", momentum=0.0,
                                       batch_size=80, max_iter=1, shuffle=False, alpha=alpha, learning_rate_init=lr,
                                       random_state=0).fit(X, y))  # fmt: skip
    layout = ParameterLayout([6, 7, 5, 1])
    coefs, intercepts = layout.views(layout.initialize(activation, np.random.RandomState(0), np.float64))
    _, coef_grads, intercept_grads = reference.loss_and_gradients(
        X, Y, coefs, intercepts, activation, "logistic", "binary_log_loss", alpha=alpha
    )
    for got, p, g in zip(est.coefs_ + est.intercepts_, coefs + intercepts, coef_grads + intercept_grads):
        np.testing.assert_allclose(got, p - lr * g, rtol=1e-10, atol=1e-12)
    # prediction (no derivative kept) is the reference's forward pass
    want = reference.forward(X, est.coefs_, est.intercepts_, activation, "logistic")[-1][:, 0]
    np.testing.assert_allclose(est.predict_proba(X)[:, 1], want, rtol=1e-12)


@pytest.mark.parametrize("activation", LAYER_LISTS[:2])
def test_layer_lists_pass_central_differences_through_the_low_level_api(activation):
    rng = np.random.RandomState(3)
    coefs, intercepts = reference.random_network([6, 5, 4, 3], rng)
    Yc = np.eye(3)[rng.randint(0, 3, 80)]
    sw = rng.uniform(0.5, 2, 80)
    args = (X, Yc, coefs, intercepts, activation, "softmax", "log_loss", 0.2, sw)
    E, coef_grads, intercept_grads = fastmlp.loss_and_gradients(
        X, Yc, coefs, intercepts, hidden_activation=activation, loss="log_loss", alpha=0.2, sample_weight=sw
    )
    assert E == pytest.approx(reference.loss_only(*args), rel=1e-12)
    numeric = reference.central_differences(lambda: reference.loss_only(*args), coefs + intercepts)
    for got, want in zip(coef_grads + intercept_grads, numeric):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
@pytest.mark.kernels
def test_a_list_of_one_name_trains_that_name(solver):
    params = dict(hidden_layer_sizes=(8, 6), solver=solver, max_iter=5, random_state=0)
    for name in ("logistic", "gelu"):  # logistic: scikit-learn's other init bound
        by_list = _quiet(lambda: MLPClassifier(activation=[name, name], **params).fit(X, y))
        by_name = _quiet(lambda: MLPClassifier(activation=name, **params).fit(X, y))
        for a, b in zip(by_list.coefs_ + by_list.intercepts_, by_name.coefs_ + by_name.intercepts_):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_kept_derivatives_are_each_threads_own(solver, monkeypatch):
    """Split across two threads, each keeps its rows' f'(Z): the
    model is the one thread's."""
    from fastmlp import _threads

    params = dict(hidden_layer_sizes=(30, 20), activation=["mish", "gelu"], solver=solver, batch_size=80,
                  max_iter=4, random_state=0)  # fmt: skip
    models = []
    for n_threads in (1, 2):
        monkeypatch.setattr(_threads, "plan", lambda *args, n=n_threads: (1, n))
        models.append(_quiet(lambda: MLPRegressor(**params).fit(X, y.astype(float))))
    for a, b in zip(models[0].coefs_ + models[0].intercepts_, models[1].coefs_ + models[1].intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_activation_fits_and_predicts_in_each_dtype(dtype):
    for name in NEW_ACTIVATIONS:
        est = _quiet(lambda: MLPClassifier((10,), activation=name, learning_rate_init=0.01, max_iter=100, random_state=0).fit(X.astype(dtype), y))
        assert est.coefs_[0].dtype == dtype and est.predict_proba(X.astype(dtype)).dtype == dtype
        assert est.score(X.astype(dtype), y) > 0.9, name


def test_bad_activations_are_refused_clearly():
    with pytest.raises(InvalidParameterError, match="activation"):
        MLPClassifier(activation="swish").fit(X, y)
    with pytest.raises(ValueError, match="activation has 1 name for 2 hidden layers"):
        MLPClassifier((4, 4), activation=["relu"]).fit(X, y)
    fitted = _quiet(lambda: MLPClassifier((4, 4), max_iter=2).fit(X, y))
    for wrong in (["relu"], ["relu", "gelu", "elu"]):  # set after fitting: checked at prediction
        with pytest.raises(ValueError, match="for 2 hidden layers"):
            fitted.set_params(activation=wrong).predict(X)
    with pytest.raises(ValueError, match="activation must be one of .* got 'softmax'"):
        MLPClassifier((4,), activation=["softmax"]).fit(X, y)
