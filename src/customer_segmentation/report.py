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
import numpy as np
import pandas as pd
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure

matplotlib.use("Agg")  # no display on build machines; figures are only saved

__all__ = [
    "ReportData",
    "Section",
    "SECTIONS",
    "correlation_figure",
    "dendrogram_figure",
    "figure_to_img",
    "k_selection_figure",
    "linkage_from_merges",
    "minutes_clv_figure",
    "profile_heatmap_figure",
    "region_channel_figure",
    "render_report",
    "segment_sizes_figure",
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


def k_selection_figure(k_selection: pd.DataFrame, chosen_k: int | None = None) -> Figure:
    """Every numeric criterion of a k-selection table against k, one small panel each.

    ``k_selection`` needs a column named as in ``K_COLUMNS`` (``k``, ``n_segments`` or
    ``n_clusters``); every other numeric, non-boolean column is a criterion (columns saying
    which k a criterion favours are text or boolean and are left out). A long table with
    columns ``criterion`` and ``value`` is pivoted first. ``chosen_k`` draws a vertical line at
    the build's k.
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
        and pd.api.types.is_numeric_dtype(frame[c])
        and not pd.api.types.is_bool_dtype(frame[c])
        and frame[c].notna().any()
    ]
    if not criteria:
        raise ValueError("k-selection table has no numeric criterion columns")
    n_cols = min(3, len(criteria))
    n_rows = -(-len(criteria) // n_cols)
    fig = Figure(figsize=(4 * n_cols, 3 * n_rows))
    axes = np.atleast_1d(fig.subplots(n_rows, n_cols)).ravel()
    for ax, criterion in zip(axes, criteria, strict=False):
        ax.plot(frame[k_column], frame[criterion], marker="o")
        if chosen_k is not None:
            ax.axvline(chosen_k, color="crimson", linestyle="--", linewidth=1)
        ax.set_title(criterion, fontsize=9)
        ax.set_xlabel("k")
    for ax in axes[len(criteria) :]:
        ax.set_visible(False)
    fig.suptitle("Criteria against the number of segments (dashed: this build's k)")
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


def _k_selection(data: ReportData) -> str:
    name = next(n for n in ("k_selection", "mart_k_selection") if data.has(n))
    chosen = len(_kmeans_segments(data)) if data.has("dim_segments") else None
    return figure_to_img(
        k_selection_figure(data.table(name), chosen_k=chosen), "k-selection criteria against k"
    )


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


def html_table(frame: pd.DataFrame, columns: Sequence[tuple[str, str, str]]) -> str:
    """An HTML table of ``frame`` with (column, heading, format) columns, values escaped."""
    head = "".join(f"<th>{html.escape(h)}</th>" for _, h, _ in columns)
    body = []
    for _, row in frame.iterrows():
        cells = []
        for column, _, fmt in columns:
            value = row[column]
            text = "" if pd.isna(value) else fmt.format(value)
            cells.append(f"<td>{html.escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
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


def _has_k_selection(data: ReportData) -> bool:
    return data.has("k_selection") or data.has("mart_k_selection")


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
        ("k_selection",),
        _k_selection,
        "Each criterion from the k_selection model against k.",
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
    Section("segments", "Segments", ("dim_segments",), _segment_table),
    Section("rejected", "Rejected input rows", ("customers_rejected",), _rejected),
]


def _missing(section: Section, data: ReportData) -> list[str]:
    if section.key == "k-selection":
        return [] if _has_k_selection(data) else ["k_selection"]
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
th { background: #f3f3f3; } .note { color: #555; } .skipped { color: #8a6d00; }
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
