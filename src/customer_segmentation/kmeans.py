"""Reproducible k-means: a multi-start search for the lowest inertia, with canonical labels.

Plain ``KMeans(n_clusters, random_state=42, n_init=10)`` converges to whichever local optimum
its seeds lead to, so two seeds (or two thread counts) can give different segmentations. On
the customer data with ``k = 8``, single k-means++ starts reach the best known partition about
once in a thousand tries. :func:`fit_best_kmeans` makes the answer a property of the data
rather than of the seed:

1. **Search.** Run Lloyd's algorithm (scikit-learn's, as ``KMeans(n_init=1)`` per start) from

   * every centre set the caller passes in ``init_center_sets`` (for example the centroids of
     a Ward hierarchical solution),
   * ``n_merge_init`` *over-cluster-and-merge* starts: k-means++ and Lloyd with
     ``oversample * k`` clusters, then the fine centroids are merged greedily with Ward's
     criterion (weighted by cluster size) down to ``k`` centres, which seed the ``k``-cluster
     run. The fine level captures the small, dense groups that k-means++ tends to miss and the
     merge rebuilds the coarse structure (on the customer data 300 of 300 such starts reached
     the best known inertia, against 1 in 1,000 plain k-means++ starts),
   * ``n_init`` plain k-means++ starts,

   improve each result with Hartigan's single-row moves (which remove the many near-equal
   Lloyd optima that differ in a few boundary rows), recompute its inertia here and keep the
   lowest.
2. **Polish.** Lloyd steps computed here (not by scikit-learn) until the labels stop
   changing: ``labels = assign_nearest(X, centers)`` and ``centers`` are the member means.
   These steps are deterministic: the result does not depend on the thread count and
   differs between seeds only if the search found different partitions.
3. **Canonical order.** Label ids are sorted by segment size (descending), ties broken by the
   centroid coordinates (see :func:`canonical_relabel`).

For ``n > large_n_threshold`` rows (the large-n strategy, ``"multistart-sample+refine"``) the
search runs on a seeded uniform sample of ``sample_size`` rows. The ``n_refine`` best distinct
sample optima are then each refined by Lloyd on all rows (scikit-learn, until the labels stop
changing), the lowest full-data inertia is kept, Hartigan moves are applied on all rows, and
the polish follows. Cost on 10M x 14
rows with ``k = 8`` on a 2-core machine: about 15-20 s, peak memory about 2.5 times ``X``
(scikit-learn works on a copy of ``X``), against 70-100 s for ``KMeans(n_init=10)``. Below
the threshold the strategy is ``"multistart-full"``; 0.15-0.2 s for the 3,834 x 14 customer
matrix. The strategy that ran is reported in :attr:`KMeansResult.strategy`.

Over a range of k (int_k_selection), :func:`fit_best_kmeans_range` runs this search at every k,
with extra starts from a k-means of small weighted summaries of the rows (micro-clusters,
searched hundreds of times at once), and then uses neighbouring solutions as starts (one
centre added to the best partition at k - 1, one removed from the best at k + 1) until
nothing improves. On the customer data it reaches, for every random_state tried, the best
partition known at every k = 2..12, where 1,200 independent starts per k missed it at
k = 5, 6 and 7 and the neighbour starts alone missed it at k = 9 and 12 (see the tests).

Distances are accumulated feature by feature, left to right, in float64,
``(x1 - c1) * (x1 - c1) + (x2 - c2) * (x2 - c2) + ...``, the order in which a SQL expression
of that form is evaluated, so nearest-centre scoring in SQL reproduces the labels.
"""

from __future__ import annotations

import functools
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.extmath import row_norms

from customer_segmentation._numeric import (
    EXACT_BLOCK_ROWS,
    cluster_means,
    cluster_sums,
    count_distinct_rows,
    limit_threads,
    lloyd,
    nearest_center,
    nearest_center_columns,
    squared_distances,
)
from customer_segmentation._validation import check_count, check_matrix
from customer_segmentation.ordering import segment_order

try:  # scikit-learn's own k-means++ and Lloyd routines (private; see _LloydData)
    from sklearn.cluster._kmeans import _kmeans_plusplus, _kmeans_single_lloyd
    from sklearn.utils._openmp_helpers import _openmp_effective_n_threads

    _SKLEARN_LLOYD = (_kmeans_plusplus, _kmeans_single_lloyd, _openmp_effective_n_threads)
except ImportError:  # pragma: no cover - another scikit-learn layout: use KMeans itself
    _SKLEARN_LLOYD = None

__all__ = [
    "STRATEGY_FULL",
    "STRATEGY_SAMPLE",
    "KMeansResult",
    "assign_nearest",
    "canonical_relabel",
    "fit_best_kmeans",
    "fit_best_kmeans_range",
    "within_cluster_sum_of_squares",
]

STRATEGY_FULL = "multistart-full"
STRATEGY_SAMPLE = "multistart-sample+refine"

#: Two starts "reach the best inertia" when ``inertia <= best * (1 + INERTIA_RTOL)``.
INERTIA_RTOL = 1e-9

_CHUNK_ROWS = EXACT_BLOCK_ROWS
_MOVE_RTOL = 1e-12  # a Hartigan move must lower the inertia by this much, relative
_MAX_CANONICAL_ROUNDS = 10


@dataclass(frozen=True)
class KMeansResult:
    """Outcome of :func:`fit_best_kmeans`.

    Attributes
    ----------
    labels : ndarray of shape (n_samples,), dtype int64
        Cluster id of each row, in ``0 .. n_clusters - 1``, in canonical order (see
        :func:`canonical_relabel`). ``labels == assign_nearest(X, centers)`` holds exactly.
    centers : ndarray of shape (n_clusters, n_features), dtype float64
        Row ``j`` is the centre of label ``j``: the mean of the rows labelled ``j``.
    inertia : float
        Within-cluster sum of squares of ``labels`` around ``centers`` on the full data,
        computed by :func:`within_cluster_sum_of_squares`.
    n_starts : int
        Number of starts tried by the search (caller centre sets, over-cluster-and-merge
        starts and k-means++ starts).
    n_starts_at_best : int
        Number of those starts whose inertia on the searched rows (the sample, for the
        large-n strategy) is within a relative ``INERTIA_RTOL = 1e-9`` of the best one. A
        value of 1 means the optimum was found once only; raise ``n_init`` / ``n_merge_init``
        if that happens on important data.
    strategy : str
        ``"multistart-full"`` (search on all rows) or ``"multistart-sample+refine"`` (search
        on a sample, then Lloyd on all rows).
    seconds : float
        Wall-clock time of the fit.
    """

    labels: np.ndarray
    centers: np.ndarray
    inertia: float
    n_starts: int
    n_starts_at_best: int
    strategy: str
    seconds: float


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


def _check_int(value, name: str, *, minimum: int) -> int:
    """A whole number >= ``minimum`` (scikit-learn's check_scalar, bools refused)."""
    return check_count(value, name, min_val=minimum)


def _check_matrix(X, name: str = "X") -> np.ndarray:
    """Return ``X`` as a 2-D float64 array (scikit-learn's check_array; no copy when it
    already is one)."""
    return check_matrix(X, name)


