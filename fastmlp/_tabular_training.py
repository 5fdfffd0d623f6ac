"""The tabular models' training: epochs of the fused kernel with RealMLP-TD's
schedules evaluated at every step, and the weights of the best epoch on the
validation rows kept.

Each epoch shuffles the training rows and trains on whole batches only (the
remainder of the shuffle is left out, as pytabkit's loader drops it); the
learning rate, the weight decay and the dropout rates of each step are their
base values times their schedules' factors at that step
(``_schedules.STEP_SCHEDULES``), computed here for the epoch's batches and
read by the kernel per batch. After each epoch the validation rows are
predicted (no dropout) and scored; the weights of the epoch with the highest
validation score (accuracy, or R^2: the lowest classification error or RMSE,
as pytabkit picks them), the latest of ties, are the model's at the end.
"""

import math
import warnings

import numpy as np

from . import _backprop, _threads
from ._backprop import train_epoch_inplace, training_workspace_size
from ._forward import PREDICT_CHUNK_ROWS, no_sparse_input, prediction_workspace_size, predict_inplace
from ._optimizers import DROPOUT_FACTOR, LEARNING_RATE_FACTOR, WEIGHT_DECAY_FACTOR, AdamState
from ._safeguards import rows_between_interrupt_checks
from ._schedules import step_factors
from ._team import Team


def network_output(network, codes, params, X):
    """The output layer of ``network`` for the encoded rows ``X`` (C-contiguous,
    of ``params``' dtype), without dropout: (n_rows, n_outputs)."""
    layer_units = network.layout.layer_units
    out = np.empty((X.shape[0], layer_units[-1]), dtype=params.dtype)
    rows = max(1, min(X.shape[0], PREDICT_CHUNK_ROWS))
    workspace = np.empty(prediction_workspace_size(layer_units, codes, network.spec, rows), dtype=params.dtype)
    with _threads.limits(_threads.prediction_blas_threads(layer_units, rows)):
        predict_inplace(X, *no_sparse_input(params.dtype), params, layer_units, codes, np.empty(0), workspace, out,
                        network.spec)  # fmt: skip
    return out


