"""How good is a segmentation, how many segments, how reproducible: the quality figures.

Three questions an analyst asks before acting on segments, answered on a seeded sample so that
the cost does not grow with the number of customers:

* **How many segments?** :func:`k_selection_table` scores every ``k`` of a range with the
  package's best k-means (inertia, silhouette, Davies-Bouldin, Calinski-Harabasz) and with the
  Ward dendrogram (the gap between merge heights around ``k``), finds the elbow of the inertia
  curve with :func:`knee_point`, and says which ``k`` each criterion favours.
  :func:`choose_k` applies the ``n_segments: auto`` rule (the largest Ward gap beyond the
  split in two, :data:`AUTO_RULE`).
* **How reproducible is each segment?** :func:`bootstrap_stability` refits k-means on seeded
  bootstrap resamples and reports, per segment, the mean Jaccard similarity of its best match.

:func:`k_selection_table` also keeps each k's best centres (:data:`CENTERS_COLUMN`, JSON written
by :func:`centers_to_json`): ``int_kmeans_fit`` reads them back with :func:`centers_from_json` and
starts from them at the build's k, so the published fit is never worse than the partition
int_k_selection found on the same customers.

* **Do the two methods agree?** :func:`method_agreement` scores the k-means partition against
  Ward's with scikit-learn's adjusted Rand index and normalised mutual information, from the
  k-means x Ward cell counts (``int_segment_pair_counts``), so only k x k numbers leave the
  warehouse.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import (
    adjusted_rand_score,
    calinski_harabasz_score,
    davies_bouldin_score,
    normalized_mutual_info_score,
)

from customer_segmentation import hierarchical, kmeans

__all__ = [
    "AUTO_RULE",
    "CENTERS_COLUMN",
    "CRITERIA",
    "bootstrap_stability",
    "centers_from_json",
    "centers_to_json",
    "choose_k",
    "k_selection_table",
    "knee_distances",
    "knee_point",
    "method_agreement",
    "seeded_sample_rows",
    "silhouette",
]

#: The criteria of :func:`k_selection_table`, each with the direction it prefers.
CRITERIA = {
    "elbow": "knee of the inertia curve (largest distance to the chord)",
    "silhouette": "highest mean silhouette",
    "davies_bouldin": "lowest Davies-Bouldin index",
    "calinski_harabasz": "highest Calinski-Harabasz index",
    "ward_gap": "largest gap between Ward merge heights",
}

#: The ``n_segments: auto`` rule, in words (docs/methodology.md and the model description say
#: the same).
AUTO_RULE = (
    "the k with the largest Ward merge-height gap in the k range, k = 2 left out when the "
    "range goes beyond it (the dendrogram cut across its longest vertical lines, the classic "
    "way to read k off a dendrogram; ties go to the smaller k)"
)


#: Column of the int_k_selection table holding each k's best centres as JSON (internal: read by
#: int_kmeans_fit, not published in mart_k_selection).
CENTERS_COLUMN = "best_centers_json"
#: What to do about a missing or malformed CENTERS_COLUMN (every such error ends with it).
REBUILD_K_SELECTION = "rebuild int_k_selection (dbt build --select int_k_selection+)"


def centers_to_json(centers: np.ndarray, features: Sequence[str]) -> str:
    """The :data:`CENTERS_COLUMN` text of one k: ``{"features": [...], "centers": [[...], ...]}``.

    Parameters
    ----------
    centers : ndarray of shape (k, p)
        Cluster centres in standardised units, one row per cluster.
    features : sequence of str
        The ``p`` feature names, in the order of the columns of ``centers`` (the order of the
        ``segmentation_features`` var). Stored so that a reader can tell a table built with
        other features from a malformed one.

    Returns
    -------
    str
        Compact JSON. Floats are written with Python's shortest round-trip repr, so
        :func:`centers_from_json` gives back the very same float64 values.
    """
    centers = np.asarray(centers, dtype=np.float64)
    features = [str(f) for f in features]
    if centers.ndim != 2 or centers.shape[1] != len(features):
        raise ValueError(f"centers must have shape (k, {len(features)}), got {centers.shape}")
    if not np.isfinite(centers).all():
        raise ValueError("centers contain non-finite values")
    return json.dumps(
        {"features": features, "centers": centers.tolist()}, separators=(",", ":"), allow_nan=False
    )


def centers_from_json(
    text: object, features: Sequence[str], n_clusters: int, *, where: str = CENTERS_COLUMN
) -> np.ndarray:
    """Read and check one :data:`CENTERS_COLUMN` value written by :func:`centers_to_json`.

    Parameters
    ----------
    text : str
        The stored JSON.
    features : sequence of str
        The features of the build reading it; they must be the ones the centres were written
        with, in the same order.
    n_clusters : int
        The number of centres expected (the ``n_clusters`` of the row).
    where : str
        Names the table, column and row in error messages.

    Returns
    -------
    ndarray of shape (n_clusters, len(features)), float64, all finite

    Raises
    ------
    ValueError
        With a message starting with ``where`` when the value is missing or not that JSON,
        was written for other features, or the centres are not ``n_clusters`` finite rows of
        ``len(features)`` numbers.
    """
    features = [str(f) for f in features]
    rebuild = f"; {REBUILD_K_SELECTION}"
    if not isinstance(text, str):
        raise ValueError(f"{where} is missing (got {text!r}){rebuild}")
    try:
        parsed = json.loads(text)
    except ValueError as error:
        raise ValueError(f"{where} is not valid JSON ({error}){rebuild}") from None
    if not isinstance(parsed, dict) or not {"features", "centers"} <= parsed.keys():
        raise ValueError(
            f"{where} must be a JSON object with keys 'features' and 'centers'{rebuild}"
        )
    if parsed["features"] != features:
        raise ValueError(
            f"{where} was written for features {parsed['features']}, but this build segments "
            f"on {features}{rebuild}"
        )
    rows = parsed["centers"]
    if not isinstance(rows, list) or not all(
        isinstance(row, list) and all(_is_number(v) for v in row) for row in rows
    ):
        raise ValueError(f"{where}: 'centers' is not a list of rows of numbers{rebuild}")
    lengths = sorted({len(row) for row in rows})
    if len(rows) != n_clusters or lengths != [len(features)]:
        raise ValueError(
            f"{where}: 'centers' has {len(rows)} row(s) of length {lengths}, expected "
            f"{n_clusters} (n_clusters) of length {len(features)} (features){rebuild}"
        )
    try:
        centers = np.array(rows, dtype=np.float64)
    except OverflowError:  # a JSON integer beyond float range
        raise ValueError(
            f"{where}: 'centers' holds a number too large for a float{rebuild}"
        ) from None
    if not np.isfinite(centers).all():
        raise ValueError(f"{where}: 'centers' contains non-finite values{rebuild}")
    return centers


def _is_number(value: object) -> bool:
    """An int or float as JSON decodes numbers (``true``/``false`` and strings are not)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def seeded_sample_rows(n_rows: int, sample_size: int, random_state: int) -> np.ndarray:
    """Sorted row positions of a seeded uniform sample without replacement (all when small).

    Parameters
    ----------
    n_rows : int
        Rows available.
    sample_size : int
        Rows wanted; every row is returned when ``n_rows <= sample_size``.
    random_state : int
        Seed; the same seed and sizes give the same rows.

    Returns
    -------
    numpy.ndarray of int64
    """
    if n_rows <= sample_size:
        return np.arange(n_rows, dtype=np.int64)
    rng = np.random.default_rng(np.random.SeedSequence([random_state, 0x5A3]))
    return np.sort(rng.choice(n_rows, size=sample_size, replace=False)).astype(np.int64)


