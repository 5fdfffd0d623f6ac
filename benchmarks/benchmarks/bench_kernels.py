"""Kernel benchmarks: the forward pass, backprop, an optimizer step, a fused epoch.

Each calls one compiled kernel on prepared arrays (warmed in setup), so what
is timed is the kernel alone, without estimator validation.
"""

import numpy as np

from fastmlp import _backprop
from fastmlp._layout import ParameterLayout
from fastmlp._optimizers import AdamState, SGDState
from fastmlp._team import SYNC_SIZE

LAYER_UNITS = [100, 256, 128, 10]


def _codes():
    return _backprop.make_codes("relu", "softmax", "log_loss", mean_over_outputs=True)


class _Network:
    def setup(self, dtype, rows):
        rng = np.random.RandomState(0)
        self.layout = ParameterLayout(LAYER_UNITS)
        self.params = self.layout.initialize("relu", rng, dtype)
        self.grads = np.empty_like(self.params)
        self.X = rng.standard_normal((rows, LAYER_UNITS[0])).astype(dtype)
        self.Y = np.eye(LAYER_UNITS[-1], dtype=dtype)[rng.randint(0, LAYER_UNITS[-1], rows)]
        self.codes = _codes()
        self.no_csr = _backprop.no_sparse_input(dtype)
        self.empty, self.index, _ = self.no_csr
        self.no_parts = np.empty((0, self.layout.size), dtype=dtype)
        self.part_sums = np.zeros((1, 8))
        self.extras = None  # scikit-learn's activations, no dropout
        self.alone = (0, 1, np.zeros(SYNC_SIZE, dtype=np.int64))  # tid, n_threads, sync


class ForwardKernel(_Network):
    """``predict_inplace``: forward pass of ``rows`` rows through 100-256-128-10."""

    param_names = ["dtype", "rows"]
    params = (["float64", "float32"], [1, 256, 20000])

    def setup(self, dtype, rows):
        super().setup(dtype, rows)
        self.out = np.empty((rows, LAYER_UNITS[-1]), dtype=dtype)
        chunk = min(rows, _backprop.PREDICT_CHUNK_ROWS)
        self.ws = np.empty(chunk * self.layout.n_hidden_units, dtype=dtype)
        self.time_forward(dtype, rows)

    def time_forward(self, dtype, rows):
        _backprop.predict_inplace(
            self.X, self.empty, self.index, self.index, self.params, self.layout.layer_units,
            self.codes, self.extras, self.ws, self.out, None,
        )  # fmt: skip


class BackpropKernel(_Network):
    """``full_batch_loss_and_grad``: forward, loss, delta backprop and gradients of one batch."""

    param_names = ["dtype", "rows"]
    params = (["float64", "float32"], [16, 256, 4096])

    def setup(self, dtype, rows):
        super().setup(dtype, rows)
        self.ws = np.empty(_backprop.layers_workspace_size(LAYER_UNITS, self.codes, rows), dtype=dtype)
        self.time_loss_and_grad(dtype, rows)

    def time_loss_and_grad(self, dtype, rows):
        _backprop.full_batch_loss_and_grad(
            self.X, self.no_csr, self.Y, self.empty, self.params, self.grads, self.no_parts, self.part_sums,
            self.layout.layer_units, self.codes, self.extras, 0, 1e-4, 1e-16, self.ws, None, *self.alone,
        )  # fmt: skip


class OptimizerStep:
    """``optimizer_step_inplace`` over every parameter of 100-256-128-10."""

    param_names = ["optimizer", "dtype"]
    params = (["sgd", "adam"], ["float64", "float32"])

    def setup(self, optimizer, dtype):
        from fastmlp._optimizers import optimizer_step_inplace

        self.step = optimizer_step_inplace
        layout = ParameterLayout(LAYER_UNITS)
        rng = np.random.RandomState(0)
        self.params = layout.initialize("relu", rng, dtype)
        self.grads = rng.standard_normal(layout.size).astype(dtype) * 1e-3
        self.n_coefs = int(layout.coef_offsets[-1])
        if optimizer == "sgd":
            self.state = SGDState(layout.size, dtype, 1e-3, "constant", 0.9, True, 0.5)
        else:
            self.state = AdamState(layout.size, dtype, 1e-3, 0.9, 0.999, 1e-8)
        self.time_step(optimizer, dtype)

    def time_step(self, optimizer, dtype):
        self.step(
            self.params, self.grads, self.state.m, self.state.v, self.state.hyper, self.n_coefs, 1e-6,
            0, self.params.shape[0], 1.0,
        )  # fmt: skip


class EpochKernel(_Network):
    """``train_epoch_inplace``: one fused Adam epoch of 20000 rows in batches of ``batch``."""

    param_names = ["dtype", "batch"]
    params = (["float64", "float32"], [16, 256])

    def setup(self, dtype, batch):
        super().setup(dtype, 20000)
        self.batch = batch
        self.state = AdamState(self.layout.size, dtype, 1e-3, 0.9, 0.999, 1e-8)
        self.ws = np.empty(_backprop.training_workspace_size(LAYER_UNITS, self.codes, batch, False), dtype=dtype)
        self.order = np.random.RandomState(1).permutation(20000)
        self.whole_epoch = np.zeros(_backprop.N_PROGRESS)
        self.whole_epoch[_backprop.STOP_ROW] = 20000
        self.time_epoch(dtype, batch)

    def time_epoch(self, dtype, batch):
        _backprop.train_epoch_inplace(
            self.X, self.no_csr, self.Y, self.empty, self.order, self.batch, self.params, self.grads,
            self.no_parts, self.part_sums, (self.state.m, self.state.v, self.state.hyper),
            self.layout.layer_units, self.codes, self.extras, 1e-4, 1e-16, self.ws, self.whole_epoch,
            None, *self.alone,
        )  # fmt: skip
