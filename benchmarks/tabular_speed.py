"""Where a tabular model's epoch goes, against its GEMM floor.

    python benchmarks/tabular_speed.py [--rows 50000] [--repeats 5]

The network of ``TabularMLP*``'s defaults (three hidden layers of 256) on a
synthetic table of ``--rows`` rows: 24 numeric columns (one with missing
values), a categorical column of 5 levels (one-hot) and one of 60 (an
embedding): 24 * 4 PBLD inputs + 24 values + the one-hot and the indicator
+ 8 embedding columns. Per epoch, in one process, interleaved:

- ``fit``: the model's epoch (the difference of a 4-epoch and a 2-epoch fit,
  halved, so that the encoding, the initialisation and Python's part of a
  fit are left out; the validation rows' forward pass per epoch included);
- the same in float64, and on one thread (threadpoolctl's limit of 1);
- the GEMM floor: the epoch's forward and backward GEMMs alone (numpy, the
  same shapes, the input layer's ``dX0`` product included), on one BLAS
  thread and on two, in float32;
- the epoch with parts of the recipe off (no PBLD, no parametric
  activations, no dropout): where the rest of the time goes.

Medians of ``--repeats`` rounds, milliseconds per epoch and ratios.
"""

import argparse
import statistics
import sys
import time
import warnings

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent.parent))

import fastmlp  # noqa: E402


def table(n_rows, seed=0):
    rng = np.random.RandomState(seed)
    X = pd.DataFrame(rng.normal(size=(n_rows, 24)), columns=[f"x{j}" for j in range(24)])
    X.loc[rng.rand(n_rows) < 0.05, "x3"] = np.nan
    X["small"] = pd.Categorical(rng.choice(list("abcde"), n_rows))
    X["large"] = pd.Categorical(rng.choice([f"c{k}" for k in range(60)], n_rows))
    y = (X["x0"] + np.sin(3 * X["x1"]) + (X["small"] == "a") + rng.normal(scale=0.5, size=n_rows) > 0.5).astype(int)
    return X, y.to_numpy()


def epoch_seconds(X, y, **params):
    """Seconds of one epoch: (fit of 4 epochs - fit of 2) / 2."""
    times = {}
    for epochs in (2, 4):
        model = fastmlp.TabularMLPClassifier(max_iter=epochs, random_state=0, **params)
        start = time.perf_counter()
        model.fit(X, y)
        times[epochs] = time.perf_counter() - start
    return (times[4] - times[2]) / 2, model


def gemm_floor(model, n_train, dtype, threads):
    """Seconds of an epoch's GEMMs alone: per batch, forward ``A W``, backward
    ``A^T delta`` and ``delta W^T`` of every layer, the first layer's ``dX0``
    included; whole batches only, as the fit trains."""
    units = model._network.layout.layer_units
    batch = min(256, n_train)
    rng = np.random.RandomState(0)
    A = [rng.rand(batch, u).astype(dtype) for u in units]
    W = [rng.rand(a, b).astype(dtype) for a, b in zip(units[:-1], units[1:])]
    G = [np.empty_like(w) for w in W]
    D = [np.empty((batch, u), dtype) for u in units]

    def one_batch():
        for l, w in enumerate(W):
            np.dot(A[l], w, A[l + 1])
        for l in range(len(W) - 1, -1, -1):
            np.dot(A[l].T, A[l + 1], G[l])
            np.dot(A[l + 1], W[l].T, D[l])

    with threadpool_limits(threads, user_api="blas"):
        for _ in range(5):
            one_batch()
        start = time.perf_counter()
        for _ in range(20):
            one_batch()
        per_batch = (time.perf_counter() - start) / 20
    return per_batch * (n_train // batch)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=50000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    X, y = table(args.rows)
    warnings.simplefilter("ignore")
    variants = {
        "fit (float32, defaults)": {},
        "fit, float64": dict(dtype="float64"),
        "fit, one thread": "one thread",
        "fit, no PBLD": dict(numerical_embedding=None),
        "fit, no parametric activations": dict(parametric_activation=False),
        "fit, no dropout": dict(dropout=0.0),
    }
    seconds = {name: [] for name in variants}
    floors = {"GEMM floor, 1 BLAS thread": [], "GEMM floor, 2 BLAS threads": []}
    model = None
    for name, params in variants.items():  # compile and warm every variant first
        epoch_seconds(X.iloc[:2000], y[:2000], **({} if params == "one thread" else params))
    for round_ in range(args.repeats):
        for name, params in variants.items():
            if params == "one thread":
                with threadpool_limits(1):
                    elapsed, _ = epoch_seconds(X, y)
            else:
                elapsed, fitted = epoch_seconds(X, y, **params)
                model = fitted if not params else model
            seconds[name].append(elapsed)
        n_train = int(np.ceil(0.8 * args.rows))
        floors["GEMM floor, 1 BLAS thread"].append(gemm_floor(model, n_train, np.float32, 1))
        floors["GEMM floor, 2 BLAS threads"].append(gemm_floor(model, n_train, np.float32, 2))
    floor = statistics.median(floors["GEMM floor, 1 BLAS thread"])
    fit = statistics.median(seconds["fit (float32, defaults)"])
    units = model._network.layout.layer_units.tolist()
    print(f"{args.rows} rows ({int(np.ceil(0.8 * args.rows))} training), network {units}, medians of {args.repeats}\n")
    print("| per epoch | ms | vs the fit | vs GEMM floor (1 thread) |\n|---|---:|---:|---:|")
    for name, values in {**seconds, **floors}.items():
        value = statistics.median(values)
        print(f"| {name} | {value * 1e3:.1f} | {value / fit:.2f}x | {value / floor:.2f}x |")


if __name__ == "__main__":
    main()
