"""A display of a fit's curves, in the style of ``sklearn.metrics.*Display``."""

from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted


def check_matplotlib_support(caller_name):
    """scikit-learn's error when matplotlib is missing (its helper is private)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            f"{caller_name} requires matplotlib. You can install matplotlib with `pip install matplotlib`."
        ) from exc


class TrainingCurveDisplay:
    """The loss per epoch of a stochastic fit, with its validation loss and
    validation scores when it had a validation set.

    Create it with :meth:`from_estimator`; ``plot`` draws the training loss
    (``loss_curve_``, the L2 term included) and the validation loss
    (``validation_loss_curve_``, without it) on a log scale, and the
    validation score (``validation_scores_``: accuracy or R^2) on a second
    axis to the right. Needs matplotlib.

    .. versionadded:: fastmlp 0.2

    Parameters
    ----------
    loss_curve : list of float
    validation_loss_curve : list of float, default=None
    validation_scores : list of float, default=None
    estimator_name : str, default=None
        The legend's prefix.

    Attributes
    ----------
    ax_ : matplotlib Axes
        The axes of the losses.
    score_ax_ : matplotlib Axes or None
        The right-hand axes of the validation scores, if any.
    figure_ : matplotlib Figure
    lines_ : dict of str to matplotlib Line2D
        ``"loss"``, and ``"validation_loss"`` and ``"validation_score"`` when drawn.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from fastmlp import MLPClassifier, TrainingCurveDisplay
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = MLPClassifier(early_stopping=True, random_state=0).fit(X, y)
    >>> display = TrainingCurveDisplay.from_estimator(clf)
    >>> sorted(display.lines_)
    ['loss', 'validation_loss', 'validation_score']
    """

    def __init__(self, *, loss_curve, validation_loss_curve=None, validation_scores=None, estimator_name=None):
        self.loss_curve = loss_curve
        self.validation_loss_curve = validation_loss_curve
        self.validation_scores = validation_scores
        self.estimator_name = estimator_name

    @classmethod
    def from_estimator(cls, estimator, *, ax=None, name=None, log_scale=True):
        """Plot the curves of a fitted MLPClassifier or MLPRegressor (or of
        the one that ends a Pipeline, or a search's ``best_estimator_``)
        trained by 'sgd', 'adam' or 'adamw'.

        Parameters
        ----------
        estimator : fitted estimator or Pipeline
        ax : matplotlib Axes, default=None
            Where to draw; a new figure when None.
        name : str, default=None
            The legend's prefix; the estimator's class name when None.
        log_scale : bool, default=True
            Losses on a logarithmic scale.

        Returns
        -------
        display : TrainingCurveDisplay
        """
        check_matplotlib_support(f"{cls.__name__}.from_estimator")
        estimator = getattr(estimator, "best_estimator_", estimator)  # a fitted search's refit model
        if isinstance(estimator, Pipeline):
            estimator = estimator[-1]
        check_is_fitted(estimator)
        loss_curve = getattr(estimator, "loss_curve_", None)
        if loss_curve is None:
            raise ValueError(
                f"{type(estimator).__name__} has no loss_curve_: only the stochastic solvers ('sgd', "
                f"'adam', 'adamw') record one per epoch, and this one was fitted with solver="
                f"{getattr(estimator, 'solver', None)!r}."
            )
        display = cls(
            loss_curve=list(loss_curve),
            validation_loss_curve=getattr(estimator, "validation_loss_curve_", None),
            validation_scores=getattr(estimator, "validation_scores_", None),
            estimator_name=name or type(estimator).__name__,
        )
        return display.plot(ax=ax, log_scale=log_scale)

    def plot(self, ax=None, *, log_scale=True):
        """Draw the curves; returns the display, with ``ax_``, ``figure_``,
        ``lines_`` and ``score_ax_`` set."""
        check_matplotlib_support(f"{type(self).__name__}.plot")
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        prefix = f"{self.estimator_name}: " if self.estimator_name else ""
        epochs = range(1, len(self.loss_curve) + 1)
        self.lines_ = {"loss": ax.plot(epochs, self.loss_curve, label=f"{prefix}training loss")[0]}
        if self.validation_loss_curve is not None and len(self.validation_loss_curve):
            validation_epochs = range(1, len(self.validation_loss_curve) + 1)
            (self.lines_["validation_loss"],) = ax.plot(
                validation_epochs, self.validation_loss_curve, label=f"{prefix}validation loss"
            )
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        if log_scale:
            ax.set_yscale("log")
        self.score_ax_ = None
        handles = list(self.lines_.values())
        if self.validation_scores is not None and len(self.validation_scores):
            self.score_ax_ = ax.twinx()
            score_epochs = range(1, len(self.validation_scores) + 1)
            (self.lines_["validation_score"],) = self.score_ax_.plot(
                score_epochs, self.validation_scores, color="grey", linestyle=":", label=f"{prefix}validation score"
            )
            self.score_ax_.set_ylabel("validation score")
            handles.append(self.lines_["validation_score"])
        # on the top axes, so that no line crosses it; losses fall and scores
        # rise towards the right, leaving its middle free
        (self.score_ax_ or ax).legend(handles=handles, loc="center right")
        self.ax_ = ax
        self.figure_ = ax.figure
        return self
