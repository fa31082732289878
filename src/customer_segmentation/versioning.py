"""Model-level steps of the segment history: what the dbt Python models in
``python_models/intermediate/history`` (and the clustering models, in a scoring build) run.

The logic is in :mod:`customer_segmentation.history`; these functions fetch the tables the
models ref, call it and return frames (pandas, or Spark when the input was Spark).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from customer_segmentation import history, kmeans
from customer_segmentation.settings import HistorySettings
from customer_segmentation.tables import (
    columns_in_order,
    count_rows,
    customer_order_column,
    fetch_columns,
    fetch_columns_unsorted,
    fetch_matrix,
    is_duckdb_relation,
    is_spark_frame,
    to_pandas,
)

#: int_feature_scaler columns that define a model (not statistics of the data). Columns the
#: input contract adds (a transform, a weight per feature) belong here once they exist.
SCALER_CONFIG_COLUMNS = (
    "feature_position",
    "feature_name",
    "feature_transform",
    "transform_quantile",
    "feature_weight",
)

RUN_COLUMNS = {
    "mode": "str",
    "model_version": "int64",
    "previous_model_version": "int64",
    "next_model_version": "int64",
    "reason": "str",
    "config_fingerprint": "str",
    "input_fingerprint": "str",
    "input_rows": "int64",
    "drop_segmentation_history": "bool",
    "outlier_quantile": "float64",
    "segment_match_max_distance": "float64",
    "segment_match_min_jaccard": "float64",
    "lineage_min_share": "float64",
    "drift_psi_threshold": "float64",
    "drift_share_threshold": "float64",
    "drift_distance_threshold": "float64",
}


def _log(step: str, message: str) -> None:
    print(f"[customer_segmentation] {step}: {message}", flush=True)


def typed_frame(columns: Mapping[str, str], template: object, data: dict | None = None) -> object:
    """A frame of the given column dtypes (empty unless ``data``), as the template's kind.

    An empty Spark DataFrame needs its schema spelled out (nothing to infer it from), so dtypes
    are mapped to Spark types there.
    """
    data = data or {}
    frame = pd.DataFrame(
        {
            name: pd.Series(data.get(name, []), dtype=_pandas_dtype(kind))
            for name, kind in columns.items()
        }
    )
    if not is_spark_frame(template):
        return frame
    from pyspark.sql import types as T  # noqa: PLC0415

    spark_types = {
        "int64": T.LongType(),
        "float64": T.DoubleType(),
        "bool": T.BooleanType(),
        "str": T.StringType(),
    }
    schema = T.StructType(
        [T.StructField(name, spark_types[kind], True) for name, kind in columns.items()]
    )
    rows = [tuple(_plain(v) for v in row) for row in frame.itertuples(index=False)]
    return template.sparkSession.createDataFrame(rows, schema)


def _plain(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    return value


def _pandas_dtype(kind: str) -> str:
    return "string" if kind == "str" else kind


def key_dtype_empty(table: object, key: str = "customer_id") -> np.ndarray:
    """No keys, but of the key column's type (so an empty model joins with the real ones)."""
    if isinstance(table, pd.DataFrame):
        return table[key].to_numpy()[:0]
    if is_spark_frame(table):
        return table.select(key).limit(0).toPandas()[key].to_numpy()
    return np.asarray(table.limit(0).select(key).fetchnumpy()[key])


# ---------------------------------------------------------------------------- the run


@dataclass(frozen=True)
class Run:
    """One row of the int_segmentation_run model."""

    mode: str
    model_version: int  # scored version; 0 when fitting
    previous_model_version: int  # latest stored version; 0 when none
    next_model_version: int
    values: dict

    @property
    def scoring(self) -> bool:
        return self.mode == "score"


def read_run(table: object) -> Run:
    """The build's run plan from the one-row ``int_segmentation_run`` model."""
    frame = to_pandas(table)
    if len(frame) != 1:
        raise ValueError(f"int_segmentation_run must have exactly one row, got {len(frame)}")
    row = frame.iloc[0].to_dict()
    return Run(
        mode=str(row["mode"]),
        model_version=int(row["model_version"]),
        previous_model_version=int(row["previous_model_version"]),
        next_model_version=int(row["next_model_version"]),
        values=row,
    )


