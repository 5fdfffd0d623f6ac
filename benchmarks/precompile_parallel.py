"""Wall time of ``python -m fastmlp precompile --no-own-options`` (both dtypes)
one dtype after the other and in parallel processes, each into an empty
NUMBA_CACHE_DIR, alternated twice.

    python benchmarks/precompile_parallel.py
"""

import os
import pathlib
import subprocess
import sys
import tempfile
import time
for label, extra in (("sequential", ["--sequential"]), ("parallel", []), ("sequential", ["--sequential"]), ("parallel", [])):
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache, PYTHONPATH=str(pathlib.Path(__file__).resolve().parents[1]))
        t = time.perf_counter()
        out = subprocess.run([sys.executable, "-m", "fastmlp", "precompile", "--no-own-options", *extra], env=env, capture_output=True, text=True, check=True, cwd="/")
        print(label, f"{time.perf_counter() - t:.1f} s wall;", out.stdout.strip().replace("\n", "; "))
