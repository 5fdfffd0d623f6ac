"""MLPClassifier and MLPRegressor: scikit-learn's estimators, trained by fastmlp's kernels.

The Python side follows scikit-learn 1.9's ``sklearn/neural_network/
_multilayer_perceptron.py`` step for step (validation, random draws in the
same order, epochs, early stopping, attributes, messages), so the same
``random_state`` gives the same model. Everything numeric between two epochs
is one kernel call (``_backprop.train_epoch_inplace``). The shared machinery
is in ``_base`` (validation, parameters, prediction) and ``_solvers`` (the
training loops).
"""

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin, _fit_context
from sklearn.metrics import accuracy_score, r2_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import column_or_1d
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import _check_partial_fit_first_call, type_of_target, unique_labels
from sklearn.utils.validation import check_is_fitted, validate_data

from ._base import BaseMultilayerPerceptron
from ._class_weight import class_sample_weight
from ._docstrings import (
    CLASS_WEIGHT_DOC,
    COMMON_ATTRIBUTES_DOC,
    COMMON_PARAMETERS_DOC,
    DROPOUT_DOC,
    MAX_GRAD_NORM_DOC,
    SCHEDULE_DOC,
    WEIGHT_INIT_DOC,
)
from ._safeguards import (
    unchanged_on_error,
)


class MLPClassifier(ClassifierMixin, BaseMultilayerPerceptron):
    __doc__ = (
        """Multi-layer Perceptron classifier, a drop-in for scikit-learn's.

    Same parameters, attributes and behaviour as
    :class:`sklearn.neural_network.MLPClassifier` (scikit-learn 1.9); the
    log-loss is minimised by LBFGS, SGD or Adam whose every epoch runs as one
    Numba-compiled kernel.

    Parameters
    ----------"""
        + COMMON_PARAMETERS_DOC
        + CLASS_WEIGHT_DOC
        + WEIGHT_INIT_DOC
        + SCHEDULE_DOC
        + MAX_GRAD_NORM_DOC
        + DROPOUT_DOC
        + """
    Attributes
    ----------
    classes_ : ndarray or list of ndarray of shape (n_classes,)
        Class labels for each output.
"""
        + COMMON_ATTRIBUTES_DOC
        + """
    See Also
    --------
    MLPRegressor : Multi-layer Perceptron regressor.
    sklearn.neural_network.MLPClassifier : The estimator this one replaces.

    Notes
    -----
    float32 input is trained and predicted in float32, lbfgs included
    (scikit-learn's lbfgs returns float64 weights for float32 input).

    Examples
    --------
    >>> from fastmlp import MLPClassifier
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.model_selection import train_test_split
    >>> X, y = make_classification(n_samples=100, random_state=1)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y,
    ...                                                     random_state=1)
    >>> clf = MLPClassifier(random_state=1, max_iter=300).fit(X_train, y_train)
    >>> clf.predict_proba(X_test[:1]).round(3)
    array([[0.038, 0.962]])
    >>> clf.predict(X_test[:5, :])
    array([1, 0, 1, 0, 1])
    >>> print(round(clf.score(X_test, y_test), 2))
    0.88
    """
    )

    _parameter_constraints: dict = {
        **BaseMultilayerPerceptron._parameter_constraints,
        "class_weight": [StrOptions({"balanced"}), dict, list, None],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        class_weight=None,
        weight_init="glorot_uniform",
        learning_rate_schedule=None,
        warmup_iter=0,
        max_grad_norm=None,
        dropout=0.0,
    ):
        self.class_weight = class_weight
        self.weight_init = weight_init
        self.learning_rate_schedule = learning_rate_schedule
        self.warmup_iter = warmup_iter
        self.max_grad_norm = max_grad_norm
        self.dropout = dropout
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            max_iter=max_iter,
            loss="log_loss",
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            n_iter_no_change=n_iter_no_change,
            max_fun=max_fun,
        )

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            dtype=(np.float64, np.float32),
            reset=reset,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)

        # As scikit-learn: (re)define classes_ on a fresh fit, else check that
        # y's classes agree with the previous ones.
        if (not hasattr(self, "classes_")) or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer()
            self._label_binarizer.fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = unique_labels(y)
            if self.warm_start:
                if set(classes) != set(self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same "
                        "classes as in the previous call to fit. Previously "
                        f"got {self.classes_}, `y` has {classes}"
                    )
            elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError(
                    f"`y` has classes not in `self.classes_`. `self.classes_` has {self.classes_}. 'y' has {classes}."
                )

        # bool, not int: no upcast of float32 data.
        return X, self._label_binarizer.transform(y).astype(bool), y

    def _label_weight(self, labels, incremental, sample_weight):
        multilabel = self._label_binarizer.y_type_.startswith("multilabel")
        return class_sample_weight(self.class_weight, self.classes_, labels, multilabel, incremental, sample_weight)

    def predict(self, X):
        """Predict using the multi-layer perceptron classifier.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray, shape (n_samples,) or (n_samples, n_classes)
            The predicted classes.
        """
        check_is_fitted(self)
        return self._predict(X)

    def _predict(self, X, check_input=True):
        return self._prediction_of(self._forward_pass_fast(X, check_input=check_input))

    def _prediction_of(self, output):
        """The class labels the output layer's activations predict."""
        return self._label_binarizer.inverse_transform(output.ravel() if self.n_outputs_ == 1 else output)

    _score_function = staticmethod(accuracy_score)

    def _score(self, X, y, sample_weight=None):
        return super()._score_with_function(X, y, sample_weight=sample_weight, score_function=accuracy_score)

    @available_if(lambda est: est._check_solver())
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Update the model with a single iteration over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,)
            The target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.
        classes : array of shape (n_classes,), default=None
            Classes across all calls to partial_fit; required on the first.

        Returns
        -------
        self : object
            Trained MLP model.
        """
        # one rollback for both steps: a failed first call leaves no classes_
        with unchanged_on_error(self):
            if _check_partial_fit_first_call(self, classes):
                self._label_binarizer = LabelBinarizer()
                if type_of_target(y).startswith("multilabel"):
                    self._label_binarizer.fit(y)
                else:
                    self._label_binarizer.fit(classes)
            return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    def predict_log_proba(self, X):
        """Return the log of probability estimates.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        log_y_prob : ndarray of shape (n_samples, n_classes)
            ``log(predict_proba(X))``.
        """
        y_prob = self.predict_proba(X)
        return np.log(y_prob, out=y_prob)

    def predict_proba(self, X):
        """Probability estimates.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y_prob : ndarray of shape (n_samples, n_classes)
            The probability of each class, classes ordered as in ``classes_``.
        """
        if "coefs_" not in self.__dict__:
            check_is_fitted(self)
        y_pred = self._forward_pass_fast(X)
        if self.n_outputs_ == 1:
            y_pred = y_pred.ravel()
        if y_pred.ndim == 1:
            return np.vstack([1 - y_pred, y_pred]).T
        return y_pred

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class MLPRegressor(RegressorMixin, BaseMultilayerPerceptron):
    __doc__ = (
        """Multi-layer Perceptron regressor, a drop-in for scikit-learn's.

    Same parameters, attributes and behaviour as
    :class:`sklearn.neural_network.MLPRegressor` (scikit-learn 1.9); the
    squared error (or Poisson deviance) is minimised by LBFGS, SGD or Adam
    whose every epoch runs as one Numba-compiled kernel.

    Parameters
    ----------
    loss : {'squared_error', 'poisson'}, default='squared_error'
        Half squared error with an identity output, or half Poisson deviance
        with an exponential output (requires ``y >= 0``).
