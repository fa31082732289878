"""The report's method part: how the segments were found and how far to trust them.

Choosing k (``mart_k_selection``), the Ward dendrogram and its cut, segment stability under
resampling, k-means against Ward (fit, agreement, contingency, Ward's own segments) and the
correlation of the raw variables. A marketer can skip it; an analyst checks it before acting.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from customer_segmentation.report.data import (
    ReportData,
    Section,
    annotate_cells,
    figure_to_img,
    html_table,
    kmeans_segments,
    segment_pair_matrix,
    share_heatmap,
)

__all__ = [
    "METHOD_SECTIONS",
    "contingency_figure",
    "correlation_figure",
    "cut_height",
    "dendrogram_figure",
    "favoured_k",
    "k_selection_figure",
    "linkage_from_merges",
    "segment_sizes_figure",
    "stability_figure",
]

RAW_VARIABLES = ("minutes_watched", "clv", "region", "channel")


DENDROGRAM_LEAVES = 30


#: Names the number-of-segments column of a k-selection table may have.
K_COLUMNS = ("k", "n_segments", "n_clusters")


def correlation_figure(customers: pd.DataFrame, columns: Sequence[str] = RAW_VARIABLES) -> Figure:
    """Pearson correlation heatmap of the raw variables (the classic analysis' first picture)."""
    corr = customers[list(columns)].astype(float).corr().to_numpy()
    fig = Figure(figsize=(5.5, 4.5))
    ax = fig.subplots()
    image = ax.imshow(corr, cmap="RdBu_r", vmin=-1, vmax=1)
    ax.set_xticks(range(len(columns)), labels=columns, rotation=30, ha="right")
    ax.set_yticks(range(len(columns)), labels=columns)
    annotate_cells(ax, corr, ".2f", show=~np.isnan(corr), dark=np.abs(corr) > 0.6)
    fig.colorbar(image, ax=ax, label="Pearson correlation")
    ax.set_title("Correlation of the raw variables")
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


def favoured_k(int_k_selection: pd.DataFrame, k_column: str = "n_clusters") -> dict[str, int]:
    """Which k each criterion favours, from the comma-separated ``favoured_by`` column."""
    favoured: dict[str, int] = {}
    if "favoured_by" not in int_k_selection.columns:
        return favoured
    for k, names in zip(int_k_selection[k_column], int_k_selection["favoured_by"], strict=True):
        if isinstance(names, str):
            for name in names.split(","):
                if name.strip():
                    favoured[name.strip()] = int(k)
    return favoured


def k_selection_figure(
    int_k_selection: pd.DataFrame,
    chosen_k: int | None = None,
    *,
    auto_k: int | None = None,
    favoured: dict[str, int] | None = None,
) -> Figure:
    """Every numeric criterion of a k-selection table against k, one small panel each.

    ``int_k_selection`` needs a column named as in ``K_COLUMNS`` (``k``, ``n_segments`` or
    ``n_clusters``); every other numeric, non-boolean column is a criterion (columns saying
    which k a criterion favours are text or boolean and are left out, and so are the
    bookkeeping columns of ``K_SELECTION_BOOKKEEPING``). A long table with columns
    ``criterion`` and ``value`` is pivoted first. ``chosen_k`` draws a dashed line at the
    build's k, ``auto_k`` a dotted one at the k ``n_segments: auto`` takes, and ``favoured``
    (criterion name as in ``favoured_by`` -> k) rings the point each criterion favours.
    """
    k_column = next((c for c in K_COLUMNS if c in int_k_selection.columns), None)
    if k_column is not None and {"criterion", "value"} <= set(int_k_selection.columns):
        int_k_selection = int_k_selection.pivot_table(
            index=k_column, columns="criterion", values="value"
        ).reset_index()
    if k_column is None:
        raise ValueError(f"k-selection table needs a column named one of {', '.join(K_COLUMNS)}")
    frame = int_k_selection.sort_values(k_column)
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
    """Customers per segment, one panel per segmentation method (mart_segments)."""
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


def contingency_figure(contingency: pd.DataFrame) -> Figure:
    """k-means segment x Ward segment heatmap of customers (``mart_segment_contingency``).

    Colour is the share of the k-means segment (row) in each Ward segment, so a row with one
    dark cell is a segment both methods agree on; the text is the number of customers.
    """
    counts, y_labels, x_labels = segment_pair_matrix(contingency, "kmeans", "ward")
    return share_heatmap(
        counts,
        y_labels,
        x_labels,
        margins=(1.6, 1.4),
        row_height=0.5,
        cmap="Blues",
        xlabel="Ward segment",
        ylabel="k-means segment",
        colorbar_label="share of the k-means segment (text: customers)",
        title="Where the two methods agree: customers per k-means x Ward segment",
    )


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


def _correlation(data: ReportData) -> str:
    customers = data.table("mart_customer_segments")
    return figure_to_img(correlation_figure(customers), "correlation heatmap of raw variables")


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
    if chosen_k is None and data.has("mart_segments"):
        # The build's k lies outside the scored range (k_selection_min_k..k_selection_max_k).
        chosen_k = len(kmeans_segments(data)) or None
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
    return figure_to_img(segment_sizes_figure(data.table("mart_segments")), "customers per segment")


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


def _ward_segments(data: ReportData) -> str:
    from customer_segmentation.report.segments import SEGMENT_TABLE_COLUMNS

    segments = data.table(
        "mart_segments", where="segmentation_method = 'ward'", order_by="segment_id"
    )
    if segments.empty:
        return "<p>This build has no Ward segments.</p>"
    return html_table(segments, SEGMENT_TABLE_COLUMNS)


METHOD_SECTIONS: list[Section] = [
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
        "sizes",
        "Segment sizes, both methods",
        ("mart_segments",),
        _sizes,
        "The rest of the report shows the k-means segments; Ward's, cut from the dendrogram, "
        "are these.",
    ),
    Section("ward-segments", "Ward's segments", ("mart_segments",), _ward_segments),
    Section(
        "correlation",
        "Correlation of the raw variables",
        ("mart_customer_segments",),
        _correlation,
        "Region and channel are codes, so their correlations only hint at "
        "structure; the clustering sees them one-hot encoded.",
    ),
]
