"""Fit times of two checkouts of fastmlp in one process, interleaved.

    python benchmarks/ab_inprocess.py --old ../old-main --workloads W1,W6,W4 --repeats 15

The old checkout's package is copied under another name (``fastmlp_old``:
its imports are relative) so that both load side by side, each warmed up
once; then the two fit each workload in turns (old first in odd rounds, new
first in even ones). On a shared 2-core machine, where separate processes saw
+-30% from one fit to the next, pairs taken a few milliseconds apart are what
makes a 2% difference visible. Prints the median seconds of each, their
ratio, and the median of the per-round ratios. ab_compare.py does the same
with a fresh process per fit (compile and cache effects included).
"""

import argparse
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
    parser.add_argument("--old", required=True, help="the checkout to compare against")
    parser.add_argument("--new", default=str(HERE.parent), help="the checkout to measure (default: this one)")
    parser.add_argument("--workloads", default="W1,W6,W4")
    parser.add_argument("--repeats", type=int, default=15, help="rounds of one fit each")
    args = parser.parse_args()
    copies = tempfile.mkdtemp()
    shutil.copytree(checkout_path(args.old) / "fastmlp", pathlib.Path(copies) / "fastmlp_old",
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    sys.path.insert(0, copies)
    sys.path.insert(0, str(checkout_path(args.new)))
    import fastmlp
    import fastmlp_old
    from workloads import make_estimator, workload_data

    libraries = {"old": fastmlp_old, "new": fastmlp}
    print(f"old: {args.old} (copied), new: {fastmlp.__file__}")
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
        seconds = {name: [] for name in libraries}
        for round_ in range(args.repeats):
            for name in ("old", "new") if round_ % 2 else ("new", "old"):
                seconds[name].append(fit(libraries[name]))
        old, new = statistics.median(seconds["old"]), statistics.median(seconds["new"])
        paired = statistics.median(n / o for n, o in zip(seconds["new"], seconds["old"]))
        print(f"{workload}: old {old:.4f} s, new {new:.4f} s, new/old {new / old:.3f}; "
              f"median of per-round ratios {paired:.3f} ({args.repeats} rounds)", flush=True)  # fmt: skip
    shutil.rmtree(copies, ignore_errors=True)


if __name__ == "__main__":
    main()
