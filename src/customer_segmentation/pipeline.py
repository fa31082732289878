"""The steps the dbt Python models run, one function per model.

Each function takes the tables the model refs (a DuckDB relation on DuckDB, a Spark DataFrame
on Spark/Databricks, or a pandas DataFrame), the model's settings as plain arguments, and
returns a frame for dbt to write: pandas, or a Spark DataFrame when the input was one. Rows are
always read in key order, so results do not depend on how the warehouse happened to return them.

Backend choice: a Spark DataFrame of at most ``spark_collect_max_rows`` customers is collected
to the driver and runs the very same numpy code as DuckDB (identical results); above it the
customer-sized steps (k-means, micro-clusters, assignment) run in Spark with pyspark.ml
(:mod:`customer_segmentation.spark_backend`). The Ward tree and the naming always run on the
driver: they only see leaves and segments, never every customer.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from customer_segmentation import hierarchical, kmeans
from customer_segmentation._numeric import count_distinct_rows
from customer_segmentation.ordering import segment_order, stable_segment_ids, weighted_centers
from customer_segmentation.tables import (
    CUSTOMER_ORDER,
    count_rows,
    customer_order_column,
    fetch_columns,
    fetch_matrix,
    is_duckdb_relation,
    is_spark_frame,
    like_input,
    stack_columns,
    to_pandas,
)

logger = logging.getLogger(__name__)

CENTER_PREFIX = "center_"


class SegmentationInputError(ValueError):
    """The input cannot be segmented as configured (too few customers, bad settings)."""


class InjectedFailure(RuntimeError):
    """Raised on purpose (var fail_clustering_for_test) to test that a failed build is harmless."""


def _scoring(run_table: object | None) -> bool:
    """True when this build scores with a stored version (int_segmentation_run says so)."""
    if run_table is None:
        return False
    from customer_segmentation.versioning import read_run  # noqa: PLC0415

    return read_run(run_table).scoring


def _skipped(step: str, columns: dict[str, str], template: object) -> object:
    """An empty table of the model's columns: a scoring build fits nothing."""
    from customer_segmentation.versioning import typed_frame  # noqa: PLC0415

    _log(step, "skipped: this build scores with a stored model version (nothing is fitted)")
    return typed_frame(columns, template)


def _log(step: str, message: str) -> None:
    # dbt shows Python model output only in its log; print also reaches the console.
    line = f"[customer_segmentation] {step}: {message}"
    logger.info(line)
    print(line, flush=True)


def _check_counts(
    n: int, count_distinct: Callable[[int], int], n_segments: int, source: str
) -> None:
    """Raise ``SegmentationInputError`` unless ``n`` customers, ``count_distinct(n_segments)``
    of them distinct, can be split into ``n_segments`` (distinct rows counted only if needed).
    """
    if n < n_segments:
        raise SegmentationInputError(
            f"customers input {source}: {n} valid customers, fewer than n_segments = "
            f"{n_segments}; supply more customers or lower n_segments"
        )
    distinct = count_distinct(n_segments)
    if distinct < n_segments:
        raise SegmentationInputError(
            f"customers input {source}: only {distinct} distinct customers (by their features) "
            f"among {n} valid customers, fewer than n_segments = {n_segments}; lower n_segments"
        )


def check_segmentable(X: np.ndarray, n_segments: int, source: str) -> None:
    """Raise ``SegmentationInputError`` when ``X`` cannot be split into ``n_segments``."""
    _check_counts(
        X.shape[0], lambda enough: count_distinct_rows(X, enough=enough), n_segments, source
    )


def runs_distributed(table: object, spark_collect_max_rows: int | None) -> bool:
    """True when ``table`` is a Spark DataFrame with more than ``spark_collect_max_rows`` rows.

    ``None`` means never (always collect to the driver).
    """
    if spark_collect_max_rows is None or not is_spark_frame(table):
        return False
    return count_rows(table) > spark_collect_max_rows


def _check_segmentable_spark(
    table: object, features: Sequence[str], n_segments: int, source: str
) -> int:
    """:func:`check_segmentable` computed by Spark; returns the number of customers."""
    n = count_rows(table)
    _check_counts(
        n,
        lambda enough: table.select(*features).distinct().limit(enough).count(),
        n_segments,
        source,
    )
    return n


@dataclass(frozen=True)
class _LeafPlan:
    """How :func:`ward_leaves` groups the customers (see its parameters).

    ``min_segments`` is the number of distinct customers the input needs: ``n_segments``, or 2
    for ``n_segments: auto``.
    """

    min_segments: int
    exact_max_rows: int
    n_micro_clusters: int
    random_state: int
    micro_sample_size: int
    source: str


def _ward_leaves_spark(features_table: object, features: Sequence[str], plan: _LeafPlan) -> object:
    """:func:`ward_leaves` computed by Spark: row numbers, or pyspark.ml micro-clusters."""
    from pyspark.sql import Window  # noqa: PLC0415
    from pyspark.sql import functions as F  # noqa: PLC0415

    from customer_segmentation.spark_backend import micro_cluster_leaves  # noqa: PLC0415

    started = time.perf_counter()
    n = _check_segmentable_spark(features_table, features, plan.min_segments, plan.source)
    if n <= plan.exact_max_rows:
        leaves = features_table.select(
            "customer_id",
            (F.row_number().over(Window.orderBy(customer_order_column(features_table))) - 1)
            .cast("bigint")
            .alias("ward_leaf_id"),
        )
        strategy = "exact (one leaf per customer)"
    else:
        leaves = micro_cluster_leaves(
            features_table, features, plan.n_micro_clusters, random_state=plan.random_state
        )
        strategy = f"two-stage (pyspark.ml, up to {plan.n_micro_clusters} micro-clusters)"
    _log(
        "ward_leaves",
        f"{n:,} customers x {len(features)} features (Spark) -> {strategy} "
        f"in {time.perf_counter() - started:.2f}s",
    )
    return leaves


