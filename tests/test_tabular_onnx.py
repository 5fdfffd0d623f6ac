"""ONNX export of the tabular models (the ``onnx`` extra): onnxruntime, fed
the table's columns, predicts what the model predicts, its encoding included."""

import numpy as np
import pytest

import fastmlp
from fastmlp import TabularMLPClassifier, TabularMLPRegressor
from fastmlp.onnx import table_inputs

pd = pytest.importorskip("pandas")
pytest.importorskip("skl2onnx", reason="the onnx extra is not installed: pip install 'fastmlp[onnx]'")
ort = pytest.importorskip("onnxruntime", reason="the onnx extra is not installed: pip install 'fastmlp[onnx]'")


def table(n=300, seed=0):
    rng = np.random.RandomState(seed)
    X = pd.DataFrame({
        "age": rng.normal(40, 12, n),
        "income": np.where(rng.rand(n) < 0.15, np.nan, rng.lognormal(10, 1, n)),
        "colour": pd.Categorical(rng.choice(["red", "green", "blue", None], n)),
        "city": rng.choice([f"city{i:02d}" for i in range(25)], n).astype(object),
        "size": pd.Categorical(rng.choice([1, 2, 3], n)),
        "member": rng.rand(n) < 0.3,
        "flag": pd.Categorical(rng.choice(["on"], n)),
    })  # fmt: skip
    y = (X["age"] - 40) / 12 + (X["colour"] == "red") + (X["size"] == 2) * 0.5 + rng.normal(scale=0.3, size=n)
    return X, y.to_numpy()


def predicted(onnx_model, inputs):
    session = ort.InferenceSession(onnx_model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, inputs)


def unusual_rows(X):
    """Rows the training never saw: unseen and missing categories, missing numbers."""
    rows = X.iloc[:6].copy()
    rows["city"] = ["nowhere", None, "city03", "city03", "city99", None]
    rows["colour"] = pd.Categorical(["purple", None, "red", "red", None, "blue"])
    rows["size"] = pd.Categorical([7, None, 2, 1, None, 3])
    rows.loc[rows.index[:3], ["age", "income"]] = np.nan
    return rows


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("activation", ["selu", "mish", "gelu", "relu"])
def test_classifier_exports_with_its_encoding(dtype, activation):
    X, score = table()
    y = np.where(score > 0.5, "yes", "no")
    model = TabularMLPClassifier(max_iter=8, activation=activation, dtype=dtype, random_state=0).fit(X, y)
    onnx_model = fastmlp.to_onnx(model, X)
    assert "LabelEncoder" in {node.op_type for node in onnx_model.graph.node}
    for rows in (X, unusual_rows(X)):
        labels, probabilities = predicted(onnx_model, table_inputs(model, rows))
        np.testing.assert_array_equal(labels, model.predict(rows))
        # float64 graphs compute GELU's erf in float32 (onnxruntime has no double Erf)
        atol = 2e-6 if dtype == "float32" else (1e-7 if activation == "gelu" else 1e-12)
        np.testing.assert_allclose(probabilities, model.predict_proba(rows), rtol=0, atol=atol)


@pytest.mark.parametrize("changes", [{}, dict(numerical_embedding=None, scale_layer=False, parametric_activation=False),
                                     dict(robust_scale=False, smooth_clip=False, max_one_hot_levels=30)])  # fmt: skip
def test_regressor_exports_with_its_encoding(changes):
    X, score = table(seed=1)
    y = 10 * score + 50
    model = TabularMLPRegressor(max_iter=8, dtype="float64", random_state=0, **changes).fit(X, y)
    onnx_model = fastmlp.to_onnx(model, X)
    for rows in (X, unusual_rows(X)):
        (prediction,) = predicted(onnx_model, table_inputs(model, rows))
        assert prediction.shape == (rows.shape[0], 1)
        np.testing.assert_allclose(prediction[:, 0], model.predict(rows), rtol=1e-12)


def test_an_array_without_categories_is_one_input():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 4))
    X[rng.rand(200) < 0.1, 1] = np.nan
    y = X[:, 0] > 0
    model = TabularMLPClassifier(max_iter=5, random_state=0).fit(X, y)
    onnx_model = fastmlp.to_onnx(model, X)
    assert [i.name for i in onnx_model.graph.input] == ["X"]
    labels, probabilities = predicted(onnx_model, {"X": X.astype(np.float32)})
    np.testing.assert_array_equal(labels, model.predict(X))
    np.testing.assert_allclose(probabilities, model.predict_proba(X), atol=2e-6)
    Xo = X.astype(object)
    Xo[:, 3] = rng.choice(["a", "b"], 200)
    with_categories = TabularMLPClassifier(max_iter=2, categorical_features=[3]).fit(Xo, y)
    with pytest.raises(ValueError, match="DataFrame"):
        fastmlp.to_onnx(with_categories, Xo)


def test_what_a_tabular_graph_cannot_take_is_said():
    X, score = table()
    model = TabularMLPClassifier(max_iter=2, random_state=0).fit(X, score > 0.5)
    with pytest.raises(ValueError, match="columns must be those"):
        fastmlp.to_onnx(model, X[X.columns[::-1]])
    with pytest.raises(ValueError, match="no conversion options"):
        fastmlp.to_onnx(model, X, options={TabularMLPClassifier: {"zipmap": False}})
    with pytest.raises(ValueError, match="opset 13"):
        fastmlp.to_onnx(model, X, target_opset=12)
