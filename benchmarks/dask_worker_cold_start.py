"""What a fresh Dask worker spends compiling on its first fit, before and after
``client.run(fastmlp.precompile)`` (one LocalCluster worker, an empty
NUMBA_CACHE_DIR; first fit minus second fit on digits, float64).

    python benchmarks/dask_worker_cold_start.py
"""

import os, tempfile, time, warnings
warnings.simplefilter("ignore")

def first_fit_extra():
    import time, warnings
    warnings.simplefilter("ignore")
    import fastmlp
    from sklearn.datasets import load_digits
    X, y = load_digits(return_X_y=True)
    def fit():
        t = time.perf_counter(); fastmlp.MLPClassifier(max_iter=5, random_state=0).fit(X, y).predict(X); return time.perf_counter() - t
    first = fit(); second = fit()
    return first - second

if __name__ == "__main__":
    cache = tempfile.mkdtemp()
    os.environ["NUMBA_CACHE_DIR"] = cache
    from distributed import Client, LocalCluster
    import fastmlp
    def cluster():
        return LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None)
    with cluster() as c, Client(c) as client:
        print(f"fresh worker, empty cache: first fit's extra time {client.submit(first_fit_extra, pure=False).result():.2f} s")
    with cluster() as c, Client(c) as client:
        t = time.perf_counter(); client.run(fastmlp.precompile); print(f"client.run(fastmlp.precompile): {time.perf_counter() - t:.1f} s")
    with cluster() as c, Client(c) as client:
        print(f"fresh worker after precompile: first fit's extra time {client.submit(first_fit_extra, pure=False).result():.2f} s")
