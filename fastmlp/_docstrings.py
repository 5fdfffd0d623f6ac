"""The parameter and attribute sections shared by both estimators' docstrings."""

COMMON_PARAMETERS_DOC = """
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        The ith element is the number of neurons in the ith hidden layer. An
        empty tuple means no hidden layer (a linear or logistic model).

    activation : str or list of str, default='relu'
        Activation function for the hidden layers: scikit-learn's
        ``'identity'``, ``'logistic'``, ``'tanh'`` and ``'relu'``, or
        fastmlp's ``'leaky_relu'`` (slope 0.01 below 0), ``'elu'`` (alpha 1),
        ``'selu'`` (with ``weight_init='lecun_normal'``), ``'gelu'`` (the
        exact form ``z * Phi(z)``, Phi the normal CDF, not the tanh
        approximation), ``'silu'`` (``z * sigmoid(z)``), ``'softplus'``
        (``log(1 + e^z)``) or ``'mish'`` (``z * tanh(softplus(z))``). A list
        or tuple gives one per hidden layer, first layer first.

        .. versionadded:: fastmlp 0.2
           The activations after 'relu', and one per layer, are fastmlp's own.

    solver : {'lbfgs', 'sgd', 'adam', 'adamw'}, default='adam'
        The solver for weight optimization: L-BFGS-B on the full-batch loss,
        mini-batch SGD with momentum, Adam, or AdamW (Adam with decoupled
        weight decay, Loshchilov and Hutter; see ``alpha``).

        .. versionadded:: fastmlp 0.2
           ``'adamw'`` is fastmlp's own.

    alpha : float, default=0.0001
        Strength of the L2 regularization term, divided by the sample size
        (or the sum of sample weights) when added to the loss. With
        ``solver='adamw'`` it is instead the decoupled weight decay: each step
        first multiplies the weights (not the biases) by ``1 - lr * alpha``,
        ``lr`` the epoch's learning rate (``learning_rate_init`` unless
        ``learning_rate_schedule`` changes it), whatever the sample size, and
        the loss has no L2 term (``alpha * learning_rate_init`` must be < 1).

    batch_size : int or 'auto', default='auto'
        Size of minibatches for stochastic optimizers; 'auto' is
        ``min(200, n_samples)``. Unused by 'lbfgs'.

    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
        Learning rate schedule for 'sgd': constant, ``learning_rate_init /
        (t + 1) ** power_t`` after each epoch, or divided by 5 each time the
        loss stops improving for ``n_iter_no_change`` epochs.

    learning_rate_init : float, default=0.001
        The initial learning rate ('sgd', 'adam' and 'adamw').

    power_t : float, default=0.5
        Exponent of the 'invscaling' schedule ('sgd').

    max_iter : int, default=200
        Maximum number of iterations: epochs for 'sgd', 'adam' and 'adamw',
        L-BFGS iterations for 'lbfgs'.

    shuffle : bool, default=True
        Whether to shuffle samples in each epoch ('sgd', 'adam' and 'adamw').

    random_state : int, RandomState instance or None, default=None
        Determines weight initialization, the early-stopping split and batch
        sampling, drawn in scikit-learn's order: the same value gives the same
        model as scikit-learn's estimator, up to float rounding (which also
        depends on how many cores the fit splits its batches across).

    tol : float, default=1e-4
        Tolerance for the optimization: training stops when the loss (or the
        validation score) does not improve by ``tol`` for ``n_iter_no_change``
        consecutive epochs.

    verbose : bool, default=False
        Whether to print progress messages (scikit-learn's format).

    warm_start : bool, default=False
        Reuse the solution of the previous call to fit as initialization.

    momentum : float, default=0.9
        Momentum for 'sgd', in [0, 1].

    nesterovs_momentum : bool, default=True
        Whether to use Nesterov's momentum ('sgd' with momentum > 0).

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified for
        single-output classification) and stop when its score stops
        improving; the best weights are restored ('sgd', 'adam' and 'adamw').

    validation_fraction : float, default=0.1
        Proportion of training data set aside for early stopping.

    beta_1 : float, default=0.9
        Decay rate of Adam's (and AdamW's) first-moment estimates, in [0, 1).

    beta_2 : float, default=0.999
        Decay rate of Adam's (and AdamW's) second-moment estimates, in [0, 1).

    epsilon : float, default=1e-8
        Adam's (and AdamW's) numerical-stability term.

    n_iter_no_change : int, default=10
        Epochs without an improvement of ``tol`` before stopping
        ('sgd', 'adam' and 'adamw').

    max_fun : int, default=15000
        Maximum number of loss evaluations ('lbfgs').
"""

COMMON_ATTRIBUTES_DOC = """
    loss_ : float
        The current loss computed with the loss function.

    best_loss_ : float or None
        The minimum loss reached by the solver throughout fitting; None with
        ``early_stopping=True``.

    loss_curve_ : list of shape (`n_iter_`,)
        The loss at the end of each epoch ('sgd', 'adam' and 'adamw').

    validation_scores_ : list of shape (`n_iter_`,) or None
        The score on the validation set after each epoch, with
        ``early_stopping=True`` or a validation set given to ``fit``; None
        otherwise.

    validation_loss_curve_ : list of shape (`n_iter_`,) or None
        The loss on the validation set (internal split or ``X_val``) after
        each epoch: the loss of ``loss_curve_`` without its L2 term. None
        without a validation set.

        .. versionadded:: fastmlp 0.2
           fastmlp's own.

    best_validation_score_ : float or None
        The best validation score, with ``early_stopping=True``.

    t_ : int
        The number of training samples seen by the solver during fitting.

    coefs_ : list of shape (n_layers - 1,)
        The ith element is the weight matrix of layer i, (n_in, n_out).

    intercepts_ : list of shape (n_layers - 1,)
        The ith element is the bias vector of layer i + 1.

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`, when X has string column
        names.

    n_iter_ : int
        The number of iterations the solver has run.

    n_layers_ : int
        Number of layers, input and output included.

    n_outputs_ : int
        Number of outputs.

    out_activation_ : str
        Name of the output activation function.
"""