def ward_leaves(
    features_table: object,
    features: Sequence[str],
    *,
    n_segments: int | None,
    exact_max_rows: int,
    n_micro_clusters: int,
    random_state: int,
    micro_sample_size: int = 50_000,
    source: str = "",
    spark_collect_max_rows: int | None = None,
    run_table: object | None = None,
) -> object:
    """Map every customer to a leaf of the Ward tree.

    Up to ``exact_max_rows`` customers each customer is its own leaf (exact Ward). Above it the
    customers are grouped into ``n_micro_clusters`` k-means micro-clusters (fitted on a seeded
    sample of ``micro_sample_size`` rows, then every customer assigned to the nearest one),
    which become the leaves of a size-weighted Ward tree.

    ``n_segments`` is ``None`` for ``n_segments: auto`` (k is chosen later, by k_selection):
    the input then only needs two distinct customers.

    Returns
    -------
    DataFrame with columns customer_id, ward_leaf_id (0-based); a Spark DataFrame when
    ``features_table`` is one. Empty in a scoring build (``run_table`` says so).
    """
    if _scoring(run_table):
        _log("ward_leaves", "skipped: this build scores with a stored model version")
        return _empty_leaves(features_table)
    plan = _LeafPlan(
        min_segments=2 if n_segments is None else n_segments,
        exact_max_rows=exact_max_rows,
        n_micro_clusters=n_micro_clusters,
        random_state=random_state,
        micro_sample_size=micro_sample_size,
        source=source,
    )
    if runs_distributed(features_table, spark_collect_max_rows):
        return _ward_leaves_spark(features_table, features, plan)
    return _ward_leaves_local(features_table, features, plan)


def _empty_leaves(features_table: object) -> object:
    """ward_leaves' columns without rows (a scoring build), typed like the input's key."""
    if is_spark_frame(features_table):
        return (
            features_table.select("customer_id")
            .limit(0)
            .selectExpr("customer_id", "cast(0 as bigint) as ward_leaf_id")
        )
    from customer_segmentation.versioning import key_dtype_empty  # noqa: PLC0415

    return pd.DataFrame(
        {
            "customer_id": key_dtype_empty(features_table),
            "ward_leaf_id": np.zeros(0, dtype=np.int64),
        }
    )


def _ward_leaves_local(features_table: object, features: Sequence[str], plan: _LeafPlan) -> object:
    """:func:`ward_leaves` on the customers fetched to numpy (DuckDB, pandas, small Spark)."""
    started = time.perf_counter()
    customer_ids, X = fetch_matrix(
        features_table, features, customer_order_column(features_table), key="customer_id"
    )
    check_segmentable(X, plan.min_segments, plan.source)
    if X.shape[0] <= plan.exact_max_rows:
        leaf_ids = np.arange(X.shape[0], dtype=np.int64)
        strategy = "exact (one leaf per customer)"
    else:
        two_stage = hierarchical.two_stage_ward(
            X,
            n_micro_clusters=plan.n_micro_clusters,
            random_state=plan.random_state,
            sample_size=plan.micro_sample_size,
        )
        leaf_ids = np.asarray(two_stage.leaf_labels, dtype=np.int64)
        strategy = f"two-stage ({len(np.unique(leaf_ids))} micro-clusters)"
    _log(
        "ward_leaves",
        f"{X.shape[0]:,} customers x {X.shape[1]} features -> {strategy} "
        f"in {time.perf_counter() - started:.2f}s",
    )
    return like_input(
        pd.DataFrame({"customer_id": customer_ids, "ward_leaf_id": leaf_ids}), features_table
    )


