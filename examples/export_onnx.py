"""
Export to ONNX and predict with onnxruntime
===========================================

``fastmlp.to_onnx`` turns a fitted estimator, or a Pipeline holding one,
into an ONNX model (with the ``onnx`` extra: ``pip install
'fastmlp[onnx]'``), here a scaler and a GELU network on digits. onnxruntime
then predicts without fastmlp, Numba or scikit-learn. The table compares
its predictions with fastmlp's for a few models.
"""

# %%
import sys
import warnings

import numpy as np
from sklearn.datasets import load_digits, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import fastmlp
from fastmlp import MLPClassifier, MLPRegressor

try:
    import onnxruntime
except ImportError:
    print("onnxruntime is not installed: pip install 'fastmlp[onnx]' to run this example")
    sys.exit(0)

warnings.filterwarnings("ignore", category=ConvergenceWarning)
X, y = load_digits(return_X_y=True)
X = X.astype(np.float32)  # the graph computes in the sample's dtype
model = make_pipeline(StandardScaler(), MLPClassifier((64, 32), activation="gelu", random_state=0)).fit(X, y)
onnx_model = fastmlp.to_onnx(model, X[:1], options={MLPClassifier: {"zipmap": False}})
with open("digits_mlp.onnx", "wb") as f:
    f.write(onnx_model.SerializeToString())
print(f"digits_mlp.onnx: {len(onnx_model.graph.node)} nodes, operators {sorted({n.op_type for n in onnx_model.graph.node})}")

session = onnxruntime.InferenceSession("digits_mlp.onnx", providers=["CPUExecutionProvider"])
labels, probabilities = session.run(None, {session.get_inputs()[0].name: X})
print(f"labels equal to fastmlp's: {np.mean(labels == model.predict(X)):.0%}")

# %%
# The largest difference between onnxruntime's and fastmlp's outputs.
X_reg, Y_reg = make_regression(n_samples=500, n_features=10, n_targets=3, random_state=0)
cases = {
    "classifier, gelu": (model, X),
    "classifier, [mish, selu], float64": (
        MLPClassifier((32, 16), activation=["mish", "selu"], random_state=0).fit(X.astype(np.float64), y),
        X.astype(np.float64),
    ),
    "regressor, 3 outputs": (MLPRegressor(hidden_layer_sizes=(32,), random_state=0).fit(X_reg, Y_reg), X_reg),
    "regressor, poisson": (
        MLPRegressor(loss="poisson", hidden_layer_sizes=(32,), random_state=0).fit(X_reg, np.abs(Y_reg[:, 0]) / 50),
        X_reg,
    ),
}
print(f"{'model':36s} {'max |onnx - fastmlp|':>22s}")
for name, (estimator, data) in cases.items():
    graph = fastmlp.to_onnx(estimator, data, options={MLPClassifier: {"zipmap": False}})
    run = onnxruntime.InferenceSession(graph.SerializeToString(), providers=["CPUExecutionProvider"])
    outputs = run.run(None, {run.get_inputs()[0].name: data})
    if hasattr(estimator, "predict_proba"):
        got, want = outputs[1], estimator.predict_proba(data)
    else:
        got, want = outputs[0], estimator.predict(data).reshape(len(data), -1)
    print(f"{name:36s} {np.abs(got - want).max():22.2e}")
