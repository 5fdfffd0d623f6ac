"""The one source of Numba options for every fastmlp kernel.

Kernel modules decorate with :func:`kernel` and never pass options inline, so
that the fast-math policy, the error model and caching are decided here once.
"""

import inspect
import os
import warnings

import numba
from numba.core.registry import CPUDispatcher

# Fast-math flags, by what each buys (measured on the 2-core dev machine, fits
# with every kernel compiled under the flag set, medians; W1/W4/W6 of
# benchmarks/compare.py):
# - ``reassoc`` lets LLVM reorder floating-point sums, so that reductions (the
#   loss, bias gradients, softmax totals, sums of squares) vectorise. Every
#   kernel compiled without it (and ``nsz``), two interleaved rounds: W1 0.110
#   and 0.127 s -> 0.143 and 0.177 s, W4 0.31 and 0.37 -> 0.43 and 0.43 s, W6
#   0.028 and 0.041 -> 0.041 and 0.043 s; with no flag at all, W1 0.14 and
#   0.17 s, W6 0.055 and 0.054 s. It is also what turned Adam's overflowing ``v`` into NaN (with
#   ``nsz``, LLVM may rewrite ``b v + (1 - b) g^2`` as ``b (v - g^2) + g^2``,
#   which is ``inf - inf`` once ``g^2`` overflows): kernels whose inputs can be
#   infinite while IEEE arithmetic keeps the result finite compile with
#   ``math="ieee"`` below.
# - ``nsz`` (ignore the sign of zero) lets it fold ``x + 0`` and factorise.
# - ``arcp`` (multiply by a reciprocal), ``afn`` (approximate functions) and
#   ``contract`` (fused multiply-add) are cheap, local and finite-safe here.
# Never ``nnan``/``ninf``: ``np.isnan``/``np.isfinite`` stay meaningful inside
# kernels, which the non-finite checks rely on.
FASTMATH_FLAGS = frozenset({"nsz", "arcp", "contract", "afn", "reassoc"})

# ``math="ordered"``: without ``reassoc``, for functions whose rounding is
# designed step by step (the Cody-Waite range reduction of exp_approx lost 100
# ulp when LLVM was allowed to reassociate it).
ORDERED_FASTMATH_FLAGS = FASTMATH_FLAGS - {"reassoc"}

# ``math="ieee"``: only fused multiply-add, for what the optimizer steps do
# with gradients that may overflow (inf must stay inf, not become NaN): the
# clipping norm and scale, AdamW's decay. Fits with the steps under it
# against every flag, interleaved, medians of 5: W1 0.126 vs 0.123 s in one
# run, W2 1.28 vs 1.31 s, W6 0.030 vs 0.031 s.
IEEE_FASTMATH_FLAGS = frozenset({"contract"})

# ``math="ieee_sums"``: ``ieee`` plus ``reassoc``, for the optimizer steps,
# whose loops also sum the squares of the weights they update (the next
# batch's L2 penalty). Reassociation alone lets LLVM vectorise that reduction;
# what turned Adam's overflowing ``v`` into NaN was the factorisation, which
# needs ``nsz`` too, and the step tests with infinite gradients give the same
# weights and moments as under ``ieee``. Against an update under ``ieee``
# followed by a reassociated sum of squares (a second pass over the
# weights): W3's SGD step (670k weights) 630 -> 525 us per batch, Adam on
# W6's 2.4k weights 2.68 -> 2.62 us (medians of 5).
IEEE_SUMS_FASTMATH_FLAGS = frozenset({"contract", "reassoc"})

_MATH_POLICIES = {
    "fast": FASTMATH_FLAGS,
    "ordered": ORDERED_FASTMATH_FLAGS,
    "ieee": IEEE_FASTMATH_FLAGS,
    "ieee_sums": IEEE_SUMS_FASTMATH_FLAGS,
}

NUMBA_OPTIONS = {
    "fastmath": set(FASTMATH_FLAGS),
    "error_model": "numpy",
    "nogil": True,
}

# Measured on the 2-core dev machine: a cold compile of everything a fit needs
# costs about 9 s per dtype, a load from the on-disk cache 0.2-0.3 s, so caching
# is on by default.
# FASTMLP_DISABLE_CACHE=1 turns it off (useful while editing kernels).
# Numba keys a cached kernel on its file's time stamp and its bytecode, not on
# its options nor on the kernels it calls from other files: after changing
# either without touching the kernel's file, or when switching a working tree
# between commits that compile a kernel differently, clear the cache
# (``fastmlp/__pycache__``). A kernel cached as an InternalKernel and loaded
# by a version that calls it from Python would crash.
CACHE_ENABLED = os.environ.get("FASTMLP_DISABLE_CACHE", "0") in ("", "0")

_warned_no_cache = False


class InternalKernel(CPUDispatcher):
    """A kernel compiled for other kernels only: no CPython or C entry point.

    Numba gives every compiled function two wrappers (one to call it from
    Python, one as a C function pointer) and optimises and emits them with it;
    a kernel only other kernels call never uses them. Without them, a cold
    first fit took 0.89 of the time (medians of paired runs, 0.887 and
    0.907 in two rounds of three). Numba's own call from Python of such a function
    would crash, so a call from Python (tests, a debugging session) goes
    through a small jitted function calling it, compiled on first use, which
    releases the GIL as the kernels do (a thread waiting in a barrier must not
    hold it).
    """

    def __call__(self, *args, **kwargs):
        entry = self.__dict__.get("_python_entry")
        if entry is None:
            # named parameters, not *args: Numba cannot inline (``inline=True``)
            # into a function taking *args
            names = ", ".join(inspect.signature(self.py_func).parameters)
            namespace = {"kernel": self}
            exec(f"def python_entry({names}):\n    return kernel({names})", namespace)
            entry = self._python_entry = numba.njit(nogil=True)(namespace["python_entry"])
        return entry(*args, **kwargs)


def kernel(func=None, *, math="fast", inline=False, entry=False):
    """Compile ``func`` with the project's Numba options.

    ``math`` picks the fast-math flags (see above): ``"fast"`` (the default),
    ``"ordered"`` (operations kept in the order written), ``"ieee"`` (only
    fused multiply-add: infinities behave as in IEEE arithmetic) or
    ``"ieee_sums"`` (``"ieee"`` with sums reassociated). ``inline``
    inlines the function into its callers at Numba's level (its operations
    then take the caller's flags), for helpers LLVM would leave as calls in
    the loops that use them, which then do not vectorise. ``entry`` marks
    the kernels Python calls; the others compile as :class:`InternalKernel`.

    Caching is tried first; where Numba finds no writable cache directory it
    raises at decoration time, and the kernel is compiled without a cache
    instead (with one warning per process) so that ``import fastmlp`` works on
    read-only installs.
    """
    if func is None:
        return lambda f: kernel(f, math=math, inline=inline, entry=entry)
    options = dict(NUMBA_OPTIONS)
    options["fastmath"] = set(_MATH_POLICIES[math])
    if inline:
        options["inline"] = "always"
    if not entry:
        options.update(no_cpython_wrapper=True, no_cfunc_wrapper=True)
    dispatcher = _compiled(func, options)
    if not entry:
        dispatcher.__class__ = InternalKernel
    return dispatcher


def _compiled(func, options):
    global _warned_no_cache
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
                    stacklevel=3,
                )
                _warned_no_cache = True
    return numba.njit(cache=False, **options)(func)
