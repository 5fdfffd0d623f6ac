"""``class_weight`` (fastmlp's own; scikit-learn's MLP has none).

Its meaning is scikit-learn's (``LogisticRegression``): a fit with
``class_weight`` is the fit with ``sample_weight=compute_sample_weight(...)``,
which the tests check against fastmlp itself and against scikit-learn's MLP
given those sample weights. The loss and gradients with sample weights are
checked against central differences and the numpy reference in
test_backprop.py; class weights reach the kernels only as sample weights.
"""

import warnings

import numpy as np
import pytest
import sklearn.neural_network as sk
from sklearn.datasets import make_classification, make_multilabel_classification
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.class_weight import compute_class_weight, compute_sample_weight

from fastmlp import MLPClassifier

X3, Y3 = make_classification(
    n_samples=240, n_features=8, n_informative=5, n_classes=3, weights=[0.6, 0.3, 0.1], random_state=0
)
Y_STR = np.where(Y3 == 0, "common", np.where(Y3 == 1, "rarer", "rare"))
X_ML, Y_ML = make_multilabel_classification(n_samples=200, n_features=8, n_classes=3, random_state=0)
X_ML = X_ML / X_ML.max()
PARAMS = dict(hidden_layer_sizes=(7,), max_iter=15, random_state=0)


def _fit(cls, X, y, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sample_weight = params.pop("sample_weight", None)
        return cls(**params).fit(X, y, sample_weight=sample_weight)


def _weights(est):
    return est.coefs_ + est.intercepts_


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
@pytest.mark.parametrize(
    "y, class_weight",
    [
        (Y3, "balanced"),
        (Y3, {0: 1.0, 1: 3.0, 2: 10.0}),
        (Y3, {2: 4.0}),  # classes not listed weigh 1
        (Y_STR, {"rare": 5.0, "rarer": 2.0}),
        (Y_STR[:200] == "common", "balanced"),  # binary
    ],
)
@pytest.mark.kernels
def test_class_weight_is_the_sample_weight_fit(y, class_weight, solver):
    X = X3[: len(y)]
    params = dict(PARAMS, solver=solver)
    ours = _fit(MLPClassifier, X, y, class_weight=class_weight, **params)
    sample_weight = compute_sample_weight(class_weight, y)
    same = _fit(MLPClassifier, X, y, sample_weight=sample_weight, **params)
    theirs = _fit(sk.MLPClassifier, X, y, sample_weight=sample_weight, **params)
    for a, b, c in zip(_weights(ours), _weights(same), _weights(theirs)):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_allclose(a, c, rtol=1e-4 if solver == "lbfgs" else 1e-6, atol=1e-10)


@pytest.mark.parametrize("class_weight", ["balanced", [{0: 1, 1: 3}, {0: 2, 1: 1}, {1: 5}]])
@pytest.mark.kernels
def test_multilabel_class_weight_is_one_weight_per_label_column(class_weight):
    ours = _fit(MLPClassifier, X_ML, Y_ML, class_weight=class_weight, **PARAMS)
    sample_weight = compute_sample_weight(class_weight, Y_ML)
    same = _fit(MLPClassifier, X_ML, Y_ML, sample_weight=sample_weight, **PARAMS)
    for a, b in zip(_weights(ours), _weights(same)):
        np.testing.assert_array_equal(a, b)


def test_class_weight_composes_with_sample_weight_and_early_stopping():
    sample_weight = np.random.RandomState(0).uniform(0.5, 2, len(Y3))
    params = dict(PARAMS, early_stopping=True, max_iter=30)
    ours = _fit(MLPClassifier, X3, Y3, class_weight="balanced", sample_weight=sample_weight, **params)
    # 'balanced' counts the classes with the sample weights, as LogisticRegression
    per_class = compute_class_weight("balanced", classes=np.unique(Y3), y=Y3, sample_weight=sample_weight)
    combined = sample_weight * per_class[Y3]
    same = _fit(MLPClassifier, X3, Y3, sample_weight=combined, **params)
    for a, b in zip(_weights(ours), _weights(same)):
        np.testing.assert_array_equal(a, b)
    assert ours.validation_scores_ == same.validation_scores_  # the validation score is weighted too


def test_partial_fit_takes_a_dict_with_every_class_weight_not_only_the_batchs():
    class_weight = {0: 1.0, 1: 3.0, 2: 10.0}
    ours = MLPClassifier(class_weight=class_weight, **PARAMS)
    same = MLPClassifier(**PARAMS)
    for start in range(0, 240, 60):
        batch = slice(start, start + 60)
        ours.partial_fit(X3[batch], Y3[batch], classes=[0, 1, 2])
        weights = np.array([class_weight[c] for c in Y3[batch]])
        same.partial_fit(X3[batch], Y3[batch], classes=[0, 1, 2], sample_weight=weights)
    for a, b in zip(_weights(ours), _weights(same)):
        np.testing.assert_array_equal(a, b)


def test_partial_fit_rejects_balanced_weights():
    with pytest.raises(ValueError, match="class_weight 'balanced' is not supported for partial_fit"):
        MLPClassifier(class_weight="balanced").partial_fit(X3, Y3, classes=[0, 1, 2])


@pytest.mark.parametrize(
    "class_weight, error, message",
    [
        ("auto", InvalidParameterError, "The 'class_weight' parameter of MLPClassifier must be"),
        (3.0, InvalidParameterError, "The 'class_weight' parameter of MLPClassifier must be"),
        ({0: 1.0, 7: 2.0}, ValueError, "are not in class_weight"),  # scikit-learn's check and message
        ([{0: 1}, {1: 2}], ValueError, "a list of dicts is for multilabel targets"),
        ({0: 2.0}, ValueError, "For multilabel targets, class_weight must be"),
    ],
)
def test_bad_class_weight_errors(class_weight, error, message):
    est = MLPClassifier(class_weight=class_weight, max_iter=2)
    X, y = (X_ML, Y_ML) if message.startswith("For multilabel") else (X3, Y3)
    with pytest.raises(error, match=message):
        est.fit(X, y)
    assert not hasattr(est, "coefs_")


def test_balanced_weights_improve_balanced_accuracy_on_a_95_5_problem():
    X, y = make_classification(
        n_samples=2000, n_features=10, n_informative=4, weights=[0.95, 0.05], flip_y=0, class_sep=0.6, random_state=3
    )
    X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
    scores = {}
    for class_weight in (None, "balanced"):
        est = _fit(MLPClassifier, X_train, y_train, hidden_layer_sizes=(16,), max_iter=200, random_state=0,
                   class_weight=class_weight)  # fmt: skip
        scores[class_weight] = balanced_accuracy_score(y_test, est.predict(X_test))
    assert scores["balanced"] > scores[None] + 0.05, scores
