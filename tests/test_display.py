"""TrainingCurveDisplay: the drawn data are the estimator's curves (Agg backend)."""

import sys
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits, make_regression
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from fastmlp import MLPClassifier, MLPRegressor, TrainingCurveDisplay

matplotlib = pytest.importorskip("matplotlib", reason="matplotlib is not installed")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

X, y = load_digits(return_X_y=True)


def _fit(estimator, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return estimator.fit(*args, **kwargs)


def test_the_lines_are_the_curves_with_early_stopping():
    clf = _fit(MLPClassifier((20,), early_stopping=True, max_iter=30, random_state=0), X, y)
    display = TrainingCurveDisplay.from_estimator(clf)
    n = clf.n_iter_
    for key, curve in (("loss", clf.loss_curve_), ("validation_loss", clf.validation_loss_curve_),
                       ("validation_score", clf.validation_scores_)):  # fmt: skip
        x, values = display.lines_[key].get_data()
        np.testing.assert_array_equal(x, np.arange(1, n + 1))
        np.testing.assert_array_equal(values, curve)
    assert display.lines_["validation_score"].axes is display.score_ax_ is not display.ax_
    assert display.ax_.get_yscale() == "log" and display.ax_.get_xlabel() == "epoch"
    assert [t.get_text() for t in display.score_ax_.get_legend().get_texts()] == [
        "MLPClassifier: training loss", "MLPClassifier: validation loss", "MLPClassifier: validation score"]
    plt.close("all")


def test_a_pipeline_without_validation_draws_the_training_loss_on_given_axes():
    model = _fit(make_pipeline(StandardScaler(), MLPRegressor(hidden_layer_sizes=(10,), max_iter=15, random_state=0)),
                 *make_regression(n_samples=100, n_features=5, random_state=0))  # fmt: skip
    fig, ax = plt.subplots()
    display = TrainingCurveDisplay.from_estimator(model, ax=ax, name="mlp", log_scale=False)
    assert display.ax_ is ax and display.figure_ is fig and display.score_ax_ is None
    assert sorted(display.lines_) == ["loss"] and ax.get_yscale() == "linear"
    np.testing.assert_array_equal(display.lines_["loss"].get_ydata(), model[-1].loss_curve_)
    assert ax.get_legend().get_texts()[0].get_text() == "mlp: training loss"
    plt.close("all")


def test_what_cannot_be_drawn_is_said_clearly(monkeypatch):
    with pytest.raises(NotFittedError):
        TrainingCurveDisplay.from_estimator(MLPClassifier())
    lbfgs = _fit(MLPClassifier((5,), solver="lbfgs", max_iter=5, random_state=0), X, y)
    with pytest.raises(ValueError, match="solver='lbfgs'"):
        TrainingCurveDisplay.from_estimator(lbfgs)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if not installed
    with pytest.raises(ImportError, match="matplotlib"):
        TrainingCurveDisplay.from_estimator(lbfgs)


def test_arrays_and_a_fitted_search_are_accepted():
    from sklearn.model_selection import GridSearchCV

    display = TrainingCurveDisplay(loss_curve=np.array([1.0, 0.5]), validation_scores=np.array([0.1, 0.2])).plot()
    assert sorted(display.lines_) == ["loss", "validation_score"]
    search = _fit(GridSearchCV(MLPClassifier((5,), max_iter=5, random_state=0), {"alpha": [1e-4, 1e-2]}, cv=2), X, y)
    display = TrainingCurveDisplay.from_estimator(search)
    np.testing.assert_array_equal(display.lines_["loss"].get_ydata(), search.best_estimator_.loss_curve_)
    plt.close("all")


def test_a_tabular_model_draws_its_curves():
    from fastmlp import TabularMLPClassifier

    clf = _fit(TabularMLPClassifier(hidden_layer_sizes=(16,), max_iter=6, random_state=0), X[:500], y[:500])
    display = TrainingCurveDisplay.from_estimator(clf)
    for key, curve in (("loss", clf.loss_curve_), ("validation_loss", clf.validation_loss_curve_),
                       ("validation_score", clf.validation_scores_)):  # fmt: skip
        np.testing.assert_array_equal(display.lines_[key].get_ydata(), curve)
    assert len(clf.validation_scores_) == 6
    plt.close("all")
