"""TabularMLPClassifier and TabularMLPRegressor: RealMLP-TD's recipe
(Holzmueller et al., "Better by Default", NeurIPS 2024) as scikit-learn
estimators on fastmlp's kernels.

They take what ``HistGradientBoosting*`` takes: a DataFrame with numeric and
categorical columns (missing values in both), a numpy array or a sparse
matrix. A fit splits off the validation rows, encodes the table
(``_tabular_encoding``), builds and initialises the network
(``_tabular_network``) and trains it (``_tabular_training``); prediction
encodes the rows the same way and runs the prediction kernel.
"""

import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, _fit_context
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import r2_score
from sklearn.callback import CallbackSupportMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_feature_names,
    _check_n_features,
    _check_sample_weight,
    check_array,
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
)

from . import _first_tier
from ._activations import HIDDEN_ACTIVATIONS
from ._forward import make_codes
from ._safeguards import validated_hidden_layer_sizes
from ._schedules import STEP_SCHEDULES
from ._tabular_docstrings import CLASSIFIER_DOC, REGRESSOR_DOC
from ._tabular_encoding import TabularEncoding
from ._tabular_fitting import fit_members
from ._tabular_training import network_output


class BaseTabularMLP(CallbackSupportMixin, BaseEstimator):
    """The fit and prediction both tabular models share."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(HIDDEN_ACTIVATIONS))],
        "parametric_activation": ["boolean"],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "regularization_schedule": [StrOptions(set(STEP_SCHEDULES))],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "learning_rate_schedule": [StrOptions(set(STEP_SCHEDULES))],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "categorical_features": [StrOptions({"from_dtype"}), "array-like", None],
        "max_one_hot_levels": [Interval(Integral, 1, None, closed="left")],
        "embedding_size": [Interval(Integral, 1, None, closed="left")],
        "robust_scale": ["boolean"],
        "smooth_clip": ["boolean"],
        "numerical_embedding": [StrOptions({"pbld"}), None],
        "pbld_frequencies": [Interval(Integral, 1, None, closed="left")],
        "pbld_sigma": [Interval(Real, 0, None, closed="neither")],
        "pbld_dimension": [Interval(Integral, 2, None, closed="left")],
        "scale_layer": ["boolean"],
        "parametrization": [StrOptions({"ntk", "standard"})],
        "bias_init": [StrOptions({"he+5", "zeros"})],
        "bias_lr_factor": [Interval(Real, 0, None, closed="left")],
        "scale_lr_factor": [Interval(Real, 0, None, closed="left")],
        "pbld_lr_factor": [Interval(Real, 0, None, closed="left")],
        "activation_lr_factor": [Interval(Real, 0, None, closed="left")],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "select_best_epoch": ["boolean"],
        "n_ensemble": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "dtype": [StrOptions({"float32", "float64"})],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def _recipe(self):
        """The network's part of the parameters (``TabularNetwork``'s recipe)."""
        pbld = self.numerical_embedding == "pbld"
        return {
            "embedding_size": int(self.embedding_size),
            "n_frequencies": int(self.pbld_frequencies),
            "pbld_outputs": int(self.pbld_dimension) - 1 if pbld else 0,
            "pbld_sigma": float(self.pbld_sigma),
            "scale": bool(self.scale_layer),
            "parametric": bool(self.parametric_activation),
            "ntk": self.parametrization == "ntk",
            "bias_lr": float(self.bias_lr_factor),
            "scale_lr": float(self.scale_lr_factor),
            "pbld_lr": float(self.pbld_lr_factor),
            "activation_lr": float(self.activation_lr_factor),
            "embedding_lr": 1.0,
        }

    def _check_weight_decay(self):
        """Each step multiplies a parameter by ``1 - lr * weight_decay * f``,
        ``f`` its group's decay factor (``_tabular_network``: the squares of
        the learning-rate factors, the scale layer's the largest by default):
        it must stay positive."""
        factors = [1.0, float(self.pbld_lr_factor) ** 2, float(self.activation_lr_factor) ** 2]
        factor = max(factors + ([float(self.scale_lr_factor) ** 2] if self.scale_layer else []))
        shrink = float(self.learning_rate) * float(self.weight_decay) * factor
        if shrink >= 1:
            raise ValueError(
                f"Each step multiplies the parameters by 1 - learning_rate * weight_decay * f, with f up to {factor:g} "
                f"(the squares of the learning-rate factors): learning_rate * weight_decay * f is {shrink:g}, "
                "it must be < 1."
            )

    # -- input ------------------------------------------------------------------

    def _check_X(self, X, reset):
        """X as the encoding takes it: a DataFrame as it is, an array or sparse
        matrix checked as scikit-learn does (missing values allowed); the
        feature names and count checked against the fit's."""
        _check_feature_names(self, X, reset=reset)
        if not hasattr(X, "iloc"):
            X = check_array(
                X, accept_sparse=["csr", "csc"], dtype=None, ensure_all_finite="allow-nan", estimator=self
            )  # fmt: skip
            if X.dtype.kind not in "fcbiuO":
                X = check_array(X, accept_sparse=["csr", "csc"], ensure_all_finite="allow-nan", estimator=self)
        elif X.shape[0] < 1 or X.shape[1] < 1:
            raise ValueError(f"Found array with {X.shape[0]} sample(s) and {X.shape[1]} feature(s) (shape={X.shape}) "
                             f"while a minimum of 1 is required by {type(self).__name__}.")  # fmt: skip
        _check_n_features(self, X, reset=reset)
        return X

    # -- fitting ----------------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, *, X_val=None, y_val=None, sample_weight_val=None):
        """Fit the model: encode the table, train the networks, each keeping
        the weights of its best epoch on its validation rows.

        Parameters
        ----------
        X : {DataFrame, array-like, sparse matrix} of shape (n_samples, n_features)
            The training table: numeric and (``categorical_features``)
            categorical columns; missing values (NaN, None, pandas' NA) in both.
        y : array-like of shape (n_samples,)
            Class labels (classifier) or target values (regressor).
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the loss's rows and of the validation score's.
        X_val, y_val : default=None
            A validation set of one's own: it replaces the split of
            ``validation_fraction`` (all of X trains).
        sample_weight_val : array-like of shape (n_val_samples,), default=None

        Returns
        -------
        self : object
        """
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y is None.")
        X = self._check_X(X, reset=True)
        y = self._check_y(y, fitting=True)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X)
        if y.shape[0] != X.shape[0]:
            raise ValueError(f"X has {X.shape[0]} rows but y has {y.shape[0]}.")
        validated_hidden_layer_sizes(self.hidden_layer_sizes)
        random_state = check_random_state(self.random_state)
        validation = None
        if X_val is None and (y_val is not None or sample_weight_val is not None):
            raise ValueError("y_val or sample_weight_val is given without X_val.")
        if X_val is not None:
            if y_val is None:
                raise ValueError("X_val is given without y_val.")
            X_val = self._check_X(X_val, reset=False)
            y_val = self._check_y(y_val, fitting=False)
            check_consistent_length(X_val, y_val)
            if y_val.ndim != y.ndim or (y.ndim == 2 and y_val.shape[1] != y.shape[1]):
                raise ValueError(f"y_val has {y_val.shape[1:]} outputs per row where y has {y.shape[1:]}.")
            if sample_weight_val is not None:
                sample_weight_val = _check_sample_weight(sample_weight_val, X_val)
                if sample_weight_val.sum() == 0:
                    raise ValueError("The validation rows' sample weights sum to zero: their score is undefined.")
        self._check_weight_decay()
        dtype = np.dtype(self.dtype)
        _first_tier.announce_tabular(dtype)
        self.encoding_ = TabularEncoding(
            self.categorical_features, self.max_one_hot_levels, self.robust_scale, self.smooth_clip
        ).fit(X)
        table = self.encoding_.table_for_kernels(X, dtype)
        Y = self._training_targets(y, sample_weight).astype(dtype)
        if X_val is not None:
            validation = (self.encoding_.table_for_kernels(X_val, dtype), y_val, sample_weight_val)
        self._codes = make_codes(
            self.activation, self._output_activation, self._loss, use_weight=sample_weight is not None,
            mean_over_outputs=True, parametric=self.parametric_activation,
        )  # fmt: skip
        fit_members(self, table, y, Y, sample_weight, validation, random_state, (X, y, sample_weight))
        _first_tier.fit_succeeded()
        return self

    def _set_params(self, params):
        """Make ``params`` (n_members, size) the model's; ``coefs_`` and
        ``intercepts_`` view its first member's."""
        self._params = params
        self.coefs_, self.intercepts_ = self._network.layout.views(params[0])

    def _output_of(self, network, params, table):
        """The output layer of ``network`` (this model's or a part of it) for
        encoded rows, without an output activation (the initialisation's)."""
        codes = make_codes(self.activation, "identity", parametric=self.parametric_activation)
        return network_output(network, codes, params, table)

    # -- prediction -------------------------------------------------------------

    def _output(self, X):
        """The output layer's values for X (softmax probabilities or the
        standardised prediction): (n_samples, n_outputs)."""
        check_is_fitted(self, "_params")
        X = self._check_X(X, reset=False)
        table = self.encoding_.table_for_kernels(X, self._params.dtype)
        codes = make_codes(self.activation, self._output_activation, parametric=self.parametric_activation)
        members = self._params[: max(1, self._n_trained)]  # (during a fit, for callbacks: those trained)
        out = network_output(self._network, codes, members[0], table)
        for params in members[1:]:
            out += network_output(self._network, codes, params, table)
        return out / members.shape[0] if members.shape[0] > 1 else out

    def __getstate__(self):
        state = dict(super().__getstate__())
        for key in ("coefs_", "intercepts_"):  # views of _params, rebuilt on load
            state.pop(key, None)
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        if "_params" in self.__dict__:
            if not self._params.flags.writeable:
                self._params = self._params.copy()
            self._set_params(self._params)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.sparse = True
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        tags.non_deterministic = False
        return tags