def segmentation_run(
    versions_table: object,
    fingerprint_table: object,
    scaler_table: object,
    *,
    run_values: Mapping[str, object],
    thresholds: HistorySettings,
    features: Sequence[str],
    n_segments_setting: object,
) -> object:
    """The one-row plan of this build (see :func:`history.resolve_run`).

    ``run_values`` are the run vars as dbt hands them over (checked by
    :func:`history.parse_run_settings`); ``thresholds`` the validated history settings
    (``Settings().history``), published in the row for the SQL models.
    """
    settings = history.parse_run_settings(run_values)
    versions = to_pandas(versions_table)
    fingerprint = to_pandas(fingerprint_table).iloc[0]
    scaler = to_pandas(scaler_table)
    config_columns = [c for c in SCALER_CONFIG_COLUMNS if c in scaler.columns]
    scaler_config = (
        scaler.sort_values("feature_position")[config_columns].astype(str).values.tolist()
    )
    config = history.config_fingerprint(features, scaler=scaler_config)
    input_fp = f"{int(fingerprint['input_rows'])}:{fingerprint['input_hash']}"
    plan = history.resolve_run(
        settings,
        versions,
        config_fingerprint=config,
        input_fingerprint=input_fp,
        features=features,
        n_segments_setting=n_segments_setting,
    )
    _log("int_segmentation_run", f"{plan.mode}: {plan.reason}")
    data = {
        "mode": [plan.mode],
        "model_version": [plan.model_version or 0],
        "previous_model_version": [plan.previous_model_version or 0],
        "next_model_version": [plan.next_model_version],
        "reason": [plan.reason],
        "config_fingerprint": [config],
        "input_fingerprint": [input_fp],
        "input_rows": [int(fingerprint["input_rows"])],
        "drop_segmentation_history": [settings.drop_segmentation_history],
        **{
            name: [float(getattr(thresholds, name))]
            for name, kind in RUN_COLUMNS.items()
            if kind == "float64"
        },
    }
    return typed_frame(RUN_COLUMNS, fingerprint_table, data)


# ---------------------------------------------------------------------------- identity


