"""fastmlp: scikit-learn's MLPClassifier and MLPRegressor, trained by Numba kernels."""

from ._display import TrainingCurveDisplay
from ._lowlevel import dropout_masks, forward_pass, loss_and_gradients
from ._multilayer_perceptron import MLPClassifier, MLPRegressor
from ._precompile import precompile
from ._tabular import TabularMLPClassifier, TabularMLPRegressor
from .onnx import to_onnx

__version__ = "0.2.0.dev0"  # the options documented "versionadded: fastmlp 0.2"

__all__ = ["MLPClassifier", "MLPRegressor", "TabularMLPClassifier", "TabularMLPRegressor", "TrainingCurveDisplay", "dropout_masks", "forward_pass", "loss_and_gradients", "precompile", "to_onnx", "__version__"]
