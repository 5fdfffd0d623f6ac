"""The docstrings of TabularMLPClassifier and TabularMLPRegressor."""

_INTRO = """{kind} on tables: RealMLP-TD's recipe on fastmlp's kernels.

    A multilayer perceptron with the defaults of Holzmueller et al., "Better by
    Default: Strong Pre-Tuned MLPs and Boosted Trees on Tabular Data"
    (NeurIPS 2024), which match gradient-boosted trees with their defaults
    on large benchmarks. Like ``HistGradientBoosting{short}`` it takes a
    DataFrame with numeric and categorical columns, missing values in both,
    or a numpy array or sparse matrix, and needs no preprocessing. Every part
    of the recipe is a parameter whose default is the paper's, so that it can
    be switched off or tuned in a grid search.

    .. versionadded:: fastmlp 0.2

    Parameters
    ----------
    hidden_layer_sizes : array-like of int, default=(256, 256, 256)
        Widths of the hidden layers.

    activation : str, default={activation!r}
        The hidden layers' activation, one of ``MLPClassifier``'s.

    parametric_activation : bool, default=True
        Each hidden unit's activation is ``z + alpha (f(z) - z)`` with a
        trained ``alpha`` (starting at 1: ``f``), as RealMLP's; False: ``f``.

    dropout : float, default=0.15
        Dropout rate of every hidden layer (times ``regularization_schedule``'s
        factor at each step).

    weight_decay : float, default=0.02
        Decoupled weight decay: each step multiplies a parameter by ``1 - lr *
        weight_decay * f``, ``lr`` the step's learning rate and ``f`` its
        group's factor (1 for the weights and embedding tables, 0 for the
        biases, 36 for the scale layer, 0.01 for the numerical embeddings and
        the activations' alphas: pytabkit's, whose decay squares the groups'
        learning-rate factors), times ``regularization_schedule``'s factor.

    regularization_schedule : {{'flat_cos', 'coslog4', 'cosine', 'constant'}}, default='flat_cos'
        Factor of ``dropout`` and ``weight_decay`` over the training's progress
        ``p`` in [0, 1): ``'flat_cos'`` is 1 for the first half, then a half
        cosine down to 0.

    learning_rate : float, default={learning_rate}
        Adam's base learning rate.

    learning_rate_schedule : {{'coslog4', 'flat_cos', 'cosine', 'constant'}}, default='coslog4'
        Factor of the learning rate at each step: ``'coslog4'`` is ``(1 -
        cos(2 pi log2(1 + 15 p))) / 2``, four cycles each twice as long as the
        last, each starting at 0 (a warm-up); ``'cosine'`` ``(1 + cos(pi p)) / 2``.

    max_iter : int, default=256
        Epochs. Every epoch runs (there is no early stopping: the weights of
        the best epoch are kept instead, see ``select_best_epoch``).

    batch_size : int, default=256
        Rows per step (at most the training rows); each epoch trains on its
        whole batches, leaving the remainder of its shuffle out.

    beta_1, beta_2, epsilon : float, default=0.9, 0.95, 1e-8
        Adam's.
{task_parameters}
    categorical_features : 'from_dtype', array-like of int, str or bool, or None, default='from_dtype'
        The categorical columns: ``'from_dtype'`` takes a DataFrame's
        category, object, string and boolean columns (none of an array's, as
        ``HistGradientBoosting*``), or give indices, names or a mask.

    max_one_hot_levels : int, default=9
        A categorical column with at most this many levels (its categories and
        missing) is one-hot encoded; larger ones are learned embeddings.

    embedding_size : int, default=8
        Width of a large categorical column's embedding (a category unseen in
        training, or missing, has a row of its own).

    robust_scale : bool, default=True
        Numeric and one-hot columns centred on their median and divided by
        their interquartile range (half their range where it is 0), as
        RealMLP's; False: by their mean and standard deviation (as
        ``StandardScaler``). A missing value takes the centre (0).

    smooth_clip : bool, default=True
        Then ``x / sqrt(1 + (x / 3)^2)``, bounding each value to (-3, 3).

    numerical_embedding : 'pbld' or None, default='pbld'
        Periodic embeddings of the numeric columns (PBLD): each value ``x``
        becomes ``M^T cos(2 pi w x + phi) + m`` (``pbld_dimension - 1`` values)
        followed by ``x`` itself, with ``pbld_frequencies`` trained
        frequencies ``w`` (starting ``N(0, pbld_sigma^2)``) and phases per
        column.

    pbld_frequencies : int, default=16
    pbld_sigma : float, default=0.1
    pbld_dimension : int, default=4

    scale_layer : bool, default=True
        A trained factor per input column in front of the first layer
        (starting at 1), learning ``scale_lr_factor`` times faster.

    parametrization : {{'ntk', 'standard'}}, default='ntk'
        ``'ntk'``: the neural-tangent parametrisation (a layer computes ``A W /
        sqrt(n_in)``, its weights trained at the base rate), which fastmlp runs
        as the equivalent learning rate ``lr / sqrt(n_in)`` on the effective
        weights (and epsilon ``eps sqrt(n_in)``). Either way each layer's
        weights start with unit variance of their outputs on the training rows.

    bias_init : {{'he+5', 'zeros'}}, default='he+5'
        ``'he+5'``: each unit's bias starts at minus a random convex
        combination of its pre-activation at 5 random training rows.

    bias_lr_factor, scale_lr_factor, pbld_lr_factor, activation_lr_factor : float, default=0.1, 6, 0.1, 0.1
        Learning-rate factors of the biases, the scale layer, the periodic
        numerical embeddings and the activations' alphas (the categorical
        embedding tables and the weights learn at the base rate).

    validation_fraction : float, default=0.2
        Rows each network holds out (stratified for a classifier) to pick its
        best epoch (``fit``'s ``X_val`` replaces them).

    n_ensemble : int or 'auto', default='auto'
        Networks trained, each with its own validation rows, initialisation
        and shuffles, whose outputs are averaged (a single network's score
        moves with its seed and split far more than gradient boosting's on
        small tables). ``'auto'``: as many as fit in 60,000 training rows, at
        most 5 (a 2,000-row table: 5; 15,000 rows: 4; 50,000: 1). 1 is
        RealMLP-TD's single network.

    select_best_epoch : bool, default=True
        Keep the weights of the epoch with the highest validation score, the
        lowest {metric} (the latest of ties); False: all rows train, the last
        epoch's weights stay.

    dtype : {{'float32', 'float64'}}, default='float32'
        The arithmetic of training and prediction. float32 fits in about 0.6
        of float64's time here with the same accuracy (see the README).

    random_state : int, RandomState instance or None, default=None
        The split, the initialisation, the shuffles and dropout's seed.

    verbose : int, default=0
        Print the loss (and validation score) of every epoch.

    Attributes
    ----------
{task_attributes}
    coefs_, intercepts_ : list of ndarray
        The first network's dense layers' weights (effective: the
        neural-tangent factor included) and biases.
    n_ensemble_ : int
        Networks trained.
    loss_curve_ : list of float
        Training loss of each epoch (of the rows it trained on; the mean over
        the networks).
    validation_scores_ : list of float or None
        The validation rows' score ({score}) after each epoch (the mean over
        the networks, each on its own rows; None without validation rows).
    validation_loss_curve_ : list of float or None
        Their loss after each epoch (the training's loss, on them).
    best_epoch_ : ndarray of int
        Each network's epoch whose weights it kept (counted from 1).
    n_iter_ : int
        Epochs run.
    encoding_ : TabularEncoding
        The fitted input encoding.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Defined when X had string column names.

    See Also
    --------
    {other} : the same model for {other_task}.
    MLP{short} : scikit-learn's multilayer perceptron.

    Notes
    -----
    Trained by fastmlp's fused kernels: each epoch is one kernel call per few
    batches, the input layers (numerical and categorical embeddings, the
    scale), the parametric activations and each parameter group's rates
    included.

    Examples
    --------
{example}"""