def _leaf_matrix(
    leaf_table: object, features: Sequence[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Leaf ids, sizes and mean-feature matrix of int_ward_leaf_centroids, in leaf order."""
    leaf_ids, X = fetch_matrix(leaf_table, features, "ward_leaf_id")
    sizes = fetch_columns(leaf_table, ["n_customers"], "ward_leaf_id")["n_customers"]
    expected = np.arange(len(leaf_ids))
    if not np.array_equal(np.asarray(leaf_ids, dtype=np.int64), expected):
        raise ValueError("ward leaf ids must be 0..m-1 without gaps")
    return np.asarray(leaf_ids, dtype=np.int64), np.asarray(sizes, dtype=np.int64), X


def _linkage_from_table(merges_table: object) -> np.ndarray:
    """The SciPy-format linkage matrix of a ward_merges table, in merge order."""
    merge_columns = ["left_node", "right_node", "height", "size"]
    merges = fetch_columns(merges_table, merge_columns, "merge_step")
    return np.column_stack([np.asarray(merges[c], dtype=np.float64) for c in merge_columns])


MERGE_COLUMNS = {
    "merge_step": "int64",
    "left_node": "int64",
    "right_node": "int64",
    "height": "float64",
    "size": "int64",
    "n_clusters_after": "int64",
}


def ward_merges(
    leaf_table: object, features: Sequence[str], *, run_table: object | None = None
) -> object:
    """The full Ward merge table over the leaves (a dendrogram you can draw from SQL).

    Leaves of one customer each give exact Ward; larger leaves are weighted by their sizes.
    Empty in a scoring build.
    """
    if _scoring(run_table):
        return _skipped("ward_merges", MERGE_COLUMNS, leaf_table)
    started = time.perf_counter()
    _, sizes, X = _leaf_matrix(leaf_table, features)
    weights = None if np.all(sizes == 1) else sizes
    Z = hierarchical.ward_linkage(X, sample_weight=weights)
    _log(
        "ward_merges",
        f"Ward tree over {X.shape[0]:,} leaves ({int(sizes.sum()):,} customers) "
        f"in {time.perf_counter() - started:.2f}s",
    )
    return like_input(hierarchical.linkage_to_frame(Z), leaf_table)


def ward_leaf_segments(
    merges_table: object,
    leaf_table: object,
    features: Sequence[str],
    *,
    n_segments: int,
    run_table: object | None = None,
) -> object:
    """Cut the Ward tree into ``n_segments`` and give each leaf its stable segment id.

    Empty in a scoring build (Ward's segments are then the version's nearest Ward centres).
    """
    if _scoring(run_table):
        return _skipped(
            "ward_leaf_segments", {"ward_leaf_id": "int64", "ward_segment_id": "int64"}, leaf_table
        )
    _, sizes, X = _leaf_matrix(leaf_table, features)
    Z = _linkage_from_table(merges_table)
    if not 1 <= n_segments <= X.shape[0]:
        raise SegmentationInputError(
            f"n_segments = {n_segments} but the Ward tree has {X.shape[0]} leaves"
        )
    labels = hierarchical.cut_linkage(Z, n_segments)
    segment_ids = stable_segment_ids(labels, X, n_segments, sample_weight=sizes)
    counts = np.bincount(segment_ids, weights=sizes, minlength=n_segments + 1)[1:]
    _log("ward_leaf_segments", f"cut at {n_segments} segments, sizes {counts.astype(int).tolist()}")
    return like_input(
        pd.DataFrame(
            {"ward_leaf_id": np.arange(X.shape[0], dtype=np.int64), "ward_segment_id": segment_ids}
        ),
        leaf_table,
    )


def kmeans_fit(
    features_table: object,
    leaf_table: object,
    leaf_segments_table: object,
    features: Sequence[str],
    *,
    n_segments: int,
    random_state: int,
    n_init: int,
    max_iter: int,
    large_n_threshold: int,
    sample_size: int,
    source: str = "",
    spark_collect_max_rows: int | None = None,
    fail_for_test: bool = False,
    k_selection_table: object | None = None,
    run_table: object | None = None,
    history_tables: dict | None = None,
) -> object:
    """Search for the lowest-inertia k-means partition, seeded with the Ward solution.

    The search (:func:`kmeans.fit_best_kmeans`) starts from the Ward cut's centres, then from
    the best centres ``k_selection_table`` holds for ``n_segments`` (see
    :func:`best_known_centers`; no such start when that table is ``None`` or did not score
    this k), then from over-cluster-and-merge and ``n_init`` k-means++ starts, and keeps the
    lowest inertia. Lloyd from a partition's member means, then Hartigan moves, never raise
    the inertia, so when k_selection scored every customer and this search runs on all rows
    (``n <= large_n_threshold``) the fit's inertia is at most k_selection's at this k.

    Returns one row per k-means segment: its id, size, centre (one ``center_<feature>`` column
    per feature, standardised units) and the search's figures (inertia, starts, time). A
    Spark DataFrame above ``spark_collect_max_rows`` rows is clustered by pyspark.ml KMeans
    (k-means|| seeded with ``random_state``) instead of the numpy search; pyspark.ml cannot
    start from given centres, so neither the Ward nor the k_selection start is used there.
    ``fail_for_test=True`` raises ``InjectedFailure`` instead (var fail_clustering_for_test),
    so tests can prove that a build failing mid-way leaves the published marts untouched.

    Segments over time: ``run_table`` (int_segmentation_run) and ``history_tables`` (the stored
    versions: ``versions``, ``centres``, ``scalers``, ``segments``, ``previous_members`` and
    this build's ``scaler``) make a scoring build return the stored version's centres without
    fitting, and a fit keep the ids of the previous version's segments it continues
    (:func:`customer_segmentation.versioning.identity_match`; new segments get new ids). The
    columns ``fit_rank`` (the stable-id rule's number), ``matched_previous_segment_id`` (0 for
    a new segment) and ``previous_segment_name`` (empty for a new one) say how.
    """
    if fail_for_test:
        raise InjectedFailure(
            "kmeans_fit failed on purpose (var fail_clustering_for_test is true); "
            "unset it to build normally"
        )
    run = None
    if run_table is not None:
        from customer_segmentation import versioning  # noqa: PLC0415

        run = versioning.read_run(run_table)
        if run.scoring:
            return _stored_kmeans_fit(run, history_tables, features, features_table)
    if runs_distributed(features_table, spark_collect_max_rows):
        return _kmeans_fit_spark(
            features_table,
            features,
            n_segments=n_segments,
            random_state=random_state,
            max_iter=max_iter,
            source=source,
        )
    customer_ids, X = fetch_matrix(
        features_table, features, customer_order_column(features_table), key="customer_id"
    )
    check_segmentable(X, n_segments, source)
    start_sets = _kmeans_start_sets(
        leaf_table, leaf_segments_table, k_selection_table, features, n_segments
    )
    # Announce the search before it runs: on millions of rows it is the longest step.
    plan = "sample then refine" if X.shape[0] > large_n_threshold else "all rows"
    given = "1 Ward-seeded" + (" + 1 k_selection-seeded" if len(start_sets) > 1 else "")
    _log(
        "kmeans_fit",
        f"searching k={n_segments} on {X.shape[0]:,} customers ({plan}): {given} + "
        f"{n_init} k-means++ starts + over-cluster-and-merge starts",
    )
    result = kmeans.fit_best_kmeans(
        X,
        n_segments,
        random_state=random_state,
        n_init=n_init,
        init_center_sets=start_sets,
        max_iter=max_iter,
        large_n_threshold=large_n_threshold,
        sample_size=sample_size,
    )
    frame, centers = _fit_result_frame(result, features, n_segments, random_state)
    frame = _with_segment_identity(frame, features, customer_ids, X, centers, run, history_tables)
    return like_input(frame, features_table)


def _stored_kmeans_fit(
    run: object, history_tables: dict | None, features: Sequence[str], template: object
) -> object:
    """kmeans_fit of a scoring build: the stored model version's centres, nothing fitted."""
    from customer_segmentation import versioning  # noqa: PLC0415

    tables = {k: to_pandas(v) for k, v in (history_tables or {}).items()}
    frame = versioning.stored_fit_frame(
        tables["centres"], tables["versions"], tables["segments"], run.model_version, features
    )
    _log("kmeans_fit", f"no fit: scoring with model version {run.model_version}")
    return like_input(frame, template)


def _kmeans_start_sets(
    leaf_table: object,
    leaf_segments_table: object,
    k_selection_table: object | None,
    features: Sequence[str],
    n_segments: int,
) -> list[np.ndarray]:
    """The given starts of the k-means search: the Ward cut's centres, then k_selection's best.

    The Ward solution's centres are a strong, deterministic starting point. From the best
    partition k_selection found at this k (when it scored this k), the search cannot end above
    that partition's inertia (on the rows it searches).
    """
    _, leaf_sizes, leaf_X = _leaf_matrix(leaf_table, features)
    leaf_segments = fetch_columns(leaf_segments_table, ["ward_segment_id"], "ward_leaf_id")
    ward_labels = np.asarray(leaf_segments["ward_segment_id"], dtype=np.int64) - 1
    _, ward_centers = weighted_centers(ward_labels, leaf_X, n_segments, leaf_sizes)
    known = best_known_centers(k_selection_table, features, n_segments)
    return [ward_centers] if known is None else [ward_centers, known]


def _fit_result_frame(
    result: kmeans.KMeansResult, features: Sequence[str], n_segments: int, random_state: int
) -> tuple[pd.DataFrame, np.ndarray]:
    """The kmeans_fit frame of a numpy fit, segments numbered by the stable-id rule.

    Centre row ``i`` of the stable order becomes segment ``i + 1``. Returns the frame and the
    centres in that order.
    """
    sizes = np.bincount(result.labels, minlength=n_segments)
    order = segment_order(sizes, result.centers)
    centers, sizes = result.centers[order], sizes[order]
    _log(
        "kmeans_fit",
        f"{result.labels.shape[0]:,} customers, k={n_segments}: inertia {result.inertia:,.2f}, "
        f"{result.n_starts_at_best}/{result.n_starts} starts reached it, "
        f"strategy {result.strategy}, {result.seconds:.2f}s",
    )
    frame = _kmeans_fit_frame(
        centers,
        sizes,
        features,
        inertia=result.inertia,
        n_starts=result.n_starts,
        n_starts_at_best=result.n_starts_at_best,
        strategy=result.strategy,
        seconds=result.seconds,
        random_state=random_state,
    )
    return frame, centers


def _with_segment_identity(
    frame: pd.DataFrame,
    features: Sequence[str],
    customer_ids: np.ndarray,
    X: np.ndarray,
    centers: np.ndarray,
    run: object | None,
    history_tables: dict | None,
) -> pd.DataFrame:
    """kmeans_fit's frame renumbered so segments continuing the previous version keep its ids."""
    frame = frame.copy()
    frame["fit_rank"] = frame["kmeans_segment_id"].astype(np.int64)
    frame["matched_previous_segment_id"] = np.zeros(len(frame), dtype=np.int64)
    frame["previous_segment_name"] = ""
    if run is None or history_tables is None:
        return frame
    from customer_segmentation import versioning  # noqa: PLC0415

    tables = {k: to_pandas(v) for k, v in history_tables.items()}
    match, _ = versioning.identity_match(
        customer_ids,
        X,
        centers,
        features,
        run=run,
        stored_centres=tables["centres"],
        stored_scalers=tables["scalers"],
        stored_segments=tables["segments"],
        previous_members=tables["previous_members"],
        scaler=tables["scaler"],
    )
    frame["kmeans_segment_id"] = match.segment_ids
    frame["matched_previous_segment_id"] = np.maximum(match.matched_previous, 0)
    segments = tables["segments"]
    names = segments[
        (segments["model_version"].astype("int64") == run.previous_model_version)
        & (segments["segmentation_method"] == "kmeans")
    ].set_index("segment_id")["segment_name"]
    frame["previous_segment_name"] = [
        str(names.get(int(p), "")) if p > 0 else "" for p in frame["matched_previous_segment_id"]
    ]
    kept = int((match.matched_previous > 0).sum())
    _log(
        "kmeans_fit",
        f"segment identity against version {run.previous_model_version}: {kept} of "
        f"{len(frame)} segments keep their id, new ids "
        + (
            ", ".join(
                str(i)
                for i, m in zip(match.segment_ids, match.matched_previous, strict=True)
                if m <= 0
            )
            or "none"
        ),
    )
    return frame.sort_values("kmeans_segment_id").reset_index(drop=True)


def best_known_centers(
    k_selection_table: object | None, features: Sequence[str], n_clusters: int
) -> np.ndarray | None:
    """The centres of the best partition k_selection found at ``n_clusters``, checked.

    Parameters
    ----------
    k_selection_table : DuckDB relation, Spark DataFrame, pandas DataFrame or None
        The ``k_selection`` model (a dozen rows; a Spark DataFrame is collected). ``None``
        means no such start.
    features : sequence of str
        The build's features, in the order of the ``segmentation_features`` var.
    n_clusters : int
        The build's k.

    Returns
    -------
    ndarray of shape (n_clusters, len(features)), or None
        ``None`` when the table is ``None`` or has no row for ``n_clusters`` (k outside
        ``k_selection_min_k..k_selection_max_k``, or clipped to fewer distinct customers).

    Raises
    ------
    ValueError
        Naming ``k_selection.best_centers_json`` when the column is absent (a table built
        before it existed), several rows have this k, or the value is malformed, was written
        for other features or does not hold ``n_clusters`` finite centres (see
        :func:`quality.centers_from_json`).
    """
    from customer_segmentation import quality

    if k_selection_table is None:
        return None
    column = quality.CENTERS_COLUMN
    where = f"k_selection.{column}"
    if column not in [str(c) for c in k_selection_table.columns]:
        raise ValueError(
            f"{where}: k_selection has no column {column} (built by an older version?); "
            f"{quality.REBUILD_K_SELECTION}"
        )
    fetched = fetch_columns(k_selection_table, [column], "n_clusters")
    rows = np.flatnonzero(np.asarray(fetched["n_clusters"], dtype=np.int64) == n_clusters)
    if rows.size == 0:
        return None
    if rows.size > 1:
        raise ValueError(f"{where}: {rows.size} rows have n_clusters = {n_clusters}, expected 1")
    return quality.centers_from_json(
        fetched[column][rows[0]],
        features,
        n_clusters,
        where=f"{where} (row n_clusters = {n_clusters})",
    )


def _kmeans_fit_frame(
    centers: np.ndarray,
    sizes: np.ndarray,
    features: Sequence[str],
    *,
    inertia: float,
    n_starts: int,
    n_starts_at_best: int,
    strategy: str,
    seconds: float,
    random_state: int,
) -> pd.DataFrame:
    """The kmeans_fit table from centres and sizes already in stable-id order."""
    n_segments = len(sizes)
    frame = pd.DataFrame(
        {
            "kmeans_segment_id": np.arange(1, n_segments + 1, dtype=np.int64),
            "customers": np.asarray(sizes, dtype=np.int64),
        }
    )
    for j, feature in enumerate(features):
        frame[CENTER_PREFIX + feature] = centers[:, j]
    frame["inertia"] = float(inertia)
    frame["n_starts"] = int(n_starts)
    frame["n_starts_at_best"] = int(n_starts_at_best)
    frame["search_strategy"] = strategy
    frame["fit_seconds"] = float(seconds)
    frame["random_state"] = int(random_state)
    return frame


STRATEGY_SPARK = "pyspark.ml KMeans (k-means||)"


def _kmeans_fit_spark(
    features_table: object,
    features: Sequence[str],
    *,
    n_segments: int,
    random_state: int,
    max_iter: int,
    source: str,
) -> object:
    from customer_segmentation.spark_backend import fit_kmeans_spark  # noqa: PLC0415

    n = _check_segmentable_spark(features_table, features, n_segments, source)
    fit = fit_kmeans_spark(
        features_table, features, n_segments, random_state=random_state, max_iter=max_iter
    )
    if fit.centers.shape[0] != n_segments or np.any(fit.sizes == 0):
        raise SegmentationInputError(
            f"customers input {source}: pyspark.ml KMeans found only "
            f"{int(np.count_nonzero(fit.sizes))} non-empty clusters of n_segments = {n_segments}"
        )
    order = segment_order(fit.sizes, fit.centers)
    _log(
        "kmeans_fit",
        f"{n:,} customers, k={n_segments}: inertia {fit.inertia:,.2f}, "
        f"strategy {STRATEGY_SPARK}, {fit.seconds:.2f}s",
    )
    frame = _kmeans_fit_frame(
        fit.centers[order],
        fit.sizes[order],
        features,
        inertia=fit.inertia,
        n_starts=1,
        n_starts_at_best=1,
        strategy=STRATEGY_SPARK,
        seconds=fit.seconds,
        random_state=random_state,
    )
    # No segment matching on the distributed path (it would collect every customer).
    frame = _with_segment_identity(frame, features, np.zeros(0), np.zeros((0, 0)), None, None, None)
    return like_input(frame, features_table)


def kmeans_assignments(
    features_table: object,
    fit_table: object,
    features: Sequence[str],
    *,
    spark_collect_max_rows: int | None = None,
) -> object:
    """Assign every customer to the nearest k-means centre of ``kmeans_fit``.

    Returns customer_id, kmeans_segment_id and the Euclidean distance to that centre
    (standardised units). A Spark DataFrame above ``spark_collect_max_rows`` rows is scored by
    Spark itself (one distance expression per centre).
    """
    if runs_distributed(features_table, spark_collect_max_rows):
        return _kmeans_assignments_spark(features_table, fit_table, features)
    started = time.perf_counter()
    order = customer_order_column(features_table)
    # In customer order; on DuckDB sorted in numpy a column at a time (tables.fetch_columns):
    # at 10M DuckDB's sort of all 16 input columns peaked at 4.4-4.8 GiB, one unsorted fetch
    # of every column at 3.7 GiB, this at 2.35 GiB.
    fetched = fetch_columns(features_table, ["customer_id", *features], order)
    customer_ids, keys = fetched["customer_id"], fetched[order]
    columns = [fetched[f] for f in features]
    del fetched
    segment_ids, centers = fetch_matrix(
        fit_table, [CENTER_PREFIX + f for f in features], "kmeans_segment_id"
    )
    # Ids need not be 1..k: a refit keeps the ids of the segments it continues.
    segment_ids = np.asarray(segment_ids, dtype=np.int64)
    # Column by column: no (customers x features) copy of the data is made.
    labels, squared_distances = kmeans.assign_nearest_columns(columns, centers)
    del columns
    _log(
        "kmeans_assignments",
        f"{len(labels):,} customers assigned in {time.perf_counter() - started:.2f}s",
    )
    frame = pd.DataFrame(
        {
            "customer_id": customer_ids,
            "kmeans_segment_id": segment_ids[labels],
            "distance_to_center": np.sqrt(squared_distances),
        }
    )
    if order == CUSTOMER_ORDER:
        frame.insert(1, CUSTOMER_ORDER, np.asarray(keys, dtype=np.int64))
    return like_input(frame, features_table)


def _kmeans_assignments_spark(
    features_table: object, fit_table: object, features: Sequence[str]
) -> object:
    """:func:`kmeans_assignments` scored by Spark (one distance expression per centre)."""
    from customer_segmentation.spark_backend import assign_nearest_spark  # noqa: PLC0415

    ids, centers = fetch_matrix(
        fit_table, [CENTER_PREFIX + f for f in features], "kmeans_segment_id"
    )
    _log("kmeans_assignments", f"{len(centers)} centres, scored in Spark")
    return assign_nearest_spark(
        features_table,
        features,
        centers,
        key="customer_id",
        label_column="kmeans_segment_id",
        distance_column="distance_to_center",
        labels=[int(i) for i in ids],
        keep=[c for c in [customer_order_column(features_table)] if c == CUSTOMER_ORDER],
    )


def segment_names(
    profiles_table: object,
    mix_table: object,
    fixed_names_table: object | None = None,
    *,
    pure_share: float = 0.9,
) -> object:
    """Names and one-line profiles of every segment (see ``customer_segmentation.naming``).

    ``fixed_names_table`` (segmentation_method, segment_id, segment_name) holds names that are
    given, not derived: a refit's segments that continue the previous version's keep its
    names, and a scoring build uses the stored version's names.
    """
    from customer_segmentation.naming import describe_segments

    started = time.perf_counter()
    profiles = to_pandas(profiles_table)
    mix = to_pandas(mix_table)
    fixed = None if fixed_names_table is None else to_pandas(fixed_names_table)
    named = describe_segments(profiles, mix, pure_share=pure_share, fixed_names=fixed)
    methods = ", ".join(sorted({str(m) for m in named["segmentation_method"]}))
    _log(
        "segment_names",
        f"named {len(named)} segments ({methods}) in {time.perf_counter() - started:.2f}s",
    )
    return like_input(named, profiles_table)


def method_agreement(pair_counts_table: object) -> object:
    """One row: the customers and how far k-means and Ward agree (adjusted Rand index,
    normalised mutual information; :func:`quality.method_agreement`).

    ``pair_counts_table`` is ``int_segment_pair_counts`` (kmeans_segment_id, ward_segment_id,
    customers; one row per non-empty cell): at most k x k rows reach Python, whatever the
    number of customers, so the Spark path collects no customer rows.
    """
    from customer_segmentation import quality

    cells = to_pandas(pair_counts_table)
    scores = quality.method_agreement(
        cells["kmeans_segment_id"].to_numpy(),
        cells["ward_segment_id"].to_numpy(),
        cells["customers"].to_numpy(dtype=np.int64),
    )
    frame = pd.DataFrame(
        {
            "customers": pd.Series([scores["customers"]], dtype="int64"),
            "adjusted_rand_index": pd.Series([scores["adjusted_rand_index"]], dtype="float64"),
            "normalized_mutual_information": pd.Series(
                [scores["normalized_mutual_information"]], dtype="float64"
            ),
        }
    )
    return like_input(frame, pair_counts_table)


def _spark_sample(table: object, sample_size: int, random_state: int, n: int) -> object:
    """A seeded Bernoulli sample of a Spark DataFrame, expected ~1.2x ``sample_size`` rows.

    Used above ``spark_collect_max_rows``: the sample is collected, then the exact seeded
    sample of :func:`quality.seeded_sample_rows` is drawn from it on the driver.
    """
    fraction = min(1.0, 1.2 * sample_size / max(n, 1))
    return table.sample(withReplacement=False, fraction=fraction, seed=int(random_state))


K_SELECTION_COLUMNS = {
    "n_clusters": "int64",
    "inertia": "float64",
    "n_starts": "int64",
    "n_starts_at_best": "int64",
    "silhouette": "float64",
    "davies_bouldin": "float64",
    "calinski_harabasz": "float64",
    "ward_merge_height": "float64",
    "ward_height_gap": "float64",
    "elbow_distance": "float64",
    "is_elbow": "bool",
    "favoured_by": "str",
    "sample_rows": "int64",
    "silhouette_sample_rows": "int64",
    "is_auto_choice": "bool",
    "auto_rule": "str",
    "best_centers_json": "str",
}

STABILITY_COLUMNS = {
    "kmeans_segment_id": "int64",
    "mean_jaccard": "float64",
    "min_jaccard": "float64",
    "share_of_resamples_recovered": "float64",
    "n_resamples": "int64",
    "sample_rows": "int64",
    "random_state": "int64",
}


def k_selection(
    features_table: object,
    leaf_table: object,
    merges_table: object,
    features: Sequence[str],
    *,
    min_k: int,
    max_k: int,
    sample_size: int,
    silhouette_sample_size: int,
    n_init: int,
    max_iter: int,
    random_state: int,
    spark_collect_max_rows: int | None = None,
    run_table: object | None = None,
) -> object:
    """Score every k of ``min_k..max_k`` and mark the ``n_segments: auto`` choice.

    Empty in a scoring build (k is the stored version's).

    The k-means criteria are computed on a seeded sample of ``sample_size`` customers (all of
    them when fewer), the silhouette on ``silhouette_sample_size`` of those; the Ward gaps come
    from the tree of all customers. Each k's k-means search starts from the Ward cut at k,
    over-cluster-and-merge, ``n_init`` k-means++ and coarse micro-cluster starts, then from the
    best partitions of the neighbouring k (:func:`kmeans.fit_best_kmeans_range`). The range is
    clipped to the number of distinct customers and of Ward leaves. See
    :mod:`customer_segmentation.quality`.

    A Spark DataFrame above ``spark_collect_max_rows`` rows is first thinned on Spark by a
    seeded Bernoulli sample (~1.2 x ``sample_size`` rows) so that only the sample reaches the
    driver; at or below it every customer is collected, as on DuckDB.

    Returns
    -------
    DataFrame (a Spark DataFrame when the inputs are): the columns of
    :func:`quality.k_selection_table` plus ``sample_rows``, ``silhouette_sample_rows``,
    ``is_auto_choice``, ``auto_rule`` and, last, ``best_centers_json``
    (:data:`quality.CENTERS_COLUMN`: the best centres at each k, in the order of
    ``features``), which :func:`kmeans_fit` starts from.
    """
    from customer_segmentation import quality

    if _scoring(run_table):
        return _skipped("k_selection", K_SELECTION_COLUMNS, features_table)
    started = time.perf_counter()
    if min_k < 2 or max_k < min_k:
        raise SegmentationInputError(
            f"k range {min_k}..{max_k} is empty or starts below 2; set k_selection_min_k >= 2 "
            "and k_selection_max_k >= k_selection_min_k"
        )
    X = _k_selection_sample(
        features_table, features, sample_size, random_state, spark_collect_max_rows
    )
    _, leaf_sizes, leaf_X = _leaf_matrix(leaf_table, features)
    Z = _linkage_from_table(merges_table)
    top = min(max_k, count_distinct_rows(X, enough=max_k), leaf_X.shape[0])
    if top < min_k:
        raise SegmentationInputError(
            f"k_selection: only {top} distinct customers or Ward leaves, fewer than "
            f"k_selection_min_k = {min_k}"
        )
    ks = list(range(min_k, top + 1))
    # The Ward cut at each k is a strong deterministic start for that k's k-means search.
    ward_starts = {
        k: weighted_centers(hierarchical.cut_linkage(Z, k), leaf_X, k, leaf_sizes)[1] for k in ks
    }
    table = quality.k_selection_table(
        X,
        Z,
        ks,
        random_state=random_state,
        silhouette_sample_size=silhouette_sample_size,
        n_init=n_init,
        max_iter=max_iter,
        init_center_sets=ward_starts,
        features=features,
    )
    chosen = quality.choose_k(table)
    table = _with_k_selection_columns(table, X.shape[0], silhouette_sample_size, chosen)
    favoured = "; ".join(
        f"k={k}: {f}" for k, f in zip(table["n_clusters"], table["favoured_by"], strict=True) if f
    )
    _log(
        "k_selection",
        f"k {min_k}..{top} on {X.shape[0]:,} customers: favoured {favoured}"
        f"; auto picks k={chosen}; {time.perf_counter() - started:.2f}s",
    )
    return like_input(table, features_table)


def _k_selection_sample(
    features_table: object,
    features: Sequence[str],
    sample_size: int,
    random_state: int,
    spark_collect_max_rows: int | None,
) -> np.ndarray:
    """The seeded sample of customers k_selection scores (:func:`quality.seeded_sample_rows`).

    A Spark DataFrame above ``spark_collect_max_rows`` rows is thinned on Spark first
    (:func:`_spark_sample`), so that only about 1.2 x ``sample_size`` rows reach the driver.
    """
    from customer_segmentation import quality  # noqa: PLC0415

    source = features_table
    if runs_distributed(features_table, spark_collect_max_rows):
        source = _spark_sample(
            features_table, sample_size, random_state, count_rows(features_table)
        )
    elif is_duckdb_relation(source):
        n = count_rows(source)
        rows = quality.seeded_sample_rows(n, sample_size, random_state)
        if rows.size < n:
            return _duckdb_rows(source, features, customer_order_column(source), rows)
    _, X = fetch_matrix(source, features, customer_order_column(source))
    return X[quality.seeded_sample_rows(X.shape[0], sample_size, random_state)]


def _duckdb_rows(
    table: object, columns: Sequence[str], order_by: str, positions: np.ndarray
) -> np.ndarray:
    """Rows ``positions`` (0-based, sorted) of a DuckDB relation sorted by ``order_by``.

    The same rows as ``fetch_matrix(table, columns, order_by)[1][positions]``, but only those
    rows leave DuckDB: on 10M customers a 10,000-row sample instead of a 1.1 GB matrix.
    """
    # Read by DuckDB in the query below (a replacement scan of this local DataFrame).
    positions = np.asarray(positions, dtype=np.int64)
    sample_positions = pd.DataFrame({"sample_position": positions})  # noqa: F841
    quoted = ", ".join(f'"{c}"' for c in columns)
    fetched = table.query(
        "customers_all",
        f'select {quoted} from (select {quoted}, row_number() over (order by "{order_by}") - 1 '
        "as sample_position from customers_all) as numbered "
        "where sample_position in (select sample_position from sample_positions) "
        "order by sample_position",
    ).fetchnumpy()
    if len(fetched[columns[0]]) != len(positions):
        raise ValueError(f"sampled {len(fetched[columns[0]])} rows, expected {len(positions)}")
    return stack_columns([fetched[c] for c in columns])


def _with_k_selection_columns(
    table: pd.DataFrame, sample_rows: int, silhouette_sample_size: int, chosen: int
) -> pd.DataFrame:
    """k_selection's table with its sample sizes and auto choice, the centres column last."""
    from customer_segmentation import quality  # noqa: PLC0415

    table["sample_rows"] = int(sample_rows)
    table["silhouette_sample_rows"] = int(min(sample_rows, silhouette_sample_size))
    table["is_auto_choice"] = table["n_clusters"] == chosen
    table["auto_rule"] = quality.AUTO_RULE
    # The internal column last: what kmeans_fit reads, not what an analyst reads.
    table[quality.CENTERS_COLUMN] = table.pop(quality.CENTERS_COLUMN)
    return table


def segment_stability(
    features_table: object,
    assignments_table: object,
    features: Sequence[str],
    *,
    n_resamples: int,
    sample_size: int,
    random_state: int,
    spark_collect_max_rows: int | None = None,
    run_table: object | None = None,
    recovered_jaccard: float = 0.75,
) -> object:
    """Bootstrap stability of every k-means segment (mean best-match Jaccard over refits).

    Works on a seeded sample of ``sample_size`` customers (all when fewer); see
    :func:`customer_segmentation.quality.bootstrap_stability`. A Spark DataFrame above
    ``spark_collect_max_rows`` rows is joined to its assignments and thinned on Spark by a
    seeded Bernoulli sample first (see :func:`k_selection`).

    Returns
    -------
    DataFrame (a Spark DataFrame when the inputs are): kmeans_segment_id, mean_jaccard,
    min_jaccard, share_of_resamples_recovered, n_resamples, sample_rows, random_state.
    """
    from customer_segmentation import quality

    if _scoring(run_table):
        return _skipped("segment_stability", STABILITY_COLUMNS, features_table)
    started = time.perf_counter()
    if runs_distributed(features_table, spark_collect_max_rows):
        X, labels = _stability_input_spark(
            features_table, assignments_table, features, sample_size, random_state
        )
    else:
        X, labels = _stability_input(
            features_table, assignments_table, features, sample_size, random_state
        )
    # X holds only the sampled rows when _stability_input sampled in DuckDB (sampled_in_db).
    sampled_in_db = X.shape[0] < labels.shape[0]
    n_customers = count_rows(features_table) if sampled_in_db else X.shape[0]
    if labels.shape[0] != n_customers:
        raise ValueError("kmeans_assignments and the features have different customers")
    # Segment ids need not be 1..k (a refit keeps the ids it continues): judge 1..k, report ids.
    segment_ids, labels = np.unique(labels, return_inverse=True)
    labels = labels.astype(np.int64) + 1
    n_clusters = len(segment_ids)
    rows = quality.seeded_sample_rows(labels.shape[0], sample_size, random_state)
    if not sampled_in_db:
        X = X[rows]
    if len(np.unique(labels[rows])) < n_clusters:
        raise SegmentationInputError(
            f"the {len(rows):,}-customer stability sample misses a segment; raise "
            "stability_sample_size"
        )
    table = quality.bootstrap_stability(
        X,
        labels[rows],
        n_clusters,
        n_resamples=n_resamples,
        random_state=random_state,
        recovered_jaccard=recovered_jaccard,
    )
    table = table.rename(columns={"segment_id": "kmeans_segment_id"})
    table["kmeans_segment_id"] = segment_ids[table["kmeans_segment_id"].to_numpy() - 1]
    table["sample_rows"] = int(len(rows))
    table["random_state"] = int(random_state)
    _log(
        "segment_stability",
        f"{n_resamples} bootstrap refits on {len(rows):,} customers: mean Jaccard "
        + ", ".join(f"{v:.2f}" for v in table["mean_jaccard"])
        + f"; {time.perf_counter() - started:.2f}s",
    )
    return like_input(table, features_table)


def _stability_input(
    features_table: object,
    assignments_table: object,
    features: Sequence[str],
    sample_size: int,
    random_state: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Every customer's k-means segment id, in customer order, and the features: of every
    customer, or (a DuckDB relation with more than ``sample_size`` rows) of the seeded sample
    only, drawn in DuckDB (:func:`_duckdb_rows`) so the full matrix is never fetched."""
    from customer_segmentation import quality  # noqa: PLC0415

    fetched = fetch_columns(
        assignments_table, ["kmeans_segment_id"], customer_order_column(assignments_table)
    )
    labels = np.asarray(fetched["kmeans_segment_id"], dtype=np.int64)
    order = customer_order_column(features_table)
    n = labels.shape[0]
    if is_duckdb_relation(features_table) and n > sample_size and count_rows(features_table) == n:
        rows = quality.seeded_sample_rows(n, sample_size, random_state)
        return _duckdb_rows(features_table, features, order, rows), labels
    _, X = fetch_matrix(features_table, features, order, key="customer_id")
    return X, labels


def _stability_input_spark(
    features_table: object,
    assignments_table: object,
    features: Sequence[str],
    sample_size: int,
    random_state: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Features and segment ids of a seeded Spark sample (:func:`_spark_sample`), collected once.

    The features are joined to the assignments before sampling, so both come from the same
    sampled customers.
    """
    order = customer_order_column(features_table)
    joined = features_table.select(*dict.fromkeys(["customer_id", order]), *features).join(
        assignments_table.select("customer_id", "kmeans_segment_id"), "customer_id"
    )
    sampled = _spark_sample(joined, sample_size, random_state, count_rows(features_table))
    fetched = fetch_columns(sampled, [*features, "kmeans_segment_id"], order)
    X = stack_columns([fetched[f] for f in features])
    return X, np.asarray(fetched["kmeans_segment_id"], dtype=np.int64)
