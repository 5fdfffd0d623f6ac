"""TabularMLPClassifier and TabularMLPRegressor as scikit-learn estimators:
tables with categories and missing values, the ecosystem (pipelines, grid
search, cross-validation, pickling, metadata routing), determinism and
threads. scikit-learn's estimator checks run on them with the others
(tests/test_estimator_checks.py)."""

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn import config_context
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from threadpoolctl import threadpool_limits

from fastmlp import TabularMLPClassifier, TabularMLPRegressor, _threads
from fastmlp._forward import make_codes
from fastmlp._tabular_training import network_output

pd = pytest.importorskip("pandas")

FAST = dict(max_iter=12, hidden_layer_sizes=(32, 32))

def table(n=400, seed=0):
    """A table as a user has one: numbers with gaps, a small and a large
    categorical column (with missing values), a boolean, a string column."""
    rng = np.random.RandomState(seed)
    X = pd.DataFrame({
        "age": rng.normal(40, 12, n),
        "income": np.where(rng.rand(n) < 0.15, np.nan, rng.lognormal(10, 1, n)),
        "colour": pd.Categorical(rng.choice(["red", "green", "blue", None], n)),
        "city": rng.choice([f"city{i:02d}" for i in range(25)], n).astype(object),
        "member": rng.rand(n) < 0.3,
    })  # fmt: skip
    city_effect = {f"city{i:02d}": (i % 5) - 2 for i in range(25)}
    score = (X["age"] - 40) / 12 + (X["colour"] == "red") * 1.5 + X["city"].map(city_effect) * 0.8
    score += np.nan_to_num(np.log(X["income"]) - 10)
    y = np.where(score + rng.normal(scale=0.5, size=n) > 0.3, "yes", "no")
    return X, y, score.to_numpy()


def test_learns_a_table_with_categories_and_missing_values():
    X, y, _ = table(1200)
    train, test = slice(0, 900), slice(900, None)
    model = TabularMLPClassifier(max_iter=40, random_state=0).fit(X.iloc[train], y[train])
    assert list(model.classes_) == ["no", "yes"]
    assert model.encoding_.embedding_sizes_.tolist() == [26]  # city: 25 categories and missing
    assert model.score(X.iloc[test], y[test]) > 0.85
    proba = model.predict_proba(X.iloc[test])
    assert proba.shape == (300, 2) and np.allclose(proba.sum(axis=1), 1)


def test_best_epoch_is_the_latest_highest_validation_score():
    X, y, _ = table()
    model = TabularMLPClassifier(**FAST, n_ensemble=1, random_state=0).fit(X, y)
    scores = np.asarray(model.validation_scores_)
    assert len(scores) == len(model.validation_loss_curve_) == model.n_iter_ == 12
    (best,) = model.best_epoch_
    assert best == len(scores) - int(np.argmax(scores[::-1]))
    assert scores[best - 1] == scores.max()


def test_an_ensemble_averages_its_networks():
    X, y, _ = table()
    ensemble = TabularMLPClassifier(**FAST, n_ensemble=3, random_state=0).fit(X, y)
    assert ensemble.n_ensemble_ == 3 and ensemble._params.shape[0] == 3 and ensemble.best_epoch_.shape == (3,)
    # each network on its own (the prediction kernel on one member's parameters): the ensemble's output is their mean
    encoded = ensemble.encoding_.table_for_kernels(X, np.float32)
    codes = make_codes("selu", "softmax", parametric=True)
    outputs = [network_output(ensemble._network, codes, params, encoded) for params in ensemble._params]
    np.testing.assert_allclose(ensemble.predict_proba(X), np.mean(outputs, axis=0), rtol=1e-5)
    assert not np.allclose(outputs[0], outputs[1], rtol=1e-2)  # networks of their own
    # 'auto': five networks on a small table, one on a large one
    assert TabularMLPClassifier(max_iter=1, hidden_layer_sizes=(4,)).fit(X, y).n_ensemble_ == 5


