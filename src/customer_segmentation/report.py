"""A self-contained HTML report of the segmentation, drawn from the marts.

The report reads the DuckDB file that ``dbt build`` wrote through a read-only connection, so it
can run while nothing else writes and never changes the warehouse. Every picture is a PNG
embedded as base64: the HTML file is the whole report (no external files, scripts or fonts).

The report is a list of :class:`Section` objects (``SECTIONS``). Each names the relations it
needs; a section whose relations are missing from the database is skipped with a note, so a
report can be rendered from an older or partial build and a new mart needs only a new
``Section`` appended to ``SECTIONS``.

Examples
--------
>>> from customer_segmentation.report import write_report
>>> write_report("customer_segmentation.duckdb", "reports/report.html")  # doctest: +SKIP
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import matplotlib
import matplotlib.ticker
import numpy as np
import pandas as pd
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure

from customer_segmentation import report_history

matplotlib.use("Agg")  # no display on build machines; figures are only saved

__all__ = [
    "ReportData",
    "Section",
    "SECTIONS",
    "channel_effects_figure",
    "contingency_figure",
    "correlation_figure",
    "dendrogram_figure",
    "favoured_k",
    "figure_to_img",
    "k_selection_figure",
    "linkage_from_merges",
    "minutes_clv_figure",
    "profile_heatmap_figure",
    "region_channel_figure",
    "region_channel_mix_figure",
    "render_report",
    "segment_sizes_figure",
    "stability_figure",
    "write_report",
]

#: Schemas searched for a relation, in order (marts first: they are the published interface).
SEARCH_SCHEMAS = ("marts", "clustering", "intermediate", "staging", "raw")
RAW_VARIABLES = ("minutes_watched", "clv", "region", "channel")
DENDROGRAM_LEAVES = 30
#: Names the number-of-segments column of a k-selection table may have.
K_COLUMNS = ("k", "n_segments", "n_clusters")


# ---------------------------------------------------------------------------- data access


class ReportData:
    """Read-only access to the relations of a built DuckDB file, by name in any schema.

    Parameters
    ----------
    connection : duckdb.DuckDBPyConnection
        An open connection (read-only is recommended).
    """

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self.connection = connection
        rows = connection.sql(
            "select table_schema, table_name from information_schema.tables"
        ).fetchall()
        located: dict[str, str] = {}
        for schema in SEARCH_SCHEMAS:
            for table_schema, table_name in rows:
                if table_schema == schema:
                    located.setdefault(table_name, f'"{table_schema}"."{table_name}"')
        self._relations = located

    def has(self, name: str) -> bool:
        """True when a relation called ``name`` exists in one of ``SEARCH_SCHEMAS``."""
        return name in self._relations

    def relation(self, name: str) -> str:
        """The quoted ``schema.name`` of relation ``name``; ``KeyError`` when missing."""
        if name not in self._relations:
            raise KeyError(f"relation {name!r} not found in schemas {', '.join(SEARCH_SCHEMAS)}")
        return self._relations[name]

    def table(self, name: str, where: str = "", order_by: str = "") -> pd.DataFrame:
        """The whole relation ``name`` as a DataFrame (optionally filtered and ordered)."""
        sql = f"select * from {self.relation(name)}"
        if where:
            sql += f" where {where}"
        if order_by:
            sql += f" order by {order_by}"
        return self.connection.sql(sql).df()

    def names_in_schema(self, schema: str) -> list[str]:
        """Relations located in ``schema``, sorted."""
        prefix = f'"{schema}".'
        return sorted(n for n, r in self._relations.items() if r.startswith(prefix))


# ---------------------------------------------------------------------------- figures


def figure_to_img(fig: Figure, alt: str) -> str:
    """An ``<img>`` tag holding ``fig`` as a base64 PNG (the figure is closed afterwards)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{encoded}">'


def _annotate(ax, values: np.ndarray, fmt: str, threshold: float | None = None) -> None:
    for (i, j), value in np.ndenumerate(values):
        if np.isnan(value):
            continue
        strong = threshold is not None and abs(value) > threshold
        ax.text(
            j,
            i,
            format(value, fmt),
            ha="center",
            va="center",
            fontsize=8,
            color="white" if strong else "black",
        )


def _annotate_counts(ax, values: np.ndarray, shares: np.ndarray) -> None:
    """Write each non-empty cell's count, white on cells darker than a 0.6 share."""
    for (i, j), value in np.ndenumerate(values):
        if value > 0:
            ax.text(
                j,
                i,
                f"{value:,.0f}",
                ha="center",
                va="center",
                fontsize=8,
                color="white" if shares[i, j] > 0.6 else "black",
            )


def correlation_figure(customers: pd.DataFrame, columns: Sequence[str] = RAW_VARIABLES) -> Figure:
    """Pearson correlation heatmap of the raw variables (the classic analysis' first picture)."""
    corr = customers[list(columns)].astype(float).corr().to_numpy()
    fig = Figure(figsize=(5.5, 4.5))
    ax = fig.subplots()
    image = ax.imshow(corr, cmap="RdBu_r", vmin=-1, vmax=1)
    ax.set_xticks(range(len(columns)), labels=columns, rotation=30, ha="right")
    ax.set_yticks(range(len(columns)), labels=columns)
    _annotate(ax, corr, ".2f", threshold=0.6)
    fig.colorbar(image, ax=ax, label="Pearson correlation")
    ax.set_title("Correlation of the raw variables")
    return fig


def _segment_colors(n: int) -> list:
    cmap = matplotlib.colormaps["tab10" if n <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(n)]


