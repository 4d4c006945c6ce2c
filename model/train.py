"""Trains the flight departure-delay model and writes the artefacts the TypeScript scorer reads.

Outputs (in --out, default model/):
  model.json    trees + feature encoding in the airline-gbm/v2 format (services/predictor/scorer.ts)
  metrics.json  AUC / log loss / accuracy on the held-out validation split, plus the demo-settings baseline
  golden.jsonl  this trainer's own probabilities for data lines referred to by physical line number, with
                optional column edits (NA values, unseen codes); a header row holds the data file's SHA-256.
                No data line is written: the data set is never committed.
  validation-split.json  which data lines form the validation split (lets tests recompute AUC)

Run through model/train.sh (pinned venv). Seeded: the same data and seed give byte-identical files.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import math
import sys
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, log_loss, roc_auc_score

MODEL_FORMAT = "airline-gbm/v2"
GOLDEN_FORMAT = "airline-golden/v2"
LABEL = "IsDepDelayed"
CSV_COLUMNS = [
    "Year", "Month", "DayofMonth", "DayOfWeek", "DepTime", "CRSDepTime", "ArrTime", "CRSArrTime",
    "UniqueCarrier", "FlightNum", "TailNum", "ActualElapsedTime", "CRSElapsedTime", "AirTime", "ArrDelay",
    "DepDelay", "Origin", "Dest", "Distance", "TaxiIn", "TaxiOut", "Cancelled", "CancellationCode", "Diverted",
    "CarrierDelay", "WeatherDelay", "NASDelay", "SecurityDelay", "LateAircraftDelay", "IsArrDelayed", "IsDepDelayed",
]

# Only what is known before departure. Names and formulas mirror NUMERIC_FEATURES / CATEGORICAL_FEATURES
# in services/predictor/scorer.ts.
RAW_NUMERIC = ["Year", "Month", "DayofMonth", "DayOfWeek", "CRSDepTime", "CRSArrTime", "FlightNum",
               "CRSElapsedTime", "Distance"]
DERIVED_NUMERIC = ["DepMinuteOfDay", "DaysSince1987"]
CATEGORICAL = ["UniqueCarrier", "Origin", "Dest"]
FEATURES = RAW_NUMERIC + DERIVED_NUMERIC + CATEGORICAL

SEED = 2017
VALIDATION_FRACTION = 0.2
EARLY_STOPPING_FRACTION = 0.1
THRESHOLD = 0.5
AUC_TARGET = 0.80
# Smoothing of the per-category delay rates that order the category codes (pseudo-count toward the mean).
CATEGORY_ORDER_SMOOTHING = 20
# Depth-limited trees: the TS scorer pads each tree to a complete one and walks it without branches, so
# the cost per record is trees x depth. Depths 7 and 8 gave the same AUC and speed; 6 keeps the padded trees smallest.
PARAMS = {
    "objective": "binary",
    "learning_rate": 0.1,
    "num_leaves": 63,
    "max_depth": 6,
    "lambda_l2": 30,
    "min_data_in_leaf": 10,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "max_bin": 255,
    "verbose": -1,
    "num_threads": 2,
    "deterministic": True,
    "force_row_wise": True,
}
MAX_ROUNDS = 600
EARLY_STOPPING_ROUNDS = 50
# The 2017 demo's H2O GBM settings, trained on the same features for comparison.
DEMO_PARAMS = {**PARAMS, "learning_rate": 0.1, "num_leaves": 32, "max_depth": 5, "min_data_in_leaf": 10, "lambda_l2": 0}
DEMO_ROUNDS = 10


def read_records(source) -> pd.DataFrame:
    """Reads demo CSV records. Latin-1 decoding keeps the ~3k lines whose TailNum holds non-UTF-8 bytes
    (TailNum is not a feature, so their features are unaffected)."""
    return pd.read_csv(
        source,
        encoding="latin1",
        keep_default_na=False,
        na_values=["NA", ""],
        dtype={c: str for c in ["UniqueCarrier", "Origin", "Dest", "TailNum", "CancellationCode", "IsArrDelayed", LABEL]},
    )


def is_utf8(latin1_text: str) -> bool:
    """Whether the line's original bytes are valid UTF-8 (the service rejects the others)."""
    try:
        latin1_text.encode("latin1").decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def feature_frame(df: pd.DataFrame, categories: dict[str, list[str]]) -> pd.DataFrame:
    x = pd.DataFrame(index=df.index)
    for column in RAW_NUMERIC:
        x[column] = pd.to_numeric(df[column], errors="coerce").astype("float64")
    dep = x["CRSDepTime"]
    x["DepMinuteOfDay"] = np.floor(dep / 100) * 60 + np.mod(dep, 100)
    dates = pd.to_datetime(
        pd.DataFrame({"year": x["Year"], "month": x["Month"], "day": x["DayofMonth"]}), errors="coerce"
    )
    x["DaysSince1987"] = (dates - pd.Timestamp("1987-01-01")).dt.days.astype("float64")
    for column in CATEGORICAL:
        # A category's code is its rank by training delay rate, so ordinary threshold splits group carriers
        # and airports by how late they run. Unseen and missing codes become NaN (a missing value).
        codes = {value: code for code, value in enumerate(categories[column])}
        x[column] = df[column].map(codes).astype("float64")
    return x[FEATURES]


