"""Synthetic customers that look like the embedded seed, at any scale.

``generate_customers`` draws customers with the four raw columns of
``seeds/customer_segmentation_data.csv`` (``minutes_watched``, ``CLV``, ``region``,
``channel``). It never reads the seed: the distributions are compact summaries of it,
hard-coded below, so it works wherever the package is installed.

How a customer is drawn
-----------------------
1. Its (region, channel) cell, from the seed's 24 cell shares.
2. Whether ``minutes_watched`` is blank ("never watched"), with the cell's blank rate.
3. ``minutes_watched`` from its region's distribution: an atom at zero plus a continuous
   part given by quantiles of ``log1p(minutes)``; linear interpolation between the
   quantiles on the log scale keeps the seed's heavy tail (up to its maximum).
4. ``CLV`` from its region's distribution: the seed's price points (an atom for every
   value seen at least five times in the region) plus a continuous part given by the
   quantiles of the remaining values, rounded to cents.

Channel effects within a region are small in the seed; they enter as a shift ("tilt") of
the normal score of the quantile level: a customer of cell (r, c) uses the level
``Phi((z + tilt[r, c] - mean_r) / sd_r)`` with ``z ~ N(0, 1)``, where ``mean_r`` and ``sd_r``
standardise the mixture over the region's cells so the region's marginal is preserved.
Minutes and CLV are drawn independently given the cell (their Spearman correlation in the
seed is 0.04).

Customers are drawn in blocks of ``BLOCK_ROWS`` rows, each variable of each block from its
own stream spawned from ``random_state``; hence results do not depend on how the output
is written, and ``generate_customers(n)`` is a prefix of ``generate_customers(N)`` for
``n <= N``.
"""

from __future__ import annotations

import numbers
import os
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import ndtr

__all__ = [
    "BLOCK_ROWS",
    "COLUMNS",
    "SEED_REGION_CHANNEL_COUNTS",
    "generate_customers",
    "iter_customer_blocks",
    "region_channel_shares",
    "write_customers",
]

#: Output columns, in the seed's order.
COLUMNS = ("minutes_watched", "CLV", "region", "channel")

#: Rows per generated block (also the unit of the random streams).
BLOCK_ROWS = 1 << 20

N_REGIONS = 3
N_CHANNELS = 8

# ---------------------------------------------------------------------------------------
# Summaries of seeds/customer_segmentation_data.csv (3,834 customers).
#
# They were computed once with pandas from the seed file (a throw-away script, not part of
# the package) as follows; every table is indexed [region][channel - 1] or [region].
#
# * SEED_REGION_CHANNEL_COUNTS: ``pd.crosstab(df.region, df.channel)``; the cell shares are
#   these counts divided by 3,834.
# * _BLANK_RATE: share of blank ``minutes_watched`` per cell, shrunk towards the region's
#   rate with 50 pseudo-customers: ``(blanks_rc + 50 * rate_r) / (n_rc + 50)``.
# * _MINUTES_ZERO_SHARE: share of zeros among the non-blank minutes of the region.
# * _LOG_MINUTES_QUANTILES: ``np.quantile(np.log1p(m), _PROBABILITY_GRID)`` over the
#   region's positive minutes ``m``, rounded to 3 decimals.
# * _CLV_PRICE_POINTS: (value, share of the region's customers) for each CLV value seen at
#   least 5 times in the region (67% of the customers of region 0, 8% of region 1, 78% of
#   region 2).
# * _CLV_QUANTILES: ``np.quantile(v, _PROBABILITY_GRID)`` over the region's other CLV values.
# * _MINUTES_TILT, _CLV_TILT: per cell, the mean normal score ``ndtri((rank - 0.5) / n)`` of
#   the value's mid-rank within the region (non-blank minutes; CLV), shrunk with 30
#   pseudo-customers ``mean * n_rc / (n_rc + 30)`` and centred (count-weighted) per region.
# ---------------------------------------------------------------------------------------

#: Customers per (region, channel) in the seed; rows are regions 0..2, columns channels 1..8.
SEED_REGION_CHANNEL_COUNTS = (
    (262, 88, 456, 189, 10, 90, 123, 148),
    (81, 31, 127, 70, 3, 55, 54, 40),
    (328, 187, 511, 391, 45, 144, 301, 100),
)

