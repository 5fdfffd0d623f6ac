"""
Imbalanced classes: ``class_weight="balanced"``
================================================

On a problem where one class is 5% of the samples, an unweighted MLP mostly
predicts the common class: its accuracy looks fine, its recall of the rare
class does not. ``class_weight="balanced"`` (fastmlp's own option; scikit-learn's
MLPClassifier has none) weighs each class by ``n_samples / (n_classes *
count)``, which is the same model as passing
``sample_weight=compute_sample_weight("balanced", y)``. Both models are
scored on held-out data, and their confusion matrices are plotted to
``imbalanced_class_weight.png`` when matplotlib is installed.
"""

# %%
import warnings

import numpy as np
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import balanced_accuracy_score, confusion_matrix, recall_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.class_weight import compute_sample_weight

from fastmlp import MLPClassifier

warnings.filterwarnings("ignore", category=ConvergenceWarning)  # 200 epochs are enough here

X, y = make_classification(
    n_samples=2000, n_features=10, n_informative=4, weights=[0.95, 0.05], flip_y=0, class_sep=0.6, random_state=3
)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
print(f"rare class: {np.mean(y_train == 1):.1%} of the training samples")

models = {}
for class_weight in (None, "balanced"):
    model = make_pipeline(
        StandardScaler(),
        MLPClassifier(hidden_layer_sizes=(16,), max_iter=200, random_state=0, class_weight=class_weight),
    )
    models[class_weight] = model.fit(X_train, y_train)
    y_pred = model.predict(X_test)
    print(
        f"class_weight={class_weight!s:8}  accuracy {np.mean(y_pred == y_test):.3f}  "
        f"balanced accuracy {balanced_accuracy_score(y_test, y_pred):.3f}  "
        f"rare-class recall {recall_score(y_test, y_pred):.3f}"
    )

# The same model as the sample weights scikit-learn's own MLP would take:
weighted = make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(16,), max_iter=200, random_state=0))
weighted.fit(X_train, y_train, mlpclassifier__sample_weight=compute_sample_weight("balanced", y_train))
same = all(np.array_equal(a, b) for a, b in zip(weighted[-1].coefs_, models["balanced"][-1].coefs_))
print(f"same weights as sample_weight=compute_sample_weight('balanced', y): {same}")

# %%
try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("matplotlib is not installed: skipping the plot")
else:
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.5))
    for ax, (class_weight, model) in zip(axes, models.items()):
        matrix = confusion_matrix(y_test, model.predict(X_test))
        ax.imshow(matrix, cmap="Blues")
        for (i, j), count in np.ndenumerate(matrix):
            ax.text(j, i, count, ha="center", va="center", color="white" if count > matrix.max() / 2 else "black")
        ax.set_xticks([0, 1], ["common", "rare"])
        ax.set_yticks([0, 1], ["common", "rare"])
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.set_title(f"class_weight={class_weight}")
    fig.tight_layout()
    fig.savefig("imbalanced_class_weight.png", dpi=100)
    print("confusion matrices written to imbalanced_class_weight.png")
