"""``class_weight`` of MLPClassifier: each sample's weight from its labels.

scikit-learn's ``LogisticRegression`` rule (``compute_class_weight``, with
``'balanced'`` counting the classes weighted by the sample weights), and for
multilabel targets the product of one weight per label column, as
``compute_sample_weight``.
"""

import numpy as np
from sklearn.utils.class_weight import compute_class_weight


def class_sample_weight(class_weight, classes, labels, multilabel, incremental, sample_weight):
    """Each sample's weight from ``class_weight`` (None without one), for the
    validated ``labels``. A dict is read against ``classes`` (all of the
    classifier's, not only those of a partial_fit batch), so that every call
    weighs a class alike."""
    if class_weight is None:
        return None
    if incremental and class_weight == "balanced":
        raise ValueError(
            "class_weight 'balanced' is not supported for partial_fit: the class "
            "frequencies of one call are not those of the training set. Compute them "
            "once with compute_class_weight('balanced', classes=classes, y=y) on the "
            "training targets (or a large enough sample of them) and pass the "
            "resulting dict as class_weight."
        )
    if not multilabel:
        if not isinstance(class_weight, (str, dict)):
            raise ValueError(
                "class_weight must be 'balanced' or a dict {class_label: weight} for single-output "
                f"targets (a list of dicts is for multilabel targets), got {class_weight!r}."
            )
        return _class_weights_of(class_weight, classes, labels, sample_weight)
    n_labels = labels.shape[1]
    if class_weight == "balanced":
        per_column = ["balanced"] * n_labels
    elif isinstance(class_weight, list) and len(class_weight) == n_labels:
        per_column = class_weight
    else:
        raise ValueError(
            "For multilabel targets, class_weight must be 'balanced' or a list of "
            f"{n_labels} dicts, one per label column, got {class_weight!r}."
        )
    weight = np.ones(labels.shape[0])
    for column, column_weight in zip(labels.T, per_column):
        weight *= _class_weights_of(column_weight, np.unique(column), column, sample_weight)
    return weight


def _class_weights_of(class_weight, classes, labels, sample_weight):
    """Each label's class weight (``class_weight`` as scikit-learn reads it)."""
    per_class = compute_class_weight(class_weight, classes=classes, y=labels, sample_weight=sample_weight)
    # 'balanced' gives a class whose samples all weigh 0 an infinite weight;
    # they weigh nothing either way (inf * 0 would be NaN)
    per_class[~np.isfinite(per_class)] = 0.0
    return per_class[np.searchsorted(classes, labels)]
