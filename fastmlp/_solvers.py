"""The solvers' training loops: L-BFGS over the full-batch loss, and epochs of
mini-batch SGD or Adam with scikit-learn's stopping rules.

A mixin of ``BaseMultilayerPerceptron``: the loops read and write the
estimator's attributes exactly as scikit-learn's ``_fit_lbfgs`` and
``_fit_stochastic`` do, and hand every epoch to the fused kernel
(``_backprop.train_epoch_inplace``) in calls of a few batches each.
"""

import math
import warnings

import numpy as np
import scipy.optimize
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.fixes import _get_additional_lbfgs_options_dict
from sklearn.utils.optimize import _check_optimize_result

from . import _backprop, _threads
from ._backprop import (
    full_batch_loss_and_grad,
    kernel_extras,
    layers_workspace_size,
    train_epoch_inplace,
    training_workspace_size,
)
from ._optimizers import make_optimizer_state
from ._safeguards import (
    check_finite_weights,
    rows_between_interrupt_checks,
)
from ._team import Team

# scipy.optimize.minimize ends L-BFGS-B when its callback raises StopIteration
# from scipy 1.11; before, a callback's request to stop is not honoured.
SCIPY_STOPS_ON_STOP_ITERATION = tuple(int(part) for part in scipy.__version__.split(".")[:2]) >= (1, 11)
from ._validation import split_validation_set


