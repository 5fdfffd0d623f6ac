"""The input encoding of the tabular models (RealMLP-TD's preprocessing):
numeric columns robust-scaled and smooth-clipped, small categorical columns
one-hot encoded, large ones as indices for learned embeddings.

Fitted on the training rows, it turns a table (a DataFrame with numeric and
categorical columns, a numpy array, a sparse matrix) into three blocks:

- ``numeric`` (n, n_numeric): each numeric column ``x`` as ``clip((x -
  median) / scale)``, where ``scale`` is the interquartile range (half the
  range where the quartiles coincide; a constant column becomes 0) and
  ``clip(z) = z / sqrt(1 + (z / 3)^2)`` bounds it smoothly to (-3, 3). A
  missing value becomes 0, the median, and a column that had missing values
  in training gets an indicator column in ``binary``;
- ``binary`` (n, n_binary): the one-hot columns of the categorical columns
  with at most ``max_one_hot_levels`` levels, missing counted as a level (one
  real category: +1, missing -1; two: +1 and -1, missing 0; more: one 0/1
  column per category, missing all 0, as pytabkit encodes them), then the
  missing-value indicators; each column median-centred, robust-scaled and
  clipped as the numeric ones (RealMLP scales its one-hot columns too);
  ``robust_scale=False`` centres and scales by the mean and the standard
  deviation instead (as ``StandardScaler``);
- ``codes`` (n, n_embedded) int64: the categorical columns with more levels,
  as indices 1..K of their training categories in sorted order, 0 for a
  missing value or a category not seen in training.

Categories are compared as the values they are (``"1"`` and ``1`` differ);
a prediction never errors on an unseen category or a missing value.
"""

import numbers
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import OrdinalEncoder
from sklearn.utils._missing import is_scalar_nan

#: smooth clipping bounds |z| by this (pytabkit's ``smooth_clip_max_abs_value``)
CLIP_BOUND = 3.0


def _is_categorical_dtype(dtype):
    import pandas as pd

    return isinstance(dtype, pd.CategoricalDtype) or dtype == object or pd.api.types.is_string_dtype(dtype) or (
        pd.api.types.is_bool_dtype(dtype)
    )


def categorical_mask(X, categorical_features):
    """Which columns of ``X`` are categorical, as a bool array, from
    ``categorical_features``: ``"from_dtype"`` (a DataFrame's category, object,
    string and bool columns; none of an array's, as in HistGradientBoosting),
    None (none), indices, column names or a bool mask."""
    n_columns = X.shape[1]
    columns = getattr(X, "columns", None)
    if isinstance(categorical_features, str) and categorical_features == "from_dtype":
        if columns is not None and hasattr(X, "dtypes"):
            return np.array([_is_categorical_dtype(dtype) for dtype in X.dtypes], dtype=bool)
        return np.zeros(n_columns, dtype=bool)
    if categorical_features is None:
        return np.zeros(n_columns, dtype=bool)
    given = np.asarray(categorical_features)
    if given.ndim != 1:
        raise ValueError(f"categorical_features must be 'from_dtype', None or a flat list, got {categorical_features!r}.")
    mask = np.zeros(n_columns, dtype=bool)
    if given.dtype == bool:
        if given.shape[0] != n_columns:
            raise ValueError(
                f"categorical_features as a mask has {given.shape[0]} entries for {n_columns} columns of X."
            )
        return given.copy()
    for feature in given.tolist():
        if isinstance(feature, str):
            if columns is None:
                raise ValueError(
                    f"categorical_features names a column ({feature!r}) but X has no column names: give indices "
                    "or a DataFrame."
                )
            matches = np.flatnonzero(np.asarray(columns, dtype=object) == feature)
            if matches.size == 0:
                raise ValueError(f"categorical_features names {feature!r}, which is not a column of X.")
            mask[matches[0]] = True
        elif isinstance(feature, numbers.Integral) and not isinstance(feature, bool):
            if not -n_columns <= feature < n_columns:
                raise ValueError(f"categorical_features has index {feature}, out of range for {n_columns} columns.")
            mask[feature] = True
        else:
            raise ValueError(f"categorical_features must hold column indices or names, got {feature!r}.")
    return mask


