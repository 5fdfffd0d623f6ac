"""Fit times of two checkouts of fastmlp, interleaved: has a change made fits slower?

    python benchmarks/ab_compare.py --old ../old-main --new . --workloads W1,W2,W6 --repeats 5

For each workload and repeat, each checkout fits once in a fresh process
(after a warm-up fit there, which loads or compiles its kernels), old and new
alternating, so that both see the same machine load. Prints the median
seconds of each and their ratio. The workloads are those of compare.py.
"""

import argparse
import json
import pathlib
import statistics
import sys
import time
import warnings

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from checkouts import checkout_path, run_child  # noqa: E402


def child(workload):
    sys.path.insert(0, str(HERE / "benchmarks"))
    from workloads import make_estimator, workload_data

    import fastmlp

    X, y = workload_data(workload)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        make_estimator(fastmlp, workload).set_params(max_iter=1).fit(X, y)
        est = make_estimator(fastmlp, workload)
        start = time.perf_counter()
        est.fit(X, y)
        seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "fastmlp": fastmlp.__file__}))


def fit_time(checkout, workload):
    return run_child(__file__, ["--child", workload], checkout)["seconds"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--old", help="the checkout to compare against (required)")
    parser.add_argument("--new", default=str(HERE.parent), help="the checkout to measure (default: this one)")
    parser.add_argument("--workloads", default="W1,W2,W6", help="comma-separated names from compare.py")
    parser.add_argument("--repeats", type=int, default=5, help="fits per checkout and workload")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    if not args.old:
        parser.error("--old is required")
    checkout_path(args.old), checkout_path(args.new)
    for workload in args.workloads.split(","):
        times = {"old": [], "new": []}
        for _ in range(args.repeats):
            for name in ("old", "new"):
                times[name].append(fit_time(getattr(args, name), workload))
        old, new = statistics.median(times["old"]), statistics.median(times["new"])
        print(f"{workload}: old {old:.4f} s, new {new:.4f} s, new/old {new / old:.3f} "
              f"(old runs {', '.join(f'{t:.4f}' for t in times['old'])}; "
              f"new runs {', '.join(f'{t:.4f}' for t in times['new'])})", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
