"""The report's first part, for a marketing lead: one card per segment, then the segments in
detail (watch time against CLV per segment, profiles, the recommendation rules' tiers, the
segment table) and the input rows that were not used.

The cards show the k-means segments (the ones the marts, the dashboard and the
recommendations lead with); Ward's are in the method part.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure

from customer_segmentation.report.data import (
    ReportData,
    Section,
    figure_to_img,
    html_table,
    kmeans_segments,
)

__all__ = [
    "SEGMENT_SECTIONS",
    "SEGMENT_TABLE_COLUMNS",
    "profile_heatmap_figure",
    "recommendation_class",
    "segment_cards",
    "segment_cards_frame",
    "segment_scatter_figure",
]

#: CSS class of a card by the first keyword its recommendation contains (the rules are
#: editable seeds, so any other wording gets the neutral class).
RECOMMENDATION_CLASSES = (
    ("grow", "grow"),
    ("reduce", "reduce"),
    ("investigate", "investigate"),
)


def recommendation_class(recommendation: str) -> str:
    """``grow``, ``reduce``, ``investigate`` or ``neutral``: the colour of a card's badge."""
    text = str(recommendation).lower()
    return next((css for word, css in RECOMMENDATION_CLASSES if word in text), "neutral")


def segment_cards_frame(segments: pd.DataFrame, recommendations: pd.DataFrame) -> pd.DataFrame:
    """One row per segment: mart_segments' numbers, its share of revenue and its recommendation.

    ``segments`` are one method's rows of mart_segments, ``recommendations`` the same method's
    rows of mart_segment_recommendations. Revenue is the segment's total CLV; its share is of
    the method's total, so the shares add up to 1.
    """
    frame = segments.sort_values("segment_id").reset_index(drop=True)
    total = float(frame["total_clv"].sum())
    frame["share_of_revenue"] = frame["total_clv"] / total if total else np.nan
    columns = ["segment_id", "recommendation", "rationale", "mean_clv_ci_low", "mean_clv_ci_high"]
    columns = [c for c in columns if c in recommendations.columns]
    return frame.merge(recommendations[columns], on="segment_id", how="left")


def _card(row: pd.Series, overall_clv: float, overall_minutes: float) -> str:
    """One segment's card: name, recommendation, the numbers, the reason."""
    css = recommendation_class(row["recommendation"])
    interval = ""
    if pd.notna(row.get("mean_clv_ci_low")) and pd.notna(row.get("mean_clv_ci_high")):
        interval = f" (95 % CI {row['mean_clv_ci_low']:,.2f} to {row['mean_clv_ci_high']:,.2f})"
    facts = (
        ("customers", f"{row['customers']:,} &middot; {row['share_of_customers']:.1%} of all"),
        ("revenue", f"{row['share_of_revenue']:.1%} of total CLV"),
        (
            "watch time",
            f"median {row['median_minutes_watched']:,.0f} min (all: {overall_minutes:,.0f}) "
            f"&middot; mean {row['mean_minutes_watched']:,.0f}",
        ),
        ("CLV", f"mean {row['mean_clv']:,.2f}{interval} (all: {overall_clv:,.2f})"),
    )
    rows = "".join(f"<dt>{name}</dt><dd>{value}</dd>" for name, value in facts)
    recommendation = html.escape(str(row["recommendation"]))
    reason = "" if pd.isna(row["rationale"]) else html.escape(str(row["rationale"]))
    return (
        f'<article class="card {css}"><header><span class="segment-id">{row["segment_id"]}'
        f"</span><h4>{html.escape(str(row['segment_name']))}</h4></header>"
        f'<p class="badge">{recommendation}</p><dl>{rows}</dl>'
        f'<p class="why">{reason}</p></article>'
    )


def segment_cards(frame: pd.DataFrame) -> str:
    """The cards of :func:`segment_cards_frame`'s rows, in a grid."""
    customers = frame["customers"].sum()
    overall_clv = float(frame["total_clv"].sum() / customers) if customers else np.nan
    # The overall median is not the median of medians: take it from the recommendations mart
    # when there, else leave the segments' own medians to speak for themselves.
    overall_minutes = (
        float(frame["overall_median_minutes_watched"].iloc[0])
        if "overall_median_minutes_watched" in frame.columns
        else float(np.average(frame["median_minutes_watched"], weights=frame["customers"]))
    )
    cards = "".join(_card(row, overall_clv, overall_minutes) for _, row in frame.iterrows())
    return f'<div class="cards">{cards}</div>'


def _at_a_glance(data: ReportData) -> str:
    segments = kmeans_segments(data)
    recommendations = data.table(
        "mart_segment_recommendations", where="segmentation_method = 'kmeans'"
    )
    frame = segment_cards_frame(segments, recommendations)
    if "overall_median_minutes_watched" in recommendations.columns and len(recommendations):
        frame["overall_median_minutes_watched"] = recommendations[
            "overall_median_minutes_watched"
        ].iloc[0]
    rejected = data.connection.sql(
        f"select count(*) from {data.relation('mart_customers_rejected')}"
    ).fetchall()[0][0]
    counts = frame["recommendation"].value_counts()
    summary = ", ".join(f"{html.escape(str(r))}: {n}" for r, n in counts.items())
    top = frame.loc[frame["share_of_revenue"].idxmax()] if len(frame) else None
    headline = (
        f'<p class="headline"><b>{frame["customers"].sum():,}</b> customers in '
        f"<b>{len(frame)}</b> segments, total CLV <b>{frame['total_clv'].sum():,.0f}</b>; "
        f'<b>{rejected:,}</b> input rows rejected (<a href="#rejected">why</a>). '
        f"Recommendations: {summary}."
        + (
            f" The largest share of revenue: <b>{html.escape(str(top['segment_name']))}</b> "
            f"({top['share_of_revenue']:.1%})."
            if top is not None
            else ""
        )
        + "</p>"
    )
    return headline + segment_cards(frame)


