"""The base of MLPClassifier and MLPRegressor: parameters, validation of a fit,
the flat parameter buffer behind ``coefs_``.

The Python side follows scikit-learn 1.9's ``sklearn/neural_network/
_multilayer_perceptron.py`` step for step (validation, random draws in the
same order, epochs, early stopping, attributes, messages), so the same
``random_state`` gives the same model. The solvers' loops are in
``_solvers``, prediction in ``_prediction``.
"""

import inspect
from abc import ABC, abstractmethod
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, _fit_context, is_classifier
from sklearn.callback import CallbackSupportMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import _check_sample_weight

from . import _first_tier
from ._activations import HIDDEN_ACTIVATIONS
from ._callbacks import FitCallbacks
from ._data import TrainingData
from ._dropout import dropout_vector
from ._layer_options import dropout_rates, layer_activations
from ._layout import WEIGHT_INITS, ParameterLayout
from ._safeguards import (
    check_finite_weights,
    unchanged_on_error,
    validated_hidden_layer_sizes,
    writeable_copy,
)
from ._schedules import SCHEDULES
from ._prediction import PredictionMixin
from ._solvers import SolverMixin
from ._validation import user_validation_set

_STOCHASTIC_SOLVERS = ["sgd", "adam", "adamw"]


class BaseMultilayerPerceptron(SolverMixin, PredictionMixin, CallbackSupportMixin, BaseEstimator, ABC):
    """Base class for MLP classification and regression.

    Warning: This class should not be used directly. Use derived classes instead.
    """

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(HIDDEN_ACTIVATIONS)), list, tuple],
        "solver": [StrOptions({"lbfgs", "sgd", "adam", "adamw"})],
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
        "weight_init": [StrOptions(set(WEIGHT_INITS))],
        "learning_rate_schedule": [None, StrOptions(set(SCHEDULES)), callable],
        "warmup_iter": [Interval(Integral, 0, None, closed="left")],
        "max_grad_norm": [None, Interval(Real, 0, None, closed="neither")],
        "dropout": [Interval(Real, 0, 1, closed="left"), "array-like"],
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
        # a model pickled before a parameter existed gets its default
        for name, parameter in inspect.signature(type(self).__init__).parameters.items():
            if parameter.default is not inspect.Parameter.empty:
                state.setdefault(name, parameter.default)
        super().__setstate__(state)
        if "coefs_" in self.__dict__:
            self._flat_params()
        if self.__dict__.get("_dense_prediction_codes") is not None:
            # Built again: a pickle of another version may hold codes of
            # another layout (fastmlp 0.1's; or the slots before PARAMETRIC,
            # where a list of activations would be read one layer off), and
            # read-only arrays would compile a specialisation of their own.
            self._dense_prediction_codes = (
                self._prediction_codes_key(is_sparse=False),
                self._build_prediction_codes(is_sparse=False),
            )

    # -- fitting ----------------------------------------------------------------

    def _check_stochastic_options(self):
        if self.solver == "adamw" and self.alpha * self.learning_rate_init >= 1:
            raise ValueError(
                "With solver='adamw', each step multiplies the weights by 1 - learning_rate * "
                f"alpha, which must stay positive: alpha * learning_rate_init is "
                f"{self.alpha * self.learning_rate_init:g}, it must be < 1."
            )
        if self.max_grad_norm is not None and self.solver == "lbfgs":
            raise ValueError(
                "max_grad_norm clips the gradient of each mini-batch step of the stochastic "
                "solvers ('sgd', 'adam', 'adamw'); solver='lbfgs' takes no such steps."
            )
        scheduled = self.learning_rate_schedule is not None or self.warmup_iter > 0
        if scheduled and self.solver == "lbfgs":
            raise ValueError(
                "learning_rate_schedule and warmup_iter apply to the stochastic solvers "
                "('sgd', 'adam', 'adamw'); solver='lbfgs' has no learning rate."
            )
        if scheduled and self.solver == "sgd" and self.learning_rate != "constant":
            raise ValueError(
                f"learning_rate={self.learning_rate!r} is a schedule of its own: with "
                "learning_rate_schedule or warmup_iter, use learning_rate='constant' "
                "(learning_rate_schedule='plateau' is 'adaptive' for every solver)."
            )

    def _label_weight(self, labels, incremental, sample_weight):
        """Per-sample weights the estimator adds to ``sample_weight`` (the
        classifier's ``class_weight``); None for none."""
        return None

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
        params = layout.initialize(self.activation, self._random_state, dtype, self.weight_init)
        self._dropout_seed = None  # drawn by the first fit with dropout
        self._set_flat_params(params, layout)
        self._best_params = self._params.copy()

        if self.solver in _STOCHASTIC_SOLVERS:
            self.loss_curve_ = []
            self.validation_loss_curve_ = [] if self.early_stopping else None
            self._no_improvement_count = 0
            if self.early_stopping:
                self.validation_scores_ = []
                self.best_validation_score_ = -np.inf
                self.best_loss_ = None
            else:
                self.best_loss_ = np.inf
                self.validation_scores_ = None
                self.best_validation_score_ = None

    def _fit(self, X, y, sample_weight=None, incremental=False, validation_set=(None, None, None)):
        # Whatever fails (bad input, a diverging fit, a worker thread), the
        # estimator keeps the weights and state it had before the call.
        continues = "coefs_" in self.__dict__ and (self.warm_start or incremental)
        with unchanged_on_error(self, trains_in_place=continues):
            data, layer_units, first_pass = self._prepare_fit(X, y, sample_weight, incremental)
            validation = user_validation_set(self, *validation_set, data.dtype)

            self._random_state = check_random_state(self.random_state)
            random_state = self._random_state.get_state()
            if first_pass:
                self._initialize(data.Y, layer_units, data.dtype)

            stochastic = self.solver in _STOCHASTIC_SOLVERS
            epochs = (1 if incremental else self.max_iter) if stochastic else self.max_iter + 1
            callbacks = FitCallbacks.start(self, X, y, sample_weight, max_subtasks=epochs)
            tier = _first_tier.choose(self, data, layer_units, incremental, first_pass, validation)
            rows = None
            if tier == "scikit-learn":  # scikit-learn's fit draws the same initial weights again
                self._random_state.set_state(random_state)
                rows = _first_tier.fit_first_tier(self, X, y, sample_weight, data, layer_units)
                if rows is not None:
                    tier = "scikit-learn, then kernels"
            _first_tier.last_fit_tier = tier
            with _first_tier.disabled():  # the kernels' training, validation scores included
                if tier == "kernels" or rows is not None:
                    if stochastic:
                        self._fit_stochastic(data, layer_units, incremental, validation, callbacks, resume_rows=rows)
                    else:
                        self._fit_lbfgs(data, layer_units, callbacks)

            check_finite_weights(self._params)
            if callbacks is not None:
                callbacks.end()
            _first_tier.fit_succeeded()
        self._dense_prediction_codes = (
            self._prediction_codes_key(is_sparse=False),
            self._build_prediction_codes(is_sparse=False),
        )
        return self

    def _prepare_fit(self, X, y, sample_weight, incremental):
        hidden_layer_sizes = validated_hidden_layer_sizes(self.hidden_layer_sizes)
        layer_activations(self.activation, len(hidden_layer_sizes))
        if dropout_rates(self.dropout, len(hidden_layer_sizes)).any() and self.solver == "lbfgs":
            raise ValueError(
                "dropout applies to the mini-batch steps of the stochastic solvers ('sgd', "
                "'adam', 'adamw'); solver='lbfgs' needs a deterministic loss. Use dropout=0."
            )
        self._check_stochastic_options()
        first_pass = not hasattr(self, "coefs_") or (not self.warm_start and not incremental)

        X, y, labels = self._validate_input(X, y, incremental, reset=first_pass)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X)
        label_weight = self._label_weight(labels, incremental, sample_weight)
        if label_weight is not None:  # class_weight, composing with sample_weight
            sample_weight = label_weight if sample_weight is None else sample_weight * label_weight
        if sample_weight is not None and self.solver == "lbfgs" and sample_weight.sum() == 0:
            # L-BFGS divides the loss by this sum (scikit-learn: ZeroDivisionError)
            raise ValueError(
                "The sample weights sum to zero: the loss, a weighted mean over the samples, is undefined."
            )
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
                self._best_params = writeable_copy(self._best_params)
            if "_optimizer" in self.__dict__:
                self._optimizer.make_writeable()
        self.n_outputs_ = y.shape[1]
        return TrainingData(X, y, sample_weight, dtype), layer_units, first_pass

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, *, X_val=None, y_val=None, sample_weight_val=None):
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
        X_val, y_val : array-like, default=None
            A validation set of one's own, as in scikit-learn's
            ``HistGradientBoosting*`` (stochastic solvers only). With
            ``early_stopping=True`` it replaces the internal split (all of X
            trains); without, it is scored after each epoch into
            ``validation_scores_`` and stops nothing. Its loss goes to
            ``validation_loss_curve_`` either way. In a Pipeline, pass
            ``transform_input=["X_val"]`` so that the steps before transform it.

            .. versionadded:: fastmlp 0.2
               fastmlp's own.
        sample_weight_val : array-like of shape (n_val_samples,), default=None
            Sample weights of the validation set.

        Returns
        -------
        self : object
            Returns a trained MLP model.
        """
        return self._fit(
            X, y, sample_weight=sample_weight, incremental=False, validation_set=(X_val, y_val, sample_weight_val)
        )

    def _check_solver(self):
        if self.solver not in _STOCHASTIC_SOLVERS:
            raise AttributeError(
                "partial_fit is only available for stochastic optimizers. %s is not stochastic." % self.solver
            )
        return True

    def _dropout_vector(self):
        """The kernels' dropout vector (``_dropout``): empty without dropout;
        the seed is drawn from the fit's random state when first needed."""
        rates = dropout_rates(self.dropout, self.n_layers_ - 2)
        if rates.any() and self.__dict__.get("_dropout_seed") is None:
            self._dropout_seed = int(self._random_state.randint(np.iinfo(np.int32).max))
        return dropout_vector(rates, self.__dict__.get("_dropout_seed"))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