_PROBABILITY_GRID = (
    0.0, 0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5,
    0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 0.975, 0.99, 0.995, 1.0,
)  # fmt: skip

_BLANK_RATE = (
    (0.0347, 0.035, 0.0273, 0.0453, 0.0305, 0.0416, 0.0337, 0.0547),
    (0.0184, 0.0174, 0.0249, 0.0284, 0.0266, 0.0515, 0.0328, 0.0268),
    (0.0216, 0.0344, 0.0199, 0.0139, 0.0226, 0.0575, 0.0147, 0.021),
)

_MINUTES_ZERO_SHARE = (0.01824, 0.00893, 0.00561)

_LOG_MINUTES_QUANTILES = (
    (
        0.693, 0.693, 1.099, 1.609, 2.485, 3.367, 3.892, 4.317, 4.736, 4.974, 5.225, 5.44,
        5.67, 5.908, 6.117, 6.347, 6.576, 6.842, 7.077, 7.326, 7.647, 8.08, 8.772, 9.143,
        10.076, 10.603, 11.6,
    ),
    (
        0.693, 0.693, 0.693, 2.079, 3.382, 4.289, 4.638, 5.014, 5.314, 5.597, 5.79, 5.988,
        6.195, 6.524, 6.683, 6.839, 7.032, 7.259, 7.456, 7.693, 8.014, 8.354, 8.944, 9.577,
        10.096, 10.222, 10.378,
    ),
    (
        0.693, 0.693, 1.386, 2.165, 3.296, 4.109, 4.673, 5.088, 5.367, 5.658, 5.869, 6.046,
        6.238, 6.439, 6.629, 6.858, 7.056, 7.244, 7.469, 7.751, 8.021, 8.397, 8.998, 9.483,
        10.108, 10.547, 12.572,
    ),
)  # fmt: skip

_MINUTES_TILT = (
    (-0.021, -0.05, 0.011, -0.027, -0.212, 0.038, 0.159, -0.076),
    (0.008, 0.055, 0.043, -0.12, -0.065, -0.055, 0.056, 0.015),
    (0.054, 0.076, -0.015, -0.063, -0.085, -0.034, 0.009, 0.067),
)

_CLV_PRICE_POINTS = (
    (
        (27.0, 0.00952), (29.0, 0.00439), (36.0, 0.06296), (48.6, 0.00439), (49.5, 0.01684),
        (62.58, 0.00805), (64.8, 0.02709), (79.0, 0.01098), (97.0, 0.00659), (99.0, 0.00439),
        (118.58, 0.00659), (118.97, 0.00659), (119.0, 0.18448), (119.34, 0.00512),
        (121.0, 0.01245), (130.0, 0.01098), (137.98, 0.00805), (138.0, 0.02416),
        (143.0, 0.00878), (147.0, 0.00952), (149.99, 0.06369), (151.0, 0.00659),
        (156.0, 0.00732), (160.0, 0.00512), (164.0, 0.01537), (164.01, 0.00512),
        (172.78, 0.00366), (174.0, 0.07467), (184.44, 0.04319), (240.0, 0.01025),
        (348.0, 0.00659),
    ),
    (
        (62.58, 0.01735), (119.0, 0.01518), (141.64, 0.01085), (142.82, 0.01085),
        (143.99, 0.01518), (149.99, 0.01085),
    ),
    (
        (0.0, 0.00399), (9.5, 0.00299), (14.25, 0.01345), (18.0, 0.00299), (19.0, 0.05282),
        (25.65, 0.00498), (27.0, 0.00598), (34.2, 0.01495), (36.0, 0.03637), (48.6, 0.00349),
        (49.5, 0.00648), (51.0, 0.00548), (62.22, 0.00498), (62.57, 0.01545),
        (62.58, 0.18386), (63.63, 0.02242), (64.8, 0.01545), (68.15, 0.00249),
        (68.36, 0.00897), (72.56, 0.00698), (72.57, 0.01196), (75.2, 0.00548),
        (77.3, 0.00648), (78.87, 0.01794), (78.88, 0.00648), (79.0, 0.00249), (79.4, 0.00249),
        (79.41, 0.00349), (82.04, 0.00747), (84.14, 0.00299), (86.24, 0.00448),
        (86.25, 0.00698), (91.5, 0.0294), (91.8, 0.00249), (96.99, 0.01096), (97.0, 0.00448),
        (119.0, 0.10862), (121.0, 0.00747), (138.0, 0.00648), (143.0, 0.00299),
        (147.0, 0.00448), (149.99, 0.04086), (151.0, 0.00448), (156.0, 0.00698),
        (164.0, 0.00747), (174.0, 0.02292), (174.6, 0.00249), (184.44, 0.00897),
        (215.76, 0.00249), (240.0, 0.00448), (245.98, 0.00349), (348.0, 0.00349),
    ),
)  # fmt: skip