"""
        + COMMON_PARAMETERS_DOC
        + WEIGHT_INIT_DOC
        + SCHEDULE_DOC
        + MAX_GRAD_NORM_DOC
        + DROPOUT_DOC
        + """
    Attributes
    ----------"""
        + COMMON_ATTRIBUTES_DOC
        + """
    See Also
    --------
    MLPClassifier : Multi-layer Perceptron classifier.
    sklearn.neural_network.MLPRegressor : The estimator this one replaces.

    Notes
    -----
    float32 input is trained and predicted in float32, lbfgs included.

    Examples
    --------
    >>> from fastmlp import MLPRegressor
    >>> from sklearn.datasets import make_regression
    >>> from sklearn.model_selection import train_test_split
    >>> X, y = make_regression(n_samples=200, n_features=20, random_state=1)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y,
    ...                                                     random_state=1)
    >>> regr = MLPRegressor(random_state=1, max_iter=2000, tol=0.1)
    >>> regr.fit(X_train, y_train)
    MLPRegressor(max_iter=2000, random_state=1, tol=0.1)
    >>> regr.predict(X_test[:2]).round(1)
    array([  29. , -290.8])
    >>> print(round(regr.score(X_test, y_test), 2))
    0.98
    """
    )

    _parameter_constraints: dict = {
        **BaseMultilayerPerceptron._parameter_constraints,
        "loss": [StrOptions({"squared_error", "poisson"})],
    }

    def __init__(
        self,
        loss="squared_error",
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        weight_init="glorot_uniform",
        learning_rate_schedule=None,
        warmup_iter=0,
        max_grad_norm=None,
        dropout=0.0,
    ):
        self.weight_init = weight_init
        self.learning_rate_schedule = learning_rate_schedule
        self.warmup_iter = warmup_iter
        self.max_grad_norm = max_grad_norm
        self.dropout = dropout
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            max_iter=max_iter,
            loss=loss,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            n_iter_no_change=n_iter_no_change,
            max_fun=max_fun,
        )

    def predict(self, X):
        """Predict using the multi-layer perceptron model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predicted values.
        """
        if "coefs_" not in self.__dict__:
            check_is_fitted(self)
        return self._predict(X)

    def _predict(self, X, check_input=True):
        return self._prediction_of(self._forward_pass_fast(X, check_input=check_input))

    def _prediction_of(self, output):
        """The predicted values: the output layer's activations."""
        return output.ravel() if output.shape[1] == 1 else output

    _score_function = staticmethod(r2_score)

    def _score(self, X, y, sample_weight=None):
        return super()._score_with_function(X, y, sample_weight=sample_weight, score_function=r2_score)

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            y_numeric=True,
            dtype=(np.float64, np.float32),
            reset=reset,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if self.loss == "poisson" and np.any(y < 0):
            # scikit-learn trains on to a NaN loss here; its docs require y >= 0.
            raise ValueError("Some value(s) of y are negative which is not allowed for Poisson regression.")
        return X, y, None

    # scikit-learn 1.9 tests ``est._check_solver`` without calling it, so the
    # regressor's partial_fit exists whatever the solver; kept for drop-in parity.
    @available_if(lambda est: est._check_solver)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Update the model with a single iteration over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : ndarray of shape (n_samples,)
            The target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        self : object
            Trained MLP model.
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)
