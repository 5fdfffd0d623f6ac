"""A team of threads for one fit: the calling thread and its workers, all
running the same kernel and meeting at spin barriers inside it.

Each batch is split into row blocks, one per thread; every thread runs the
forward and backward pass of its rows into its own gradient buffer, waits at
a barrier, then sums the buffers over its share of the parameters and applies
the optimizer to that share; a second barrier, and the next batch starts.
The barrier and the helpers below are kernels only other kernels call
(``_config.InternalKernel``: no Python wrappers).

Why not Numba's ``prange``: measured on the 2-core dev machine, one parallel
region per batch cost 15-35 us to launch and join (W4's batches, 70 us of
work per thread, took 100-110 us split in two), and compiling the parallel
kernel took 4.3 of the 12.3 s a first fit spent compiling. Here a barrier
costs about 0.25 us, the optimizer step is split too, and the kernels are
ordinary ones.

``sync`` is a small int64 array shared by the team: the arrival count, the
barrier generation and a stop flag, each on its own cache line.
"""

import ctypes
import sys
import threading

import numpy as np
from llvmlite import binding as llvm_binding
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from ._config import kernel

ARRIVED, GENERATION, STOP = 0, 8, 16
SYNC_SIZE = 24

# Spins on the barrier before each yield of the processor: about 1 us here,
# longer than a barrier normally waits within a batch, short enough that a
# thread whose partner was descheduled gives its core away.
SPINS_BEFORE_YIELD = 1000

# Yields before a waiting thread starts sleeping 50 us at a time: 10-20 ms of
# waiting here. Within a batch and between the epochs of W1 (whose fits
# counted 20,000-40,000 yields and no sleep) workers never get there; while the
# caller scores a validation set or runs a long L-BFGS-B step, they stop
# keeping a core busy.
YIELDS_BEFORE_SLEEP = 20000
SLEEP_MICROSECONDS = 50

# The OS calls that yield the processor and sleep, registered under fixed
# names so that cached machine code finds them in any process.
_YIELD_SYMBOL = "fastmlp_yield_processor"
_SLEEP_SYMBOL = "fastmlp_sleep_microseconds"
if sys.platform == "win32":
    _yield_function = ctypes.windll.kernel32.SwitchToThread
    _sleep_function = ctypes.windll.kernel32.Sleep  # milliseconds: sleeps 1 ms for 50 us
    SLEEP_ARGUMENT = 1
else:
    _yield_function = ctypes.CDLL(None).sched_yield
    _sleep_function = ctypes.CDLL(None).usleep
    SLEEP_ARGUMENT = SLEEP_MICROSECONDS
llvm_binding.add_symbol(_YIELD_SYMBOL, ctypes.cast(_yield_function, ctypes.c_void_p).value)
llvm_binding.add_symbol(_SLEEP_SYMBOL, ctypes.cast(_sleep_function, ctypes.c_void_p).value)


def _element_pointer(context, builder, array_type, array, index):
    view = context.make_array(array_type)(context, builder, array)
    return cgutils.get_item_pointer(context, builder, array_type, view, [index])


@intrinsic
def _atomic_add(typingctx, array, index, value):
    """``array[index] += value`` atomically (sequentially consistent); returns the old value."""
    sig = types.int64(array, types.intp, types.int64)

    def codegen(context, builder, signature, args):
        pointer = _element_pointer(context, builder, signature.args[0], args[0], args[1])
        return builder.atomic_rmw("add", pointer, args[2], "seq_cst")

    return sig, codegen


@intrinsic
def _atomic_load(typingctx, array, index):
    """``array[index]``, read with acquire ordering (never cached in a register)."""
    sig = types.int64(array, types.intp)

    def codegen(context, builder, signature, args):
        pointer = _element_pointer(context, builder, signature.args[0], args[0], args[1])
        return builder.load_atomic(pointer, "acquire", 8)

    return sig, codegen


@intrinsic
def _atomic_store(typingctx, array, index, value):
    """``array[index] = value`` with release ordering."""
    sig = types.void(array, types.intp, types.int64)

    def codegen(context, builder, signature, args):
        pointer = _element_pointer(context, builder, signature.args[0], args[0], args[1])
        builder.store_atomic(args[2], pointer, "release", 8)
        return context.get_dummy_value()

    return sig, codegen


@intrinsic
def _yield_processor(typingctx):
    sig = types.void()

    def codegen(context, builder, signature, args):
        function = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.IntType(32), []), _YIELD_SYMBOL)
        builder.call(function, [])
        return context.get_dummy_value()

    return sig, codegen


