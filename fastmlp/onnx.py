"""ONNX export of fastmlp's estimators, through skl2onnx.

    onnx_model = fastmlp.onnx.to_onnx(estimator, X[:1])

needs the optional extra ``fastmlp[onnx]`` (skl2onnx, onnx, onnxruntime);
importing fastmlp never does. :func:`register` teaches skl2onnx fastmlp's two
classes, so that ``skl2onnx.to_onnx`` converts a Pipeline that holds one too.

The graph is the forward pass in standard ONNX operators: ``MatMul`` and
``Add`` per layer, then the layer's activation. Dropout, a training-time
operation, has no place in it. The converter gets right two cases where
skl2onnx 1.20's own converter for scikit-learn's MLP does not: a multi-output
regressor gives ``(n, k)`` predictions (skl2onnx reshapes them to
``(n * k, 1)``), and ``loss="poisson"`` exports its ``exp`` output (skl2onnx
raises ``KeyError: 'exp'``). A regressor's output is ``(n, n_outputs)``, as
skl2onnx gives for scikit-learn's single-output regressors.
"""

import numpy as np
import scipy.sparse as sp
from sklearn.base import is_classifier
from sklearn.utils.validation import check_is_fitted

from ._activations import SELU_ALPHA, SELU_SCALE
from ._layer_options import activation_of_layer, layer_activations
from ._multilayer_perceptron import MLPClassifier, MLPRegressor
from ._tabular import BaseTabularMLP, TabularMLPClassifier, TabularMLPRegressor

_MISSING = (
    "fastmlp's ONNX export needs skl2onnx, onnx and onnxruntime: pip install 'fastmlp[onnx]' "
    "(or pip install skl2onnx onnx onnxruntime)."
)


def _skl2onnx():
    try:
        import skl2onnx
    except ImportError as exc:
        raise ImportError(_MISSING) from exc
    return skl2onnx


def to_onnx(estimator, X_sample, *, target_opset=None, options=None):
    """The ONNX model of a fitted fastmlp estimator, or of a Pipeline holding one.

    Parameters
    ----------
    estimator : MLPClassifier, MLPRegressor, TabularMLPClassifier, TabularMLPRegressor or a Pipeline
        Fitted.
    X_sample : array-like of shape (n_samples, n_features)
        A few rows of input: their dtype (float32 or float64) is the graph's.
        A DataFrame gives the graph one input per column, as skl2onnx does.
        A tabular model's graph computes in its ``dtype`` and takes its
        encoding with it: a DataFrame's numeric columns as floats (NaN for
        missing), its categorical ones as strings, integers or booleans (any
        value not among the training's categories counts as missing); its
        classifier outputs ``label`` and ``probabilities`` (a tensor, no
        ZipMap).
    target_opset : int, default=None
        The ONNX opset, skl2onnx's default when None.
    options : dict, default=None
        skl2onnx's conversion options, e.g. ``{MLPClassifier: {"zipmap":
        False}}`` for a classifier's probabilities as one (n, n_classes)
        tensor instead of a list of dicts. ONNX's ZipMap takes float32 only:
        a float64 classifier needs ``zipmap`` False.

    Returns
    -------
    onnx.ModelProto
    """
    skl2onnx = _skl2onnx()
    register()
    check_is_fitted(estimator)
    if isinstance(estimator, BaseTabularMLP):
        from ._tabular_onnx import initial_types

        if options:
            raise ValueError("A tabular model's graph takes no conversion options (its classifier has no ZipMap).")
        if target_opset is not None and target_opset < 13:
            raise ValueError(f"A tabular model's graph needs opset 13 or later (Unsqueeze's axes), got {target_opset}.")
        return skl2onnx.to_onnx(estimator, initial_types=initial_types(estimator, X_sample), target_opset=target_opset)
    if not hasattr(X_sample, "iloc"):  # a DataFrame keeps its columns: skl2onnx maps them by name
        X_sample = np.asarray(X_sample.toarray() if sp.issparse(X_sample) else X_sample)
    if X_sample.ndim != 2:
        raise ValueError(f"X_sample must be 2-D (n_samples, n_features), got shape {X_sample.shape}.")
    X_sample = X_sample.iloc[:1] if hasattr(X_sample, "iloc") else X_sample[:1]
    zipmap_off = any(isinstance(value, dict) and value.get("zipmap") is False for value in (options or {}).values())
    if getattr(X_sample, "dtype", None) == np.float64 and is_classifier(estimator) and not zipmap_off:
        raise ValueError(
            "A float64 X_sample makes a float64 graph, whose probabilities cannot go through ONNX's ZipMap "
            "(float32 only): pass options={MLPClassifier: {'zipmap': False}} for an (n, n_classes) tensor, "
            "or a float32 X_sample."
        )
    return skl2onnx.to_onnx(estimator, X_sample, target_opset=target_opset, options=options)


