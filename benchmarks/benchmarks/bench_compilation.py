"""Compilation and start-up, each measured in a fresh interpreter.

The times are measured inside the child process (so interpreter start-up is
not counted) and reported with ``track_``: import of fastmlp, and the first
fit (a 5-epoch digits fit) with an empty and with a warm Numba cache.
"""

import json
import os
import subprocess
import sys
import tempfile

_CHILD = r"""
import json, sys, time, warnings
start = time.perf_counter()
import fastmlp
imported = time.perf_counter()
import numpy as np
from sklearn.datasets import load_digits
X, y = load_digits(return_X_y=True)
X = X.astype(sys.argv[1])
warnings.simplefilter("ignore")
before = time.perf_counter()
fastmlp.MLPClassifier(max_iter=5, random_state=0).fit(X, y)
first_fit = time.perf_counter() - before
before = time.perf_counter()
fastmlp.MLPClassifier(max_iter=5, random_state=0).fit(X, y)
second_fit = time.perf_counter() - before
print(json.dumps({"import": imported - start, "first_fit": first_fit, "second_fit": second_fit}))
"""


def run_fresh_interpreter(dtype, cache_dir):
    """Timings from a new Python process whose Numba cache lives in ``cache_dir``."""
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, dtype], env=env, capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


class Compilation:
    param_names = ["dtype"]
    params = (["float64", "float32"],)
    timeout = 600

    def setup_cache(self):
        """Both measurements per dtype, taken once: cold in an empty cache
        directory, then warm in the same directory."""
        results = {}
        for dtype in self.params[0]:
            with tempfile.TemporaryDirectory() as cache_dir:
                cold = run_fresh_interpreter(dtype, cache_dir)
                warm = run_fresh_interpreter(dtype, cache_dir)
            results[dtype] = {
                "import": warm["import"],
                "empty_cache_overhead": cold["first_fit"] - cold["second_fit"],
                "warm_cache_overhead": warm["first_fit"] - warm["second_fit"],
            }
        return results

    def track_import_time(self, results, dtype):
        return results[dtype]["import"]

    def track_first_fit_overhead_empty_cache(self, results, dtype):
        """Seconds the first fit in a new process takes beyond the second, cache empty."""
        return results[dtype]["empty_cache_overhead"]

    def track_first_fit_overhead_warm_cache(self, results, dtype):
        """The same with the cache filled by an earlier process."""
        return results[dtype]["warm_cache_overhead"]

    track_import_time.unit = "seconds"
    track_first_fit_overhead_empty_cache.unit = "seconds"
    track_first_fit_overhead_warm_cache.unit = "seconds"