def knee_distances(x: Sequence[float], y: Sequence[float]) -> np.ndarray:
    """Each point's distance to the chord joining the curve's ends, both axes scaled to [0, 1].

    The largest one is the knee (:func:`knee_point`); its size says how sharp the knee is
    (0 for a straight line; at most 1/sqrt(2)).

    Parameters
    ----------
    x, y : sequences of float of equal length (at least 1)
        The curve, ``x`` increasing.

    Returns
    -------
    numpy.ndarray of float, zeros when fewer than three points or a flat curve.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1 or x.size == 0:
        raise ValueError("x and y must be 1-D and of the same, non-zero length")
    if x.size < 3 or np.ptp(y) == 0 or np.ptp(x) == 0:
        return np.zeros(x.size)
    xs = (x - x.min()) / np.ptp(x)
    ys = (y - y.min()) / np.ptp(y)
    dx, dy = xs[-1] - xs[0], ys[-1] - ys[0]
    return np.abs(dy * (xs - xs[0]) - dx * (ys - ys[0])) / np.hypot(dx, dy)


def knee_point(x: Sequence[float], y: Sequence[float]) -> float:
    """The knee (elbow) of a curve: the point farthest from the chord joining its ends.

    Both axes are first scaled to [0, 1] so that the units do not matter. For a decreasing
    convex curve such as inertia against ``k`` this is where adding segments stops paying off.

    Parameters
    ----------
    x, y : sequences of float of equal length (at least 1)
        The curve, ``x`` increasing.

    Returns
    -------
    float
        The ``x`` of the knee; the first ``x`` when fewer than three points or a flat curve.
        Ties go to the smaller ``x``.
    """
    distance = knee_distances(x, y)
    return float(np.asarray(x, dtype=np.float64)[int(np.argmax(distance))])


def _distance_blocks(X: np.ndarray, chunk_rows: int = 1024) -> list[np.ndarray]:
    """Euclidean distances of every row to every row, in blocks of ``chunk_rows`` rows.

    One matrix product per block: ``sqrt(max(|x|^2 + |y|^2 - 2 x.y, 0))``. The blocks do not
    depend on the labels, so :func:`k_selection_table` computes them once for every k.
    """
    X = np.asarray(X, dtype=np.float64)
    squared_norms = np.einsum("ij,ij->i", X, X)
    blocks = []
    for start in range(0, X.shape[0], chunk_rows):
        rows = slice(start, start + chunk_rows)
        squared = squared_norms[rows, None] + squared_norms[None, :] - 2.0 * (X[rows] @ X.T)
        blocks.append(np.sqrt(np.maximum(squared, 0.0)))
    return blocks


def silhouette(
    X: np.ndarray,
    labels: np.ndarray,
    *,
    chunk_rows: int = 1024,
    distance_blocks: Sequence[np.ndarray] | None = None,
) -> float:
    """Mean silhouette coefficient of a partition (same definition as scikit-learn's).

    For each row, ``a`` is its mean distance to the other rows of its cluster and ``b`` the
    lowest mean distance to the rows of another cluster; its silhouette is
    ``(b - a) / max(a, b)``, 0 for a row alone in its cluster. Distances come from one matrix
    product per chunk of rows and per-cluster sums from a product with the one-hot label
    matrix, so the cost is ``O(n^2 (p + k))`` in BLAS with ``O(chunk_rows * n)`` memory (about
    ten times faster than ``sklearn.metrics.silhouette_score``, which loops over rows in Python).

    Parameters
    ----------
    X : ndarray of shape (n, p)
    labels : ndarray of shape (n,)
        Cluster of each row; at least two distinct values.
    chunk_rows : int, default=1024
    distance_blocks : sequence of ndarray, optional
        The distance blocks of ``X`` from :func:`_distance_blocks` with the same
        ``chunk_rows``, when the caller scores several partitions of the same rows (they are
        then not recomputed; the result is the same).

    Returns
    -------
    float
    """
    X = np.asarray(X, dtype=np.float64)
    _, codes, sizes = np.unique(labels, return_inverse=True, return_counts=True)
    codes = codes.reshape(-1)
    k = sizes.shape[0]
    if not 2 <= k <= X.shape[0] - 1:
        raise ValueError(f"silhouette needs 2..n-1 clusters, got {k} for {X.shape[0]} rows")
    one_hot = np.zeros((X.shape[0], k))
    one_hot[np.arange(X.shape[0]), codes] = 1.0
    if distance_blocks is None:
        distance_blocks = _distance_blocks(X, chunk_rows)
    scores = np.empty(X.shape[0])
    for block, start in zip(distance_blocks, range(0, X.shape[0], chunk_rows), strict=True):
        rows = slice(start, start + chunk_rows)
        distance_sums = block @ one_hot
        own = codes[rows]
        index = np.arange(own.shape[0])
        own_size = sizes[own]
        with np.errstate(invalid="ignore", divide="ignore"):
            a = distance_sums[index, own] / (own_size - 1)
            means = distance_sums / sizes[None, :]
        means[index, own] = np.inf
        b = means.min(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            chunk_scores = (b - a) / np.maximum(a, b)
        scores[rows] = np.where(own_size > 1, np.nan_to_num(chunk_scores), 0.0)
    return float(scores.mean())


def _favoured(ks: np.ndarray, values: np.ndarray, *, higher_is_better: bool) -> int | None:
    """The k with the best value (ties to the smaller k); None when every value is NaN."""
    finite = np.isfinite(values)
    if not finite.any():
        return None
    scores = np.where(finite, values if higher_is_better else -values, -np.inf)
    return int(ks[int(np.argmax(scores))])


def k_selection_table(
    X: np.ndarray,
    linkage: np.ndarray,
    ks: Sequence[int],
    *,
    random_state: int,
    silhouette_sample_size: int,
    n_init: int = 4,
    n_merge_init: int = 5,
    max_iter: int = 300,
    init_center_sets: Mapping[int, np.ndarray] | None = None,
    features: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Score every number of segments ``k`` in ``ks``.

    Parameters
    ----------
    X : ndarray of shape (n, p)
        The standardised features of the customers scored (a seeded sample on large inputs).
    linkage : ndarray of shape (m - 1, 4)
        The Ward tree of all customers (``int_ward_merges``); gives the merge-height gaps.
    ks : sequence of int
        Numbers of segments to score, each between 2 and the number of distinct rows of ``X``.
    random_state : int
        Seed of the k-means search and of the silhouette sample.
    silhouette_sample_size : int
        Rows used for the silhouette (quadratic cost); all when ``X`` is smaller.
    n_init, n_merge_init, max_iter : int
        Plain k-means++ starts, over-cluster-and-merge starts and Lloyd iterations of each
        k's search; the searches of all k run together, each helped by coarse starts and its
        neighbours' partitions (see :func:`customer_segmentation.kmeans.fit_best_kmeans_range`).
    init_center_sets : mapping of int to ndarray of shape (k, p), optional
        Extra start per ``k`` (the Ward cut at ``k`` is a good one).
    features : sequence of str, optional
        Names of the ``p`` columns of ``X``. When given, the table gets a
        :data:`CENTERS_COLUMN` column: the best partition's centres at each ``k``
        (:func:`centers_to_json`), for ``int_kmeans_fit`` to start from.

    Returns
    -------
    DataFrame
        One row per ``k``: ``n_clusters``, ``inertia`` (best k-means, on ``X``),
        ``n_starts``, ``n_starts_at_best``, ``silhouette``, ``davies_bouldin``,
        ``calinski_harabasz``, ``ward_merge_height``, ``ward_height_gap``, ``elbow_distance``
        (distance to the chord of the scaled inertia curve, see :func:`knee_distances`),
        ``is_elbow``, and
        ``favoured_by``: the comma-separated criteria (see :data:`CRITERIA`) whose best ``k``
        this is ('' for none); with ``features``, last, :data:`CENTERS_COLUMN`.
    """
    X = np.asarray(X, dtype=np.float64)
    if features is not None and len(features) != X.shape[1]:
        raise ValueError(f"{len(features)} feature names for {X.shape[1]} columns of X")
    ks = sorted({int(k) for k in ks})
    if not ks or ks[0] < 2:
        raise ValueError(f"every k must be at least 2, got {ks}")
    sil_rows = seeded_sample_rows(X.shape[0], silhouette_sample_size, random_state + 1)
    sil_distances = _distance_blocks(X[sil_rows])  # the same for every k: computed once
    rows = []
    best_centers = []
    fits = kmeans.fit_best_kmeans_range(
        X,
        ks,
        random_state=random_state,
        n_init=n_init,
        n_merge_init=n_merge_init,
        init_center_sets=init_center_sets,
        max_iter=max_iter,
    )
    for k in ks:
        result = fits[k]
        labels = result.labels
        best_centers.append(result.centers)
        sil_labels = labels[sil_rows]
        silhouette_value = (
            silhouette(X[sil_rows], sil_labels, distance_blocks=sil_distances)
            if 1 < len(np.unique(sil_labels)) < len(sil_labels)
            else np.nan
        )
        rows.append(
            {
                "n_clusters": k,
                "inertia": float(result.inertia),
                "n_starts": int(result.n_starts),
                "n_starts_at_best": int(result.n_starts_at_best),
                "silhouette": silhouette_value,
                "davies_bouldin": float(davies_bouldin_score(X, labels)),
                "calinski_harabasz": float(calinski_harabasz_score(X, labels)),
            }
        )
    table = pd.DataFrame(rows)
    gaps = hierarchical.merge_height_gaps(linkage, ks)
    table["ward_merge_height"] = gaps["merge_height"].to_numpy()
    table["ward_height_gap"] = gaps["gap"].to_numpy()
    k_values = table["n_clusters"].to_numpy()
    elbow = int(knee_point(k_values, table["inertia"].to_numpy()))
    table["elbow_distance"] = knee_distances(k_values, table["inertia"].to_numpy())
    table["is_elbow"] = k_values == elbow
    favourites = {
        "elbow": elbow,
        "silhouette": _favoured(k_values, table["silhouette"].to_numpy(), higher_is_better=True),
        "davies_bouldin": _favoured(
            k_values, table["davies_bouldin"].to_numpy(), higher_is_better=False
        ),
        "calinski_harabasz": _favoured(
            k_values, table["calinski_harabasz"].to_numpy(), higher_is_better=True
        ),
        "ward_gap": _favoured(k_values, table["ward_height_gap"].to_numpy(), higher_is_better=True),
    }
    table["favoured_by"] = [
        ", ".join(name for name, best in favourites.items() if best == k) for k in k_values
    ]
    if features is not None:
        table[CENTERS_COLUMN] = [centers_to_json(c, features) for c in best_centers]
    return table


def choose_k(table: pd.DataFrame) -> int:
    """The ``n_segments: auto`` choice from a :func:`k_selection_table`: see :data:`AUTO_RULE`.

    Why the Ward gap, and why not k = 2: the classic analysis reads k off the Ward dendrogram,
    where a cut across long vertical lines gives segments that stay apart over a wide range
    of merge heights. Ward merge heights grow with the size of the clusters merged, so the top
    merge is nearly always the tallest and the raw largest gap almost always says "two";
    a split in two is also rarely what a marketing team wants. The other criteria are no
    better defaults on one-hot channel and region features: silhouette, Davies-Bouldin and
    Calinski-Harabasz keep improving as k grows (each new segment isolates one more channel),
    and the elbow of the inertia curve is often shallow.
    """
    k_values = table["n_clusters"].to_numpy()
    gaps = table["ward_height_gap"].to_numpy(dtype=np.float64)
    beyond_two = k_values >= 3
    if beyond_two.any():
        k_values, gaps = k_values[beyond_two], gaps[beyond_two]
    chosen = _favoured(k_values, gaps, higher_is_better=True)
    if chosen is None:
        raise ValueError("no finite Ward merge-height gap in the k range; cannot choose k")
    return chosen


def method_agreement(
    first_labels: Sequence[int], second_labels: Sequence[int], counts: Sequence[int]
) -> dict[str, float | int | None]:
    """How far two partitions of the same customers agree, from their cross-tabulation.

    Parameters
    ----------
    first_labels, second_labels : sequence of int
        One entry per non-empty cell of the contingency table: the cell's segment in the first
        partition (k-means) and in the second (Ward).
    counts : sequence of int
        Customers in each cell (positive whole numbers).

    Returns
    -------
    dict
        ``customers`` (the sum of ``counts``), ``adjusted_rand_index`` and
        ``normalized_mutual_information`` (arithmetic mean of the two entropies), both from
        scikit-learn; both ``None`` when there are no customers. Both scores are invariant to
        the order of the customers, so expanding the cells back to one label pair per customer
        gives exactly the figures of the customer-level labels.
    """
    counts = np.asarray(counts)
    if counts.ndim != 1 or not np.issubdtype(counts.dtype, np.integer) or (counts < 1).any():
        raise ValueError("cell counts must be positive whole numbers, one per non-empty cell")
    first = np.repeat(np.asarray(first_labels), counts)
    second = np.repeat(np.asarray(second_labels), counts)
    customers = int(counts.sum())
    if customers == 0:
        return {"customers": 0, "adjusted_rand_index": None, "normalized_mutual_information": None}
    return {
        "customers": customers,
        "adjusted_rand_index": float(adjusted_rand_score(first, second)),
        "normalized_mutual_information": float(normalized_mutual_info_score(first, second)),
    }


def _best_match_jaccard(reference: np.ndarray, other: np.ndarray, n_clusters: int) -> np.ndarray:
    """For each reference cluster, the highest Jaccard similarity with any cluster of ``other``."""
    table = np.zeros((n_clusters, n_clusters), dtype=np.int64)
    np.add.at(table, (reference, other), 1)
    ref_sizes = table.sum(axis=1)[:, None]
    other_sizes = table.sum(axis=0)[None, :]
    union = ref_sizes + other_sizes - table
    with np.errstate(invalid="ignore", divide="ignore"):
        jaccard = np.where(union > 0, table / union, 0.0)
    return jaccard.max(axis=1)


def bootstrap_stability(
    X: np.ndarray,
    labels: np.ndarray,
    n_clusters: int,
    *,
    n_resamples: int,
    random_state: int,
    n_init: int = 2,
    n_merge_init: int = 3,
    max_iter: int = 300,
    recovered_jaccard: float = 0.75,
) -> pd.DataFrame:
    """Per segment, how reproducible it is under bootstrap resampling (Hennig's clusterboot).

    For each of ``n_resamples`` seeded bootstrap resamples (rows drawn with replacement), the
    package's k-means search is fitted from scratch on the resample, every row of ``X`` is
    assigned to the nearest of the new centres, and each original segment is matched with the
    new cluster of highest Jaccard similarity (shared rows / rows in either). A segment that
    the data really holds is found again (Jaccard near 1); one that is an artefact of the
    sample dissolves (below about 0.5).

    Parameters
    ----------
    X : ndarray of shape (n, p)
        Standardised features (a seeded sample on large inputs).
    labels : ndarray of shape (n,)
        The segmentation to judge, segment ids ``1..n_clusters``.
    n_clusters : int
    n_resamples : int
        Bootstrap refits (at least 1).
    random_state : int
        Seed of the resamples and of the refits.
    n_init, n_merge_init, max_iter : int
        Search effort of each refit (see :func:`customer_segmentation.kmeans.fit_best_kmeans`).

    Returns
    -------
    DataFrame
        One row per segment: ``segment_id``, ``mean_jaccard``, ``min_jaccard``,
        ``share_of_resamples_recovered`` (Jaccard >= ``recovered_jaccard``, default 0.75:
        settings.StabilitySettings), ``n_resamples``.
    """
    X = np.asarray(X, dtype=np.float64)
    reference = np.asarray(labels, dtype=np.int64) - 1
    if reference.min() < 0 or reference.max() >= n_clusters:
        raise ValueError(f"labels must lie in 1..{n_clusters}")
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be at least 1, got {n_resamples}")
    n = X.shape[0]
    seeds = np.random.SeedSequence([random_state, 0xB007]).spawn(n_resamples)
    scores = np.empty((n_resamples, n_clusters))
    for b, seed in enumerate(seeds):
        rng = np.random.default_rng(seed)
        rows = rng.integers(0, n, size=n)
        fit = kmeans.fit_best_kmeans(
            X[rows],
            n_clusters,
            random_state=int(rng.integers(2**31 - 1)),
            n_init=n_init,
            n_merge_init=n_merge_init,
            max_iter=max_iter,
        )
        refit_labels = kmeans.assign_nearest(X, fit.centers)
        scores[b] = _best_match_jaccard(reference, refit_labels, n_clusters)
    return pd.DataFrame(
        {
            "segment_id": np.arange(1, n_clusters + 1, dtype=np.int64),
            "mean_jaccard": scores.mean(axis=0),
            "min_jaccard": scores.min(axis=0),
            "share_of_resamples_recovered": (scores >= recovered_jaccard).mean(axis=0),
            "n_resamples": np.full(n_clusters, n_resamples, dtype=np.int64),
        }
    )