def table_inputs(estimator, X):
    """What a tabular model's ONNX graph takes for the rows of ``X``: a dict
    of ``(n, 1)`` arrays by column name (a DataFrame; missing categories as
    empty strings), or ``{"X": X}`` for an array, to pass to onnxruntime's
    ``InferenceSession.run(None, inputs)``."""
    from ._tabular_onnx import table_inputs as inputs

    check_is_fitted(estimator)
    return inputs(estimator, X)


def register():
    """Register fastmlp's estimators with skl2onnx (idempotent)."""
    skl2onnx = _skl2onnx()
    skl2onnx.update_registered_converter(
        MLPClassifier, "FastmlpMLPClassifier", _classifier_shape, _convert_classifier,
        options={"zipmap": [True, False, "columns"], "output_class_labels": [False, True], "nocl": [True, False]},
    )  # fmt: skip
    skl2onnx.update_registered_converter(MLPRegressor, "FastmlpMLPRegressor", _regressor_shape, _convert_regressor)
    from . import _tabular_onnx

    for model, alias in ((TabularMLPClassifier, "FastmlpTabularMLPClassifier"),
                         (TabularMLPRegressor, "FastmlpTabularMLPRegressor")):  # fmt: skip
        skl2onnx.update_registered_converter(
            model, alias, _tabular_onnx.shape_calculator, _tabular_onnx.converter, parser=_tabular_onnx.parser
        )  # fmt: skip


def _classifier_shape(operator):
    """skl2onnx's shapes for a classifier; multilabel labels are (n, n_labels)."""
    from skl2onnx.common.data_types import Int64TensorType
    from skl2onnx.common.shape_calculator import calculate_linear_classifier_output_shapes

    calculate_linear_classifier_output_shapes(operator)
    model = operator.raw_operator
    if model._label_binarizer.y_type_ == "multilabel-indicator":
        operator.outputs[0].type = Int64TensorType([operator.inputs[0].get_first_dimension(), model.n_outputs_])


def _regressor_shape(operator):
    """Output (n, n_outputs) in the input's float type."""
    input_type = operator.inputs[0].type.__class__
    n_rows = operator.inputs[0].get_first_dimension()
    operator.outputs[0].type = input_type([n_rows, operator.raw_operator.n_outputs_])


def _float_type(operator):
    from skl2onnx.common.data_types import guess_proto_type
    from skl2onnx.proto import onnx_proto

    proto_dtype = guess_proto_type(operator.inputs[0].type)
    return proto_dtype if proto_dtype == onnx_proto.TensorProto.DOUBLE else onnx_proto.TensorProto.FLOAT


def _double():
    from skl2onnx.proto import onnx_proto

    return onnx_proto.TensorProto.DOUBLE


def _float():
    from skl2onnx.proto import onnx_proto

    return onnx_proto.TensorProto.FLOAT


def _constant(scope, container, proto_dtype, value, name="constant"):
    constant_name = scope.get_unique_variable_name(name)
    container.add_initializer(constant_name, proto_dtype, [], [value])
    return constant_name


def _node(scope, container, op_type, inputs, **attributes):
    output = scope.get_unique_variable_name(op_type.lower())
    container.add_node(op_type, inputs, output, name=scope.get_unique_operator_name(op_type), **attributes)
    return output


