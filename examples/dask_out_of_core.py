"""
Training on more rows than memory holds, with Dask
==================================================

An array saved on disk is read by Dask in blocks, each task reading its own
rows from the file (the task graph carries the file's name, never the
data). ``GridSearchCV`` tunes an MLP on a sample, its fits spread over a
``LocalCluster``'s workers through joblib's Dask backend; dask-ml's
``Incremental`` then trains on every row, calling ``partial_fit`` block by
block, and ``ParallelPostFit`` predicts the whole array block by block on the
workers. Needs the ``dask``
extra (``pip install 'fastmlp[dask]'``).

The tests run it small (the default, 120,000 rows). Measured here with
``--rows 5_000_000`` (0.8 GB of float32): two passes over its 100 blocks in
18.6 s, 40 s in all with writing the file; ``--rows 20_000_000`` would
write 3.2 GB to the temporary directory. Each
worker first loads fastmlp's kernels from the on-disk cache (see
``python -m fastmlp precompile`` in the README).
"""

# %%
import argparse
import pathlib
import tempfile
import time
import warnings

import numpy as np

try:
    import dask
    import dask.array as da
    import joblib
    from dask_ml.wrappers import Incremental, ParallelPostFit
    from distributed import Client, LocalCluster
except ImportError:
    print("dask, distributed or dask-ml is not installed: pip install 'fastmlp[dask]' to run this example")
    raise SystemExit(0)
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

from fastmlp import MLPClassifier

N_FEATURES, BLOCK_ROWS = 40, 50_000


def write_dataset(path, n_rows, seed=0):
    """A two-class problem on disk, written block by block: labels from a
    fixed random two-layer network of the features, with 5% label noise."""
    rng = np.random.RandomState(seed)
    W1, W2 = rng.normal(size=(N_FEATURES, 16)), rng.normal(size=16)
    X = np.lib.format.open_memmap(path / "X.npy", mode="w+", dtype=np.float32, shape=(n_rows, N_FEATURES))
    y = np.lib.format.open_memmap(path / "y.npy", mode="w+", dtype=np.int64, shape=(n_rows,))
    for start in range(0, n_rows, BLOCK_ROWS):
        block = rng.normal(size=(min(BLOCK_ROWS, n_rows - start), N_FEATURES)).astype(np.float32)
        labels = (np.tanh(block @ W1) @ W2 > 0).astype(np.int64)
        flip = rng.uniform(size=len(labels)) < 0.05
        X[start : start + len(block)], y[start : start + len(block)] = block, np.where(flip, 1 - labels, labels)
    X.flush(), y.flush()


def read_rows(file, start, stop):
    """Rows start:stop of an .npy file, read where the task runs."""
    return np.asarray(np.load(file, mmap_mode="r")[start:stop])


def on_disk(file, n_rows, dtype, n_columns=None):
    """A Dask array whose blocks each read their rows from ``file``: the
    graph carries the file's name, never its data."""
    blocks = []
    for start in range(0, n_rows, BLOCK_ROWS):
        stop = min(start + BLOCK_ROWS, n_rows)
        shape = (stop - start,) if n_columns is None else (stop - start, n_columns)
        blocks.append(da.from_delayed(dask.delayed(read_rows)(str(file), start, stop), shape=shape, dtype=dtype))
    return da.concatenate(blocks)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=120_000, help="rows of the dataset on disk")
    rows = parser.parse_args().rows
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    with tempfile.TemporaryDirectory() as directory, LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster, Client(cluster):
        path = pathlib.Path(directory)
        write_dataset(path, rows)
        X = on_disk(path / "X.npy", rows, np.float32, N_FEATURES)
        y = on_disk(path / "y.npy", rows, np.int64)
        print(f"{rows} rows x {N_FEATURES} features on disk ({X.nbytes / 1e9:.2f} GB), blocks of {BLOCK_ROWS} rows")

        # Tune on a sample first: GridSearchCV's fits spread over the workers.
        sample = slice(0, min(rows, 20_000))
        X_sample, y_sample = X[sample].compute(), y[sample].compute()
        start = time.perf_counter()
        search = GridSearchCV(
            MLPClassifier((32,), max_iter=30, random_state=0),
            {"alpha": [1e-4, 1e-2], "activation": ["relu", "gelu"]},
            cv=2,
            n_jobs=-1,
        )
        with joblib.parallel_backend("dask"):
            search.fit(X_sample, y_sample)
        print(f"GridSearchCV on the cluster: best {search.best_params_}, accuracy {search.best_score_:.3f}, "
              f"{time.perf_counter() - start:.1f} s")  # fmt: skip

        # Then train on every row, one block in memory at a time.
        start = time.perf_counter()
        model = Incremental(MLPClassifier((32,), random_state=0, **search.best_params_), shuffle_blocks=False)
        for _ in range(2):  # two passes over the data
            model.partial_fit(X, y, classes=[0, 1])
        print(f"Incremental, 2 passes over {X.numblocks[0]} blocks: {time.perf_counter() - start:.1f} s")

        accuracy = (ParallelPostFit(model.estimator_).predict(X) == y).mean().compute()
        print(f"training accuracy over every row, predicted block by block on the workers: {accuracy:.3f}")