def _version_centers(
    centres: pd.DataFrame, version: int, method: str = "kmeans"
) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Segment ids, feature names (in position order) and the centre matrix of a version."""
    rows = centres[
        (centres["model_version"].astype("int64") == version)
        & (centres["segmentation_method"] == method)
    ]
    wide = rows.pivot_table(
        index="segment_id", columns="feature_name", values="center_standardised", aggfunc="first"
    )
    order = (
        rows.drop_duplicates("feature_name")
        .sort_values("feature_position")["feature_name"]
        .tolist()
    )
    wide = wide[order].sort_index()
    return wide.index.to_numpy(dtype=np.int64), order, wide.to_numpy(dtype=np.float64)


def _scaler_of(scalers: pd.DataFrame, features: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    indexed = scalers.set_index("feature_name")
    return (
        indexed.loc[list(features), "feature_mean"].to_numpy(dtype=np.float64),
        indexed.loc[list(features), "feature_scale"].to_numpy(dtype=np.float64),
    )


def identity_match(
    customer_ids: np.ndarray,
    X: np.ndarray,
    centers: np.ndarray,
    features: Sequence[str],
    *,
    run: Run,
    stored_centres: pd.DataFrame,
    stored_scalers: pd.DataFrame,
    stored_segments: pd.DataFrame,
    previous_members: pd.DataFrame,
    scaler: pd.DataFrame,
) -> tuple[history.SegmentMatch, np.ndarray]:
    """Match a fresh fit's segments (``centers``, fit order) to the latest stored version.

    Centres are compared on the features both versions use, the previous version's centres
    re-expressed in this build's standardised units; shared customers come from the latest
    snapshot scored with the previous version. Returns the match and the previous ids.
    """
    previous = run.previous_model_version
    used = stored_segments.loc[stored_segments["segmentation_method"] == "kmeans", "segment_id"]
    if previous <= 0:
        empty = np.zeros((0, len(features)))
        return (
            history.match_segments([], empty, centers, used_ids=used.astype(int).tolist()),
            np.zeros(0, dtype=np.int64),
        )
    previous_ids, previous_features, previous_centers = _version_centers(stored_centres, previous)
    common = [f for f in features if f in previous_features]
    old_scalers = stored_scalers[stored_scalers["model_version"].astype("int64") == previous]
    old_mean, old_scale = _scaler_of(old_scalers, common)
    new_mean, new_scale = _scaler_of(scaler, common)
    previous_common = previous_centers[:, [previous_features.index(f) for f in common]]
    previous_in_new = history.to_common_space(
        previous_common, old_mean, old_scale, new_mean, new_scale
    )
    new_common = centers[:, [list(features).index(f) for f in common]]
    labels = kmeans.assign_nearest(X, centers) + 1
    new_members = pd.DataFrame({"customer_id": customer_ids, "segment_id": labels})
    overlap = history.overlap_counts(
        previous_ids,
        previous_members[previous_members["model_version"].astype("int64") == previous],
        np.arange(1, centers.shape[0] + 1),
        new_members,
    )
    settings = run.values
    match = history.match_segments(
        previous_ids,
        previous_in_new,
        new_common,
        overlap,
        max_distance=float(settings["segment_match_max_distance"]),
        min_jaccard=float(settings["segment_match_min_jaccard"]),
        used_ids=used.astype(int).tolist(),
    )
    return match, previous_ids


def stored_fit_frame(
    stored_centres: pd.DataFrame,
    stored_versions: pd.DataFrame,
    stored_segments: pd.DataFrame,
    version: int,
    features: Sequence[str],
) -> pd.DataFrame:
    """int_kmeans_fit's table for a stored version (a scoring build fits nothing)."""
    ids, stored_features, centers = _version_centers(stored_centres, version)
    if list(stored_features) != list(features):
        raise ValueError(
            f"model version {version} was fitted on {', '.join(stored_features)}, not on "
            f"{', '.join(features)}"
        )
    info = stored_versions[stored_versions["model_version"].astype("int64") == version].iloc[0]
    segments = stored_segments[
        (stored_segments["model_version"].astype("int64") == version)
        & (stored_segments["segmentation_method"] == "kmeans")
    ].set_index("segment_id")
    frame = pd.DataFrame(
        {
            "kmeans_segment_id": ids,
            "customers": segments.loc[ids, "training_customers"].to_numpy(dtype=np.int64),
        }
    )
    for j, feature in enumerate(features):
        frame["center_" + feature] = centers[:, j]
    frame["inertia"] = float(info["inertia"])
    frame["n_starts"] = int(info["n_starts"])
    frame["n_starts_at_best"] = int(info["n_starts_at_best"])
    frame["search_strategy"] = f"scored with model version {version} (no fit)"
    frame["fit_seconds"] = 0.0
    frame["random_state"] = int(info["random_state"])
    frame["fit_rank"] = np.arange(1, len(ids) + 1, dtype=np.int64)
    frame["matched_previous_segment_id"] = ids
    frame["previous_segment_name"] = segments.loc[ids, "segment_name"].astype(str).to_numpy()
    return frame


# ---------------------------------------------------------------------------- lineage

LINEAGE_COLUMNS = {
    "previous_segment_id": "int64",
    "segment_id": "int64",
    "status": "str",
    "is_matched": "bool",
    "shared_customers": "int64",
    "share_of_previous": "float64",
    "share_of_new": "float64",
    "jaccard": "float64",
    "center_distance": "float64",
}


def segment_lineage(
    features_table: object,
    fit_table: object,
    run_table: object,
    stored_centres_table: object,
    stored_scalers_table: object,
    stored_segments_table: object,
    previous_members_table: object,
    scaler_table: object,
    features: Sequence[str],
    *,
    spark_collect_max_rows: int | None = None,
) -> object:
    """The lineage of this build's fit against the latest stored version (none when scoring).

    Recomputes the match int_kmeans_fit made (the same inputs give the same match) and classifies
    every link (:func:`history.lineage_rows`). Ids of 0 stand for "none" (a new segment has no
    previous id, a retired one no new id); the SQL model turns them into nulls.
    """
    from customer_segmentation.pipeline import runs_distributed  # noqa: PLC0415

    run = read_run(run_table)
    if run.scoring:
        return typed_frame(LINEAGE_COLUMNS, features_table)
    fit = to_pandas(fit_table).sort_values("fit_rank")
    centers = fit[["center_" + f for f in features]].to_numpy(dtype=np.float64)
    if runs_distributed(features_table, spark_collect_max_rows):
        # The distributed fit (pyspark.ml) matches nothing: every segment is new.
        match = history.match_segments([], np.zeros((0, centers.shape[1])), centers)
        return _lineage_frame(history.lineage_rows([], match), features_table)
    customer_ids, X = fetch_matrix(features_table, features, "customer_id")
    match, previous_ids = identity_match(
        customer_ids,
        X,
        centers,
        features,
        run=run,
        stored_centres=to_pandas(stored_centres_table),
        stored_scalers=to_pandas(stored_scalers_table),
        stored_segments=to_pandas(stored_segments_table),
        previous_members=to_pandas(previous_members_table),
        scaler=to_pandas(scaler_table),
    )
    expected = fit["kmeans_segment_id"].to_numpy(dtype=np.int64)
    if not np.array_equal(match.segment_ids, expected):
        raise ValueError(
            "int_segment_lineage_links: the match differs from int_kmeans_fit's; rebuild both"
        )
    rows = history.lineage_rows(
        previous_ids, match, min_share=float(run.values["lineage_min_share"])
    )
    return _lineage_frame(rows, features_table)