def test_regressor_on_a_table():
    X, _, score = table(1200, seed=1)
    y = 3 * score + 100
    model = TabularMLPRegressor(max_iter=40, random_state=0).fit(X.iloc[:900], y[:900])
    assert model.score(X.iloc[900:], y[900:]) > 0.9
    prediction = model.predict(X.iloc[900:])
    assert prediction.shape == (300,)
    # clamped to the training rows' range
    assert prediction.min() >= model._y_min[0] and prediction.max() <= model._y_max[0]


def test_unseen_categories_and_missing_values_at_prediction():
    X, y, _ = table()
    model = TabularMLPClassifier(**FAST, random_state=0).fit(X, y)
    rows = X.iloc[:5].copy()
    rows["city"] = ["nowhere", None, "city03", "city03", "elsewhere"]
    rows["colour"] = pd.Categorical(["purple", None, "red", "red", None])
    rows.loc[rows.index[:2], ["age", "income"]] = np.nan
    proba = model.predict_proba(rows)
    assert np.isfinite(proba).all()
    # an unseen category is the missing one: the embedding's row 0, the one-hot zeros
    # (to float32 rounding: a row alone and among others go through GEMMs of other sizes)
    np.testing.assert_allclose(proba[0], model.predict_proba(rows.assign(city=[None] * 5, colour=pd.Categorical(
        [None, None, "red", "red", None])).iloc[[0]])[0], rtol=1e-6)  # fmt: skip


def test_columns_are_checked_as_scikit_learn_checks_them():
    X, y, _ = table()
    model = TabularMLPClassifier(**FAST, random_state=0).fit(X, y)
    assert list(model.feature_names_in_) == list(X.columns)
    with pytest.raises(ValueError, match="feature names"):
        model.predict(X[X.columns[::-1]])
    with pytest.raises(ValueError, match="missing"):
        model.predict(X.iloc[:, :3])
    with pytest.raises(ValueError, match="features"):
        model.predict(X.to_numpy()[:, :3])


def test_numpy_and_sparse_input():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 6))
    X[rng.rand(300) < 0.05, 2] = np.nan
    y = X[:, 0] - np.nan_to_num(X[:, 2]) + 0.1 * rng.normal(size=300)
    dense = TabularMLPRegressor(**FAST, random_state=0).fit(X, y)
    assert dense.encoding_.n_numeric == 6 and dense.encoding_.n_binary == 1  # the indicator of column 2
    Xs = sp.csr_matrix(np.nan_to_num(X))
    sparse = TabularMLPRegressor(**FAST, random_state=0).fit(Xs, y)
    np.testing.assert_allclose(sparse.predict(Xs), TabularMLPRegressor(**FAST, random_state=0).fit(
        np.nan_to_num(X), y).predict(np.nan_to_num(X)), rtol=1e-5)  # fmt: skip
    # categorical columns by index in an object array
    Xo = X.astype(object)
    Xo[:, 5] = rng.choice(["a", "b", "c"], 300)
    model = TabularMLPRegressor(**FAST, categorical_features=[5], random_state=0).fit(Xo, y)
    assert model.encoding_.categorical_columns_.tolist() == [5]
    with pytest.raises(ValueError, match="not declared categorical"):
        TabularMLPRegressor(**FAST).fit(Xo, y)


@pytest.mark.parametrize("Model", [TabularMLPClassifier, TabularMLPRegressor])
def test_determinism_and_dtypes(Model):
    X, y, score = table(300)
    target = y if Model is TabularMLPClassifier else score
    first = Model(**FAST, random_state=3).fit(X, target)
    second = Model(**FAST, random_state=3).fit(X, target)
    np.testing.assert_array_equal(first._params, second._params)
    assert first._params.dtype == np.float32
    other = Model(**FAST, random_state=4).fit(X, target)
    assert not np.array_equal(first._params, other._params)
    double = Model(**FAST, random_state=3, dtype="float64").fit(X, target)
    assert double._params.dtype == np.float64
    if Model is TabularMLPClassifier:
        agree = np.mean(double.predict(X) == first.predict(X))
        assert agree > 0.97
    else:
        np.testing.assert_allclose(double.predict(X), first.predict(X), rtol=0.1, atol=0.1 * np.std(score))


