"""The test suite's environment.

Fits run on the kernels unless a test says otherwise: with
``FASTMLP_FIRST_TIER`` unset, a cold cache (a fresh clone in CI) would train
the first fits with scikit-learn's estimator while the kernels compile in the
background, and the tests of the kernels' own behaviour would depend on how
fast that compile is. tests/test_first_tier.py tests the first tier itself,
forced on and in fresh processes with caches of their own;
``FASTMLP_FIRST_TIER=always ./run test`` runs every test but those marked
``kernels`` with it forced on.
"""

import os

import pytest

os.environ.setdefault("FASTMLP_FIRST_TIER", "never")

from fastmlp import _first_tier  # noqa: E402

_first_tier.MODE = _first_tier._mode_from_environment()  # had fastmlp been imported before this file


@pytest.fixture(autouse=True)
def _kernels_for_tests_of_the_kernels(request, monkeypatch):
    """Tests marked ``kernels`` (threads, compiles, interrupts inside a
    kernel, two fits compared bit for bit) run on the kernels, whatever
    FASTMLP_FIRST_TIER says."""
    if request.node.get_closest_marker("kernels") is not None:
        monkeypatch.setenv("FASTMLP_FIRST_TIER", "never")  # and in the processes it starts
        monkeypatch.setattr(_first_tier, "MODE", "never")