#: Each panel's segment, drawn over everyone in light grey.
SEGMENT_COLOR = "#1f5fa8"


def segment_scatter_figure(
    customers: pd.DataFrame, segments: pd.DataFrame, *, background_sample: int = 1500
) -> Figure:
    """Watch time against CLV, one small panel per segment, its median marked.

    Each panel draws the segment's customers in blue over a grey sample of everyone
    (``background_sample`` customers, seeded), with the segment's median (cross) and everyone's
    median (dashed lines), so a segment's place reads at a glance instead of from one cloud of
    thousands of overlapping points. Minutes are on a symmetric-log axis (heavy tail, zeros).
    """
    ordered = segments.sort_values("segment_id").reset_index(drop=True)
    n_cols = min(4, max(1, len(ordered)))
    n_rows = -(-len(ordered) // n_cols)
    fig = Figure(figsize=(3.4 * n_cols, 2.9 * n_rows + 0.6))
    axes = np.atleast_1d(fig.subplots(n_rows, n_cols, sharex=True, sharey=True)).ravel()
    background = customers.sample(
        n=min(background_sample, len(customers)), random_state=0, replace=False
    )
    overall = customers[["minutes_watched", "clv"]].median()
    for ax, (_, row) in zip(axes, ordered.iterrows(), strict=False):
        members = customers[customers["kmeans_segment_id"] == row["segment_id"]]
        ax.scatter(
            background["minutes_watched"], background["clv"], s=3, color="0.85", linewidths=0
        )
        ax.scatter(
            members["minutes_watched"],
            members["clv"],
            s=5,
            alpha=0.5,
            color=SEGMENT_COLOR,
            linewidths=0,
        )
        ax.axvline(overall["minutes_watched"], color="0.4", linestyle="--", linewidth=0.8)
        ax.axhline(overall["clv"], color="0.4", linestyle="--", linewidth=0.8)
        median = members[["minutes_watched", "clv"]].median()
        ax.plot([median["minutes_watched"]], [median["clv"]], "X", color="black", markersize=9)
        ax.set_title(f"{row['segment_id']}. {row['segment_name']} ({len(members):,})", fontsize=8)
        ax.set_xscale("symlog", linthresh=10)
        ax.set_xlim(left=0)
        ax.tick_params(labelsize=7)
    for ax in axes[len(ordered) :]:
        ax.set_visible(False)
    fig.supxlabel("minutes watched (symmetric log: linear below 10)", fontsize=9)
    fig.supylabel("CLV", fontsize=9)
    fig.suptitle(
        "Watch time against CLV per segment: the segment in blue over everyone in grey; "
        "X the segment's median, dashed everyone's",
        fontsize=10,
    )
    fig.tight_layout()
    return fig


def _scatter(data: ReportData) -> str:
    customers = data.table("mart_customer_segments")
    return figure_to_img(
        segment_scatter_figure(customers, kmeans_segments(data)),
        "watch time against CLV, one panel per segment, medians marked",
    )


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


def _profiles(data: ReportData) -> str:
    centroids = data.table("mart_segment_centroids", where="segmentation_method = 'kmeans'")
    return figure_to_img(
        profile_heatmap_figure(centroids, kmeans_segments(data)), "segment profile heatmap"
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


def _segment_table(data: ReportData) -> str:
    return html_table(kmeans_segments(data), SEGMENT_TABLE_COLUMNS)


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
    rows = data.table(
        "mart_segment_recommendations",
        where="segmentation_method = 'kmeans'",
        order_by="segment_id",
    )
    return html_table(rows, RECOMMENDATION_TABLE_COLUMNS)


def _rejected(data: ReportData) -> str:
    reasons = data.connection.sql(
        "select rejection_reason, count(*) as rows from "
        f"{data.relation('mart_customers_rejected')} "
        "group by rejection_reason order by rows desc, rejection_reason"
    ).df()
    if reasons.empty:
        return "<p>No input row was rejected.</p>"
    return html_table(reasons, (("rejection_reason", "reason", "{}"), ("rows", "rows", "{:,}")))


SEGMENT_SECTIONS: list[Section] = [
    Section(
        "at-a-glance",
        "The segments at a glance",
        ("mart_segments", "mart_segment_recommendations", "mart_customers_rejected"),
        _at_a_glance,
        "One card per k-means segment: its size, its share of customers and of revenue (total "
        "CLV), its watch time and CLV against everyone's, and what to do about it, with the "
        "reason (the recommendation rules are the editable seeds recommendation_tiers and "
        "recommendation_rules).",
    ),
]
SEGMENT_DETAIL_SECTIONS: list[Section] = [
    Section(
        "scatter",
        "Watch time against CLV, segment by segment",
        ("mart_customer_segments", "mart_segments"),
        _scatter,
    ),
    Section(
        "profiles",
        "Segment profiles",
        ("mart_segment_centroids", "mart_segments"),
        _profiles,
        "Colour: the k-means centre in z-scores (red above the average, blue below). Text: "
        "the centre in original units (minutes, CLV) or the share of the segment's customers "
        "(one-hot channel and region columns).",
    ),
    Section(
        "recommendations",
        "How each recommendation was reached",
        ("mart_segment_recommendations",),
        _recommendations,
        "Each segment's tier on size, value and engagement, and the first rule of "
        "recommendation_rules those tiers match (docs/decisions.md: Editing the rules).",
    ),
    Section("segments", "The segment table", ("mart_segments",), _segment_table),
    Section("rejected", "Rejected input rows", ("mart_customers_rejected",), _rejected),
]
