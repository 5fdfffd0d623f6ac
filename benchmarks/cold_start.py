"""Cold start: the first fit in a new environment, two checkouts interleaved.

    python benchmarks/cold_start.py --old ../old-main --repeats 3
    python benchmarks/cold_start.py --old ../old-main --cases float64 --profile

Each measure is a fresh process with an empty NUMBA_CACHE_DIR (old and new
checkouts alternate, old first in odd rounds): digits, ``MLPClassifier``
with ``max_iter=5``, and what the compile cost is the first fit minus a
second, identical one. The cases:

- ``float64``: the first fit, default configuration (adam).
- ``float32-after-float64``: a float32 fit in a process that already fitted
  float64 (the second dtype's compile).
- ``lbfgs``: the first fit, ``solver="lbfgs"``.
- ``lbfgs-after-adam``: an lbfgs fit in a process that already fitted adam.
- ``warm``: the first fit of a second process on the cache the first left
  (a load from the on-disk cache, not a compile).
- ``tabular``, ``tabular-warm`` (only when named; the new checkout alone
  when the old has no tabular models): the first fit of a
  ``TabularMLPClassifier`` (float32, the default, a 300-row table with a
  categorical column and missing values, 5 epochs), with an empty cache and
  on the cache a first process left;
- ``every-specialisation`` (only when named): the configurations and input
  layouts of tests/test_compilation.py, each dtype, dense, CSR, read-only
  and Fortran-ordered (every specialisation the test suite compiles), in
  one process: the whole time, compile included.

These cases measure the compile itself: their children run with the first
tier off (``FASTMLP_FIRST_TIER=never``). Prints each case's seconds per run,
medians, and the median of the per-round ratios new/old, then the size of
the cache a float64, float32 and lbfgs fit leave.

``--first-fit`` measures instead what a user waits for on a first fit, the
new checkout alone, the first tier on (its default): in fresh processes,
alternated, the fit's seconds with an empty cache, on the cache a first
process left, and scikit-learn's own estimator's, for ``FIRST_FIT_CASES``
(digits with the defaults; the README's quick start; compare.py's W2, a
50k-row adam fit of 5 epochs, and of 30), with the tier each fit ran on and
when the background compile had finished. ``--profile`` splits the new checkout's cold float64 fit into LLVM
(optimisation and machine code) and Numba's own passes, from Numba's event
stream.
"""

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from checkouts import checkout_path  # noqa: E402

CASES = ("float64", "float32-after-float64", "lbfgs", "lbfgs-after-adam", "warm")
OPTIONAL_CASES = ("every-specialisation", "tabular", "tabular-warm")

# name -> the fit whose seconds the child measures (imports and data not counted)
FIRST_FIT_CASES = {
    "digits": "X, y = load_digits(return_X_y=True); est = MLPClassifier(); est.fit(X, y)",
    "quickstart": "X, y = load_digits(return_X_y=True); "
                  "est = make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(100,), random_state=0)); "
                  "est.fit(X, y)",
    "adam-50k-5": "X, y = workload_data('W2'); est = make_estimator(module, 'W2'); est.fit(X, y)",
    "adam-50k-30": "X, y = workload_data('W2'); est = make_estimator(module, 'W2').set_params(max_iter=30); est.fit(X, y)",
}

FIRST_FIT_CHILD = r"""
import json, sys, time, warnings
sys.path.insert(0, sys.argv[3])
warnings.simplefilter("ignore")
library, statement = sys.argv[1], sys.argv[2]
if library == "fastmlp":
    import fastmlp as module
    from fastmlp import MLPClassifier, _background_compile, _first_tier
else:
    import sklearn.neural_network as module
    from sklearn.neural_network import MLPClassifier
from sklearn.datasets import load_digits
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from workloads import make_estimator, workload_data
import numpy as np
setup, fit = statement.rsplit("; ", 1)
exec(setup)
start = time.perf_counter()
exec(fit)
seconds = time.perf_counter() - start
result = {"seconds": seconds}
if library == "fastmlp":
    result["tier"] = _first_tier.last_fit_tier
    waited = time.perf_counter()
    while _background_compile.cache_directory() is not None and not _background_compile.kernels_ready(np.float64):
        time.sleep(0.1)
        if time.perf_counter() - waited > 120:
            break
    result["compiled_after"] = time.perf_counter() - start
print(json.dumps(result))
"""

