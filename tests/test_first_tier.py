"""The first tier: scikit-learn's estimator trains while the kernels compile.

In this process the tier is forced on (``FASTMLP_FIRST_TIER=always``) and
compared with the kernels' fits (``never``); in fresh processes with caches
of their own, the whole path: a cold first fit, the background compile, the
fits after it, two processes at once, a compile killed half-way.
"""

import json
import os
import pickle
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_digits
from sklearn.utils.estimator_checks import parametrize_with_checks

import fastmlp
from fastmlp import _first_tier

X_DIGITS, Y_DIGITS = load_digits(return_X_y=True)
X_DIGITS = X_DIGITS[:600] / 16
Y_DIGITS = Y_DIGITS[:600]
TARGET = X_DIGITS[:, 10] + X_DIGITS[:, 20] * X_DIGITS[:, 30]

# the configurations a first tier trains, each as the kernels do
CONFIGURATIONS = [
    dict(max_iter=15),
    dict(max_iter=15, solver="sgd"),
    dict(max_iter=20, solver="sgd", learning_rate="invscaling", nesterovs_momentum=False),
    dict(max_iter=40, solver="sgd", learning_rate="adaptive", tol=1e-2, n_iter_no_change=2),
    dict(max_iter=40, tol=1e-2, n_iter_no_change=2),
    dict(max_iter=10, shuffle=False, batch_size=64, hidden_layer_sizes=(20, 10), activation="tanh"),
    dict(solver="lbfgs", max_iter=25, activation="logistic"),
    dict(max_iter=8, regressor=True),
    dict(max_iter=8, dtype="float32"),
    dict(max_iter=8, sparse=True),
    dict(max_iter=8, sample_weight=True, alpha=1e-2),
    dict(max_iter=3),  # the handover's epoch is the last
    dict(max_iter=8, dropout=np.zeros(1)),
]


def _fit(tier, monkeypatch, handover=None, regressor=False, dtype="float64", sparse=False, sample_weight=False, **params):
    monkeypatch.setattr(_first_tier, "MODE", tier)
    monkeypatch.setattr(_first_tier, "HANDOVER_AFTER_EPOCHS", handover)
    X = X_DIGITS.astype(dtype)
    X = sp.csr_matrix(X) if sparse else X
    weights = np.linspace(0.5, 2.0, X.shape[0]) if sample_weight else None
    if regressor:
        model = fastmlp.MLPRegressor(random_state=0, **params).fit(X, TARGET, sample_weight=weights)
    else:
        model = fastmlp.MLPClassifier(random_state=0, **params).fit(X, Y_DIGITS, sample_weight=weights)
    return model, _first_tier.last_fit_tier


def _assert_same_model(a, b, rtol):
    assert sorted(vars(a)) == sorted(vars(b))
    for W_a, W_b in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        assert W_a.dtype == W_b.dtype
        np.testing.assert_allclose(W_a, W_b, rtol=rtol, atol=rtol * 1e-2)
    assert (a.n_iter_, a.t_) == (b.n_iter_, b.t_)
    if hasattr(a, "loss_curve_"):
        np.testing.assert_allclose(a.loss_curve_, b.loss_curve_, rtol=rtol)
        assert a._no_improvement_count == b._no_improvement_count
        assert a.best_loss_ == pytest.approx(b.best_loss_, rel=rtol)
        np.testing.assert_allclose(a._optimizer.m, b._optimizer.m, rtol=rtol, atol=rtol * 1e-4)
        np.testing.assert_allclose(a._optimizer.v, b._optimizer.v, rtol=rtol, atol=rtol * 1e-6)
        np.testing.assert_allclose(a._optimizer.hyper, b._optimizer.hyper, rtol=rtol)
        assert a._optimizer.epoch == b._optimizer.epoch
    assert a._random_state.get_state()[2] == b._random_state.get_state()[2]
    np.testing.assert_array_equal(a._random_state.get_state()[1], b._random_state.get_state()[1])