class TabularTraining:
    """One fit's training state: the kernel's arguments, the optimizer, the
    epochs' schedules.

    ``data``: encoded training rows ``X`` (C-contiguous), targets ``Y`` (the
    output layer's: smoothed one-hot or standardised), ``sample_weight`` (or
    None). ``measure(out)`` turns the network's output on the validation rows
    into ``(selection, score, loss)``, the selection to maximise (None: no
    validation, the last epoch's weights are kept).
    """

    def __init__(self, estimator, network, codes, params, X, Y, sample_weight, dropout):
        self.estimator, self.network, self.codes, self.params = estimator, network, codes, params
        n_samples = X.shape[0]
        dtype = params.dtype
        self.batch_size = min(int(estimator.batch_size), n_samples)
        self.n_batches = n_samples // self.batch_size
        self.rows_per_epoch = self.n_batches * self.batch_size
        self.total_steps = self.n_batches * int(estimator.max_iter)
        layer_units = network.layout.layer_units
        self.blas_threads, n_threads = _threads.plan(layer_units, self.batch_size, elementwise_heavy=True)
        self.optimizer = AdamState(
            params.shape[0], dtype, estimator.learning_rate, estimator.beta_1, estimator.beta_2, estimator.epsilon,
            weight_decay=estimator.weight_decay,
        )  # fmt: skip
        self.epoch_rows = np.empty(n_samples, dtype=np.int64)
        self.progress = np.zeros(_backprop.N_PROGRESS)
        self.step_factors = np.zeros((self.n_batches, 3))
        self.chunk_rows = rows_between_interrupt_checks(layer_units, self.batch_size)
        groups, group_factors = network.groups()
        sw = np.empty(0, dtype=dtype) if sample_weight is None else np.ascontiguousarray(sample_weight, dtype=dtype)
        workspace_size = training_workspace_size(
            layer_units, codes, self.batch_size, False, n_threads, spec=network.spec, x_width=X.shape[1]
        )  # fmt: skip
        self.n_threads = n_threads
        self.kernel_args = (
            X, no_sparse_input(dtype), Y, sw, self.epoch_rows, self.batch_size, params, np.empty_like(params),
            np.empty((n_threads if n_threads > 1 else 0, params.shape[0]), dtype=dtype), np.zeros((n_threads, 8)),
            (self.optimizer.m, self.optimizer.v, self.optimizer.hyper), layer_units, codes, dropout, 0.0,
            float(np.finfo(dtype).eps), np.empty(workspace_size, dtype=dtype), self.progress,
        )  # fmt: skip
        self.tabular = (network.spec, groups, group_factors, self.step_factors)

    def _set_step_factors(self, epoch):
        est = self.estimator
        first = epoch * self.n_batches
        self.step_factors[:, LEARNING_RATE_FACTOR] = step_factors(
            est.learning_rate_schedule, first, self.n_batches, self.total_steps
        )  # fmt: skip
        regularization = step_factors(est.regularization_schedule, first, self.n_batches, self.total_steps)
        self.step_factors[:, WEIGHT_DECAY_FACTOR] = regularization
        self.step_factors[:, DROPOUT_FACTOR] = regularization

    def run(self, random_state, measure=None, validation_X=None, callbacks=None):
        """Train ``max_iter`` epochs (or until a callback stops the fit, Ctrl-C
        or a non-finite loss); returns a ``Curves``, the params left at the
        best epoch's (the last one's without validation or with
        ``select_best_epoch`` off; the initial ones if no epoch scored).
        ``measure(out)`` gives ``(selection, score, loss)`` of the validation
        rows: the best epoch has the highest ``selection``."""
        est, params = self.estimator, self.params
        curves = Curves()
        loss_curve, validation_scores, validation_losses = curves.loss, curves.scores, curves.losses
        best_selection = -math.inf
        best_params = params.copy()
        rows_seen = 0
        width, n_outputs = self.kernel_args[0].shape[1], self.network.layout.layer_units[-1]
        if measure is None:
            validation_X = np.empty((0, width), params.dtype)
        validation_X = np.ascontiguousarray(validation_X, params.dtype)
        validation_out = np.empty((validation_X.shape[0], n_outputs), dtype=params.dtype)
        kernel_args = (*self.kernel_args, (*self.tabular, validation_X, validation_out))
        try:
            with _threads.limits(self.blas_threads), Team(self.n_threads) as team:
                team.start(_backprop.train_epoch_inplace, kernel_args)
                for epoch in range(int(est.max_iter)):
                    if callbacks is not None:
                        callbacks.epoch_begins()
                    order = random_state.permutation(self.epoch_rows.shape[0])
                    self.epoch_rows[:] = order
                    self._set_step_factors(epoch)
                    self.progress[_backprop.ROWS_BEFORE] = rows_seen
                    accumulated_loss = 0.0
                    for first_row in range(0, self.rows_per_epoch, self.chunk_rows):
                        self.progress[_backprop.FIRST_ROW] = first_row
                        self.progress[_backprop.STOP_ROW] = min(first_row + self.chunk_rows, self.rows_per_epoch)
                        accumulated_loss += train_epoch_inplace(*kernel_args, 0, team.n_threads, team.sync)
                        team.check()
                    rows_seen += self.rows_per_epoch
                    loss_curve.append(accumulated_loss / self.rows_per_epoch)
                    if est.verbose:
                        print("Epoch %d, loss = %.8f" % (epoch + 1, loss_curve[-1]))
                    if not math.isfinite(loss_curve[-1]):
                        loss_curve.pop()  # diverged: the best epoch's weights stay
                        curves.diverged = True
                        break
                    if measure is not None:  # the team predicts the validation rows (_validation_pass)
                        self.progress[_backprop.VALIDATE] = 1
                        train_epoch_inplace(*kernel_args, 0, team.n_threads, team.sync)
                        self.progress[_backprop.VALIDATE] = 0
                        team.check()
                        selection, score, loss = measure(validation_out)
                        validation_scores.append(score)
                        validation_losses.append(loss)
                        if est.verbose:
                            print("Validation score: %f" % score)
                        # the latest of equal epochs, as pytabkit; NaN never
                        if est.select_best_epoch and selection >= best_selection:
                            best_selection, curves.best_epoch = selection, epoch + 1
                            best_params[:] = params
                    if callbacks is not None and callbacks.epoch_ends():
                        break
        except KeyboardInterrupt:
            warnings.warn("Training interrupted by user.")
            curves.interrupted = True
        if measure is not None and est.select_best_epoch:
            params[:] = best_params
        else:
            curves.best_epoch = len(loss_curve)
        return curves


class Curves:
    """What one network's training recorded: per epoch its training loss and
    the validation rows' score and loss; the epoch whose weights it kept;
    whether Ctrl-C or a non-finite loss ended it."""

    def __init__(self):
        self.loss, self.scores, self.losses = [], [], []
        self.best_epoch = 0
        self.interrupted = self.diverged = False