_CLV_QUANTILES = (
    (
        0.0, 15.11, 25.2, 35.99, 49.4, 63.31, 93.53, 118.43, 118.71, 118.92, 119.26, 123.65,
        138.7, 149.59, 150.42, 155.96, 173.39, 174.44, 184.29, 207.55, 238.45, 271.2,
        329.34, 359.03, 432.57, 467.62, 543.02,
    ),
    (
        0.0, 17.95, 19.0, 32.32, 38.7, 43.97, 74.65, 118.52, 138.57, 142.03, 142.87, 144.01,
        145.18, 146.92, 164.23, 177.48, 179.7, 182.78, 188.27, 208.32, 214.21, 240.15,
        310.05, 362.12, 392.65, 411.79, 484.69,
    ),
    (
        1.0, 1.84, 5.83, 16.22, 25.25, 34.5, 47.72, 62.53, 75.43, 86.89, 102.46, 118.89,
        119.47, 138.41, 143.08, 147.12, 151.01, 168.38, 176.84, 192.02, 212.8, 244.2,
        301.87, 342.05, 428.93, 525.96, 626.4,
    ),
)  # fmt: skip

_CLV_TILT = (
    (0.004, 0.004, 0.09, -0.204, -0.043, -0.026, 0.044, -0.045),
    (0.053, -0.045, 0.124, -0.081, -0.059, 0.061, -0.099, -0.269),
    (-0.01, -0.15, 0.141, -0.063, -0.187, -0.113, -0.005, 0.101),
)

# Number of independent random streams per block: cell, blank, minutes, CLV.
_N_STREAMS = 4


def region_channel_shares() -> np.ndarray:
    """Share of the seed's customers in each (region, channel) cell.

    Returns
    -------
    shares : ndarray of shape (3, 8)
        ``shares[r, c - 1]`` is the share of customers of region ``r`` and channel ``c``;
        the shares sum to one.
    """
    counts = np.asarray(SEED_REGION_CHANNEL_COUNTS, dtype=np.float64)
    return counts / counts.sum()


def _mixed_quantile_knots(
    atoms: tuple[tuple[float, float], ...],
    continuous_quantiles: tuple[float, ...],
    probabilities: tuple[float, ...],
) -> tuple[np.ndarray, np.ndarray]:
    """Knots of the quantile function of an atoms-plus-continuous distribution.

    The distribution puts mass ``share`` on each atom ``(value, share)`` and the remaining
    mass on a continuous part whose CDF is piecewise linear through
    ``(continuous_quantiles[i], probabilities[i])``. Its quantile function is then
    piecewise linear in the level ``u``, with a flat piece at each atom, so
    ``np.interp(u, levels, values)`` evaluates it exactly.

    Parameters
    ----------
    atoms : tuple of (value, share)
        Point masses; shares are fractions of the whole distribution and sum to < 1.
    continuous_quantiles : tuple of float
        Non-decreasing quantiles of the continuous part.
    probabilities : tuple of float
        Their levels, increasing from 0 to 1.

    Returns
    -------
    levels : ndarray of shape (n_knots,)
        Non-decreasing CDF levels from 0 to 1.
    values : ndarray of shape (n_knots,)
        Non-decreasing values at those levels.
    """
    quantiles = np.asarray(continuous_quantiles, dtype=np.float64)
    probs = np.asarray(probabilities, dtype=np.float64)
    atom_values = np.array([value for value, _ in atoms], dtype=np.float64)
    atom_shares = np.array([share for _, share in atoms], dtype=np.float64)
    continuous_share = 1.0 - atom_shares.sum()
    if continuous_share < 0:
        raise ValueError("atom shares sum to more than one")

    def continuous_cdf(x: float) -> float:
        # Right limit of the piecewise-linear CDF (quantiles may repeat: a jump).
        right = int(np.searchsorted(quantiles, x, side="right"))
        if right == 0:
            return 0.0
        if right == len(quantiles) or quantiles[right - 1] == x:
            return float(probs[right - 1])
        x0, x1 = quantiles[right - 1], quantiles[right]
        p0, p1 = probs[right - 1], probs[right]
        return float(p0 + (p1 - p0) * (x - x0) / (x1 - x0))

    # Sweep by value; at equal values continuous knots come before the atom.
    events = [(q, 0, p) for q, p in zip(quantiles, probs, strict=True)]
    events += [(v, 1, s) for v, s in zip(atom_values, atom_shares, strict=True)]
    events.sort(key=lambda event: (event[0], event[1]))
    levels, values = [], []
    atom_mass = 0.0
    for value, is_atom, amount in events:
        if is_atom:
            base = continuous_share * continuous_cdf(value)
            levels.append(base + atom_mass)
            atom_mass += amount
            levels.append(base + atom_mass)
            values += [value, value]
        else:
            levels.append(continuous_share * amount + atom_mass)
            values.append(value)
    levels_arr = np.maximum.accumulate(np.clip(levels, 0.0, 1.0))
    levels_arr[-1] = 1.0
    return levels_arr, np.asarray(values, dtype=np.float64)


