"""How many BLAS threads a fit uses.

``np.dot`` inside the kernels calls SciPy's OpenBLAS. On small matrices its
idle threads spin beside the main thread: measured on the 2-core dev machine,
they made small-batch fits up to 15x slower than one thread. A fit therefore
uses one BLAS thread unless its per-batch GEMMs are large, and never more than
the limit the caller has set (threadpoolctl, joblib workers).
"""

import contextlib

# A batch's forward GEMMs must take at least this many flops
# (2 * batch * sum n_in * n_out) before a second BLAS thread is worth waking.
MIN_FLOPS_PER_BATCH_FOR_THREADS = 5e7

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


def choose_blas_threads(layer_units, batch_rows):
    """1, or every thread the caller allows when one batch's GEMMs are big."""
    flops = 2.0 * batch_rows * sum(a * b for a, b in zip(layer_units[:-1], layer_units[1:]))
    return None if flops >= MIN_FLOPS_PER_BATCH_FOR_THREADS else 1


@contextlib.contextmanager
def blas_threads(layer_units, batch_rows):
    """Limit BLAS threads for the duration of a fit, then restore them."""
    wanted = choose_blas_threads(layer_units, batch_rows)
    if wanted is None:
        yield
        return
    controller = _blas_controller()
    current = [lib.num_threads for lib in controller.lib_controllers]
    if not current or max(current) <= wanted:
        yield
        return
    with controller.limit(limits=wanted):
        yield
