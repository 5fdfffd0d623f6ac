"""ONNX export of the tabular models, their input encoding included, in
standard operators (through skl2onnx, as ``fastmlp.onnx`` exports the MLPs).

The graph takes the table as the model took it: a DataFrame's columns one
input each, ``(n, 1)``: numeric columns as floats (NaN for missing),
categorical ones as strings or integers (booleans as 0 and 1; a missing or
unseen category is any value not among the training's: an empty string,
say; ``fastmlp.onnx.table_inputs`` makes them from a DataFrame); an
array as one ``(n, n_features)`` float input. Then, as ``_tabular_encoding``
and the kernels compute it:

- numeric columns: missing-value indicators (``IsNaN``), the centre and the
  scale (``Sub``, ``Mul``, ``Where``), smooth clipping (``Div`` by
  ``Sqrt(1 + (x / 3)^2)``);
- categorical columns: ``LabelEncoder`` (ai.onnx.ml) to their index (0 for
  missing or unseen), then ``Gather`` from the one-hot table or from the
  learned embedding table;
- the periodic embeddings: ``Cos`` of ``2 pi w x + phi``, a batched ``MatMul``
  by feature, their bias; the scale: ``Mul``;
- the dense layers: ``MatMul``, ``Add``, the activation, ``z + alpha (f(z) -
  z)`` where parametric; ``Softmax``, or the regressor's scaling back and
  clamping (``Max``, ``Min``).
"""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .onnx import _activation, _constant, _double, _float, _node

_TWO_PI = 2 * np.pi


def initial_types(model, X_sample):
    """skl2onnx's inputs for a tabular model: one per column of a DataFrame
    (named as the column; floats for numeric columns, the categories' type
    for categorical ones), or one ``X`` of all the features."""
    from skl2onnx.common.data_types import (
        DoubleTensorType,
        FloatTensorType,
        Int64TensorType,
        StringTensorType,
    )

    float_type = DoubleTensorType if model._params.dtype == np.float64 else FloatTensorType
    encoding = model.encoding_
    if not hasattr(X_sample, "columns"):
        if encoding.categorical_columns_.size:
            raise ValueError(
                "This model has categorical columns: export it with a DataFrame X_sample, whose columns "
                "become the graph's inputs one by one (strings, integers or booleans for categories)."
            )
        return [("X", float_type([None, model.n_features_in_]))]
    names = getattr(model, "feature_names_in_", None)
    if names is None or list(X_sample.columns) != list(names):
        raise ValueError(
            "X_sample's columns must be those the model was fitted on, in their order: "
            f"{list(names) if names is not None else 'a model fitted on an array takes an array'}."
        )
    types = []
    categorical = dict(zip(encoding.categorical_columns_, _category_lists(encoding)))
    for j, name in enumerate(X_sample.columns):
        if j not in categorical:
            types.append((str(name), float_type([None, 1])))
            continue
        kind = _category_kind(categorical[j])
        # booleans as integers 0 and 1: a bool tensor has no value for missing
        tensor = {"string": StringTensorType, "int": Int64TensorType, "bool": Int64TensorType}.get(kind, float_type)
        types.append((str(name), tensor([None, 1])))
    return types


def _category_lists(encoding):
    """The training categories of each categorical column, without missing."""
    from ._tabular_encoding import _n_present

    return [list(c)[: _n_present(list(c))] for c in encoding.encoder_.categories_] if encoding.encoder_ else []


def _category_kind(categories):
    values = [c for c in categories]
    if all(isinstance(c, (bool, np.bool_)) for c in values):
        return "bool"
    if all(isinstance(c, (int, np.integer)) and not isinstance(c, (bool, np.bool_)) for c in values):
        return "int"
    if all(isinstance(c, (float, np.floating)) for c in values):
        return "float"
    return "string"


def shape_calculator(operator):
    """Classifier: labels (n,) and probabilities (n, n_classes); regressor:
    (n, n_outputs), in the model's float type."""
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType, Int64TensorType, StringTensorType

    model = operator.raw_operator
    float_type = DoubleTensorType if model._params.dtype == np.float64 else FloatTensorType
    n = operator.inputs[0].get_first_dimension()
    if hasattr(model, "classes_"):
        label_type = Int64TensorType if _label_kind(model.classes_) == "int" else StringTensorType
        operator.outputs[0].type = label_type([n])
        operator.outputs[1].type = float_type([n, model.classes_.shape[0]])
    else:
        operator.outputs[0].type = float_type([n, model.n_outputs_])