def _count_non_finite(X: np.ndarray) -> int:
    """Number of NaN/inf entries, counted chunk by chunk (no full-size boolean temporary)."""
    count = 0
    for start in range(0, X.shape[0], _CHUNK_ROWS * 8):
        count += int(np.count_nonzero(~np.isfinite(X[start : start + _CHUNK_ROWS * 8])))
    return count


def _validate_fit_input(X, n_clusters) -> tuple[np.ndarray, int]:
    n_clusters = _check_int(n_clusters, "n_clusters", minimum=1)
    X = _check_matrix(X)
    n_samples, n_features = X.shape
    if n_features < 1:
        raise ValueError("X must have at least one feature column, got 0")
    if n_samples < n_clusters:
        raise ValueError(f"X has {n_samples} row(s), fewer than n_clusters={n_clusters}")
    n_bad = _count_non_finite(X)
    if n_bad:
        raise ValueError(f"X contains {n_bad} non-finite value(s) (NaN or infinity)")
    n_distinct = count_distinct_rows(X, enough=n_clusters)
    if n_distinct < n_clusters:
        raise ValueError(f"X has {n_distinct} distinct row(s), fewer than n_clusters={n_clusters}")
    return X, n_clusters


def _validate_centers(centers, n_features: int, name: str = "centers") -> np.ndarray:
    centers = _check_matrix(centers, name)
    if centers.shape[0] < 1 or centers.shape[1] != n_features:
        raise ValueError(
            f"{name} must have shape (n_clusters >= 1, {n_features}), got {centers.shape}"
        )
    if not np.isfinite(centers).all():
        raise ValueError(f"{name} contains non-finite values")
    return centers


def _validate_labels(labels, n_samples: int, n_clusters: int) -> np.ndarray:
    labels = np.asarray(labels)
    if labels.shape != (n_samples,):
        raise ValueError(f"labels must have shape ({n_samples},), got {labels.shape}")
    if labels.size and not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be integers, got dtype {labels.dtype}")
    labels = labels.astype(np.int64, copy=False)
    if labels.size and (labels.min() < 0 or labels.max() >= n_clusters):
        raise ValueError(
            f"labels must lie in 0..{n_clusters - 1}, got range {labels.min()}..{labels.max()}"
        )
    return labels


# --------------------------------------------------------------------------------------------
# Deterministic building blocks (no BLAS, no threads: identical results for any thread count)
# --------------------------------------------------------------------------------------------


def assign_nearest(X, centers, *, return_distance: bool = False):
    """Label each row with its nearest centre (squared Euclidean distance).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Rows to label.
    centers : array-like of shape (n_clusters, n_features)
        Cluster centres; row ``j`` is the centre of label ``j``.
    return_distance : bool, default=False
        Also return each row's squared distance to its nearest centre (computed in the same
        pass, so no ``(n_samples, n_features)`` temporary is needed).

    Returns
    -------
    labels : ndarray of shape (n_samples,), dtype int64
        Index of the nearest centre. A row at exactly the same distance from several centres
        gets the lowest of their indices.
    squared_distances : ndarray of shape (n_samples,), float64
        Only with ``return_distance=True``.

    Notes
    -----
    The squared distance is accumulated feature by feature, left to right, in float64:
    ``(x1 - c1) * (x1 - c1) + (x2 - c2) * (x2 - c2) + ...``. Rows are processed in chunks of
    8,192, so memory beyond the output is ``O(chunk * (n_features + n_clusters))`` whatever
    the number of rows, and no BLAS call is involved (the result does not depend on the
    thread count).
    """
    X = _check_matrix(X)
    centers = _validate_centers(centers, X.shape[1])
    nearest = nearest_center(X, centers)
    return (nearest.labels, nearest.squared_distances) if return_distance else nearest.labels


def assign_nearest_columns(columns, centers):
    """:func:`assign_nearest` with ``return_distance=True``, rows given column by column.

    Parameters
    ----------
    columns : sequence of array-like of shape (n_samples,)
        Feature ``f`` of every row in ``columns[f]``, as a table's columns arrive from DuckDB.
    centers : array-like of shape (n_clusters, len(columns))

    Returns
    -------
    labels : ndarray of shape (n_samples,), dtype int64
    squared_distances : ndarray of shape (n_samples,), float64
        Bit for bit those of ``assign_nearest(np.column_stack(columns), centers,
        return_distance=True)``, computed without the row-major copy of the data.
    """
    arrays = [np.ascontiguousarray(column, dtype=np.float64) for column in columns]
    if not arrays:
        raise ValueError("X must have at least one feature column, got 0")
    shapes = {array.shape for array in arrays}
    if len(shapes) > 1 or arrays[0].ndim != 1:
        raise ValueError(f"columns must be 1-D and of equal length, got shapes {sorted(shapes)}")
    for position, array in enumerate(arrays):
        if not np.isfinite(array).all():
            raise ValueError(f"X contains non-finite values (column {position})")
    centers = _validate_centers(centers, len(arrays))
    nearest = nearest_center_columns(arrays, centers)
    return nearest.labels, nearest.squared_distances


def within_cluster_sum_of_squares(X, labels, centers) -> float:
    """Sum over rows of the squared Euclidean distance to the centre of their label.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Data.
    labels : array-like of shape (n_samples,)
        Integer label of each row, in ``0 .. n_clusters - 1``.
    centers : array-like of shape (n_clusters, n_features)
        Row ``j`` is the centre used for label ``j`` (not necessarily the member mean).

    Returns
    -------
    inertia : float
        The float64 within-cluster sum of squares (k-means inertia), computed chunk by chunk.
    """
    X = _check_matrix(X)
    centers = _validate_centers(centers, X.shape[1])
    labels = _validate_labels(labels, X.shape[0], centers.shape[0])
    return _wcss(X, labels, centers)


def _wcss(X: np.ndarray, labels: np.ndarray, centers: np.ndarray) -> float:
    total = 0.0
    for start in range(0, X.shape[0], _CHUNK_ROWS):
        diff = X[start : start + _CHUNK_ROWS] - centers[labels[start : start + _CHUNK_ROWS]]
        total += float(np.einsum("ij,ij->", diff, diff))
    return total


def canonical_relabel(labels, X, n_clusters) -> tuple[np.ndarray, np.ndarray]:
    """Renumber clusters in a canonical order that does not depend on how they were found.

    Rule: new id 0 is the largest cluster, id 1 the next largest, and so on. Clusters of equal
    size are ordered by their centroids (member means) compared lexicographically: first
    feature ascending, then the second feature, etc. Empty clusters come last (their centroid
    is undefined) in their original order, as do clusters equal in size and centroid.

    Parameters
    ----------
    labels : array-like of shape (n_samples,)
        Integer labels in ``0 .. n_clusters - 1``.
    X : array-like of shape (n_samples, n_features)
        Data the labels refer to (used for the centroids).
    n_clusters : int
        Number of cluster ids.

    Returns
    -------
    new_labels : ndarray of shape (n_samples,), dtype int64
        ``new_labels[i] = inverse[labels[i]]`` where ``inverse[order] = arange(n_clusters)``.
    order : ndarray of shape (n_clusters,), dtype int64
        ``order[j]`` is the old id that becomes new id ``j``; reorder centres with
        ``centers[order]``.
    """
    n_clusters = _check_int(n_clusters, "n_clusters", minimum=1)
    X = _check_matrix(X)
    labels = _validate_labels(labels, X.shape[0], n_clusters)
    counts, centroids = cluster_means(X, labels, n_clusters)
    order = segment_order(counts, np.nan_to_num(centroids, nan=0.0)).astype(np.int64)
    inverse = np.empty(n_clusters, dtype=np.int64)
    inverse[order] = np.arange(n_clusters)
    return inverse[labels], order