CHILD = r"""
import json, sys, time, warnings
from collections import defaultdict
case, profile = sys.argv[1], sys.argv[2] == "1"
if profile:
    from numba.core import event
    recorders = [event.install_recorder(kind) for kind in ("numba:llvm_lock", "numba:run_pass")]
    buffers = [recorder.__enter__() for recorder in recorders]
import fastmlp
from sklearn.datasets import load_digits
X, y = load_digits(return_X_y=True)
warnings.simplefilter("ignore")

def fit(dtype="float64", **params):
    start = time.perf_counter()
    fastmlp.MLPClassifier(max_iter=5, random_state=0, **params).fit(X.astype(dtype), y)
    return time.perf_counter() - start

if case in ("float32-after-float64",):
    fit(), fit()
    first, second = fit("float32"), fit("float32")
elif case == "lbfgs-after-adam":
    fit(), fit()
    first, second = fit(solver="lbfgs"), fit(solver="lbfgs")
elif case == "lbfgs":
    first, second = fit(solver="lbfgs"), fit(solver="lbfgs")
elif case == "every-specialisation":
    import numpy as np, scipy.sparse as sp
    from sklearn.datasets import make_classification
    Xs, ys = make_classification(n_samples=60, n_features=6, random_state=0)
    configs = [
        dict(hidden_layer_sizes=(), activation="identity", solver="sgd"),
        dict(hidden_layer_sizes=(4,), activation="logistic", solver="adam"),
        dict(hidden_layer_sizes=(3,), activation="relu", solver="lbfgs"),
        dict(hidden_layer_sizes=(4, 3), activation=["gelu", "elu"], solver="adam", dropout=[0.1, 0.0]),
        dict(hidden_layer_sizes=(4,), activation="selu", solver="lbfgs"),
    ]
    first = time.perf_counter()
    for dtype in (np.float64, np.float32):
        dense, readonly = Xs.astype(dtype), Xs.astype(dtype)
        readonly.flags.writeable = False
        y_readonly = ys.astype(dtype)
        y_readonly.flags.writeable = False
        for params in configs:
            for data in (dense, sp.csr_matrix(dense), readonly, np.asfortranarray(dense)):
                fastmlp.MLPClassifier(max_iter=2, random_state=0, **params).fit(data, ys).predict_proba(data)
                fastmlp.MLPRegressor(max_iter=2, random_state=0, **params).fit(data, y_readonly)
    first, second = time.perf_counter() - first, 0.0
elif case in ("tabular", "tabular-warm"):
    import numpy as np, pandas as pd
    rng = np.random.RandomState(0)
    table = pd.DataFrame({"x": rng.normal(size=300), "z": np.where(rng.rand(300) < 0.1, np.nan, rng.normal(size=300)),
                          "c": pd.Categorical(rng.choice(list("abcdefghijkl"), 300))})
    target = (table["x"] > 0).to_numpy()

    def tabular_fit():
        start = time.perf_counter()
        fastmlp.TabularMLPClassifier(max_iter=5, random_state=0).fit(table, target).predict(table)
        return time.perf_counter() - start

    first, second = tabular_fit(), tabular_fit()
elif case == "fill":  # every kernel of the cases: for the cache's size
    fit(), fit("float32"), fit(solver="lbfgs")
    first = second = 0.0
else:
    first, second = fit(), fit()
result = {"fastmlp": fastmlp.__file__, "seconds": first - second}
if profile:  # innermost event at each moment: LLVM, or the Numba pass running
    for recorder in recorders:
        recorder.__exit__(None, None, None)
    events = sorted((ts, e) for buffer in buffers for ts, e in buffer.buffer)
    phases, stack, last = defaultdict(float), [], None
    for ts, e in events:
        if stack:
            phases[stack[-1]] += ts - last
        last = ts
        name = "LLVM" if e.kind == "numba:llvm_lock" else e.data["name"].split(" [")[0]
        stack.append(name) if e.is_start else stack.pop()
    result["phases"] = dict(phases)
print(json.dumps(result))
"""


