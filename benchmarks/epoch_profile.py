"""Where a fit's time goes per mini-batch: GEMMs, elementwise passes, the
optimizer step, the team's barriers and the Python around the kernel calls.

    python benchmarks/epoch_profile.py --workloads W1,W2,W6

Each component is timed alone on one thread's share of a batch (the rows a
thread of the fit's team gets, the whole batch without a team), in a jitted
loop of many repetitions, so that no Python call is in what is timed:

- ``gemms``: the batch's forward and backward GEMMs alone (``np.dot`` on the
  same shapes and operands' layouts as the kernels: the GEMM floor);
- ``forward`` (GEMMs, bias and activation), ``loss`` (loss and output error
  term), ``backward`` (GEMMs, derivatives, bias gradients): the kernels the
  epoch calls;
- ``gather``: copying the batch's rows of X and Y into the workspace;
- ``step``: the optimizer step on the thread's share of the parameters (the
  update and the sum of squares the L2 penalty needs, in one pass);
- ``team``: two barriers and the sum of the threads' gradients (teams only,
  with the workers in a loop of barriers of their own);
- ``fit``: a whole fit, per batch (with the Python between kernel calls and
  between epochs).

Medians of ``--repeats`` timings, in microseconds per batch.
"""

import argparse
import pathlib
import statistics
import sys
import threading
import time
import warnings

import numba
import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "benchmarks"))
sys.path.insert(0, str(HERE.parent))

import fastmlp  # noqa: E402
from fastmlp import _backprop, _threads  # noqa: E402
from fastmlp._backprop import (  # noqa: E402
    backward_batch_inplace,
    forward_batch_inplace,
    loss_and_output_delta,
    network_offsets,
    optimizer_step_inplace,
)
from fastmlp._team import SYNC_SIZE, Team, barrier, sum_parts_inplace  # noqa: E402
from workloads import make_estimator, workload_data  # noqa: E402


@numba.njit(nogil=True)
def _repeat_gemms(n, Xb, params, layer_units, offsets, acts, deltas, grads):
    n_layers = layer_units.shape[0] - 1
    rows = Xb.shape[0]
    for _ in range(n):
        for l in range(n_layers):
            n_in, n_out = layer_units[l], layer_units[l + 1]
            W = params[offsets[0, l] : offsets[0, l + 1]].reshape((n_in, n_out))
            Z = acts[offsets[2, l] : offsets[2, l] + rows * n_out].reshape((rows, n_out))
            A_prev = Xb if l == 0 else acts[offsets[2, l - 1] : offsets[2, l - 1] + rows * n_in].reshape((rows, n_in))
            np.dot(A_prev, W, Z)
        for l in range(n_layers - 1, -1, -1):
            n_in, n_out = layer_units[l], layer_units[l + 1]
            W = params[offsets[0, l] : offsets[0, l + 1]].reshape((n_in, n_out))
            grad_W = grads[offsets[0, l] : offsets[0, l + 1]].reshape((n_in, n_out))
            delta = deltas[offsets[2, l] : offsets[2, l] + rows * n_out].reshape((rows, n_out))
            A_prev = Xb if l == 0 else acts[offsets[2, l - 1] : offsets[2, l - 1] + rows * n_in].reshape((rows, n_in))
            np.dot(A_prev.T, delta, grad_W)
            if l > 0:
                delta_prev = deltas[offsets[2, l - 1] : offsets[2, l - 1] + rows * n_in].reshape((rows, n_in))
                np.dot(delta, W.T, delta_prev)


@numba.njit(nogil=True)
def _repeat_forward(n, Xb, rows, params, layer_units, codes, offsets, acts, derivs, extras, out):
    no_csr = np.empty(0, dtype=Xb.dtype)
    no_index = np.empty(0, dtype=np.int32)
    transposed = codes[0] < 0
    first_row = np.int64(0)
    for _ in range(n):
        forward_batch_inplace(
            Xb, transposed, no_csr, no_index, no_index, rows, params, layer_units, codes, offsets, acts, derivs,
            extras, first_row, out, None,
        )  # fmt: skip


