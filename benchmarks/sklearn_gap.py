"""How far fastmlp's weights are from scikit-learn's, for the same data and random_state.

    python benchmarks/sklearn_gap.py

Fits both libraries on the same data (15 epochs of adam and sgd, 15 lbfgs
iterations; hidden (12, 7), batch 32) for every solver x hidden activation x
dtype, both estimators, and prints the largest relative gap
``max |ours - theirs| / max |theirs|`` over all weights and biases, sorted.
"""

import itertools
import warnings

import numpy as np
import sklearn.neural_network as sk
from sklearn.datasets import make_classification, make_regression

import fastmlp


def relative_gap(ours, theirs):
    pairs = zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_)
    return max(np.max(np.abs(a - b)) / np.max(np.abs(b)) for a, b in pairs)


def main():
    warnings.simplefilter("ignore")
    X_clf, y_clf = make_classification(n_samples=300, n_features=12, n_informative=6, n_classes=3, random_state=0)
    X_reg, y_reg = make_regression(n_samples=300, n_features=12, n_targets=2, noise=0.5, random_state=0)
    y_reg = y_reg / y_reg.std()
    rows = []
    for name, (X, y) in (("MLPClassifier", (X_clf, y_clf)), ("MLPRegressor", (X_reg, y_reg))):
        for solver, activation, dtype in itertools.product(
            ["adam", "sgd", "lbfgs"], ["identity", "logistic", "tanh", "relu"], [np.float64, np.float32]
        ):
            params = dict(
                hidden_layer_sizes=(12, 7), activation=activation, solver=solver, max_iter=15, random_state=0,
                batch_size=32, learning_rate_init=0.01 if solver == "sgd" else 0.001,
            )  # fmt: skip
            ours = getattr(fastmlp, name)(**params).fit(X.astype(dtype), y)
            theirs = getattr(sk, name)(**params).fit(X.astype(dtype), y)
            rows.append((relative_gap(ours, theirs), name, solver, activation, dtype.__name__))
    for dtype in ("float64", "float32"):
        print(f"{dtype}: largest relative gaps in coefs_/intercepts_")
        for row in sorted((r for r in rows if r[4] == dtype), reverse=True)[:5]:
            print("  %.2e  %s %s %s" % row[:4])


if __name__ == "__main__":
    main()
