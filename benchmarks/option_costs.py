"""What each of fastmlp's own options costs: fit times with it on, against the
same workload with every option off, in one process, interleaved.

    python benchmarks/option_costs.py --workloads W1,W2 --repeats 5

Every configuration is fitted once to warm up (compiling or loading its
kernels), then the configurations take turns, ``--repeats`` rounds, so that
all see the same machine load. Prints each one's median seconds and its ratio
to the baseline (every option off) of the same round's medians. The
workloads are compare.py's; options that do not apply to a workload's
estimator are left out.
"""

import argparse
import pathlib
import statistics
import sys
import time
import warnings

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "benchmarks"))

from workloads import make_estimator, workload_data  # noqa: E402

import fastmlp  # noqa: E402

# name -> (estimator parameters, whether the fit gets a validation set)
OPTIONS = {
    "baseline (every option off)": ({}, False),
    "class_weight='balanced'": ({"class_weight": "balanced"}, False),
    "weight_init='he_normal'": ({"weight_init": "he_normal"}, False),
    "solver='adamw'": ({"solver": "adamw"}, False),
    "learning_rate_schedule='cosine', warmup_iter=3": ({"learning_rate_schedule": "cosine", "warmup_iter": 3}, False),
    "X_val (10% of the rows)": ({}, True),
    "max_grad_norm=1.0": ({"max_grad_norm": 1.0}, False),
    "dropout=0.2": ({"dropout": 0.2}, False),
    **{f"activation={name!r}": ({"activation": name}, False) for name in
       ("leaky_relu", "elu", "selu", "gelu", "silu", "softplus", "mish")},  # fmt: skip
}


def fit_seconds(workload, X, y, params, with_validation):
    est = make_estimator(fastmlp, workload)
    accepted = {k: v for k, v in params.items() if k in est.get_params()}
    if len(accepted) < len(params):
        return None
    est.set_params(**accepted)
    fit_params = {}
    if with_validation:
        n_val = len(y) // 10
        fit_params = {"X_val": X[:n_val], "y_val": y[:n_val]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        est.fit(X, y, **fit_params)
        return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--workloads", default="W1,W2")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(f"fastmlp from {fastmlp.__file__}")
    for workload in args.workloads.split(","):
        X, y = workload_data(workload)
        times = {}
        for name, (params, with_validation) in OPTIONS.items():  # warm-up
            if fit_seconds(workload, X, y, params, with_validation) is not None:
                times[name] = []
        for _ in range(args.repeats):
            for name in times:
                times[name].append(fit_seconds(workload, X, y, *OPTIONS[name]))
        base = statistics.median(times["baseline (every option off)"])
        print(f"\n{workload}: median of {args.repeats} fits, options interleaved")
        print(f"| option | seconds | vs every option off |\n|---|---:|---:|")
        for name, seconds in times.items():
            median = statistics.median(seconds)
            print(f"| {name} | {median:.3f} | {median / base:.2f}x |")


if __name__ == "__main__":
    main()