@intrinsic
def _sleep(typingctx, amount):
    """usleep(amount) (Sleep(amount) in milliseconds on Windows); the result is ignored."""
    sig = types.void(types.int32)

    def codegen(context, builder, signature, args):
        function_type = ir.FunctionType(ir.VoidType(), [ir.IntType(32)])
        function = cgutils.get_or_insert_function(builder.module, function_type, _SLEEP_SYMBOL)
        builder.call(function, [args[0]])
        return context.get_dummy_value()

    return sig, codegen


@kernel
def barrier(sync, n_threads):
    """Wait until all ``n_threads`` threads of the team have arrived.

    Returns False, without waiting further, once the team is stopped. Every
    write a thread made before arriving is visible to every thread after.
    """
    if n_threads == 1:
        return True
    generation = _atomic_load(sync, GENERATION)
    if _atomic_add(sync, ARRIVED, 1) == n_threads - 1:
        _atomic_store(sync, ARRIVED, 0)
        _atomic_add(sync, GENERATION, 1)
    else:
        spins = 0
        yields = 0
        while _atomic_load(sync, GENERATION) == generation:
            if _atomic_load(sync, STOP) != 0:
                return False
            spins += 1
            if spins == SPINS_BEFORE_YIELD:
                spins = 0
                if yields < YIELDS_BEFORE_SLEEP:
                    yields += 1
                    _yield_processor()
                else:
                    _sleep(np.int32(SLEEP_ARGUMENT))
    return _atomic_load(sync, STOP) == 0


class Team:
    """``n_threads`` threads running one kernel: the caller as thread 0 and
    workers started by :meth:`start`. Use as a context manager: leaving it
    stops the workers and joins them.

    A kernel run by the team takes ``(..., tid, n_threads, sync)`` as its last
    arguments and starts with a :func:`barrier`, so that the workers wait there
    (spinning, then yielding the processor) while the caller does its Python
    work between calls; it returns early once the team is stopped.
    """

    def __init__(self, n_threads):
        self.n_threads = n_threads
        self.sync = np.zeros(SYNC_SIZE, dtype=np.int64)
        self._workers = []
        self._errors = []

    def start(self, kernel, args):
        """Call ``kernel(*args, tid, n_threads, sync)`` in each worker until the
        team stops. The team's kernels keep their workers inside them between
        the caller's calls (waiting in Python, for the GIL, cost 50-100 us per
        call in thread wake-ups), so a worker normally calls its kernel once."""
        for tid in range(1, self.n_threads):
            worker = threading.Thread(
                target=self._work, args=(kernel, args, tid), name=f"fastmlp-team-{tid}", daemon=True
            )
            worker.start()
            self._workers.append(worker)

    def _work(self, kernel, args, tid):
        try:
            while not self.sync[STOP]:
                kernel(*args, tid, self.n_threads, self.sync)
        except BaseException as exc:  # reported to the caller by check()
            self._errors.append(exc)
            self.sync[STOP] = 1

    def check(self):
        """Raise in the caller's thread if a worker failed."""
        if self._errors:
            raise RuntimeError("a fastmlp worker thread failed") from self._errors[0]

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.sync[STOP] = 1
        for worker in self._workers:
            worker.join()
        self._workers.clear()
        if exc_info[0] is None:
            self.check()


# -- dividing work among the team, and adding up its parts -----------------------------


@kernel
def share(n, tid, n_threads):
    """``[lo, hi)``: thread ``tid``'s block of ``n`` items split in ``n_threads``
    blocks of ``ceil(n / n_threads)`` (the last ones may be short or empty)."""
    size = (n + n_threads - 1) // n_threads
    lo = min(tid * size, n)
    return lo, min(lo + size, n)


@kernel
def sum_parts_inplace(part_grads, grads, lo, hi):
    """``grads[lo:hi] = sum_p part_grads[p, lo:hi]``, summed in part order.

    The ranges are sliced before the loops, whose indices then start at 0:
    indexed ``range(lo, hi)``, Numba's negative-index checks kept LLVM from
    vectorising them. The first two parts are added in one pass. W2's share
    (29.6k entries, two parts): 48.5 -> 9.7 us per batch (one thread, medians
    of 3), 2.5% of W2's batch.
    """
    out = grads[lo:hi]
    first = part_grads[0, lo:hi]
    if part_grads.shape[0] == 1:
        for j in range(out.shape[0]):
            out[j] = first[j]
        return
    second = part_grads[1, lo:hi]
    for j in range(out.shape[0]):
        out[j] = first[j] + second[j]
    for part in range(2, part_grads.shape[0]):
        other = part_grads[part, lo:hi]
        for j in range(out.shape[0]):
            out[j] += other[j]


@kernel
def team_total(part_sums, column):
    """Sum over the team's threads of one column of ``part_sums``, in thread order."""
    total = 0.0
    for part in range(part_sums.shape[0]):
        total += part_sums[part, column]
    return total
