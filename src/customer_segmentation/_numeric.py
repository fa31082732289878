"""Numeric building blocks shared by k-means, Ward and the pipeline.

One implementation of each:

* :func:`squared_distances` -- squared Euclidean distances of a block of rows to the centres,
  accumulated feature by feature, left to right, in float64 (the order in which a SQL
  expression ``(x1 - c1) * (x1 - c1) + (x2 - c2) * (x2 - c2) + ...`` is evaluated);
* :func:`nearest_center` -- the nearest centre of every row, either exactly (with that
  distance) or fast (float32 matrix products, for micro-clusters that need no exact boundary);
* :func:`cluster_sums` / :func:`cluster_means` -- per-cluster (weighted) sizes and sums;
* :func:`lloyd` -- Lloyd's iterations from given centres (or labels);
* :func:`count_distinct_rows` -- how many distinct rows a matrix has;
* :func:`limit_threads` -- a cap on the BLAS / OpenMP thread pools for a block of code.

Everything here is deterministic: no random numbers, and results do not depend on the number
of threads. Inputs are assumed validated (finite float64 matrices of matching widths).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from threadpoolctl import ThreadpoolController

__all__ = [
    "LloydResult",
    "NearestCenters",
    "cluster_means",
    "cluster_sums",
    "count_distinct_rows",
    "limit_threads",
    "lloyd",
    "nearest_center",
    "squared_distances",
]

#: Rows per block of the exact distance kernel.
EXACT_BLOCK_ROWS = 8192
#: Rows per block of the float32 kernel: the (rows x centres) float32 score block
#: (1024 * 2000 * 4 bytes = 8 MB) stays in cache.
FAST_BLOCK_ROWS = 1024
#: Rows per block of the per-cluster sums.
SUM_BLOCK_ROWS = 65536
#: Blocks handed to a worker thread at a time.
_BLOCKS_PER_TASK = 64


def squared_distances(rows: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """Squared distances of ``m`` rows to ``k`` centres, summed feature by feature.

    Parameters
    ----------
    rows : ndarray of shape (m, p)
    centers : ndarray of shape (k, p)

    Returns
    -------
    dist : ndarray of shape (k, m), float64
        ``dist[j, i] = (x_i1 - c_j1) ** 2 + (x_i2 - c_j2) ** 2 + ...``, added left to right
        starting from 0. No BLAS call is involved.
    """
    return squared_distances_columns(np.ascontiguousarray(rows.T), centers)


def squared_distances_columns(columns: Sequence[np.ndarray], centers: np.ndarray) -> np.ndarray:
    """:func:`squared_distances` of rows given column by column (feature ``f`` in
    ``columns[f]``, each a 1-D float64 array of length ``m``): the same sums, bit for bit,
    without first building the row-major matrix.
    """
    n_rows = len(columns[0])
    dist = np.zeros((centers.shape[0], n_rows))
    tmp = np.empty(n_rows)
    for j, center in enumerate(centers):
        row = dist[j]
        for f, value in enumerate(center):
            np.subtract(columns[f], value, out=tmp)
            np.multiply(tmp, tmp, out=tmp)
            row += tmp
    return dist


@functools.cache
def _threadpool_controller() -> ThreadpoolController:
    """The process's BLAS and OpenMP libraries, inspected once.

    ``threadpoolctl.threadpool_limits`` inspects every loaded library again at each call
    (6-9 ms here), and the k-means searches set a limit around every start set: 20 times in
    int_segment_stability, 32 in int_k_selection. A library loaded later would not be
    seen, so scikit-learn's OpenMP runtime (the pool the searches limit) is loaded first;
    numpy's BLAS is loaded with numpy.
    """
    import sklearn.cluster  # noqa: F401, PLC0415 -- loads scikit-learn's OpenMP runtime

    return ThreadpoolController()


def limit_threads(limits: int | None, user_api: str | None = None):
    """Context manager: at most ``limits`` threads in the ``user_api`` pools (``"blas"``,
    ``"openmp"``, or ``None`` for both) while it is open, as ``threadpool_limits`` does;
    ``limits=None`` changes nothing."""
    return _threadpool_controller().limit(limits=limits, user_api=user_api)


@dataclass(frozen=True)
class NearestCenters:
    """Outcome of :func:`nearest_center`.

    Attributes
    ----------
    labels : ndarray of shape (n,), dtype int64
        Index of the nearest centre of each row (the lowest index on ties).
    squared_distances : ndarray of shape (n,), float64, or None
        Squared distance to that centre (exact kernel only).
    n_ties : int or None
        Rows at exactly the same distance from two or more nearest centres (exact kernel
        only).
    """

    labels: np.ndarray
    squared_distances: np.ndarray | None
    n_ties: int | None


def _run_in_blocks(
    n_rows: int, block_rows: int, work: Callable[[int, int], None], n_threads: int
) -> None:
    """Call ``work(lo, hi)`` on consecutive groups of whole blocks, in up to ``n_threads``."""
    group = block_rows * _BLOCKS_PER_TASK
    bounds = [(lo, min(lo + group, n_rows)) for lo in range(0, n_rows, group)]
    if n_threads <= 1 or len(bounds) <= 1:
        for lo, hi in bounds:
            work(lo, hi)
        return
    with ThreadPoolExecutor(max_workers=n_threads) as pool:
        for future in [pool.submit(work, lo, hi) for lo, hi in bounds]:
            future.result()


def _nearest_exact(X: np.ndarray, centers: np.ndarray, n_threads: int) -> NearestCenters:
    return _nearest_exact_blocks(
        X.shape[0], lambda start, stop: np.ascontiguousarray(X[start:stop].T), centers, n_threads
    )


def _nearest_exact_blocks(
    n_rows: int,
    block_columns: Callable[[int, int], Sequence[np.ndarray]],
    centers: np.ndarray,
    n_threads: int,
) -> NearestCenters:
    """The exact kernel over rows ``start:stop`` handed out as columns by ``block_columns``."""
    labels = np.empty(n_rows, dtype=np.int64)
    min_dist = np.empty(n_rows)
    ties = np.zeros(-(-n_rows // EXACT_BLOCK_ROWS), dtype=np.int64)

    def work(lo: int, hi: int) -> None:
        for start in range(lo, hi, EXACT_BLOCK_ROWS):
            stop = min(start + EXACT_BLOCK_ROWS, hi)
            dist = squared_distances_columns(block_columns(start, stop), centers)
            best = dist.argmin(axis=0)
            best_dist = dist[best, np.arange(dist.shape[1])]
            labels[start:stop] = best
            min_dist[start:stop] = best_dist
            if centers.shape[0] > 1:
                tied = (dist == best_dist).sum(axis=0) > 1
                ties[start // EXACT_BLOCK_ROWS] = np.count_nonzero(tied)

    _run_in_blocks(n_rows, EXACT_BLOCK_ROWS, work, n_threads)
    return NearestCenters(labels, min_dist, int(ties.sum()))


def _nearest_float32(X: np.ndarray, centers: np.ndarray, n_threads: int) -> NearestCenters:
    n_rows, p = X.shape
    # Score ||c||^2 - 2 x.c (= ||x - c||^2 - ||x||^2) as one product with an extra column, in
    # float32: twice the speed of float64.
    weights = np.empty((p + 1, centers.shape[0]), dtype=np.float32)
    weights[:p] = -2.0 * centers.T
    weights[p] = np.einsum("ij,ij->i", centers, centers)
    labels = np.empty(n_rows, dtype=np.int64)

    def work(lo: int, hi: int) -> None:
        augmented = np.ones((FAST_BLOCK_ROWS, p + 1), dtype=np.float32)
        for start in range(lo, hi, FAST_BLOCK_ROWS):
            stop = min(start + FAST_BLOCK_ROWS, hi)
            rows = augmented[: stop - start]
            rows[:, :p] = X[start:stop]
            np.argmin(rows @ weights, axis=1, out=labels[start:stop])

    # Single-threaded BLAS: the Python threads share the blocks (NumPy releases the GIL in
    # the product and the argmin), and every block is computed the same way.
    with limit_threads(1, "blas"):
        _run_in_blocks(n_rows, FAST_BLOCK_ROWS, work, n_threads)
    return NearestCenters(labels, None, None)


def nearest_center(
    X: np.ndarray, centers: np.ndarray, *, exact: bool = True, n_threads: int = 1
) -> NearestCenters:
    """Nearest centre of every row (squared Euclidean distance, lowest index on ties).

    Parameters
    ----------
    X : ndarray of shape (n, p), float64
        Rows.
    centers : ndarray of shape (k, p), float64
        Centres; row ``j`` is the centre of label ``j``.
    exact : bool, default=True
        ``True``: distances from :func:`squared_distances` (float64, feature by feature,
        blocks of ``EXACT_BLOCK_ROWS`` rows), so that SQL scoring reproduces the labels; the
        distances and the number of tied rows are returned too. ``False``: scores
        ``||c||^2 - 2 x.c`` from float32 matrix products in blocks of ``FAST_BLOCK_ROWS``
        rows, about ten times faster with thousands of centres; for micro-clusters, whose
        boundaries need not be exact.
    n_threads : int, default=1
        Python threads sharing the blocks. The result does not depend on it.

    Returns
    -------
    NearestCenters
        Labels, and with ``exact=True`` squared distances and the tie count.
    """
    if exact:
        return _nearest_exact(X, centers, n_threads)
    return _nearest_float32(X, centers, n_threads)


def nearest_center_columns(
    columns: Sequence[np.ndarray], centers: np.ndarray, *, n_threads: int = 1
) -> NearestCenters:
    """:func:`nearest_center` (exact kernel) of rows given column by column.

    ``columns[f]`` holds feature ``f`` of every row (1-D float64, C-contiguous, equal lengths).
    Labels, distances and ties are bit for bit those of ``nearest_center(np.column_stack(
    columns), centers)``, without the ``(n, p)`` copy: at 10 million customers that copy is
    1.1 GB of freshly allocated memory.
    """
    n_rows = len(columns[0])
    return _nearest_exact_blocks(
        n_rows, lambda start, stop: [column[start:stop] for column in columns], centers, n_threads
    )


def cluster_sums(
    X: np.ndarray,
    labels: np.ndarray,
    n_clusters: int,
    sample_weight: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-cluster sizes and (weighted) feature sums.

    Parameters
    ----------
    X : ndarray of shape (n, p)
    labels : ndarray of shape (n,), int
        Cluster of each row, in ``0 .. n_clusters - 1``.
    n_clusters : int
    sample_weight : ndarray of shape (n,), default=None
        Weight of each row; ``None`` counts every row once.

    Returns
    -------
    sizes : ndarray of shape (n_clusters,)
        Rows per cluster (int64), or summed weights (float64) with ``sample_weight``.
    sums : ndarray of shape (n_clusters, p), float64
        Sum of the (weighted) rows of each cluster. Rows are added in order within blocks of
        ``SUM_BLOCK_ROWS``, and the block totals in block order.
    """
    if sample_weight is None:
        sizes = np.bincount(labels, minlength=n_clusters).astype(np.int64)
    else:
        sizes = np.bincount(labels, weights=sample_weight, minlength=n_clusters)
    sums = np.zeros((n_clusters, X.shape[1]))
    for start in range(0, X.shape[0], SUM_BLOCK_ROWS):
        rows = slice(start, start + SUM_BLOCK_ROWS)
        block, block_labels = X[rows], labels[rows]
        for f in range(X.shape[1]):
            column = block[:, f] if sample_weight is None else block[:, f] * sample_weight[rows]
            sums[:, f] += np.bincount(block_labels, weights=column, minlength=n_clusters)
    return sizes, sums


