"""Prediction of the MLP estimators: the kernels' forward pass over chunks of
rows (or, until the kernels are compiled, scikit-learn's in numpy), its codes,
and the fast path that skips validation for inputs that need none.

A mixin of ``BaseMultilayerPerceptron``, as ``SolverMixin`` is for fitting.
"""

import contextlib

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import validate_data

from . import _first_tier, _threads
from ._data import kernel_inputs
from ._forward import PREDICT_CHUNK_ROWS, kernel_extras, make_codes, predict_inplace
from ._layer_options import layer_activations
from ._layout import ParameterLayout


class PredictionMixin:
    """``_forward_pass_fast`` and what it needs, for the estimators."""

    def _forward_pass_fast(self, X, check_input=True):
        """Output-layer activations for X: (n_samples, n_outputs)."""
        params = self._flat_params(rebind=False)
        validated_here = check_input and not self._is_prevalidated(X)
        if validated_here:
            X = validate_data(self, X, accept_sparse=["csr", "csc"], reset=False)
        dtype = params.dtype
        if X.dtype != dtype:
            # As scikit-learn: float64 input on a float32 model computes in float64.
            dtype = np.result_type(X.dtype, dtype)
            dtype = dtype if dtype in (np.float32, np.float64) else np.dtype(np.float64)
            params = params.astype(dtype)
        if _first_tier.predicts_with_numpy(self, dtype):  # the kernels are not compiled yet
            if not validated_here and isinstance(X, np.ndarray) and not np.isfinite(X).all():
                validate_data(self, X, reset=False)  # an input that skipped validation: scikit-learn's error
            return _first_tier.forward_numpy(X, self.coefs_, self.intercepts_, self.activation, self.out_activation_, dtype)
        is_sparse = sp.issparse(X)
        codes, extras = self._prediction_codes(is_sparse)
        n_samples = X.shape[0]
        X_kernel, csr_arrays, transposed = kernel_inputs(X, dtype)
        if self.__dict__.get("_params") is params:
            layout = self._layout
        else:  # user-assigned coefs_, packed for this call
            layout = ParameterLayout([c.shape[0] for c in self.coefs_] + [self.coefs_[-1].shape[1]])
        layer_units = layout.layer_units
        out = np.empty((n_samples, layer_units[-1]), dtype=dtype)
        workspace = np.empty(min(n_samples, PREDICT_CHUNK_ROWS) * layout.n_hidden_units, dtype=dtype)
        chunk_rows = min(n_samples, PREDICT_CHUNK_ROWS)
        if chunk_rows * layout.largest_layer <= _threads.OPENBLAS_SINGLE_THREAD_MNK:
            limits = contextlib.nullcontext()  # the one-row path: nothing to decide (measured 12 -> 20 us otherwise)
        else:
            limits = _threads.limits(_threads.prediction_blas_threads(layer_units, chunk_rows, is_sparse))
        with limits:
            if transposed:  # Fortran-ordered X: each chunk of rows is copied, not X
                all_finite = True
                for start in range(0, n_samples, chunk_rows):
                    rows = np.ascontiguousarray(X_kernel[:, start : start + chunk_rows].T)
                    all_finite &= predict_inplace(
                        rows, *csr_arrays, params, layer_units, codes, extras, workspace,
                        out[start : start + chunk_rows], None,
                    )  # fmt: skip
            else:
                all_finite = predict_inplace(
                    X_kernel, *csr_arrays, params, layer_units, codes, extras, workspace, out, None
                )
        if not all_finite:
            # Non-finite values in an input that skipped validation: raise
            # scikit-learn's error, unless its assume_finite setting says not
            # to check, in which case the forward pass ran on them as is.
            validate_data(self, X, reset=False)
        return out

    def _prediction_codes(self, is_sparse):
        """The kernel codes and extras for predicting. Those of dense input are built once
        per fit; they are rebuilt (not stored: predict leaves the estimator
        unchanged) when the activation was changed with set_params after fitting,
        which scikit-learn honours too."""
        key = self._prediction_codes_key(is_sparse)
        cached = self.__dict__.get("_dense_prediction_codes")
        if cached is not None and cached[0] == key:
            return cached[1]
        return self._build_prediction_codes(is_sparse)

    def _prediction_codes_key(self, is_sparse):
        activation = self.activation if isinstance(self.activation, str) else tuple(self.activation)
        return (activation, self.out_activation_, is_sparse)

    def _build_prediction_codes(self, is_sparse):
        # an activation list set after fitting must still fit the network
        layer_activations(self.activation, len(self.coefs_) - 1)
        codes = make_codes(self.activation, self.out_activation_, is_sparse=is_sparse)
        return codes, kernel_extras(codes)

    def _is_prevalidated(self, X):
        """True for an input that validate_data would pass through unchanged
        and silently: a C-contiguous 2-D float ndarray of the right width, for
        a model fitted without feature names. Finiteness is checked in the
        kernel. This keeps one-row predictions free of validation overhead."""
        return (
            type(X) is np.ndarray
            and X.ndim == 2
            and X.dtype in (np.float64, np.float32)
            and X.flags.c_contiguous
            and X.shape[0] > 0
            and X.shape[1] == self.n_features_in_
            and "feature_names_in_" not in self.__dict__
        )

    def _score_with_function(self, X, y, sample_weight, score_function):
        """Private score method without input validation."""
        return self._score_prediction(y, self._predict(X, check_input=False), sample_weight, score_function)

    @staticmethod
    def _score_prediction(y, y_pred, sample_weight, score_function):
        if np.issubdtype(y_pred.dtype, np.floating) and not np.isfinite(y_pred).all():
            return np.nan
        return score_function(y, y_pred, sample_weight=sample_weight)