def _label_kind(classes):
    integral = np.issubdtype(classes.dtype, np.integer) or classes.dtype == bool
    return "int" if integral else "string"


def _initializer(scope, container, proto_dtype, value, name="table"):
    value = np.asarray(value)
    variable = scope.get_unique_variable_name(name)
    container.add_initializer(variable, proto_dtype, list(value.shape), value.ravel().tolist())
    return variable


def _int64(scope, container, values, name="shape"):
    from skl2onnx.proto import onnx_proto

    return _initializer(scope, container, onnx_proto.TensorProto.INT64, np.asarray(values, dtype=np.int64), name)


def _columns(scope, container, operator, columns, proto_dtype):
    """The named input columns as one (n, k) tensor of ``proto_dtype``."""
    if len(operator.inputs) == 1:  # an array: its columns gathered
        X = _node(scope, container, "Cast", [operator.inputs[0].full_name], to=proto_dtype)
        return _node(scope, container, "Gather", [X, _int64(scope, container, list(columns), "columns")], axis=1)
    parts = [_node(scope, container, "Cast", [operator.inputs[j].full_name], to=proto_dtype) for j in columns]
    return parts[0] if len(parts) == 1 else _node(scope, container, "Concat", parts, axis=1)


def _scaled(scope, container, block, missing, center, factor, encoding, proto_dtype, dtype):
    """Scaling and smooth clipping of ``block`` (missing values, where
    ``missing`` is given, to 0 after scaling: the centre)."""
    centred = _node(scope, container, "Sub", [block, _initializer(scope, container, proto_dtype, center.astype(dtype))])
    block = _node(scope, container, "Mul", [centred, _initializer(scope, container, proto_dtype, factor.astype(dtype))])
    if missing is not None:
        block = _node(scope, container, "Where", [missing, _constant(scope, container, proto_dtype, 0.0), block])
    if encoding.clip:
        ratio = _node(scope, container, "Div", [block, _constant(scope, container, proto_dtype, 3.0)])
        one_plus = _node(scope, container, "Add", [_node(scope, container, "Mul", [ratio, ratio]),
                                                   _constant(scope, container, proto_dtype, 1.0)])  # fmt: skip
        block = _node(scope, container, "Div", [block, _node(scope, container, "Sqrt", [one_plus])])
    return block


def _category_index(scope, container, operator, j, categories):
    """Column j's categories as indices (n,) int64: 1..K in the training's
    order, 0 for any other value."""
    kind = _category_kind(categories)
    value = operator.inputs[j].full_name
    if kind in ("bool", "int"):
        keys = {"keys_int64s": [int(c) for c in categories]}
    elif kind == "float":
        value = _node(scope, container, "Cast", [value], to=_float())
        keys = {"keys_floats": [float(c) for c in categories]}
    else:
        keys = {"keys_strings": [str(c) for c in categories]}
    flat = _node(scope, container, "Reshape", [value, _int64(scope, container, [-1])])
    return _node(scope, container, "LabelEncoder", [flat], op_domain="ai.onnx.ml", op_version=2,
                 values_int64s=list(range(1, len(categories) + 1)), default_int64=0, **keys)  # fmt: skip


def _encoded(scope, container, operator, proto_dtype, dtype):
    """The encoding every member shares: ``(numeric, binary, indices)``, the
    scaled and clipped numeric block (or None), the scaled and clipped
    one-hot and indicator block (or None), and the embedded columns' indices."""
    model = operator.raw_operator
    encoding = model.encoding_
    n = encoding.n_numeric
    binary_parts, indices = [], []
    numeric = missing = None
    if n:
        numeric = _columns(scope, container, operator, encoding.numeric_columns_, proto_dtype)
        missing = _node(scope, container, "IsNaN", [numeric])
    categories = _category_lists(encoding)
    for c, j in enumerate(encoding.categorical_columns_):
        if encoding.n_categories_[c] == 0:
            continue
        index = _category_index(scope, container, operator, int(j), categories[c])
        count = int(encoding.n_categories_[c])
        if not encoding.one_hot_[c]:
            indices.append(index)
            continue
        if count == 1:
            lookup = np.array([[-1.0], [1.0]])
        elif count == 2:
            lookup = np.array([[0.0], [1.0], [-1.0]])
        else:
            lookup = np.eye(count + 1)[:, 1:]
        table = _initializer(scope, container, proto_dtype, lookup.astype(dtype))
        binary_parts.append(_node(scope, container, "Gather", [table, index]))
    if n and encoding.imputed_.any():
        imputed = _int64(scope, container, np.flatnonzero(encoding.imputed_), "imputed")
        indicator = _node(scope, container, "Gather", [missing, imputed], axis=1)
        binary_parts.append(_node(scope, container, "Cast", [indicator], to=proto_dtype))
    if n:
        numeric = _scaled(scope, container, numeric, missing, encoding.numeric_center_, encoding.numeric_factor_,
                          encoding, proto_dtype, dtype)  # fmt: skip
    binary = None
    if binary_parts:
        block = binary_parts[0] if len(binary_parts) == 1 else _node(scope, container, "Concat", binary_parts, axis=1)
        binary = _scaled(scope, container, block, None, encoding.binary_center_, encoding.binary_factor_, encoding,
                         proto_dtype, dtype)  # fmt: skip
    return numeric, binary, indices