def _finalize(X: np.ndarray, centers: np.ndarray, labels: np.ndarray | None, max_iter: int):
    """Polish to a Lloyd fixed point and put the ids in canonical order.

    After the permutation the labels are re-checked only if some row is tied between centres
    (otherwise the nearest centre cannot change); the loop stops when canonical order and
    nearest-centre labels agree.
    """
    for _ in range(_MAX_CANONICAL_ROUNDS):
        fit = lloyd(X, centers, max_iter=max_iter, labels=labels)
        labels, centers = fit.labels, fit.centers
        order = segment_order(fit.sizes, centers)
        inverse = np.empty_like(order)
        inverse[order] = np.arange(order.size)
        labels, centers = inverse[labels], centers[order]
        if fit.n_ties == 0 or np.array_equal(labels, nearest_center(X, centers).labels):
            break
        labels = None
    return labels, centers


# --------------------------------------------------------------------------------------------
# Search
# --------------------------------------------------------------------------------------------


def _ward_merge_centers(centers: np.ndarray, weights: np.ndarray, n_clusters: int) -> np.ndarray:
    """Greedily merge weighted centroids with Ward's criterion down to ``n_clusters``.

    Merging groups ``a`` and ``b`` increases the within-cluster sum of squares by
    ``w_a * w_b / (w_a + w_b) * ||c_a - c_b||^2``; the cheapest pair (lowest index pair on
    ties) is merged until ``n_clusters`` groups remain. Returns their weighted means.
    """
    centers = centers.astype(np.float64, copy=True)
    weights = weights.astype(np.float64, copy=True)
    active = np.ones(len(centers), dtype=bool)
    while active.sum() > n_clusters:
        idx = np.flatnonzero(active)
        c, w = centers[idx], weights[idx]
        d2 = ((c[:, None, :] - c[None, :, :]) ** 2).sum(axis=2)
        cost = (w[:, None] * w[None, :]) / (w[:, None] + w[None, :]) * d2
        cost[np.tril_indices(idx.size)] = np.inf
        i, j = np.unravel_index(np.argmin(cost), cost.shape)
        a, b = idx[i], idx[j]
        total = weights[a] + weights[b]
        centers[a] = (weights[a] * centers[a] + weights[b] * centers[b]) / total
        weights[a] = total
        active[b] = False
    return centers[active]


def _lloyd_sklearn(X, n_clusters, init, *, seed, max_iter, tol) -> KMeans:
    """One scikit-learn ``KMeans`` run (``n_init=1``, Lloyd) from ``init`` on ``X``."""
    return KMeans(
        n_clusters=n_clusters,
        init=init,
        n_init=1,
        max_iter=max_iter,
        tol=tol,
        random_state=seed,
        algorithm="lloyd",
    ).fit(X)


@dataclass(frozen=True)
class _LloydRun:
    """The outcome of one :meth:`_LloydData.run`: what ``KMeans`` keeps as ``labels_``,
    ``cluster_centers_`` and ``inertia_``."""

    labels: np.ndarray
    centers: np.ndarray
    inertia: float


class _LloydData:
    """``X`` prepared once for many scikit-learn Lloyd runs, each as ``KMeans(n_init=1).fit(X)``.

    ``KMeans.fit`` spends much of a small fit on checks and on what it derives from ``X``
    again at every call: a C-ordered copy, the column means it subtracts, the rows' squared
    norms, unit sample weights and the tolerance (``tol`` times the mean column variance). On
    the 3,834 customers that is about a third of each fit, and the search runs hundreds of
    fits on the same rows. Here these are computed once, with the same numpy operations on
    the same C-ordered copy, and each :meth:`run` calls scikit-learn's own k-means++ and
    Lloyd routines with them, so a run returns exactly what the estimator would (a test
    compares them bit for bit). Those two routines are private to scikit-learn: when a
    version lacks them, :meth:`run` falls back to the estimator itself.

    The tolerance and the squared norms are computed at their first use: the full-data
    refinement of the large-n strategy (given centres, ``tol=0``) needs neither, and on 10
    million customers the variance alone allocates a second copy of ``X`` (1 GB).
    """

    def __init__(self, X: np.ndarray):
        self.X = X
        if _SKLEARN_LLOYD is None:
            return
        centered = np.array(X, dtype=np.float64, order="C", copy=True)
        self.mean = centered.mean(axis=0)
        centered -= self.mean
        self.centered = centered
        self.sample_weight = np.ones(centered.shape[0], dtype=np.float64)

    @functools.cached_property
    def mean_variance(self) -> float:
        """The mean column variance of ``X``, as ``KMeans`` computes it for its tolerance (on
        the C-ordered float64 rows before centring; no copy when ``X`` already is one)."""
        return np.mean(np.var(np.asarray(self.X, dtype=np.float64, order="C"), axis=0))

    @functools.cached_property
    def squared_norms(self) -> np.ndarray:
        """Squared norms of the centred rows (k-means++ draws with them)."""
        return row_norms(self.centered, squared=True)

    def run(self, n_clusters: int, init, *, seed: int, max_iter: int, tol: float) -> _LloydRun:
        """Lloyd from ``init`` (``"k-means++"`` drawn with ``seed``, or an array of centres)."""
        if _SKLEARN_LLOYD is None:
            km = _lloyd_sklearn(self.X, n_clusters, init, seed=seed, max_iter=max_iter, tol=tol)
            return _LloydRun(km.labels_, km.cluster_centers_, float(km.inertia_))
        kmeans_plusplus, single_lloyd, effective_threads = _SKLEARN_LLOYD
        if self.centered.shape[0] < n_clusters:
            raise ValueError(
                f"n_samples={self.centered.shape[0]} should be >= n_clusters={n_clusters}."
            )
        if isinstance(init, str):
            centers, _ = kmeans_plusplus(
                self.centered,
                n_clusters,
                random_state=np.random.RandomState(seed),
                x_squared_norms=self.squared_norms,
                sample_weight=self.sample_weight,
            )
        else:
            centers = np.array(init, dtype=np.float64, order="C", copy=True)
            if centers.shape != (n_clusters, self.centered.shape[1]):
                raise ValueError(f"init has shape {centers.shape}, expected {n_clusters} rows")
            centers -= self.mean
        labels, inertia, centers, _ = single_lloyd(
            self.centered,
            self.sample_weight,
            centers,
            max_iter=max_iter,
            verbose=False,
            tol=self.mean_variance * tol if tol != 0 else 0,
            n_threads=effective_threads(),
        )
        return _LloydRun(labels, centers + self.mean, float(inertia))