class TabularMLPClassifier(ClassifierMixin, BaseTabularMLP):
    __doc__ = CLASSIFIER_DOC

    _parameter_constraints: dict = {
        **BaseTabularMLP._parameter_constraints,
        "label_smoothing": [Interval(Real, 0, 1, closed="left")],
    }
    _output_activation = "softmax"
    _loss = "log_loss"

    def __init__(
        self, *, hidden_layer_sizes=(256, 256, 256), activation="selu", parametric_activation=True, dropout=0.15,
        weight_decay=0.02, regularization_schedule="flat_cos", learning_rate=0.04, learning_rate_schedule="coslog4",
        max_iter=256, batch_size=256, beta_1=0.9, beta_2=0.95, epsilon=1e-8, label_smoothing=0.1,
        categorical_features="from_dtype", max_one_hot_levels=9, embedding_size=8, robust_scale=True,
        smooth_clip=True, numerical_embedding="pbld", pbld_frequencies=16, pbld_sigma=0.1, pbld_dimension=4,
        scale_layer=True, parametrization="ntk", bias_init="he+5", bias_lr_factor=0.1, scale_lr_factor=6.0,
        pbld_lr_factor=0.1, activation_lr_factor=0.1, validation_fraction=0.2, select_best_epoch=True,
        n_ensemble="auto", dtype="float32", random_state=None, verbose=0,
    ):  # fmt: skip
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.parametric_activation = parametric_activation
        self.dropout = dropout
        self.weight_decay = weight_decay
        self.regularization_schedule = regularization_schedule
        self.learning_rate = learning_rate
        self.learning_rate_schedule = learning_rate_schedule
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.label_smoothing = label_smoothing
        self.categorical_features = categorical_features
        self.max_one_hot_levels = max_one_hot_levels
        self.embedding_size = embedding_size
        self.robust_scale = robust_scale
        self.smooth_clip = smooth_clip
        self.numerical_embedding = numerical_embedding
        self.pbld_frequencies = pbld_frequencies
        self.pbld_sigma = pbld_sigma
        self.pbld_dimension = pbld_dimension
        self.scale_layer = scale_layer
        self.parametrization = parametrization
        self.bias_init = bias_init
        self.bias_lr_factor = bias_lr_factor
        self.scale_lr_factor = scale_lr_factor
        self.pbld_lr_factor = pbld_lr_factor
        self.activation_lr_factor = activation_lr_factor
        self.validation_fraction = validation_fraction
        self.select_best_epoch = select_best_epoch
        self.n_ensemble = n_ensemble
        self.dtype = dtype
        self.random_state = random_state
        self.verbose = verbose

    def _check_y(self, y, fitting):
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if fitting:
            self._label_encoder = LabelEncoder().fit(y)
            self.classes_ = self._label_encoder.classes_
            if self.classes_.shape[0] < 2:
                raise ValueError(
                    f"The classifier needs samples of at least 2 classes in the data, but the data contains only "
                    f"one class: {self.classes_[0]!r}."
                )  # fmt: skip
        elif not np.isin(y, self.classes_).all():
            raise ValueError("y_val has labels that are not in y: the network has no output for them.")
        return y

    def _training_targets(self, y, sample_weight):
        """One-hot targets, smoothed: ``(1 - eps) onehot + eps / K``."""
        K = self.classes_.shape[0]
        Y = np.eye(K)[self._label_encoder.transform(y)]
        return (1.0 - self.label_smoothing) * Y + self.label_smoothing / K

    def _validation_measure(self, y_val, sample_weight):
        """``(accuracy, accuracy, loss)`` of the validation rows from the
        output (weighted; the loss against the smoothed targets, as in
        training): the best epoch has the highest accuracy."""
        codes = self._label_encoder.transform(y_val)
        K = self.classes_.shape[0]
        Y = (1.0 - self.label_smoothing) * np.eye(K)[codes] + self.label_smoothing / K
        eps = np.finfo(np.float32).eps

        def measure(out):
            accuracy = float(np.average(out.argmax(axis=1) == codes, weights=sample_weight))
            losses = -(Y * np.log(np.clip(out.astype(np.float64), eps, 1.0))).sum(axis=1)
            return accuracy, accuracy, float(np.average(losses, weights=sample_weight))

        return measure

    def predict_proba(self, X):
        """Probability estimates, (n_samples, n_classes), columns in ``classes_``' order."""
        out = self._output(X)
        return out.astype(np.float64) if out.dtype != np.float64 else out

    def predict_log_proba(self, X):
        """The logarithm of :meth:`predict_proba`."""
        return np.log(self.predict_proba(X))

    def predict(self, X):
        """The class of highest probability."""
        best = self._output(X).argmax(axis=1)
        return self.classes_[best]