def minutes_clv_figure(customers: pd.DataFrame, segments: pd.DataFrame) -> Figure:
    """Minutes watched (symlog: heavy tail and zeros) against CLV, one colour per segment.

    ``customers`` needs minutes_watched, clv, kmeans_segment_id; ``segments`` segment_id and
    segment_name (k-means rows of dim_segments).
    """
    fig = Figure(figsize=(9, 5.5))
    ax = fig.subplots()
    ordered = segments.sort_values("segment_id")
    for color, (_, row) in zip(_segment_colors(len(ordered)), ordered.iterrows(), strict=True):
        members = customers[customers["kmeans_segment_id"] == row["segment_id"]]
        ax.scatter(
            members["minutes_watched"],
            members["clv"],
            s=6,
            alpha=0.6,
            color=color,
            label=f"{row['segment_id']}. {row['segment_name']} ({len(members):,})",
        )
    ax.set_xscale("symlog", linthresh=10)
    ax.set_xlim(left=0)
    ax.set_xlabel("minutes watched (symmetric log scale: linear below 10, log above)")
    ax.set_ylabel("CLV")
    ax.set_title("Watch time against CLV by k-means segment")
    ax.legend(fontsize=7, markerscale=2, loc="upper left", bbox_to_anchor=(1.01, 1))
    return fig


#: Criteria columns of ``mart_k_selection`` drawn against k: (column, name used in
#: ``favoured_by``, what is better).
K_SELECTION_CRITERIA = (
    ("inertia", "elbow", "lower is tighter; the knee (elbow) is favoured"),
    ("silhouette", "silhouette", "higher is better"),
    ("davies_bouldin", "davies_bouldin", "lower is better"),
    ("calinski_harabasz", "calinski_harabasz", "higher is better"),
    ("ward_height_gap", "ward_gap", "the largest gap is favoured"),
    ("elbow_distance", "elbow", "distance below the chord; the largest is the elbow"),
)
#: Numeric columns of a k-selection table that are bookkeeping, not criteria.
K_SELECTION_BOOKKEEPING = (
    "n_starts",
    "n_starts_at_best",
    "sample_rows",
    "silhouette_sample_rows",
    "ward_merge_height",
)


def favoured_k(k_selection: pd.DataFrame, k_column: str = "n_clusters") -> dict[str, int]:
    """Which k each criterion favours, from the comma-separated ``favoured_by`` column."""
    favoured: dict[str, int] = {}
    if "favoured_by" not in k_selection.columns:
        return favoured
    for k, names in zip(k_selection[k_column], k_selection["favoured_by"], strict=True):
        if isinstance(names, str):
            for name in names.split(","):
                if name.strip():
                    favoured[name.strip()] = int(k)
    return favoured


