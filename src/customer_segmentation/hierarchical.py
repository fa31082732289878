"""Ward hierarchical clustering that scales from thousands to millions of customers.

* :func:`ward_linkage` -- exact Ward. Without weights it is fastcluster's memory-light
  ``linkage_vector`` (the same merges and heights as ``scipy.cluster.hierarchy.ward``).
  With integer weights each row is a leaf standing for that many identical customers;
  the merges and heights are those of Ward on the expanded data once its duplicates have
  been merged (at height zero).
* :func:`two_stage_ward` -- for more customers than exact Ward can handle: k-means
  micro-clusters, then weighted Ward on their centres (each centre weighted by its size).
* :func:`ward_segments` -- picks one of the two by the number of rows and cuts the tree.
* :func:`cut_linkage`, :func:`linkage_to_frame`, :func:`frame_to_linkage` and
  :func:`merge_height_gaps` work on SciPy-format linkage matrices: row ``i`` merges nodes
  ``Z[i, 0]`` and ``Z[i, 1]`` (leaves are ``0..m-1``, the node made by row ``i`` is
  ``m + i``) at height ``Z[i, 2]`` into a node of ``Z[i, 3]`` customers.

Heights follow SciPy's Ward convention: merging clusters A and B costs
``sqrt(2 * nA * nB / (nA + nB)) * ||cA - cB||``, i.e. ``sqrt(2 * increase in SSE)``.
"""

from __future__ import annotations

import numbers
import os
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import fastcluster
import numpy as np
import pandas as pd
from scipy.spatial.distance import pdist, squareform

from customer_segmentation._numeric import cluster_sums, limit_threads, lloyd, nearest_center
from customer_segmentation._validation import check_count, check_matrix

__all__ = [
    "LINKAGE_COLUMNS",
    "TwoStageWard",
    "WardResult",
    "cut_linkage",
    "frame_to_linkage",
    "linkage_to_frame",
    "merge_height_gaps",
    "two_stage_ward",
    "ward_linkage",
    "ward_segments",
]

#: Columns of :func:`linkage_to_frame`.
LINKAGE_COLUMNS = (
    "merge_step",
    "left_node",
    "right_node",
    "height",
    "size",
    "n_clusters_after",
)

# Lloyd iterations of the micro-cluster k-means (a stopping rule, not a tuning knob).
_LLOYD_MAX_ITER = 50
_LLOYD_TOL = 1e-4


# ---------------------------------------------------------------------------------------
# Validation helpers
# ---------------------------------------------------------------------------------------


def _check_data(X: np.ndarray, *, name: str = "X", min_rows: int = 1) -> np.ndarray:
    """Return ``X`` as a C-contiguous float64 matrix, or raise ``ValueError``.

    Shape, type and size through scikit-learn's check_array (``_validation.check_matrix``);
    the finiteness message says what to do.
    """
    X = check_matrix(X, name, min_rows=min_rows, min_features=1, order="C")
    if not np.isfinite(X).all():
        raise ValueError(f"{name} contains NaN or infinite values; impute or drop them first")
    return X


def _check_weights(sample_weight: np.ndarray, n_rows: int) -> np.ndarray:
    """Return positive integer-valued weights as float64, or raise ``ValueError``."""
    w = np.asarray(sample_weight)
    if w.shape != (n_rows,):
        raise ValueError(f"sample_weight must have shape ({n_rows},) to match X, got {w.shape}")
    if not (np.issubdtype(w.dtype, np.number) or w.dtype == bool):
        raise ValueError(f"sample_weight must be numeric, got dtype {w.dtype}")
    w = w.astype(np.float64)
    if not np.isfinite(w).all() or (w < 1).any() or (w != np.round(w)).any():
        raise ValueError(
            "sample_weight must hold positive integers (the number of customers per leaf)"
        )
    return w


def _check_positive_int(value: int, name: str) -> int:
    """A whole number >= 1 (scikit-learn's check_scalar, bools refused)."""
    return check_count(value, name, min_val=1)


