"""Evidence for decisions: bootstrap intervals, channel effects and Kruskal-Wallis summaries.

Watch time is heavy-tailed (one customer watched 288,508 minutes), so comparisons of means
alone mislead. This module gives every figure an interval (seeded percentile bootstrap,
vectorised over resamples), tests whether the acquisition channel shifts a region's
distribution at all (Kruskal-Wallis, a rank test that a single extreme customer cannot drive),
and sizes the effect (epsilon-squared).

All functions are pure: data frames or arrays in, data frames or numbers out, with an explicit
``random_state``. Results depend only on the data (read in ``customer_order`` order) and the seed.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd
from scipy import special
from sklearn.utils import check_scalar

from customer_segmentation._validation import check_count
from customer_segmentation.tables import (
    check_collectable,
    customer_order_column,
    fetch_columns,
    is_spark_frame,
    like_input,
    to_pandas,
)

METRICS = ("minutes_watched", "clv")
# At most this many resampled values are held in memory at once (8 bytes each).
DEFAULT_MAX_CELLS = 4_000_000


def _check_resampling(n_resamples: int, confidence: float) -> None:
    """At least 100 resamples, a coverage strictly between 0 and 1 (scikit-learn's checks)."""
    check_count(n_resamples, "n_resamples", min_val=100)
    check_scalar(
        confidence, "confidence", target_type=numbers.Real, min_val=0, max_val=1,
        include_boundaries="neither",
    )  # fmt: skip


def percentile_interval(draws: np.ndarray, confidence: float) -> tuple[float, float]:
    """Equal-tailed percentile interval of bootstrap draws.

    Parameters
    ----------
    draws : numpy.ndarray of shape (n_resamples,)
        The statistic computed on each resample.
    confidence : float
        Coverage, e.g. 0.95.

    Returns
    -------
    (low, high) : tuple of float
    """
    alpha = 1.0 - confidence
    low, high = np.quantile(np.asarray(draws, dtype=np.float64), [alpha / 2, 1 - alpha / 2])
    return float(low), float(high)


def bootstrap_p_value(draws: np.ndarray) -> float:
    """Two-sided bootstrap p-value that a difference is 0.

    Twice the smaller share of resampled differences on either side of 0, with the usual +1
    correction so that a finite number of resamples never claims p = 0.

    Parameters
    ----------
    draws : numpy.ndarray of shape (n_resamples,)
        Resampled differences.

    Returns
    -------
    float in (0, 1]
    """
    draws = np.asarray(draws, dtype=np.float64)
    b = draws.shape[0]
    below = (np.count_nonzero(draws <= 0) + 1) / (b + 1)
    above = (np.count_nonzero(draws >= 0) + 1) / (b + 1)
    return float(min(1.0, 2.0 * min(below, above)))


def holm_adjust(p_values: Sequence[float]) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values (family-wise error control, any dependence).

    Parameters
    ----------
    p_values : sequence of float
        NaN entries are ignored and stay NaN.

    Returns
    -------
    numpy.ndarray
        Adjusted p-values in the input order, each in [0, 1].
    """
    p = np.asarray(p_values, dtype=np.float64)
    adjusted = np.full(p.shape, np.nan)
    valid = np.flatnonzero(~np.isnan(p))
    m = valid.size
    if m == 0:
        return adjusted
    order = valid[np.argsort(p[valid], kind="stable")]
    scaled = p[order] * (m - np.arange(m))
    adjusted[order] = np.minimum(1.0, np.maximum.accumulate(scaled))
    return adjusted


def bootstrap_median_draws(
    values: np.ndarray, *, n_resamples: int, rng: np.random.Generator
) -> np.ndarray:
    """Medians of ``n_resamples`` plain bootstrap resamples, drawn in O(n_resamples) time.

    A resample of n values drawn with replacement is ``sorted_values[floor(n * U_i)]`` for n
    uniform U_i, and that map is monotone, so the resample's j-th smallest value is
    ``sorted_values[floor(n * U_(j))]`` where U_(j), the j-th smallest of n uniforms, follows
    Beta(j, n + 1 - j). The middle order statistic(s) are therefore drawn directly: the draws
    have exactly the distribution of the plain bootstrap's medians, without building resamples.
    For even n the next order statistic is U_(j) plus (1 - U_(j)) times the smallest of the
    n - j uniforms above it, 1 - V^(1 / (n - j)).

    Parameters
    ----------
    values : numpy.ndarray of shape (n,)
        The sample (n >= 1), in any order.
    n_resamples : int
        Number of draws.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    numpy.ndarray of shape (n_resamples,)
    """
    ordered = np.sort(np.asarray(values, dtype=np.float64))
    n = ordered.shape[0]
    if n == 0:
        raise ValueError("cannot bootstrap an empty sample")
    if n == 1:
        return np.full(n_resamples, ordered[0])
    j = (n + 1) // 2
    lower = rng.beta(j, n + 1 - j, size=n_resamples)
    lower_values = ordered[np.minimum((lower * n).astype(np.int64), n - 1)]
    if n % 2 == 1:
        return lower_values
    gap = -np.expm1(np.log(rng.random(n_resamples)) / (n - j))
    upper = lower + (1.0 - lower) * gap
    upper_values = ordered[np.minimum((upper * n).astype(np.int64), n - 1)]
    return (lower_values + upper_values) / 2.0


def normal_mean_draws(
    values: np.ndarray, *, n_resamples: int, rng: np.random.Generator
) -> np.ndarray:
    """Large-sample draws of a bootstrap mean: normal with the bootstrap's exact spread.

    The plain bootstrap's means have mean ``values.mean()`` and variance ``values.var() / n``
    (population variance) exactly; for large n their distribution is normal (central limit
    theorem), which is what these draws take it to be. Used only above
    ``evidence_bootstrap_max_customers`` values.
    """
    values = np.asarray(values, dtype=np.float64)
    n = values.shape[0]
    if n == 0:
        raise ValueError("cannot bootstrap an empty sample")
    spread = float(values.std()) / np.sqrt(n)
    return float(values.mean()) + spread * rng.standard_normal(n_resamples)


def bootstrap_statistics(
    values: np.ndarray,
    *,
    n_resamples: int,
    random_state: int | np.random.Generator,
    max_cells: int = DEFAULT_MAX_CELLS,
    max_rows: int | None = None,
    statistics: Sequence[str] = ("mean", "median"),
) -> dict[str, np.ndarray]:
    """Mean and/or median of ``n_resamples`` bootstrap resamples of one sample.

    Up to ``max_rows`` values, resamples are drawn as one (chunk, n) index matrix at a time, so
    the work is vectorised and memory stays below ``max_cells`` values. Above ``max_rows``
    values no resample is built (the large-sample switch, for millions of customers): the
    medians are drawn from their exact bootstrap distribution (``bootstrap_median_draws``) and
    the means from the normal distribution with the bootstrap's exact spread
    (``normal_mean_draws``), in time independent of n apart from one sort.

    Parameters
    ----------
    values : numpy.ndarray of shape (n,)
        The sample (n >= 1).
    n_resamples : int
        Number of resamples.
    random_state : int or numpy.random.Generator
        Seed or generator.
    max_cells : int
        Largest resample matrix held at once.
    max_rows : int, optional
        Largest sample bootstrapped by resampling; None = always resample.
    statistics : sequence of {"mean", "median"}
        The statistics wanted. Leaving one out saves its work (a median costs a partition of
        every resample) and, when resampling, leaves the other's draws unchanged.

    Returns
    -------
    dict with the keys of ``statistics``, each an array of shape (n_resamples,)
    """
    unknown = set(statistics) - {"mean", "median"}
    if unknown or not statistics:
        raise ValueError(f"statistics must be 'mean' and/or 'median', got {statistics!r}")
    values = np.asarray(values, dtype=np.float64)
    n = values.shape[0]
    if n == 0:
        raise ValueError("cannot bootstrap an empty sample")
    rng = np.random.default_rng(random_state)
    if max_rows is not None and n > int(max_rows):
        large = {}
        if "mean" in statistics:
            large["mean"] = normal_mean_draws(values, n_resamples=n_resamples, rng=rng)
        if "median" in statistics:
            large["median"] = bootstrap_median_draws(values, n_resamples=n_resamples, rng=rng)
        return large
    draws = {name: np.empty(n_resamples) for name in statistics}
    chunk = max(1, min(n_resamples, max_cells // n))
    for start in range(0, n_resamples, chunk):
        stop = min(n_resamples, start + chunk)
        resampled = values[rng.integers(0, n, size=(stop - start, n))]
        if "mean" in draws:
            draws["mean"][start:stop] = resampled.mean(axis=1)
        if "median" in draws:
            draws["median"][start:stop] = np.median(resampled, axis=1)
    return draws


def bootstrap_interval(
    values: np.ndarray,
    statistic: str = "mean",
    *,
    n_resamples: int = 2000,
    confidence: float = 0.95,
    random_state: int = 0,
) -> tuple[float, float, float]:
    """Point estimate and percentile bootstrap interval of the mean or median of a sample.

    Returns
    -------
    (estimate, low, high) : tuple of float
    """
    if statistic not in ("mean", "median"):
        raise ValueError(f"statistic must be 'mean' or 'median', got {statistic!r}")
    _check_resampling(n_resamples, confidence)
    values = np.asarray(values, dtype=np.float64)
    draws = bootstrap_statistics(values, n_resamples=n_resamples, random_state=random_state)
    estimate = float(np.mean(values) if statistic == "mean" else np.median(values))
    return (estimate, *percentile_interval(draws[statistic], confidence))


def epsilon_squared(h_statistic: float, n: int) -> float:
    """Epsilon-squared effect size of a Kruskal-Wallis H: H / ((n^2 - 1) / (n + 1)) = H / (n - 1).

    The share of the rank variance explained by the groups (0 = none, 1 = all).
    """
    if n < 2:
        return float("nan")
    return float(h_statistic) / (n - 1)


def kruskal_wallis(values: np.ndarray, groups: np.ndarray) -> dict[str, float]:
    """Kruskal-Wallis H test of ``values`` across ``groups``, with epsilon-squared.

    Groups without values are left out. With fewer than two groups, or when every value is
    tied, nothing can be tested: H, p and epsilon-squared are NaN. Computed from the counts of
    distinct (value, group) pairs by :func:`kruskal_wallis_counts`: the same figures as
    ``scipy.stats.kruskal`` on the groups' samples, bit for bit.

    Returns
    -------
    dict with ``n``, ``n_groups``, ``h_statistic``, ``degrees_of_freedom``, ``p_value``,
    ``epsilon_squared``
    """
    values = np.asarray(values, dtype=np.float64)
    groups = np.asarray(groups)
    if values.shape[0] == 0:
        return kruskal_wallis_counts(values, groups, np.zeros(0, dtype=np.int64))
    group_labels, group_index = np.unique(groups, return_inverse=True)
    pairs, counts = np.unique(
        np.column_stack([values, group_index.reshape(-1).astype(np.float64)]),
        axis=0,
        return_counts=True,
    )
    return kruskal_wallis_counts(pairs[:, 0], group_labels[pairs[:, 1].astype(np.int64)], counts)


def kruskal_wallis_counts(
    values: np.ndarray, groups: np.ndarray, counts: np.ndarray
) -> dict[str, float]:
    """:func:`kruskal_wallis` of a sample given as counts: ``counts[i]`` customers of group
    ``groups[i]`` have the value ``values[i]`` (pairs may repeat; zero counts are ignored).

    Ten million customers have only tens of thousands of distinct values, so the warehouse
    counts them (one GROUP BY) and the ranks follow from the counts: the distinct values in
    order, each with the mid-rank of its ties. Rank sums are whole or half numbers, added
    exactly in integers; the tie correction, H and the p-value are computed in the order and
    precision ``scipy.stats.kruskal`` uses, so the figures equal it bit for bit (the tests
    check this against scipy).

    Returns
    -------
    dict as :func:`kruskal_wallis`
    """
    values = np.asarray(values, dtype=np.float64)
    counts = np.asarray(counts, dtype=np.int64)
    if np.any(counts < 0):
        raise ValueError("kruskal_wallis_counts: counts must not be negative")
    kept = counts > 0
    values, counts = values[kept], counts[kept]
    labels, group_index = np.unique(np.asarray(groups)[kept], return_inverse=True)
    group_index = group_index.reshape(-1)
    n = int(counts.sum())
    result = {
        "n": n,
        "n_groups": len(labels),
        "h_statistic": float("nan"),
        "degrees_of_freedom": max(len(labels) - 1, 0),
        "p_value": float("nan"),
        "epsilon_squared": float("nan"),
    }
    # A NaN value makes scipy's H NaN (nan_policy 'propagate'); so it does here.
    if len(labels) < 2 or np.isnan(values).any():
        return result
    distinct, value_index = np.unique(values, return_inverse=True)
    if distinct.shape[0] < 2:  # every value tied
        return result
    value_index = value_index.reshape(-1)
    totals = np.zeros(distinct.shape[0], dtype=np.int64)
    np.add.at(totals, value_index, counts)
    before = np.cumsum(totals) - totals
    # Twice the mid-rank of each distinct value (1-based ranks): 2 * before + totals + 1.
    twice_rank = 2 * before + totals + 1
    twice_rank_sums = np.zeros(len(labels), dtype=np.int64)
    np.add.at(twice_rank_sums, group_index, counts * twice_rank[value_index])
    sizes = np.zeros(len(labels), dtype=np.int64)
    np.add.at(sizes, group_index, counts)
    rank_sums = twice_rank_sums.astype(np.float64) / 2.0
    # scipy's tie counts: one entry per customer in sorted order, the size of a run of ties
    # at its first position and 0 elsewhere; summed the same way, so the same float result.
    tie_counts = np.zeros(n, dtype=np.float64)
    tie_counts[before] = totals
    ties = 1 - np.sum(tie_counts**3 - tie_counts) / (n**3 - n)
    ssbn = sum(rank_sums[i] ** 2 / int(sizes[i]) for i in range(len(labels)))
    h = 12.0 / (n * (n + 1)) * ssbn - 3 * (n + 1)
    h /= ties
    p = special.chdtrc(np.float64(len(labels) - 1), h)
    result.update(h_statistic=float(h), p_value=float(p), epsilon_squared=epsilon_squared(h, n))
    return result


def _read_customers(customers_table: object) -> pd.DataFrame:
    columns = ["region_code", "channel_code", "minutes_watched", "clv"]
    order = customer_order_column(customers_table)
    fetched = fetch_columns(customers_table, columns, order)
    return pd.DataFrame({c: fetched[c] for c in [order, *columns]})


def _scopes(customers: pd.DataFrame) -> list[tuple[int | None, pd.DataFrame]]:
    """(region code, customers) for every region, then (None, everyone) for all regions."""
    scopes: list[tuple[int | None, pd.DataFrame]] = [
        (int(code), part) for code, part in customers.groupby("region_code", sort=True)
    ]
    scopes.append((None, customers))
    return scopes


def _scope_seed(random_state: int, region_code: int | None) -> np.random.SeedSequence:
    # One independent, reproducible stream per scope; -1 stands for all regions.
    return np.random.SeedSequence(
        [int(random_state), 0 if region_code is None else 1, max(region_code or 0, 0)]
    )


# Half-width of the window of middle order statistics that stratified median draws track, in
# standard deviations of a bootstrap median's rank (0.5 / sqrt(n) in quantile units): a draw
# falls outside with probability below 1e-11 and is then clamped to the window's edge.
MEDIAN_WINDOW_SDS = 7.0
# In a region above evidence_bootstrap_max_customers, a channel with at most this fraction
# (1 / divisor) of that many customers still has its means resampled (10,000 by default).
SMALL_STRATUM_DIVISOR = 5


def _middle_values(ordered: np.ndarray) -> np.ndarray:
    """Distinct values of a sorted sample within ``MEDIAN_WINDOW_SDS`` of its median's rank."""
    n = ordered.shape[0]
    half = MEDIAN_WINDOW_SDS * 0.5 / np.sqrt(n)
    low = max(0, int(np.floor((0.5 - half) * n)) - 1)
    high = min(n - 1, int(np.ceil((0.5 + half) * n)) + 1)
    return np.unique(ordered[low : high + 1])


def _median_from_counts(counts: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Medians of resamples given as counts per cell (b, cells); ``values`` per cell, NaN = gap."""
    cumulative = np.cumsum(counts, axis=1)
    last = counts.shape[1] - 1
    lower = np.minimum((cumulative < (n + 1) // 2).sum(axis=1), last)
    upper = np.minimum((cumulative < n // 2 + 1).sum(axis=1), last)
    # A rank in a gap cell lies outside the tracked window (probability below 1e-11): clamp it
    # to the nearest tracked value.
    filled = pd.Series(values).ffill().bfill().to_numpy()
    return (filled[lower] + filled[upper]) / 2.0


def stratified_median_draws(
    strata: list[np.ndarray], *, n_resamples: int, rng: np.random.Generator
) -> tuple[list[np.ndarray], np.ndarray]:
    """Exact stratified-bootstrap medians of every stratum and of their union, from counts.

    A resample of a stratum's n_j values is summarised, without loss for medians, by how many
    draws fall on each value near the medians (the stratum's own middle values and the pooled
    sample's middle values, see ``_middle_values``) and in the gaps around them: those counts
    are multinomial with the stratum's value shares. The pooled resample's counts are the sums
    of the strata's, so a stratum's median and the pooled median come from the same resample,
    as in the resampling bootstrap, at a cost of n_resamples x (a few hundred cells) per
    stratum instead of n_resamples x n values.

    Parameters
    ----------
    strata : list of numpy.ndarray
        The values of each stratum (each non-empty).
    n_resamples : int
        Number of draws.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    (per-stratum medians, pooled medians), arrays of shape (n_resamples,)
    """
    ordered = [np.sort(np.asarray(s, dtype=np.float64)) for s in strata]
    pooled_values = _middle_values(np.sort(np.concatenate(ordered)))
    total = sum(o.shape[0] for o in ordered)
    # Pooled cells: 0 = below the pooled window, 1..L = its values, L + 1 = above.
    pooled_counts = np.zeros((n_resamples, pooled_values.shape[0] + 2), dtype=np.int64)
    per_stratum = []
    for values in ordered:
        points = np.union1d(pooled_values, _middle_values(values))
        # Cells: gap before points[0], points[0], gap, points[1], ..., points[-1], gap after.
        index = np.searchsorted(points, values, side="left")
        on_point = (index < points.shape[0]) & (
            points[np.minimum(index, points.shape[0] - 1)] == values
        )
        cells = np.where(on_point, 2 * index + 1, 2 * index)
        used, first, sizes = np.unique(cells, return_index=True, return_counts=True)
        draws = rng.multinomial(values.shape[0], sizes / values.shape[0], size=n_resamples)
        cell_values = np.where(used % 2 == 1, points[(used - 1) // 2], np.nan)
        per_stratum.append(_median_from_counts(draws, cell_values, values.shape[0]))
        representative = values[first]
        target = np.where(
            representative < pooled_values[0],
            0,
            np.where(
                representative > pooled_values[-1],
                pooled_values.shape[0] + 1,
                1 + np.searchsorted(pooled_values, representative),
            ),
        )
        np.add.at(pooled_counts, (slice(None), target), draws)
    pooled_cell_values = np.concatenate([[np.nan], pooled_values, [np.nan]])
    pooled = _median_from_counts(pooled_counts, pooled_cell_values, total)
    return per_stratum, pooled


# (output prefix, statistic, metric) of the figures that get intervals and differences.
CHANNEL_FIGURES = (
    ("median_minutes", "median", "minutes_watched"),
    ("mean_minutes", "mean", "minutes_watched"),
    ("mean_clv", "mean", "clv"),
)


def _stratified_draws(
    strata: list[np.ndarray],
    *,
    n_resamples: int,
    rng: np.random.Generator,
    max_cells: int,
    large_sample: bool = False,
    resample_means_up_to: int = 0,
) -> tuple[list[dict[str, np.ndarray]], dict[str, np.ndarray]]:
    """Per-stratum and pooled figures of stratified bootstrap resamples of (minutes, clv) data.

    Each stratum (a channel) is resampled with its own size, and the pooled sample (the
    region) is the union of the resampled strata, so a channel's difference from its region is
    computed on the same resample. The figures are those of ``CHANNEL_FIGURES``. With
    ``large_sample`` (regions above ``evidence_bootstrap_max_customers``) no resample is built:
    the medians come from multinomial counts near the medians (``stratified_median_draws``,
    the same stratified bootstrap distribution) and the means per stratum from their
    large-sample distribution (``normal_mean_draws``: normal with the plain bootstrap's exact
    spread) -- except strata of at most ``resample_means_up_to`` customers, whose means are
    resampled: few heavy-tailed values make the normal shape poor, and resampling them is
    cheap. Pooled means are the customer-weighted means of the strata, exactly as the region's
    mean is.
    """
    sizes = [s.shape[0] for s in strata]
    total = sum(sizes)
    keys = [f"{stat}_{metric}" for _, stat, metric in CHANNEL_FIGURES]
    if large_sample:
        medians, pooled_median = stratified_median_draws(
            [stratum[:, 0] for stratum in strata], n_resamples=n_resamples, rng=rng
        )
        per_stratum = []
        for stratum, median_draws in zip(strata, medians, strict=True):
            if stratum.shape[0] <= resample_means_up_to:
                means = [
                    bootstrap_statistics(
                        stratum[:, column],
                        n_resamples=n_resamples,
                        random_state=rng,
                        max_cells=max_cells,
                        statistics=("mean",),
                    )["mean"]
                    for column in (0, 1)
                ]
            else:
                means = [
                    normal_mean_draws(stratum[:, column], n_resamples=n_resamples, rng=rng)
                    for column in (0, 1)
                ]
            per_stratum.append(
                {
                    "median_minutes_watched": median_draws,
                    "mean_minutes_watched": means[0],
                    "mean_clv": means[1],
                }
            )
        pooled = {"median_minutes_watched": pooled_median}
    else:
        chunk = max(1, min(n_resamples, max_cells // (2 * total)))
        per_stratum = [{key: np.empty(n_resamples) for key in keys} for _ in strata]
        pooled = {key: np.empty(n_resamples) for key in keys}
        for start in range(0, n_resamples, chunk):
            stop = min(n_resamples, start + chunk)
            b = stop - start
            pooled_minutes = np.empty((b, total))
            offset = 0
            for stratum, size, out in zip(strata, sizes, per_stratum, strict=True):
                index = rng.integers(0, size, size=(b, size))
                minutes = stratum[:, 0][index]
                pooled_minutes[:, offset : offset + size] = minutes
                out["mean_minutes_watched"][start:stop] = minutes.mean(axis=1)
                out["median_minutes_watched"][start:stop] = np.median(minutes, axis=1)
                out["mean_clv"][start:stop] = stratum[:, 1][index].mean(axis=1)
                offset += size
            pooled["median_minutes_watched"][start:stop] = np.median(pooled_minutes, axis=1)
    for key in ("mean_minutes_watched", "mean_clv"):
        pooled[key] = sum(out[key] * size for out, size in zip(per_stratum, sizes, strict=True))
        pooled[key] = pooled[key] / total
    return per_stratum, pooled


def channel_effects(
    customers_table: object,
    *,
    n_resamples: int = 2000,
    confidence: float = 0.95,
    random_state: int = 42,
    max_cells: int = DEFAULT_MAX_CELLS,
    max_rows: int | None = None,
    spark_collect_max_rows: int | None = None,
) -> object:
    """Per region (and all regions) and channel: figures with intervals and their gap to the region.

    For every region, and for all customers together (``region_code`` missing), and every
    channel with customers there: customers, median and mean minutes watched and mean CLV, each
    with a percentile bootstrap interval; the same figures for the whole region; and the
    channel's difference from the region with its interval and a two-sided bootstrap p-value,
    Holm-adjusted over the region's channels (one family per region and figure).

    The bootstrap is stratified by channel: each resample redraws every channel's customers
    with its own size, and the region's figure is computed on the union of those draws. A
    region with more than ``max_rows`` customers builds no resample: its medians come from
    exact multinomial counts near the medians and its means from the normal distribution with
    the bootstrap's spread (see ``_stratified_draws``), which bounds the cost for millions.

    Parameters
    ----------
    customers_table : duckdb.DuckDBPyRelation, pyspark.sql.DataFrame or pandas.DataFrame
        One row per customer: ``customer_order``, ``region_code``, ``channel_code``,
        ``minutes_watched``, ``clv``. A Spark DataFrame is collected to the driver.
    n_resamples, confidence, random_state : see ``bootstrap_interval``.
    max_cells : int
        Memory bound of one resample chunk (values held at once).
    max_rows : int, optional
        Largest region bootstrapped by resampling; None = always resample.
    spark_collect_max_rows : int, optional
        Largest Spark DataFrame collected; above it a ``ValueError`` names the var.

    Returns
    -------
    pandas.DataFrame (a Spark DataFrame when the input is one)
        One row per (region_code, channel_code), region_code NA for all regions.
    """
    _check_resampling(n_resamples, confidence)
    check_collectable(customers_table, spark_collect_max_rows, "int_channel_effect_estimates")
    customers = _read_customers(customers_table)
    if customers.empty:
        raise ValueError("channel_effects: no customers")
    rows = []
    for region_code, part in _scopes(customers):
        rng = np.random.default_rng(_scope_seed(random_state, region_code))
        channels = sorted(int(c) for c in part["channel_code"].unique())
        strata = [
            part.loc[part["channel_code"] == c, list(METRICS)].to_numpy(np.float64)
            for c in channels
        ]
        large_sample = max_rows is not None and part.shape[0] > int(max_rows)
        draws, pooled = _stratified_draws(
            strata,
            n_resamples=n_resamples,
            rng=rng,
            max_cells=max_cells,
            large_sample=large_sample,
            resample_means_up_to=0 if max_rows is None else int(max_rows) // SMALL_STRATUM_DIVISOR,
        )
        region_values = part[list(METRICS)].to_numpy(np.float64)
        region_point = {
            "mean_minutes_watched": region_values[:, 0].mean(),
            "median_minutes_watched": np.median(region_values[:, 0]),
            "mean_clv": region_values[:, 1].mean(),
        }
        scope_rows = []
        for channel, stratum, channel_draws in zip(channels, strata, draws, strict=True):
            row: dict[str, object] = {
                "region_code": region_code,
                "channel_code": channel,
                "customers": int(stratum.shape[0]),
                "region_customers": int(part.shape[0]),
            }
            for name, stat, metric in CHANNEL_FIGURES:
                column = stratum[:, METRICS.index(metric)]
                point = float(np.mean(column) if stat == "mean" else np.median(column))
                key = f"{stat}_{metric}"
                region_value = float(region_point[key])
                difference = channel_draws[key] - pooled[key]
                row[name] = point
                row[f"{name}_ci_low"], row[f"{name}_ci_high"] = percentile_interval(
                    channel_draws[key], confidence
                )
                row[f"region_{name}"] = region_value
                row[f"region_{name}_ci_low"], row[f"region_{name}_ci_high"] = percentile_interval(
                    pooled[key], confidence
                )
                row[f"{name}_difference"] = point - region_value
                row[f"{name}_difference_ci_low"], row[f"{name}_difference_ci_high"] = (
                    percentile_interval(difference, confidence)
                )
                row[f"{name}_difference_p_value"] = bootstrap_p_value(difference)
            scope_rows.append(row)
        for name, _, _ in CHANNEL_FIGURES:
            adjusted = holm_adjust([r[f"{name}_difference_p_value"] for r in scope_rows])
            for r, p in zip(scope_rows, adjusted, strict=True):
                r[f"{name}_difference_p_adjusted"] = float(p)
        rows.extend(scope_rows)
    frame = pd.DataFrame(rows)
    frame["region_code"] = frame["region_code"].astype("Int64")
    frame["n_resamples"] = int(n_resamples)
    frame["confidence_level"] = float(confidence)
    return like_input(frame, customers_table)


def _value_counts(customers_table: object, metric: str) -> dict[str, np.ndarray]:
    """Customers per region, channel and distinct value of ``metric`` (as float64).

    A DuckDB relation is counted by DuckDB (one GROUP BY instead of fetching every customer);
    a pandas DataFrame, or a Spark DataFrame collected to the driver, by pandas.

    Returns
    -------
    dict with arrays ``region_code``, ``channel_code``, ``value`` and ``n``
    """
    keys = ["region_code", "channel_code"]
    if isinstance(customers_table, pd.DataFrame) or is_spark_frame(customers_table):
        customers = to_pandas(customers_table)
        counted = (
            customers.assign(value=customers[metric].astype(np.float64))
            .groupby([*keys, "value"], dropna=False, sort=False)
            .size()
            .reset_index(name="n")
        )
        return {c: counted[c].to_numpy() for c in [*keys, "value", "n"]}
    value = f"cast({metric} as double)"
    fetched = customers_table.aggregate(
        f"region_code, channel_code, {value} as value, count(*) as n",
        f"region_code, channel_code, {value}",
    ).fetchnumpy()
    return {c: np.asarray(fetched[c]) for c in [*keys, "value", "n"]}


def channel_tests(customers_table: object, spark_collect_max_rows: int | None = None) -> object:
    """Kruskal-Wallis across channels, per region and for all regions, for minutes and CLV.

    Returns one row per (region_code, metric) with H, degrees of freedom, p-value,
    epsilon-squared and a Holm-adjusted p-value over every test in the table (one family: the
    whole summary is read together). The tests run on counts of distinct values
    (:func:`kruskal_wallis_counts`, exact), which DuckDB computes, so ten million customers
    are never fetched. A Spark DataFrame is collected to the driver (up to
    ``spark_collect_max_rows`` rows) and the result returned as a Spark DataFrame.
    """
    check_collectable(customers_table, spark_collect_max_rows, "int_channel_effect_tests")
    counted = {metric: _value_counts(customers_table, metric) for metric in METRICS}
    if int(counted[METRICS[0]]["n"].sum()) == 0:
        raise ValueError("channel_tests: no customers")
    regions = sorted(int(code) for code in np.unique(counted[METRICS[0]]["region_code"]))
    rows = []
    for region_code in [*regions, None]:
        for metric in METRICS:
            part = counted[metric]
            if region_code is not None:
                inside = part["region_code"] == region_code
                part = {c: column[inside] for c, column in part.items()}
            result = kruskal_wallis_counts(part["value"], part["channel_code"], part["n"])
            rows.append({"region_code": region_code, "metric": metric, **result})
    frame = pd.DataFrame(rows)
    frame["p_value_adjusted"] = holm_adjust(frame["p_value"].to_numpy())
    frame["region_code"] = frame["region_code"].astype("Int64")
    return like_input(frame, customers_table)


def _method_frames(segments_table: object) -> Iterator[tuple[str, pd.DataFrame]]:
    """(method, its rows sorted by segment_id and customer_order) for each method, in name order.

    A DuckDB relation is read one method at a time, sorted by DuckDB, so millions of
    customers never become one pandas frame with a text column to sort.
    """
    customer_order = customer_order_column(segments_table)
    order = ["segment_id", customer_order]
    if is_spark_frame(segments_table):  # collected (size checked by check_collectable)
        segments_table = to_pandas(segments_table)
    if isinstance(segments_table, pd.DataFrame):
        frame = segments_table.sort_values(["segmentation_method", *order])
        for method, part in frame.groupby("segmentation_method", sort=True):
            yield method, part
        return
    methods = segments_table.select("segmentation_method").distinct().fetchall()
    for (method,) in sorted(methods):
        quoted = str(method).replace("'", "''")
        part = (
            segments_table.filter(f"segmentation_method = '{quoted}'")
            .select(f"segment_id, {customer_order}, minutes_watched, clv")
            .order(f"segment_id, {customer_order}")
            .df()
        )
        part["segmentation_method"] = method
        yield method, part


def segment_intervals(
    segments_table: object,
    *,
    n_resamples: int = 2000,
    confidence: float = 0.95,
    random_state: int = 42,
    max_cells: int = DEFAULT_MAX_CELLS,
    max_rows: int | None = None,
    spark_collect_max_rows: int | None = None,
) -> object:
    """Per segmentation method and segment: mean CLV and median minutes with bootstrap intervals.

    Also the overall mean CLV and median minutes of the method's customers, the references the
    recommendation tiers compare against.

    Parameters
    ----------
    segments_table : duckdb.DuckDBPyRelation, pyspark.sql.DataFrame or pandas.DataFrame
        One row per customer and method: ``segmentation_method``, ``segment_id``,
        ``customer_order``, ``minutes_watched``, ``clv``.
    n_resamples, confidence, random_state : see ``bootstrap_interval``.
    max_cells : int
        Memory bound of one resample chunk.
    max_rows : int, optional
        Largest segment bootstrapped by resampling (large-sample draws above it, see
        ``bootstrap_statistics``).
    spark_collect_max_rows : int, optional
        Largest Spark DataFrame collected to the driver; above it a ``ValueError`` names the var.

    Returns
    -------
    pandas.DataFrame (a Spark DataFrame when the input is one), one row per
    (segmentation_method, segment_id)
    """
    _check_resampling(n_resamples, confidence)
    check_collectable(segments_table, spark_collect_max_rows, "int_segment_value_estimates")
    rows = []
    overall_parts = []
    position = 0
    for method, frame in _method_frames(segments_table):
        for segment_id, part in frame.groupby("segment_id", sort=True):
            # One reproducible stream per segment, independent of the other segments.
            rng = np.random.default_rng(np.random.SeedSequence([int(random_state), 2, position]))
            position += 1
            clv = part["clv"].to_numpy(np.float64)
            minutes = part["minutes_watched"].to_numpy(np.float64)
            clv_draws = bootstrap_statistics(
                clv,
                n_resamples=n_resamples,
                random_state=rng,
                max_cells=max_cells,
                max_rows=max_rows,
                statistics=("mean",),
            )
            minutes_draws = bootstrap_statistics(
                minutes,
                n_resamples=n_resamples,
                random_state=rng,
                max_cells=max_cells,
                max_rows=max_rows,
                statistics=("median",),
            )
            row = {
                "segmentation_method": method,
                "segment_id": int(segment_id),
                "customers": int(clv.shape[0]),
                "mean_clv": float(clv.mean()),
                "median_minutes_watched": float(np.median(minutes)),
            }
            row["mean_clv_ci_low"], row["mean_clv_ci_high"] = percentile_interval(
                clv_draws["mean"], confidence
            )
            row["median_minutes_ci_low"], row["median_minutes_ci_high"] = percentile_interval(
                minutes_draws["median"], confidence
            )
            rows.append(row)
        overall_parts.append(
            frame.groupby("segmentation_method").agg(
                overall_mean_clv=("clv", "mean"),
                overall_median_minutes_watched=("minutes_watched", "median"),
                method_customers=("segment_id", "count"),
            )
        )
    result = pd.DataFrame(rows)
    overall = pd.concat(overall_parts)
    result = result.merge(overall, left_on="segmentation_method", right_index=True)
    result["n_resamples"] = int(n_resamples)
    result["confidence_level"] = float(confidence)
    return like_input(result.reset_index(drop=True), segments_table)