def k_selection_figure(
    k_selection: pd.DataFrame,
    chosen_k: int | None = None,
    *,
    auto_k: int | None = None,
    favoured: dict[str, int] | None = None,
) -> Figure:
    """Every numeric criterion of a k-selection table against k, one small panel each.

    ``k_selection`` needs a column named as in ``K_COLUMNS`` (``k``, ``n_segments`` or
    ``n_clusters``); every other numeric, non-boolean column is a criterion (columns saying
    which k a criterion favours are text or boolean and are left out, and so are the
    bookkeeping columns of ``K_SELECTION_BOOKKEEPING``). A long table with columns
    ``criterion`` and ``value`` is pivoted first. ``chosen_k`` draws a dashed line at the
    build's k, ``auto_k`` a dotted one at the k ``n_segments: auto`` takes, and ``favoured``
    (criterion name as in ``favoured_by`` -> k) rings the point each criterion favours.
    """
    k_column = next((c for c in K_COLUMNS if c in k_selection.columns), None)
    if k_column is not None and {"criterion", "value"} <= set(k_selection.columns):
        k_selection = k_selection.pivot_table(
            index=k_column, columns="criterion", values="value"
        ).reset_index()
    if k_column is None:
        raise ValueError(f"k-selection table needs a column named one of {', '.join(K_COLUMNS)}")
    frame = k_selection.sort_values(k_column)
    criteria = [
        c
        for c in frame.columns
        if c != k_column
        and c not in K_SELECTION_BOOKKEEPING
        and pd.api.types.is_numeric_dtype(frame[c])
        and not pd.api.types.is_bool_dtype(frame[c])
        and frame[c].notna().any()
    ]
    if not criteria:
        raise ValueError("k-selection table has no numeric criterion columns")
    favoured = favoured or {}
    described = {column: (name, hint) for column, name, hint in K_SELECTION_CRITERIA}
    n_cols = min(3, len(criteria))
    n_rows = -(-len(criteria) // n_cols)
    fig = Figure(figsize=(4.2 * n_cols, 3.1 * n_rows))
    axes = np.atleast_1d(fig.subplots(n_rows, n_cols)).ravel()
    for ax, criterion in zip(axes, criteria, strict=False):
        ax.plot(frame[k_column], frame[criterion], marker="o", color="steelblue")
        if chosen_k is not None:
            ax.axvline(chosen_k, color="crimson", linestyle="--", linewidth=1)
        if auto_k is not None and auto_k != chosen_k:
            ax.axvline(auto_k, color="darkorange", linestyle=":", linewidth=1.5)
        name, hint = described.get(criterion, (criterion, ""))
        title = criterion
        if name in favoured:
            k = favoured[name]
            value = frame.loc[frame[k_column] == k, criterion]
            if not value.empty:
                ax.plot(
                    [k],
                    [value.iloc[0]],
                    "o",
                    markersize=13,
                    markerfacecolor="none",
                    markeredgecolor="darkgreen",
                    markeredgewidth=2,
                )
            title += f" (favours k = {k})"
        ax.set_title(title, fontsize=9)
        ax.set_xlabel(f"k ({hint})" if hint else "k", fontsize=8)
        ax.set_xticks(frame[k_column])
    for ax in axes[len(criteria) :]:
        ax.set_visible(False)
    legend = "dashed red: this build's k"
    if auto_k is not None and auto_k != chosen_k:
        legend += "; dotted orange: the auto choice"
    if favoured:
        legend += "; green ring: the k the criterion favours"
    fig.suptitle(f"Criteria against the number of segments ({legend})", fontsize=11)
    fig.tight_layout()
    return fig


def linkage_from_merges(merges: pd.DataFrame) -> np.ndarray:
    """scipy's linkage matrix from ``mart_ward_dendrogram`` (ordered by merge_step)."""
    ordered = merges.sort_values("merge_step")
    columns = ["left_node", "right_node", "height", "customers"]
    return ordered[columns].to_numpy(dtype=np.float64)


def cut_height(merges: pd.DataFrame) -> float:
    """A height between the last merge kept and the first merge the cut undoes."""
    above = merges.loc[merges["is_above_cut"].astype(bool), "height"]
    below = merges.loc[~merges["is_above_cut"].astype(bool), "height"]
    if above.empty:
        return float(merges["height"].max()) * 1.02
    if below.empty:
        return float(above.min()) * 0.98
    return (float(below.max()) + float(above.min())) / 2


def dendrogram_figure(merges: pd.DataFrame, leaves: int = DENDROGRAM_LEAVES) -> Figure:
    """The top of the Ward tree (last ``leaves`` clusters) with the n_segments cut marked."""
    from scipy.cluster.hierarchy import dendrogram

    Z = linkage_from_merges(merges)
    cut = cut_height(merges)
    kept = merges.loc[~merges["is_above_cut"].astype(bool), "n_clusters_after"]
    n_segments = int(kept.min()) if not kept.empty else len(Z) + 1
    fig = Figure(figsize=(10, 5))
    ax = fig.subplots()
    dendrogram(
        Z,
        ax=ax,
        truncate_mode="lastp",
        p=min(leaves, len(Z) + 1),
        color_threshold=cut,
        above_threshold_color="grey",
        show_leaf_counts=True,
        leaf_rotation=90,
        leaf_font_size=8,
    )
    ax.axhline(cut, color="crimson", linestyle="--", linewidth=1.2)
    ax.text(
        ax.get_xlim()[1],
        cut,
        f"  cut: {n_segments} segments",
        color="crimson",
        va="bottom",
        ha="right",
        fontsize=9,
    )
    ax.set_ylabel("Ward merge height")
    ax.set_xlabel("clusters (customers in brackets)")
    ax.set_title(f"Ward dendrogram, top {min(leaves, len(Z) + 1)} clusters")
    return fig


def segment_sizes_figure(segments: pd.DataFrame) -> Figure:
    """Customers per segment, one panel per segmentation method (dim_segments)."""
    methods = sorted(segments["segmentation_method"].unique())
    fig = Figure(
        figsize=(
            6 * len(methods),
            0.45 * segments.groupby("segmentation_method").size().max() + 1.5,
        )
    )
    axes = np.atleast_1d(fig.subplots(1, len(methods)))
    for ax, method in zip(axes, methods, strict=True):
        rows = segments[segments["segmentation_method"] == method].sort_values(
            "segment_id", ascending=False
        )
        labels = [
            f"{i}. {n}" for i, n in zip(rows["segment_id"], rows["segment_name"], strict=True)
        ]
        bars = ax.barh(labels, rows["customers"], color="steelblue")
        ax.bar_label(bars, labels=[f"{c:,}" for c in rows["customers"]], fontsize=8, padding=2)
        ax.set_title(f"{method}: customers per segment")
        ax.set_xlabel("customers")
        ax.margins(x=0.15)
    fig.tight_layout()
    return fig


def profile_heatmap_figure(centroids: pd.DataFrame, segments: pd.DataFrame) -> Figure:
    """Segment x feature centres: colour = z-score, text = value in original units."""
    centres = centroids.merge(segments[["segment_id", "segment_name"]], on="segment_id", how="left")
    centres["label"] = centres["segment_id"].astype(str) + ". " + centres["segment_name"]
    order = centres.sort_values("feature_position")["feature_name"].unique()
    z = centres.pivot_table(
        index=["segment_id", "label"], columns="feature_name", values="center_standardised"
    )[order]
    original = centres.pivot_table(
        index=["segment_id", "label"], columns="feature_name", values="center_original_units"
    )[order]
    values = z.to_numpy()
    # One-hot columns of small segments reach z-scores of 8+; saturate at 3 so the usual
    # +-1 differences stay visible.
    limit = min(3.0, max(1.0, float(np.nanmax(np.abs(values)))))
    fig = Figure(figsize=(1.0 + 0.75 * len(order), 1.2 + 0.5 * len(z)))
    ax = fig.subplots()
    image = ax.imshow(values, cmap="RdBu_r", norm=TwoSlopeNorm(0, -limit, limit), aspect="auto")
    ax.set_xticks(range(len(order)), labels=order, rotation=40, ha="right", fontsize=8)
    ax.set_yticks(range(len(z)), labels=z.index.get_level_values("label"), fontsize=8)
    for (i, j), value in np.ndenumerate(original.to_numpy()):
        feature = order[j]
        rounded = round(float(value), 2) + 0.0  # no "-0.00" for shares of zero
        text = (
            f"{value:,.0f}"
            if feature.startswith("minutes") or feature == "clv"
            else (f"{rounded:.2f}")
        )
        ax.text(
            j,
            i,
            text,
            ha="center",
            va="center",
            fontsize=7,
            color="white" if abs(values[i, j]) > limit * 0.6 else "black",
        )
    fig.colorbar(image, ax=ax, label="centre, z-score (text: original units / share)")
    ax.set_title("Segment profiles: k-means centres per feature")
    return fig


REGION_CHANNEL_MEASURES = (
    ("customers", "customers", ",.0f"),
    ("mean_clv", "mean CLV", ",.0f"),
    ("mean_minutes_watched", "mean minutes watched", ",.0f"),
)


def region_channel_figure(performance: pd.DataFrame) -> Figure:
    """Region x channel heatmaps of customers, mean CLV and mean minutes."""
    fig = Figure(figsize=(15, 3.6))
    axes = fig.subplots(1, len(REGION_CHANNEL_MEASURES))
    ordered = performance.sort_values(["region", "channel"])
    regions = ordered.drop_duplicates("region")["region_name"].tolist()
    channels = ordered.drop_duplicates("channel")["channel_name"].tolist()
    for ax, (column, title, fmt) in zip(axes, REGION_CHANNEL_MEASURES, strict=True):
        grid = ordered.pivot(index="region", columns="channel", values=column).astype(float)
        values = grid.to_numpy()
        image = ax.imshow(values, cmap="viridis", aspect="auto")
        ax.set_xticks(range(len(channels)), labels=channels, rotation=40, ha="right", fontsize=8)
        ax.set_yticks(range(len(regions)), labels=regions, fontsize=8)
        finite = values[np.isfinite(values)]
        middle = float(np.median(finite)) if finite.size else 0.0
        for (i, j), value in np.ndenumerate(values):
            if np.isfinite(value):
                ax.text(
                    j,
                    i,
                    format(value, fmt),
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if value < middle else "black",
                )
        ax.set_title(title)
        fig.colorbar(image, ax=ax, shrink=0.8)
    fig.suptitle("Region x acquisition channel")
    fig.tight_layout()
    return fig


def contingency_figure(contingency: pd.DataFrame) -> Figure:
    """k-means segment x Ward segment heatmap of customers (``mart_segment_contingency``).

    Colour is the share of the k-means segment (row) in each Ward segment, so a row with one
    dark cell is a segment both methods agree on; the text is the number of customers.
    """
    rows = contingency.drop_duplicates("kmeans_segment_id").sort_values("kmeans_segment_id")
    cols = contingency.drop_duplicates("ward_segment_id").sort_values("ward_segment_id")
    counts = contingency.pivot_table(
        index="kmeans_segment_id", columns="ward_segment_id", values="customers", fill_value=0
    ).reindex(index=rows["kmeans_segment_id"], columns=cols["ward_segment_id"], fill_value=0)
    values = counts.to_numpy(dtype=float)
    totals = values.sum(axis=1, keepdims=True)
    shares = np.divide(values, totals, out=np.zeros_like(values), where=totals > 0)
    fig = Figure(figsize=(1.6 + 0.95 * len(cols), 1.4 + 0.5 * len(rows)))
    ax = fig.subplots()
    image = ax.imshow(shares, cmap="Blues", vmin=0, vmax=1, aspect="auto")
    x_labels = [
        f"{i}. {n}"
        for i, n in zip(cols["ward_segment_id"], cols["ward_segment_name"], strict=False)
    ]
    y_labels = [
        f"{i}. {n}"
        for i, n in zip(rows["kmeans_segment_id"], rows["kmeans_segment_name"], strict=False)
    ]
    ax.set_xticks(range(len(cols)), labels=x_labels, rotation=35, ha="right", fontsize=8)
    ax.set_yticks(range(len(rows)), labels=y_labels, fontsize=8)
    _annotate_counts(ax, values, shares)
    ax.set_xlabel("Ward segment")
    ax.set_ylabel("k-means segment")
    fig.colorbar(image, ax=ax, label="share of the k-means segment (text: customers)")
    ax.set_title("Where the two methods agree: customers per k-means x Ward segment")
    return fig


STABILITY_COLORS = {
    "stable": "seagreen",
    "fairly stable": "yellowgreen",
    "doubtful": "orange",
    "unstable": "crimson",
}


def stability_figure(stability: pd.DataFrame) -> Figure:
    """Mean best-match Jaccard per segment (bars) with the lowest resample (tick).

    ``stability`` needs segment_id, segment_name, customers, mean_jaccard, min_jaccard and
    stability_class (``mart_segment_stability``).
    """
    rows = stability.sort_values("segment_id", ascending=False)
    labels = [
        f"{i}. {n} ({c:,})"
        for i, n, c in zip(
            rows["segment_id"], rows["segment_name"], rows["customers"], strict=False
        )
    ]
    colors = [STABILITY_COLORS.get(c, "grey") for c in rows["stability_class"]]
    fig = Figure(figsize=(9, 0.42 * len(rows) + 1.6))
    ax = fig.subplots()
    bars = ax.barh(labels, rows["mean_jaccard"], color=colors)
    ax.scatter(rows["min_jaccard"], labels, marker="|", s=250, color="black", zorder=3)
    ax.bar_label(
        bars,
        labels=[
            f"{m:.2f} {c}"
            for m, c in zip(rows["mean_jaccard"], rows["stability_class"], strict=False)
        ],
        fontsize=8,
        padding=3,
    )
    ax.axvline(0.75, color="grey", linestyle=":", linewidth=1)
    ax.set_xlim(0, 1.25)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0])
    ax.set_xlabel("mean best-match Jaccard over bootstrap refits (black tick: the lowest)")
    ax.set_title("Segment stability under resampling (k-means)")
    return fig