class TabularMLPRegressor(RegressorMixin, BaseTabularMLP):
    __doc__ = REGRESSOR_DOC

    _parameter_constraints: dict = {
        **BaseTabularMLP._parameter_constraints,
        "standardize_target": ["boolean"],
        "clamp_output": ["boolean"],
    }
    _output_activation = "identity"
    _loss = "squared_error"

    def __init__(
        self, *, hidden_layer_sizes=(256, 256, 256), activation="mish", parametric_activation=True, dropout=0.15,
        weight_decay=0.02, regularization_schedule="flat_cos", learning_rate=0.2, learning_rate_schedule="coslog4",
        max_iter=256, batch_size=256, beta_1=0.9, beta_2=0.95, epsilon=1e-8, standardize_target=True,
        clamp_output=True, categorical_features="from_dtype", max_one_hot_levels=9, embedding_size=8,
        robust_scale=True, smooth_clip=True, numerical_embedding="pbld", pbld_frequencies=16, pbld_sigma=0.1,
        pbld_dimension=4, scale_layer=True, parametrization="ntk", bias_init="he+5", bias_lr_factor=0.1,
        scale_lr_factor=6.0, pbld_lr_factor=0.1, activation_lr_factor=0.1, validation_fraction=0.2,
        select_best_epoch=True, n_ensemble="auto", dtype="float32", random_state=None, verbose=0,
    ):  # fmt: skip
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.parametric_activation = parametric_activation
        self.dropout = dropout
        self.weight_decay = weight_decay
        self.regularization_schedule = regularization_schedule
        self.learning_rate = learning_rate
        self.learning_rate_schedule = learning_rate_schedule
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.standardize_target = standardize_target
        self.clamp_output = clamp_output
        self.categorical_features = categorical_features
        self.max_one_hot_levels = max_one_hot_levels
        self.embedding_size = embedding_size
        self.robust_scale = robust_scale
        self.smooth_clip = smooth_clip
        self.numerical_embedding = numerical_embedding
        self.pbld_frequencies = pbld_frequencies
        self.pbld_sigma = pbld_sigma
        self.pbld_dimension = pbld_dimension
        self.scale_layer = scale_layer
        self.parametrization = parametrization
        self.bias_init = bias_init
        self.bias_lr_factor = bias_lr_factor
        self.scale_lr_factor = scale_lr_factor
        self.pbld_lr_factor = pbld_lr_factor
        self.activation_lr_factor = activation_lr_factor
        self.validation_fraction = validation_fraction
        self.select_best_epoch = select_best_epoch
        self.n_ensemble = n_ensemble
        self.dtype = dtype
        self.random_state = random_state
        self.verbose = verbose

    def _check_y(self, y, fitting):
        y = check_array(y, ensure_2d=False, dtype=np.float64, input_name="y")
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        return y

    def _training_targets(self, y, sample_weight):
        """The targets, standardised by the training rows' mean and standard
        deviation (``standardize_target``), as a (n, n_outputs) array; the
        clamp bounds recorded."""
        Y = y.reshape(y.shape[0], -1)
        self._y_mean, self._y_scale = np.zeros(Y.shape[1]), np.ones(Y.shape[1])
        if self.standardize_target:
            self._y_mean = Y.mean(axis=0)
            std = Y.std(axis=0)
            self._y_scale = np.where(std > 0, std, 1.0)
        self._y_min, self._y_max = Y.min(axis=0), Y.max(axis=0)
        self.n_outputs_ = Y.shape[1]
        return (Y - self._y_mean) / self._y_scale

    def _prediction_of(self, out):
        y = out.astype(np.float64) * self._y_scale + self._y_mean
        if self.clamp_output:
            y = np.clip(y, self._y_min, self._y_max)
        return y[:, 0] if self.n_outputs_ == 1 else y

    def _validation_measure(self, y_val, sample_weight):
        """``(-MSE, R^2, loss)`` of the validation rows from the output: the
        mean squared error of the prediction (clamped, in the targets' units:
        the best epoch has the lowest, as pytabkit picks it by RMSE), its
        score (NaN for fewer than two rows), and the training's loss (half
        the squared error of the standardised targets), all weighted."""
        Y_val = y_val.reshape(y_val.shape[0], -1)
        Y_standard = (Y_val - self._y_mean) / self._y_scale

        def measure(out):
            prediction = self._prediction_of(out)
            squared = ((prediction.reshape(Y_val.shape) - Y_val) ** 2).mean(axis=1)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UndefinedMetricWarning)
                score = r2_score(y_val, prediction, sample_weight=sample_weight)
            losses = 0.5 * ((out.astype(np.float64) - Y_standard) ** 2).mean(axis=1)
            return (-float(np.average(squared, weights=sample_weight)), float(score),
                    float(np.average(losses, weights=sample_weight)))  # fmt: skip

        return measure

    def predict(self, X):
        """Predicted targets, (n_samples,) (or (n_samples, n_outputs))."""
        return self._prediction_of(self._output(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
