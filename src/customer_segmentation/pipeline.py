"""The steps the dbt Python models run, one function per model.

Each function takes the tables the model refs (a DuckDB relation on DuckDB, or a pandas
DataFrame), the model's settings as plain arguments, and returns a pandas DataFrame for dbt to
write. Rows are always read in key order, so results do not depend on how the warehouse
happened to return them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

import numpy as np
import pandas as pd

from customer_segmentation import hierarchical, kmeans
from customer_segmentation.ordering import segment_order, stable_segment_ids, weighted_centers
from customer_segmentation.tables import fetch_columns, fetch_matrix

logger = logging.getLogger(__name__)

CENTER_PREFIX = "center_"


class SegmentationInputError(ValueError):
    """The input cannot be segmented as configured (too few customers, bad settings)."""


def _log(step: str, message: str) -> None:
    # dbt shows Python model output only in its log; print also reaches the console.
    line = f"[customer_segmentation] {step}: {message}"
    logger.info(line)
    print(line, flush=True)


def count_distinct_rows(X: np.ndarray, *, enough: int | None = None) -> int:
    """Number of distinct rows of ``X``, or any number >= ``enough`` once that is certain.

    Checks growing prefixes first so a large matrix with many distinct rows is not sorted whole.
    """
    X = np.ascontiguousarray(X)
    rows = X.view(np.dtype((np.void, X.dtype.itemsize * X.shape[1]))).ravel()
    size = min(len(rows), 50_000)
    while True:
        distinct = len(np.unique(rows[:size]))
        if (enough is not None and distinct >= enough) or size >= len(rows):
            return distinct
        size = min(len(rows), size * 8)


def check_segmentable(X: np.ndarray, n_segments: int, source: str) -> None:
    """Raise ``SegmentationInputError`` when ``X`` cannot be split into ``n_segments``."""
    n = X.shape[0]
    if n < n_segments:
        raise SegmentationInputError(
            f"customers input {source}: {n} valid customers, fewer than n_segments = "
            f"{n_segments}; supply more customers or lower n_segments"
        )
    distinct = count_distinct_rows(X, enough=n_segments)
    if distinct < n_segments:
        raise SegmentationInputError(
            f"customers input {source}: only {distinct} distinct customers (by their features) "
            f"among {n} valid customers, fewer than n_segments = {n_segments}; lower n_segments"
        )


def ward_leaves(
    features_table: object,
    features: Sequence[str],
    *,
    n_segments: int,
    exact_max_rows: int,
    n_micro_clusters: int,
    random_state: int,
    micro_sample_size: int = 50_000,
    source: str = "",
) -> pd.DataFrame:
    """Map every customer to a leaf of the Ward tree.

    Up to ``exact_max_rows`` customers each customer is its own leaf (exact Ward). Above it the
    customers are grouped into ``n_micro_clusters`` k-means micro-clusters (fitted on a seeded
    sample of ``micro_sample_size`` rows, then every customer assigned to the nearest one),
    which become the leaves of a size-weighted Ward tree.

    Returns
    -------
    DataFrame with columns customer_id, ward_leaf_id (0-based).
    """
    started = time.perf_counter()
    customer_ids, X = fetch_matrix(features_table, features, "customer_id")
    check_segmentable(X, n_segments, source)
    if X.shape[0] <= exact_max_rows:
        leaf_ids = np.arange(X.shape[0], dtype=np.int64)
        strategy = "exact (one leaf per customer)"
    else:
        two_stage = hierarchical.two_stage_ward(
            X,
            n_micro_clusters=n_micro_clusters,
            random_state=random_state,
            sample_size=micro_sample_size,
        )
        leaf_ids = np.asarray(two_stage.leaf_labels, dtype=np.int64)
        strategy = f"two-stage ({len(np.unique(leaf_ids))} micro-clusters)"
    _log(
        "ward_leaves",
        f"{X.shape[0]:,} customers x {X.shape[1]} features -> {strategy} "
        f"in {time.perf_counter() - started:.2f}s",
    )
    return pd.DataFrame({"customer_id": customer_ids, "ward_leaf_id": leaf_ids})


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


def ward_merges(leaf_table: object, features: Sequence[str]) -> pd.DataFrame:
    """The full Ward merge table over the leaves (a dendrogram you can draw from SQL).

    Leaves of one customer each give exact Ward; larger leaves are weighted by their sizes.
    """
    started = time.perf_counter()
    _, sizes, X = _leaf_matrix(leaf_table, features)
    weights = None if np.all(sizes == 1) else sizes
    Z = hierarchical.ward_linkage(X, sample_weight=weights)
    _log(
        "ward_merges",
        f"Ward tree over {X.shape[0]:,} leaves ({int(sizes.sum()):,} customers) "
        f"in {time.perf_counter() - started:.2f}s",
    )
    return hierarchical.linkage_to_frame(Z)


def ward_leaf_segments(
    merges_table: object, leaf_table: object, features: Sequence[str], *, n_segments: int
) -> pd.DataFrame:
    """Cut the Ward tree into ``n_segments`` and give each leaf its stable segment id."""
    _, sizes, X = _leaf_matrix(leaf_table, features)
    merge_columns = ["left_node", "right_node", "height", "size"]
    merges = fetch_columns(merges_table, merge_columns, "merge_step")
    Z = np.column_stack([np.asarray(merges[c], dtype=np.float64) for c in merge_columns])
    if not 1 <= n_segments <= X.shape[0]:
        raise SegmentationInputError(
            f"n_segments = {n_segments} but the Ward tree has {X.shape[0]} leaves"
        )
    labels = hierarchical.cut_linkage(Z, n_segments)
    segment_ids = stable_segment_ids(labels, X, n_segments, sample_weight=sizes)
    counts = np.bincount(segment_ids, weights=sizes, minlength=n_segments + 1)[1:]
    _log("ward_leaf_segments", f"cut at {n_segments} segments, sizes {counts.astype(int).tolist()}")
    return pd.DataFrame(
        {"ward_leaf_id": np.arange(X.shape[0], dtype=np.int64), "ward_segment_id": segment_ids}
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
) -> pd.DataFrame:
    """Search for the lowest-inertia k-means partition, seeded with the Ward solution.

    Returns one row per k-means segment: its id, size, centre (one ``center_<feature>`` column
    per feature, standardised units) and the search's figures (inertia, starts, time).
    """
    _, X = fetch_matrix(features_table, features, "customer_id")
    check_segmentable(X, n_segments, source)
    # The Ward solution's centres are a strong, deterministic starting point.
    _, leaf_sizes, leaf_X = _leaf_matrix(leaf_table, features)
    leaf_segments = fetch_columns(leaf_segments_table, ["ward_segment_id"], "ward_leaf_id")
    ward_labels = np.asarray(leaf_segments["ward_segment_id"], dtype=np.int64) - 1
    _, ward_centers = weighted_centers(ward_labels, leaf_X, n_segments, leaf_sizes)
    result = kmeans.fit_best_kmeans(
        X,
        n_segments,
        random_state=random_state,
        n_init=n_init,
        init_center_sets=[ward_centers],
        max_iter=max_iter,
        large_n_threshold=large_n_threshold,
        sample_size=sample_size,
    )
    # Number the segments by the stable-id rule; centre row i becomes segment i + 1.
    sizes = np.bincount(result.labels, minlength=n_segments)
    order = segment_order(sizes, result.centers)
    centers, sizes = result.centers[order], sizes[order]
    _log(
        "kmeans_fit",
        f"{X.shape[0]:,} customers, k={n_segments}: inertia {result.inertia:,.2f}, "
        f"{result.n_starts_at_best}/{result.n_starts} starts reached it, "
        f"strategy {result.strategy}, {result.seconds:.2f}s",
    )
    frame = pd.DataFrame({"kmeans_segment_id": np.arange(1, n_segments + 1), "customers": sizes})
    for j, feature in enumerate(features):
        frame[CENTER_PREFIX + feature] = centers[:, j]
    frame["inertia"] = float(result.inertia)
    frame["n_starts"] = int(result.n_starts)
    frame["n_starts_at_best"] = int(result.n_starts_at_best)
    frame["search_strategy"] = result.strategy
    frame["fit_seconds"] = float(result.seconds)
    frame["random_state"] = int(random_state)
    return frame


def kmeans_assignments(
    features_table: object, fit_table: object, features: Sequence[str]
) -> pd.DataFrame:
    """Assign every customer to the nearest k-means centre of ``kmeans_fit``.

    Returns customer_id, kmeans_segment_id and the Euclidean distance to that centre
    (standardised units).
    """
    started = time.perf_counter()
    customer_ids, X = fetch_matrix(features_table, features, "customer_id")
    _, centers = fetch_matrix(fit_table, [CENTER_PREFIX + f for f in features], "kmeans_segment_id")
    labels, squared_distances = kmeans.assign_nearest(X, centers, return_distance=True)
    distances = np.sqrt(squared_distances)
    _log(
        "kmeans_assignments",
        f"{X.shape[0]:,} customers assigned in {time.perf_counter() - started:.2f}s",
    )
    return pd.DataFrame(
        {
            "customer_id": customer_ids,
            "kmeans_segment_id": labels.astype(np.int64) + 1,
            "distance_to_center": distances,
        }
    )


def segment_names(profiles_table: object, mix_table: object) -> pd.DataFrame:
    """Names and one-line profiles of every segment (see ``customer_segmentation.naming``)."""
    from customer_segmentation.naming import describe_segments

    profiles = _to_pandas(profiles_table)
    mix = _to_pandas(mix_table)
    return describe_segments(profiles, mix)


def _to_pandas(table: object) -> pd.DataFrame:
    if isinstance(table, pd.DataFrame):
        return table
    return table.df()
