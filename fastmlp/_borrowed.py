"""Borrowed array views: the same memory, without Numba's reference counting.

Every slice or reshape Numba makes of an array increments and later
decrements the reference count of the array's owner (an atomic add, in a
function call LLVM may not inline). In a batch's forward and backward passes
that is dozens of atomics per batch on a few owners: ``params``, the workspace and the
gathered batch. When a batch is split across threads, both threads hit the
same counters, and the cache line holding each of them bounces between the
cores. Measured on the 2-core dev machine (W4 shapes, one batch split in
two): 109 us per batch with shared owners, 75 us with a private copy of every
array per thread; 67-77 us for one half-batch alone.

:func:`borrowed` returns a view whose owner pointer is null, so the views
derived from it are not counted at all. It is only for arrays that a kernel
uses while its caller keeps the real array alive, and that are never
returned, stored or boxed: a borrowed view does not keep its memory alive.
"""

from numba import types
from numba.core import cgutils
from numba.extending import intrinsic


@intrinsic
def borrowed(typingctx, array):
    """``array``'s data, shape and strides, with no owner (see module docstring)."""
    if not isinstance(array, types.Array):
        return None
    sig = array(array)

    def codegen(context, builder, signature, args):
        view = context.make_array(array)(context, builder, value=args[0])
        view.meminfo = cgutils.get_null_value(view.meminfo.type)
        view.parent = cgutils.get_null_value(view.parent.type)
        return view._getvalue()

    return sig, codegen
