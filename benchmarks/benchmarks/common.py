"""Helpers shared by the asv benchmark classes."""

import warnings

import numpy as np
import sklearn.neural_network as sklearn_mlp
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

import fastmlp

LIBRARIES = {"fastmlp": fastmlp, "sklearn": sklearn_mlp}

_DATA = {}


def classification_data(size, dtype):
    """(X, y), made once per process: 'small' is digits (1797 x 64, 10 classes),
    'medium' 20000 x 100 with 10 classes."""
    key = (size, dtype)
    if key not in _DATA:
        if size == "small":
            X, y = load_digits(return_X_y=True)
            X = StandardScaler().fit_transform(X)
        else:
            X, y = make_classification(
                n_samples=20000, n_features=100, n_informative=40, n_classes=10, random_state=0
            )
        _DATA[key] = (np.ascontiguousarray(X, dtype=dtype), y)
    return _DATA[key]


def quiet(function, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return function(*args, **kwargs)
