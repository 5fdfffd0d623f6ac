"""``python -m fastmlp precompile`` fills Numba's cache: a new process then loads every kernel."""

import json
import os
import subprocess
import sys

import pytest

import fastmlp

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
kernels = (_backprop.train_epoch_inplace, _backprop.full_batch_loss_and_grad, _backprop.predict_inplace)
print(json.dumps({k.__name__: [len(k.stats.cache_hits), len(k.stats.cache_misses)] for k in kernels}))
"""


def test_a_process_after_precompile_loads_every_kernel_from_the_cache(tmp_path):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path))
    env.pop("FASTMLP_DISABLE_CACHE", None)
    out = subprocess.run([sys.executable, "-m", "fastmlp", "precompile", "--dtypes", "float32", "--no-own-options"],
                         env=env, capture_output=True, text=True, check=True)  # fmt: skip
    assert "fastmlp kernels for float32: ready in" in out.stdout
    report = subprocess.run([sys.executable, "-c", _FIT_AND_REPORT], env=env, capture_output=True, text=True, check=True)
    for name, (hits, misses) in json.loads(report.stdout.strip().splitlines()[-1]).items():
        assert hits >= 1 and misses == 0, (name, hits, misses)


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