def _take_columns(X, columns):
    """The ``columns`` (indices) of ``X``: a DataFrame's as a DataFrame, an
    array's or a sparse matrix's as a dense array."""
    if hasattr(X, "iloc"):
        return X.iloc[:, columns]
    if sp.issparse(X):
        return X.tocsc()[:, columns].toarray()
    return np.asarray(X)[:, columns]


def _numeric_block(X, columns):
    """The numeric ``columns`` of ``X`` as float64, missing values as NaN;
    infinity or values that are not numbers are errors."""
    part = _take_columns(X, columns)
    if hasattr(part, "iloc"):
        import pandas as pd

        for name, dtype in zip(part.columns, part.dtypes):
            if not pd.api.types.is_numeric_dtype(dtype):
                raise ValueError(
                    f"Column {name!r} holds {dtype} values and is not declared categorical: give "
                    "categorical_features, or a numeric column."
                )
        block = part.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        try:
            block = np.asarray(part, dtype=np.float64)
        except ValueError:
            raise ValueError(
                "X has columns of values that are not numbers and are not declared categorical: give "
                "categorical_features."
            ) from None
    if np.isinf(block).any():
        raise ValueError("Input X contains infinity.")
    return block


def _statistics(block, robust):
    """Per column of ``block`` (NaN for missing): its centre and the factor
    ``1 / scale`` of the values present (0 for a constant column or one with
    no values): the median and the interquartile range (half the range where
    the quartiles coincide), or with ``robust`` False the mean and the
    standard deviation."""
    n_columns = block.shape[1]
    if n_columns == 0 or block.shape[0] == 0:
        return np.zeros(n_columns), np.zeros(n_columns)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
        if robust:
            centre = np.nan_to_num(np.nanquantile(block, 0.5, axis=0))
            centred = block - centre
            scale = np.nanquantile(centred, 0.75, axis=0) - np.nanquantile(centred, 0.25, axis=0)
            half_range = 0.5 * (np.nanmax(centred, axis=0) - np.nanmin(centred, axis=0))
            scale = np.where(scale == 0, half_range, scale)
        else:
            centre = np.nan_to_num(np.nanmean(block, axis=0))
            scale = np.nanstd(block, axis=0)
    scale = np.nan_to_num(scale)
    factor = np.zeros(n_columns)
    np.divide(1.0, scale, out=factor, where=scale > 0)
    return centre, factor


def smooth_clip(z):
    """``z / sqrt(1 + (z / 3)^2)``: the identity near 0, bounded by 3."""
    return z / np.sqrt(1.0 + (z / CLIP_BOUND) ** 2)


def _n_present(categories):
    """Categories an OrdinalEncoder found, without its trailing missing one."""
    if len(categories) and (categories[-1] is None or is_scalar_nan(categories[-1])):
        return len(categories) - 1
    return len(categories)