@pytest.mark.parametrize("config", CONFIGURATIONS, ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()))
@pytest.mark.parametrize("handover", [None, 3])
def test_the_first_tier_trains_the_kernels_model(config, handover, monkeypatch):
    """Whole fits in scikit-learn's estimator, and fits handed over to the
    kernels after 3 epochs, give the kernels' model: weights, counters,
    curves, optimizer state and random state; partial_fit, a warm start and
    pickling go on from there as from the kernels' fit."""
    rtol = 1e-4 if config.get("dtype") == "float32" else 1e-9
    kernels, tier = _fit("never", monkeypatch, **config)
    assert tier == "kernels"
    first_tier, tier = _fit("always", monkeypatch, handover=handover, **config)
    stochastic = config.get("solver") != "lbfgs"
    handed_over = handover is not None and stochastic and kernels.n_iter_ >= handover
    assert tier == ("scikit-learn, then kernels" if handed_over else "scikit-learn")
    _assert_same_model(kernels, first_tier, rtol)

    monkeypatch.setattr(_first_tier, "MODE", "never")
    first_tier = pickle.loads(pickle.dumps(first_tier))
    X = X_DIGITS.astype(config.get("dtype", "float64"))
    y = TARGET if config.get("regressor") else Y_DIGITS
    if stochastic:
        kernels.partial_fit(X, y)
        first_tier.partial_fit(X, y)
        _assert_same_model(kernels, first_tier, rtol)
    kernels.set_params(warm_start=True, max_iter=3).fit(X, y)
    first_tier.set_params(warm_start=True, max_iter=3).fit(X, y)
    _assert_same_model(kernels, first_tier, rtol)


@pytest.mark.parametrize("target", ["strings", "multilabel", "pandas"])
def test_labels_and_frames_as_the_kernels_take_them(target, monkeypatch):
    pd = pytest.importorskip("pandas")
    X, y = X_DIGITS, Y_DIGITS
    if target == "strings":
        y = np.array(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])[y]
    elif target == "multilabel":
        y = np.stack([y % 2, y > 4, y == 3], axis=1).astype(int)
    else:
        X = pd.DataFrame(X, columns=[f"pixel{i}" for i in range(X.shape[1])])
    models = {}
    for tier in ("never", "always"):
        monkeypatch.setattr(_first_tier, "MODE", tier)
        monkeypatch.setattr(_first_tier, "HANDOVER_AFTER_EPOCHS", 2 if tier == "always" else None)
        models[tier] = fastmlp.MLPClassifier(max_iter=4, random_state=0).fit(X, y)
        assert _first_tier.last_fit_tier == ("kernels" if tier == "never" else "scikit-learn, then kernels")
    _assert_same_model(models["never"], models["always"], 1e-9)
    np.testing.assert_array_equal(models["never"].predict(X), models["always"].predict(X))
    np.testing.assert_array_equal(models["never"].classes_, models["always"].classes_)
    if target == "pandas":
        assert list(models["always"].feature_names_in_) == list(X.columns)


def test_in_a_pipeline_without_callbacks_the_first_tier_trains(monkeypatch):
    """A Pipeline passes its callback context down even without callbacks
    (the README's quick start): that fit has a first tier; with a callback
    it trains on the kernels, which report each epoch."""
    from sklearn.callback import ProgressBar
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    monkeypatch.setattr(_first_tier, "MODE", "always")
    make_pipeline(StandardScaler(), fastmlp.MLPClassifier(max_iter=3)).fit(X_DIGITS, Y_DIGITS)
    assert _first_tier.last_fit_tier == "scikit-learn"
    pipeline = make_pipeline(StandardScaler(), fastmlp.MLPClassifier(max_iter=3))
    pipeline.set_callbacks(ProgressBar())
    pipeline.fit(X_DIGITS, Y_DIGITS)
    assert _first_tier.last_fit_tier == "kernels"


def test_the_compiles_marker_hands_over(monkeypatch):
    """In the default mode, the first tier hands over at the end of the first
    epoch after the marker appears (here after the third epoch's check)."""
    from fastmlp import _background_compile as background

    checks = []

    def ready(dtype, kind="mlp"):
        checks.append(kind)
        return len(checks) > 4  # one check when the fit starts, then one per epoch

    monkeypatch.setattr(background, "kernels_ready", ready)
    monkeypatch.setattr(background, "can_start", lambda: True)
    monkeypatch.setattr(background, "start", lambda dtype: 0.0)
    monkeypatch.setattr(background, "failed", lambda dtype: False)
    monkeypatch.setattr(background, "seconds_left", lambda dtype: 100.0)
    model, tier = _fit("auto", monkeypatch, max_iter=10)
    assert tier == "scikit-learn, then kernels"
    monkeypatch.setattr(background, "kernels_ready", lambda dtype, kind="mlp": True)
    expected, _ = _fit("never", monkeypatch, max_iter=10)
    _assert_same_model(expected, model, 1e-9)


