"""The GEMM floor of a workload: its forward and backward GEMMs alone.

Per mini-batch and layer, ``Z = A_prev @ W`` (forward), ``grad_W = A_prev.T @
delta`` and, above the first layer, ``delta_prev = delta @ W.T`` (backward), at
the workload's real shapes, timed with numpy on one BLAS thread. No
implementation that does this math can train faster on one core.
"""

import time

import numpy as np
from threadpoolctl import threadpool_limits


def epoch_gemm_shapes(layer_units, n_samples, batch_size):
    """[(m, k, n, transpose_a, transpose_b, count)] of one epoch's GEMMs."""
    full, last = divmod(n_samples, batch_size)
    batches = [(batch_size, full)] + ([(last, 1)] if last else [])
    shapes = []
    for rows, count in batches:
        for l, (n_in, n_out) in enumerate(zip(layer_units[:-1], layer_units[1:])):
            shapes.append(((rows, n_in), (n_in, n_out), "forward", count))
            shapes.append(((rows, n_in), (rows, n_out), "grad_W", count))
            if l > 0:
                shapes.append(((rows, n_out), (n_in, n_out), "delta", count))
    return shapes


def measure_gemm_floor(layer_units, n_samples, batch_size, n_epochs, dtype=np.float64, repeats=3):
    """Seconds the workload's GEMMs take on one thread (median of ``repeats``)."""
    rng = np.random.RandomState(0)
    prepared = []
    for a_shape, b_shape, kind, count in epoch_gemm_shapes(layer_units, n_samples, batch_size):
        A = rng.standard_normal(a_shape).astype(dtype)
        B = rng.standard_normal(b_shape).astype(dtype)
        if kind == "forward":
            out = np.empty((a_shape[0], b_shape[1]), dtype)
            prepared.append((A, B, out, count))
        elif kind == "grad_W":
            out = np.empty((a_shape[1], b_shape[1]), dtype)
            prepared.append((A.T, B, out, count))
        else:
            out = np.empty((a_shape[0], b_shape[0]), dtype)
            prepared.append((A, B.T, out, count))
    times = []
    with threadpool_limits(limits=1, user_api="blas"):
        for _ in range(repeats):
            start = time.perf_counter()
            for _ in range(n_epochs):
                for A, B, out, count in prepared:
                    for _ in range(count):
                        np.dot(A, B, out=out)
            times.append(time.perf_counter() - start)
    return float(np.median(times))
