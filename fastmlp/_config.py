"""The one source of Numba options for every fastmlp kernel.

Kernel modules decorate with :func:`kernel` and never pass options inline, so
that the fast-math policy, the error model and caching are decided here once.
"""

import os
import warnings

import numba

# Fast-math without ``nnan``/``ninf``: ``np.isnan``/``np.isfinite`` stay
# meaningful inside kernels, which the non-finite checks rely on.
FASTMATH_FLAGS = frozenset({"nsz", "arcp", "contract", "afn", "reassoc"})

# Without ``reassoc``: for functions whose rounding is designed step by step
# (the Cody-Waite range reduction of exp_approx lost 100 ulp when LLVM was
# allowed to reassociate it).
ORDERED_FASTMATH_FLAGS = FASTMATH_FLAGS - {"reassoc"}

NUMBA_OPTIONS = {
    "fastmath": set(FASTMATH_FLAGS),
    "error_model": "numpy",
    "nogil": True,
}

# Measured on the 2-core dev machine: a cold compile of everything a fit needs
# costs about 9 s per dtype, a load from the on-disk cache 0.2-0.3 s, so caching
# is on by default.
# FASTMLP_DISABLE_CACHE=1 turns it off (useful while editing kernels).
CACHE_ENABLED = os.environ.get("FASTMLP_DISABLE_CACHE", "0") in ("", "0")

_warned_no_cache = False


def kernel(func=None, *, ordered_math=False):
    """Compile ``func`` with the project's Numba options.

    ``@kernel(ordered_math=True)`` keeps floating-point operations in the
    order written (no reassociation).

    Caching is tried first; where Numba finds no writable cache directory it
    raises at decoration time, and the kernel is compiled without a cache
    instead (with one warning per process) so that ``import fastmlp`` works on
    read-only installs.
    """
    global _warned_no_cache
    if func is None:
        return lambda f: kernel(f, ordered_math=ordered_math)
    options = dict(NUMBA_OPTIONS)
    if ordered_math:
        options["fastmath"] = set(ORDERED_FASTMATH_FLAGS)
    if CACHE_ENABLED:
        try:
            return numba.njit(cache=True, **options)(func)
        except RuntimeError as exc:  # numba: "no locator available"
            if not _warned_no_cache:
                warnings.warn(
                    "fastmlp could not find a writable directory for Numba's "
                    f"on-disk cache ({exc}); kernels will be compiled in every "
                    "new process. Set NUMBA_CACHE_DIR to a writable directory "
                    "to enable caching.",
                    RuntimeWarning,
                    stacklevel=2,
                )
                _warned_no_cache = True
    return numba.njit(cache=False, **options)(func)