class SolverMixin:
    """``_fit_lbfgs`` and ``_fit_stochastic`` of the estimators."""

    def _fit_lbfgs(self, data, layer_units, callbacks=None):
        params = self._params
        grads = np.empty_like(params)
        n_samples = data.n_samples
        blas_threads, n_threads = _threads.plan(layer_units, n_samples, data.is_sparse)
        if data.transposed:
            n_threads = 1  # the row blocks of a transposed X are not contiguous
        part_grads = np.empty((n_threads if n_threads > 1 else 0, params.shape[0]), dtype=data.dtype)
        rows_per_thread = -(-n_samples // n_threads)
        codes = data.codes(self)
        workspace = np.empty(n_threads * layers_workspace_size(layer_units, codes, rows_per_thread), dtype=data.dtype)
        kernel_args = (
            data.X, data.csr_arrays, data.Y, data.sample_weight, params, grads,
            part_grads, np.zeros((n_threads, 8)), self._layout.layer_units, codes, kernel_extras(codes), 0,
            float(self.alpha), float(np.finfo(data.dtype).eps), workspace, None,
        )  # fmt: skip
        iprint = 1 if (self.verbose is True or self.verbose >= 1) else -1
        with _threads.limits(blas_threads), Team(n_threads) as team:
            team.start(_backprop.full_batch_loss_and_grad, kernel_args)

            def loss_and_grad(packed):
                params[:] = packed
                loss = full_batch_loss_and_grad(*kernel_args, 0, team.n_threads, team.sync)
                team.check()
                return loss, grads.astype(np.float64)

            iteration_ends = None
            if callbacks is not None:  # an iteration is an epoch

                def iteration_ends(x):
                    params[:] = x
                    if callbacks.epoch_ends() and SCIPY_STOPS_ON_STOP_ITERATION:
                        raise StopIteration  # a callback asked to stop
                    callbacks.epoch_begins(task_name="lbfgs-iter")

                callbacks.epoch_begins(task_name="lbfgs-iter")
            opt_res = scipy.optimize.minimize(
                loss_and_grad,
                params.astype(np.float64),
                method="L-BFGS-B",
                jac=True,
                callback=iteration_ends,
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

    def _fit_stochastic(self, data, layer_units, incremental, validation=None, callbacks=None, resume_rows=None):
        """``resume_rows``: scikit-learn's estimator (the first tier, see
        ``_first_tier``) trained the first epochs and handed over at the end
        of one, with this order of the rows; its optimizer state and counters
        are kept, and that epoch's end (learning-rate update, stopping) runs here."""
        params = self._params
        resuming = resume_rows is not None
        if not resuming and (not incremental or not hasattr(self, "_optimizer")):
            self._optimizer = make_optimizer_state(self, params.shape[0], params.dtype)
        optimizer = self._optimizer
        optimizer.set_schedule(self.learning_rate_schedule, self.warmup_iter, self.max_iter)
        optimizer.set_max_grad_norm(self.max_grad_norm)
        optimizer.set_weight_decay(self.alpha)

        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        dropout = self._dropout_vector()
        early_stopping = self.early_stopping
        if validation is None and early_stopping:
            train_idx, validation = split_validation_set(self, data)
        else:
            train_idx = np.arange(data.n_samples)
        if validation is None:
            self.validation_loss_curve_ = None  # a warm fit without one: no stale curve
        elif self.validation_loss_curve_ is None:
            self.validation_loss_curve_ = []
        if validation is not None and not early_stopping and self.validation_scores_ is None:
            self.validation_scores_ = []  # scored, stopping nothing
        split = early_stopping and train_idx.shape[0] < data.n_samples

        n_samples = train_idx.shape[0]
        sample_idx = resume_rows if resuming else np.arange(n_samples, dtype=int)
        if self.batch_size == "auto":
            batch_size = min(200, n_samples)
        else:
            if self.batch_size > n_samples and not resuming:  # (the first tier's estimator said it)
                warnings.warn(
                    "Got `batch_size` less than 1 or larger than sample size. It is going to be clipped"
                )
            batch_size = int(np.clip(self.batch_size, 1, n_samples))

        blas_threads, n_threads = _threads.plan(layer_units, batch_size, data.is_sparse)
        # AdamW decays the weights in its step instead (its loss has no L2 term)
        # (the state's kind decides: a partial_fit keeps the optimizer it started with)
        coupled_l2 = 0.0 if optimizer.decoupled_weight_decay else float(self.alpha)
        epoch_rows = np.empty(n_samples, dtype=np.int64)
        progress = np.zeros(_backprop.N_PROGRESS)
        chunk_rows = rows_between_interrupt_checks(layer_units, batch_size)
        codes = data.codes(self)
        kernel_args = (
            data.X, data.csr_arrays, data.Y, data.sample_weight, epoch_rows,
            batch_size, params, np.empty_like(params),
            np.empty((n_threads if n_threads > 1 else 0, params.shape[0]), dtype=params.dtype),
            np.zeros((n_threads, 8)), (optimizer.m, optimizer.v, optimizer.hyper),
            self._layout.layer_units, codes, kernel_extras(codes, dropout), coupled_l2, float(np.finfo(params.dtype).eps),
            np.empty(training_workspace_size(layer_units, codes, batch_size, data.is_sparse, n_threads), dtype=params.dtype),
            progress, None,
        )  # fmt: skip

        try:
            with _threads.limits(blas_threads), Team(n_threads) as team:
                team.start(_backprop.train_epoch_inplace, kernel_args)
                if not resuming:
                    self.n_iter_ = 0
                first_epoch = self.n_iter_
                if resuming and self._end_of_epoch(optimizer, callbacks, early_stopping, incremental):
                    first_epoch = self.max_iter  # the epoch handed over ended the fit
                for _ in range(first_epoch, self.max_iter):
                    if callbacks is not None:
                        callbacks.epoch_begins()
                    optimizer.begin_epoch()
                    if self.shuffle:
                        # sklearn.utils.shuffle(sample_idx, random_state=rng) draws exactly
                        # this; called directly it cost ~200 us per epoch (10% of W1's fit).
                        permutation = np.arange(n_samples)
                        self._random_state.shuffle(permutation)
                        sample_idx = sample_idx[permutation]
                    epoch_rows[:] = train_idx[sample_idx] if split else sample_idx
                    accumulated_loss = 0.0
                    progress[_backprop.ROWS_BEFORE] = self.t_  # dropout counts the rows from here
                    for first_row in range(0, n_samples, chunk_rows):
                        progress[_backprop.FIRST_ROW] = first_row
                        progress[_backprop.STOP_ROW] = min(first_row + chunk_rows, n_samples)
                        accumulated_loss += train_epoch_inplace(*kernel_args, 0, team.n_threads, team.sync)
                        team.check()
                    if not (early_stopping or incremental or math.isfinite(accumulated_loss)):
                        # Diverged: stop now rather than train on NaN to max_iter.
                        # Non-finite weights make the loss non-finite (NaN
                        # propagates through relu too), so the loss is checked
                        # first: checking the weights every epoch cost W1 5-9%
                        # (interleaved fits, medians of 9-11). partial_fit's one
                        # epoch is checked at its end; with early stopping,
                        # scikit-learn goes on and ends with the best weights
                        # seen, which are finite.
                        check_finite_weights(params)
                    self.n_iter_ += 1
                    self.loss_ = accumulated_loss / n_samples
                    self.t_ += n_samples
                    self.loss_curve_.append(self.loss_)
                    if self.verbose:
                        print("Iteration %d, loss = %.8f" % (self.n_iter_, self.loss_))

                    val_score = None
                    if validation is not None:
                        val_score, val_loss = validation.measure(self)
                        self.validation_loss_curve_.append(val_loss)
                    self._update_no_improvement_count(early_stopping, val_score)
                    if self._end_of_epoch(optimizer, callbacks, early_stopping, incremental):
                        break
        except KeyboardInterrupt:
            warnings.warn("Training interrupted by user.")

        if early_stopping:
            params[:] = self._best_params

    def _end_of_epoch(self, optimizer, callbacks, early_stopping, incremental):
        """The learning rate's update and scikit-learn's stopping rules after
        an epoch; True to stop."""
        optimizer.iteration_ends(self.t_)
        if callbacks is not None and callbacks.epoch_ends():
            return True  # a callback asked to stop
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
                return True
            self._no_improvement_count = 0
        if incremental:
            return True
        if self.n_iter_ == self.max_iter:
            warnings.warn(
                "Stochastic Optimizer: Maximum iterations (%d) "
                "reached and the optimization hasn't converged yet." % self.max_iter,
                ConvergenceWarning,
            )
        return False

    def _update_no_improvement_count(self, early_stopping, val_score):
        if early_stopping:
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
            if val_score is not None:  # the user's validation set, without early stopping
                self.validation_scores_.append(val_score)
            if self.loss_curve_[-1] > self.best_loss_ - self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if self.loss_curve_[-1] < self.best_loss_:
                self.best_loss_ = self.loss_curve_[-1]