def _stacked_quantile_knots(
    per_region: list[tuple[np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, np.ndarray]:
    """Stack per-region quantile knots so that one ``np.interp`` serves all regions.

    Region ``r``'s levels are shifted by ``2 * r``; a level ``u`` in [0, 1] of a customer of
    region ``r`` is then evaluated as ``np.interp(u + 2 * r, levels, values)``.
    """
    levels = np.concatenate([lev + 2.0 * r for r, (lev, _) in enumerate(per_region)])
    values = np.concatenate([val for _, val in per_region])
    return levels, values


def _standardised_tilts(tilts: tuple[tuple[float, ...], ...]) -> tuple[np.ndarray, np.ndarray]:
    """Per-cell shift and per-region scale of the normal score of the quantile level.

    Within a region, ``z + tilt_c`` (``z`` standard normal, ``c`` drawn with the seed's
    shares) is a normal mixture; centring by its mean and dividing by its standard
    deviation keeps the region's marginal close to the summarised distribution.

    Returns
    -------
    shift : ndarray of shape (24,)
        Centred tilt of each cell (index ``8 * region + channel - 1``).
    scale : ndarray of shape (3,)
        Standard deviation of the mixture of each region.
    """
    tilt = np.asarray(tilts, dtype=np.float64)
    weights = np.asarray(SEED_REGION_CHANNEL_COUNTS, dtype=np.float64)
    weights /= weights.sum(axis=1, keepdims=True)
    mean = (weights * tilt).sum(axis=1, keepdims=True)
    shift = tilt - mean
    scale = np.sqrt(1.0 + (weights * shift**2).sum(axis=1))
    return shift.ravel(), scale


def _sampling_tables() -> dict[str, np.ndarray]:
    """Arrays used by :func:`_draw_block`, built from the hard-coded summaries."""
    minutes_knots = []
    for r in range(N_REGIONS):
        zero = ((0.0, _MINUTES_ZERO_SHARE[r]),)
        minutes_knots.append(
            _mixed_quantile_knots(zero, _LOG_MINUTES_QUANTILES[r], _PROBABILITY_GRID)
        )
    clv_knots = [
        _mixed_quantile_knots(_CLV_PRICE_POINTS[r], _CLV_QUANTILES[r], _PROBABILITY_GRID)
        for r in range(N_REGIONS)
    ]
    minutes_levels, minutes_values = _stacked_quantile_knots(minutes_knots)
    clv_levels, clv_values = _stacked_quantile_knots(clv_knots)
    minutes_shift, minutes_scale = _standardised_tilts(_MINUTES_TILT)
    clv_shift, clv_scale = _standardised_tilts(_CLV_TILT)
    return {
        "cell_cdf": np.cumsum(region_channel_shares().ravel()),
        "blank_rate": np.asarray(_BLANK_RATE, dtype=np.float64).ravel(),
        "minutes_levels": minutes_levels,
        "minutes_values": minutes_values,
        "minutes_shift": minutes_shift,
        "minutes_scale": minutes_scale,
        "clv_levels": clv_levels,
        "clv_values": clv_values,
        "clv_shift": clv_shift,
        "clv_scale": clv_scale,
    }


def _quantile_levels(
    rng: np.random.Generator,
    cell: np.ndarray,
    region: np.ndarray,
    shift: np.ndarray,
    scale: np.ndarray,
) -> np.ndarray:
    """Tilted uniform levels, shifted by ``2 * region`` for the stacked knots."""
    z = rng.standard_normal(cell.shape[0])
    z += shift[cell]
    z /= scale[region]
    u = ndtr(z)
    u += 2.0 * region
    return u


def _draw_block(
    n_rows: int, streams: list[np.random.Generator], tables: dict[str, np.ndarray]
) -> pd.DataFrame:
    """Draw ``n_rows`` customers from the four random streams of one block."""
    cell_rng, blank_rng, minutes_rng, clv_rng = streams
    cdf = tables["cell_cdf"]
    cell = np.searchsorted(cdf, cdf[-1] * cell_rng.random(n_rows), side="right")
    cell = np.minimum(cell, cdf.shape[0] - 1)
    region, channel = np.divmod(cell, N_CHANNELS)

    blank = blank_rng.random(n_rows) < tables["blank_rate"][cell]

    u = _quantile_levels(
        minutes_rng, cell, region, tables["minutes_shift"], tables["minutes_scale"]
    )
    minutes = np.interp(u, tables["minutes_levels"], tables["minutes_values"])
    np.expm1(minutes, out=minutes)
    np.rint(minutes, out=minutes)
    minutes[blank] = np.nan

    u = _quantile_levels(clv_rng, cell, region, tables["clv_shift"], tables["clv_scale"])
    clv = np.interp(u, tables["clv_levels"], tables["clv_values"])
    clv = np.round(clv, 2)

    return pd.DataFrame(
        {
            "minutes_watched": minutes,
            "CLV": clv,
            "region": region.astype(np.int64),
            "channel": (channel + 1).astype(np.int64),
        }
    )


def _check_n_customers(n_customers: int) -> int:
    if isinstance(n_customers, bool) or not isinstance(n_customers, numbers.Integral):
        raise TypeError(f"n_customers must be an integer, got {n_customers!r}")
    if n_customers < 0:
        raise ValueError(f"n_customers must be >= 0, got {n_customers}")
    return int(n_customers)


def _root_seed(random_state: int | np.random.SeedSequence | None) -> np.random.SeedSequence:
    if isinstance(random_state, np.random.SeedSequence):
        return random_state
    if random_state is None:
        return np.random.SeedSequence()
    if isinstance(random_state, bool) or not isinstance(random_state, numbers.Integral):
        raise TypeError(
            f"random_state must be a non-negative int, a SeedSequence or None, got {random_state!r}"
        )
    if random_state < 0:
        raise ValueError(f"random_state must be non-negative, got {random_state}")
    return np.random.SeedSequence(int(random_state))


def iter_customer_blocks(
    n_customers: int, *, random_state: int | np.random.SeedSequence | None = 0
) -> Iterator[pd.DataFrame]:
    """Yield the synthetic customers in consecutive blocks of ``BLOCK_ROWS`` rows.

    Concatenated, the blocks are ``generate_customers(n_customers,
    random_state=random_state)``; use this to stream large outputs.

    Parameters
    ----------
    n_customers : int
        Total number of customers.
    random_state : int, SeedSequence or None, default=0
        Seed; ``None`` draws fresh entropy (not reproducible).

    Yields
    ------
    frame : DataFrame
        Up to ``BLOCK_ROWS`` customers, columns as in :func:`generate_customers`.
    """
    n_customers = _check_n_customers(n_customers)
    root = _root_seed(random_state)
    tables = _sampling_tables()
    for block, start in enumerate(range(0, n_customers, BLOCK_ROWS)):
        n_rows = min(BLOCK_ROWS, n_customers - start)
        block_seed = np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, block))
        streams = [np.random.default_rng(s) for s in block_seed.spawn(_N_STREAMS)]
        yield _draw_block(n_rows, streams, tables)