def delay_rate_order(values: pd.Series, labels: np.ndarray) -> list[str]:
    """Categories of the training rows, ordered by smoothed delay rate (ties by name, so the order is stable)."""
    prior = float(labels.mean())
    stats = pd.DataFrame({"value": values.to_numpy(), "label": labels}).dropna().groupby("value")["label"].agg(["sum", "count"])
    rate = (stats["sum"] + CATEGORY_ORDER_SMOOTHING * prior) / (stats["count"] + CATEGORY_ORDER_SMOOTHING)
    return sorted(rate.index.tolist(), key=lambda value: (float(rate[value]), value))


def child_ref(node: dict, nodes: list, leaves: list) -> int:
    """Internal nodes get indices >= 0, leaves ~index (< 0)."""
    if "leaf_index" in node or "split_index" not in node:
        leaves.append(node)
        return ~(len(leaves) - 1)
    nodes.append(node)
    return len(nodes) - 1


def round_leaf(value: float) -> float:
    """Nine decimals keep the file small: each leaf is off by <= 5e-10, so even 1,000 trees move the raw
    score by <= 5e-7 and the probability by <= 1.3e-7 (the golden test allows 1e-6)."""
    return round(value, 9) + 0.0  # + 0.0 turns -0.0 into 0.0


def short_threshold(value: float) -> float:
    """The shortest decimal that sends every integer to the same side of `x <= threshold` as LightGBM's
    threshold does (LightGBM puts thresholds between bin values, e.g. 1144.5000000000002). Every numeric
    feature is integer-valued (schedule times, minutes, days, miles, codes), so decisions are unchanged."""
    if not math.isfinite(value):
        return value
    for decimals in range(0, 18):
        candidate = round(value, decimals)
        if math.floor(candidate) == math.floor(value):
            return candidate
    return value


def export_tree(tree_structure: dict) -> dict:
    nodes: list[dict] = []
    leaves: list[dict] = []
    # Breadth-first numbering, so node 0 is the root.
    out = {"feature": [], "threshold": [], "missing": [], "defaultLeft": [], "left": [], "right": [], "leaves": []}
    if "split_index" not in tree_structure:
        out["leaves"].append(round_leaf(tree_structure["leaf_value"]))
        return out
    order: list[dict] = []
    refs: dict[int, tuple[int, int]] = {}
    child_ref(tree_structure, nodes, leaves)
    i = 0
    while i < len(nodes):
        node = nodes[i]
        left = child_ref(node["left_child"], nodes, leaves)
        right = child_ref(node["right_child"], nodes, leaves)
        refs[i] = (left, right)
        order.append(node)
        i += 1
    # "Zero" (zero_as_missing) is never configured, so the format has no code for it.
    missing_codes = {"None": 0, "NaN": 2}
    for index, node in enumerate(order):
        if node["decision_type"] != "<=" or node["missing_type"] not in missing_codes:
            raise ValueError(f"unsupported split {node['decision_type']} / missing {node['missing_type']}")
        out["feature"].append(node["split_feature"])
        out["threshold"].append(short_threshold(float(node["threshold"])))
        out["missing"].append(missing_codes[node["missing_type"]])
        out["defaultLeft"].append(1 if node["default_left"] else 0)
        out["left"].append(refs[index][0])
        out["right"].append(refs[index][1])
    out["leaves"] = [round_leaf(leaf["leaf_value"]) for leaf in leaves]
    return out


def export_model(booster: lgb.Booster, categories: dict[str, list[str]], rounds: int) -> dict:
    dump = booster.dump_model(num_iteration=rounds)
    if dump["feature_names"] != FEATURES:
        raise ValueError(f"feature order mismatch: {dump['feature_names']}")
    features = []
    for name in FEATURES:
        if name in CATEGORICAL:
            features.append({"name": name, "type": "categorical", "order": "delay rate", "categories": categories[name]})
        else:
            features.append({"name": name, "type": "numeric"})
    model = {
        "format": MODEL_FORMAT,
        "modelVersion": "",
        "label": LABEL,
        "positiveClass": "YES",
        "threshold": THRESHOLD,
        "sigmoid": 1.0,
        "trainer": {"library": "lightgbm", "version": lgb.__version__, "params": PARAMS, "rounds": rounds, "seed": SEED,
                    "categoryOrderSmoothing": CATEGORY_ORDER_SMOOTHING},
        "features": features,
        "trees": [export_tree(tree["tree_structure"]) for tree in dump["tree_info"]],
    }
    digest = hashlib.sha256(json.dumps(model, sort_keys=True).encode()).hexdigest()[:12]
    model["modelVersion"] = f"gbm-{digest}"
    return model


