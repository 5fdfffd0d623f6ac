"""Can a fit's BLAS thread limit be scoped to its own threads? (issue "Hard edges", defect 7)

    python benchmarks/blas_limit_scope.py

A background thread calls OpenBLAS's ``openblas_set_num_threads_local(1)``
(OpenBLAS 0.3.27 and later; SciPy's build has it), then the main thread reads
the thread count and times a 1500x1500 GEMM before, during and after. With the
pthreads build SciPy ships, the "local" setting changes the count every
thread sees, and keeps it after the background thread ends: measured here,
main thread 2 -> 1 threads, GEMM 0.065 -> 0.101 s. So fastmlp sets its limit
with threadpoolctl (process-wide, restored when the fit ends) and documents
the effect on other threads in the README.
"""

import ctypes
import threading
import time

import numpy as np
import scipy.linalg.blas as scipy_blas
import threadpoolctl


def scipy_openblas():
    # SciPy's own OpenBLAS (the one the kernels call), not numpy's
    info = [i for i in threadpoolctl.threadpool_info() if i["internal_api"] == "openblas" and "scipy.libs" in i["filepath"]]
    return ctypes.CDLL(info[0]["filepath"]), info[0]


def main():
    lib, info = scipy_openblas()
    get_threads = getattr(lib, "scipy_openblas_get_num_threads", None) or lib.openblas_get_num_threads
    a = np.asfortranarray(np.random.default_rng(0).random((1500, 1500)))

    def gemm_seconds():
        scipy_blas.dgemm(1.0, a, a)
        start = time.perf_counter()
        for _ in range(5):
            scipy_blas.dgemm(1.0, a, a)
        return (time.perf_counter() - start) / 5

    print(f"OpenBLAS {info['version']} ({info['threading_layer']})")
    print(f"main thread before: {get_threads()} threads, GEMM {gemm_seconds():.3f} s")
    limited, release = threading.Event(), threading.Event()

    def background():
        lib.openblas_set_num_threads_local(1)
        limited.set()
        release.wait()

    thread = threading.Thread(target=background)
    thread.start()
    limited.wait()
    print(f"main thread while another set a 'local' limit: {get_threads()} threads, GEMM {gemm_seconds():.3f} s")
    release.set()
    thread.join()
    print(f"main thread after that thread ended: {get_threads()} threads, GEMM {gemm_seconds():.3f} s")


if __name__ == "__main__":
    main()
