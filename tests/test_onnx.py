"""ONNX export (the ``onnx`` extra): onnxruntime predicts what fastmlp predicts."""

import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits, make_multilabel_classification, make_regression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import fastmlp
from fastmlp import MLPClassifier, MLPRegressor
from fastmlp._activations import HIDDEN_ACTIVATIONS

skl2onnx = pytest.importorskip("skl2onnx", reason="the onnx extra is not installed: pip install 'fastmlp[onnx]'")
ort = pytest.importorskip("onnxruntime", reason="the onnx extra is not installed: pip install 'fastmlp[onnx]'")

X_DIGITS, Y_DIGITS = load_digits(return_X_y=True)
X_DIGITS, Y_DIGITS = X_DIGITS[:400], Y_DIGITS[:400]
NO_ZIPMAP = {MLPClassifier: {"zipmap": False}}


def _fit(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return estimator.fit(X, y)


def _run(onnx_model, X):
    session = ort.InferenceSession(onnx_model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: X})


def _tolerance(dtype):
    return dict(rtol=0, atol=1e-6 if dtype == np.float64 else 1e-5)


def _check_classifier(model, X, options=NO_ZIPMAP):
    labels, probabilities = _run(fastmlp.to_onnx(model, X, options=options), X)
    np.testing.assert_array_equal(labels, model.predict(X))
    if isinstance(probabilities, list):  # ZipMap: one {class: probability} per row
        probabilities = np.array([[row[c] for c in model.classes_] for row in probabilities])
    np.testing.assert_allclose(probabilities, model.predict_proba(X), **_tolerance(X.dtype))
    return probabilities


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("activation", list(HIDDEN_ACTIVATIONS) + [["gelu", "selu"], ["mish", "leaky_relu"]])
def test_every_activation_exports_in_each_dtype_inside_a_scaler_pipeline(activation, dtype):
    X = X_DIGITS.astype(dtype)
    model = _fit(make_pipeline(StandardScaler(), MLPClassifier((16, 8), activation=activation, max_iter=30,
                                                               dropout=0.2, random_state=0)), X, Y_DIGITS)  # fmt: skip
    onnx_model = fastmlp.to_onnx(model, X, options=NO_ZIPMAP)
    assert not {node.op_type for node in onnx_model.graph.node} & {"Dropout", "RandomUniform", "Bernoulli"}
    labels, probabilities = _run(onnx_model, X)
    np.testing.assert_array_equal(labels, model.predict(X))
    np.testing.assert_allclose(probabilities, model.predict_proba(X), **_tolerance(dtype))


@pytest.mark.parametrize("zipmap", [True, False])
def test_string_labels_with_and_without_zipmap(zipmap):
    y = np.array(["cat", "dog", "eel"])[Y_DIGITS % 3]
    model = _fit(MLPClassifier((12,), max_iter=30, random_state=0), X_DIGITS, y)
    X = X_DIGITS.astype(np.float32)  # ZipMap takes float32 only
    _check_classifier(model, X, options=None if zipmap else NO_ZIPMAP)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_binary_and_multilabel(dtype):
    X = X_DIGITS.astype(dtype)
    binary = _fit(MLPClassifier((12,), max_iter=30, random_state=0), X, Y_DIGITS % 2)
    assert _check_classifier(binary, X).shape == (400, 2)
    X_multi, Y_multi = make_multilabel_classification(n_samples=300, n_features=10, n_classes=4, random_state=0)
    multilabel = _fit(MLPClassifier((12,), max_iter=100, random_state=0), X_multi.astype(dtype), Y_multi)
    assert _check_classifier(multilabel, X_multi.astype(dtype)).shape == (300, 4)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n_targets, loss", [(1, "squared_error"), (3, "squared_error"), (1, "poisson")])
def test_regression_multi_output_and_poisson(n_targets, loss, dtype):
    """scikit-learn 1.9's MLP fails both with skl2onnx 1.20: multi-output
    comes out (n * k, 1) and poisson raises KeyError: 'exp'."""
    X, Y = make_regression(n_samples=300, n_features=8, n_targets=n_targets, random_state=0)
    if loss == "poisson":
        Y = np.abs(Y) / np.abs(Y).mean()
    X = X.astype(dtype)
    model = _fit(MLPRegressor(loss=loss, hidden_layer_sizes=(12,), activation="silu", max_iter=50, random_state=0),
                 X, Y)  # fmt: skip
    (predictions,) = _run(fastmlp.to_onnx(model, X), X)
    assert predictions.shape == (300, n_targets)
    expected = model.predict(X).reshape(300, n_targets)
    np.testing.assert_allclose(predictions, expected, rtol=1e-6 if dtype == np.float64 else 1e-5, atol=1e-6)


