"""
Quick start: fastmlp inside a Pipeline, tuned with GridSearchCV
===============================================================

``fastmlp.MLPClassifier`` takes the place of scikit-learn's in any pipeline
or search: same parameters, same attributes, same model for the same
``random_state``.
"""

# %%
import warnings

from sklearn.datasets import load_breast_cancer
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from fastmlp import MLPClassifier

X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)

# %%
pipe = make_pipeline(StandardScaler(), MLPClassifier(max_iter=200, random_state=0))
grid = {
    "mlpclassifier__hidden_layer_sizes": [(16,), (64,), (64, 32)],
    "mlpclassifier__alpha": [1e-4, 1e-2, 1.0],
}
search = GridSearchCV(pipe, grid, cv=5)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    search.fit(X_train, y_train)

# %%
print("best parameters:", search.best_params_)
print(f"cross-validated accuracy: {search.best_score_:.3f}")
print(f"test accuracy: {search.score(X_test, y_test):.3f}")
