"""Filling Numba's on-disk cache ahead of the first fit: ``fastmlp.precompile``."""

import contextlib
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time
import warnings

import numba
import numpy as np

# Set in the child processes of a parallel precompile: they compile one dtype
# each, under the lock their parent holds.
_CHILD = "FASTMLP_PRECOMPILE_CHILD"


def precompile(dtypes=("float64", "float32"), *, own_options=True, tabular=True, parallel=None):
    """Compile every kernel a fit and a prediction need, into Numba's on-disk
    cache, so that the first fit of a new process loads them instead.

    Without it, a first fit that finds the cache cold starts this compile in
    a background process and trains meanwhile with scikit-learn's own
    estimator (the first tier, see the README); a precompile run then waits
    for that compile rather than start another.

    A cold compile costs about 10 s per dtype on a 2-core machine, and as
    much again for fastmlp's own activations and dropout, and again for the
    tabular models; a load from the cache, 0.2-0.35 s. Run this once where the models will train: on each
    Dask worker (``client.run(fastmlp.precompile)``), or in a container
    image's build (``RUN python -m fastmlp precompile``). The cache lives
    next to fastmlp's sources (or in ``NUMBA_CACHE_DIR``) and holds code for
    the CPU it was compiled on: build the image on the kind of machine that
    runs it. What it compiles serves dense input (C or Fortran order,
    read-only too) and CSR input with int32 indices, SciPy's own below 2**31
    stored values; int64 indices compile on their first fit. With
    ``FASTMLP_DISABLE_CACHE=1`` nothing is cached: it warns and compiles
    for this process only.

    Several dtypes compile in parallel processes where the process may use
    more than one core (Numba compiles on one). A lock file in the cache's
    directory makes a second precompile on the machine (another Dask worker)
    wait for the first and then find the cache warm, rather than compile
    the same kernels alongside it.

    .. versionadded:: fastmlp 0.2

    Parameters
    ----------
    dtypes : {'float64', 'float32'} or a sequence of them, default=('float64', 'float32')
    own_options : bool, default=True
        Also compile the kernels of fastmlp's own activations and dropout
        (a second specialisation, see the README).
    tabular : bool, default=True
        Also compile the kernels of ``TabularMLPClassifier`` and
        ``TabularMLPRegressor`` (a third specialisation).
    parallel : bool, default=None
        One process per dtype; None: when more than one core is allowed.

    Returns
    -------
    seconds : dict
        The time each dtype took (compiling, or loading what was cached).
    """
    from ._config import CACHE_ENABLED

    dtypes = [dtypes] if isinstance(dtypes, str) else list(dtypes)
    for dtype in dtypes:  # all checked before anything compiles
        if dtype not in ("float64", "float32", np.float64, np.float32):
            raise ValueError(f"dtypes must be 'float64' or 'float32', got {dtype!r}.")
    if not CACHE_ENABLED:
        warnings.warn("FASTMLP_DISABLE_CACHE is set: precompile caches nothing for other processes.", RuntimeWarning)
    if os.environ.get(_CHILD):
        return _compile_here(dtypes, own_options, tabular)
    if parallel is None:
        from ._threads import allowed_threads

        parallel = len(dtypes) > 1 and allowed_threads() > 1 and CACHE_ENABLED
    with _cache_lock():
        if not parallel:
            return _compile_here(dtypes, own_options, tabular)
        return _compile_in_processes(dtypes, own_options, tabular)


def background_compile(dtype):
    """The first tier's background compile (``python -m fastmlp precompile
    --background``): an MLP's kernels for ``dtype``, after any other
    precompile on the machine has finished, unless that one compiled them."""
    from . import _background_compile as background

    with _cache_lock(quiet=True):
        if not background.kernels_ready(dtype):
            seconds = _compile_here([dtype], own_options=False, tabular=False)
            background.log(f"compiled {dtype} in {seconds[str(np.dtype(dtype))]:.1f} s")  # (tests count these lines)


def _compile_here(dtypes, own_options, tabular):
    """Fit and predict tiny models of each dtype: every kernel they call
    compiles (or loads); then the first tier's markers say so."""
    from . import MLPClassifier, TabularMLPClassifier, _first_tier
    from ._background_compile import mark_ready

    X = np.random.RandomState(0).normal(size=(40, 3))
    y = np.arange(40) % 3
    kinds = {"mlp": {}, "own": {"activation": ["gelu", "relu"], "dropout": 0.1}}
    seconds = {}
    for dtype in dtypes:
        start = time.perf_counter()
        data = X.astype(dtype)
        with warnings.catch_warnings(), _first_tier.disabled():
            warnings.simplefilter("ignore")
            for kind, options in kinds.items():
                if kind == "own" and not own_options:
                    continue
                for solver in ("adam", "lbfgs"):
                    params = {**options, "dropout": options.get("dropout", 0.0) if solver == "adam" else 0.0}
                    MLPClassifier((4, 3), solver=solver, max_iter=2, random_state=0, **params).fit(data, y).predict(data)
                mark_ready(dtype, kind, time.perf_counter() - start)  # at once: a waiting fit goes on
            if tabular:
                model = TabularMLPClassifier(hidden_layer_sizes=(4, 3), max_iter=2, dtype=str(np.dtype(dtype)))
                model.fit(X, y).predict(X)
                mark_ready(dtype, "tabular", time.perf_counter() - start)
        seconds[str(np.dtype(dtype))] = time.perf_counter() - start
    return seconds


def _compile_in_processes(dtypes, own_options, tabular):
    """One ``python -m fastmlp precompile`` per dtype, all at once; their times."""
    command = [sys.executable, "-m", "fastmlp", "precompile", "--json"] + ([] if own_options else ["--no-own-options"])
    command += [] if tabular else ["--no-tabular"]
    env = dict(os.environ, **{_CHILD: "1"})
    children = [
        subprocess.Popen([*command, "--dtypes", str(np.dtype(d))], env=env, stdout=subprocess.PIPE, text=True)
        for d in dtypes
    ]
    seconds = {}
    for child in children:
        out, _ = child.communicate()
        if child.returncode != 0:
            raise RuntimeError(f"precompile's child process failed (exit code {child.returncode}).")
        seconds.update(json.loads(out.strip().splitlines()[-1]))
    return seconds


@contextlib.contextmanager
def _cache_lock(quiet=False):
    """An exclusive lock on ``fastmlp-precompile.lock`` in Numba's cache
    directory (``NUMBA_CACHE_DIR``, else fastmlp's ``__pycache__``), held
    for the whole precompile; none where ``fcntl`` is missing (Windows)."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    directory = pathlib.Path(numba.config.CACHE_DIR or pathlib.Path(__file__).parent / "__pycache__")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        handle = open(directory / "fastmlp-precompile.lock", "a")
    except OSError:  # a read-only install: lock in the temporary directory
        handle = open(pathlib.Path(tempfile.gettempdir()) / "fastmlp-precompile.lock", "a")
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not quiet:
                print("fastmlp: another precompile is filling this cache; waiting for it", file=sys.stderr, flush=True)
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