def _hartigan_refine(X: np.ndarray, labels: np.ndarray, n_clusters: int, max_passes: int):
    """Improve a partition by single-row moves (Hartigan's rule) until none helps.

    Moving row ``x`` from cluster ``a`` (``n_a`` rows, mean ``c_a``) to ``b`` changes the
    within-cluster sum of squares by ``n_b / (n_b + 1) * |x - c_b|^2 -
    n_a / (n_a - 1) * |x - c_a|^2``. Each pass finds the rows with a negative change for the
    current means (vectorised, chunked), then visits them in order of decreasing gain (row
    index on ties) and moves each one whose move still helps given the moves made before it,
    updating counts and sums as it goes. Every move lowers the inertia, so the loop ends; a
    Hartigan-stable partition is also stable under Lloyd (each row is nearest to its own
    mean), and Lloyd fixed points often are not: this removes the near-equal local optima
    that differ in a few boundary rows.

    Returns the new labels (a copy).
    """
    labels = labels.astype(np.int64, copy=True)
    counts, sums = cluster_sums(X, labels, n_clusters)
    if n_clusters == 1 or counts.min() == 0:
        return labels
    counts = counts.astype(np.float64)
    for _ in range(max_passes):
        candidates, gains = [], []
        for start in range(0, X.shape[0], _CHUNK_ROWS):
            own = labels[start : start + _CHUNK_ROWS]
            dist = squared_distances(X[start : start + _CHUNK_ROWS], sums / counts[:, None])
            cols = np.arange(own.size)
            n_own = counts[own]
            with np.errstate(divide="ignore"):
                remove = np.where(n_own > 1, n_own / (n_own - 1), 0.0) * dist[own, cols]
            add = (counts / (counts + 1))[:, None] * dist
            add[own, cols] = np.inf
            gain = remove - add.min(axis=0)
            rows = np.flatnonzero(gain > _MOVE_RTOL * remove)
            candidates.append(rows + start)
            gains.append(gain[rows])
        rows = np.concatenate(candidates)
        if rows.size == 0:
            break
        rows = rows[np.argsort(-np.concatenate(gains), kind="stable")]
        moved = 0
        for i in rows:
            a = labels[i]
            if counts[a] <= 1:
                continue
            diff = sums / counts[:, None] - X[i]
            dist = (diff * diff).sum(axis=1)
            add = counts / (counts + 1) * dist
            add[a] = np.inf
            b = int(add.argmin())
            remove = counts[a] / (counts[a] - 1) * dist[a]
            if remove - add[b] > _MOVE_RTOL * remove:
                sums[a] -= X[i]
                sums[b] += X[i]
                counts[a] -= 1
                counts[b] += 1
                labels[i] = b
                moved += 1
        if moved == 0:
            break
    return labels


def _merge_init(data: _LloydData, n_clusters, n_fine, *, seed, max_iter, tol):
    """Initial centres from over-clustering: ``n_fine`` clusters merged with Ward's rule."""
    fine = data.run(n_fine, "k-means++", seed=seed, max_iter=max_iter, tol=tol)
    weights = np.bincount(fine.labels, minlength=n_fine)
    present = weights > 0
    if present.sum() < n_clusters:  # degenerate fine level: fall back to k-means++
        return "k-means++"
    return _ward_merge_centers(fine.centers[present], weights[present], n_clusters)


@dataclass(frozen=True)
class _Start:
    """A local optimum found by the search: inertia on the searched rows, its start index,
    labels and member means."""

    inertia: float
    index: int
    labels: np.ndarray
    centers: np.ndarray


def _multistart(
    X: np.ndarray,
    n_clusters: int,
    *,
    seeds: np.ndarray,
    n_init: int,
    n_merge_init: int,
    oversample: int,
    init_center_sets: Sequence[np.ndarray],
    max_iter: int,
    tol: float,
    n_keep: int,
) -> tuple[list[_Start], list[float]]:
    """Run every start on ``X``: Lloyd (scikit-learn), then Hartigan moves.

    Order of the starts: caller centre sets, over-cluster-and-merge starts, k-means++ starts.
    The inertia of each start is recomputed here (deterministically) from its member means.
    A start that ends with an empty cluster is dropped (counted in neither output).

    Returns
    -------
    best : list of _Start
        The ``n_keep`` best distinct local optima (inertias more than ``INERTIA_RTOL`` apart),
        lowest first; among equal ones the earliest start is kept.
    inertias : list of float
        The inertia of every start, in start order.
    """
    n_fine = min(oversample * n_clusters, count_distinct_rows(X, enough=oversample * n_clusters))
    if n_fine <= n_clusters:
        n_init, n_merge_init = n_init + n_merge_init, 0
    inits = [("given", centers, 0) for centers in init_center_sets]
    inits += [("merge", None, seed) for seed in seeds[:n_merge_init]]
    inits += [("k-means++", "k-means++", seed) for seed in seeds[n_merge_init:][:n_init]]

    best: list[_Start] = []
    inertias: list[float] = []
    data = _LloydData(X)
    for index, (kind, init, seed) in enumerate(inits):
        if kind == "merge":
            init = _merge_init(data, n_clusters, n_fine, seed=seed, max_iter=max_iter, tol=tol)
        labels = data.run(n_clusters, init, seed=seed, max_iter=max_iter, tol=tol).labels
        labels = labels.astype(np.int64)
        if np.bincount(labels, minlength=n_clusters).min() == 0:
            continue  # scikit-learn relocates empty clusters, so this is only a safeguard
        labels = _hartigan_refine(X, labels, n_clusters, max_passes=max_iter)
        _, centers = cluster_means(X, labels, n_clusters)
        inertia = _wcss(X, labels, centers)
        inertias.append(inertia)
        if any(abs(inertia - b.inertia) <= INERTIA_RTOL * b.inertia for b in best):
            continue
        best.append(_Start(inertia, index, labels, centers))
        best = sorted(best, key=lambda b: (b.inertia, b.index))[:n_keep]
    return best, inertias