def _check_linkage(Z: np.ndarray) -> np.ndarray:
    """Return ``Z`` as a float64 (m - 1, 4) linkage matrix, or raise ``ValueError``."""
    Z = np.asarray(Z, dtype=np.float64)
    if Z.ndim != 2 or Z.shape[1] != 4:
        raise ValueError(f"a linkage matrix must have shape (m - 1, 4), got {Z.shape}")
    n_leaves = Z.shape[0] + 1
    if Z.shape[0]:
        children = Z[:, :2]
        if (children != np.round(children)).any() or (children < 0).any():
            raise ValueError("linkage node ids must be non-negative integers")
        created = n_leaves + np.arange(Z.shape[0])
        if (children >= created[:, None]).any():
            raise ValueError("linkage rows must only merge leaves or nodes created by earlier rows")
        used = children.ravel().astype(np.int64)
        if np.unique(used).size != used.size:
            raise ValueError("a linkage node is merged more than once")
    return Z


# ---------------------------------------------------------------------------------------
# Ward linkage
# ---------------------------------------------------------------------------------------


def _weighted_ward_nn_chain(X: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted Ward by the nearest-neighbour-chain algorithm, O(m^2) time and memory.

    The dissimilarity of leaves ``i`` and ``j`` starts at
    ``sqrt(2 * w_i * w_j / (w_i + w_j)) * ||x_i - x_j||`` and is updated by the
    Lance-Williams formula for Ward with the cluster sizes counted in customers. With unit
    weights the arithmetic is the same as SciPy's ``linkage(X, "ward")``.

    Ties are broken deterministically: the chain starts at the lowest active index, the
    previous chain element is preferred on a tie, otherwise the lowest index wins; merges
    are stably sorted by height.
    """
    m = X.shape[0]
    dist = squareform(pdist(X))
    dist *= np.sqrt(2.0 * np.multiply.outer(weights, weights) / np.add.outer(weights, weights))
    np.fill_diagonal(dist, np.inf)

    size = weights.copy()
    active = np.ones(m, dtype=bool)
    node_id = np.arange(m, dtype=np.int64)  # node currently stored in each slot
    node_height = np.zeros(2 * m - 1)
    merges = np.empty((m - 1, 4))  # chain-order merges: node ids, height, size

    chain: list[int] = []
    for step in range(m - 1):
        if not chain:
            chain.append(int(np.argmax(active)))
        while True:
            a = chain[-1]
            row = dist[a]
            b = int(np.argmin(row))
            if len(chain) > 1:
                previous = chain[-2]
                if row[previous] <= row[b]:
                    b = previous
                if b == previous:
                    break
            chain.append(b)
        del chain[-2:]

        d_ab = row[b]
        n_a, n_b = size[a], size[b]
        # Keep the merged cluster in the higher slot, drop the lower one (as SciPy does).
        keep, drop = max(a, b), min(a, b)
        height = max(d_ab, node_height[node_id[a]], node_height[node_id[b]])
        merges[step] = node_id[a], node_id[b], height, n_a + n_b

        active[drop] = False
        others = np.flatnonzero(active)
        others = others[others != keep]
        n_k = size[others]
        t = 1.0 / (n_a + n_b + n_k)
        d_ak = dist[a, others]
        d_bk = dist[b, others]
        updated = (n_k + n_a) * t * d_ak * d_ak + (n_k + n_b) * t * d_bk * d_bk
        updated -= n_k * t * d_ab * d_ab
        np.maximum(updated, 0.0, out=updated)
        np.sqrt(updated, out=updated)

        dist[keep, others] = updated
        dist[others, keep] = updated
        dist[drop, :] = np.inf
        dist[:, drop] = np.inf
        size[keep] = n_a + n_b
        size[drop] = 0.0
        node_id[keep] = m + step
        node_height[m + step] = height

    return _sort_chain_merges(merges, m)


def _sort_chain_merges(merges: np.ndarray, m: int) -> np.ndarray:
    """Order chain-order merges by height (stable) and renumber the created nodes."""
    order = np.argsort(merges[:, 2], kind="stable")
    new_position = np.empty(m - 1, dtype=np.int64)
    new_position[order] = np.arange(m - 1)
    Z = merges[order].copy()
    children = Z[:, :2].astype(np.int64)
    internal = children >= m
    children[internal] = m + new_position[children[internal] - m]
    Z[:, 0] = children.min(axis=1)
    Z[:, 1] = children.max(axis=1)
    return Z


def ward_linkage(X: np.ndarray, sample_weight: np.ndarray | None = None) -> np.ndarray:
    """Exact Ward linkage, optionally with integer leaf weights.

    Parameters
    ----------
    X : array-like of shape (m, p)
        Leaves (customers, or the distinct rows / micro-cluster centres they collapse to).
    sample_weight : array-like of shape (m,), default=None
        Number of customers each leaf stands for (positive integers). ``None`` means one
        customer per row and uses ``fastcluster.linkage_vector`` (O(m) memory). With
        weights, the weighted nearest-neighbour-chain algorithm needs O(m^2) memory
        (``8 * m**2`` bytes, 200 MB at m = 5,000); use it for m up to a few thousand.

    Returns
    -------
    Z : ndarray of shape (m - 1, 4)
        SciPy-format linkage matrix ``[left, right, height, size]``. Heights are on the
        scale of ``scipy.cluster.hierarchy.ward`` applied to the data with each leaf
        repeated ``sample_weight`` times; ``size`` counts customers. With unit weights the
        result equals SciPy's.

    Notes
    -----
    A weighted leaf is a cluster of identical customers, so on collapsed duplicate rows
    the weighted linkage is exactly the top ``m - 1`` merges of Ward on the expanded rows
    (up to the order of tied merges). On micro-cluster centres it ignores the spread
    inside the micro-clusters, which does not change Ward's merge costs between them.
    """
    X = _check_data(X)
    m = X.shape[0]
    if m == 1:
        return np.empty((0, 4))
    if sample_weight is None:
        return np.asarray(fastcluster.linkage_vector(X, method="ward"), dtype=np.float64)
    weights = _check_weights(sample_weight, m)
    return _weighted_ward_nn_chain(X, weights)


# ---------------------------------------------------------------------------------------
# Cutting and describing trees
# ---------------------------------------------------------------------------------------


def cut_linkage(Z: np.ndarray, n_clusters: int) -> np.ndarray:
    """Flat clusters from the first ``m - n_clusters`` merges of a linkage matrix.

    Unlike ``scipy.cluster.hierarchy.fcluster(..., criterion="maxclust")``, which cuts at a
    height and can return fewer clusters when heights tie, this always returns exactly
    ``n_clusters`` clusters.

    Parameters
    ----------
    Z : ndarray of shape (m - 1, 4)
        Linkage matrix.
    n_clusters : int
        Number of clusters, ``1 <= n_clusters <= m``.

    Returns
    -------
    labels : ndarray of shape (m,), dtype int64
        Cluster of each leaf in ``0..n_clusters-1``, numbered by first appearance in leaf
        order (leaf 0 is in cluster 0).
    """
    Z = _check_linkage(Z)
    m = Z.shape[0] + 1
    if isinstance(n_clusters, bool) or not isinstance(n_clusters, numbers.Integral):
        raise ValueError(f"n_clusters must be an integer, got {n_clusters!r}")
    if not 1 <= n_clusters <= m:
        raise ValueError(
            f"n_clusters must be between 1 and {m} (the number of leaves), got {n_clusters}"
        )
    n_applied = m - int(n_clusters)
    children = Z[:, :2].astype(np.int64)

    # Walk down from the root: nodes made by the last n_clusters - 1 merges are split,
    # every other node hands its root down to its children.
    root = np.arange(2 * m - 1, dtype=np.int64)
    for i in range(m - 2, -1, -1):
        node = m + i
        if i < n_applied:
            root[children[i]] = root[node]
    _, first, labels = np.unique(root[:m], return_index=True, return_inverse=True)
    rank = np.empty_like(first)
    rank[np.argsort(first, kind="stable")] = np.arange(first.size)
    return rank[labels].astype(np.int64)


def linkage_to_frame(Z: np.ndarray, top_merges: int | None = None) -> pd.DataFrame:
    """Linkage matrix as a table, one row per merge.

    Parameters
    ----------
    Z : ndarray of shape (m - 1, 4)
        Linkage matrix.
    top_merges : int, default=None
        Keep only the last ``top_merges`` merges (the top of the dendrogram); ``None``
        keeps them all.

    Returns
    -------
    frame : DataFrame
        Columns ``merge_step`` (1-based row of ``Z``), ``left_node``, ``right_node``,
        ``height``, ``size`` (customers under the new node) and ``n_clusters_after``
        (clusters left after the merge).
    """
    Z = _check_linkage(Z)
    n_merges = Z.shape[0]
    m = n_merges + 1
    step = np.arange(1, n_merges + 1, dtype=np.int64)
    frame = pd.DataFrame(
        {
            "merge_step": step,
            "left_node": Z[:, 0].astype(np.int64),
            "right_node": Z[:, 1].astype(np.int64),
            "height": Z[:, 2].astype(np.float64),
            "size": np.round(Z[:, 3]).astype(np.int64),
            "n_clusters_after": (m - step).astype(np.int64),
        },
        columns=list(LINKAGE_COLUMNS),
    )
    if top_merges is not None:
        if isinstance(top_merges, bool) or not isinstance(top_merges, numbers.Integral):
            raise ValueError(f"top_merges must be a non-negative integer, got {top_merges!r}")
        if top_merges < 0:
            raise ValueError(f"top_merges must be non-negative, got {top_merges}")
        frame = frame.iloc[max(n_merges - int(top_merges), 0) :].reset_index(drop=True)
    return frame


def frame_to_linkage(df: pd.DataFrame) -> np.ndarray:
    """Linkage matrix from the full table written by :func:`linkage_to_frame`.

    Parameters
    ----------
    df : DataFrame
        All merges, with at least the columns ``merge_step``, ``left_node``,
        ``right_node``, ``height`` and ``size``; rows may be in any order.

    Returns
    -------
    Z : ndarray of shape (m - 1, 4)
        Linkage matrix.
    """
    missing = [c for c in LINKAGE_COLUMNS[:5] if c not in df.columns]
    if missing:
        raise ValueError(f"linkage table is missing columns {missing}")
    table = df.sort_values("merge_step", kind="stable")
    steps = table["merge_step"].to_numpy()
    if not np.array_equal(steps, np.arange(1, len(table) + 1)):
        raise ValueError(
            "merge_step must run 1..n_merges without gaps; frame_to_linkage needs the "
            "full table (linkage_to_frame(Z) without top_merges)"
        )
    Z = table[["left_node", "right_node", "height", "size"]].to_numpy(dtype=np.float64)
    return _check_linkage(Z.reshape(-1, 4))


def merge_height_gaps(Z: np.ndarray, ks: Iterable[int]) -> pd.DataFrame:
    """Dendrogram heights around each number of clusters: the "largest jump" criterion.

    With ``m`` leaves, the merge at row ``m - k`` of ``Z`` (0-based) takes ``k`` clusters to
    ``k - 1``; the merge at row ``m - k - 1`` made the ``k`` clusters. A large gap between
    the two means the ``k`` clusters stay apart over a wide range of heights.

    Parameters
    ----------
    Z : ndarray of shape (m - 1, 4)
        Linkage matrix.
    ks : iterable of int
        Numbers of clusters, each in ``1..m``.

    Returns
    -------
    gaps : DataFrame
        One row per ``k``: ``n_clusters``; ``merge_height`` (height of the merge from
        ``k`` to ``k - 1`` clusters, NaN for ``k = 1``); ``height_into`` (height of the
        merge that made the ``k`` clusters, 0 for ``k = m``: the leaves); ``gap``
        (``merge_height - height_into``); ``gap_ratio`` (``merge_height / height_into``,
        NaN when ``height_into`` is 0).
    """
    Z = _check_linkage(Z)
    m = Z.shape[0] + 1
    values = list(ks)
    if any(isinstance(k, bool) or not isinstance(k, numbers.Integral) for k in values):
        raise ValueError(f"ks must be a sequence of integers, got {values!r}")
    ks = np.asarray(values, dtype=np.int64)
    if ((ks < 1) | (ks > m)).any():
        raise ValueError(f"every k must be between 1 and {m} (the number of leaves), got {ks}")
    # heights[r + 1] is the height of row r; heights[0] = 0 stands for the leaves and
    # heights[m] = NaN for the (non-existent) merge out of a single cluster.
    heights = np.concatenate([[0.0], Z[:, 2], [np.nan]])
    merge_height = heights[m - ks + 1]
    merge_height = np.where(ks == 1, np.nan, merge_height)
    height_into = heights[m - ks]
    gap = merge_height - height_into
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(height_into > 0, merge_height / height_into, np.nan)
    return pd.DataFrame(
        {
            "n_clusters": ks.astype(np.int64),
            "merge_height": merge_height,
            "height_into": height_into,
            "gap": gap,
            "gap_ratio": ratio,
        }
    )


# ---------------------------------------------------------------------------------------
# Two-stage Ward
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TwoStageWard:
    """Micro-clusters of the customers and the weighted Ward tree over them.

    Attributes
    ----------
    leaf_labels : ndarray of shape (n,), dtype int64
        Micro-cluster (leaf) of each customer, in ``0..m-1``.
    leaf_sizes : ndarray of shape (m,), dtype int64
        Customers per leaf (all positive).
    leaf_centers : ndarray of shape (m, p)
        Mean of each leaf's customers.
    linkage : ndarray of shape (m - 1, 4)
        Weighted Ward linkage of the leaves (sizes in customers).
    """

    leaf_labels: np.ndarray
    leaf_sizes: np.ndarray
    leaf_centers: np.ndarray
    linkage: np.ndarray


@dataclass(frozen=True)
class WardResult:
    """Ward segmentation of the customers.

    Attributes
    ----------
    labels : ndarray of shape (n,), dtype int64
        Segment of each customer in ``0..n_clusters-1`` (not canonically ordered).
    linkage : ndarray of shape (m - 1, 4)
        Ward linkage over the leaves.
    leaf_labels : ndarray of shape (n,), dtype int64
        Leaf of each customer (the identity for the exact strategy).
    leaf_sizes : ndarray of shape (m,), dtype int64
        Customers per leaf.
    strategy : {"exact", "two-stage"}
        Exact Ward on the customers, or Ward on k-means micro-clusters.
    seconds : float
        Wall-clock time of the clustering.
    """

    labels: np.ndarray
    linkage: np.ndarray
    leaf_labels: np.ndarray
    leaf_sizes: np.ndarray
    strategy: str
    seconds: float


def _available_cores() -> int:
    """CPUs this process may run on (1 if unknown)."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not on Linux
        return max(os.cpu_count() or 1, 1)


def _micro_cluster_centers(
    points: np.ndarray, weights: np.ndarray, n_clusters: int, seed: int, n_threads: int
) -> np.ndarray:
    """k-means++ start on a subsample, then weighted Lloyd iterations on all points."""
    from sklearn.cluster import kmeans_plusplus

    rng = np.random.default_rng(seed)
    # k-means++ on at most 20 points per cluster is as good a start and much cheaper.
    n_init_points = min(points.shape[0], 20 * n_clusters)
    if n_init_points < points.shape[0]:
        init_idx = np.sort(rng.choice(points.shape[0], size=n_init_points, replace=False))
    else:
        init_idx = np.arange(points.shape[0])
    # Single-threaded: OpenMP busy-waiting makes this small call slower with threads.
    with limit_threads(1):
        init, _ = kmeans_plusplus(
            points[init_idx],
            n_clusters,
            sample_weight=weights[init_idx],
            random_state=int(rng.integers(np.iinfo(np.int32).max)),
        )
    # An empty micro-cluster keeps its centre; float32 distances: a micro-cluster needs no
    # exact boundary (the customer-level k-means assignment is exact and done elsewhere).
    return lloyd(
        points,
        init,
        sample_weight=weights,
        max_iter=_LLOYD_MAX_ITER,
        tol=_LLOYD_TOL,
        relocate_empty=False,
        exact=False,
        n_threads=n_threads,
    ).centers


#: A feature with at most this many distinct values among the sampled points is treated as
#: discrete by :func:`nearest_micro_cluster` (one-hot columns, codes).
_MAX_DISCRETE_VALUES = 16
#: Micro-clusters within this squared distance (standardised units) of the nearest one on
#: the discrete features are scored for a group of customers; the rest only when a customer's
#: nearest candidate is not provably nearer than all of them.
_CANDIDATE_SLACK = 1.0
#: Rows per block of :func:`nearest_micro_cluster` (grouped by their discrete values).
_GROUP_BLOCK_ROWS = 65536


def _discrete_values(points: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """(column, its sorted distinct values) of every column of ``points`` with few values."""
    found = []
    for j in range(points.shape[1]):
        values = np.unique(points[:, j])
        if values.shape[0] <= _MAX_DISCRETE_VALUES:
            found.append((j, values))
    return found


def _group_keys(rows: np.ndarray, discrete: list[tuple[int, np.ndarray]]) -> np.ndarray:
    """One integer per row for its values on the discrete columns; -1 when a value is not one
    of those listed (that row is then scored against every centre)."""
    keys = np.zeros(rows.shape[0], dtype=np.int64)
    matched = np.ones(rows.shape[0], dtype=bool)
    for j, values in discrete:
        column = rows[:, j]
        code = np.minimum(np.searchsorted(values, column), values.shape[0] - 1)
        matched &= values[code] == column
        keys = keys * values.shape[0] + code
    keys[~matched] = -1
    return keys


def nearest_micro_cluster(
    X: np.ndarray, centers: np.ndarray, points: np.ndarray, *, n_threads: int = 1
) -> np.ndarray:
    """The labels of ``nearest_center(X, centers, exact=False)``, found with far fewer scores.

    A customer's squared distance to a centre is the part on the discrete features (one-hot
    channel and region columns, codes: those with few distinct values among ``points``, the
    sampled customers) plus the part on the others, so it is at least the discrete part.
    Customers sharing their discrete values form a group; each group is scored against the
    centres within ``_CANDIDATE_SLACK`` of its nearest on the discrete part (a few dozen of
    2,000: the micro-clusters of its region and channel), in the same float32 products as
    ``nearest_center``. A customer whose best candidate is nearer, by a margin far above
    float32 rounding, than the discrete part of every other centre has its label; any other
    customer (and one with a discrete value not seen in ``points``) is scored against every
    centre. Every label is therefore the one ``nearest_center(..., exact=False)`` gives (same
    products, same lowest-index tie rule); the tests compare them on every row.

    Parameters
    ----------
    X : ndarray of shape (n, p)
    centers : ndarray of shape (m, p)
    points : ndarray of shape (s, p)
        Rows that show which features are discrete (the sample the centres were fitted on).
    n_threads : int, default=1
        Python threads sharing the blocks. The result does not depend on it.

    Returns
    -------
    labels : ndarray of shape (n,), int64
    """
    discrete = _discrete_values(points)
    # Group keys are mixed-radix integers; too many discrete values for int64: no grouping.
    if not discrete or np.prod([float(len(v)) for _, v in discrete]) > 2.0**62:
        return nearest_center(X, centers, exact=False, n_threads=n_threads).labels
    n_rows, p = X.shape
    columns = [j for j, _ in discrete]
    # The float32 weights of nearest_center's fast kernel: scores ||c||^2 - 2 x.c.
    weights = np.empty((p + 1, centers.shape[0]), dtype=np.float32)
    weights[:p] = -2.0 * centers.T
    weights[p] = np.einsum("ij,ij->i", centers, centers)
    largest_center = float(np.max(np.einsum("ij,ij->i", centers, centers)))
    labels = np.empty(n_rows, dtype=np.int64)
    candidates: dict[int, tuple[np.ndarray, np.ndarray, float]] = {}

    def plan(key: int, row: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        """A group's candidate centres, their weights, and the discrete part of the nearest
        other centre (a lower bound of the squared distance to every other centre)."""
        if key not in candidates:
            part = ((centers[:, columns] - row[columns]) ** 2).sum(axis=1)
            chosen = part <= part.min() + _CANDIDATE_SLACK
            bound = float(part[~chosen].min()) if (~chosen).any() else np.inf
            subset = np.flatnonzero(chosen)
            candidates[key] = (subset, np.ascontiguousarray(weights[:, subset]), bound)
        return candidates[key]

    def work(start: int, stop: int) -> None:
        block = X[start:stop]
        keys = _group_keys(block, discrete)
        order = np.argsort(keys, kind="stable")
        rows = block[order]
        # The rows of nearest_center's fast kernel (float32, a column of ones), in group order.
        augmented = np.ones((rows.shape[0], p + 1), dtype=np.float32)
        augmented[:, :p] = rows
        squared_norms = np.einsum("ij,ij->i", rows, rows)
        sorted_keys = keys[order]
        edges = [0, *(np.flatnonzero(np.diff(sorted_keys)) + 1).tolist(), rows.shape[0]]
        found = np.empty(rows.shape[0], dtype=np.int64)
        for lo, hi in zip(edges[:-1], edges[1:], strict=True):
            if sorted_keys[lo] < 0:
                found[lo:hi] = (augmented[lo:hi] @ weights).argmin(axis=1)
                continue
            subset, subset_weights, other = plan(int(sorted_keys[lo]), rows[lo])
            scores = augmented[lo:hi] @ subset_weights
            best = scores.argmin(axis=1)
            upper = np.take_along_axis(scores, best[:, None], axis=1)[:, 0] + squared_norms[lo:hi]
            # Margin of the proof: 1e-4 of the scores' magnitude, ~1,000 x float32 rounding.
            margin = 1e-4 * (1.0 + squared_norms[lo:hi] + 2.0 * largest_center)
            labels_here = subset[best]
            unsafe = np.flatnonzero(upper + margin >= other)
            if unsafe.size:
                labels_here[unsafe] = (augmented[lo:hi][unsafe] @ weights).argmin(axis=1)
            found[lo:hi] = labels_here
        labels[start + order] = found

    # Single-threaded BLAS, as in nearest_center: the Python threads share the blocks.
    starts = range(0, n_rows, _GROUP_BLOCK_ROWS)
    with limit_threads(1, "blas"):
        if n_threads <= 1 or len(starts) <= 1:
            for start in starts:
                work(start, min(start + _GROUP_BLOCK_ROWS, n_rows))
        else:
            with ThreadPoolExecutor(max_workers=n_threads) as pool:
                tasks = [
                    pool.submit(work, start, min(start + _GROUP_BLOCK_ROWS, n_rows))
                    for start in starts
                ]
                for task in tasks:
                    task.result()
    return labels


def two_stage_ward(
    X: np.ndarray,
    *,
    n_micro_clusters: int = 2000,
    random_state: int | np.random.Generator | None = 0,
    sample_size: int = 200_000,
) -> TwoStageWard:
    """Ward on k-means micro-clusters, for more customers than exact Ward can handle.

    1. Draw ``sample_size`` rows uniformly (all rows when there are fewer) and collapse
       identical rows into weighted points.
    2. If there are at most ``n_micro_clusters`` distinct points they are the
       micro-clusters; otherwise fit weighted k-means with ``n_micro_clusters`` centres.
    3. Assign every row to its nearest centre (in blocks), drop empty micro-clusters and
       recompute each centre as the mean of its rows.
    4. Weighted Ward (:func:`ward_linkage`) on the centres, weighted by their sizes.

    When the rows fit in the sample and have at most ``n_micro_clusters`` distinct
    values, the result is exact Ward on the customers (duplicates merge first, at height
    zero).

    Parameters
    ----------
    X : array-like of shape (n, p)
        Customers' features (finite).
    n_micro_clusters : int, default=2000
        Number of k-means micro-clusters (leaves of the Ward tree).
    random_state : int, Generator or None, default=0
        Seed of the sample and of k-means.
    sample_size : int, default=200_000
        Rows used to fit k-means. Memory is dominated by ``X`` itself plus
        ``sample_size * p`` floats; time by the k-means fit and the O(n * m * p)
        assignment of all rows.

    Returns
    -------
    result : TwoStageWard
        Leaf of each customer, leaf sizes and centres, and the Ward linkage of the leaves.
    """
    X = _check_data(X)
    n_micro_clusters = _check_positive_int(n_micro_clusters, "n_micro_clusters")
    sample_size = _check_positive_int(sample_size, "sample_size")
    rng = np.random.default_rng(random_state)
    n = X.shape[0]

    covers_all = n <= sample_size
    sample = X if covers_all else X[np.sort(rng.choice(n, size=sample_size, replace=False))]
    points, inverse, counts = np.unique(sample, axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.reshape(-1)

    n_threads = _available_cores()
    if points.shape[0] <= n_micro_clusters:
        centers = points
        point_label = np.arange(points.shape[0])
    else:
        seed = int(rng.integers(np.iinfo(np.int32).max))
        centers = _micro_cluster_centers(
            points, counts.astype(np.float64), n_micro_clusters, seed, n_threads
        )
        point_label = nearest_center(points, centers, exact=False, n_threads=n_threads).labels

    if covers_all:
        labels = point_label[inverse]
    else:
        labels = nearest_micro_cluster(X, centers, points, n_threads=n_threads)

    sizes, sums = cluster_sums(X, labels, centers.shape[0])
    nonempty = sizes > 0
    new_index = np.cumsum(nonempty) - 1
    leaf_labels = new_index[labels].astype(np.int64)
    leaf_sizes = sizes[nonempty].astype(np.int64)
    leaf_centers = sums[nonempty] / sizes[nonempty, None]
    linkage = ward_linkage(leaf_centers, sample_weight=leaf_sizes)
    return TwoStageWard(
        leaf_labels=leaf_labels,
        leaf_sizes=leaf_sizes,
        leaf_centers=leaf_centers,
        linkage=linkage,
    )


def ward_segments(
    X: np.ndarray,
    n_clusters: int,
    *,
    exact_max_rows: int = 20_000,
    n_micro_clusters: int = 2000,
    random_state: int | np.random.Generator | None = 0,
) -> WardResult:
    """Segment customers with Ward: exact when small, two-stage when large.

    Parameters
    ----------
    X : array-like of shape (n, p)
        Customers' features (finite).
    n_clusters : int
        Number of segments.
    exact_max_rows : int, default=20_000
        Up to this many rows, exact Ward (fastcluster, O(n) memory, O(n^2) time: ~5 s at
        20,000 rows); above it, :func:`two_stage_ward`.
    n_micro_clusters : int, default=2000
        Micro-clusters of the two-stage strategy.
    random_state : int, Generator or None, default=0
        Seed of the two-stage strategy (the exact one is deterministic).

    Returns
    -------
    result : WardResult
        Labels, linkage, leaves and the strategy used.
    """
    start = time.perf_counter()
    X = _check_data(X)
    n = X.shape[0]
    if isinstance(n_clusters, bool) or not isinstance(n_clusters, numbers.Integral):
        raise ValueError(f"n_clusters must be an integer, got {n_clusters!r}")
    if not 1 <= n_clusters <= n:
        raise ValueError(
            f"n_clusters must be between 1 and {n} (the number of rows), got {n_clusters}"
        )
    exact_max_rows = _check_positive_int(exact_max_rows, "exact_max_rows")

    if n <= exact_max_rows:
        linkage = ward_linkage(X)
        labels = cut_linkage(linkage, n_clusters)
        leaf_labels = np.arange(n, dtype=np.int64)
        leaf_sizes = np.ones(n, dtype=np.int64)
        strategy = "exact"
    else:
        tree = two_stage_ward(X, n_micro_clusters=n_micro_clusters, random_state=random_state)
        n_leaves = tree.leaf_sizes.shape[0]
        if n_clusters > n_leaves:
            raise ValueError(
                f"n_clusters={n_clusters} exceeds the {n_leaves} micro-clusters of the "
                "two-stage strategy; raise n_micro_clusters"
            )
        linkage = tree.linkage
        labels = cut_linkage(linkage, n_clusters)[tree.leaf_labels]
        leaf_labels = tree.leaf_labels
        leaf_sizes = tree.leaf_sizes
        strategy = "two-stage"
    return WardResult(
        labels=labels,
        linkage=linkage,
        leaf_labels=leaf_labels,
        leaf_sizes=leaf_sizes,
        strategy=strategy,
        seconds=time.perf_counter() - start,
    )
