"""The tabular models' input encoding against its definition, written out
column by column (RealMLP-TD's preprocessing, pytabkit's one-hot layout)."""

import numpy as np
import pytest
import scipy.sparse as sp

from fastmlp._tabular_encoding import TabularEncoding, categorical_mask, smooth_clip

pd = pytest.importorskip("pandas")


def robust(column):
    """RealMLP's robust scaling of one fully present column, by its definition."""
    median = np.quantile(column, 0.5)
    centred = column - median
    scale = np.quantile(centred, 0.75) - np.quantile(centred, 0.25)
    if scale == 0:
        scale = 0.5 * (centred.max() - centred.min())
    return np.zeros_like(column) if scale == 0 else centred / scale


def table(n=300, seed=0):
    rng = np.random.RandomState(seed)
    return pd.DataFrame({
        "num": rng.normal(size=n) * 5 + 2,
        "gaps": np.where(rng.rand(n) < 0.2, np.nan, rng.exponential(size=n)),
        "small": pd.Categorical(rng.choice(["a", "b", "c", None], n)),
        "yes_no": rng.choice(["y", "n"], n),
        "big": rng.choice([f"c{i:02d}" for i in range(20)], n),
        "skewed": (rng.rand(n) < 0.1).astype(np.float64),
    })  # fmt: skip


def test_smooth_clip():
    z = np.array([-1e6, -3.0, 0.0, 0.5, 1e6])
    np.testing.assert_allclose(smooth_clip(z), z / np.sqrt(1 + z**2 / 9))
    assert np.all(np.abs(smooth_clip(z)) < 3) and smooth_clip(np.array([1e-8]))[0] == pytest.approx(1e-8)


def test_numeric_columns_robust_scaled_and_clipped():
    X = table()
    numeric, binary, codes = TabularEncoding().fit(X).transform(X)
    np.testing.assert_allclose(numeric[:, 0], smooth_clip(robust(X["num"].to_numpy())))
    # "skewed": quartiles coincide (90% zeros): half the range is the scale
    np.testing.assert_allclose(numeric[:, 2], smooth_clip(X["skewed"].to_numpy() / 0.5))
    # "gaps": statistics of the values present; a missing value is the median (0)
    gaps = X["gaps"].to_numpy()
    present = ~np.isnan(gaps)
    np.testing.assert_allclose(numeric[present, 1], smooth_clip(robust(gaps[present])))
    assert np.all(numeric[~present, 1] == 0)


def test_categorical_layout_and_indicator():
    X = table()
    encoding = TabularEncoding().fit(X)
    numeric, binary, codes = encoding.transform(X)
    # small: 3 categories + missing (4 levels): 3 one-hot columns; yes_no: one
    # +1/-1 column; the indicator of "gaps" last; big (21 levels): embedded
    assert numeric.shape == (300, 3) and binary.shape == (300, 5) and codes.shape == (300, 1)
    assert encoding.n_binary == 5 and list(encoding.embedding_sizes_) == [21]
    raw_small = np.stack([(X["small"] == c).to_numpy(dtype=float) for c in "abc"], axis=1)
    raw_yes_no = np.where(X["yes_no"] == "n", 1.0, -1.0)  # sorted: "n" first -> +1
    raw_indicator = X["gaps"].isna().to_numpy(dtype=float)
    for k, raw in enumerate([*raw_small.T, raw_yes_no, raw_indicator]):
        np.testing.assert_allclose(binary[:, k], smooth_clip(robust(raw)), err_msg=f"column {k}")
    expected_codes = np.searchsorted(sorted(set(X["big"])), X["big"]) + 1
    np.testing.assert_array_equal(codes[:, 0], expected_codes)


def test_unseen_and_missing_at_prediction():
    X = table()
    encoding = TabularEncoding().fit(X)
    new = pd.DataFrame({
        "num": [np.nan], "gaps": [np.nan], "small": pd.Categorical(["zz"]), "yes_no": [None],
        "big": ["never seen"], "skewed": [0.0],
    })  # fmt: skip
    numeric, binary, codes = encoding.transform(new)
    assert codes[0, 0] == 0  # the row of missing or unseen categories
    assert numeric[0, 0] == 0 and numeric[0, 1] == 0  # the median
    _, binary_of_missing, _ = encoding.transform(X.assign(small=None, yes_no=None).iloc[:1])
    np.testing.assert_allclose(binary[0, :4], binary_of_missing[0, :4])  # unseen is as missing


def test_one_category_and_all_missing_columns():
    X = pd.DataFrame({"x": np.arange(6.0), "one": ["k"] * 5 + [None], "none": pd.Series([None] * 6, dtype=object)})
    encoding = TabularEncoding().fit(X)
    numeric, binary, codes = encoding.transform(X)
    assert binary.shape == (6, 1) and codes.shape == (6, 0)  # "none" has nothing to encode
    np.testing.assert_allclose(binary[:, 0], smooth_clip(robust(np.array([1.0] * 5 + [-1.0]))))


def test_switches():
    X = table()
    numeric, binary, _ = TabularEncoding(robust_scale=False, clip=False).fit(X).transform(X)
    num = X["num"].to_numpy()
    np.testing.assert_allclose(numeric[:, 0], (num - num.mean()) / num.std())  # as StandardScaler
    gaps = X["gaps"].to_numpy()
    present = ~np.isnan(gaps)
    np.testing.assert_allclose(numeric[present, 1], (gaps[present] - gaps[present].mean()) / gaps[present].std())
    assert np.all(numeric[~present, 1] == 0)  # the mean
    _, _, codes = TabularEncoding(max_one_hot_levels=100).fit(X).transform(X)
    assert codes.shape[1] == 0


@pytest.mark.parametrize("kind", ["array", "sparse", "object array"])
def test_arrays_and_sparse(kind):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(50, 3))
    X[rng.rand(50) < 0.1, 1] = np.nan
    expected = TabularEncoding().fit(pd.DataFrame(X)).transform(pd.DataFrame(X))
    given = {"array": X, "sparse": sp.csr_matrix(np.nan_to_num(X)), "object array": X.astype(object)}[kind]
    categorical = [] if kind != "object array" else None
    got = TabularEncoding(categorical_features=categorical).fit(given).transform(given)
    if kind == "sparse":  # no missing values there
        expected = TabularEncoding().fit(np.nan_to_num(X)).transform(np.nan_to_num(X))
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b)


def test_categorical_features_forms():
    X = table()
    from_dtype = categorical_mask(X, "from_dtype")
    assert list(from_dtype) == [False, False, True, True, True, False]
    assert list(categorical_mask(X, ["small", "yes_no", "big"])) == list(from_dtype)
    assert list(categorical_mask(X, [2, 3, -2])) == list(from_dtype)
    assert list(categorical_mask(X, from_dtype)) == list(from_dtype)
    assert not categorical_mask(X, None).any()
    for bad, message in [(["nope"], "not a column"), ([9], "out of range"), ([True, False], "mask has 2"),
                         ([1.5], "indices or names")]:  # fmt: skip
        with pytest.raises(ValueError, match=message):
            categorical_mask(X, bad)
    with pytest.raises(ValueError, match="no column names"):
        categorical_mask(X.to_numpy(), ["small"])


def test_bad_values():
    X = table()
    with pytest.raises(ValueError, match="not declared categorical"):
        TabularEncoding(categorical_features=None).fit(X)
    with pytest.raises(ValueError, match="infinity"):
        TabularEncoding().fit(X.assign(num=np.inf))
