"""How long Ctrl-C takes to stop a fit: SIGINT sent mid-epoch, time until fit returns.

    python benchmarks/interrupt_latency.py                       # this checkout
    python benchmarks/interrupt_latency.py --checkout ../old     # another one, for comparison

Each measure runs in a fresh process: a warm-up fit, then a fit of one long
epoch (2,000,000 rows, float32) during which another thread sends SIGINT to
the process after ``--delay`` seconds; the latency is the time from the
signal to the return of ``fit`` (which catches it, as scikit-learn does, and
warns "Training interrupted by user"). Prints the median and the runs.
"""

import argparse
import json
import os
import signal
import statistics
import sys
import threading
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from checkouts import run_child  # noqa: E402


def child(delay):
    import numpy as np

    from fastmlp import MLPRegressor

    rng = np.random.RandomState(0)
    X = rng.standard_normal((2_000_000, 20)).astype(np.float32)
    y = X[:, 0] * 2 + rng.standard_normal(2_000_000).astype(np.float32)
    params = dict(hidden_layer_sizes=(256,), batch_size=200, max_iter=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        MLPRegressor(**params).fit(X[:2000], y[:2000])  # compile or load the kernels
        sent = []

        def interrupt():
            sent.append(time.perf_counter())
            os.kill(os.getpid(), signal.SIGINT)

        timer = threading.Timer(delay, interrupt)
        start = time.perf_counter()
        timer.start()
        est = MLPRegressor(**params).fit(X, y)
        end = time.perf_counter()
    assert sent and est.n_iter_ == 0, "the epoch ended before the interrupt"
    print(json.dumps({"latency": end - sent[0], "sent_after": sent[0] - start, "fit_seconds": end - start,
                      "fastmlp": sys.modules["fastmlp"].__file__}))  # fmt: skip


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkout", default=os.path.join(os.path.dirname(__file__), ".."),
                        help="the fastmlp checkout to measure (default: this one)")
    parser.add_argument("--repeats", type=int, default=5, help="fits, each in a fresh process")
    parser.add_argument("--delay", type=float, default=0.3, help="seconds into the fit before SIGINT")  # fmt: skip
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.delay)
        return
    latencies = []
    for _ in range(args.repeats):
        result = run_child(__file__, ["--child", "--delay", str(args.delay)], args.checkout)
        latencies.append(result["latency"])
    print(f"{os.path.abspath(args.checkout)}: median {statistics.median(latencies) * 1e3:.1f} ms "
          f"over {args.repeats} runs: " + ", ".join(f"{t * 1e3:.1f}" for t in latencies))  # fmt: skip


if __name__ == "__main__":
    main()
