"""The report's channel and region findings: where customers come from and what they are worth.

The findings in words (``mart_channel_effect_summary``) come first, then each region's channel
mix with social media against the rest (``mart_region_channel_mix``), region x channel
heatmaps (``mart_region_channel_performance``) and each channel's estimates with their
intervals (``mart_channel_effects``).
"""

from __future__ import annotations

import html

import matplotlib
import matplotlib.ticker
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from customer_segmentation.report.data import ReportData, Section, figure_to_img

__all__ = [
    "CHANNEL_SECTIONS",
    "channel_effects_figure",
    "region_channel_figure",
    "region_channel_mix_figure",
]

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


def _region_channel(data: ReportData) -> str:
    return figure_to_img(
        region_channel_figure(data.table("mart_region_channel_performance")),
        "region by channel heatmaps",
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
        parts.append(f"<h4>{html.escape(heading)}</h4><ul>{items}</ul>")
    return "".join(parts)


def _region_channel_mix(data: ReportData) -> str:
    return figure_to_img(
        region_channel_mix_figure(data.table("mart_region_channel_mix")),
        "channel mix per region, stacked bars",
    )


CHANNEL_SECTIONS: list[Section] = [
    Section(
        "channel-findings",
        "Does the channel matter? The findings",
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
        "region-channel",
        "Region x channel",
        ("mart_region_channel_performance",),
        _region_channel,
        "Where customers come from, and what they are worth, per region "
        "and acquisition channel (all segments together).",
    ),
    Section(
        "channel-effects",
        "Each channel's watch time and value, with their uncertainty",
        ("mart_channel_effects",),
        _channel_effects,
        "Median minutes (robust to the heavy tail) and mean CLV of each acquisition channel "
        "per region, with seeded bootstrap 95 % intervals. A channel is red only when its gap "
        "to the region is both significant after Holm's adjustment and large enough to matter.",
    ),
]