def _lineage_frame(rows: pd.DataFrame, template: object) -> object:
    """Lineage rows as the model's table: ids 0 for "none" (the SQL model makes them null)."""
    rows = rows.fillna({"previous_segment_id": 0, "segment_id": 0}).astype(
        {"previous_segment_id": "int64", "segment_id": "int64"}
    )
    return typed_frame(LINEAGE_COLUMNS, template, {n: rows[n].to_numpy() for n in LINEAGE_COLUMNS})


# ---------------------------------------------------------------------------- drift

BIN_COLUMNS = {
    "feature_position": "int64",
    "feature_name": "str",
    "bin_index": "int64",
    "lower_edge": "float64",
    "upper_edge": "float64",
    "training_customers": "int64",
    "training_share": "float64",
    "training_mean": "float64",
    "training_std": "float64",
}


def _feature_columns(encoded_table: object, features: Sequence[str]) -> Iterator[np.ndarray]:
    """Each feature's values as a contiguous float64 array, customers in customer order
    (:data:`tables.CUSTOMER_ORDER`, the order of every numeric step), one feature at a time.

    A DuckDB relation is read one feature at a time (:func:`tables.columns_in_order`): a sum
    over the values (the means) adds them in customer order whatever the table's row order,
    and at most two columns are held at once, where the fetch of every feature sorted in
    DuckDB held the sort's buffers and all 14 columns (at 10M customers about 3 GiB above the
    process). Other tables (pandas, Spark) are fetched once, sorted.
    """
    order = customer_order_column(encoded_table)
    if is_duckdb_relation(encoded_table):
        for values in columns_in_order(encoded_table, features, order):
            yield np.ascontiguousarray(values, dtype=np.float64)
        return
    fetched = fetch_columns(encoded_table, features, order)
    for feature in features:
        yield np.ascontiguousarray(fetched[feature], dtype=np.float64)


def feature_bins(encoded_table: object, run_table: object, features: Sequence[str]) -> object:
    """The training distribution of every feature of a new version: decile bins and shares.

    Raw (unscaled) values, so the bins do not depend on the scaler. Empty in a scoring build
    (the version's bins are kept from its fit).
    """
    run = read_run(run_table)
    if run.scoring:
        return typed_frame(BIN_COLUMNS, encoded_table)
    # One feature at a time (no n x p matrix: every pass below reads one feature).
    records: dict[str, list] = {name: [] for name in BIN_COLUMNS}
    for j, (feature, values) in enumerate(
        zip(features, _feature_columns(encoded_table, features), strict=True)
    ):
        edges = history.quantile_edges(values)
        counts = history.bin_counts(values, edges)
        lower = [np.nan, *edges.tolist()]
        upper = [*edges.tolist(), np.nan]
        # Once per feature, not once per bin (each is a pass over every customer).
        mean, std = float(values.mean()), float(values.std())
        for b, count in enumerate(counts):
            records["feature_position"].append(j + 1)
            records["feature_name"].append(feature)
            records["bin_index"].append(b + 1)
            records["lower_edge"].append(lower[b])
            records["upper_edge"].append(upper[b])
            records["training_customers"].append(int(count))
            records["training_share"].append(float(count / max(len(values), 1)))
            records["training_mean"].append(mean)
            records["training_std"].append(std)
    return typed_frame(BIN_COLUMNS, encoded_table, records)


FEATURE_DRIFT_COLUMNS = {
    "feature_position": "int64",
    "feature_name": "str",
    "feature_words": "str",
    "psi": "float64",
    "drift_level": "str",
    "training_mean": "float64",
    "snapshot_mean": "float64",
    "mean_shift_sd": "float64",
}