def cluster_means(
    X: np.ndarray,
    labels: np.ndarray,
    n_clusters: int,
    sample_weight: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-cluster sizes and (weighted) means; an empty cluster's mean is a row of NaN."""
    sizes, sums = cluster_sums(X, labels, n_clusters, sample_weight)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums / sizes[:, None]
    return sizes, means


@dataclass(frozen=True)
class LloydResult:
    """Outcome of :func:`lloyd`.

    Attributes
    ----------
    labels : ndarray of shape (n,), dtype int64
        Nearest centre of each row for ``centers`` -- except after a stop on ``tol``, where
        they are the labels whose means ``centers`` are.
    centers : ndarray of shape (k, p)
        The last centres: the member means of the previous labels.
    sizes : ndarray of shape (k,)
        Rows (or summed weights) per cluster of ``labels``.
    n_ties : int or None
        Rows tied between nearest centres in the last assignment (exact kernel only).
    converged : bool
        Whether the labels stopped changing (or the shift fell below ``tol``) within
        ``max_iter`` iterations.
    """

    labels: np.ndarray
    centers: np.ndarray
    sizes: np.ndarray
    n_ties: int | None
    converged: bool


def _shift_threshold(X: np.ndarray, sample_weight: np.ndarray | None, tol: float) -> float:
    """``tol`` times the (weighted) variance of ``X`` summed over the features."""
    mean = np.average(X, axis=0, weights=sample_weight)
    return tol * float(np.average((X - mean) ** 2, axis=0, weights=sample_weight).sum())


def lloyd(
    X: np.ndarray,
    centers: np.ndarray,
    *,
    max_iter: int,
    labels: np.ndarray | None = None,
    sample_weight: np.ndarray | None = None,
    tol: float | None = None,
    relocate_empty: bool = True,
    exact: bool = True,
    n_threads: int = 1,
) -> LloydResult:
    """Lloyd's algorithm: alternate member means and nearest-centre labels.

    Each iteration replaces the centres by the (weighted) member means of the labels, then
    relabels every row with :func:`nearest_center`. It stops when the labels no longer
    change, when ``tol`` is given and the squared centre shift summed over clusters is at
    most ``tol`` times the summed (weighted) variance of the features, or after ``max_iter``
    iterations.

    Parameters
    ----------
    X : ndarray of shape (n, p), float64
    centers : ndarray of shape (k, p), float64
        Initial centres.
    max_iter : int
        Maximum number of iterations (mean updates).
    labels : ndarray of shape (n,), default=None
        Initial labels; when given (and, with ``relocate_empty``, none of the ``k`` clusters is
        empty in them) the first means are theirs, otherwise those of the nearest-centre
        labels of ``centers``.
    sample_weight : ndarray of shape (n,), default=None
        Weight of each row in the means (``None``: one each).
    tol : float, default=None
        Relative tolerance on the centre shift; ``None`` runs until the labels are stable.
    relocate_empty : bool, default=True
        ``True``: an empty cluster is re-seeded with the row farthest from its nearest centre
        (lowest row index on ties, as scikit-learn does), and the labels count as stable only
        when no cluster is empty; needs ``exact=True``. ``False``: an empty cluster keeps
        its centre.
    exact, n_threads
        Passed to :func:`nearest_center`.

    Returns
    -------
    LloydResult
    """
    if relocate_empty and not exact:
        raise ValueError("relocate_empty needs the exact kernel's distances")
    n_clusters = centers.shape[0]
    threshold = None if tol is None else _shift_threshold(X, sample_weight, tol)
    distances, n_ties = None, None
    if labels is None or (relocate_empty and np.bincount(labels, minlength=n_clusters).min() == 0):
        nearest = nearest_center(X, centers, exact=exact, n_threads=n_threads)
        labels, distances, n_ties = nearest.labels, nearest.squared_distances, nearest.n_ties
    for _ in range(max_iter):
        sizes, means = cluster_means(X, labels, n_clusters, sample_weight)
        empty = np.flatnonzero(sizes == 0)
        if empty.size:
            if relocate_empty:
                means[empty] = X[np.argsort(-distances, kind="stable")[: empty.size]]
            else:
                means[empty] = centers[empty]
        shift = None if threshold is None else float(((means - centers) ** 2).sum())
        centers = means
        if shift is not None and shift <= threshold:
            return LloydResult(labels, centers, sizes, n_ties, True)
        nearest = nearest_center(X, centers, exact=exact, n_threads=n_threads)
        stable = np.array_equal(nearest.labels, labels) and not (relocate_empty and empty.size)
        labels, distances, n_ties = nearest.labels, nearest.squared_distances, nearest.n_ties
        if stable:
            return LloydResult(labels, centers, sizes, n_ties, True)
    sizes = cluster_sums(X, labels, n_clusters, sample_weight)[0]
    return LloydResult(labels, centers, sizes, n_ties, False)


def count_distinct_rows(X: np.ndarray, *, enough: int | None = None) -> int:
    """Number of distinct rows of ``X``, or any number >= ``enough`` once that is certain.

    ``0.0`` and ``-0.0`` count as the same value (they are equal, and k-means cannot tell them
    apart). Growing prefixes (8,192 rows, then eight times more each round) are checked first,
    so a large matrix with plenty of distinct rows is not sorted whole.

    Parameters
    ----------
    X : ndarray of shape (n, p)
        Finite values.
    enough : int, default=None
        Stop as soon as this many distinct rows are found; ``None`` counts them all.

    Returns
    -------
    int
        The exact count when it is below ``enough`` (or ``enough`` is ``None``).
    """
    n_rows = X.shape[0]
    size = min(n_rows, EXACT_BLOCK_ROWS)
    while True:
        prefix = np.ascontiguousarray(X[:size]) + 0.0  # -0.0 -> 0.0, so bytes agree with ==
        rows = prefix.view(np.dtype((np.void, prefix.dtype.itemsize * prefix.shape[1]))).ravel()
        distinct = len(np.unique(rows))
        if (enough is not None and distinct >= enough) or size >= n_rows:
            return distinct
        size = min(n_rows, size * 8)