def _empty_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "minutes_watched": np.empty(0, dtype=np.float64),
            "CLV": np.empty(0, dtype=np.float64),
            "region": np.empty(0, dtype=np.int64),
            "channel": np.empty(0, dtype=np.int64),
        }
    )


def generate_customers(
    n_customers: int, *, random_state: int | np.random.SeedSequence | None = 0
) -> pd.DataFrame:
    """Draw synthetic customers distributed like the embedded seed.

    Parameters
    ----------
    n_customers : int
        Number of customers (rows), >= 0.
    random_state : int, SeedSequence or None, default=0
        Seed of the random streams; the same seed gives the same customers. ``None``
        draws fresh entropy.

    Returns
    -------
    customers : DataFrame of shape (n_customers, 4)
        Columns ``minutes_watched`` (float64, NaN for "never watched", whole minutes),
        ``CLV`` (float64, cents), ``region`` (int64, 0..2) and ``channel`` (int64, 1..8).

    Examples
    --------
    >>> from customer_segmentation.generator import generate_customers
    >>> df = generate_customers(1000, random_state=42)
    >>> list(df.columns)
    ['minutes_watched', 'CLV', 'region', 'channel']
    """
    blocks = list(iter_customer_blocks(n_customers, random_state=random_state))
    if not blocks:
        return _empty_frame()
    if len(blocks) == 1:
        return blocks[0]
    return pd.concat(blocks, ignore_index=True)