def feature_drift(
    encoded_table: object,
    bins_table: object,
    run_table: object,
    features: Sequence[str],
    *,
    channels_table: object | None = None,
    regions_table: object | None = None,
) -> object:
    """Per feature: the population stability index of this snapshot against the training bins
    of the version it is scored with (``bins_table``: that version's bins)."""
    run = read_run(run_table)
    bins = to_pandas(bins_table)
    threshold = float(run.values["drift_psi_threshold"])
    vocab = vocabulary(channels_table, regions_table)
    records: dict[str, list] = {name: [] for name in FEATURE_DRIFT_COLUMNS}
    for j, (feature, values) in enumerate(
        zip(features, _feature_columns(encoded_table, features), strict=True)
    ):
        own = bins[bins["feature_name"] == feature].sort_values("bin_index")
        if own.empty:
            raise ValueError(f"feature_drift: the version has no training bins for {feature}")
        edges = own["upper_edge"].to_numpy(dtype=np.float64)[:-1]
        actual = history.bin_shares(values, edges)
        expected = own["training_share"].to_numpy(dtype=np.float64)
        psi = history.population_stability_index(expected, actual)
        training_mean = float(own["training_mean"].iloc[0])
        training_std = float(own["training_std"].iloc[0])
        snapshot_mean = float(values.mean()) if values.shape[0] else np.nan
        records["feature_position"].append(j + 1)
        records["feature_name"].append(feature)
        records["feature_words"].append(history.feature_in_words(feature, **vocab))
        records["psi"].append(psi)
        records["drift_level"].append(history.psi_level(psi, threshold))
        records["training_mean"].append(training_mean)
        records["snapshot_mean"].append(snapshot_mean)
        records["mean_shift_sd"].append(
            (snapshot_mean - training_mean) / training_std if training_std > 0 else 0.0
        )
    return typed_frame(FEATURE_DRIFT_COLUMNS, encoded_table, records)


MODEL_DRIFT_COLUMNS = {
    "max_psi": "float64",
    "most_shifted_feature": "str",
    "max_share_change": "float64",
    "mean_distance_rise": "float64",
    "refit_recommended": "bool",
    "refit_reason": "str",
}


def model_drift(
    feature_drift_table: object, segment_drift_table: object, run_table: object
) -> object:
    """One row: the snapshot's drift summary, ``refit_recommended`` and the reason in words."""
    run = read_run(run_table)
    # In feature and segment order, so ties (all zero on an unchanged input) are repeatable.
    features = to_pandas(feature_drift_table).sort_values("feature_position")
    segments = to_pandas(segment_drift_table).sort_values("segment_id")
    psi = dict(zip(features["feature_name"], features["psi"].astype(float), strict=True))
    words = dict(zip(features["feature_name"], features["feature_words"], strict=True))
    shares = {
        f"{int(r.segment_id)} ({r.segment_name})": float(r.share_change)
        for r in segments.itertuples(index=False)
    }
    training = (segments["training_mean_distance"] * segments["training_share"]).sum()
    snapshot = (segments["snapshot_mean_distance"] * segments["snapshot_share"]).sum()
    rise = float(snapshot / training - 1) if training > 0 else 0.0
    advice = history.refit_recommendation(
        psi,
        shares,
        rise,
        psi_threshold=float(run.values["drift_psi_threshold"]),
        share_threshold=float(run.values["drift_share_threshold"]),
        distance_threshold=float(run.values["drift_distance_threshold"]),
        feature_words=words,
    )
    worst = max(psi.items(), key=lambda item: item[1], default=("", 0.0))
    data = {
        "max_psi": [float(worst[1])],
        # No feature is "the most shifted" when none moved.
        "most_shifted_feature": [worst[0] if worst[1] > 0 else ""],
        "max_share_change": [max((abs(v) for v in shares.values()), default=0.0)],
        "mean_distance_rise": [rise],
        "refit_recommended": [advice.refit_recommended],
        "refit_reason": [advice.reason],
    }
    _log("model_drift", advice.reason)
    return typed_frame(MODEL_DRIFT_COLUMNS, feature_drift_table, data)


# ---------------------------------------------------------------------------- customers


