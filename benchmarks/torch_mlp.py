"""The comparison workloads trained by PyTorch on the CPU, as scikit-learn would.

Same architecture, the same Glorot-uniform initial weights (drawn by
scikit-learn's procedure from the same random_state), scikit-learn's L2
penalty (alpha / (2 * batch) * sum ||W||^2 per batch), its batch size and
optimizer settings. What differs: the batch order (torch's own shuffle), Adam's
epsilon placement (torch's bias-corrected form), and L-BFGS (torch's own
implementation with a strong-Wolfe line search, not scipy's L-BFGS-B).
"""

import numpy as np
import torch
from sklearn.metrics import accuracy_score, r2_score

from fastmlp._layout import ParameterLayout

_ACTIVATIONS = {"relu": torch.nn.ReLU, "logistic": torch.nn.Sigmoid, "tanh": torch.nn.Tanh, "identity": torch.nn.Identity}


class TorchMLP:
    def __init__(self, estimator_name, params):
        self.classifier = estimator_name == "MLPClassifier"
        self.params = params

    def _build(self, layer_units, dtype):
        torch_dtype = torch.float32 if dtype == np.float32 else torch.float64
        layout = ParameterLayout(layer_units)
        flat = layout.initialize(self.params.get("activation", "relu"), np.random.RandomState(0), dtype)
        coefs, intercepts = layout.views(flat)
        layers = []
        for i, (W, b) in enumerate(zip(coefs, intercepts)):
            linear = torch.nn.Linear(W.shape[0], W.shape[1], dtype=torch_dtype)
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(np.ascontiguousarray(W.T)))
                linear.bias.copy_(torch.from_numpy(b.copy()))
            layers.append(linear)
            if i < len(coefs) - 1:
                layers.append(_ACTIVATIONS[self.params.get("activation", "relu")]())
        return torch.nn.Sequential(*layers), torch_dtype

    def _loss(self, output, target):
        if not self.classifier:
            return 0.5 * ((output.squeeze(1) - target) ** 2).mean()
        return torch.nn.functional.cross_entropy(output, target)

    def _penalty(self, n_rows):
        alpha = self.params.get("alpha", 1e-4)
        weights = [m.weight for m in self.model if isinstance(m, torch.nn.Linear)]
        return alpha / (2 * n_rows) * sum((w * w).sum() for w in weights)

    def fit(self, X, y):
        self.classes_ = np.unique(y) if self.classifier else None
        n_outputs = len(self.classes_) if self.classifier else 1
        units = [X.shape[1], *self.params["hidden_layer_sizes"], n_outputs]
        self.model, _ = self._build(units, X.dtype)
        X_t = torch.from_numpy(X)
        y_t = torch.from_numpy(np.searchsorted(self.classes_, y)) if self.classifier else torch.from_numpy(y.astype(X.dtype))
        solver = self.params["solver"]
        lr = self.params.get("learning_rate_init", 1e-3)
        if solver == "lbfgs":
            optimizer = torch.optim.LBFGS(
                self.model.parameters(), max_iter=self.params["max_iter"], tolerance_grad=0.0,
                tolerance_change=0.0, history_size=10, line_search_fn="strong_wolfe",
            )  # fmt: skip

            def closure():
                optimizer.zero_grad()
                loss = self._loss(self.model(X_t), y_t) + self._penalty(X.shape[0])
                loss.backward()
                return loss

            optimizer.step(closure)
            return self
        if solver == "adam":
            optimizer = torch.optim.Adam(self.model.parameters(), lr=lr, betas=(0.9, 0.999), eps=1e-8)
        else:
            optimizer = torch.optim.SGD(self.model.parameters(), lr=lr, momentum=self.params.get("momentum", 0.9),
                                        nesterov=self.params.get("nesterovs_momentum", True))  # fmt: skip
        batch = min(self.params["batch_size"], X.shape[0])
        generator = torch.Generator().manual_seed(0)
        for _ in range(self.params["max_iter"]):
            order = torch.randperm(X.shape[0], generator=generator)
            for start in range(0, X.shape[0], batch):
                idx = order[start : start + batch]
                optimizer.zero_grad()
                loss = self._loss(self.model(X_t[idx]), y_t[idx]) + self._penalty(len(idx))
                loss.backward()
                optimizer.step()
        return self

    def score(self, X, y):
        with torch.no_grad():
            output = self.model(torch.from_numpy(X)).numpy()
        if self.classifier:
            return accuracy_score(y, self.classes_[output.argmax(axis=1)])
        return r2_score(y, output.ravel())
