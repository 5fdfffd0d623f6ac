"""MLPClassifier and MLPRegressor: scikit-learn's estimators, trained by fastmlp's kernels.

The Python side follows scikit-learn 1.9's ``sklearn/neural_network/
_multilayer_perceptron.py`` step for step (validation, random draws in the
same order, epochs, early stopping, attributes, messages), so the same
``random_state`` gives the same model. Everything numeric between two epochs
is one kernel call (``_backprop.train_epoch_inplace``).
"""

import contextlib
import warnings
from abc import ABC, abstractmethod
from numbers import Integral, Real

import numpy as np
import scipy.optimize
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, _fit_context, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state, column_or_1d
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.fixes import _get_additional_lbfgs_options_dict
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import _check_partial_fit_first_call, type_of_target, unique_labels
from sklearn.utils.optimize import _check_optimize_result
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from . import _backprop, _threads
from ._backprop import (
    PREDICT_CHUNK_ROWS,
    full_batch_loss_and_grad,
    make_codes,
    predict_inplace,
    train_epoch_inplace,
)
from ._data import TrainingData, kernel_inputs
from ._docstrings import COMMON_ATTRIBUTES_DOC, COMMON_PARAMETERS_DOC
from ._safeguards import (
    _check_finite_weights,
    _rows_between_interrupt_checks,
    _unchanged_on_error,
    _validated_hidden_layer_sizes,
    _writeable,
)
from ._layout import ParameterLayout, training_workspace_size
from ._optimizers import make_optimizer_state
from ._team import Team

_STOCHASTIC_SOLVERS = ["sgd", "adam"]