def fit_best_kmeans(
    X,
    n_clusters: int,
    *,
    random_state: int = 0,
    n_init: int = 10,
    init_center_sets: Sequence = (),
    max_iter: int = 300,
    tol: float = 1e-6,
    large_n_threshold: int = 200_000,
    sample_size: int = 100_000,
    n_merge_init: int = 10,
    oversample: int = 3,
    n_refine: int = 3,
    search_threads: int | None = 1,
) -> KMeansResult:
    """K-means with many starts, the lowest inertia kept, and canonical, stable labels.

    See the module docstring for the procedure. Every random choice is drawn from
    ``random_state``; the search is designed so that the returned partition (the lowest
    inertia found) does not depend on it, and the final steps are independent of the number
    of threads.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Data, already scaled as wanted. A float64 array is used without copying (scikit-learn
        makes its own working copy for each Lloyd run).
    n_clusters : int
        Number of clusters ``k >= 1``.
    random_state : int, default=0
        Seed for the k-means++ starts and for the row sample of the large-n strategy.
    n_init : int, default=10
        Number of plain k-means++ starts.
    init_center_sets : sequence of array-like of shape (n_clusters, n_features), default=()
        Extra initial centre sets, each run once (for example Ward centroids).
    max_iter : int, default=300
        Maximum Lloyd iterations per start and Hartigan passes per start, and the cap for the
        full-data refinement and for the final polish.
    tol : float, default=1e-6
        Convergence tolerance of scikit-learn ``KMeans`` for the search starts. The full-data
        refinement and the polish run until the labels stop changing.
    large_n_threshold : int, default=200_000
        Above this many rows, search on a sample and refine on all rows.
    sample_size : int, default=100_000
        Rows in the uniform sample (without replacement) of the large-n strategy.
    n_merge_init : int, default=10
        Number of over-cluster-and-merge starts: Lloyd with ``oversample * n_clusters``
        clusters from k-means++, Ward merge of those centroids to ``n_clusters``, then Lloyd.
    oversample : int, default=3
        Fine-to-coarse cluster ratio of the over-cluster-and-merge starts.
    n_refine : int, default=3
        Large-n strategy only: how many of the best distinct sample optima (different
        inertia) are refined on all rows; the lowest full-data inertia wins. Refining more
        than one guards against a sample whose best partition is not the best on all rows.
    search_threads : int or None, default=1
        OpenMP threads for the search starts (scikit-learn ``KMeans`` on at most
        ``max(large_n_threshold, sample_size)`` rows). At that size extra threads mostly add
        synchronisation cost, and on a busy machine their busy-waiting can make each start
        many times slower. ``None`` keeps the caller's setting. The full-data refinement always
        uses the caller's setting. The result does not depend on this value.

    Returns
    -------
    result : KMeansResult
        Labels, centres, inertia (on all rows), start counts, strategy and run time.

    Raises
    ------
    ValueError
        If ``n_clusters < 1``, ``X`` has fewer rows or fewer distinct rows than
        ``n_clusters``, ``X`` contains NaN or infinity, or an initial centre set has the wrong
        shape or non-finite values.
    TypeError
        If an integer option (``n_clusters``, ``random_state``, ...) is not an integer.
    """
    started = time.perf_counter()
    X, n_clusters = _validate_fit_input(X, n_clusters)
    options = _check_options(
        n_features=X.shape[1],
        n_clusters=n_clusters,
        random_state=random_state,
        n_init=n_init,
        init_center_sets=init_center_sets,
        max_iter=max_iter,
        tol=tol,
        large_n_threshold=large_n_threshold,
        sample_size=sample_size,
        n_merge_init=n_merge_init,
        oversample=oversample,
        n_refine=n_refine,
        search_threads=search_threads,
    )
    sample_seq, starts_seq = np.random.SeedSequence(options.random_state).spawn(2)
    seeds = starts_seq.generate_state(options.n_init + options.n_merge_init).astype(np.int64)
    strategy, rows = _search_rows(X.shape[0], n_clusters, options, sample_seq)
    X_search = X if rows is None else _checked_sample(X, rows, n_clusters)
    start_centers, start_labels, inertias = _search(
        X, X_search, n_clusters, strategy=strategy, seeds=seeds, options=options
    )
    del X_search
    labels, centers = _finalize(X, start_centers, start_labels, options.max_iter)
    del start_centers, start_labels
    best_inertia = min(inertias)
    return KMeansResult(
        labels=labels,
        centers=centers,
        inertia=within_cluster_sum_of_squares(X, labels, centers),
        n_starts=len(options.center_sets) + options.n_init + options.n_merge_init,
        n_starts_at_best=sum(v <= best_inertia * (1 + INERTIA_RTOL) for v in inertias),
        strategy=strategy,
        seconds=time.perf_counter() - started,
    )


def _search(
    X: np.ndarray,
    X_search: np.ndarray,
    n_clusters: int,
    *,
    strategy: str,
    seeds: np.ndarray,
    options: _FitOptions,
) -> tuple[np.ndarray, np.ndarray, list[float]]:
    """Every start on ``X_search``, then (large-n strategy) refinement on all rows of ``X``.

    Returns the centres and labels the polish starts from, and the inertia of every start.
    """
    with warnings.catch_warnings():
        # k-means++ on data with few distinct rows may warn about duplicate centres.
        warnings.simplefilter("ignore", ConvergenceWarning)
        with limit_threads(options.search_threads, "openmp"):
            best, inertias = _multistart(
                X_search,
                n_clusters,
                seeds=seeds,
                n_init=options.n_init,
                n_merge_init=options.n_merge_init,
                oversample=options.oversample,
                init_center_sets=options.center_sets,
                max_iter=options.max_iter,
                tol=options.tol,
                n_keep=options.n_refine if strategy == STRATEGY_SAMPLE else 1,
            )
        if strategy == STRATEGY_SAMPLE:
            start_centers, start_labels = _refine_on_all_rows(X, best, options.max_iter)
        else:
            start_centers, start_labels = best[0].centers, best[0].labels
        del best
    return start_centers, start_labels, inertias


@dataclass(frozen=True)
class _FitOptions:
    """The checked options of :func:`fit_best_kmeans` (see its parameters)."""

    random_state: int
    n_init: int
    n_merge_init: int
    oversample: int
    n_refine: int
    search_threads: int | None
    max_iter: int
    tol: float
    large_n_threshold: int
    sample_size: int
    center_sets: list[np.ndarray]


def _check_options(
    *,
    n_features: int,
    n_clusters: int,
    random_state,
    n_init,
    init_center_sets,
    max_iter,
    tol,
    large_n_threshold,
    sample_size,
    n_merge_init,
    oversample,
    n_refine,
    search_threads,
) -> _FitOptions:
    """Check the options of :func:`fit_best_kmeans`; raise a message naming the bad one."""
    if not tol >= 0:
        raise ValueError(f"tol must be >= 0, got {tol}")
    options = _FitOptions(
        random_state=_check_int(random_state, "random_state", minimum=0),
        n_init=_check_int(n_init, "n_init", minimum=0),
        n_merge_init=_check_int(n_merge_init, "n_merge_init", minimum=0),
        oversample=_check_int(oversample, "oversample", minimum=1),
        n_refine=_check_int(n_refine, "n_refine", minimum=1),
        search_threads=(
            None
            if search_threads is None
            else _check_int(search_threads, "search_threads", minimum=1)
        ),
        max_iter=_check_int(max_iter, "max_iter", minimum=1),
        tol=tol,
        large_n_threshold=_check_int(large_n_threshold, "large_n_threshold", minimum=1),
        sample_size=_check_int(sample_size, "sample_size", minimum=1),
        center_sets=_check_center_sets(init_center_sets, n_clusters, n_features),
    )
    if options.n_init + options.n_merge_init + len(options.center_sets) == 0:
        raise ValueError("no starts: n_init + n_merge_init + len(init_center_sets) is 0")
    return options