def _activation(scope, container, name, Z, proto_dtype):
    """The graph of ``f(Z)`` for activation ``name``: one standard operator,
    or a few for those ONNX has none of before opset 18/20."""
    single = {"identity": "Identity", "logistic": "Sigmoid", "tanh": "Tanh", "relu": "Relu", "exp": "Exp"}
    if name in single:
        return _node(scope, container, single[name], [Z])
    if name == "softmax":
        return _node(scope, container, "Softmax", [Z], axis=1)
    if name in ("leaky_relu", "elu", "selu") and proto_dtype == _double():
        return _piecewise_in_double(scope, container, name, Z, proto_dtype)
    if name == "leaky_relu":
        return _node(scope, container, "LeakyRelu", [Z], alpha=0.01)
    if name == "elu":
        return _node(scope, container, "Elu", [Z], alpha=1.0)
    if name == "selu":
        return _node(scope, container, "Selu", [Z], alpha=SELU_ALPHA, gamma=SELU_SCALE)
    if name == "silu":
        return _node(scope, container, "Mul", [Z, _node(scope, container, "Sigmoid", [Z])])
    if name == "softplus":
        return _softplus(scope, container, Z, proto_dtype)
    if name == "mish":
        softplus = _softplus(scope, container, Z, proto_dtype)
        return _node(scope, container, "Mul", [Z, _node(scope, container, "Tanh", [softplus])])
    if name == "gelu":  # z * (1 + erf(z / sqrt2)) / 2
        scaled = _node(scope, container, "Mul", [Z, _constant(scope, container, proto_dtype, 1 / np.sqrt(2))])
        if proto_dtype == _double():
            # onnxruntime has no double Erf kernel: erf in float32 (to 1e-7) in float64 graphs
            erf = _node(scope, container, "Erf", [_node(scope, container, "Cast", [scaled], to=_float())])
            erf = _node(scope, container, "Cast", [erf], to=proto_dtype)
        else:
            erf = _node(scope, container, "Erf", [scaled])
        one_plus = _node(scope, container, "Add", [erf, _constant(scope, container, proto_dtype, 1.0)])
        half_z = _node(scope, container, "Mul", [Z, _constant(scope, container, proto_dtype, 0.5)])
        return _node(scope, container, "Mul", [half_z, one_plus])
    raise ValueError(f"No ONNX graph for activation {name!r}.")


def _piecewise_in_double(scope, container, name, Z, proto_dtype):
    """leaky_relu, elu and selu from Relu, Min and Exp: onnxruntime has no
    double kernels of LeakyRelu, Elu and Selu. ``relu(z) + g(min(z, 0))``
    with ``g`` 0.01 z, ``e^z - 1`` or ``alpha (e^z - 1)`` (times selu's scale)."""
    positive = _node(scope, container, "Relu", [Z])
    negative = _node(scope, container, "Min", [Z, _constant(scope, container, proto_dtype, 0.0)])
    if name == "leaky_relu":
        return _node(scope, container, "Add", [positive, _node(scope, container, "Mul", [
            negative, _constant(scope, container, proto_dtype, 0.01)])])  # fmt: skip
    expm1 = _node(scope, container, "Sub", [_node(scope, container, "Exp", [negative]),
                                            _constant(scope, container, proto_dtype, 1.0)])  # fmt: skip
    if name == "elu":
        return _node(scope, container, "Add", [positive, expm1])
    scaled = _node(scope, container, "Mul", [expm1, _constant(scope, container, proto_dtype, SELU_ALPHA)])
    return _node(scope, container, "Mul", [_node(scope, container, "Add", [positive, scaled]),
                                           _constant(scope, container, proto_dtype, SELU_SCALE)])  # fmt: skip


def _softplus(scope, container, Z, proto_dtype):
    """``max(z, 0) + log(1 + e^-|z|)`` (onnxruntime has no double Softplus kernel)."""
    tail = _node(scope, container, "Exp", [_node(scope, container, "Neg", [_node(scope, container, "Abs", [Z])])])
    log = _node(scope, container, "Log", [_node(scope, container, "Add", [tail, _constant(scope, container, proto_dtype, 1.0)])])
    return _node(scope, container, "Add", [_node(scope, container, "Relu", [Z]), log])


