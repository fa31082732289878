"""Stable segment ids.

Clustering algorithms number their clusters arbitrarily. The project numbers segments by a
rule that depends only on the partition, so that segment 1 means the same group across builds,
seeds and thread counts:

1. larger segments first (more customers);
2. among equal sizes, the segment whose centre is lexicographically smaller (compare the first
   feature's mean, then the second, ...) comes first.
"""

from __future__ import annotations

import numpy as np


def segment_order(sizes: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """Positions of the segments sorted by the stable-id rule.

    Parameters
    ----------
    sizes : array of shape (k,)
        Customers per segment.
    centers : array of shape (k, p)
        Mean feature vector per segment.

    Returns
    -------
    numpy.ndarray of shape (k,)
        ``order[i]`` is the current label of the segment that gets id ``i + 1``.
    """
    sizes = np.asarray(sizes)
    centers = np.asarray(centers, dtype=np.float64)
    if centers.ndim != 2 or centers.shape[0] != sizes.shape[0]:
        raise ValueError("centers must have one row per segment size")
    # np.lexsort sorts by the last key first: centre coordinates from the last feature to the
    # first, then size (negated for descending) as the primary key.
    keys = [centers[:, j] for j in range(centers.shape[1] - 1, -1, -1)]
    keys.append(-sizes)
    return np.lexsort(keys)


def weighted_centers(
    labels: np.ndarray, X: np.ndarray, n_clusters: int, sample_weight: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Sizes (summed weights) and weighted mean rows of each label 0..n_clusters-1."""
    labels = np.asarray(labels)
    weight = np.ones(labels.shape[0]) if sample_weight is None else np.asarray(sample_weight, float)
    sizes = np.bincount(labels, weights=weight, minlength=n_clusters)
    sums = np.zeros((n_clusters, X.shape[1]))
    np.add.at(sums, labels, X * weight[:, None])
    with np.errstate(invalid="ignore", divide="ignore"):
        centers = sums / sizes[:, None]
    return sizes, centers


def stable_segment_ids(
    labels: np.ndarray, X: np.ndarray, n_clusters: int, sample_weight: np.ndarray | None = None
) -> np.ndarray:
    """Relabel 0-based cluster labels to 1-based segment ids by the stable-id rule.

    Parameters
    ----------
    labels : array of shape (n,)
        Cluster label of each row, in 0..n_clusters-1.
    X : array of shape (n, p)
        The rows' features (standardised), used for the centre tie-break.
    n_clusters : int
    sample_weight : array of shape (n,), optional
        Customers each row stands for (micro-clusters); 1 each by default.

    Returns
    -------
    numpy.ndarray of shape (n,), int64, values 1..n_clusters
    """
    sizes, centers = weighted_centers(labels, X, n_clusters, sample_weight)
    order = segment_order(sizes, centers)
    new_id = np.empty(n_clusters, dtype=np.int64)
    new_id[order] = np.arange(1, n_clusters + 1)
    return new_id[np.asarray(labels)]