_CLASSIFIER_PARAMETERS = """
    label_smoothing : float, default=0.1
        The targets of the cross-entropy loss are ``(1 - label_smoothing)
        onehot + label_smoothing / n_classes``.
"""

_REGRESSOR_PARAMETERS = """
    standardize_target : bool, default=True
        Train on targets standardised by the mean and standard deviation of
        ``fit``'s rows (predictions are scaled back).

    clamp_output : bool, default=True
        Predictions are clipped to the range of ``fit``'s targets.
"""

_EXAMPLE_DATA = """    >>> import numpy as np
    >>> import pandas as pd
    >>> rng = np.random.RandomState(0)
    >>> X = pd.DataFrame({"x": rng.uniform(size=300),
    ...                   "colour": pd.Categorical(rng.choice(["red", "blue", None], 300))})
    >>> y = 2 * X["x"] + (X["colour"] == "red")
"""

_CLASSIFIER_EXAMPLE = _EXAMPLE_DATA + """    >>> from fastmlp import TabularMLPClassifier
    >>> model = TabularMLPClassifier(random_state=0).fit(X, y > 1.5)
    >>> model.predict(X.iloc[:3])
    array([ True, False,  True])
"""

_REGRESSOR_EXAMPLE = _EXAMPLE_DATA + """    >>> from fastmlp import TabularMLPRegressor
    >>> model = TabularMLPRegressor(random_state=0).fit(X, y)
    >>> model.predict(X.iloc[:3]).round(1)
    array([2.1, 1.4, 2.2])
"""

CLASSIFIER_DOC = _INTRO.format(
    kind="Classifier", short="Classifier", activation="selu", learning_rate=0.04, metric="error", score="accuracy",
    task_parameters=_CLASSIFIER_PARAMETERS, other="TabularMLPRegressor", other_task="regression",
    task_attributes="    classes_ : ndarray of shape (n_classes,)\n        The class labels.",
    example=_CLASSIFIER_EXAMPLE,
)  # fmt: skip

REGRESSOR_DOC = _INTRO.format(
    kind="Regressor", short="Regressor", activation="mish", learning_rate=0.2, metric="RMSE", score="R^2",
    task_parameters=_REGRESSOR_PARAMETERS, other="TabularMLPClassifier", other_task="classification",
    task_attributes="    n_outputs_ : int\n        Outputs of the regression.",
    example=_REGRESSOR_EXAMPLE,
)  # fmt: skip