def test_without_a_writable_cache_fits_train_on_the_kernels_as_before(monkeypatch):
    """With the cache disabled or not writable no compile is started: each
    process compiles for itself, as before the first tier."""
    from fastmlp import _background_compile as background

    monkeypatch.setattr(background, "cache_directory", lambda: None)
    monkeypatch.setattr(background, "kernels_ready", lambda dtype, kind="mlp": False)
    monkeypatch.setattr(background, "start", lambda dtype: pytest.fail("started a background compile"))
    model, tier = _fit("auto", monkeypatch, max_iter=3)
    assert tier == "kernels"
    assert not _first_tier.predicts_with_numpy(model, np.dtype(np.float64))


def test_precompile_and_the_kernels_own_fits_predict_with_the_kernels(monkeypatch):
    """Inside precompile (and a kernels' fit scoring its validation rows) a
    prediction compiles the kernels' prediction, never numpy's."""
    model, _ = _fit("never", monkeypatch, max_iter=2)
    monkeypatch.setattr(_first_tier, "MODE", "always")
    assert _first_tier.predicts_with_numpy(model, np.dtype(np.float64))
    with _first_tier.disabled():
        assert not _first_tier.predicts_with_numpy(model, np.dtype(np.float64))


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_predictions_before_the_kernels_are_those_of_the_kernels(sparse, dtype, monkeypatch):
    model, _ = _fit("never", monkeypatch, max_iter=5, dtype=dtype)
    X = X_DIGITS.astype(dtype)
    X = sp.csr_matrix(X) if sparse else X
    expected = model.predict_proba(X), model.predict(X)
    monkeypatch.setattr(_first_tier, "MODE", "always")
    probabilities = model.predict_proba(X)
    assert probabilities.dtype == expected[0].dtype
    np.testing.assert_allclose(probabilities, expected[0], rtol=1e-4 if dtype == "float32" else 1e-12, atol=1e-7)
    np.testing.assert_array_equal(model.predict(X), expected[1])
    regressor, _ = _fit("never", monkeypatch, max_iter=5, regressor=True)
    expected = regressor.predict(X_DIGITS)
    monkeypatch.setattr(_first_tier, "MODE", "always")
    np.testing.assert_allclose(regressor.predict(X_DIGITS), expected, rtol=1e-12)
    bad = X_DIGITS[:3].copy()
    bad[1, 2] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        regressor.predict(bad)


@pytest.mark.parametrize(
    "params",
    [dict(dropout=0.1), dict(activation="gelu"), dict(early_stopping=True), dict(class_weight="balanced"),
     dict(solver="adamw"), dict(max_grad_norm=1.0), dict(learning_rate_schedule="cosine")],
    ids=str,
)  # fmt: skip
def test_fits_with_fastmlps_own_options_train_on_the_kernels(params, monkeypatch):
    _, tier = _fit("always", monkeypatch, max_iter=3, **params)
    assert tier == "kernels"


_MLP_CHECKS = [fastmlp.MLPClassifier(max_iter=30), fastmlp.MLPRegressor(max_iter=30)]


@parametrize_with_checks(_MLP_CHECKS)
def test_sklearn_checks_with_the_first_tier_forced_on(estimator, check, monkeypatch):
    monkeypatch.setattr(_first_tier, "MODE", "always")
    check(estimator)


# -- fresh processes, caches of their own ------------------------------------------------

