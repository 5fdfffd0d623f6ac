"""The validation set of a stochastic fit: the user's own (``fit(..., X_val=,
y_val=, sample_weight_val=)``) or scikit-learn's internal early-stopping
split, and what is measured on it after each epoch (score and loss).
"""

import numpy as np
from sklearn.base import is_classifier
from sklearn.model_selection import train_test_split
from sklearn.neural_network._base import LOSS_FUNCTIONS
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import _check_sample_weight, column_or_1d, validate_data


class ValidationSet:
    """Rows to score: ``X`` as ``predict`` takes it, ``y`` as ``score`` takes it
    (class labels for a classifier), ``Y`` as the loss takes it (the output
    layer's targets) and the sample weights (or None)."""

    def __init__(self, X, y, Y, sample_weight):
        if sample_weight is not None and sample_weight.sum() == 0:
            # its weighted score would divide by zero after the first epoch
            # (scikit-learn: ZeroDivisionError from np.average)
            raise ValueError(
                "The validation set's sample weights sum to zero: its score, a weighted mean, is undefined."
            )
        self.X, self.y, self.Y, self.sample_weight = X, y, Y, sample_weight

    def measure(self, estimator):
        """``(score, loss)`` of the estimator on these rows, from one forward
        pass: its ``score`` and the loss of ``loss_curve_`` without the L2 term."""
        out = estimator._forward_pass_fast(self.X, check_input=False)
        y_pred = estimator._prediction_of(out)
        score = estimator._score_prediction(self.y, y_pred, self.sample_weight, estimator._score_function)
        return score, float(LOSS_FUNCTIONS[estimator._loss_name()](self.Y, out, self.sample_weight))


def user_validation_set(estimator, X_val, y_val, sample_weight_val, dtype):
    """The validated ``ValidationSet`` of ``fit``'s X_val, y_val and
    sample_weight_val, or None; checked as the training data is, against the
    fitted ``n_features_in_`` and ``classes_``."""
    if X_val is None and y_val is None:
        if sample_weight_val is not None:
            raise ValueError("sample_weight_val is given without X_val and y_val.")
        return None
    if X_val is None or y_val is None:
        given, missing = ("X_val", "y_val") if y_val is None else ("y_val", "X_val")
        raise ValueError(f"{given} is given but {missing} is not: a validation set needs both.")
    if estimator.solver == "lbfgs":
        raise ValueError("A validation set is scored after each epoch: solver='lbfgs' has no epochs.")
    X_val, y_val = validate_data(
        estimator, X_val, y_val, accept_sparse=["csr", "csc"], multi_output=True, dtype=dtype, reset=False,
        y_numeric=not is_classifier(estimator),
    )  # fmt: skip
    if y_val.ndim == 2 and y_val.shape[1] == 1:
        y_val = column_or_1d(y_val, warn=True)
    if sample_weight_val is not None:
        sample_weight_val = _check_sample_weight(sample_weight_val, X_val)
    if is_classifier(estimator):
        y_type = estimator._label_binarizer.y_type_
        if y_type.startswith("multilabel") != (type_of_target(y_val) == "multilabel-indicator"):
            raise ValueError(f"y_val is {type_of_target(y_val)!r} but y was {y_type!r}.")
        unseen = np.setdiff1d(np.unique(y_val), estimator.classes_) if y_val.ndim == 1 else []
        if len(unseen):
            raise ValueError(f"y_val has classes not in y: {unseen}. Classes are {estimator.classes_}.")
        Y_val = estimator._label_binarizer.transform(y_val).astype(dtype)
    else:
        Y_val = np.asarray(y_val, dtype=dtype).reshape(len(y_val), -1)
        if estimator.loss == "poisson" and np.any(Y_val < 0):
            raise ValueError("Some value(s) of y_val are negative which is not allowed for Poisson regression.")
    if Y_val.shape[1] != estimator.n_outputs_:
        raise ValueError(f"y_val has {Y_val.shape[1]} outputs (columns), but y has {estimator.n_outputs_}.")
    return ValidationSet(X_val, y_val, Y_val, sample_weight_val)


def split_validation_set(estimator, data):
    """scikit-learn's early-stopping split: ``(train_idx, ValidationSet)``.

    The split scikit-learn draws for (X, y[, sample_weight]) depends only on
    the row count and the labels, so splitting row indices gives the same
    rows without copying X.
    """
    should_stratify = is_classifier(estimator) and estimator.n_outputs_ == 1
    stratify = data.y if should_stratify else None
    train_idx, val_idx = train_test_split(
        np.arange(data.n_samples),
        random_state=estimator._random_state,
        test_size=estimator.validation_fraction,
        stratify=stratify,
    )
    if val_idx.shape[0] < 2:
        raise ValueError(
            "The validation set is too small. Increase 'validation_fraction' or the size of your dataset."
        )
    y_val = data.y[val_idx]
    if is_classifier(estimator):
        y_val = estimator._label_binarizer.inverse_transform(y_val)
    sample_weight_val = data.sample_weight[val_idx] if data.use_weight else None
    return train_idx, ValidationSet(data.rows_as_input(val_idx), y_val, data.Y[val_idx], sample_weight_val)
