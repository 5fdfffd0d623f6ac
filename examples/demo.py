"""fastmlp next to scikit-learn on the digits dataset: accuracy and fit time.

Run with ``./run demo`` (sets up a virtual environment on first use).
"""

import time
import warnings

import numpy as np
import sklearn.neural_network as sk
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import fastmlp


def timed_fit(model, X, y, repeats=3):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        model.fit(X, y)
        times.append(time.perf_counter() - start)
    return model, float(np.median(times))


def main():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    params = dict(hidden_layer_sizes=(100,), max_iter=100, random_state=0)
    print(f"digits: {X_train.shape[0]} training rows, {X.shape[1]} features, 10 classes; MLPClassifier{params}\n")

    warnings.simplefilter("ignore", ConvergenceWarning)
    start = time.perf_counter()
    fastmlp.MLPClassifier(**params).fit(X_train, y_train)
    print(f"fastmlp's first fit: {time.perf_counter() - start:.2f} s (in a new environment scikit-learn's "
          "estimator trains it while fastmlp's kernels compile in the background)")
    start = time.perf_counter()
    fastmlp.precompile("float64", own_options=False, tabular=False)  # waits for that compile, or loads the cache
    print(f"fastmlp kernels ready {time.perf_counter() - start:.2f} s later\n")

    print(f"{'library':<12} {'fit time (median of 3)':>24} {'test accuracy':>14}")
    results = {}
    for name, cls in (("fastmlp", fastmlp.MLPClassifier), ("scikit-learn", sk.MLPClassifier)):
        model, seconds = timed_fit(cls(**params), X_train, y_train)
        results[name] = (model, seconds)
        print(f"{name:<12} {seconds:>22.3f} s {model.score(X_test, y_test):>14.4f}")
    (ours, t_ours), (theirs, t_theirs) = results["fastmlp"], results["scikit-learn"]
    gap = max(np.max(np.abs(a - b)) / np.max(np.abs(b)) for a, b in zip(ours.coefs_, theirs.coefs_))
    print(f"\nfastmlp is {t_theirs / t_ours:.1f}x faster; same random_state, same model "
          f"(largest relative gap in coefs_: {gap:.1e}).")


if __name__ == "__main__":
    main()