def vocabulary(channels_table: object | None, regions_table: object | None) -> dict:
    """Channel and region names by slug (stg_channels, stg_regions), for feature words."""
    names: dict = {"channel_names": {}, "region_names": {}}
    for key, table, prefix in (
        ("channel_names", channels_table, "channel"),
        ("region_names", regions_table, "region"),
    ):
        if table is not None:
            frame = to_pandas(table)
            names[key] = dict(zip(frame[f"{prefix}_slug"], frame[f"{prefix}_name"], strict=True))
    return names


def _deviation_input_in_duckdb(
    features_table: object, assignments_table: object, features: Sequence[str]
) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Customer ids, k-means segment ids and the feature columns, in customer order
    (:data:`tables.CUSTOMER_ORDER`), from two DuckDB relations.

    The segment ids are paired with the customers by a join in DuckDB on customer_id (any
    key type), fetched unsorted with the customer order (two integer columns) and put in
    order by a numpy argsort; the ids and features come a column at a time in that order
    (:func:`tables.columns_in_order`). Neither DuckDB's sort nor a ``(n, p)`` copy is made:
    at 10 million customers one fetch of the whole join, then the matrix, raised the model
    by 3.5 GiB. The two tables must hold the same customers: the join would drop a
    customer missing from either, so the counts are checked first.
    """
    order = customer_order_column(features_table)
    n_features, n_assigned = count_rows(features_table), count_rows(assignments_table)
    joined = features_table.select(*dict.fromkeys(["customer_id", order])).join(
        assignments_table.select("customer_id", "kmeans_segment_id"), "customer_id"
    )
    segments = fetch_columns_unsorted(joined, [order, "kmeans_segment_id"])
    if not n_features == n_assigned == segments[order].shape[0]:
        raise ValueError(
            f"customer_deviations: {n_features:,} customers have features, {n_assigned:,} a "
            f"k-means segment and {segments[order].shape[0]:,} both; they must be the same"
        )
    labels = segments["kmeans_segment_id"][np.argsort(segments[order], kind="stable")]
    del segments
    customer_ids, *columns = columns_in_order(features_table, ["customer_id", *features], order)
    return customer_ids, labels, columns


def customer_deviations(
    features_table: object,
    fit_table: object,
    assignments_table: object,
    features: Sequence[str],
    *,
    n_top: int = 3,
) -> object:
    """The ``n_top`` features that most set each customer apart from its segment's centre.

    One row per customer: customer_id, then per rank r = 1..n_top ``feature_<r>`` (the
    feature's 1-based position in ``features``) and ``deviation_<r>`` (standardised customer
    value minus the centre's); null beyond the number of features. Positions, not names: a
    million customers' rows stay numeric (mart_customer_fit names them from a feature lookup).
    """
    started = time.perf_counter()
    fit_ids, centers = fetch_matrix(
        fit_table, ["center_" + f for f in features], "kmeans_segment_id"
    )
    fit_ids = np.asarray(fit_ids, dtype=np.int64)
    if is_duckdb_relation(features_table) and is_duckdb_relation(assignments_table):
        customer_ids, labels, columns = _deviation_input_in_duckdb(
            features_table, assignments_table, features
        )
        index = np.searchsorted(fit_ids, labels)
        positions, deviations = history.top_deviations_columns(columns, centers, index, n_top)
        del columns
    else:
        customer_ids, Z = fetch_matrix(features_table, features, "customer_id")
        fetched = fetch_columns(assignments_table, ["kmeans_segment_id"], "customer_id")
        index = np.searchsorted(fit_ids, fetched["kmeans_segment_id"])
        positions, deviations = history.top_deviations(Z, centers, index, n_top)
        del Z
    frame = pd.DataFrame({"customer_id": customer_ids})
    for rank in range(n_top):
        # Fewer features than n_top: the ranks beyond them are null (same columns always).
        if rank < positions.shape[1]:
            frame[f"feature_{rank + 1}"] = positions[:, rank].astype(np.int64) + 1
            frame[f"deviation_{rank + 1}"] = deviations[:, rank]
        else:
            frame[f"feature_{rank + 1}"] = pd.array([None] * len(frame), dtype="Int64")
            frame[f"deviation_{rank + 1}"] = np.full(len(frame), np.nan)
    _log(
        "int_customer_deviations",
        f"{len(frame):,} customers, top {positions.shape[1]} features in "
        f"{time.perf_counter() - started:.2f}s",
    )
    if is_spark_frame(features_table):
        return features_table.sparkSession.createDataFrame(frame)
    return frame