#: Panels of the channel effects figure: (estimate, interval low, interval high, region value,
#: meaningful-difference flag, axis label).
CHANNEL_EFFECT_PANELS = (
    (
        "median_minutes_watched",
        "median_minutes_watched_ci_low",
        "median_minutes_watched_ci_high",
        "region_median_minutes_watched",
        "median_minutes_watched_differs",
        "median minutes watched",
    ),
    (
        "mean_clv",
        "mean_clv_ci_low",
        "mean_clv_ci_high",
        "region_mean_clv",
        "mean_clv_differs",
        "mean CLV",
    ),
)


def channel_effects_figure(effects: pd.DataFrame) -> Figure:
    """Per region (columns) and metric (rows): each channel's estimate with its interval.

    ``effects`` is ``mart_channel_effects``. The dashed line is the region's value; a channel
    meaningfully different from it is drawn in red, one with too few customers in grey.
    """
    regions = (
        effects.sort_values(["is_all_regions", "region"])
        .drop_duplicates("region_name")["region_name"]
        .tolist()
    )
    channels = effects.sort_values("channel").drop_duplicates("channel")["channel_name"].tolist()
    fig = Figure(figsize=(3.0 * len(regions) + 1, 7.2))
    axes = np.atleast_2d(fig.subplots(len(CHANNEL_EFFECT_PANELS), len(regions), sharey=True))
    positions = {name: i for i, name in enumerate(reversed(channels))}
    for row, (value, low, high, region_value, differs, label) in enumerate(CHANNEL_EFFECT_PANELS):
        for col, region in enumerate(regions):
            ax = axes[row, col]
            cells = effects[effects["region_name"] == region]
            for _, cell in cells.iterrows():
                if bool(cell["is_too_few_customers"]):
                    color = "darkgrey"
                elif bool(cell[differs]):
                    color = "crimson"
                else:
                    color = "steelblue"
                y = positions[cell["channel_name"]]
                ax.errorbar(
                    cell[value],
                    y,
                    xerr=[[cell[value] - cell[low]], [cell[high] - cell[value]]],
                    fmt="o",
                    color=color,
                    ecolor=color,
                    capsize=3,
                    markersize=5,
                )
            if not cells.empty:
                ax.axvline(cells[region_value].iloc[0], color="black", linestyle="--", lw=1)
            ax.set_yticks(list(positions.values()), labels=list(positions), fontsize=8)
            ax.tick_params(axis="x", labelsize=8)
            ax.set_xlabel(label, fontsize=9)
            if row == 0:
                ax.set_title(region, fontsize=10)
    fig.suptitle(
        "Each channel with its 95 % interval; dashed: the region's value; red: meaningfully "
        "different from the region; grey: too few customers to judge",
        fontsize=10,
    )
    fig.tight_layout()
    return fig