def test_one_and_two_threads_train_the_same_model():
    X, y, _ = table(600)
    model = TabularMLPClassifier(max_iter=4, dtype="float64", random_state=0)
    two = clone(model).fit(X, y)
    with threadpool_limits(1):
        one = clone(model).fit(X, y)
    np.testing.assert_allclose(two._params, one._params, rtol=1e-9, atol=1e-12)


def test_pickling_and_clone():
    X, y, _ = table()
    model = TabularMLPClassifier(**FAST, random_state=0).fit(X, y)
    loaded = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert loaded.coefs_[0].base is not None  # views of the parameter buffer again
    unfitted = clone(model)
    assert not hasattr(unfitted, "coefs_") and unfitted.get_params() == model.get_params()


def test_grid_search_and_cross_validation_over_the_recipe():
    X, y, _ = table()
    search = GridSearchCV(TabularMLPClassifier(**FAST, random_state=0), {"numerical_embedding": ["pbld", None]}, cv=2)
    search.fit(X, y)
    assert search.best_params_["numerical_embedding"] in ("pbld", None)
    scores = cross_validate(make_pipeline(FunctionTransformer(), TabularMLPRegressor(**FAST)), X, y == "yes", cv=2)
    assert np.all(np.isfinite(scores["test_score"]))


def test_sample_weight_routing_and_ones():
    X, y, _ = table()
    ones = TabularMLPClassifier(**FAST, random_state=0).fit(X, y, sample_weight=np.ones(len(y)))
    none = TabularMLPClassifier(**FAST, random_state=0).fit(X, y)
    np.testing.assert_allclose(ones._params, none._params, rtol=1e-6, atol=1e-7)
    weights = np.where(y == "yes", 5.0, 1.0)
    with config_context(enable_metadata_routing=True):
        pipeline = make_pipeline(
            FunctionTransformer(), TabularMLPClassifier(**FAST, random_state=0).set_fit_request(sample_weight=True)
        )  # fmt: skip
        pipeline.fit(X, y, sample_weight=weights)
    direct = TabularMLPClassifier(**FAST, random_state=0).fit(X, y, sample_weight=weights)
    np.testing.assert_array_equal(pipeline[-1]._params, direct._params)
    assert np.mean(direct.predict(X) == "yes") > np.mean(none.predict(X) == "yes")


def test_a_validation_set_of_ones_own():
    X, y, _ = table(500)
    model = TabularMLPClassifier(**FAST, n_ensemble=1, random_state=0).fit(
        X.iloc[:400], y[:400], X_val=X.iloc[400:], y_val=y[400:])  # fmt: skip
    assert len(model.validation_scores_) == 12
    accuracy = np.mean(model.predict(X.iloc[400:]) == y[400:])
    assert accuracy == pytest.approx(model.validation_scores_[model.best_epoch_[0] - 1])
    with pytest.raises(ValueError, match="not in y"):
        TabularMLPClassifier(**FAST).fit(X.iloc[:400], y[:400], X_val=X.iloc[400:], y_val=np.full(100, "maybe"))


@pytest.mark.parametrize("threads", [1, 2])
def test_the_team_scores_the_validation_rows_as_the_model_predicts_them(threads, monkeypatch):
    """The validation rows are predicted inside the training kernel, in the
    batches' loop, each batch split among the team's threads
    (``_validation_pass``): the last epoch's validation loss is the loss of
    the fitted model's own probabilities on them. 257 validation rows, more
    than the 200 that train, in batches of 128: the last one's single row
    leaves the second thread nothing."""
    if threads > _threads.allowed_threads():
        pytest.skip("a team of two needs two CPUs")
    planned = []
    real_plan = _threads.plan
    monkeypatch.setattr(_threads, "plan", lambda *a, **k: planned.append(real_plan(*a, **k)) or planned[-1])
    X, y, _ = table(457)
    model = TabularMLPClassifier(max_iter=6, hidden_layer_sizes=(64, 64), batch_size=128, select_best_epoch=False,
                                 regularization_schedule="constant", n_ensemble=1, dtype="float64", random_state=0)  # fmt: skip
    with threadpool_limits(threads):
        model.fit(X.iloc[:200], y[:200], X_val=X.iloc[200:], y_val=y[200:])
    assert [n_threads for _, n_threads in planned] == [threads]
    proba = model.predict_proba(X.iloc[200:])
    onehot = (model.classes_ == y[200:, None]).astype(float)
    smoothed = (1 - model.label_smoothing) * onehot + model.label_smoothing / 2
    loss = -(smoothed * np.log(np.clip(proba, np.finfo(np.float32).eps, 1))).sum(axis=1).mean()
    assert model.validation_loss_curve_[-1] == pytest.approx(loss, rel=1e-12)
    assert model.validation_scores_[-1] == np.mean(model.predict(X.iloc[200:]) == y[200:])