def first_fit(checkout, library, case, cache):
    env = dict(os.environ, NUMBA_CACHE_DIR=cache, PYTHONPATH=str(checkout))
    env.pop("FASTMLP_FIRST_TIER", None)
    command = [sys.executable, "-c", FIRST_FIT_CHILD, library, FIRST_FIT_CASES[case], str(HERE / "benchmarks")]
    out = subprocess.run(command, env=env, capture_output=True, text=True, cwd="/")
    if out.returncode != 0:
        raise SystemExit(f"the benchmark's child process failed:\n{out.stderr.strip()}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure_first_fits(checkout, cases, repeats):
    """The first-fit table: per case, the median seconds of scikit-learn's fit
    and of fastmlp's with an empty and with a warm cache."""
    print("| case | scikit-learn | fastmlp, empty cache | fastmlp, warm cache | first tier, empty cache | compiled after |")
    print("|---|---:|---:|---:|---|---:|")
    for case in cases:
        times = {"sklearn": [], "cold": [], "warm": []}
        tiers, compiled = [], []
        for round_ in range(repeats):
            order = ["sklearn", "cold"] if round_ % 2 == 0 else ["cold", "sklearn"]
            with tempfile.TemporaryDirectory() as cache:
                for label in order:
                    result = first_fit(checkout, "sklearn" if label == "sklearn" else "fastmlp", case, cache)
                    times[label].append(result["seconds"])
                    if label == "cold":
                        tiers.append(result["tier"])
                        compiled.append(result["compiled_after"])
                times["warm"].append(first_fit(checkout, "fastmlp", case, cache)["seconds"])
        medians = {label: statistics.median(values) for label, values in times.items()}
        print(f"| {case} | {medians['sklearn']:.2f} s | {medians['cold']:.2f} s | {medians['warm']:.2f} s | "
              f"{', '.join(sorted(set(tiers)))} | {statistics.median(compiled):.1f} s |", flush=True)  # fmt: skip
        print(f"<!-- {case}: " + "; ".join(f"{k} {', '.join(f'{v:.2f}' for v in vs)}" for k, vs in times.items()) + " -->")


def run(checkout, case, cache, profile=False):
    env = dict(os.environ, NUMBA_CACHE_DIR=cache, PYTHONPATH=str(checkout), FASTMLP_FIRST_TIER="never")
    out = subprocess.run(
        [sys.executable, "-c", CHILD, case, "1" if profile else "0"], env=env, capture_output=True, text=True, cwd="/"
    )
    if out.returncode != 0:
        raise SystemExit(f"the benchmark's child process failed:\n{out.stderr.strip()}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if not result["fastmlp"].startswith(str(checkout)):
        raise SystemExit(f"the child imported fastmlp from {result['fastmlp']}, not from {checkout}")
    return result


def measure(checkout, case, profile=False):
    with tempfile.TemporaryDirectory() as cache:
        if case in ("warm", "tabular-warm"):
            run(checkout, "float64" if case == "warm" else "tabular", cache)
        return run(checkout, case, cache, profile)


def cache_megabytes(checkout):
    with tempfile.TemporaryDirectory() as cache:
        run(checkout, "fill", cache)
        files = [p for p in pathlib.Path(cache).rglob("*") if p.is_file()]
        return sum(p.stat().st_size for p in files) / 1e6, len(files)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--old", help="the checkout to compare against (required but with --first-fit)")
    parser.add_argument("--first-fit", default=None, metavar="CASES",
                        help=f"the first-fit table instead, for these cases ({','.join(FIRST_FIT_CASES)}) or 'all'")  # fmt: skip
    parser.add_argument("--new", default=str(HERE.parent), help="default: this checkout")
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    if args.first_fit:
        cases = list(FIRST_FIT_CASES) if args.first_fit == "all" else args.first_fit.split(",")
        measure_first_fits(checkout_path(args.new), cases, args.repeats)
        return
    if not args.old:
        parser.error("--old is required (but with --first-fit)")
    checkouts = {"old": checkout_path(args.old), "new": checkout_path(args.new)}
    for case in args.cases.split(","):
        if case not in CASES + OPTIONAL_CASES:
            raise SystemExit(f"unknown case {case!r}; the cases are {', '.join(CASES + OPTIONAL_CASES)}")
        labels = ["old", "new"]
        if case.startswith("tabular") and not (checkouts["old"] / "fastmlp" / "_tabular.py").exists():
            labels = ["new"]
        times = {label: [] for label in labels}
        for round_ in range(args.repeats):
            for label in labels if round_ % 2 == 0 else labels[::-1]:
                times[label].append(measure(checkouts[label], case)["seconds"])
        print(f"{case}:")
        for label, values in times.items():
            print(f"  {label}: {', '.join(f'{v:.2f}' for v in values)} s, median {statistics.median(values):.2f} s")
        if len(labels) == 2:
            ratios = [new / old for old, new in zip(times["old"], times["new"])]
            print(f"  new/old, median of paired ratios: {statistics.median(ratios):.3f}")
    for label, path in checkouts.items():
        size, count = cache_megabytes(path)
        print(f"cache of a float64, float32 and lbfgs fit, {label}: {size:.1f} MB in {count} files")
    if args.profile:
        result = measure(checkouts["new"], "float64", profile=True)
        phases = sorted(result["phases"].items(), key=lambda item: -item[1])
        total = sum(result["phases"].values())
        print(f"new, cold float64 fit, {total:.2f} s in compilation:")
        for name, seconds in phases[:8]:
            print(f"  {seconds:6.2f} s  {100 * seconds / total:4.1f}%  {name}")


if __name__ == "__main__":
    main()