@numba.njit(nogil=True)
def _repeat_loss(n, Y, A_out, sample_weight, weight_sum, loss_code, eps, delta_out):
    total = 0.0
    for _ in range(n):
        total += loss_and_output_delta(Y, A_out, sample_weight, False, weight_sum, loss_code, eps, True, delta_out)
    return total


@numba.njit(nogil=True)
def _repeat_backward(n, Xb, rows, params, grads, layer_units, codes, offsets, acts, deltas, derivs, extras):
    no_csr = np.empty(0, dtype=Xb.dtype)
    no_index = np.empty(0, dtype=np.int32)
    transposed = codes[0] < 0
    first_row = np.int64(0)
    for _ in range(n):
        backward_batch_inplace(
            Xb, transposed, no_csr, no_index, no_index, rows, params, grads, layer_units, codes, offsets, acts,
            deltas, derivs, extras, first_row, Xb.shape[0], None,
        )  # fmt: skip


@numba.njit(nogil=True)
def _repeat_gather(n, X, Y, rows, Xb, Yb):
    for _ in range(n):
        for i in range(rows.shape[0]):
            r = rows[i]
            for j in range(X.shape[1]):
                Xb[i, j] = X[r, j]
            for k in range(Y.shape[1]):
                Yb[i, k] = Y[r, k]


@numba.njit(nogil=True)
def _repeat_step(n, params, grads, m, v, hyper, n_coefs, l2, lo, hi):
    total = 0.0
    for t in range(n):
        total += optimizer_step_inplace(params, grads, m, v, hyper, n_coefs, l2, lo, hi, 1 + t)
    return total


@numba.njit(nogil=True)
def _repeat_team(n, part_grads, grads, lo, hi, sync, n_threads):
    for _ in range(n):
        barrier(sync, n_threads)
        sum_parts_inplace(part_grads, grads, lo, hi)
        barrier(sync, n_threads)


@numba.njit(nogil=True)
def _repeat_barriers(n, sync, n_threads):
    for _ in range(2 * n):
        barrier(sync, n_threads)


def _seconds_per_call(function, args, repeats, n):
    function(1, *args)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function(n, *args)
        times.append((time.perf_counter() - start) / n)
    return statistics.median(times)