def test_skl2onnx_converts_a_pipeline_once_fastmlp_registered():
    from fastmlp.onnx import register

    model = _fit(make_pipeline(StandardScaler(), MLPClassifier((12,), max_iter=30, random_state=0)), X_DIGITS, Y_DIGITS)
    register()
    X = X_DIGITS.astype(np.float32)
    labels, _ = _run(skl2onnx.to_onnx(model, X[:1], options=NO_ZIPMAP), X)
    np.testing.assert_array_equal(labels, model.predict(X))


def test_a_float64_classifier_with_zipmap_is_refused_clearly():
    model = _fit(MLPClassifier((8,), max_iter=5, random_state=0), X_DIGITS, Y_DIGITS)
    with pytest.raises(ValueError, match="zipmap"):
        fastmlp.to_onnx(model, X_DIGITS)


def test_importing_fastmlp_does_not_import_the_onnx_extra():
    code = "import sys, fastmlp; print(any(m.split('.')[0] in ('skl2onnx', 'onnx', 'onnxruntime') for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"


def test_without_the_extra_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "skl2onnx", None)  # as if not installed
    model = _fit(MLPClassifier((8,), max_iter=5, random_state=0), X_DIGITS, Y_DIGITS)
    with pytest.raises(ImportError, match=r"pip install 'fastmlp\[onnx\]'"):
        fastmlp.to_onnx(model, X_DIGITS.astype(np.float32))


def test_a_dataframe_through_a_column_transformer_keeps_its_columns():
    import pandas as pd
    from sklearn.compose import ColumnTransformer
    from sklearn.preprocessing import OneHotEncoder

    rng = np.random.RandomState(0)
    df = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200), "c": rng.choice(["x", "y"], 200)})
    target = ((df.a + (df.c == "x")) > 0).astype(int)
    columns = ColumnTransformer([("num", StandardScaler(), ["a", "b"]), ("cat", OneHotEncoder(), ["c"])])
    model = _fit(make_pipeline(columns, MLPClassifier((8,), max_iter=50, random_state=0)), df, target)
    feeds = {"a": df[["a"]].to_numpy(), "b": df[["b"]].to_numpy(), "c": df[["c"]].to_numpy()}
    session = ort.InferenceSession(fastmlp.to_onnx(model, df, options=NO_ZIPMAP).SerializeToString(),
                                   providers=["CPUExecutionProvider"])  # fmt: skip
    labels, probabilities = session.run(None, feeds)
    np.testing.assert_array_equal(labels, model.predict(df))
    np.testing.assert_allclose(probabilities, model.predict_proba(df), rtol=0, atol=1e-6)


def test_what_cannot_be_exported_is_refused_clearly():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        fastmlp.to_onnx(MLPRegressor(), X_DIGITS[:1])
    model = _fit(MLPClassifier((8, 4), max_iter=5, random_state=0), X_DIGITS, Y_DIGITS)
    with pytest.raises(ValueError, match="must be 2-D"):
        fastmlp.to_onnx(model, X_DIGITS[0].astype(np.float32))
    model.set_params(activation=["relu"])  # set after fitting: one name for two hidden layers
    with pytest.raises(ValueError, match="1 name for 2 hidden layers"):
        fastmlp.to_onnx(model, X_DIGITS[:1].astype(np.float32))


def test_nocl_gives_class_indices():
    y = np.array(["cat", "dog", "eel"])[Y_DIGITS % 3]
    model = _fit(MLPClassifier((12,), max_iter=30, random_state=0), X_DIGITS, y)
    X = X_DIGITS.astype(np.float32)
    labels, _ = _run(fastmlp.to_onnx(model, X, options={MLPClassifier: {"zipmap": False, "nocl": True}}), X)
    np.testing.assert_array_equal(model.classes_[labels], model.predict(X))
