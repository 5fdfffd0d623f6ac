"""
Dropout and a learning-rate schedule against overfitting
=========================================================

A 256-256 network trained on 200 digits memorises them within a few dozen
epochs: its training loss falls towards 0 while its validation loss, after a
minimum, climbs as the network grows over-confident. Two of fastmlp's own
options (neither is in scikit-learn's MLP) counter it:

- ``dropout=0.5`` drops half of each hidden layer's units at random in every
  mini-batch (inverted dropout: prediction uses every unit, unscaled);
- ``learning_rate_schedule="cosine"`` lowers Adam's rate from
  ``learning_rate_init`` towards 0 over ``max_iter`` epochs, with
  ``warmup_iter`` epochs of linear warm-up, so late epochs make small steps.

Each model gets the same held-out validation set through ``fit(X_val=...,
y_val=...)``, whose loss is recorded after every epoch in
``validation_loss_curve_``. The training and validation losses are plotted
to ``dropout_schedule_overfitting.png`` when matplotlib is installed.
"""

# %%
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from fastmlp import MLPClassifier

warnings.filterwarnings("ignore", category=ConvergenceWarning)  # every epoch runs, by design

X, y = load_digits(return_X_y=True)
X = X / 16
X_train, X_val, y_train, y_val = train_test_split(X, y, train_size=200, random_state=0, stratify=y)

common = dict(hidden_layer_sizes=(256, 256), max_iter=200, learning_rate_init=0.003,
              n_iter_no_change=200, random_state=0)  # fmt: skip
models = {
    "no regularisation": MLPClassifier(**common),
    "dropout=0.5": MLPClassifier(dropout=0.5, **common),
    "dropout=0.5, cosine schedule": MLPClassifier(
        dropout=0.5, learning_rate_schedule="cosine", warmup_iter=5, **common
    ),
}
for name, model in models.items():
    model.fit(X_train, y_train, X_val=X_val, y_val=y_val)
    curve = model.validation_loss_curve_
    print(f"{name:30s} validation loss: best {min(curve):.3f} (epoch {int(np.argmin(curve)) + 1}), "
          f"final {curve[-1]:.3f}; validation accuracy {model.score(X_val, y_val):.3f}")  # fmt: skip

# %%
try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("matplotlib is not installed: skipping the plot")
else:
    fig, ax = plt.subplots(figsize=(6, 4))
    for (name, model), color in zip(models.items(), ("C0", "C1", "C2")):
        epochs = range(1, model.n_iter_ + 1)
        ax.plot(epochs, model.loss_curve_, color=color, linestyle=":", label=f"{name}: training")
        ax.plot(epochs, model.validation_loss_curve_, color=color, label=f"{name}: validation")
    ax.set_xlabel("epoch")
    ax.set_ylabel("log-loss")
    ax.set_yscale("log")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig("dropout_schedule_overfitting.png", dpi=100)
    print("loss curves written to dropout_schedule_overfitting.png")
