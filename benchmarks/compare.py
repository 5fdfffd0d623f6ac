"""Side-by-side speed comparison: fastmlp, scikit-learn and (when installed) PyTorch.

    python benchmarks/compare.py                 # every workload, median of 3
    python benchmarks/compare.py --repeats 5 --workloads W1,W6

Every fit runs in a fresh process after a warm-up fit in that process (which
compiles or loads fastmlp's kernels, and pages in the data), implementations
interleaved, and the median of ``--repeats`` runs is reported next to the
training score each reached. The GEMM floor of each workload (its forward and
backward GEMMs alone, numpy on one thread, at the real shapes) is measured in
the same run. Writes ``benchmarks/results/compare.json``, ``compare.md`` and
``compare.png``, and replaces the generated section of README.md.
"""

import argparse
import datetime
import json
import os
import pathlib
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from benchmarks.bench_compilation import run_fresh_interpreter  # noqa: E402
from benchmarks.gemm_floor import measure_gemm_floor  # noqa: E402
from benchmarks.workloads import WORKLOADS, layer_units, make_estimator, workload_data  # noqa: E402

RESULTS = HERE / "results"
README = HERE.parent / "README.md"
README_START = "<!-- compare.py: start of generated section -->"
README_END = "<!-- compare.py: end of generated section -->"
IMPLEMENTATIONS = ("fastmlp", "sklearn", "torch")


def _torch_available():
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


# -- children: one measurement each, in a fresh process ---------------------------------


def _estimator(implementation, workload):
    if implementation == "torch":
        from torch_mlp import TorchMLP

        name, _, _, params = WORKLOADS[workload]
        return TorchMLP(name, params)
    if implementation == "fastmlp":
        import fastmlp as library
    else:
        import sklearn.neural_network as library
    return make_estimator(library, workload)


def child_fit(implementation, workload):
    """Warm up, then one timed fit; its seconds and training score."""
    X, y = workload_data(workload)
    warm = _estimator(implementation, workload)
    if hasattr(warm, "set_params"):
        warm.set_params(max_iter=1)
    else:
        warm.params = dict(warm.params, max_iter=1)
    warm.fit(X[:2000], y[:2000])
    estimator = _estimator(implementation, workload)
    start = time.perf_counter()
    estimator.fit(X, y)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "score": float(estimator.score(X, y))}


def child_memory(implementation, workload):
    """Peak memory a fit allocates beyond its (already built) input, by tracemalloc.

    A warm-up fit first, so that loading (or compiling) fastmlp's kernels,
    whose Python objects tracemalloc would count, is not part of it."""
    X, y = workload_data(workload)
    _estimator(implementation, workload).set_params(max_iter=1).fit(X[:2000], y[:2000])
    estimator = _estimator(implementation, workload)
    estimator.set_params(max_iter=1)
    tracemalloc.start()
    estimator.fit(X, y)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"peak_bytes": peak, "input_bytes": X.nbytes}


def child_predict(implementation):
    """W7: predict_proba of a W2-sized model, one row (median of many calls) and 50,000 rows."""
    X, y = workload_data("W2")
    model = _estimator(implementation, "W2").set_params(max_iter=1).fit(X[:5000], y[:5000])
    row = X[:1].copy()
    model.predict_proba(row)
    latencies = []
    for _ in range(7):
        start = time.perf_counter()
        for _ in range(2000):
            model.predict_proba(row)
        latencies.append((time.perf_counter() - start) / 2000)
    model.predict_proba(X)
    batch = []
    for _ in range(5):
        start = time.perf_counter()
        model.predict_proba(X)
        batch.append(time.perf_counter() - start)
    return {"one_row_seconds": statistics.median(latencies), "batch_seconds": statistics.median(batch)}


def _child(args):
    warnings.simplefilter("ignore")
    if args.child == "fit":
        result = child_fit(args.implementation, args.workload)
    elif args.child == "memory":
        result = child_memory(args.implementation, args.workload)
    else:
        result = child_predict(args.implementation)
    print(json.dumps(result))


