"""Peak memory a fit adds over its input, by input layout, next to scikit-learn's.

    python benchmarks/input_layouts.py [--checkout PATH]

Layouts: a C-ordered array, a Fortran-ordered one, a pandas DataFrame (which
``np.asarray`` gives Fortran-ordered) and a CSR matrix with int32 indices
(SciPy's own), all float32. Each fit (Adam, one epoch, (64,) hidden units)
runs in a fresh process after a small warm-up fit; the input is built before
``tracemalloc`` starts, so the peak is what the fit itself allocates (a copy
of the input shows as its size).
"""

import argparse
import json
import pathlib
import sys
import tracemalloc
import warnings

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from checkouts import run_child  # noqa: E402

LAYOUTS = ("C", "F", "pandas", "CSR int32")
N_ROWS = 400_000


def make_input(layout):
    import numpy as np
    import scipy.sparse as sp

    rng = np.random.RandomState(0)
    y = rng.randint(0, 2, N_ROWS)
    if layout == "CSR int32":
        X = sp.random(N_ROWS, 1000, density=0.02, format="csr", dtype=np.float32, random_state=rng)
        assert X.indices.dtype == np.int32
        return X, y, X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    X = rng.standard_normal((N_ROWS, 64)).astype(np.float32)
    if layout == "F":
        X = np.asfortranarray(X)
    elif layout == "pandas":
        import pandas as pd

        X = pd.DataFrame(np.asfortranarray(X), columns=[f"x{i}" for i in range(64)])
        assert np.asarray(X).flags.f_contiguous
        return X, y, np.asarray(X).nbytes
    return X, y, X.nbytes


def child(library, layout):
    import fastmlp  # noqa: F401 - the parent checks which checkout it came from

    if library == "fastmlp":
        from fastmlp import MLPClassifier
    else:
        from sklearn.neural_network import MLPClassifier
    X, y, nbytes = make_input(layout)
    params = dict(hidden_layer_sizes=(64,), max_iter=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        MLPClassifier(**params).fit(X[:500], y[:500])
        tracemalloc.start()
        MLPClassifier(**params).fit(X, y)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    print(json.dumps({"peak": peak, "input": nbytes, "fastmlp": sys.modules["fastmlp"].__file__}))


def measure(checkout, library, layout):
    return run_child(__file__, ["--child", library, layout], checkout)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkout", default=str(pathlib.Path(__file__).resolve().parent.parent),
                        help="the fastmlp checkout to measure (default: this one)")  # fmt: skip
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    mib = 2.0**20
    print("| input (float32) | input size | fastmlp adds | scikit-learn adds |")
    print("|---|---:|---:|---:|")
    for layout in LAYOUTS:
        ours = measure(args.checkout, "fastmlp", layout)
        theirs = measure(args.checkout, "sklearn", layout)
        print(f"| {layout} | {ours['input'] / mib:.0f} MiB | {ours['peak'] / mib:.1f} MiB | {theirs['peak'] / mib:.1f} MiB |",
              flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