def _share_label(value: float) -> str:
    return f"{value:.0%}" if value >= 0.04 else ""


def region_channel_mix_figure(mix: pd.DataFrame) -> Figure:
    """Each region's customers by channel as stacked 100 % bars (``mart_region_channel_mix``).

    Left: social media grouped against the other channels. Right: every channel, social media
    channels in blues and the others in warm colours, so the two readings line up.
    """
    order = mix.sort_values(
        ["is_all_regions", "region_share_of_customers"], ascending=[False, True]
    )
    regions = order.drop_duplicates("region_name")
    labels = [
        f"{n} ({s:.0%} of customers)" if not a else n
        for n, s, a in zip(
            regions["region_name"],
            regions["region_share_of_customers"],
            regions["is_all_regions"],
            strict=False,
        )
    ]
    fig = Figure(figsize=(13, 0.6 * len(regions) + 2.2))
    left, right = fig.subplots(1, 2, sharey=True, gridspec_kw={"width_ratios": [1, 1.6]})
    grouped = mix[mix["channel_grouping"] == "social_media"]
    by_channel = mix[mix["channel_grouping"] == "channel"]
    social = by_channel[by_channel["is_social_media"].astype(bool)]
    other = by_channel[~by_channel["is_social_media"].astype(bool)]
    social_names = social.sort_values("channel").drop_duplicates("channel_name")["channel_name"]
    other_names = other.sort_values("channel").drop_duplicates("channel_name")["channel_name"]
    blues = matplotlib.colormaps["Blues"](np.linspace(0.85, 0.35, max(len(social_names), 1)))
    warms = matplotlib.colormaps["Oranges"](np.linspace(0.7, 0.3, max(len(other_names), 1)))
    panels = (
        (left, grouped, [("Social media", "steelblue"), ("Other channels", "sandybrown")]),
        (
            right,
            by_channel,
            list(zip(social_names, blues, strict=False))
            + list(zip(other_names, warms, strict=False)),
        ),
    )
    y = np.arange(len(regions))
    for ax, rows, series in panels:
        start = np.zeros(len(regions))
        for name, color in series:
            shares = (
                rows[rows["channel_name"] == name]
                .set_index("region_name")["share_of_region"]
                .reindex(regions["region_name"])
                .fillna(0.0)
                .to_numpy()
            )
            bars = ax.barh(y, shares, left=start, color=color, label=name, edgecolor="white")
            ax.bar_label(
                bars, labels=[_share_label(v) for v in shares], label_type="center", fontsize=7
            )
            start += shares
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=5)
    left.set_yticks(y, labels=labels, fontsize=8)
    left.set_title("Social media against the other channels", fontsize=10)
    right.set_title("Every channel (blues: social media)", fontsize=10)
    fig.suptitle("Where each region's customers discovered the platform (share of the region)")
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------- sections


@dataclass(frozen=True)
class Section:
    """One part of the report.

    Attributes
    ----------
    key : str
        Anchor id in the HTML.
    title : str
        Heading.
    requires : tuple of str
        Relations (any schema in ``SEARCH_SCHEMAS``) the section reads; when one is missing the
        section is replaced by a note naming it.
    render : callable
        ``render(data) -> str``: the section's HTML body.
    note : str
        One paragraph shown under the heading.
    """

    key: str
    title: str
    requires: tuple[str, ...]
    render: Callable[[ReportData], str]
    note: str = ""


def _kmeans_segments(data: ReportData) -> pd.DataFrame:
    return data.table("dim_segments", where="segmentation_method = 'kmeans'", order_by="segment_id")


def _overview(data: ReportData) -> str:
    segments = data.table("dim_segments")
    customers = data.connection.sql(
        "select count(*), sum(clv), avg(minutes_watched) "
        f"from {data.relation('fct_customer_segments')}"
    ).fetchall()[0]
    rejected = data.connection.sql(
        f"select count(*) from {data.relation('customers_rejected')}"
    ).fetchall()[0][0]
    per_method = segments.groupby("segmentation_method").size().to_dict()
    items = [
        f"<li><b>{customers[0]:,}</b> customers segmented, <b>{rejected:,}</b> input rows "
        "rejected (see <code>customers_rejected</code>)</li>",
        f"<li>total CLV <b>{customers[1]:,.2f}</b>, mean watch time "
        f"<b>{customers[2]:,.0f}</b> minutes</li>",
        "<li>segments: "
        + ", ".join(f"{m} <b>{n}</b>" for m, n in sorted(per_method.items()))
        + "</li>",
    ]
    kmeans = segments[segments["segmentation_method"] == "kmeans"]
    if not kmeans.empty:
        top_clv = kmeans.loc[kmeans["mean_clv"].idxmax()]
        top_minutes = kmeans.loc[kmeans["mean_minutes_watched"].idxmax()]
        items.append(
            f"<li>highest mean CLV: <b>{html.escape(top_clv['segment_name'])}</b> "
            f"({top_clv['mean_clv']:,.2f})</li>"
        )
        items.append(
            f"<li>highest mean watch time: <b>{html.escape(top_minutes['segment_name'])}"
            f"</b> ({top_minutes['mean_minutes_watched']:,.0f} minutes)</li>"
        )
    return "<ul>" + "".join(items) + "</ul>"