def profile(workload, repeats):
    X, y = workload_data(workload)
    warnings.simplefilter("ignore")
    estimator = make_estimator(fastmlp, workload).set_params(max_iter=2)
    estimator.fit(X, y)
    layer_units = estimator._layout.layer_units
    params = estimator._params.copy()
    dtype = params.dtype
    n_samples = X.shape[0]
    batch = min(200, n_samples) if estimator.batch_size == "auto" else estimator.batch_size
    _, n_threads = _threads.plan(list(layer_units), batch)
    rows = -(-batch // n_threads)
    n_batches = -(-n_samples // batch)
    codes = _backprop.make_codes(
        estimator.activation, estimator.out_activation_, estimator._loss_name(), mean_over_outputs=True
    )
    extras = _backprop.kernel_extras(codes)
    offsets = network_offsets(layer_units, codes, rows)
    n_layers = len(layer_units) - 1
    n_acts = int(offsets[2, n_layers])
    acts, deltas = np.zeros(n_acts, dtype), np.zeros(n_acts, dtype)
    derivs = np.zeros(int(offsets[3, n_layers]), dtype)
    rng = np.random.RandomState(0)
    sample_rows = rng.permutation(n_samples)[:rows].astype(np.int64)
    Y = estimator._label_binarizer.transform(y).astype(dtype) if hasattr(estimator, "_label_binarizer") else y
    Y = np.ascontiguousarray(Y.reshape((n_samples, -1)), dtype=dtype)
    Xb, Yb = np.empty((rows, X.shape[1]), dtype), np.empty((rows, Y.shape[1]), dtype)
    _repeat_gather(1, X, Y, sample_rows, Xb, Yb)
    out_start = int(offsets[2, n_layers - 1])
    A_out = acts[out_start : out_start + rows * Y.shape[1]].reshape((rows, -1))
    delta_out = deltas[out_start : out_start + rows * Y.shape[1]].reshape((rows, -1))
    grads = np.zeros_like(params)
    opt = estimator._optimizer
    m, v, hyper = np.zeros_like(params), np.zeros_like(params) if opt.v.shape[0] else opt.v, opt.hyper.copy()
    n_coefs = int(offsets[0, n_layers])
    lo, hi = 0, -(-params.shape[0] // n_threads)
    eps = float(np.finfo(dtype).eps)
    n = max(20, int(2e9 / (6 * rows * sum(a * b for a, b in zip(layer_units[:-1], layer_units[1:])) + 1)))
    n = min(n, 20000)
    us = {}
    us["gemms"] = _seconds_per_call(_repeat_gemms, (Xb, params, layer_units, offsets, acts, deltas, grads), repeats, n)
    us["forward"] = _seconds_per_call(
        _repeat_forward, (Xb, sample_rows, params, layer_units, codes, offsets, acts, derivs, extras, A_out), repeats, n
    )
    us["loss"] = _seconds_per_call(
        _repeat_loss, (Y[sample_rows], A_out, np.empty(0, dtype), float(batch), int(codes[1]), eps, delta_out),
        repeats, n,
    )  # fmt: skip
    us["backward"] = _seconds_per_call(
        _repeat_backward, (Xb, sample_rows, params, grads, layer_units, codes, offsets, acts, deltas, derivs, extras),
        repeats, n,
    )  # fmt: skip
    us["gather"] = _seconds_per_call(_repeat_gather, (X, Y, sample_rows, Xb, Yb), repeats, n)
    us["step"] = _seconds_per_call(
        _repeat_step, (params.copy(), grads * 1e-3, m, v, hyper, n_coefs, 1e-4 / batch, lo, hi), repeats, n
    )
    if n_threads > 1:
        part_grads = np.zeros((n_threads, params.shape[0]), dtype)
        sync = np.zeros(SYNC_SIZE, dtype=np.int64)
        workers = [
            threading.Thread(target=_repeat_team, args=(repeats * n + 1, part_grads, grads, hi, params.shape[0], sync, 2))
        ]
        for worker in workers:
            worker.start()
        us["team"] = _seconds_per_call(_repeat_team, (part_grads, grads, lo, hi, sync, 2), repeats, n)
        for worker in workers:
            worker.join()
    total = sum(value for key, value in us.items() if key != "gemms")
    us["sum of the parts"] = total

    def fit_seconds_per_batch(max_iter):
        est = make_estimator(fastmlp, workload).set_params(max_iter=max_iter)
        start = time.perf_counter()
        est.fit(X, y)
        return (time.perf_counter() - start) / (max_iter * n_batches)

    epochs = max(1, int(2.0 / (fit_seconds_per_batch(1) * n_batches)))
    us["fit"] = statistics.median(fit_seconds_per_batch(epochs) for _ in range(repeats))
    print(f"{workload}: layers {list(layer_units)}, batch {batch}, {n_threads} thread(s) of {rows} rows, "
          f"{n_batches} batches per epoch, {dtype}")  # fmt: skip
    for key, seconds in us.items():
        print(f"  {key:>18}: {seconds * 1e6:9.1f} us per batch" + (f"  ({seconds / us['fit']:.0%} of the fit)"))
    return us


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--workloads", default="W1,W2,W6")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    for workload in args.workloads.split(","):
        profile(workload, args.repeats)


if __name__ == "__main__":
    main()
