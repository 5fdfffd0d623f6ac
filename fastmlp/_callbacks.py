"""scikit-learn 1.9's callbacks (``sklearn.callback``) around a fit and its epochs.

As scikit-learn's ``LogisticRegression`` calls them: the fit is the root task
and each epoch (each L-BFGS iteration) one subtask, begun and ended with the
callbacks' hooks; a callback's request to stop ends the epochs early. The
estimators get ``set_callbacks`` from ``sklearn.callback.CallbackSupportMixin``;
``_fit_context`` tears the callbacks down whatever happens. A fit makes
none of these calls unless it has callbacks or runs inside a meta-estimator
that propagates a context (scikit-learn's Pipeline and GridSearchCV do, with
or without callbacks); the weights a hook may ask for are copied only when
one does (``reconstruction_attributes`` given as a callable).
"""


class FitCallbacks:
    """The callback calls of one fit: ``start`` returns None when no
    callback is set, so that fits without them pay nothing."""

    @classmethod
    def start(cls, estimator, X, y, sample_weight, max_subtasks):
        if not (hasattr(estimator, "_skl_callbacks") or hasattr(estimator, "_parent_callback_ctx")):
            return None
        return cls(estimator, X, y, sample_weight, max_subtasks)

    def __init__(self, estimator, X, y, sample_weight, max_subtasks):
        self.estimator, self.X, self.y = estimator, X, y
        self.metadata = None if sample_weight is None else {"sample_weight": sample_weight}
        self.root = estimator._init_callback_context(max_subtasks=max_subtasks)
        self.root.call_on_fit_task_begin(estimator=estimator, X=X, y=y, metadata=self.metadata)
        self.task = None
        self.stopped = False  # a callback asked to stop

    def _weights(self):
        """Copies of the weights: training goes on updating them in place. A
        tabular model's are its whole parameter buffer (its prediction reads
        that), with ``coefs_`` and ``intercepts_`` views of the copy."""
        network = self.estimator.__dict__.get("_network")
        if network is not None:  # (n_members, size): the views are of the first member
            params = self.estimator._params.copy()
            coefs, intercepts = network.layout.views(params[0])
            return {"_params": params, "coefs_": coefs, "intercepts_": intercepts,
                    "_n_trained": self.estimator._n_trained}  # fmt: skip
        return {
            "coefs_": [W.copy() for W in self.estimator.coefs_],
            "intercepts_": [b.copy() for b in self.estimator.intercepts_],
        }

    def _call(self, context, hook):
        return getattr(context, hook)(
            estimator=self.estimator, X=self.X, y=self.y, metadata=self.metadata,
            reconstruction_attributes=self._weights,  # called only if a hook wants the model
        )  # fmt: skip

    def epoch_begins(self, task_name="epoch"):
        self.task = self.root.subcontext(task_name=task_name)
        self._call(self.task, "call_on_fit_task_begin")

    def epoch_ends(self):
        """Ends the current epoch's task; True when a callback asks to stop."""
        stop = self._call(self.task, "call_on_fit_task_end")
        self.task = None
        self.stopped = bool(stop)
        return self.stopped

    def end(self):
        if self.task is not None:  # an epoch cut short (an L-BFGS iteration never run)
            self.task.call_on_fit_task_end(estimator=self.estimator)
        self._call(self.root, "call_on_fit_task_end")
