"""Filling Numba's on-disk cache ahead of the first fit: ``fastmlp.precompile``."""

import time
import warnings

import numpy as np


def precompile(dtypes=("float64", "float32"), *, own_options=True):
    """Compile every kernel a fit and a prediction need, into Numba's on-disk
    cache, so that the first fit of a new process loads them instead.

    A cold compile costs about 10 s per dtype on a 2-core machine, and as
    much again for fastmlp's own activations and dropout; a load from the
    cache, 0.2-0.35 s. Run this once where the models will train: on each
    Dask worker (``client.run(fastmlp.precompile)``), or in a container
    image's build (``RUN python -m fastmlp precompile``). The cache lives
    next to fastmlp's sources (or in ``NUMBA_CACHE_DIR``) and holds code for
    the CPU it was compiled on: build the image on the kind of machine that
    runs it. What it compiles serves dense input (C or Fortran order,
    read-only too) and CSR input with int32 indices, SciPy's own below 2**31
    stored values; int64 indices compile on their first fit. With
    ``FASTMLP_DISABLE_CACHE=1`` nothing is cached: it warns and compiles
    for this process only.

    .. versionadded:: fastmlp 0.2

    Parameters
    ----------
    dtypes : {'float64', 'float32'} or a sequence of them, default=('float64', 'float32')
    own_options : bool, default=True
        Also compile the kernels of fastmlp's own activations and dropout
        (a second specialisation, see the README).

    Returns
    -------
    seconds : dict
        The time each dtype took (compiling, or loading what was cached).
    """
    from . import MLPClassifier
    from ._config import CACHE_ENABLED

    dtypes = [dtypes] if isinstance(dtypes, str) else list(dtypes)
    for dtype in dtypes:  # all checked before anything compiles
        if dtype not in ("float64", "float32", np.float64, np.float32):
            raise ValueError(f"dtypes must be 'float64' or 'float32', got {dtype!r}.")
    if not CACHE_ENABLED:
        warnings.warn("FASTMLP_DISABLE_CACHE is set: precompile caches nothing for other processes.", RuntimeWarning)
    X = np.random.RandomState(0).normal(size=(40, 3))
    y = np.arange(40) % 3
    option_sets = [{}] + ([{"activation": ["gelu", "relu"], "dropout": 0.1}] if own_options else [])
    seconds = {}
    for dtype in dtypes:
        start = time.perf_counter()
        data = X.astype(dtype)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for options in option_sets:
                for solver in ("adam", "lbfgs"):
                    dropout = options.get("dropout", 0.0) if solver == "adam" else 0.0
                    params = {**options, "dropout": dropout}
                    MLPClassifier((4, 3), solver=solver, max_iter=2, random_state=0, **params).fit(data, y).predict(data)
        seconds[str(np.dtype(dtype))] = time.perf_counter() - start
    return seconds