def test_without_validation_the_last_epoch_stays():
    X, y, _ = table()
    model = TabularMLPClassifier(**FAST, select_best_epoch=False, random_state=0).fit(X, y)
    assert model.validation_scores_ is None and model.best_epoch_.tolist() == [12] * model.n_ensemble_


def test_bad_input():
    X, y, _ = table()
    with pytest.raises(ValueError, match="infinity"):
        TabularMLPClassifier(**FAST).fit(X.assign(age=np.inf), y)
    with pytest.raises(ValueError, match="2 classes"):
        TabularMLPClassifier(**FAST).fit(X, np.full(len(y), "yes"))
    with pytest.raises(ValueError, match="rows"):
        TabularMLPClassifier(**FAST).fit(X, y[:-1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        TabularMLPClassifier(max_iter=1, hidden_layer_sizes=(4,)).fit(X.iloc[:3], y[:3])  # tiny: no split


def test_a_regressor_on_a_handful_of_rows_trains():
    """One validation row: R^2 is undefined (NaN), the epoch is picked by the
    squared error all the same."""
    X, _, score = table(7)
    model = TabularMLPRegressor(**FAST, random_state=0).fit(X, score)
    assert np.all(model.best_epoch_ > 0)
    assert np.isnan(model.validation_scores_).all()
    assert np.isfinite(model.predict(X)).all()


def test_select_best_epoch_off_keeps_the_last_epoch_with_a_validation_set_too():
    X, y, _ = table(300)
    model = TabularMLPClassifier(**FAST, select_best_epoch=False, n_ensemble=1, random_state=0)
    model.fit(X.iloc[:200], y[:200], X_val=X.iloc[200:], y_val=y[200:])
    assert model.best_epoch_.tolist() == [12] and len(model.validation_scores_) == 12


def test_validation_arguments_are_checked():
    X, y, _ = table(300)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        TabularMLPClassifier(**FAST).fit(X.iloc[:200], y[:200], X_val=X.iloc[200:], y_val=y[200:250])
    with pytest.raises(ValueError, match="without X_val"):
        TabularMLPClassifier(**FAST).fit(X, y, y_val=y)
    with pytest.raises(ValueError, match="outputs"):
        TabularMLPRegressor(**FAST).fit(X.iloc[:200], np.ones((200, 2)), X_val=X.iloc[200:], y_val=np.ones(100))
    with pytest.raises(ValueError, match="must be < 1"):
        TabularMLPClassifier(**FAST, learning_rate=1.4).fit(X, y)


class _Interrupt:
    """A callback that presses Ctrl-C at the end of the second epoch."""

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        pass

    pressed = False

    def on_fit_task_end(self, estimator, context, **kwargs):
        if context.task_name == "epoch" and context.task_id == 1 and not self.pressed:
            self.pressed = True
            raise KeyboardInterrupt


def test_ctrl_c_ends_the_whole_ensemble():
    X, y, _ = table(300)
    with pytest.warns(UserWarning, match="interrupted"):
        model = TabularMLPClassifier(**FAST, n_ensemble=4, random_state=0).set_callbacks(_Interrupt()).fit(X, y)
    assert model.n_ensemble_ == 1 and model._params.shape[0] == 1 and model.n_iter_ == 2
    assert np.isfinite(model.predict_proba(X)).all()
