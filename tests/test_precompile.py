"""``fastmlp.precompile`` fills Numba's cache: a new process then loads every kernel."""

import json
import os
import subprocess
import sys

import pytest

import fastmlp

pytestmark = pytest.mark.kernels  # the kernels' own machinery, whatever FASTMLP_FIRST_TIER says

_FIT_AND_REPORT = r"""
import json, warnings
import numpy as np
import fastmlp
from fastmlp import _backprop

X = np.random.RandomState(1).normal(size=(30, 4)).astype("float32")
y = np.arange(30) % 2
warnings.simplefilter("ignore")
fastmlp.MLPClassifier((5,), max_iter=3, random_state=0).fit(X, y).predict(X)
fastmlp.MLPClassifier((5,), solver="lbfgs", max_iter=3, random_state=0).fit(X, y)
fastmlp.TabularMLPRegressor(hidden_layer_sizes=(5,), max_iter=3, random_state=0, dtype=X.dtype.name).fit(X, y).predict(X)
kernels = (_backprop.train_epoch_inplace, _backprop.full_batch_loss_and_grad, _backprop.predict_inplace)
print(json.dumps({k.__name__: [len(k.stats.cache_hits), len(k.stats.cache_misses)] for k in kernels}))
"""


def test_bad_dtypes_are_refused():
    with pytest.raises(ValueError, match="dtypes must be"):
        fastmlp.precompile(dtypes=("int8",))
    out = subprocess.run([sys.executable, "-m", "fastmlp", "precompile", "--dtypes", "float16"],
                         capture_output=True, text=True)  # fmt: skip
    assert out.returncode == 2 and "invalid choice" in out.stderr


def test_one_dtype_may_be_named_alone_and_bad_ones_are_refused_before_compiling(monkeypatch):
    import fastmlp._precompile as module

    fitted = []
    monkeypatch.setattr(fastmlp, "MLPClassifier", lambda *a, **k: fitted.append(k) or pytest.fail("compiled"))
    with pytest.raises(ValueError, match="got 'int8'"):
        module.precompile(("float64", "int8"))
    with pytest.raises(ValueError, match="got 'float32x'"):
        module.precompile("float32x")
    assert fitted == []


def test_with_the_cache_disabled_it_says_it_caches_nothing(monkeypatch):
    import fastmlp._config

    monkeypatch.setattr(fastmlp._config, "CACHE_ENABLED", False)
    with pytest.warns(RuntimeWarning, match="caches nothing"):
        fastmlp.precompile(("float64",), own_options=False)


def test_dtypes_compile_in_parallel_processes_into_the_cache(tmp_path):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path))
    env.pop("FASTMLP_DISABLE_CACHE", None)
    code = ("import fastmlp; print(sorted(fastmlp.precompile(('float64', 'float32'), own_options=False, "
            "parallel=True)))")  # fmt: skip
    # (the tabular models' kernels included: precompile's default)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "['float32', 'float64']"
    report = _FIT_AND_REPORT.replace('astype("float32")', 'astype("float64")')
    for script in (_FIT_AND_REPORT, report):  # a new process finds both dtypes' kernels
        result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
        for name, (hits, misses) in json.loads(result.stdout.strip().splitlines()[-1]).items():
            assert hits >= 1 and misses == 0, (name, hits, misses)


def test_a_second_precompile_waits_for_the_first(tmp_path):
    """While one precompile holds the cache's lock, another says it waits, and
    finishes once the lock is released."""
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path))
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys; from fastmlp._precompile import _cache_lock\n"
         "with _cache_lock():\n    print('held', flush=True); sys.stdin.readline()"],
        env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdout.readline().strip() == "held"
    waiter = subprocess.Popen([sys.executable, "-m", "fastmlp", "precompile", "--dtypes", "float32", "--no-own-options",
                               "--no-tabular"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    assert "another precompile is filling this cache; waiting" in waiter.stderr.readline()
    holder.communicate("\n")
    out, _ = waiter.communicate(timeout=600)
    assert waiter.returncode == 0 and "fastmlp kernels for float32: ready" in out