def _correlation(data: ReportData) -> str:
    customers = data.table("fct_customer_segments")
    return figure_to_img(correlation_figure(customers), "correlation heatmap of raw variables")


def _scatter(data: ReportData) -> str:
    customers = data.table("fct_customer_segments")
    return figure_to_img(
        minutes_clv_figure(customers, _kmeans_segments(data)),
        "minutes watched against CLV by segment",
    )


K_SELECTION_TABLE_COLUMNS = (
    ("n_clusters", "k", "{}"),
    ("inertia", "inertia", "{:,.0f}"),
    ("silhouette", "silhouette", "{:.3f}"),
    ("davies_bouldin", "Davies-Bouldin", "{:.3f}"),
    ("calinski_harabasz", "Calinski-Harabasz", "{:,.0f}"),
    ("ward_height_gap", "Ward gap", "{:.2f}"),
    ("favoured_by", "favoured by", "{}"),
    ("choice", "choice", "{}"),
)


def _k_selection(data: ReportData) -> str:
    table = data.table("mart_k_selection", order_by="n_clusters")
    build = table.loc[table["is_build_k"].astype(bool), "n_clusters"]
    auto = table.loc[table["is_auto_choice"].astype(bool), "n_clusters"]
    chosen_k = int(build.iloc[0]) if not build.empty else None
    auto_k = int(auto.iloc[0]) if not auto.empty else None
    outside = ""
    if chosen_k is None and data.has("dim_segments"):
        # The build's k lies outside the scored range (k_selection_min_k..k_selection_max_k).
        chosen_k = len(_kmeans_segments(data)) or None
        outside = " (outside the scored range of k)"
    figure = k_selection_figure(table, chosen_k=chosen_k, auto_k=auto_k, favoured=favoured_k(table))
    table["choice"] = [
        ", ".join(label for flag, label in ((b, "this build"), (a, "auto choice")) if bool(flag))
        for b, a in zip(table["is_build_k"], table["is_auto_choice"], strict=True)
    ]
    rule = table["auto_rule"].dropna()
    parts = [figure_to_img(figure, "k-selection criteria against k")]
    if chosen_k is not None:
        parts.append(
            f"<p>This build uses <b>k = {chosen_k}</b>{outside}"
            + (f"; <code>n_segments: auto</code> would take <b>k = {auto_k}</b>" if auto_k else "")
            + (f" ({html.escape(str(rule.iloc[0]))})" if not rule.empty else "")
            + ".</p>"
        )
    columns = [c for c in K_SELECTION_TABLE_COLUMNS if c[0] in table.columns]
    parts.append(html_table(table, columns, highlight="is_build_k"))
    return "".join(parts)


def _dendrogram(data: ReportData) -> str:
    return figure_to_img(
        dendrogram_figure(data.table("mart_ward_dendrogram")), "Ward dendrogram with the cut"
    )


def _sizes(data: ReportData) -> str:
    return figure_to_img(segment_sizes_figure(data.table("dim_segments")), "customers per segment")


def _profiles(data: ReportData) -> str:
    centroids = data.table("segment_centroids", where="segmentation_method = 'kmeans'")
    return figure_to_img(
        profile_heatmap_figure(centroids, _kmeans_segments(data)), "segment profile heatmap"
    )


def _region_channel(data: ReportData) -> str:
    return figure_to_img(
        region_channel_figure(data.table("mart_region_channel_performance")),
        "region by channel heatmaps",
    )


SEGMENT_TABLE_COLUMNS = (
    ("segment_id", "id", "{}"),
    ("segment_name", "name", "{}"),
    ("customers", "customers", "{:,}"),
    ("share_of_customers", "share", "{:.1%}"),
    ("mean_minutes_watched", "mean minutes", "{:,.0f}"),
    ("median_minutes_watched", "median minutes", "{:,.0f}"),
    ("mean_clv", "mean CLV", "{:,.2f}"),
    ("total_clv", "total CLV", "{:,.0f}"),
    ("segment_profile", "profile", "{}"),
)