def _check_center_sets(init_center_sets, n_clusters: int, n_features: int) -> list[np.ndarray]:
    """Each caller centre set as a finite float64 ``(n_clusters, n_features)`` array."""
    center_sets = [
        _validate_centers(c, n_features, f"init_center_sets[{i}]")
        for i, c in enumerate(init_center_sets)
    ]
    for i, c in enumerate(center_sets):
        if c.shape[0] != n_clusters:
            raise ValueError(
                f"init_center_sets[{i}] has {c.shape[0]} centres, expected {n_clusters}"
            )
    return center_sets


def _search_rows(
    n_samples: int, n_clusters: int, options: _FitOptions, sample_seq: np.random.SeedSequence
) -> tuple[str, np.ndarray | None]:
    """The strategy, and the sorted rows of the seeded search sample (``None``: all rows)."""
    if n_samples <= options.large_n_threshold or options.sample_size >= n_samples:
        return STRATEGY_FULL, None
    rng = np.random.default_rng(sample_seq)
    size = max(options.sample_size, n_clusters)
    return STRATEGY_SAMPLE, np.sort(rng.choice(n_samples, size=size, replace=False))


def _checked_sample(X: np.ndarray, rows: np.ndarray, n_clusters: int) -> np.ndarray:
    """``X[rows]``; ``ValueError`` when the sample has fewer than ``n_clusters`` distinct rows."""
    X_search = X[rows]
    if count_distinct_rows(X_search, enough=n_clusters) < n_clusters:
        raise ValueError(
            f"the {X_search.shape[0]}-row sample has fewer than n_clusters={n_clusters} "
            "distinct rows; increase sample_size"
        )
    return X_search


def _refine_on_all_rows(
    X: np.ndarray, candidates: Sequence[_Start], max_iter: int
) -> tuple[np.ndarray, np.ndarray]:
    """Large-n strategy: the best sample optimum after Lloyd and Hartigan moves on all rows.

    Lloyd (scikit-learn, ``tol=0``: until the labels are stable) runs on all rows from each
    candidate's centres; a later candidate wins only if clearly (``INERTIA_RTOL``) better.
    Hartigan moves then settle the boundary rows, so that nearby Lloyd fixed points reached
    from different samples end in the same partition. Returns the winner's scikit-learn
    centres and its labels after the moves (int64).
    """
    n_clusters = candidates[0].centers.shape[0]
    refined = None
    data = _LloydData(X)
    for candidate in candidates:
        full = data.run(n_clusters, candidate.centers, seed=0, max_iter=max_iter, tol=0.0)
        if refined is None or full.inertia < refined.inertia * (1 - INERTIA_RTOL):
            refined = full
        del full
    del data
    labels = _hartigan_refine(X, refined.labels, n_clusters, max_passes=max_iter)
    return refined.centers, labels.astype(np.int64, copy=False)


# --------------------------------------------------------------------------------------------
# Search over a range of k: neighbouring solutions as starts
# --------------------------------------------------------------------------------------------

#: Rows that may become the new centre of an insertion start (a seeded sample when more).
_MAX_INSERT_CANDIDATES = 256


def fit_best_kmeans_range(
    X,
    ks: Sequence[int],
    *,
    random_state: int = 0,
    n_init: int = 4,
    n_merge_init: int = 5,
    init_center_sets: Mapping[int, np.ndarray] | None = None,
    max_iter: int = 300,
    n_insert: int = 3,
    n_delete: int = 3,
    max_sweeps: int = 10,
    micro_sizes: Sequence[int] = (40, 64),
    n_coarse_init: int = 250,
    n_coarse_keep: int = 2,
) -> dict[int, KMeansResult]:
    """The best k-means partition at every ``k`` of ``ks``, each ``k`` helped by its neighbours.

    On data made of groups of very different sizes (one-hot channels and regions, where a
    rare channel is a small, far-away group), independent starts at one ``k`` keep missing
    the right combination of groups: on the customer data 1,000 k-means++ starts (each
    improved by Hartigan moves) did not reach the optimum at k = 5, 6 and 7, and about one in
    500 reaches it at k = 9. Three kinds of starts close the gap:

    * **coarse optima.** ``X`` is summarised by small k-means clusterings (``micro_sizes``
      micro-clusters each, weighted by their sizes). On each summary, ``n_coarse_init``
      weighted k-means++ seedings are improved by Hartigan moves of whole micro-clusters, all
      at once in numpy (a summary of 64 points costs far less than one Lloyd run on all rows),
      and the ``n_coarse_keep`` best distinct partitions per summary become starts on all
      rows. They join the Ward cut (``init_center_sets``) and the random starts of
      :func:`fit_best_kmeans` at each ``k``.
    * **insertion** (global k-means, Likas et al. 2003): from the best partition at ``k - 1``,
      add one centre at the row that lowers the inertia most (the bound
      ``sum_i max(0, d_i - |x_q - x_i|^2)`` over rows ``i``, ``d_i`` the row's squared
      distance to its centre), for the ``n_insert`` best candidate rows ``q``;
    * **deletion**: from the best partition at ``k + 1``, drop one centre, for the
      ``n_delete`` centres whose removal costs least (each row of the dropped cluster moves to
      its second-nearest centre).

    The optima of neighbouring ``k`` often differ by one group split off or joined back
    (k = 4..7 here); the coarse starts find the optima that regroup many whole groups at
    once (k = 9, 11 and 12 here). Each start built from a neighbour runs Lloyd and Hartigan
    moves like a start of :func:`fit_best_kmeans`, and replaces the partition at ``k`` when
    its inertia is lower (by more than ``INERTIA_RTOL``, relative). Sweeps (insertions
    upwards, deletions downwards) repeat until one changes nothing, at most ``max_sweeps``
    times. A changed partition is polished and put in canonical order exactly as
    :func:`fit_best_kmeans` does.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Data, already scaled.
    ks : sequence of int
        Numbers of clusters (each >= 1 and at most the number of distinct rows).
    random_state, n_init, n_merge_init, max_iter
        As for :func:`fit_best_kmeans`, at each ``k`` (the same ``random_state`` for every
        ``k``); ``random_state`` also draws the insertion candidates when ``X`` has more than
        256 rows.
    init_center_sets : mapping of int to array of shape (k, n_features), optional
        One extra start per ``k`` (for example the Ward cut at ``k``).
    n_insert, n_delete : int, default=3
        Insertion and deletion starts per ``k`` and sweep.
    max_sweeps : int, default=10
        Upper bound on the sweeps.
    micro_sizes : sequence of int, default=(40, 64)
        Number of micro-clusters of each summary for the coarse starts (a size that is not
        above ``k``, or not below the number of distinct rows, is skipped for that ``k``);
        empty: no coarse starts.
    n_coarse_init : int, default=250
        Weighted k-means++ seedings per summary and ``k``.
    n_coarse_keep : int, default=2
        Best distinct coarse partitions per summary and ``k`` that become starts.

    Returns
    -------
    dict of int to KMeansResult
        In ``ks`` order. ``n_starts`` counts every start tried at that ``k`` (its own and the
        insertion and deletion starts of every sweep), ``n_starts_at_best`` those within
        ``INERTIA_RTOL`` of the returned inertia.
    """
    X = _check_matrix(X)
    ks = sorted({_check_int(k, "k", minimum=1) for k in ks})
    n_coarse_init = _check_int(n_coarse_init, "n_coarse_init", minimum=1)
    n_coarse_keep = _check_int(n_coarse_keep, "n_coarse_keep", minimum=1)
    init_center_sets = init_center_sets or {}
    coarse = _coarse_starts(
        X,
        ks,
        micro_sizes=[_check_int(m, "micro_sizes", minimum=2) for m in micro_sizes],
        n_starts=n_coarse_init,
        n_keep=n_coarse_keep,
        random_state=random_state,
        max_iter=max_iter,
    )
    results: dict[int, KMeansResult] = {}
    for k in ks:
        starts = [init_center_sets[k]] if k in init_center_sets else []
        starts += coarse[k]
        results[k] = fit_best_kmeans(
            X,
            k,
            random_state=random_state,
            n_init=n_init,
            n_merge_init=n_merge_init,
            init_center_sets=starts,
            max_iter=max_iter,
        )
    extra = {k: [] for k in ks}  # inertias of the insertion and deletion starts at each k
    candidates = _insertion_candidates(X.shape[0], random_state)
    # A start built from an unchanged neighbour would repeat one already tried: each k's
    # insertion (deletion) starts run again only after the partition at k - 1 (k + 1) changed.
    version = dict.fromkeys(ks, 0)
    inserted_from: dict[int, int] = {}
    deleted_from: dict[int, int] = {}
    for _ in range(max_sweeps):
        changed = False
        for k in ks:
            if k - 1 in results and inserted_from.get(k) != version[k - 1]:
                inserted_from[k] = version[k - 1]
                starts = _insertion_starts(X, results[k - 1], candidates, n_insert)
                if _try_starts(X, k, starts, results, extra, max_iter):
                    version[k] += 1
                    changed = True
        for k in reversed(ks):
            if k + 1 in results and deleted_from.get(k) != version[k + 1]:
                deleted_from[k] = version[k + 1]
                starts = _deletion_starts(X, results[k + 1], n_delete)
                if _try_starts(X, k, starts, results, extra, max_iter):
                    version[k] += 1
                    changed = True
        if not changed:
            break
    return {k: _with_neighbour_counts(results[k], extra[k]) for k in ks}


