"""Is fastmlp's default use of the cores ever slower than one thread forced?

    python benchmarks/threads.py [--workloads W1,W6] [--repeats 5]

For each workload, fits with the default plan (``fastmlp._threads.plan``) and
with ``threadpoolctl.threadpool_limits(1)`` around the fit (which fastmlp
honours: one BLAS thread, no team), interleaved in one process after a
warm-up; prints the medians and their ratio.
"""

import argparse
import pathlib
import statistics
import sys
import time
import warnings

from threadpoolctl import threadpool_limits

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from benchmarks.workloads import WORKLOADS, layer_units, make_estimator, workload_data  # noqa: E402

import fastmlp  # noqa: E402
from fastmlp import _threads  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workloads", default="W1,W2,W3,W4,W5,W6")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    print(f"{'workload':<9} {'plan (blas, team)':<19} {'default s':>10} {'1 thread s':>11} {'1 thread / default':>19}")
    for workload in args.workloads.split(","):
        X, y = workload_data(workload)
        params = WORKLOADS[workload][3]
        rows = X.shape[0] if params["solver"] == "lbfgs" else params["batch_size"]
        plan = _threads.plan(layer_units(workload), rows)
        make_estimator(fastmlp, workload).set_params(max_iter=1).fit(X[:2000], y[:2000])
        times = {"default": [], "one": []}
        for _ in range(args.repeats):
            for mode in times:
                start = time.perf_counter()
                if mode == "one":
                    with threadpool_limits(limits=1):
                        make_estimator(fastmlp, workload).fit(X, y)
                else:
                    make_estimator(fastmlp, workload).fit(X, y)
                times[mode].append(time.perf_counter() - start)
        default, one = statistics.median(times["default"]), statistics.median(times["one"])
        print(f"{workload:<9} {str(plan):<19} {default:>10.3f} {one:>11.3f} {one / default:>19.2f}", flush=True)


if __name__ == "__main__":
    main()