def html_table(
    frame: pd.DataFrame, columns: Sequence[tuple[str, str, str]], highlight: str = ""
) -> str:
    """An HTML table of ``frame`` with (column, heading, format) columns, values escaped.

    ``highlight`` names a boolean column: its true rows are marked (``class="chosen"``).
    """
    head = "".join(f"<th>{html.escape(h)}</th>" for _, h, _ in columns)
    body = []
    for _, row in frame.iterrows():
        marked = bool(highlight) and bool(row[highlight])
        cells = []
        for column, _, fmt in columns:
            value = row[column]
            text = "" if pd.isna(value) else fmt.format(value)
            cells.append(f"<td>{html.escape(text)}</td>")
        opening = '<tr class="chosen">' if marked else "<tr>"
        body.append(opening + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _segment_table(data: ReportData) -> str:
    segments = data.table("dim_segments", order_by="segmentation_method, segment_id")
    parts = []
    for method, rows in segments.groupby("segmentation_method", sort=True):
        parts.append(f"<h3>{html.escape(str(method))}</h3>")
        parts.append(html_table(rows, SEGMENT_TABLE_COLUMNS))
    return "".join(parts)


def _rejected(data: ReportData) -> str:
    reasons = data.connection.sql(
        f"select rejection_reason, count(*) as rows from {data.relation('customers_rejected')} "
        "group by rejection_reason order by rows desc, rejection_reason"
    ).df()
    if reasons.empty:
        return "<p>No input row was rejected.</p>"
    return html_table(reasons, (("rejection_reason", "reason", "{}"), ("rows", "rows", "{:,}")))


QUALITY_ITEMS = (
    ("n_segments", "segments (k)", "{}"),
    ("n_segments_source", "k chosen by", "{}"),
    ("customers", "customers", "{:,}"),
    ("kmeans_inertia", "k-means inertia (within-segment sum of squares, z-scored)", "{:,.2f}"),
    ("kmeans_n_starts_at_best", "k-means starts reaching the best inertia", "{:,}"),
    ("kmeans_n_starts", "k-means starts tried", "{:,}"),
    ("kmeans_search_strategy", "k-means search", "{}"),
    ("ward_inertia", "Ward inertia (same features)", "{:,.2f}"),
    ("adjusted_rand_index", "agreement k-means vs Ward: adjusted Rand index", "{:.3f}"),
    ("normalized_mutual_information", "agreement: normalised mutual information", "{:.3f}"),
    ("kmeans_mean_stability", "mean segment stability (Jaccard)", "{:.3f}"),
    ("kmeans_min_stability", "least stable segment (Jaccard)", "{:.3f}"),
    ("stability_n_resamples", "bootstrap refits", "{:,}"),
)


def _quality(data: ReportData) -> str:
    quality = data.table("mart_segmentation_quality")
    if quality.empty:
        return "<p>mart_segmentation_quality is empty.</p>"
    row = quality.iloc[0]
    rows = [
        (heading, "" if pd.isna(row[column]) else fmt.format(row[column]))
        for column, heading, fmt in QUALITY_ITEMS
        if column in quality.columns
    ]
    frame = pd.DataFrame(rows, columns=["measure", "value"])
    return html_table(frame, (("measure", "measure", "{}"), ("value", "value", "{}")))


def _contingency(data: ReportData) -> str:
    return figure_to_img(
        contingency_figure(data.table("mart_segment_contingency")),
        "k-means by Ward contingency heatmap",
    )


def _stability(data: ReportData) -> str:
    return figure_to_img(
        stability_figure(data.table("mart_segment_stability")), "segment stability bars"
    )


def _channel_effects(data: ReportData) -> str:
    return figure_to_img(
        channel_effects_figure(data.table("mart_channel_effects")),
        "channel estimates with 95 % intervals per region",
    )


MATTERS_ITEM = '<li class="matters">'


def _channel_findings(data: ReportData) -> str:
    summary = data.table(
        "mart_channel_effect_summary",
        order_by="metric desc, is_all_regions desc, region_name",
    )
    parts = []
    for metric, rows in summary.groupby("metric", sort=False):
        judged = rows["judged_on"].dropna()
        title = judged.iloc[0] if not judged.empty else metric
        items = "".join(
            (MATTERS_ITEM if bool(significant) else "<li>") + f"{html.escape(str(finding))}</li>"
            for finding, significant in zip(rows["finding"], rows["is_significant"], strict=True)
        )
        heading = str(title)[:1].upper() + str(title)[1:]
        parts.append(f"<h3>{html.escape(heading)}</h3><ul>{items}</ul>")
    return "".join(parts)


def _region_channel_mix(data: ReportData) -> str:
    return figure_to_img(
        region_channel_mix_figure(data.table("mart_region_channel_mix")),
        "channel mix per region, stacked bars",
    )


RECOMMENDATION_TABLE_COLUMNS = (
    ("segment_id", "id", "{}"),
    ("segment_name", "segment", "{}"),
    ("customers", "customers", "{:,}"),
    ("share_of_customers", "share", "{:.1%}"),
    ("size_tier", "size", "{}"),
    ("value_tier", "value", "{}"),
    ("engagement_tier", "engagement", "{}"),
    ("recommendation", "recommendation", "{}"),
    ("rationale", "rationale", "{}"),
)


def _recommendations(data: ReportData) -> str:
    recommendations = data.table(
        "mart_segment_recommendations", order_by="segmentation_method, segment_id"
    )
    parts = []
    for method, rows in recommendations.groupby("segmentation_method", sort=True):
        counts = rows["recommendation"].value_counts()
        summary = ", ".join(f"{html.escape(str(r))} {n}" for r, n in counts.items())
        parts.append(f"<h3>{html.escape(str(method))}</h3><p>{summary}</p>")
        parts.append(html_table(rows, RECOMMENDATION_TABLE_COLUMNS))
    return "".join(parts)


SECTIONS: list[Section] = [
    Section(
        "overview",
        "Overview",
        ("dim_segments", "fct_customer_segments", "customers_rejected"),
        _overview,
    ),
    Section(
        "correlation",
        "Correlation of the raw variables",
        ("fct_customer_segments",),
        _correlation,
        "Region and channel are codes, so their correlations only hint at "
        "structure; the clustering sees them one-hot encoded.",
    ),
    Section(
        "scatter",
        "Watch time against CLV",
        ("fct_customer_segments", "dim_segments"),
        _scatter,
        "Minutes are heavy-tailed and include zeros (never watched), so the x axis "
        "is symmetric-log: linear up to 10 minutes, logarithmic above.",
    ),
    Section(
        "k-selection",
        "Choosing k",
        ("mart_k_selection",),
        _k_selection,
        "Each criterion of mart_k_selection against k (k-means figures on a seeded sample). "
        "The build's k is the n_segments var (default 8, the classic analysis' reading of the "
        "Ward dendrogram) or, with n_segments: auto, the auto choice; the table marks it.",
    ),
    Section(
        "dendrogram",
        "Ward dendrogram",
        ("mart_ward_dendrogram",),
        _dendrogram,
        "The last merges of the Ward tree; the dashed line is where the tree is cut into "
        "n_segments segments (every merge above it is undone).",
    ),
    Section("sizes", "Segment sizes", ("dim_segments",), _sizes),
    Section(
        "profiles",
        "Segment profiles",
        ("segment_centroids", "dim_segments"),
        _profiles,
        "Colour: the k-means centre in z-scores (red above the average, blue below). Text: "
        "the centre in original units (minutes, CLV) or the share of the segment's customers "
        "(one-hot channel and region columns).",
    ),
    Section(
        "region-channel",
        "Region x channel",
        ("mart_region_channel_performance",),
        _region_channel,
        "Where customers come from, and what they are worth, per region "
        "and acquisition channel (all segments together).",
    ),
    Section(
        "quality",
        "How good the segmentation is",
        ("mart_segmentation_quality",),
        _quality,
        "The fit of the k-means partition, the same measure for Ward, how far the two methods "
        "agree (1 = the same partition) and how reproducible the segments are.",
    ),
    Section(
        "contingency",
        "k-means against Ward",
        ("mart_segment_contingency",),
        _contingency,
        "Each row is a k-means segment, each column a Ward segment; a row with a single dark "
        "cell is a segment both methods find.",
    ),
    Section(
        "stability",
        "Segment stability",
        ("mart_segment_stability",),
        _stability,
        "Each segment is matched with its most similar cluster after refitting on bootstrap "
        "resamples; 1 means it comes back identical every time. Dotted line: 0.75, the "
        "recovered threshold.",
    ),
    Section(
        "channel-effects",
        "Does the channel shape watch time and value?",
        ("mart_channel_effects",),
        _channel_effects,
        "Median minutes (robust to the heavy tail) and mean CLV of each acquisition channel "
        "per region, with seeded bootstrap 95 % intervals. A channel is red only when its gap "
        "to the region is both significant after Holm's adjustment and large enough to matter.",
    ),
    Section(
        "channel-findings",
        "Channel findings",
        ("mart_channel_effect_summary",),
        _channel_findings,
        "Kruskal-Wallis across channels with epsilon-squared, per region; the sentences come "
        "from mart_channel_effect_summary (dark red: the channel matters).",
    ),
    Section(
        "channel-mix",
        "Where customers discover the platform",
        ("mart_region_channel_mix",),
        _region_channel_mix,
        "Each region's customers by acquisition channel; social media is Facebook, YouTube, "
        "LinkedIn, Twitter and Instagram.",
    ),
    Section(
        "recommendations",
        "Recommendations per segment",
        ("mart_segment_recommendations",),
        _recommendations,
        "Tiers and recommendations follow the editable seeds recommendation_tiers and "
        "recommendation_rules (README: Editing the rules); the rationale is filled in with "
        "the segment's numbers.",
    ),
    Section(
        "changes",
        "What changed since the last snapshot",
        report_history.REQUIRES,
        report_history.changes_since_last_snapshot,
        "The latest snapshot of the membership history against the one before it, and whether "
        "the model version is still right for today's customers (README: Segments over time).",
    ),
    Section("segments", "Segments", ("dim_segments",), _segment_table),
    Section("rejected", "Rejected input rows", ("customers_rejected",), _rejected),
]


def _missing(section: Section, data: ReportData) -> list[str]:
    return [name for name in section.requires if not data.has(name)]


# ---------------------------------------------------------------------------- page


STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto;
       max-width: 1200px; color: #222; padding: 0 1rem; }
h1 { margin-bottom: 0.2rem; } .meta { color: #666; margin-top: 0; }
nav a { margin-right: 0.8rem; } section { margin: 2.2rem 0; }
img { max-width: 100%; height: auto; display: block; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 0.5rem 0 1rem; }
th, td { border: 1px solid #ddd; padding: 0.3rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } tr.chosen td { background: #fdecea; font-weight: 600; }
li.matters { color: #8b1a1a; }
.note { color: #555; } .skipped { color: #8a6d00; }
"""


@dataclass
class RenderedReport:
    """The HTML and what went into it."""

    html: str
    rendered: list[str] = field(default_factory=list)
    skipped: dict[str, list[str]] = field(default_factory=dict)
    seconds: float = 0.0


def render_report(
    data: ReportData,
    *,
    title: str = "Customer segmentation report",
    source: str = "",
    sections: Sequence[Section] | None = None,
) -> RenderedReport:
    """Render every section whose relations exist into one HTML page."""
    started = time.perf_counter()
    result = RenderedReport(html="")
    body = []
    nav = []
    for section in SECTIONS if sections is None else sections:
        missing = _missing(section, data)
        heading = f'<h2 id="{section.key}">{html.escape(section.title)}</h2>'
        if missing:
            result.skipped[section.key] = missing
            body.append(
                f'<section>{heading}<p class="skipped">Skipped: this build has no '
                f"{', '.join(f'<code>{html.escape(m)}</code>' for m in missing)}.</p>"
                "</section>"
            )
            continue
        note = f'<p class="note">{html.escape(section.note)}</p>' if section.note else ""
        body.append(f"<section>{heading}{note}{section.render(data)}</section>")
        nav.append(f'<a href="#{section.key}">{html.escape(section.title)}</a>')
        result.rendered.append(section.key)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    meta = f"Rendered {stamp}" + (f" from <code>{html.escape(source)}</code>" if source else "")
    result.html = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>"
        f'<h1>{html.escape(title)}</h1><p class="meta">{meta}</p>'
        f"<nav>{''.join(nav)}</nav>{''.join(body)}</body></html>\n"
    )
    result.seconds = time.perf_counter() - started
    return result


def write_report(database: str | Path, out: str | Path) -> RenderedReport:
    """Render the report of the DuckDB file ``database`` (opened read-only) to ``out``.

    Raises
    ------
    FileNotFoundError
        When ``database`` does not exist (run ``dbt build`` first).
    """
    database = Path(database)
    if not database.is_file():
        raise FileNotFoundError(
            f"{database}: no such DuckDB file; run `dbt build` (make build) first"
        )
    with duckdb.connect(str(database), read_only=True) as connection:
        report = render_report(ReportData(connection), source=database.name)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report.html, encoding="utf-8")
    return report