def _insertion_candidates(n_samples: int, random_state: int) -> np.ndarray:
    """Rows that may become the new centre of an insertion start: all, or a seeded sample."""
    if n_samples <= _MAX_INSERT_CANDIDATES:
        return np.arange(n_samples)
    rng = np.random.default_rng(np.random.SeedSequence([random_state, 0x1A5E]))
    return np.sort(rng.choice(n_samples, size=_MAX_INSERT_CANDIDATES, replace=False))


def _insertion_starts(
    X: np.ndarray, result: KMeansResult, candidates: np.ndarray, n_insert: int
) -> list[np.ndarray]:
    """``result``'s centres plus one candidate row, for the ``n_insert`` rows of largest gain."""
    d1 = nearest_center(X, result.centers).squared_distances
    points = X[candidates]
    point_norms = np.einsum("ij,ij->i", points, points)
    gain = np.zeros(candidates.size)
    # Only a ranking of the candidates: distances from matrix products are precise enough.
    for start in range(0, X.shape[0], _CHUNK_ROWS):
        rows = X[start : start + _CHUNK_ROWS]
        row_norms = np.einsum("ij,ij->i", rows, rows)
        to_candidates = point_norms[:, None] + row_norms[None, :] - 2.0 * (points @ rows.T)
        gain += np.maximum(d1[start : start + _CHUNK_ROWS][None, :] - to_candidates, 0.0).sum(1)
    best = candidates[np.argsort(-gain, kind="stable")[:n_insert]]
    return [np.vstack([result.centers, X[q]]) for q in best]


def _deletion_starts(X: np.ndarray, result: KMeansResult, n_delete: int) -> list[np.ndarray]:
    """``result``'s centres minus one, for the ``n_delete`` cheapest removals."""
    k = result.centers.shape[0]
    if k < 2:
        return []
    dist = squared_distances(X, result.centers)  # (k, n)
    own = dist[result.labels, np.arange(X.shape[0])]
    dist[result.labels, np.arange(X.shape[0])] = np.inf
    cost = np.bincount(result.labels, weights=dist.min(axis=0) - own, minlength=k)
    cheapest = np.argsort(cost, kind="stable")[:n_delete]
    return [np.delete(result.centers, j, axis=0) for j in cheapest]


def _try_starts(
    X: np.ndarray,
    k: int,
    starts: list[np.ndarray],
    results: dict[int, KMeansResult],
    extra: dict[int, list[float]],
    max_iter: int,
) -> bool:
    """Run ``starts`` at ``k``; keep the best when it beats ``results[k]``. True if it did."""
    if not starts:
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        with limit_threads(1, "openmp"):
            best, inertias = _multistart(
                X,
                k,
                seeds=np.zeros(0, dtype=np.int64),
                n_init=0,
                n_merge_init=0,
                oversample=1,
                init_center_sets=starts,
                max_iter=max_iter,
                tol=1e-6,
                n_keep=1,
            )
    extra[k].extend(inertias)
    current = results[k]
    if not best or best[0].inertia >= current.inertia * (1 - INERTIA_RTOL):
        return False
    labels, centers = _finalize(X, best[0].centers, best[0].labels, max_iter)
    results[k] = KMeansResult(
        labels=labels,
        centers=centers,
        inertia=within_cluster_sum_of_squares(X, labels, centers),
        n_starts=current.n_starts,
        n_starts_at_best=0,  # no start of its own search reached it
        strategy=current.strategy,
        seconds=current.seconds,
    )
    return True


def _with_neighbour_counts(result: KMeansResult, inertias: list[float]) -> KMeansResult:
    """``result`` with the insertion and deletion starts added to its start counts."""
    at_best = sum(v <= result.inertia * (1 + INERTIA_RTOL) for v in inertias)
    return KMeansResult(
        labels=result.labels,
        centers=result.centers,
        inertia=result.inertia,
        n_starts=result.n_starts + len(inertias),
        n_starts_at_best=result.n_starts_at_best + at_best,
        strategy=result.strategy,
        seconds=result.seconds,
    )


# --------------------------------------------------------------------------------------------
# Coarse starts: k-means of weighted micro-clusters, many seedings at once
# --------------------------------------------------------------------------------------------


