"""scikit-learn's own MLP test module, run against fastmlp's estimators.

The installed ``sklearn/neural_network/tests/test_mlp.py`` is loaded with its
one import of the estimators pointed at fastmlp, and its test functions are
collected here unchanged: the same data, parameters and assertions (exact
weights, scores, messages) that scikit-learn's MLP passes.
"""

import pathlib
import types

import pytest
import sklearn

# Tests of scikit-learn's private internals, which fastmlp does not have
# (its gradients are checked by central differences in test_backprop.py).
PRIVATE_API_TESTS = {"test_gradient": "calls MLPClassifier._loss_grad_lbfgs, a private method of scikit-learn's"}

_SOURCE = pathlib.Path(sklearn.__file__).parent / "neural_network" / "tests" / "test_mlp.py"
_IMPORT = "from sklearn.neural_network import MLPClassifier, MLPRegressor"


def _load():
    text = _SOURCE.read_text()
    assert text.count(_IMPORT) == 1, "scikit-learn's test module imports its estimators differently"
    module = types.ModuleType("sklearn_test_mlp_on_fastmlp")
    module.__file__ = str(_SOURCE)
    code = compile(text.replace(_IMPORT, "from fastmlp import MLPClassifier, MLPRegressor"), str(_SOURCE), "exec")
    exec(code, module.__dict__)
    return module


@pytest.fixture
def global_random_seed():
    """scikit-learn's conftest fixture, at its default seed."""
    return 42


_module = _load()
for _name, _test in vars(_module).items():
    if _name.startswith("test_"):
        if _name in PRIVATE_API_TESTS:
            _test = pytest.mark.skip(reason=PRIVATE_API_TESTS[_name])(_test)
        globals()[_name] = _test


def test_the_module_is_collected_whole():
    names = [name for name in vars(_module) if name.startswith("test_")]
    assert len(names) >= 40 and set(PRIVATE_API_TESTS) <= set(names)
