"""Fit times of two or more checkouts of fastmlp in one process, interleaved.

    python benchmarks/ab_inprocess.py --old 1160371 --workloads W1,W6,W4 --repeats 15
    python benchmarks/ab_inprocess.py --old 1160371 --also d5e663d,b1d083e --workloads W2,W1

Each checkout (a directory or a git commit, see ``checkouts.py``) but the new
one is copied under another name (``fastmlp_old``, ``fastmlp_also_1``, ...:
the package's imports are relative) so that all load side by side, each
warmed up once; then they fit each workload in turns, in an order that
rotates from round to round. On a shared 2-core machine, where separate
processes saw +-30% from one fit to the next, fits taken a few milliseconds
apart are what makes a 2% difference visible. Prints the median seconds of
each and, for each checkout against ``--old``, the median of the per-round
ratios (``--also`` lists more checkouts, e.g. the commits of a bisection).
ab_compare.py does the same with a fresh process per fit (compile and cache
effects included); instruction_counts.py counts instructions instead.
"""

import argparse
import importlib
import pathlib
import shutil
import statistics
import sys
import tempfile
import time
import warnings

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "benchmarks"))
sys.path.insert(0, str(HERE))

from checkouts import checkout_path  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--old", required=True, help="the checkout or commit to compare against")
    parser.add_argument("--new", default=str(HERE.parent), help="the checkout to measure (default: this one)")
    parser.add_argument("--also", default="", help="more checkouts or commits, comma-separated, each against --old")
    parser.add_argument("--workloads", default="W1,W6,W4")
    parser.add_argument("--repeats", type=int, default=15, help="rounds of one fit each")
    args = parser.parse_args()
    copies = tempfile.mkdtemp()
    copied = {"old": args.old, **{f"also_{i}": c for i, c in enumerate(filter(None, args.also.split(",")), 1)}}
    for name, checkout in copied.items():
        shutil.copytree(checkout_path(checkout) / "fastmlp", pathlib.Path(copies) / f"fastmlp_{name}",
                        ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    sys.path.insert(0, copies)
    sys.path.insert(0, str(checkout_path(args.new)))
    import fastmlp
    from workloads import make_estimator, workload_data

    libraries = {name: importlib.import_module(f"fastmlp_{name}") for name in copied}
    libraries["new"] = fastmlp
    labels = {**copied, "new": args.new}
    print(f"old: {args.old} (copied), new: {fastmlp.__file__}")
    names = list(libraries)
    warnings.simplefilter("ignore")
    for workload in args.workloads.split(","):
        X, y = workload_data(workload)

        def fit(library):
            est = make_estimator(library, workload)
            start = time.perf_counter()
            est.fit(X, y)
            return time.perf_counter() - start

        for library in libraries.values():
            fit(library)
        seconds = {name: [] for name in names}
        for round_ in range(args.repeats):
            shift = round_ % len(names)
            for name in (names[shift:] + names[:shift])[:: -1 if round_ % 2 else 1]:
                seconds[name].append(fit(libraries[name]))
        old = statistics.median(seconds["old"])
        for name in names[1:]:
            median = statistics.median(seconds[name])
            paired = statistics.median(n / o for n, o in zip(seconds[name], seconds["old"]))
            label = "new" if name == "new" else f"{name} ({labels[name]})"
            print(f"{workload}: old {old:.4f} s, {label} {median:.4f} s, ratio {median / old:.3f}; "
                  f"median of per-round ratios {paired:.3f} ({args.repeats} rounds)", flush=True)  # fmt: skip
    shutil.rmtree(copies, ignore_errors=True)


if __name__ == "__main__":
    main()
