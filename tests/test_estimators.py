"""Estimator behaviour a scikit-learn user relies on, beyond the numbers."""

import io
import pickle
import warnings
from contextlib import redirect_stdout

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
import sklearn
import sklearn.neural_network as sk
from sklearn.datasets import load_iris, make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import fastmlp
from fastmlp import MLPClassifier, MLPRegressor
from fastmlp import _solvers as solvers_module

X_CLF, Y_CLF = make_classification(n_samples=200, n_features=8, n_informative=5, n_classes=3, random_state=0)
X_REG, Y_REG = make_regression(n_samples=200, n_features=8, noise=1.0, random_state=0)
Y_REG = Y_REG / Y_REG.std()


def _fitted(cls=MLPClassifier, X=X_CLF, y=Y_CLF, **params):
    params = {"max_iter": 5, "random_state": 0, "hidden_layer_sizes": (6,), **params}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return cls(**params).fit(X, y)


def _weights(est):
    return [a.copy() for a in est.coefs_ + est.intercepts_]


# -- verbose output, warnings, interruption ---------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        dict(solver="adam", max_iter=4),
        dict(solver="sgd", learning_rate="adaptive", tol=10.0, n_iter_no_change=1, max_iter=6),
        dict(solver="adam", early_stopping=True, tol=10.0, n_iter_no_change=1),
    ],
)
def test_verbose_output_is_sklearns(params):
    outputs = []
    for lib in (fastmlp, sk):
        buffer = io.StringIO()
        with redirect_stdout(buffer), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lib.MLPClassifier(verbose=True, random_state=0, **params).fit(X_CLF, Y_CLF)
        outputs.append(buffer.getvalue())
    assert outputs[0] == outputs[1]
    assert outputs[0].startswith("Iteration 1, loss = ")


def test_convergence_warning_when_max_iter_is_reached():
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(3\) reached"):
        MLPClassifier(max_iter=3, random_state=0).fit(X_CLF, Y_CLF)
    with pytest.warns(ConvergenceWarning, match="lbfgs failed to converge"):
        MLPClassifier(solver="lbfgs", max_iter=2, random_state=0).fit(X_CLF, Y_CLF)


@pytest.mark.kernels
def test_keyboard_interrupt_stops_cleanly_and_keeps_weights(monkeypatch):
    real_epoch = solvers_module.train_epoch_inplace
    calls = []

    def interrupted_on_third_epoch(*args):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real_epoch(*args)

    monkeypatch.setattr(solvers_module, "train_epoch_inplace", interrupted_on_third_epoch)
    with pytest.warns(UserWarning, match="Training interrupted by user"):
        est = MLPClassifier(max_iter=50, random_state=0).fit(X_CLF, Y_CLF)
    assert est.n_iter_ == 2
    monkeypatch.setattr(solvers_module, "train_epoch_inplace", real_epoch)
    two_epochs = _fitted(max_iter=2, hidden_layer_sizes=(100,))
    for a, b in zip(_weights(est), _weights(two_epochs)):
        np.testing.assert_array_equal(a, b)
    est.predict(X_CLF)


# -- bad input: sklearn's errors, and the fitted model is left as it was ----------------


def _bad_calls():
    X, y = X_CLF, Y_CLF
    X_nan = X.copy()
    X_nan[3, 2] = np.nan
    X_inf = X.copy()
    X_inf[0, 0] = np.inf
    return {
        "nan": lambda est: est.fit(X_nan, y),
        "inf": lambda est: est.fit(X_inf, y),
        "empty": lambda est: est.fit(X[:0], y[:0]),
        "y_length": lambda est: est.fit(X, y[:-1]),
        "x_1d": lambda est: est.fit(X[:, 0], y),
        "wider_x_partial_fit": lambda est: est.partial_fit(np.hstack([X, X]), y),
        "unseen_label_partial_fit": lambda est: est.partial_fit(X, y + 10),
        "warm_start_other_classes": lambda est: est.set_params(warm_start=True).fit(X[y < 2], y[y < 2]),
        "sample_weight_length": lambda est: est.fit(np.hstack([X, X]), y, sample_weight=np.ones(3)),
        "predict_nan": lambda est: est.predict(X_nan),
        "predict_wrong_width": lambda est: est.predict(X[:, :3]),
        "bad_parameter": lambda est: est.set_params(hidden_layer_sizes=(0,)).fit(X, y),
    }


