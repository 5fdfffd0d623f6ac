"""scikit-learn 1.9's callbacks (``sklearn.callback``) around a fit and its epochs.

As scikit-learn's ``LogisticRegression`` calls them: the fit is the root task
and each epoch (each L-BFGS iteration) one subtask, begun and ended with the
callbacks' hooks; a callback's request to stop ends the epochs early. The
estimators get ``set_callbacks`` from ``sklearn.callback.CallbackSupportMixin``;
``_fit_context`` tears the callbacks down whatever happens. A fit with no
callback, its own or a meta-estimator's, makes none of these calls.
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

    def _call(self, context, hook):
        estimator = self.estimator
        # copies: training goes on updating the weights in place
        weights = {"coefs_": [W.copy() for W in estimator.coefs_], "intercepts_": [b.copy() for b in estimator.intercepts_]}
        return getattr(context, hook)(
            estimator=estimator, X=self.X, y=self.y, metadata=self.metadata, reconstruction_attributes=weights
        )

    def epoch_begins(self, task_name="epoch"):
        self.task = self.root.subcontext(task_name=task_name)
        self._call(self.task, "call_on_fit_task_begin")

    def epoch_ends(self):
        """Ends the current epoch's task; True when a callback asks to stop."""
        stop = self._call(self.task, "call_on_fit_task_end")
        self.task = None
        return bool(stop)

    def end(self):
        if self.task is not None:  # an epoch cut short (an L-BFGS iteration never run)
            self.task.call_on_fit_task_end(estimator=self.estimator)
        self._call(self.root, "call_on_fit_task_end")
