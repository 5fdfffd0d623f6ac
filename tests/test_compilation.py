"""Compilation: one specialisation per dtype, and import without a writable cache."""

import json
import os
import subprocess
import sys
import warnings

import numba
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_classification

from fastmlp import MLPClassifier, MLPRegressor, TabularMLPClassifier, TabularMLPRegressor, _backprop, _config
from fastmlp import _solvers as solvers_module

pytestmark = pytest.mark.kernels  # the kernels' own machinery, whatever FASTMLP_FIRST_TIER says


TABULAR_CONFIGS = [
    dict(),
    dict(hidden_layer_sizes=(4,), numerical_embedding=None, scale_layer=False, parametric_activation=False,
         dropout=0.0, activation="relu"),  # fmt: skip
    dict(hidden_layer_sizes=(3, 2), activation="gelu", parametrization="standard", max_one_hot_levels=2),
]


def test_one_specialisation_per_dtype_whatever_the_network():
    """scikit-learn's options compile one specialisation per dtype (``extras``
    typed None); fastmlp's own activations and dropout, whichever, one more;
    the tabular models, whatever their recipe, one more again."""
    X, y = make_classification(n_samples=60, n_features=6, random_state=0)
    configs = [
        dict(hidden_layer_sizes=(), activation="identity", solver="sgd"),
        dict(hidden_layer_sizes=(4,), activation="logistic", solver="adam"),
        dict(hidden_layer_sizes=(4, 3, 5), activation="tanh", solver="sgd", nesterovs_momentum=False),
        dict(hidden_layer_sizes=(3,), activation="relu", solver="adam", early_stopping=True),
        dict(hidden_layer_sizes=(3,), activation="relu", solver="lbfgs"),
        dict(hidden_layer_sizes=(4, 3), activation=["gelu", "elu"], solver="adam", dropout=[0.1, 0.0]),
        dict(hidden_layer_sizes=(4,), activation="mish", solver="sgd"),
        dict(hidden_layer_sizes=(4,), activation="relu", solver="adamw", dropout=0.2),
        dict(hidden_layer_sizes=(4,), activation="selu", solver="lbfgs"),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for dtype in (np.float64, np.float32):
            dense = X.astype(dtype)
            readonly = X.astype(dtype)
            readonly.flags.writeable = False
            y_readonly = y.astype(dtype)
            y_readonly.flags.writeable = False
            for params in configs:
                for data in (dense, sp.csr_matrix(dense), readonly, np.asfortranarray(dense)):
                    MLPClassifier(max_iter=2, random_state=0, **params).fit(data, y).predict_proba(data)
                    MLPRegressor(max_iter=2, random_state=0, **params).fit(data, y_readonly, sample_weight=np.ones(60))
            for params in TABULAR_CONFIGS:
                name = str(np.dtype(dtype))
                TabularMLPClassifier(max_iter=2, random_state=0, dtype=name, **params).fit(X, y).predict(X)
                TabularMLPRegressor(max_iter=2, random_state=0, dtype=name, **params).fit(X, y, sample_weight=np.ones(60))
    for kernel, tabular in ((_backprop.train_epoch_inplace, "tabular"), (_backprop.full_batch_loss_and_grad, "spec"),
                            (_backprop.predict_inplace, "spec")):  # fmt: skip
        names = kernel.py_func.__code__.co_varnames
        extras, tabular = names.index("extras"), names.index(tabular)
        kinds = sorted(
            (str(sig[0].dtype), sig[extras] == numba.types.none, sig[tabular] == numba.types.none)
            for sig in kernel.signatures
        )  # fmt: skip
        # scikit-learn's options; fastmlp's own; the tabular models' (not lbfgs')
        expected = [("float32", False, False), ("float32", False, True), ("float32", True, True),
                    ("float64", False, False), ("float64", False, True), ("float64", True, True)]  # fmt: skip
        if kernel is _backprop.full_batch_loss_and_grad:
            expected = [kind for kind in expected if kind[2]]
        assert kinds == expected, (kernel, kinds)
    # helpers too: a literal argument (0, False) would compile one more per value.
    # (Helpers list their signatures only when compiled in this process, as in a
    # clean clone's CI run; kernels loaded from the cache leave them empty.)
    from fastmlp import _forward, _team

    if _forward.forward_batch_inplace.signatures:
        assert len(_forward.forward_batch_inplace.signatures) == 6, _forward.forward_batch_inplace.signatures
        assert len(_team.team_total.signatures) == 1, _team.team_total.signatures


def test_read_only_input_is_neither_copied_nor_written(monkeypatch):
    X, y = make_classification(n_samples=50, n_features=5, random_state=0)
    X.flags.writeable = False
    before = X.copy()
    seen = []
    real_epoch = solvers_module.train_epoch_inplace

    def recording_epoch(*args):
        seen.append(np.shares_memory(args[0], X))
        return real_epoch(*args)

    monkeypatch.setattr(solvers_module, "train_epoch_inplace", recording_epoch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        MLPClassifier(max_iter=3, random_state=0).fit(X, y)
    assert seen == [True] * 3  # the kernel got X's own memory, not a copy
    np.testing.assert_array_equal(X, before)
    assert not X.flags.writeable


def test_kernel_falls_back_to_no_cache_with_a_warning(monkeypatch):
    real_njit = numba.njit

    def njit_without_cache_dir(*args, cache=False, **kwargs):
        if cache:
            raise RuntimeError("cannot cache function 'f': no locator available for file '/ro/f.py'")
        return real_njit(*args, **kwargs)

    monkeypatch.setattr(_config.numba, "njit", njit_without_cache_dir)
    monkeypatch.setattr(_config, "_warned_no_cache", False)
    monkeypatch.setattr(_config, "CACHE_ENABLED", True)

    def double(x):
        return 2 * x

    with pytest.warns(RuntimeWarning, match="writable directory for Numba's on-disk cache"):
        compiled = _config.kernel(double)
    assert compiled(21) == 42


def test_kernels_python_never_calls_compile_without_python_wrappers():
    """Kernels only other kernels call have no CPython or C wrapper
    (``_config.InternalKernel``); Python can still call them, through a small
    jitted entry compiled on first use."""
    from fastmlp._team import share

    assert isinstance(share, _config.InternalKernel)
    assert share.targetoptions["no_cpython_wrapper"] and share.targetoptions["no_cfunc_wrapper"]
    entry = _backprop.train_epoch_inplace
    assert not isinstance(entry, _config.InternalKernel) and not entry.targetoptions.get("no_cpython_wrapper")
    assert share(10, 1, 3) == (4, 8)
    assert share(n=10, tid=2, n_threads=3) == (8, 10)


def test_fits_and_predictions_call_no_internal_kernel_from_python(monkeypatch):
    """Python calls only the entry kernels: a call of an internal one would
    compile its jitted entry in every new process (a cold-start cost)."""
    from fastmlp import dropout_masks, forward_pass

    called = []
    real_call = _config.InternalKernel.__call__

    def recording_call(self, *args):
        called.append(self.py_func.__name__)
        return real_call(self, *args)

    monkeypatch.setattr(_config.InternalKernel, "__call__", recording_call)
    X, y = make_classification(n_samples=60, n_features=6, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for params in (
            dict(),
            dict(solver="lbfgs", activation="tanh"),
            dict(solver="sgd", activation=["gelu", "relu"], hidden_layer_sizes=(4, 3), dropout=0.2),
            dict(early_stopping=True, max_grad_norm=1.0, class_weight={0: 2.0, 1: 1.0}),
        ):
            model = MLPClassifier(max_iter=3, random_state=0, **params).fit(sp.csr_matrix(X), y)
            model.predict_proba(X)
            if model.solver != "lbfgs" and not model.early_stopping:
                model.partial_fit(X, y)
        MLPRegressor(max_iter=3, random_state=0, activation="mish").fit(X, y).predict(np.asfortranarray(X))
        forward_pass(X, model.coefs_, model.intercepts_, hidden_activation="relu", output_activation="logistic")
        dropout_masks(5, (4, 3), 0.5)
        TabularMLPClassifier(max_iter=3, random_state=0).fit(X, y).predict_proba(X)
        TabularMLPRegressor(max_iter=3, random_state=0, dtype="float64").fit(X, y).predict(X)
    assert called == []


_MLP_FIT_COMPILES = r"""
import json
import numpy as np
import fastmlp
from fastmlp import _backprop, _input_layers

X = np.random.RandomState(0).normal(size=(50, 4))
fastmlp.MLPClassifier((5,), max_iter=5).fit(X, np.arange(50) % 2).predict(X)
compiled = {
    "input layers": [len(k.signatures) for k in (_input_layers.input_layers_forward_inplace,
                                                 _input_layers.input_layers_backward_inplace)],
    "epoch, tabular": [str(sig[-4]) for sig in _backprop.train_epoch_inplace.signatures],
    "prediction, tabular": [str(sig[-1]) for sig in _backprop.predict_inplace.signatures],
}
print(json.dumps(compiled))
"""


def test_a_first_mlp_fit_compiles_no_tabular_code(tmp_path):
    """With an empty cache, a fit of scikit-learn's model compiles none of the
    tabular models' code: their input layers' kernels stay uncompiled and
    the kernels it compiles take None for them."""
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path))
    env.pop("FASTMLP_DISABLE_CACHE", None)
    out = subprocess.run([sys.executable, "-c", _MLP_FIT_COMPILES], env=env, capture_output=True, text=True, check=True)
    compiled = json.loads(out.stdout.strip().splitlines()[-1])
    assert compiled == {"input layers": [0, 0], "epoch, tabular": ["none"], "prediction, tabular": ["none"]}