@pytest.mark.parametrize("case", list(_bad_calls()))
def test_bad_input_gets_sklearns_error_and_leaves_the_model_unchanged(case):
    call = _bad_calls()[case]
    ours, theirs = _fitted(), _fitted(sk.MLPClassifier)
    with pytest.raises(ValueError) as expected:
        call(theirs)
    before = _weights(ours)
    n_features, classes = ours.n_features_in_, ours.classes_.copy()
    with pytest.raises(type(expected.value), match="^" + _escape(str(expected.value).split("\n")[0])):
        call(ours)
    ours.set_params(warm_start=False, hidden_layer_sizes=(6,))
    for a, b in zip(before, _weights(ours)):
        np.testing.assert_array_equal(a, b)
    assert ours.n_features_in_ == n_features
    np.testing.assert_array_equal(ours.classes_, classes)
    ours.predict(X_CLF)


def _escape(text):
    import re

    return re.escape(text)


def test_poisson_rejects_negative_targets():
    with pytest.raises(ValueError, match="negative"):
        MLPRegressor(loss="poisson").fit(X_REG, Y_REG)


def test_diverging_fit_raises_sklearns_error():
    X = X_REG * 1e10
    for cls in (MLPRegressor, sk.MLPRegressor):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(ValueError, match="Solver produced non-finite parameter weights"):
                cls(solver="sgd", learning_rate_init=1.0, max_iter=20, random_state=0).fit(X, Y_REG)


def test_validation_set_too_small():
    for cls in (MLPClassifier, sk.MLPClassifier):
        with pytest.raises(ValueError, match="The validation set is too small"):
            cls(early_stopping=True).fit(X_CLF[:10], Y_CLF[:10])


