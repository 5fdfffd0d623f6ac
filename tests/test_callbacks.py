"""scikit-learn 1.9's callbacks: a task per epoch, as LogisticRegression has per iteration."""

import warnings

import numpy as np
import pytest
from sklearn.callback import ScoringMonitor
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from fastmlp import MLPClassifier, MLPRegressor

X, y = load_digits(return_X_y=True)
X, y = X[:600] / 16, y[:600]


def _fit(estimator, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return estimator.fit(*args, **kwargs)


class StopAfter:
    """Records the hooks it sees and asks to stop after ``n`` epochs."""

    def __init__(self, n):
        self.n, self.events = n, []

    def setup(self, estimator, context):
        self.events.append("setup")

    def teardown(self, estimator, context):
        self.events.append("teardown")

    def on_fit_task_begin(self, estimator, context):
        self.events.append(f"begin {context.task_name}")

    def on_fit_task_end(self, estimator, context, **kwargs):
        self.events.append(f"end {context.task_name}")
        return context.task_name == "epoch" and context.task_id + 1 >= self.n


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_each_epochs_score_is_the_model_after_that_many_epochs(solver):
    monitor = ScoringMonitor(scoring="accuracy")
    est = _fit(MLPClassifier((16,), solver=solver, max_iter=4, random_state=0).set_callbacks(monitor), X, y)
    rows = monitor.get_logs().data
    epochs = sorted((row for row in rows if row["task_name"] != "fit"), key=lambda row: row["task_id"])
    assert [row["task_name"] for row in epochs] == ["lbfgs-iter" if solver == "lbfgs" else "epoch"] * est.n_iter_
    for k, row in enumerate(epochs, start=1):  # the same fit stopped after k epochs
        shorter = _fit(MLPClassifier((16,), solver=solver, max_iter=k, random_state=0), X, y)
        assert row["accuracy"] == pytest.approx(shorter.score(X, y), abs=1e-12)
    (root,) = [row for row in rows if row["task_name"] == "fit"]
    assert root["accuracy"] == est.score(X, y)


def test_a_callback_can_stop_the_epochs_and_sees_every_hook_in_order():
    callback = StopAfter(2)
    est = _fit(MLPRegressor(hidden_layer_sizes=(8,), max_iter=50, random_state=0).set_callbacks(callback), X, y)
    assert est.n_iter_ == 2 and len(est.loss_curve_) == 2
    assert callback.events == ["setup", "begin fit", "begin epoch", "end epoch", "begin epoch", "end epoch",
                               "end fit", "teardown"]  # fmt: skip


def test_partial_fit_is_a_fit_of_one_epoch():
    callback = StopAfter(10)
    est = MLPClassifier((8,), random_state=0).set_callbacks(callback)
    est.partial_fit(X, y, classes=np.unique(y))
    assert callback.events == ["setup", "begin fit", "begin epoch", "end epoch", "end fit", "teardown"]


def test_callbacks_nest_under_grid_search_and_pipeline():
    monitor = ScoringMonitor(scoring="accuracy")
    mlp = MLPClassifier((8,), max_iter=3, random_state=0).set_callbacks(monitor)
    search = GridSearchCV(make_pipeline(StandardScaler(), mlp), {"mlpclassifier__alpha": [1e-4, 1e-2]}, cv=2)
    _fit(search, X, y)
    rows = monitor.get_logs().data
    assert len(rows) == 5 * (3 + 1)  # 4 candidate fits and the refit: 3 epochs and the fit each
    assert {row["estimator_name"] for row in rows} == {"MLPClassifier"}


def test_progress_bar_draws_a_bar_per_fit(capsys):
    pytest.importorskip("rich", reason="the progress bar needs rich: pip install 'fastmlp[progress]'")
    from sklearn.callback import ProgressBar

    _fit(MLPClassifier((8,), max_iter=3, random_state=0).set_callbacks(ProgressBar()), X, y)
    assert "MLPClassifier - fit" in capsys.readouterr().out


def test_without_callbacks_no_context_is_made(monkeypatch):
    from sklearn.callback import CallbackSupportMixin

    def refuse(*args, **kwargs):
        raise AssertionError("a callback context was made for a fit without callbacks")

    monkeypatch.setattr(CallbackSupportMixin, "_init_callback_context", refuse)
    _fit(MLPClassifier((8,), max_iter=3, random_state=0), X, y)


def test_lbfgs_stops_when_asked_where_scipy_allows():
    from fastmlp._solvers import SCIPY_STOPS_ON_STOP_ITERATION

    if not SCIPY_STOPS_ON_STOP_ITERATION:
        pytest.skip("scipy < 1.11 cannot stop L-BFGS-B from its callback")

    class StopAtSecondIteration(StopAfter):
        def on_fit_task_end(self, estimator, context, **kwargs):
            return context.task_name == "lbfgs-iter" and context.task_id == 1

    est = _fit(MLPClassifier((8,), solver="lbfgs", max_iter=50, random_state=0).set_callbacks(StopAtSecondIteration(0)),
               X, y)  # fmt: skip
    assert est.n_iter_ == 2


def test_weights_are_copied_only_for_a_callback_that_asks_for_the_model(monkeypatch):
    from fastmlp._callbacks import FitCallbacks

    copies = []
    real = FitCallbacks._weights
    monkeypatch.setattr(FitCallbacks, "_weights", lambda self: copies.append(1) or real(self))
    _fit(MLPClassifier((8,), max_iter=3, random_state=0).set_callbacks(StopAfter(10)), X, y)
    assert copies == []  # StopAfter takes no fitted_estimator
    _fit(MLPClassifier((8,), max_iter=3, random_state=0).set_callbacks(ScoringMonitor(scoring="accuracy")), X, y)
    assert len(copies) == 3 + 1


def test_tabular_models_take_callbacks_and_a_progress_bar(capsys):
    pytest.importorskip("rich", reason="the progress bar needs rich: pip install 'fastmlp[progress]'")
    from sklearn.callback import ProgressBar

    from fastmlp import TabularMLPClassifier

    monitor = ScoringMonitor(scoring="accuracy")
    est = _fit(TabularMLPClassifier(hidden_layer_sizes=(16,), max_iter=5, n_ensemble=2, random_state=0).set_callbacks(
        monitor), X, y)  # fmt: skip
    rows = monitor.get_logs().data
    epochs = sorted((row for row in rows if row["task_name"] == "epoch"), key=lambda row: row["task_id"])
    assert len(epochs) == 2 * est.n_iter_ == 10  # each network's epochs
    assert len({row["accuracy"] for row in epochs}) > 1  # each epoch's own model, not the last one's
    (root,) = [row for row in rows if row["task_name"] == "fit"]
    assert root["accuracy"] == est.score(X, y)  # the best epoch's weights, restored at the end
    callback = StopAfter(2)
    est = _fit(TabularMLPClassifier(hidden_layer_sizes=(8,), max_iter=50, random_state=0).set_callbacks(callback), X, y)
    assert est.n_iter_ == 2 and callback.events[:3] == ["setup", "begin fit", "begin epoch"]
    _fit(TabularMLPClassifier(hidden_layer_sizes=(8,), max_iter=3, random_state=0).set_callbacks(ProgressBar()), X, y)
    assert "TabularMLPClassifier - fit" in capsys.readouterr().out
