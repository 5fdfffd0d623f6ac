"""ONNX parity: onnxruntime against fastmlp for every case tests/test_onnx.py checks,
printed as a Markdown table (labels equal, largest difference in
probabilities or predictions). Needs the onnx extra.

    python benchmarks/onnx_parity.py
"""

import warnings

warnings.simplefilter("ignore")
import numpy as np, onnxruntime as ort
from sklearn.datasets import load_digits, make_regression, make_multilabel_classification
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
import fastmlp
from fastmlp import MLPClassifier, MLPRegressor
from fastmlp._activations import HIDDEN_ACTIVATIONS
NZ = {MLPClassifier: {"zipmap": False}}
X, y = load_digits(return_X_y=True); X, y = X[:400], y[:400]
def run(m, X, opts=NZ):
    o = fastmlp.to_onnx(m, X, options=opts); s = ort.InferenceSession(o.SerializeToString(), providers=["CPUExecutionProvider"])
    return s.run(None, {s.get_inputs()[0].name: X})
def clf_err(m, X, opts=NZ):
    lab, p = run(m, X, opts)
    if isinstance(p, list): p = np.array([[r[c] for c in m.classes_] for r in p])
    return (lab == m.predict(X)).mean(), np.abs(p - m.predict_proba(X)).max()
rows = []
for dt in (np.float32, np.float64):
    Xd = X.astype(dt)
    worst = (1.0, 0.0, "")
    for act in list(HIDDEN_ACTIVATIONS) + [["gelu","selu"], ["mish","leaky_relu"]]:
        m = make_pipeline(StandardScaler(), MLPClassifier((16, 8), activation=act, max_iter=30, dropout=0.2, random_state=0)).fit(Xd, y)
        eq, err = clf_err(m, Xd)
        rows.append((f"digits pipeline, {act}, {dt.__name__}", eq, err))
    b = MLPClassifier((12,), max_iter=30, random_state=0).fit(Xd, y % 2); rows.append((f"binary, {dt.__name__}", *clf_err(b, Xd)))
    Xm, Ym = make_multilabel_classification(n_samples=300, n_features=10, n_classes=4, random_state=0)
    ml = MLPClassifier((12,), max_iter=100, random_state=0).fit(Xm.astype(dt), Ym); rows.append((f"multilabel, {dt.__name__}", *clf_err(ml, Xm.astype(dt))))
    for k, loss in ((1, "squared_error"), (3, "squared_error"), (1, "poisson")):
        Xr, Yr = make_regression(n_samples=300, n_features=8, n_targets=k, random_state=0)
        if loss == "poisson": Yr = np.abs(Yr) / np.abs(Yr).mean()
        r = MLPRegressor(loss=loss, hidden_layer_sizes=(12,), activation="silu", max_iter=50, random_state=0).fit(Xr.astype(dt), Yr)
        (p,) = run(r, Xr.astype(dt)); rows.append((f"regression {loss}, {k} output(s), {dt.__name__}", float("nan"), np.abs(p - r.predict(Xr.astype(dt)).reshape(300, k)).max()))
ys = np.array(["cat", "dog", "eel"])[y % 3]
s = MLPClassifier((12,), max_iter=30, random_state=0).fit(X, ys)
rows.append(("string labels, zipmap on, float32", *clf_err(s, X.astype(np.float32), None)))
rows.append(("string labels, zipmap off, float32", *clf_err(s, X.astype(np.float32))))
rows.append(("string labels, zipmap off, float64", *clf_err(s, X)))
for name, eq, err in rows:
    print(f"| {name} | {'' if eq != eq else f'{eq:.0%}'} | {err:.1e} |")