def _input_layers(scope, container, network, params, encoded, proto_dtype):
    """``X0``, the first dense layer's input, of one member (``params``)."""
    numeric, binary, indices = encoded
    r = network.recipe
    n, n_freq, n_mix, width = network.n_numeric, r["n_frequencies"], r["pbld_outputs"], r["embedding_size"]
    parts = []
    if n and n_mix:
        frequency = network.view(params, "frequency").reshape(n, n_freq) * params.dtype.type(_TWO_PI)
        waves = _node(scope, container, "Mul", [
            _node(scope, container, "Unsqueeze", [numeric, _int64(scope, container, [2], "axes")]),
            _initializer(scope, container, proto_dtype, frequency)])  # fmt: skip
        waves = _node(scope, container, "Add", [waves, _initializer(scope, container, proto_dtype,
                                                                    network.view(params, "phase").reshape(n, n_freq))])  # fmt: skip
        by_feature = _node(scope, container, "Transpose", [_node(scope, container, "Cos", [waves])], perm=[1, 0, 2])
        mix = network.view(params, "mix").reshape(n, n_freq, n_mix)
        mixed = _node(scope, container, "MatMul", [by_feature, _initializer(scope, container, proto_dtype, mix)])
        mixed = _node(scope, container, "Add", [_node(scope, container, "Transpose", [mixed], perm=[1, 0, 2]),
                                                _initializer(scope, container, proto_dtype,
                                                             network.view(params, "mix_bias").reshape(n, n_mix))])  # fmt: skip
        parts.append(_node(scope, container, "Reshape", [mixed, _int64(scope, container, [-1, n * n_mix])]))
    if n:
        parts.append(numeric)
    if binary is not None:
        parts.append(binary)
    tables, at = network.view(params, "tables"), 0
    for index, rows in zip(indices, network.table_rows):
        table = tables[at * width : (at + rows) * width].reshape(rows, width)
        at += rows
        parts.append(_node(scope, container, "Gather", [_initializer(scope, container, proto_dtype, table), index]))
    X0 = parts[0] if len(parts) == 1 else _node(scope, container, "Concat", parts, axis=1)
    if r["scale"]:
        X0 = _node(scope, container, "Mul", [X0, _initializer(scope, container, proto_dtype, network.view(params, "scale"))])
    return X0


def _member(scope, container, model, params, encoded, proto_dtype):
    """One member's output layer (softmax probabilities, or the standardised prediction)."""
    network = model._network
    A = _input_layers(scope, container, network, params, encoded, proto_dtype)
    coefs, intercepts = network.layout.views(params)
    alphas = network.view(params, "alpha")
    for l, (W, b) in enumerate(zip(coefs, intercepts)):
        Z = _node(scope, container, "Add", [
            _node(scope, container, "MatMul", [A, _initializer(scope, container, proto_dtype, W, "coefficient")]),
            _initializer(scope, container, proto_dtype, b.reshape(1, -1), "intercepts")])  # fmt: skip
        if l == len(coefs) - 1:
            return _activation(scope, container, model._output_activation, Z, proto_dtype)
        F = _activation(scope, container, model.activation, Z, proto_dtype)
        if network.recipe["parametric"]:
            alpha = alphas[: W.shape[1]]
            alphas = alphas[W.shape[1] :]
            F = _node(scope, container, "Add", [Z, _node(scope, container, "Mul", [
                _node(scope, container, "Sub", [F, Z]), _initializer(scope, container, proto_dtype, alpha, "alpha")])])  # fmt: skip
        A = F