class TabularEncoding:
    """The fitted encoding of a table's columns; see the module's docstring."""

    def __init__(self, categorical_features="from_dtype", max_one_hot_levels=9, robust_scale=True, clip=True):
        self.categorical_features = categorical_features
        self.max_one_hot_levels = max_one_hot_levels
        self.robust_scale = robust_scale
        self.clip = clip

    def fit(self, X):
        """Learn the columns' kinds, categories and statistics from ``X``."""
        self.is_categorical_ = categorical_mask(X, self.categorical_features)
        self.numeric_columns_ = np.flatnonzero(~self.is_categorical_)
        self.categorical_columns_ = np.flatnonzero(self.is_categorical_)
        numeric = _numeric_block(X, self.numeric_columns_)
        self.imputed_ = np.isnan(numeric).any(axis=0)  # these get an indicator column
        self.encoder_ = None
        self.n_categories_ = np.zeros(0, dtype=np.int64)
        if self.categorical_columns_.size:
            self.encoder_ = OrdinalEncoder(
                handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-1, dtype=np.float64
            ).fit(_take_columns(X, self.categorical_columns_))
            self.n_categories_ = np.array([_n_present(list(c)) for c in self.encoder_.categories_], dtype=np.int64)
        if self.n_categories_.size and self.n_categories_.max() >= 2**24:
            raise ValueError(
                f"A categorical column has {self.n_categories_.max()} categories; the embeddings take at most "
                "2**24 - 1 (exact in float32)."
            )
        levels = self.n_categories_ + 1  # missing is a level
        self.one_hot_ = (self.n_categories_ > 0) & (levels <= self.max_one_hot_levels)
        self.embedded_ = levels > self.max_one_hot_levels
        #: rows of each embedding table: the categories and row 0 (missing or unseen)
        self.embedding_sizes_ = levels[self.embedded_]
        binary, _ = self._binary_and_codes(X, numeric)
        self.numeric_center_, self.numeric_factor_ = _statistics(numeric, self.robust_scale)
        self.binary_center_, self.binary_factor_ = _statistics(binary, self.robust_scale)
        return self

    @property
    def n_numeric(self):
        return self.numeric_columns_.shape[0]

    @property
    def n_binary(self):
        return int(np.where(self.n_categories_[self.one_hot_] <= 2, 1, self.n_categories_[self.one_hot_]).sum()
                   + self.imputed_.sum())  # fmt: skip

    def _binary_and_codes(self, X, numeric):
        """The one-hot columns and missing-value indicators, unscaled, and the
        embedded columns' codes (0: missing or unseen)."""
        n_rows = numeric.shape[0]
        index = np.zeros((n_rows, 0), dtype=np.int64)
        if self.encoder_ is not None:
            index = (self.encoder_.transform(_take_columns(X, self.categorical_columns_)) + 1).astype(np.int64)
        parts = []
        for column in np.flatnonzero(self.one_hot_):
            n, codes = self.n_categories_[column], index[:, column]
            if n == 1:  # present +1, missing -1
                parts.append(np.where(codes == 1, 1.0, -1.0)[:, None])
            elif n == 2:  # +1, -1, missing 0
                parts.append(np.array([0.0, 1.0, -1.0])[codes][:, None])
            else:  # 0/1 per category, missing all 0
                parts.append(np.eye(n + 1)[codes][:, 1:])
        parts.append(np.isnan(numeric[:, self.imputed_]).astype(np.float64))
        return np.hstack(parts) if parts else np.zeros((n_rows, 0)), index[:, self.embedded_]

    def _scaled(self, block, center, factor):
        """Scaling and smooth clipping as switched on; NaN (missing) -> 0, the centre."""
        block = np.nan_to_num((block - center) * factor, nan=0.0)
        return smooth_clip(block) if self.clip else block

    def transform(self, X, dtype=np.float64):
        """``(numeric, binary, codes)`` of ``X``'s rows; see the module's docstring."""
        numeric = _numeric_block(X, self.numeric_columns_)
        binary, codes = self._binary_and_codes(X, numeric)
        numeric = self._scaled(numeric, self.numeric_center_, self.numeric_factor_)
        binary = self._scaled(binary, self.binary_center_, self.binary_factor_)
        return np.ascontiguousarray(numeric, dtype=dtype), np.ascontiguousarray(binary, dtype=dtype), codes

    def table_for_kernels(self, X, dtype):
        """The rows of ``X`` as the tabular kernels take them (``_input_layers``):
        one C-contiguous ``dtype`` matrix ``[numeric, binary, codes]``, the
        codes of the embedded columns as floats (exact: at most 2^24 categories
        a column, checked by ``fit``)."""
        numeric, binary, codes = self.transform(X, dtype)
        return np.ascontiguousarray(np.hstack([numeric, binary, codes.astype(dtype)]), dtype=dtype)
