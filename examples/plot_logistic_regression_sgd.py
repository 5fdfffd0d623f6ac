"""
Logistic regression by per-sample SGD: an MLP with no hidden layer
==================================================================

With ``hidden_layer_sizes=()`` the network is a single logistic unit, and with
``batch_size=1`` SGD updates the weights after every sample. Trained on two
iris classes (setosa and versicolor) with two features, the decision line
``w . x + b = 0`` separates them. The plot is written to
``logistic_regression_sgd.png`` when matplotlib is installed.
"""

# %%
import numpy as np
from sklearn.datasets import load_iris

from fastmlp import MLPClassifier

iris = load_iris()
mask = iris.target < 2
X = iris.data[mask][:, :2]  # sepal length, sepal width
y = iris.target[mask]
X = (X - X.mean(axis=0)) / X.std(axis=0)

clf = MLPClassifier(
    hidden_layer_sizes=(),
    solver="sgd",
    batch_size=1,
    learning_rate_init=0.05,
    momentum=0.0,
    max_iter=200,
    tol=1e-3,  # stop once an epoch improves the log-loss by less than 0.001
    random_state=0,
).fit(X, y)

(w,), (b,) = clf.coefs_[0].T, clf.intercepts_[0]
print(f"layers: {clf.n_layers_} (input and output), output: {clf.out_activation_}")
print(f"weights {w.round(3)}, bias {b:.3f}, epochs {clf.n_iter_}")
print(f"training accuracy: {clf.score(X, y):.3f}")

# %%
try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("matplotlib is not installed: skipping the plot")
else:
    fig, ax = plt.subplots(figsize=(5, 4))
    for label, marker in ((0, "o"), (1, "s")):
        ax.scatter(*X[y == label].T, marker=marker, label=iris.target_names[label])
    xs = np.linspace(X[:, 0].min(), X[:, 0].max(), 2)
    ax.plot(xs, -(w[0] * xs + b) / w[1], "k--", label="w . x + b = 0")
    ax.set_xlabel("sepal length (standardised)")
    ax.set_ylabel("sepal width (standardised)")
    ax.set_ylim(X[:, 1].min() - 0.5, X[:, 1].max() + 0.5)
    ax.legend()
    fig.tight_layout()
    fig.savefig("logistic_regression_sgd.png", dpi=100)
    print("decision line written to logistic_regression_sgd.png")
