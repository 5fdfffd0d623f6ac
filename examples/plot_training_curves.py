"""
A fit's curves with TrainingCurveDisplay
========================================

``TrainingCurveDisplay.from_estimator`` draws a stochastic fit's training
loss, its validation loss and its validation score per epoch, here of a
digits classifier with early stopping, where the score stopped improving.
The README's picture is this script's output: ``python
examples/plot_training_curves.py --out docs`` writes ``docs/training_curves.png``.
"""

# %%
import argparse
import pathlib

import matplotlib

matplotlib.use("Agg")
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from fastmlp import MLPClassifier, TrainingCurveDisplay  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--out", default=".", help="the directory to write training_curves.png to")
out = pathlib.Path(parser.parse_args().out)

X, y = load_digits(return_X_y=True)
model = make_pipeline(
    StandardScaler(), MLPClassifier((64,), early_stopping=True, n_iter_no_change=8, max_iter=300, random_state=0)
).fit(X, y)
display = TrainingCurveDisplay.from_estimator(model, name="digits, (64,)")
display.figure_.set_size_inches(6, 4)
display.figure_.tight_layout()
display.figure_.savefig(out / "training_curves.png", dpi=90)
mlp = model[-1]
print(f"{mlp.n_iter_} epochs; best validation accuracy {mlp.best_validation_score_:.3f}; "
      f"curves written to {out / 'training_curves.png'}")  # fmt: skip