def evaluate(y: np.ndarray, p: np.ndarray) -> dict:
    return {
        "auc": round(float(roc_auc_score(y, p)), 6),
        "logLoss": round(float(log_loss(y, p)), 6),
        "accuracy": round(float(accuracy_score(y, p >= THRESHOLD)), 6),
        "rows": int(len(y)),
        "positiveRate": round(float(np.mean(y)), 6),
    }


def golden_rows(raw_lines: list[str], valid_idx: np.ndarray, categories: dict[str, list[str]],
                rng: np.random.RandomState) -> list[tuple[str, int, dict[str, str]]]:
    """(kind, row index, column edits): validation rows (valid UTF-8 only: the service rejects others) plus
    edited copies with NA values, unseen carriers/airports and an impossible date. The golden file refers to
    data lines by number and stores only the edits, so no data line is committed."""
    pool = [i for i in valid_idx if is_utf8(raw_lines[i])]
    picked = [pool[i] for i in rng.choice(len(pool), size=300, replace=False)]
    rows: list[tuple[str, int, dict[str, str]]] = [("validation", i, {}) for i in picked]
    na_targets = ["DayOfWeek", "CRSDepTime", "CRSArrTime", "FlightNum", "CRSElapsedTime", "Distance",
                  "UniqueCarrier", "Origin", "Dest"]
    unseen_carriers = [c for c in ["ZZ", "9X", "QQ"] if c not in categories["UniqueCarrier"]]
    unseen_airports = [a for a in ["XYZ", "QQQ", "ZZ9"] if a not in categories["Origin"] + categories["Dest"]]
    for k, index in enumerate(picked[:60]):
        kind = k % 6
        if kind == 0:
            rows.append(("na-one", index, {na_targets[k // 6 % len(na_targets)]: "NA"}))
        elif kind == 1:
            rows.append(("na-all-optional", index, {name: "NA" for name in na_targets}))
        elif kind == 2:
            rows.append(("unseen-carrier", index, {"UniqueCarrier": unseen_carriers[k % len(unseen_carriers)]}))
        elif kind == 3:
            rows.append(("unseen-airports", index, {"Origin": unseen_airports[k % len(unseen_airports)],
                                                    "Dest": unseen_airports[(k + 1) % len(unseen_airports)]}))
        elif kind == 4:
            rows.append(("unseen-and-na", index, {"UniqueCarrier": unseen_carriers[k % len(unseen_carriers)],
                                                  "Origin": unseen_airports[k % len(unseen_airports)],
                                                  "CRSDepTime": "NA"}))
        else:
            rows.append(("impossible-date", index, {"Month": "2", "DayofMonth": "30"}))
    return rows


def apply_edits(line: str, edits: dict[str, str]) -> str:
    fields = line.split(",")
    for name, value in edits.items():
        fields[CSV_COLUMNS.index(name)] = value
    return ",".join(fields)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, type=Path)
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args()

    data_bytes = args.data.read_bytes()
    data_sha256 = hashlib.sha256(data_bytes).hexdigest()
    # (physical line number, text) of every non-blank line; line numbers let the TS tests find the split.
    numbered = [(n + 1, line) for n, line in enumerate(data_bytes.decode("latin1").split("\n")) if line.strip() != ""]
    header = numbered[0][1]
    line_numbers = [n for n, _ in numbered[1:]]
    raw_lines = [line for _, line in numbered[1:]]
    if header.split(",") != CSV_COLUMNS:
        print(f"train.py: unexpected header in {args.data}", file=sys.stderr)
        return 2
    df = read_records(io.StringIO("\n".join([header] + raw_lines)))
    if len(df) != len(raw_lines):
        raise ValueError("row count mismatch between CSV reader and raw lines")
    y = (df[LABEL] == "YES").astype(int).to_numpy()

    rng = np.random.RandomState(SEED)
    order = rng.permutation(len(df))
    n_valid = int(round(VALIDATION_FRACTION * len(df)))
    valid_idx, train_all_idx = np.sort(order[:n_valid]), order[n_valid:]
    n_stop = int(round(EARLY_STOPPING_FRACTION * len(train_all_idx)))
    stop_idx, train_idx = np.sort(train_all_idx[:n_stop]), np.sort(train_all_idx[n_stop:])

    # Category lists and their order come from the training rows only; anything else is "unseen".
    train_df = df.iloc[train_all_idx]
    categories = {c: delay_rate_order(train_df[c], y[train_all_idx]) for c in CATEGORICAL}
    x = feature_frame(df, categories)

    def dataset(idx, reference=None):
        # Category codes are ordinal (see feature_frame), so every feature is numeric to LightGBM.
        return lgb.Dataset(x.iloc[idx], y[idx], categorical_feature=[], free_raw_data=False, reference=reference)

    # Early stopping on a slice of the training part picks the tree count; the final model is then refit on
    # the whole training part (train + early-stopping rows). The validation rows are never seen.
    train_set = dataset(train_idx)
    stop_set = dataset(stop_idx, train_set)
    probe = lgb.train(
        {**PARAMS, "seed": SEED, "metric": "binary_logloss"}, train_set, MAX_ROUNDS, valid_sets=[stop_set],
        callbacks=[lgb.early_stopping(EARLY_STOPPING_ROUNDS, verbose=False)],
    )
    rounds = probe.best_iteration or MAX_ROUNDS
    fit_idx = np.sort(train_all_idx)
    booster = lgb.train({**PARAMS, "seed": SEED}, dataset(fit_idx), rounds)

    demo = lgb.train({**DEMO_PARAMS, "seed": SEED}, dataset(fit_idx), DEMO_ROUNDS)

    p_valid = booster.predict(x.iloc[valid_idx], num_iteration=rounds)
    # The service rejects non-UTF-8 records, so also report the subset it can score (the TS test recomputes this).
    utf8_mask = np.array([is_utf8(raw_lines[i]) for i in valid_idx])
    p_train = booster.predict(x.iloc[fit_idx], num_iteration=rounds)
    metrics = {
        "model": "",
        "split": {
            "method": "random, seeded",
            "dataSha256": data_sha256,
            "seed": SEED,
            "validationFraction": VALIDATION_FRACTION,
            "earlyStoppingFractionOfTraining": EARLY_STOPPING_FRACTION,
            "trainRows": int(len(fit_idx)),
            "earlyStoppingRowsWithinTrain": int(len(stop_idx)),
            "validationRows": int(len(valid_idx)),
            "nonUtf8Lines": int(sum(1 for line in raw_lines if not is_utf8(line))),
            "latin1Handling": "decoded as Latin-1 and kept (only TailNum, not a feature, holds such bytes)",
        },
        "rounds": rounds,
        "threshold": THRESHOLD,
        "target": {"validationAuc": AUC_TARGET, "met": bool(roc_auc_score(y[valid_idx], p_valid) >= AUC_TARGET)},
        "validation": evaluate(y[valid_idx], p_valid),
        "validationUtf8Only": evaluate(y[valid_idx][utf8_mask], p_valid[utf8_mask]),
        "train": evaluate(y[fit_idx], p_train),
        "demoSettingsBaseline": {
            "description": f"{DEMO_ROUNDS} trees, max depth 5, learning rate 0.1, same features and split",
            "validation": evaluate(y[valid_idx], demo.predict(x.iloc[valid_idx])),
        },
    }

    model = export_model(booster, categories, rounds)
    metrics["model"] = model["modelVersion"]

    golden = [{"golden": GOLDEN_FORMAT, "dataFile": args.data.name, "dataSha256": data_sha256,
               "model": model["modelVersion"]}]
    for label, index, edits in golden_rows(raw_lines, valid_idx, categories, rng):
        line = apply_edits(raw_lines[index], edits)
        gx = feature_frame(read_records(io.StringIO(header + "\n" + line)), categories)
        probability = float(booster.predict(gx, num_iteration=rounds)[0])
        if not math.isfinite(probability):
            raise ValueError(f"non-finite prediction for data line {line_numbers[index]}")
        row = {"kind": label, "sourceLine": line_numbers[index]}
        if edits:
            row["edits"] = edits
        golden.append({**row, "probability": probability, "prediction": "YES" if probability >= THRESHOLD else "NO"})

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "model.json").write_text(json.dumps(model, separators=(",", ":")) + "\n")
    (args.out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    split = {
        "description": "physical line numbers (header = 1) of the validation rows in the training data file",
        "dataSha256": data_sha256,
        "seed": SEED,
        "validationLineNumbers": [line_numbers[i] for i in valid_idx],
    }
    (args.out / "validation-split.json").write_text(json.dumps(split, separators=(",", ":")) + "\n")
    (args.out / "golden.jsonl").write_text("".join(json.dumps(row) + "\n" for row in golden))
    size = (args.out / "model.json").stat().st_size
    v = metrics["validation"]
    print(f"model {model['modelVersion']}: {rounds} trees, {size} bytes; validation AUC {v['auc']:.4f} "
          f"log loss {v['logLoss']:.4f} accuracy {v['accuracy']:.4f} "
          f"(demo settings AUC {metrics['demoSettingsBaseline']['validation']['auc']:.4f})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