def _resolve_format(path: Path, fmt: str | None) -> str:
    if fmt is None:
        suffix = path.suffix.lower()
        if suffix == ".csv":
            return "csv"
        if suffix in (".parquet", ".pq"):
            return "parquet"
        raise ValueError(
            f"cannot infer the format of {str(path)!r} from its extension; "
            "use .csv, .parquet or pass fmt='csv' / fmt='parquet'"
        )
    fmt = fmt.lower()
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt must be 'csv', 'parquet' or None, got {fmt!r}")
    return fmt


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def write_customers(
    path: str | os.PathLike[str],
    n_customers: int,
    *,
    random_state: int | np.random.SeedSequence | None = 0,
    fmt: str | None = None,
) -> dict[str, object]:
    """Generate customers and write them to CSV or Parquet with DuckDB.

    The customers are those of ``generate_customers(n_customers,
    random_state=random_state)``, generated block by block into a DuckDB table and then
    copied to ``path`` in order.

    Parameters
    ----------
    path : str or path-like
        Output file; its parent directory is created if needed.
    n_customers : int
        Number of customers.
    random_state : int, SeedSequence or None, default=0
        Seed, as in :func:`generate_customers`.
    fmt : {"csv", "parquet"} or None, default=None
        Output format; ``None`` infers it from the extension (``.csv``, ``.parquet``,
        ``.pq``). CSV has the header ``minutes_watched,CLV,region,channel`` and an empty
        field for a blank ``minutes_watched``; Parquet stores blanks as NULL.

    Returns
    -------
    summary : dict
        ``path``, ``format``, ``rows``, ``bytes`` (file size) and ``seconds``.
    """
    import duckdb

    start = time.perf_counter()
    path = Path(path)
    fmt = _resolve_format(path, fmt)
    n_customers = _check_n_customers(n_customers)
    path.parent.mkdir(parents=True, exist_ok=True)

    con = duckdb.connect()
    try:
        con.execute(
            "CREATE TABLE customers (minutes_watched DOUBLE, CLV DOUBLE, "
            "region BIGINT, channel BIGINT)"
        )
        for block in iter_customer_blocks(n_customers, random_state=random_state):
            con.register("customer_block", block)
            con.execute("INSERT INTO customers SELECT * FROM customer_block")
            con.unregister("customer_block")
        options = "FORMAT csv, HEADER true, DELIMITER ','" if fmt == "csv" else "FORMAT parquet"
        con.execute(f"COPY customers TO {_sql_string(str(path))} ({options})")
    finally:
        con.close()

    return {
        "path": str(path),
        "format": fmt,
        "rows": n_customers,
        "bytes": path.stat().st_size,
        "seconds": time.perf_counter() - start,
    }