class BaseMultilayerPerceptron(BaseEstimator, ABC):
    """Base class for MLP classification and regression.

    Warning: This class should not be used directly. Use derived classes instead.
    """

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions({"identity", "logistic", "tanh", "relu"})],
        "solver": [StrOptions({"lbfgs", "sgd", "adam"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"), Options(Real, {np.inf})],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
    }

    @abstractmethod
    def __init__(
        self,
        hidden_layer_sizes,
        activation,
        solver,
        alpha,
        batch_size,
        learning_rate,
        learning_rate_init,
        power_t,
        max_iter,
        loss,
        shuffle,
        random_state,
        tol,
        verbose,
        warm_start,
        momentum,
        nesterovs_momentum,
        early_stopping,
        validation_fraction,
        beta_1,
        beta_2,
        epsilon,
        n_iter_no_change,
        max_fun,
    ):
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.loss = loss
        self.hidden_layer_sizes = hidden_layer_sizes
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun

    # -- the flat parameter buffer behind coefs_ and intercepts_ ---------------

    def _set_flat_params(self, params, layout):
        """Make ``params`` the model's weights; ``coefs_``/``intercepts_`` view it."""
        self._params = params
        self._layout = layout
        self.coefs_, self.intercepts_ = layout.views(params)
        self._param_views = tuple(self.coefs_ + self.intercepts_)

    def _flat_params(self, rebind=True):
        """The flat buffer that ``coefs_`` and ``intercepts_`` are views of.

        If a user replaced an entry of ``coefs_`` or ``intercepts_`` (or the
        model was unpickled, which does not keep views), their values are
        packed into a new buffer first; with ``rebind`` (fitting) the model
        then adopts it, as scikit-learn's in-place updates need, while
        prediction uses it without touching the estimator.
        """
        views = self.__dict__.get("_param_views")
        current = self.coefs_ + self.intercepts_
        if views is not None and len(views) == len(current):
            for view, array in zip(views, current):
                if view is not array:
                    break
            else:
                return self._params
        layout = ParameterLayout([c.shape[0] for c in self.coefs_] + [self.coefs_[-1].shape[1]])
        params = layout.pack(self.coefs_, self.intercepts_, np.result_type(*current))
        if rebind:
            self._set_flat_params(params, layout)
        return params

    def __getstate__(self):
        # BaseEstimator returns the instance's own __dict__: copy before popping.
        state = dict(super().__getstate__())
        # Views do not survive pickling: keep coefs_/intercepts_, drop the
        # buffer, and rebuild it on load.
        for key in ("_params", "_param_views", "_backups"):
            state.pop(key, None)
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        if "coefs_" in self.__dict__:
            self._flat_params()
        codes = self.__dict__.get("_dense_prediction_codes")
        if codes is not None and not codes[1].flags.writeable:
            # read-only arrays are typed apart by Numba: a copy saves a compile
            self._dense_prediction_codes = (codes[0], codes[1].copy())

    # -- fitting ----------------------------------------------------------------

    def _loss_name(self):
        if self.loss == "log_loss" and self.out_activation_ == "logistic":
            return "binary_log_loss"
        return self.loss

    def _initialize(self, y, layer_units, dtype):
        self.n_iter_ = 0
        self.t_ = 0
        self.n_outputs_ = y.shape[1]
        self.n_layers_ = len(layer_units)

        if not is_classifier(self):
            self.out_activation_ = "exp" if self.loss == "poisson" else "identity"
        elif self._label_binarizer.y_type_ == "multiclass":
            self.out_activation_ = "softmax"
        else:
            self.out_activation_ = "logistic"

        layout = ParameterLayout(layer_units)
        self._set_flat_params(layout.initialize(self.activation, self._random_state, dtype), layout)
        self._best_params = self._params.copy()

        if self.solver in _STOCHASTIC_SOLVERS:
            self.loss_curve_ = []
            self._no_improvement_count = 0
            if self.early_stopping:
                self.validation_scores_ = []
                self.best_validation_score_ = -np.inf
                self.best_loss_ = None
            else:
                self.best_loss_ = np.inf
                self.validation_scores_ = None
                self.best_validation_score_ = None

    def _fit(self, X, y, sample_weight=None, incremental=False):
        # Whatever fails (bad input, a diverging fit, a worker thread), the
        # estimator keeps the weights and state it had before the call.
        with _unchanged_on_error(self):
            data, layer_units, first_pass = self._prepare_fit(X, y, sample_weight, incremental)

            self._random_state = check_random_state(self.random_state)
            if first_pass:
                self._initialize(data.Y, layer_units, data.dtype)

            if self.solver in _STOCHASTIC_SOLVERS:
                self._fit_stochastic(data, layer_units, incremental)
            elif self.solver == "lbfgs":
                self._fit_lbfgs(data, layer_units)

            _check_finite_weights(self._params)
        self._dense_prediction_codes = (
            (self.activation, self.out_activation_, False),
            self._build_prediction_codes(is_sparse=False),
        )
        return self

    def _prepare_fit(self, X, y, sample_weight, incremental):
        hidden_layer_sizes = _validated_hidden_layer_sizes(self.hidden_layer_sizes)
        first_pass = not hasattr(self, "coefs_") or (not self.warm_start and not incremental)

        X, y = self._validate_input(X, y, incremental, reset=first_pass)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X)
        if y.ndim == 1:
            y = y.reshape((-1, 1))
        layer_units = [X.shape[1]] + hidden_layer_sizes + [y.shape[1]]

        dtype = X.dtype
        if not first_pass:
            params = self._flat_params()
            if list(self._layout.layer_units) != layer_units:
                raise ValueError(
                    "The network's layer sizes %s do not match those implied by the "
                    "data and hidden_layer_sizes (%s); refit with warm_start=False."
                    % (list(self._layout.layer_units), layer_units)
                )
            dtype = params.dtype  # a warm model keeps its dtype
            # Copy on write: a model loaded read-only trains on copies.
            if not params.flags.writeable:
                self._set_flat_params(params.copy(), self._layout)
            if "_best_params" in self.__dict__:
                self._best_params = _writeable(self._best_params)
            if "_optimizer" in self.__dict__:
                self._optimizer.make_writeable()
        self.n_outputs_ = y.shape[1]
        return TrainingData(X, y, sample_weight, dtype), layer_units, first_pass

    def _fit_lbfgs(self, data, layer_units):
        params = self._params
        grads = np.empty_like(params)
        n_samples = data.n_samples
        blas_threads, n_threads = _threads.plan(layer_units, n_samples, data.is_sparse)
        if data.transposed:
            n_threads = 1  # the row blocks of a transposed X are not contiguous
        part_grads = np.empty((n_threads if n_threads > 1 else 0, params.shape[0]), dtype=data.dtype)
        rows_per_thread = -(-n_samples // n_threads)
        workspace = np.empty(n_threads * rows_per_thread * 2 * sum(layer_units[1:]), dtype=data.dtype)
        kernel_args = (
            data.X, data.csr_arrays, data.Y, data.sample_weight, params, grads,
            part_grads, np.zeros((n_threads, 8)), self._layout.layer_units, data.codes(self),
            float(self.alpha), float(np.finfo(data.dtype).eps), workspace,
        )  # fmt: skip
        iprint = 1 if (self.verbose is True or self.verbose >= 1) else -1
        with _threads.limits(blas_threads), Team(n_threads) as team:
            team.start(_backprop.full_batch_loss_and_grad, kernel_args)

            def loss_and_grad(packed):
                params[:] = packed
                loss = full_batch_loss_and_grad(*kernel_args, 0, team.n_threads, team.sync)
                team.check()
                return loss, grads.astype(np.float64)

            opt_res = scipy.optimize.minimize(
                loss_and_grad,
                params.astype(np.float64),
                method="L-BFGS-B",
                jac=True,
                options={
                    "maxfun": self.max_fun,
                    "maxiter": self.max_iter,
                    "gtol": self.tol,
                    **_get_additional_lbfgs_options_dict("iprint", iprint),
                },
            )
        self.n_iter_ = _check_optimize_result("lbfgs", opt_res, self.max_iter)
        self.loss_ = opt_res.fun
        params[:] = opt_res.x

    def _fit_stochastic(self, data, layer_units, incremental):
        params = self._params
        if not incremental or not hasattr(self, "_optimizer"):
            self._optimizer = make_optimizer_state(self, params.shape[0], params.dtype)
        optimizer = self._optimizer

        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        early_stopping = self.early_stopping
        n_total = data.Y.shape[0]
        if early_stopping:
            # The split scikit-learn draws for (X, y[, sample_weight]) depends
            # only on the row count and the labels, so splitting row indices
            # gives the same rows without copying X.
            should_stratify = is_classifier(self) and self.n_outputs_ == 1
            stratify = data.y if should_stratify else None
            train_idx, val_idx = train_test_split(
                np.arange(n_total),
                random_state=self._random_state,
                test_size=self.validation_fraction,
                stratify=stratify,
            )
            if val_idx.shape[0] < 2:
                raise ValueError(
                    "The validation set is too small. Increase 'validation_fraction' "
                    "or the size of your dataset."
                )
            X_val = data.rows_as_input(val_idx)
            y_val = data.y[val_idx]
            if is_classifier(self):
                y_val = self._label_binarizer.inverse_transform(y_val)
            sample_weight_val = data.sample_weight[val_idx] if data.use_weight else None
        else:
            train_idx = np.arange(n_total)
            X_val = y_val = sample_weight_val = None

        n_samples = train_idx.shape[0]
        sample_idx = np.arange(n_samples, dtype=int)
        if self.batch_size == "auto":
            batch_size = min(200, n_samples)
        else:
            if self.batch_size > n_samples:
                warnings.warn(
                    "Got `batch_size` less than 1 or larger than sample size. It is going to be clipped"
                )
            batch_size = int(np.clip(self.batch_size, 1, n_samples))

        blas_threads, n_threads = _threads.plan(layer_units, batch_size, data.is_sparse)
        epoch_rows = np.empty(n_samples, dtype=np.int64)
        progress = np.zeros(_backprop.N_PROGRESS)
        chunk_rows = _rows_between_interrupt_checks(layer_units, batch_size)
        kernel_args = (
            data.X, data.csr_arrays, data.Y, data.sample_weight, epoch_rows,
            batch_size, params, np.empty_like(params),
            np.empty((n_threads if n_threads > 1 else 0, params.shape[0]), dtype=params.dtype),
            np.zeros((n_threads, 8)), (optimizer.m, optimizer.v, optimizer.hyper),
            self._layout.layer_units, data.codes(self), float(self.alpha), float(np.finfo(params.dtype).eps),
            np.empty(training_workspace_size(layer_units, batch_size, data.is_sparse, n_threads), dtype=params.dtype),
            progress,
        )  # fmt: skip

        try:
            with _threads.limits(blas_threads), Team(n_threads) as team:
                team.start(_backprop.train_epoch_inplace, kernel_args)
                self.n_iter_ = 0
                for it in range(self.max_iter):
                    if self.shuffle:
                        # sklearn.utils.shuffle(sample_idx, random_state=rng) draws exactly
                        # this; called directly it cost ~200 us per epoch (10% of W1's fit).
                        permutation = np.arange(n_samples)
                        self._random_state.shuffle(permutation)
                        sample_idx = sample_idx[permutation]
                    epoch_rows[:] = train_idx[sample_idx] if early_stopping else sample_idx
                    accumulated_loss = 0.0
                    for first_row in range(0, n_samples, chunk_rows):
                        progress[_backprop.FIRST_ROW] = first_row
                        progress[_backprop.STOP_ROW] = min(first_row + chunk_rows, n_samples)
                        accumulated_loss += train_epoch_inplace(*kernel_args, 0, team.n_threads, team.sync)
                        team.check()
                    if not early_stopping and not incremental:
                        # Diverged: stop now rather than train on NaN to max_iter
                        # (partial_fit's one epoch is checked at its end).
                        # (With early stopping, scikit-learn goes on and ends with
                        # the best weights seen, which are finite.)
                        _check_finite_weights(params)
                    self.n_iter_ += 1
                    self.loss_ = accumulated_loss / n_samples
                    self.t_ += n_samples
                    self.loss_curve_.append(self.loss_)
                    if self.verbose:
                        print("Iteration %d, loss = %.8f" % (self.n_iter_, self.loss_))

                    self._update_no_improvement_count(early_stopping, X_val, y_val, sample_weight_val)
                    optimizer.iteration_ends(self.t_)

                    if self._no_improvement_count > self.n_iter_no_change:
                        if early_stopping:
                            msg = (
                                "Validation score did not improve more than "
                                "tol=%f for %d consecutive epochs." % (self.tol, self.n_iter_no_change)
                            )
                        else:
                            msg = (
                                "Training loss did not improve more than tol=%f"
                                " for %d consecutive epochs." % (self.tol, self.n_iter_no_change)
                            )
                        if optimizer.trigger_stopping(msg, self.verbose):
                            break
                        self._no_improvement_count = 0

                    if incremental:
                        break

                    if self.n_iter_ == self.max_iter:
                        warnings.warn(
                            "Stochastic Optimizer: Maximum iterations (%d) "
                            "reached and the optimization hasn't converged yet." % self.max_iter,
                            ConvergenceWarning,
                        )
        except KeyboardInterrupt:
            warnings.warn("Training interrupted by user.")

        if early_stopping:
            params[:] = self._best_params

    def _update_no_improvement_count(self, early_stopping, X_val, y_val, sample_weight_val):
        if early_stopping:
            val_score = self._score(X_val, y_val, sample_weight=sample_weight_val)
            self.validation_scores_.append(val_score)
            if self.verbose:
                print("Validation score: %f" % self.validation_scores_[-1])
            last_valid_score = self.validation_scores_[-1]
            if last_valid_score < (self.best_validation_score_ + self.tol):
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if last_valid_score > self.best_validation_score_:
                self.best_validation_score_ = last_valid_score
                self._best_params[:] = self._params
        else:
            if self.loss_curve_[-1] > self.best_loss_ - self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if self.loss_curve_[-1] < self.best_loss_:
                self.best_loss_ = self.loss_curve_[-1]

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model to data matrix X and target(s) y.

        Parameters
        ----------
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
            The input data. float32 input trains and predicts in float32.
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The target values (class labels in classification, real numbers in
            regression).
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        self : object
            Returns a trained MLP model.
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=False)

    def _check_solver(self):
        if self.solver not in _STOCHASTIC_SOLVERS:
            raise AttributeError(
                "partial_fit is only available for stochastic optimizers. %s is not stochastic." % self.solver
            )
        return True

    # -- prediction -------------------------------------------------------------

    def _forward_pass_fast(self, X, check_input=True):
        """Output-layer activations for X: (n_samples, n_outputs)."""
        params = self._flat_params(rebind=False)
        if check_input and not self._is_prevalidated(X):
            X = validate_data(self, X, accept_sparse=["csr", "csc"], reset=False)
        dtype = params.dtype
        if X.dtype != dtype:
            # As scikit-learn: float64 input on a float32 model computes in float64.
            dtype = np.result_type(X.dtype, dtype)
            dtype = dtype if dtype in (np.float32, np.float64) else np.dtype(np.float64)
            params = params.astype(dtype)
        is_sparse = sp.issparse(X)
        codes = self._prediction_codes(is_sparse)
        n_samples = X.shape[0]
        X_kernel, csr_arrays, transposed = kernel_inputs(X, dtype)
        if self.__dict__.get("_params") is params:
            layout = self._layout
        else:  # user-assigned coefs_, packed for this call
            layout = ParameterLayout([c.shape[0] for c in self.coefs_] + [self.coefs_[-1].shape[1]])
        layer_units = layout.layer_units
        out = np.empty((n_samples, layer_units[-1]), dtype=dtype)
        workspace = np.empty(min(n_samples, PREDICT_CHUNK_ROWS) * layout.n_hidden_units, dtype=dtype)
        chunk_rows = min(n_samples, PREDICT_CHUNK_ROWS)
        if chunk_rows * layout.largest_layer <= _threads.OPENBLAS_SINGLE_THREAD_MNK:
            limits = contextlib.nullcontext()  # the one-row path: nothing to decide (measured 12 -> 20 us otherwise)
        else:
            limits = _threads.limits(_threads.prediction_blas_threads(layer_units, chunk_rows, is_sparse))
        with limits:
            if transposed:  # Fortran-ordered X: each chunk of rows is copied, not X
                all_finite = True
                for start in range(0, n_samples, chunk_rows):
                    rows = np.ascontiguousarray(X_kernel[:, start : start + chunk_rows].T)
                    all_finite &= predict_inplace(
                        rows, *csr_arrays, params, layer_units, codes, workspace, out[start : start + chunk_rows]
                    )
            else:
                all_finite = predict_inplace(X_kernel, *csr_arrays, params, layer_units, codes, workspace, out)
        if not all_finite:
            # Non-finite values in an input that skipped validation: raise
            # scikit-learn's error, unless its assume_finite setting says not
            # to check, in which case the forward pass ran on them as is.
            validate_data(self, X, reset=False)
        return out

    def _prediction_codes(self, is_sparse):
        """The kernel codes for predicting. Those of dense input are built once
        per fit; they are rebuilt (not stored: predict leaves the estimator
        unchanged) when the activation was changed with set_params after fitting,
        which scikit-learn honours too."""
        key = (self.activation, self.out_activation_, is_sparse)
        cached = self.__dict__.get("_dense_prediction_codes")
        if cached is not None and cached[0] == key:
            return cached[1]
        return self._build_prediction_codes(is_sparse)

    def _build_prediction_codes(self, is_sparse):
        return make_codes(self.activation, self.out_activation_, is_sparse=is_sparse)

    def _is_prevalidated(self, X):
        """True for an input that validate_data would pass through unchanged
        and silently: a C-contiguous 2-D float ndarray of the right width, for
        a model fitted without feature names. Finiteness is checked in the
        kernel. This keeps one-row predictions free of validation overhead."""
        return (
            type(X) is np.ndarray
            and X.ndim == 2
            and X.dtype in (np.float64, np.float32)
            and X.flags.c_contiguous
            and X.shape[0] > 0
            and X.shape[1] == self.n_features_in_
            and "feature_names_in_" not in self.__dict__
        )

    def _score_with_function(self, X, y, sample_weight, score_function):
        """Private score method without input validation."""
        y_pred = self._predict(X, check_input=False)
        if np.issubdtype(y_pred.dtype, np.floating) and not np.isfinite(y_pred).all():
            return np.nan
        return score_function(y, y_pred, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


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
    ):
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
        y = self._label_binarizer.transform(y).astype(bool)
        return X, y

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
        y_pred = self._forward_pass_fast(X, check_input=check_input)
        if self.n_outputs_ == 1:
            y_pred = y_pred.ravel()
        return self._label_binarizer.inverse_transform(y_pred)

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
        with _unchanged_on_error(self):
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
    ):
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
        y_pred = self._forward_pass_fast(X, check_input=check_input)
        if y_pred.shape[1] == 1:
            return y_pred.ravel()
        return y_pred

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
        return X, y

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
