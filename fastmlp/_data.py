"""The training and prediction data as the kernels take it, never copied when it need not be.

Dense X is taken as it comes when it is C-contiguous, and as its transpose
(also C-contiguous, a view) when it is Fortran-ordered, which is what
``np.asarray`` gives for a pandas DataFrame: mini-batches gather their rows
either way. Sparse X is CSR with its own index type (int32, or int64). Only
what cannot be used in place is copied: another float dtype, a strided view,
CSC (converted to CSR, as scikit-learn's sparse products would need too).
"""

import numpy as np
import scipy.sparse as sp

from ._forward import make_codes, no_sparse_input
from ._layout import as_kernel_input


def dense_input(X, dtype):
    """``(array, transposed)``: X as a C-contiguous array of ``dtype``, or its
    transpose (``transposed`` True) for an X that is Fortran-ordered."""
    X = np.asarray(X)
    if X.dtype != dtype:
        X = X.astype(dtype, order="K")  # keeps Fortran order
    if not X.flags.c_contiguous and X.flags.f_contiguous and X.ndim == 2:
        return as_kernel_input(X.T), True
    return as_kernel_input(np.ascontiguousarray(X)), False


def csr_input(X, dtype):
    """``(data, indices, indptr)`` of a sparse X as CSR: int32 or int64
    indices as they are (both of one type), data in ``dtype``."""
    X = X.tocsr()
    indices, indptr = X.indices, X.indptr
    if indices.dtype != indptr.dtype or indices.dtype not in (np.int32, np.int64):
        indices, indptr = indices.astype(np.int64), indptr.astype(np.int64)
    return tuple(
        as_kernel_input(np.ascontiguousarray(a, dtype=t))
        for a, t in ((X.data, dtype), (indices, indices.dtype), (indptr, indptr.dtype))
    )


def kernel_inputs(X, dtype):
    """``(X_dense, (data, indices, indptr), transposed)`` for the kernels; the
    unused side is made of empty arrays of the same types."""
    if sp.issparse(X):
        return np.empty((0, 0), dtype=dtype), csr_input(X, dtype), False
    X, transposed = dense_input(X, dtype)
    return X, no_sparse_input(dtype), transposed


class TrainingData:
    """The training data as the kernels take it (see ``kernel_inputs``).

    Y becomes a float (n_samples, n_outputs) array of X's dtype; ``y`` keeps
    the validated targets for scoring the validation split.
    """

    def __init__(self, X, Y, sample_weight, dtype):
        self.dtype = dtype
        self.is_sparse = sp.issparse(X)
        self.csr = X.tocsr() if self.is_sparse else None
        self.X, self.csr_arrays, self.transposed = kernel_inputs(self.csr if self.is_sparse else X, dtype)
        self.y = Y
        self.Y = as_kernel_input(np.ascontiguousarray(Y, dtype=dtype))
        self.use_weight = sample_weight is not None
        self.sample_weight = (
            np.empty(0, dtype=dtype)
            if sample_weight is None
            else as_kernel_input(np.ascontiguousarray(sample_weight, dtype=dtype))
        )

    @property
    def n_samples(self):
        return self.Y.shape[0]

    def codes(self, estimator):
        return make_codes(
            estimator.activation, estimator.out_activation_, estimator._loss_name(),
            is_sparse=self.is_sparse, use_weight=self.use_weight, mean_over_outputs=True,
            x_transposed=self.transposed,
        )  # fmt: skip

    def rows_as_input(self, rows):
        """Rows of X as an input to ``predict`` (a copy: validation rows only)."""
        if self.is_sparse:
            return self.csr[rows]
        return np.ascontiguousarray(self.X[:, rows].T) if self.transposed else self.X[rows]
