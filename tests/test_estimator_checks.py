"""scikit-learn's own API conformance checks, for every public estimator.

Estimators are discovered from ``fastmlp.__all__``, so a new one is checked
without new test code. The only checks skipped are those scikit-learn skips
for its own MLP on this machine (pandas or array-API extras not installed).
"""

import inspect

from sklearn.base import BaseEstimator
from sklearn.utils.estimator_checks import parametrize_with_checks

import fastmlp

ESTIMATORS = [
    getattr(fastmlp, name)
    for name in fastmlp.__all__
    if inspect.isclass(getattr(fastmlp, name)) and issubclass(getattr(fastmlp, name), BaseEstimator)
]


def test_every_estimator_is_discovered():
    assert {cls.__name__ for cls in ESTIMATORS} == {
        "MLPClassifier", "MLPRegressor", "TabularMLPClassifier", "TabularMLPRegressor"
    }  # fmt: skip


def _expected_failures(estimator):
    tabular = isinstance(estimator, fastmlp._tabular.BaseTabularMLP)
    failures = {}
    if estimator.get_params().get("class_weight") == "balanced":
        reason = "partial_fit rejects class_weight='balanced', as SGDClassifier does"
        partial_fit_checks = (
            "check_fit_score_takes_y",
            "check_estimators_partial_fit_n_features",
            "check_n_features_in_after_fitting",
        )
        failures.update({name: reason for name in partial_fit_checks})
    if estimator.get_params().get("dropout") or tabular:
        reason = (
            "with dropout, a row repeated twice draws two masks where a row of weight 2 draws one "
            "(and a tabular model's validation split may part the copies): the fits differ by design, "
            "as with any random regularisation"
        )
        failures.update({f"check_sample_weight_equivalence_on_{kind}_data": reason for kind in ("dense", "sparse")})
    if tabular and estimator.dtype == "float32":
        # OpenBLAS sums a GEMM's products in an order that depends on its row
        # count: a row predicted alone and among others differ by float32
        # rounding (1e-7), more than the check allows; in float64 (checked
        # below) by 1e-16.
        failures["check_methods_subset_invariance"] = "float32 GEMMs round by their row count"
    return failures


# max_iter keeps the ~60 checks per estimator fast; scikit-learn's own test
# suite checks its MLPs the same way.
@parametrize_with_checks([cls(max_iter=50) for cls in ESTIMATORS], expected_failed_checks=_expected_failures)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


# fastmlp's own options, set to non-defaults (scikit-learn's checks include
# check_class_weight_classifiers once an estimator has class_weight)
NON_DEFAULT_OPTIONS = [
    fastmlp.MLPClassifier(max_iter=50, class_weight="balanced"),
    fastmlp.MLPClassifier(max_iter=50, weight_init="he_normal"),
    fastmlp.MLPRegressor(max_iter=50, weight_init="lecun_normal"),
    fastmlp.MLPRegressor(max_iter=50, solver="adamw", alpha=0.01),
    fastmlp.MLPClassifier(max_iter=50, solver="adamw"),
    fastmlp.MLPRegressor(max_iter=50, learning_rate_schedule="cosine", warmup_iter=3),
    fastmlp.MLPClassifier(max_iter=50, solver="sgd", learning_rate_schedule="plateau"),
    fastmlp.MLPRegressor(max_iter=50, max_grad_norm=1.0),
    fastmlp.MLPClassifier(max_iter=50, dropout=0.2),
    fastmlp.MLPRegressor(max_iter=50, dropout=0.1, activation="gelu"),
    fastmlp.MLPClassifier(hidden_layer_sizes=(20, 10), max_iter=200, activation=["selu", "mish"],
                          weight_init="lecun_normal"),  # fmt: skip
    fastmlp.TabularMLPClassifier(max_iter=30, dtype="float64"),
    fastmlp.TabularMLPRegressor(max_iter=30, dtype="float64"),
    fastmlp.TabularMLPClassifier(max_iter=30, numerical_embedding=None, scale_layer=False, parametric_activation=False,
                                 dropout=0.0, parametrization="standard", bias_init="zeros"),  # fmt: skip
]


@parametrize_with_checks(NON_DEFAULT_OPTIONS, expected_failed_checks=_expected_failures)
def test_sklearn_compatible_with_fastmlps_options(estimator, check):
    check(estimator)
