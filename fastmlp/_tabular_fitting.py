"""A tabular model's fit: the table encoded once, then each member of the
ensemble split, initialised and trained (``_tabular_training``), and the
members' curves summarised.

The encoding's statistics (medians, scales, categories) and the
regressor's target scaling come from all of ``fit``'s rows, which every
member shares (pytabkit fits them on the training split: they see no
targets but the regressor's mean and range). Each member holds out its own
random validation rows (stratified for a classifier), so that across
members every row trains and each picks its best epoch on rows it did not
train on; with a validation set of the user's, all
of X trains every member, which then differ by their initialisation, shuffles
and dropout. Predictions average the members' outputs (probabilities, or
standardised predictions before the clamp).

Why an ensemble by default: a single network's held-out score moves with its
seed and split far more than gradient boosting's on small tables (concrete's
R^2 0.85-0.92 over three splits); averaging five took the suite's four
datasets where the single network trailed HistGradientBoosting furthest from
-0.0225 to -0.0104 on average (three splits each), at five times the time.
``n_ensemble="auto"`` keeps that time bounded: as many members (up to 5) as
fit in a budget of ``ENSEMBLE_ROW_BUDGET`` training rows.
"""

import numpy as np
from sklearn.base import is_classifier
from sklearn.model_selection import train_test_split

from . import _threads
from ._callbacks import FitCallbacks
from ._dropout import dropout_vector
from ._layer_options import dropout_rates
from ._safeguards import check_finite_weights, validated_hidden_layer_sizes
from ._tabular_network import TabularNetwork
from ._tabular_training import TabularTraining

#: ``n_ensemble="auto"``: members (at most ``MAX_AUTO_MEMBERS``) while their
#: training rows together stay within this many (cells' 1,615 rows: 5
#: members; diamonds' 43,152: 1).
ENSEMBLE_ROW_BUDGET = 60000
MAX_AUTO_MEMBERS = 5


def n_members(n_ensemble, n_rows):
    """How many networks a fit of ``n_rows`` rows trains."""
    if n_ensemble == "auto":
        return int(min(MAX_AUTO_MEMBERS, max(1, ENSEMBLE_ROW_BUDGET // max(1, n_rows))))
    return int(n_ensemble)


def validation_split(estimator, y, random_state):
    """``(train, validation)`` row indices of one member: a random
    ``validation_fraction`` of the rows (stratified for a classifier where
    every class has two rows), none when ``select_best_epoch`` is off or too
    few rows to split."""
    n = y.shape[0]
    every = np.arange(n)
    n_val = n - int(np.ceil((1 - estimator.validation_fraction) * n))
    if not estimator.select_best_epoch or n_val < 1 or n - n_val < 1:
        return every, every[:0]
    stratify = None
    if is_classifier(estimator):
        counts = np.unique(y, return_counts=True)[1]
        if counts.min() >= 2 and n_val >= counts.size and n - n_val >= counts.size:
            stratify = y
    train, val = train_test_split(every, test_size=n_val, random_state=random_state, stratify=stratify)
    return np.sort(train), np.sort(val)


def fit_members(estimator, table, y, Y, sample_weight, validation, random_state, whole):
    """Train ``estimator``'s members on the encoded ``table`` (targets ``y``
    as given and ``Y`` as the output layer takes them) into its ``_params``
    (n_members, size), setting the fitted curves. ``validation``: the
    user's ``(table, y, sample_weight)`` or None. ``whole``: ``(X, y,
    sample_weight)`` of the fit, for the callbacks."""
    dtype = table.dtype
    hidden = validated_hidden_layer_sizes(estimator.hidden_layer_sizes)
    network = TabularNetwork(
        estimator.encoding_.n_numeric, estimator.encoding_.n_binary, estimator.encoding_.embedding_sizes_, hidden,
        Y.shape[1], estimator._recipe(),
    )  # fmt: skip
    members = n_members(estimator.n_ensemble, table.shape[0])
    estimator._network = network
    estimator._set_params(np.zeros((members, network.size), dtype=dtype))
    estimator._n_trained = 0
    rates = dropout_rates(estimator.dropout, len(hidden))
    callbacks = FitCallbacks.start(estimator, *whole, max_subtasks=members * int(estimator.max_iter))
    curves = []
    for member in range(members):
        if validation is None:
            train, val = validation_split(estimator, y, random_state)
            measured = None
            if val.shape[0]:
                weights = None if sample_weight is None else sample_weight[val]
                if weights is not None and weights.sum() == 0:
                    weights = None  # its rows all weigh 0 (a seed's draw): scored unweighted
                measured = (table[val], estimator._validation_measure(y[val], weights))
        else:
            train = np.arange(table.shape[0])
            measured = (validation[0], estimator._validation_measure(validation[1], validation[2]))
        part = table[train]
        params = estimator._params[member]
        # BLAS threads woken here would spin on beside the team (about 0.1 s):
        # with one BLAS thread, cells' one-network fits took 2.89 s instead of 3.07 (medians of 3)
        with _threads.limits(1):
            params[:] = network.initialize(part, random_state, estimator._output_of, estimator.bias_init)
        seed = int(random_state.randint(np.iinfo(np.int32).max))
        dropout = dropout_vector(rates, seed) if rates.any() else np.empty(0)
        weights = None if sample_weight is None else sample_weight[train]
        training = TabularTraining(estimator, network, estimator._codes, params, part, Y[train], weights, dropout)
        measure, validation_table = (None, None) if measured is None else (measured[1], measured[0])
        curves.append(training.run(random_state, measure, validation_table, callbacks))
        estimator._n_trained = member + 1
        check_finite_weights(params)
        if curves[-1].interrupted or (callbacks is not None and callbacks.stopped):
            break  # Ctrl-C, or a callback's request, ends the fit, not one network
    if callbacks is not None:
        callbacks.end()
    estimator._set_params(estimator._params[: estimator._n_trained].copy())  # the networks trained
    _summarise(estimator, curves)


def _summarise(estimator, curves):
    """The fitted curves: each epoch's mean over the networks (over the
    epochs all of them ran), and each network's best epoch."""
    n = min(len(c.loss) for c in curves)
    estimator.loss_curve_ = np.mean([c.loss[:n] for c in curves], axis=0).tolist()
    estimator.n_iter_ = n
    if curves[0].scores:
        n_scored = min(n, min(len(c.scores) for c in curves))
        estimator.validation_scores_ = np.mean([c.scores[:n_scored] for c in curves], axis=0).tolist()
        estimator.validation_loss_curve_ = np.mean([c.losses[:n_scored] for c in curves], axis=0).tolist()
    else:
        estimator.validation_scores_ = estimator.validation_loss_curve_ = None
    estimator.best_epoch_ = np.array([c.best_epoch for c in curves], dtype=np.int64)
    estimator.n_ensemble_ = len(curves)