def _network(scope, container, operator, proto_dtype, dtype):
    """The members' output layers, averaged."""
    model = operator.raw_operator
    encoded = _encoded(scope, container, operator, proto_dtype, dtype)
    outputs = [_member(scope, container, model, params.astype(dtype), encoded, proto_dtype) for params in model._params]
    if len(outputs) == 1:
        return outputs[0]
    total = _node(scope, container, "Sum", outputs)
    return _node(scope, container, "Mul", [total, _constant(scope, container, proto_dtype, 1.0 / len(outputs))])


def converter(scope, operator, container):
    model = operator.raw_operator
    check_is_fitted(model, "_params")
    dtype = model._params.dtype.type
    proto_dtype = _double() if dtype == np.float64 else _float()
    out = _network(scope, container, operator, proto_dtype, dtype)
    if hasattr(model, "classes_"):
        labels_out, probabilities_out = operator.outputs[0].full_name, operator.outputs[1].full_name
        container.add_node("Identity", [out], probabilities_out, name=scope.get_unique_operator_name("Id"))
        classes = model.classes_
        if _label_kind(classes) == "int":
            classes_name = _int64(scope, container, classes.astype(np.int64), "classes")
        else:
            from skl2onnx.proto import onnx_proto

            encoded = np.array([str(c).encode("utf-8") for c in classes])
            classes_name = scope.get_unique_variable_name("classes")
            container.add_initializer(classes_name, onnx_proto.TensorProto.STRING, encoded.shape, encoded)
        best = _node(scope, container, "ArgMax", [out], axis=1, keepdims=0)
        container.add_node("Gather", [classes_name, best], labels_out, name=scope.get_unique_operator_name("Gather"))
        return
    y = _node(scope, container, "Add", [
        _node(scope, container, "Mul", [out, _initializer(scope, container, proto_dtype, model._y_scale.astype(dtype))]),
        _initializer(scope, container, proto_dtype, model._y_mean.astype(dtype))])  # fmt: skip
    if model.clamp_output:
        y = _node(scope, container, "Min", [
            _node(scope, container, "Max", [y, _initializer(scope, container, proto_dtype, model._y_min.astype(dtype))]),
            _initializer(scope, container, proto_dtype, model._y_max.astype(dtype))])  # fmt: skip
    container.add_node("Identity", [y], operator.outputs[0].full_name, name=scope.get_unique_operator_name("Id"))


def parser(scope, model, inputs, custom_parsers=None):
    """The operator of a tabular model: every input column in; a classifier's
    labels and probabilities (a tensor, no ZipMap) or a regressor's
    prediction out."""
    from skl2onnx._parse import _get_sklearn_operator_name
    from skl2onnx.common.data_types import FloatTensorType, Int64TensorType

    operator = scope.declare_local_operator(_get_sklearn_operator_name(type(model)), model)
    operator.inputs = list(inputs)
    if hasattr(model, "classes_"):
        operator.outputs.append(scope.declare_local_variable("label", Int64TensorType()))
        operator.outputs.append(scope.declare_local_variable("probabilities", FloatTensorType()))
    else:
        operator.outputs.append(scope.declare_local_variable("variable", FloatTensorType()))
    return list(operator.outputs)


def table_inputs(model, X):
    """The inputs of a tabular model's ONNX graph for the rows of ``X`` (a
    DataFrame, or an array for a model without categorical columns): a dict
    of ``(n, 1)`` arrays by column name (``X`` for an array), missing
    categories as empty strings (or any value not among the training's)."""
    float_dtype = model._params.dtype
    if not hasattr(X, "columns"):
        return {"X": np.asarray(X, dtype=float_dtype)}
    categorical = dict(zip(model.encoding_.categorical_columns_, _category_lists(model.encoding_)))
    feeds = {}
    for j, name in enumerate(X.columns):
        column = X[name]
        if j not in categorical:
            values = column.to_numpy(dtype=float_dtype, na_value=np.nan)
        else:
            kind = _category_kind(categorical[j])
            present = column.notna().to_numpy()
            if kind == "string":
                values = np.where(present, column.astype(object).astype(str).to_numpy(), "").astype(object)
            elif kind in ("int", "bool"):  # booleans as 0 and 1; missing as a value no category has
                values = np.where(present, column.astype(object).where(present, 0).to_numpy(), -(2**62)).astype(np.int64)
            else:
                values = column.to_numpy(dtype=float_dtype, na_value=np.nan)
        feeds[str(name)] = values.reshape(-1, 1)
    return feeds