WEIGHT_INIT_DOC = """
    weight_init : {'glorot_uniform', 'glorot_normal', 'he_uniform', 'he_normal', 'lecun_normal'}, default='glorot_uniform'
        How the initial weights are drawn from ``random_state``, per layer of
        ``fan_in`` inputs and ``fan_out`` units. ``'glorot_uniform'`` is
        scikit-learn's draw (the same ``random_state`` gives its weights):
        weights and biases from ``U(-b, b)`` with ``b = sqrt(6 / (fan_in +
        fan_out))``, or ``sqrt(2 / ...)`` for logistic units. The others start
        every bias at 0 and draw the weights from ``N(0, sqrt(2 / (fan_in +
        fan_out)))`` (glorot_normal), ``U(-sqrt(6 / fan_in), sqrt(6 / fan_in))``
        (he_uniform), ``N(0, sqrt(2 / fan_in))`` (he_normal, for relu units)
        or ``N(0, sqrt(1 / fan_in))`` (lecun_normal).

        .. versionadded:: fastmlp 0.2
           fastmlp's own: scikit-learn's MLP always draws glorot_uniform.
"""

SCHEDULE_DOC = """
    learning_rate_schedule : {'cosine', 'plateau'}, callable or None, default=None
        The learning rate of each epoch, for 'sgd', 'adam' and 'adamw' alike
        (scikit-learn's own ``learning_rate`` applies to 'sgd' only, and must
        be 'constant' with a schedule). None: scikit-learn's behaviour.
        'cosine': ``learning_rate_init * (1 + cos(pi * epoch / max_iter)) / 2``,
        from ``learning_rate_init`` at the first epoch down towards 0 at
        ``max_iter``, and 0 after (``partial_fit`` calls beyond ``max_iter``
        epochs take no step; a ``fit`` starts the schedule again). 'plateau': divided by 5 each time the loss (or the
        validation score) stops improving by ``tol`` for ``n_iter_no_change``
        epochs, and training stops once it is at most 1e-6 (scikit-learn's
        'adaptive'). A callable ``epoch -> factor`` (epochs counted from 0)
        multiplies ``learning_rate_init``. Adam's rate is its alpha: its
        bias correction applies on top.

        .. versionadded:: fastmlp 0.2
           fastmlp's own.

    warmup_iter : int, default=0
        Epochs of linear warm-up: the rate of epoch ``e < warmup_iter`` is
        multiplied by ``(e + 1) / (warmup_iter + 1)``, on top of any schedule.

        .. versionadded:: fastmlp 0.2
           fastmlp's own.
"""

DROPOUT_DOC = """
    dropout : float or array-like of float, default=0.0
        The fraction of each hidden layer's units dropped in training, in
        [0, 1): one rate for every hidden layer, or one per hidden layer.
        Inverted dropout: kept units are scaled by ``1 / (1 - rate)`` in
        training, so prediction (which drops nothing) needs no scaling. Each
        mini-batch draws its masks from ``random_state`` and its step number,
        the same whatever the number of threads. 'sgd', 'adam' and 'adamw'
        only ('lbfgs' needs a deterministic loss). ``loss_curve_`` records
        the training loss with dropout, ``validation_loss_curve_`` the
        validation loss without.

        .. versionadded:: fastmlp 0.2
           fastmlp's own.
"""

MAX_GRAD_NORM_DOC = """
    max_grad_norm : float or None, default=None
        Clip each mini-batch's gradient (the L2 term included) to this global
        L2 norm, over every weight and bias of the network, before the
        optimizer's step: ``g <- g * min(1, max_grad_norm / ||g||)``
        ('sgd', 'adam' and 'adamw'). None: no clipping.

        .. versionadded:: fastmlp 0.2
           fastmlp's own.
"""

CLASS_WEIGHT_DOC = """
    class_weight : dict, list of dict or 'balanced', default=None
        Weights of the classes, as in :class:`sklearn.linear_model.LogisticRegression`:
        ``{class_label: weight}`` (classes not listed weigh 1), or ``'balanced'``,
        ``n_samples / (n_classes * np.bincount(y))`` (counted with the sample
        weights when given). Multilabel targets take one dict per label column
        (``{0: w0, 1: w1}``) or ``'balanced'`` per column, and a sample weighs
        the product. They multiply ``sample_weight``: without one, a fit equals
        the fit with ``sample_weight=compute_sample_weight(class_weight, y)``,
        and the early-stopping validation score is weighted too.
        ``partial_fit`` takes a dict, not ``'balanced'``.

        .. versionadded:: fastmlp 0.2
           fastmlp's own: scikit-learn's MLPClassifier has no class_weight.
"""