def run_child(*arguments):
    out = subprocess.run(
        [sys.executable, str(pathlib.Path(__file__).resolve()), *arguments],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return json.loads(out.strip().splitlines()[-1])


# -- the run ----------------------------------------------------------------------------


def measure(workloads, implementations, repeats, log):
    results = {"fits": {}, "floors": {}, "predict": {}, "memory": {}, "startup": {}}
    for workload in workloads:
        X, _ = workload_data(workload)
        params = WORKLOADS[workload][3]
        if params["solver"] != "lbfgs":
            results["floors"][workload] = measure_gemm_floor(
                layer_units(workload), X.shape[0], params["batch_size"], params["max_iter"], X.dtype
            )
        runs = {impl: [] for impl in implementations}
        for repeat in range(repeats):
            for impl in implementations:  # interleaved
                runs[impl].append(run_child("--child", "fit", "--implementation", impl, "--workload", workload))
                log(f"{workload} {impl} run {repeat + 1}: {runs[impl][-1]['seconds']:.3f} s")
        results["fits"][workload] = {
            impl: {
                "seconds": statistics.median(r["seconds"] for r in runs[impl]),
                "all_seconds": [r["seconds"] for r in runs[impl]],
                "score": statistics.median(r["score"] for r in runs[impl]),
            }
            for impl in implementations
        }
    for impl in (i for i in implementations if i != "torch"):
        predictions = [run_child("--child", "predict", "--implementation", impl) for _ in range(repeats)]
        results["predict"][impl] = {
            key: statistics.median(p[key] for p in predictions) for key in ("one_row_seconds", "batch_seconds")
        }
        log(f"W7 {impl}: {results['predict'][impl]}")
    for workload in (w for w in ("W2", "W3", "W4") if w in workloads):
        for impl in ("fastmlp", "sklearn"):
            results["memory"].setdefault(workload, {})[impl] = run_child(
                "--child", "memory", "--implementation", impl, "--workload", workload
            )
        log(f"memory {workload}: {results['memory'][workload]}")
    for dtype in ("float64", "float32"):
        with tempfile.TemporaryDirectory() as cache_dir:
            cold = run_fresh_interpreter(dtype, cache_dir)
            warm = run_fresh_interpreter(dtype, cache_dir)
        results["startup"][dtype] = {
            "import_seconds": warm["import"],
            "empty_cache_overhead": cold["first_fit"] - cold["second_fit"],
            "warm_cache_overhead": warm["first_fit"] - warm["second_fit"],
        }
        log(f"start-up {dtype}: {results['startup'][dtype]}")
    return results


# -- reporting --------------------------------------------------------------------------


def markdown(results, meta):
    fits, floors = results["fits"], results["floors"]
    implementations = [i for i in IMPLEMENTATIONS if any(i in f for f in fits.values())]
    lines = [
        f"Measured {meta['date']} on {meta['machine']} ({meta['cpus']} cores), median of {meta['repeats']} "
        "fits, each in a fresh process after a warm-up.",
        "",
        "| workload | implementation | seconds | vs scikit-learn | vs GEMM floor | training score |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for workload, by_impl in fits.items():
        baseline = by_impl["sklearn"]["seconds"] if "sklearn" in by_impl else None
        for impl in implementations:
            if impl not in by_impl:
                continue
            row = by_impl[impl]
            speedup = "baseline" if impl == "sklearn" else (f"{baseline / row['seconds']:.1f}x" if baseline else "")
            floor = f"{row['seconds'] / floors[workload]:.2f}x" if workload in floors else "n/a (lbfgs)"
            lines.append(
                f"| {workload} | {impl} | {row['seconds']:.3f} | {speedup} | {floor} | {row['score']:.4f} |"
            )
    for workload, floor in floors.items():
        lines.append(f"| {workload} | GEMM floor (numpy, 1 thread) | {floor:.3f} | | 1.00x | |")
    if results["predict"]:
        lines += ["", "| W7: predict_proba, W2-sized model | one row | 50,000 rows |", "|---|---:|---:|"]
        for impl, p in results["predict"].items():
            lines.append(f"| {impl} | {p['one_row_seconds'] * 1e6:.1f} us | {p['batch_seconds']:.3f} s |")
    if results["memory"]:
        lines += ["", "| peak memory a fit adds (tracemalloc) | fastmlp | scikit-learn | input X |", "|---|---:|---:|---:|"]
        for workload, m in results["memory"].items():
            lines.append(
                f"| {workload} | {m['fastmlp']['peak_bytes'] / 2**20:.1f} MiB | "
                f"{m['sklearn']['peak_bytes'] / 2**20:.1f} MiB | {m['fastmlp']['input_bytes'] / 2**20:.1f} MiB |"
            )
    if results["startup"]:
        lines += ["", "| start-up (fresh process, digits fit) | float64 | float32 |", "|---|---:|---:|"]
        s = results["startup"]
        for key, label in (
            ("import_seconds", "import fastmlp"),
            ("empty_cache_overhead", "first fit, empty Numba cache: extra seconds"),
            ("warm_cache_overhead", "first fit, warm Numba cache: extra seconds"),
        ):
            lines.append(f"| {label} | {s['float64'][key]:.2f} | {s['float32'][key]:.2f} |")
    return "\n".join(lines) + "\n"


def chart(results, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fits = results["fits"]
    workloads = list(fits)
    implementations = [i for i in IMPLEMENTATIONS if any(i in f for f in fits.values())]
    fig, ax = plt.subplots(figsize=(9, 4.5))
    width = 0.8 / (len(implementations) + 1)
    for k, impl in enumerate(implementations + ["GEMM floor"]):
        values = []
        for w in workloads:
            if impl == "GEMM floor":
                values.append(results["floors"].get(w, float("nan")))
            else:
                values.append(fits[w].get(impl, {}).get("seconds", float("nan")))
        baseline = [fits[w]["sklearn"]["seconds"] for w in workloads]
        ax.bar([i + k * width for i in range(len(workloads))], [b / v for b, v in zip(baseline, values)], width, label=impl)
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_xticks([i + width * len(implementations) / 2 for i in range(len(workloads))])
    ax.set_xticklabels(workloads)
    ax.set_ylabel("speed relative to scikit-learn (higher is faster)")
    ax.set_yscale("log")
    ax.legend()
    ax.set_title("fit time: scikit-learn's time / each implementation's time")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return True


def update_readme(table):
    text = README.read_text()
    if README_START not in text or README_END not in text:
        return False
    head, rest = text.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    body = f"{README_START}\n{table}\n![speed relative to scikit-learn](benchmarks/results/compare.png)\n\n{README_END}"
    README.write_text(head + body + tail)
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workloads", default=",".join(WORKLOADS))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--implementations", default=None, help="comma-separated; default all installed")
    parser.add_argument("--no-readme", action="store_true", help="do not rewrite README.md's generated section")
    parser.add_argument("--child", choices=["fit", "memory", "predict"], help=argparse.SUPPRESS)
    parser.add_argument("--implementation", help=argparse.SUPPRESS)
    parser.add_argument("--workload", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args)
        return
    if args.implementations:
        implementations = args.implementations.split(",")
    else:
        implementations = ["fastmlp", "sklearn"] + (["torch"] if _torch_available() else [])
    workloads = args.workloads.split(",")
    meta = {
        "date": datetime.date.today().isoformat(),
        "machine": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "repeats": args.repeats,
        "python": platform.python_version(),
    }

    def log(message):
        print(message, file=sys.stderr, flush=True)

    results = measure(workloads, implementations, args.repeats, log)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "compare.json").write_text(json.dumps({"meta": meta, **results}, indent=2))
    table = markdown(results, meta)
    (RESULTS / "compare.md").write_text(table)
    chart(results, RESULTS / "compare.png")
    if not args.no_readme:
        update_readme(table)
    print(table)


if __name__ == "__main__":
    main()