_FIRST_FITS = r"""
import json, sys, time, warnings
import numpy as np
import fastmlp
from fastmlp import _backprop, _background_compile, _first_tier
from sklearn.datasets import load_digits
warnings.simplefilter("ignore")
X, y = load_digits(return_X_y=True)
X, y = X[:600] / 16, y[:600]
report = {}
model = fastmlp.MLPClassifier(max_iter=15, random_state=0).fit(X, y)
report["first"] = _first_tier.last_fit_tier
report["coefs"] = [W.tolist() for W in model.coefs_]
report["first_predict"] = model.predict(X).tolist()
start = time.monotonic()
while not _background_compile.kernels_ready(np.float64) and time.monotonic() - start < 300:
    time.sleep(0.1)
fastmlp.MLPClassifier(max_iter=15, random_state=0).fit(X, y).predict(X)
report["second"] = _first_tier.last_fit_tier
report["kernel_loads"] = len(_backprop.train_epoch_inplace.stats.cache_hits)
report["kernel_compiles"] = len(_backprop.train_epoch_inplace.stats.cache_misses)
print(json.dumps(report))
"""


def _environment(cache):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache))
    env.pop("FASTMLP_DISABLE_CACHE", None)
    env["FASTMLP_FIRST_TIER"] = "auto"
    return env


def _report(process):
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1])


def _kernels_model(monkeypatch):
    model, _ = _fit("never", monkeypatch, max_iter=15)
    return model


_WAITING_FIT = r"""
import warnings
import numpy as np
import fastmlp
from fastmlp import _backprop
warnings.simplefilter("ignore")
X = np.random.RandomState(0).normal(size=(60, 3))
y = np.arange(60) % 2
for _ in range(2):
    fastmlp.MLPClassifier(early_stopping=True, max_iter=3).fit(X, y)
print(fastmlp._first_tier.last_fit_tier, len(_backprop.train_epoch_inplace.stats.cache_hits))
"""


def _start(script, env):
    return subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)  # fmt: skip


def test_cold_processes_share_one_background_compile_after_a_killed_one(tmp_path, monkeypatch):
    """One cache, compiled once for everything (a compile costs 10-20 s):

    1. a background compile killed half-way leaves no marker;
    2. two fresh processes start at once: one's first fit runs on
       scikit-learn's estimator and gives the kernels' model; the other's,
       early stopping (no first tier), waits for the compile and says so in
       one line; one background compile finishes the cache (the killed one's
       files loaded, the rest compiled); each process's next fit loads the
       kernels;
    3. a new process's first fit runs on the kernels."""
    env = _environment(tmp_path)
    compile_ = subprocess.Popen(
        [sys.executable, "-m", "fastmlp", "precompile", "--background", "--dtypes", "float64"],
        env=dict(env, FASTMLP_FIRST_TIER="never"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    time.sleep(4)  # mid-compile: some kernels cached, not all
    os.killpg(compile_.pid, signal.SIGKILL)
    compile_.wait()
    assert not list(tmp_path.rglob("fastmlp-ready-*"))

    first_tier, waiting = _start(_FIRST_FITS, env), _start(_WAITING_FIT, env)
    report = _report(first_tier)
    out, err = waiting.communicate(timeout=600)
    assert waiting.returncode == 0, err

    expected = _kernels_model(monkeypatch)
    assert report["first"].startswith("scikit-learn")
    for W, W_expected in zip(report["coefs"], expected.coefs_):
        np.testing.assert_allclose(W, W_expected, rtol=1e-9, atol=1e-12)
    assert report["first_predict"] == expected.predict(X_DIGITS).tolist()
    assert report["second"] == "kernels"
    assert report["kernel_loads"] >= 1 and report["kernel_compiles"] == 0
    tier, kernel_loads = out.split()
    assert tier == "kernels" and int(kernel_loads) >= 1
    lines = [line for line in err.splitlines() if line.startswith("fastmlp:")]
    assert len(lines) == 1 and "preparing fastmlp's kernels for float64" in lines[0], err
    (log_path,) = tmp_path.rglob("fastmlp-background.log")  # next to Numba's cache of the kernels
    compiles = [line for line in log_path.read_text().splitlines() if " compiled " in line]
    assert len(compiles) == 1 and "compiled float64" in compiles[0], compiles

    again = _report(_start(_FIRST_FITS, env))
    assert again["first"] == "kernels" and again["kernel_compiles"] == 0
    assert len([line for line in log_path.read_text().splitlines() if " compiled " in line]) == 1