def test_partial_fit_rules():
    assert not hasattr(MLPClassifier(solver="lbfgs"), "partial_fit")
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping"):
        MLPClassifier(early_stopping=True).partial_fit(X_CLF, Y_CLF, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        MLPClassifier().partial_fit(X_CLF, Y_CLF)
    est = MLPClassifier(random_state=0).partial_fit(X_CLF[:50], Y_CLF[:50], classes=[0, 1, 2, 3])
    assert list(est.classes_) == [0, 1, 2, 3]
    assert est.n_iter_ == 1 and est.t_ == 50
    est.partial_fit(X_CLF[50:], Y_CLF[50:])
    assert est.t_ == 200


def test_not_fitted():
    for est in (MLPClassifier(), MLPRegressor()):
        with pytest.raises(NotFittedError):
            est.predict(X_CLF)
    with pytest.raises(NotFittedError):
        MLPClassifier().predict_proba(X_CLF)


# -- persistence ----------------------------------------------------------------------


@pytest.mark.parametrize("dump", ["pickle", "joblib"])
@pytest.mark.parametrize("cls, X, y", [(MLPClassifier, X_CLF, Y_CLF), (MLPRegressor, X_REG, Y_REG)])
def test_round_trip_then_partial_fit_and_predict(dump, cls, X, y, tmp_path):
    est = _fitted(cls, X, y, solver="adam")
    if dump == "pickle":
        restored = pickle.loads(pickle.dumps(est))
    else:
        joblib.dump(est, tmp_path / "model.joblib")
        restored = joblib.load(tmp_path / "model.joblib")
    np.testing.assert_array_equal(restored.predict(X), est.predict(X))
    # The optimizer state (Adam moments) travelled too: both continue identically.
    est.partial_fit(X, y)
    restored.partial_fit(X, y)
    for a, b in zip(_weights(est), _weights(restored)):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(restored.predict(X), est.predict(X))
    # coefs_ are views of the model's buffer again after loading
    assert np.shares_memory(restored.coefs_[0], restored._params)


def test_pickling_leaves_the_original_untouched():
    est = _fitted(solver="adam")
    held = est.coefs_[0]  # a reference a user keeps
    pickle.dumps(est)
    est.partial_fit(X_CLF, Y_CLF)
    assert held is est.coefs_[0]
    assert np.shares_memory(held, est._params)


def test_assigned_coefs_are_used_for_prediction():
    """As in scikit-learn, coefs_ can be replaced by the user, and predict
    neither copies nor rebinds what was assigned."""
    ours, theirs = _fitted(), _fitted(sk.MLPClassifier)
    ours_W = [np.full_like(c, 0.01) for c in ours.coefs_]
    theirs_W = [c.copy() for c in ours_W]
    ours.coefs_, theirs.coefs_ = ours_W, theirs_W
    np.testing.assert_allclose(ours.predict_proba(X_CLF), theirs.predict_proba(X_CLF), rtol=1e-12)
    assert ours.coefs_[0] is ours_W[0]
    ours_W[0][0, 0] = 5.0  # an in-place edit of the array the user holds
    theirs_W[0][0, 0] = 5.0
    np.testing.assert_allclose(ours.predict_proba(X_CLF), theirs.predict_proba(X_CLF), rtol=1e-12)


def test_assume_finite_predicts_like_sklearn():
    """Under assume_finite scikit-learn does not check X: neither does fastmlp,
    and NaN rows come out NaN instead of as uninitialised memory."""
    ours, theirs = _fitted(MLPRegressor, X_REG, Y_REG), _fitted(sk.MLPRegressor, X_REG, Y_REG)
    X = X_REG[:5].copy()
    X[2, 0] = np.nan
    with sklearn.config_context(assume_finite=True):
        got, want = ours.predict(X), theirs.predict(X)
    assert np.isnan(want[2]) and np.isnan(got[2])
    np.testing.assert_allclose(np.delete(got, 2), np.delete(want, 2), rtol=1e-12)


# -- dtypes and input kinds -------------------------------------------------------------


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_float32_stays_float32(solver):
    X32 = X_CLF.astype(np.float32)
    clf = _fitted(X=X32, solver=solver)
    assert all(a.dtype == np.float32 for a in clf.coefs_ + clf.intercepts_)
    assert clf.predict_proba(X32).dtype == np.float32
    # float64 input on a float32 model is computed in float64, as scikit-learn does
    assert clf.predict_proba(X_CLF).dtype == np.float64
    reg = _fitted(MLPRegressor, X_REG.astype(np.float32), Y_REG, solver=solver)
    assert reg.predict(X_REG.astype(np.float32)).dtype == np.float32
    assert reg.coefs_[0].dtype == np.float32


@pytest.mark.kernels
def test_prediction_fast_path_equals_validated_path():
    est = _fitted()
    fast = est.predict_proba(X_CLF)
    np.testing.assert_array_equal(est.predict_proba(X_CLF.tolist()), fast)
    np.testing.assert_array_equal(est.predict_proba(np.asfortranarray(X_CLF)), fast)
    np.testing.assert_array_equal(est.predict_proba(sp.csr_matrix(X_CLF)), fast)
    np.testing.assert_allclose(est.predict_proba(X_CLF[:1]), fast[:1])
    big = np.repeat(X_CLF, 30, axis=0)  # several prediction chunks
    np.testing.assert_allclose(est.predict_proba(big), np.repeat(fast, 30, axis=0), rtol=1e-12)


def test_string_labels_multilabel_and_multioutput():
    y = np.array(["cat", "dog", "emu"])[Y_CLF]
    clf = _fitted(y=y)
    assert set(clf.predict(X_CLF)) <= {"cat", "dog", "emu"}
    Y = np.stack([Y_CLF == 0, Y_CLF == 1], axis=1).astype(int)
    multi = _fitted(y=Y)
    assert multi.predict(X_CLF).shape == (200, 2) and multi.out_activation_ == "logistic"
    reg = _fitted(MLPRegressor, X_REG, np.stack([Y_REG, -Y_REG], axis=1))
    assert reg.predict(X_REG).shape == (200, 2)


def test_feature_names():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X_CLF, columns=[f"f{i}" for i in range(8)])
    est = _fitted(X=frame)
    np.testing.assert_array_equal(est.feature_names_in_, frame.columns)
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        est.predict(X_CLF)
    np.testing.assert_array_equal(est.predict(frame), est.predict(frame.to_numpy()))


# -- ecosystem: pipelines, search, metadata routing ------------------------------------


