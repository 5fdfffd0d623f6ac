"""How a fit uses the machine's cores: BLAS threads, or a team of threads
that split each batch (``_team``).

``np.dot`` inside the kernels calls SciPy's OpenBLAS. On small matrices a
second BLAS thread costs more than it gives (measured on the 2-core dev
machine: W1 and W4 fits 5-15% slower with two BLAS threads than with one;
the issue's prototype saw up to 15x slower small-batch fits from spinning
BLAS threads). So:

- large per-batch GEMMs: BLAS keeps every thread the caller allows, batches
  run whole;
- small ones: BLAS gets one thread, and each batch is split into row blocks
  (``n_threads``), one per thread of a team, each doing its own small GEMMs;
- never more threads than the caller allows: the BLAS limit already in force
  (threadpoolctl, joblib's workers), ``NUMBA_NUM_THREADS`` and the CPUs the
  process may use (affinity and cgroup quotas, as joblib counts them);
- teams only from the main thread: fits running in several Python threads
  already use the cores.
"""

import contextlib
import functools
import threading

import numba

# A batch's forward GEMMs must take at least this many flops
# (2 * batch * sum n_in * n_out) before a second BLAS thread is worth waking.
MIN_FLOPS_PER_BATCH_FOR_BLAS_THREADS = 5e7

# Below this many rows per thread, splitting a batch costs more than it gives.
MIN_ROWS_PER_PART = 32

# Nor is a split worth it for less work than this per batch (forward GEMM
# flops, dense input): each split batch pays two barriers, the threads'
# imbalance and the weights and gradients crossing cores, about 5 us here.
# Measured on digits, 20 epochs, one thread / two: batch 64 with 100 hidden
# units (0.95 Mflop) 1.15x faster split; batch 64 and 128 with 32 hidden units
# (0.30 and 0.61 Mflop) 0.87x and 0.96x, slower; W1 (3.0 Mflop) 1.5-2x faster.
MIN_FLOPS_PER_BATCH_FOR_TEAM = 8e5

# OpenBLAS runs a GEMM on the calling thread alone when m * n * k is at most
# this (65536 times its GEMM_MULTITHREAD_THRESHOLD, 4).
OPENBLAS_SINGLE_THREAD_MNK = 4 * 65536

_controller = None


def _blas_controller():
    """threadpoolctl's view of the BLAS libraries, built once per process.

    SciPy's BLAS (the one the kernels call) is imported first so that the
    controller sees it.
    """
    global _controller
    if _controller is None:
        import scipy.linalg.cython_blas  # noqa: F401
        from threadpoolctl import ThreadpoolController

        _controller = ThreadpoolController().select(user_api="blas")
    return _controller


def allowed_threads():
    """The most threads the caller lets a fit use."""
    blas = [lib.num_threads for lib in _blas_controller().lib_controllers]
    # Numba's configured thread count (NUMBA_NUM_THREADS) caps the team too;
    # numba.get_num_threads() would start Numba's own thread pool, unused here.
    return max(1, min(blas + [numba.config.NUMBA_NUM_THREADS, _usable_cpus()]))


@functools.lru_cache(maxsize=None)
def _usable_cpus():
    """CPUs this process may use, CPU quotas (cgroups) included, as joblib
    counts them: a team spinning on more threads than that would wait for its
    descheduled members. Read once per process (32 us)."""
    import joblib

    return joblib.cpu_count()


def gemm_flops_per_batch(layer_units, batch_rows, is_sparse=False):
    """Flops of a batch's forward BLAS GEMMs. With sparse input the first
    layer's products are fastmlp's own single-threaded CSR loops, not BLAS."""
    pairs = list(zip(layer_units[:-1], layer_units[1:]))[1 if is_sparse else 0 :]
    return 2.0 * batch_rows * sum(a * b for a, b in pairs)


def plan(layer_units, batch_rows, is_sparse=False, elementwise_heavy=False):
    """``(blas_threads, n_threads)`` for a fit; blas_threads None means 'leave as is'.

    ``elementwise_heavy``: the batch's work besides the GEMMs is too much to
    leave to one thread while BLAS's threads wait (the tabular models' input
    layers, parametric activations and dropout): a team splits the batch
    however large its GEMMs."""
    large = gemm_flops_per_batch(layer_units, batch_rows, is_sparse) >= MIN_FLOPS_PER_BATCH_FOR_BLAS_THREADS
    if large and not elementwise_heavy:
        return None, 1
    if threading.current_thread() is not threading.main_thread():
        return 1, 1
    if not is_sparse and gemm_flops_per_batch(layer_units, batch_rows) < MIN_FLOPS_PER_BATCH_FOR_TEAM:
        return 1, 1
    return 1, max(1, min(allowed_threads(), batch_rows // MIN_ROWS_PER_PART))


def prediction_blas_threads(layer_units, rows, is_sparse=False):
    """BLAS threads for predicting ``rows`` rows at a time: 1 where OpenBLAS
    would wake its threads for GEMMs too small to gain from them, else None.

    Woken OpenBLAS threads keep spinning for a while after the call (about
    0.1 s), taking a core from whatever runs next: scoring between the fits of
    a GridSearchCV made each following fit, whose team needs both cores,
    1.6-4x slower on the 2-core dev machine.
    """
    pairs = list(zip(layer_units[:-1], layer_units[1:]))[1 if is_sparse else 0 :]
    if all(rows * a * b <= OPENBLAS_SINGLE_THREAD_MNK for a, b in pairs):
        return None  # OpenBLAS stays on the calling thread anyway: no limit to set
    if gemm_flops_per_batch(layer_units, rows, is_sparse) >= MIN_FLOPS_PER_BATCH_FOR_BLAS_THREADS:
        return None
    return 1


@contextlib.contextmanager
def limits(blas_threads):
    """BLAS's thread limit of a plan for the duration of a fit (or a
    prediction), then the previous one; None leaves BLAS as it is."""
    if blas_threads is None:
        yield
        return
    controller = _blas_controller()
    if all(lib.num_threads <= blas_threads for lib in controller.lib_controllers):
        yield
    else:
        with controller.limit(limits=blas_threads):
            yield