def _forward_pass(scope, container, operator, proto_dtype):
    """The output layer's activations, from the operator's input."""
    model = operator.raw_operator
    n_layers = len(model.coefs_)
    layer_activations(model.activation, n_layers - 1)  # a list set after fitting must fit the network
    A = _node(scope, container, "Cast", [operator.inputs[0].full_name], to=proto_dtype)
    dtype = np.float64 if proto_dtype == _double() else np.float32
    for layer, (W, b) in enumerate(zip(model.coefs_, model.intercepts_)):
        W_name = scope.get_unique_variable_name("coefficient")
        b_name = scope.get_unique_variable_name("intercepts")
        container.add_initializer(W_name, proto_dtype, W.shape, np.asarray(W, dtype=dtype).ravel())
        container.add_initializer(b_name, proto_dtype, [1, b.shape[0]], np.asarray(b, dtype=dtype))
        Z = _node(scope, container, "Add", [_node(scope, container, "MatMul", [A, W_name]), b_name])
        last = layer == n_layers - 1
        name = model.out_activation_ if last else activation_of_layer(model.activation, layer)
        A = _activation(scope, container, name, Z, proto_dtype)
    return A


def _convert_regressor(scope, operator, container):
    output = _forward_pass(scope, container, operator, _float_type(operator))
    container.add_node("Identity", [output], operator.outputs[0].full_name, name=scope.get_unique_operator_name("Id"))


def _convert_classifier(scope, operator, container):
    """Labels and probabilities, as skl2onnx's converter of scikit-learn's
    MLPClassifier computes them (binary: ``[1 - p, p]``; multilabel: the
    probabilities thresholded at 0.5; otherwise the class of the largest)."""
    from skl2onnx.proto import onnx_proto

    model = operator.raw_operator
    proto_dtype = _float_type(operator)
    probabilities = _forward_pass(scope, container, operator, proto_dtype)
    labels_out, probabilities_out = operator.outputs[0].full_name, operator.outputs[1].full_name
    multilabel = model._label_binarizer.y_type_ == "multilabel-indicator"
    if len(model.classes_) == 2 and not multilabel:
        negative = _node(scope, container, "Sub", [_constant(scope, container, proto_dtype, 1.0), probabilities])
        container.add_node("Concat", [negative, probabilities], probabilities_out, axis=1,
                           name=scope.get_unique_operator_name("Concat"))  # fmt: skip
    else:
        container.add_node("Identity", [probabilities], probabilities_out, name=scope.get_unique_operator_name("Id"))
    if multilabel:  # p > 0.5, as LabelBinarizer decides (Greater: Binarizer has no double kernel)
        binary = _node(scope, container, "Greater", [probabilities, _constant(scope, container, proto_dtype, 0.5)])
        container.add_node("Cast", [binary], labels_out, to=onnx_proto.TensorProto.INT64,
                           name=scope.get_unique_operator_name("Cast"))  # fmt: skip
        return
    classes = model.classes_
    if container.get_options(model, dict(nocl=False))["nocl"]:  # skl2onnx's option: labels as class indices
        classes = np.arange(len(classes))
    if np.issubdtype(classes.dtype, np.integer) or np.issubdtype(classes.dtype, np.floating) or classes.dtype == bool:
        class_type, classes = onnx_proto.TensorProto.INT64, classes.astype(np.int64)
    else:
        class_type, classes = onnx_proto.TensorProto.STRING, np.array([str(c).encode("utf-8") for c in classes])
    classes_name = scope.get_unique_variable_name("classes")
    container.add_initializer(classes_name, class_type, classes.shape, classes)
    best = _node(scope, container, "ArgMax", [probabilities_out], axis=1)
    picked = _node(scope, container, "ArrayFeatureExtractor", [classes_name, best], op_domain="ai.onnx.ml")
    shape = scope.get_unique_variable_name("shape")
    container.add_initializer(shape, onnx_proto.TensorProto.INT64, [1], [-1])
    container.add_node("Reshape", [picked, shape], labels_out, name=scope.get_unique_operator_name("Reshape"))