def test_pipeline_and_grid_search_in_joblib_workers():
    """The same search, run by joblib workers, picks what scikit-learn's picks."""
    X, y = load_iris(return_X_y=True)
    searches = []
    for cls in (MLPClassifier, sk.MLPClassifier):
        pipe = make_pipeline(StandardScaler(), cls(max_iter=100, random_state=0))
        grid = {"mlpclassifier__hidden_layer_sizes": [(3,), (10,)], "mlpclassifier__alpha": [1e-4, 1.0]}
        search = GridSearchCV(pipe, grid, cv=3, n_jobs=2)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            searches.append(search.fit(X, y))
    ours, theirs = searches
    assert ours.best_params_ == theirs.best_params_
    np.testing.assert_allclose(ours.cv_results_["mean_test_score"], theirs.cv_results_["mean_test_score"])


def test_sample_weight_metadata_routing():
    sw = np.random.RandomState(0).uniform(0.5, 2, X_CLF.shape[0])
    with sklearn.config_context(enable_metadata_routing=True):
        est = MLPClassifier(max_iter=5, random_state=0).set_fit_request(sample_weight=True)
        pipe = make_pipeline(StandardScaler().set_fit_request(sample_weight=False), est)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            pipe.fit(X_CLF, Y_CLF, sample_weight=sw)
            direct = MLPClassifier(max_iter=5, random_state=0).fit(StandardScaler().fit_transform(X_CLF), Y_CLF, sample_weight=sw)
    for a, b in zip(_weights(pipe[-1]), _weights(direct)):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_warm_start_with_other_shape_is_refused_cleanly():
    est = _fitted(MLPRegressor, X_REG, Y_REG, warm_start=True)
    before = _weights(est)
    with pytest.raises(ValueError, match="do not match"):
        est.set_params(hidden_layer_sizes=(9,)).fit(X_REG, Y_REG)
    for a, b in zip(before, _weights(est)):
        np.testing.assert_array_equal(a, b)


def test_a_model_pickled_by_fastmlp_0_1_loads_with_todays_parameters_at_their_defaults():
    """fastmlp 0.1 had none of the parameters after max_fun and cached its
    prediction codes as (key, codes): loaded today, the model predicts, prints,
    clones and trains on as the same model with those defaults."""
    import pickle

    from sklearn.base import clone
    from sklearn.datasets import make_classification

    from fastmlp import MLPClassifier

    X, y = make_classification(n_samples=60, n_features=5, random_state=0)
    est = MLPClassifier(hidden_layer_sizes=(6,), max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X, y)
    today = pickle.loads(pickle.dumps(est))
    state = est.__getstate__()
    for name in ("class_weight", "weight_init", "learning_rate_schedule", "warmup_iter", "max_grad_norm",
                 "dropout", "_dropout_seed", "validation_loss_curve_"):  # fmt: skip
        state.pop(name, None)
    state["_dense_prediction_codes"] = (("relu", "logistic", False), state["_dense_prediction_codes"][1][0])
    old = MLPClassifier.__new__(MLPClassifier)
    old.__setstate__(state)
    np.testing.assert_array_equal(old.predict_proba(X), today.predict_proba(X))
    assert repr(old) == repr(today) and clone(old).get_params() == today.get_params()
    old.partial_fit(X, y)
    today.partial_fit(X, y)
    for a, b in zip(old.coefs_, today.coefs_):
        np.testing.assert_array_equal(a, b)


def test_a_pickle_with_codes_of_the_earlier_layout_predicts_as_today():
    """Before the PARAMETRIC slot, the hidden activations' codes started one
    slot earlier: a model pickled then, with one activation per layer, must
    not read them one layer off."""
    from sklearn.datasets import make_classification

    from fastmlp import MLPClassifier

    X, y = make_classification(n_samples=60, n_features=5, random_state=0)
    est = MLPClassifier(hidden_layer_sizes=(6, 5), activation=["gelu", "tanh"], max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X, y)
    state = est.__getstate__()
    key, (codes, extras) = state["_dense_prediction_codes"]
    state["_dense_prediction_codes"] = (key, (np.delete(codes, 6), extras))  # the earlier layout
    loaded = MLPClassifier.__new__(MLPClassifier)
    loaded.__setstate__(state)
    np.testing.assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))
