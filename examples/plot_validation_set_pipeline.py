"""
A validation set of your own, in a pipeline
============================================

``fit(X, y, X_val=..., y_val=...)`` (fastmlp's own, as scikit-learn's
``HistGradientBoosting*``) scores a held-out set of your choosing after every
epoch. Inside a Pipeline the validation rows must go through the same
preprocessing as the training rows: with metadata routing enabled,
``Pipeline(..., transform_input=["X_val"])`` transforms ``X_val`` with the
fitted steps before the MLP sees it. With ``early_stopping=True`` the set
replaces scikit-learn's internal split, so every training row trains.

The training loss (``loss_curve_``) and the validation loss
(``validation_loss_curve_``, the same loss without the L2 term) are plotted to
``validation_set_pipeline.png`` when matplotlib is installed.
"""

# %%
import sklearn
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from fastmlp import MLPClassifier

X, y = load_digits(return_X_y=True)
X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.25, random_state=0)

with sklearn.config_context(enable_metadata_routing=True):
    mlp = MLPClassifier(
        hidden_layer_sizes=(64,), early_stopping=True, n_iter_no_change=5, max_iter=300, random_state=0
    ).set_fit_request(X_val=True, y_val=True)
    model = Pipeline([("scale", StandardScaler()), ("mlp", mlp)], transform_input=["X_val"])
    model.fit(X_train, y_train, X_val=X_val, y_val=y_val)

mlp = model[-1]
best = max(range(mlp.n_iter_), key=lambda epoch: mlp.validation_scores_[epoch])
print(f"stopped after {mlp.n_iter_} epochs; best validation accuracy {mlp.best_validation_score_:.3f} "
      f"at epoch {best + 1}, whose weights the model keeps")  # fmt: skip
print(f"validation accuracy of the pipeline: {model.score(X_val, y_val):.3f}")
print(f"final training loss {mlp.loss_curve_[-1]:.4f}, validation loss {mlp.validation_loss_curve_[-1]:.4f}")

# %%
try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("matplotlib is not installed: skipping the plot")
else:
    fig, ax = plt.subplots(figsize=(5, 3.5))
    epochs = range(1, mlp.n_iter_ + 1)
    ax.plot(epochs, mlp.loss_curve_, label="training loss (with L2 term)")
    ax.plot(epochs, mlp.validation_loss_curve_, label="validation loss")
    ax.axvline(best + 1, color="grey", linestyle=":", label="best validation accuracy")
    ax.set_xlabel("epoch")
    ax.set_ylabel("log-loss")
    ax.set_yscale("log")
    ax.legend()
    fig.tight_layout()
    fig.savefig("validation_set_pipeline.png", dpi=100)
    print("loss curves written to validation_set_pipeline.png")