def _coarse_starts(
    X: np.ndarray,
    ks: Sequence[int],
    *,
    micro_sizes: Sequence[int],
    n_starts: int,
    n_keep: int,
    random_state: int,
    max_iter: int,
) -> dict[int, list[np.ndarray]]:
    """Centre sets for every ``k``: the best partitions of micro-cluster summaries of ``X``.

    For each size ``m`` in ``micro_sizes`` (in order), ``X`` is clustered into ``m``
    micro-clusters (one k-means++ start, Lloyd); at every ``k < m`` the weighted micro-cluster
    means are partitioned ``n_starts`` times (:func:`_weighted_seed_labels`, then
    :func:`_weighted_hartigan`) and the ``n_keep`` lowest distinct partitions give centre sets:
    the means of the rows of their micro-clusters. Each size draws from its own stream of
    ``random_state``.
    """
    starts: dict[int, list[np.ndarray]] = {k: [] for k in ks}
    n_distinct = count_distinct_rows(X, enough=max(micro_sizes, default=0) + 1)
    for level, n_micro in enumerate(micro_sizes):
        if n_micro >= n_distinct or not any(k < n_micro for k in ks):
            continue
        rng = np.random.default_rng(np.random.SeedSequence([random_state, 0xC0A5, level]))
        seed = int(rng.integers(2**31 - 1))
        fine = _LloydData(X).run(n_micro, "k-means++", seed=seed, max_iter=max_iter, tol=1e-6)
        weights, points = cluster_means(X, fine.labels.astype(np.int64), n_micro)
        present = weights > 0
        weights, points = weights[present].astype(np.float64), points[present]
        pairwise = squared_distances(points, points)  # the same for every k: computed once
        for k in ks:
            if not 1 < k < points.shape[0]:
                continue
            labels = _weighted_seed_labels(pairwise, weights, k, n_starts, rng)
            labels, costs = _weighted_hartigan(points, weights, labels, k, max_passes=max_iter)
            for row in _lowest_distinct(costs, n_keep):
                _, centers = cluster_means(points, labels[row], k, sample_weight=weights)
                starts[k].append(centers)
    return starts


def _weighted_seed_labels(
    pairwise: np.ndarray, weights: np.ndarray, k: int, n_starts: int, rng: np.random.Generator
) -> np.ndarray:
    """``n_starts`` weighted k-means++ seedings at once; each point's nearest seed.

    ``pairwise`` holds the squared distances between the points (symmetric, n x n).

    Returns labels of shape (n_starts, n_points): the index of the nearest of the ``k`` seeds
    (lowest on ties). A cluster is empty only when two seeds coincide; such a partition is
    left out by :func:`_weighted_hartigan`'s cost.
    """
    n_points = pairwise.shape[0]
    seeds = np.empty((n_starts, k), dtype=np.int64)
    seeds[:, 0] = rng.choice(n_points, size=n_starts, p=weights / weights.sum())
    nearest = pairwise[seeds[:, 0]]
    for j in range(1, k):
        mass = nearest * weights
        cumulative = np.cumsum(mass, axis=1)
        draw = rng.random(n_starts) * cumulative[:, -1]
        seeds[:, j] = np.minimum((cumulative < draw[:, None]).sum(axis=1), n_points - 1)
        nearest = np.minimum(nearest, pairwise[seeds[:, j]])
    return pairwise[seeds].argmin(axis=1)


def _weighted_hartigan(
    points: np.ndarray, weights: np.ndarray, labels: np.ndarray, k: int, *, max_passes: int
) -> tuple[np.ndarray, np.ndarray]:
    """Hartigan moves of weighted points, for many partitions at once (one per row of labels).

    Moving point ``p`` (weight ``w``) from cluster ``a`` (total weight ``W_a``, mean ``c_a``)
    to ``b`` changes the weighted sum of squares by ``w W_b / (W_b + w) |p - c_b|^2 -
    w W_a / (W_a - w) |p - c_a|^2``. Points are visited in order, each moved in every
    partition where its best move lowers the cost, until a pass moves nothing.

    Returns the new labels and each partition's weighted sum of squares around its means
    (infinite for a partition with an empty cluster, which is never kept as a start).
    """
    labels = labels.copy()
    n_starts, n_points = labels.shape
    batch = np.arange(n_starts)
    flat = (batch[:, None] * k + labels).ravel()
    totals = np.bincount(flat, np.tile(weights, n_starts), n_starts * k).reshape(n_starts, k)
    sums = np.stack(
        [
            np.bincount(flat, np.tile(weights * points[:, f], n_starts), n_starts * k)
            for f in range(points.shape[1])
        ],
        axis=-1,
    ).reshape(n_starts, k, -1)
    # The partitions are independent: one that a whole pass left unchanged is at its fixed
    # point, so later passes work on the others only (the same moves, less arithmetic).
    active = batch
    for _ in range(max_passes):
        if active.size == 0:
            break
        part_labels, part_totals, part_sums = labels[active], totals[active], sums[active]
        moved = _hartigan_pass(points, weights, part_labels, part_totals, part_sums)
        labels[active], totals[active], sums[active] = part_labels, part_totals, part_sums
        active = active[moved]
    with np.errstate(divide="ignore", invalid="ignore"):
        diff = (sums / totals[..., None])[batch[:, None], labels] - points
    costs = np.einsum("bnf,bnf->bn", diff, diff) @ weights
    costs[(totals <= 0).any(axis=1) | ~np.isfinite(costs)] = np.inf
    return labels, costs


def _hartigan_pass(
    points: np.ndarray,
    weights: np.ndarray,
    labels: np.ndarray,
    totals: np.ndarray,
    sums: np.ndarray,
) -> np.ndarray:
    """One pass of :func:`_weighted_hartigan`'s moves over every point, in place: ``labels``
    (partitions x points), each cluster's total weight ``totals`` and weighted sums ``sums``.

    Returns whether each partition moved a point."""
    batch = np.arange(labels.shape[0])
    moved = np.zeros(labels.shape[0], dtype=bool)
    for i in range(points.shape[0]):
        w, p = weights[i], points[i]
        with np.errstate(divide="ignore", invalid="ignore"):  # an empty cluster: NaN
            diff = sums / totals[..., None] - p
        dist = np.einsum("bkf,bkf->bk", diff, diff)
        own = labels[:, i]
        own_total = totals[batch, own]
        with np.errstate(divide="ignore", invalid="ignore"):
            remove = np.where(
                own_total > w, w * own_total / (own_total - w) * dist[batch, own], -np.inf
            )
        add = w * totals / (totals + w) * dist
        add[batch, own] = np.inf
        target = add.argmin(axis=1)
        move = remove - add[batch, target] > _MOVE_RTOL * np.maximum(remove, 0.0)
        if move.any():
            rows, src, dst = batch[move], own[move], target[move]
            totals[rows, src] -= w
            totals[rows, dst] += w
            sums[rows, src] -= w * p
            sums[rows, dst] += w * p
            labels[rows, i] = dst
            moved |= move
    return moved


def _lowest_distinct(costs: np.ndarray, n_keep: int) -> list[int]:
    """Rows of the ``n_keep`` lowest costs that are more than ``INERTIA_RTOL`` apart."""
    kept: list[int] = []
    for row in np.argsort(costs, kind="stable"):
        if not np.isfinite(costs[row]):
            break  # sorted: only partitions with an empty cluster are left
        if all(abs(costs[row] - costs[r]) > INERTIA_RTOL * costs[r] for r in kept):
            kept.append(int(row))
            if len(kept) == n_keep:
                break
    return kept
