"""Human names and one-line profiles for segments.

Naming rule (applied per segmentation method; a segment's "share" of a channel or region is
the fraction of its customers from it):

1. Pure channel (one channel holds at least ``pure_share`` of the segment) and mixed regions:
   the channel's persona, e.g. "Twitter Devotees", "Facebook Enthusiasts" (the
   ``channel_persona`` column of seeds/channel_codes.csv; "<channel> Customers" without one).
2. Pure region with several channels: "<Region> Multi-Channel", e.g. "Western Europe
   Multi-Channel".
3. Pure channel and pure region: "<Region> <persona>", e.g. "Western Europe Google Searchers".
4. Neither (no channel or region defines the segment, as with behavioural features): its
   behaviour against the average customer, "<Heavy|Average|Light> Watchers, <High|Mid|Low>
   CLV" (``BEHAVIOUR_BANDS``), e.g. "Heavy Watchers, High CLV". Without the ratios, the two
   leading channels, "<Channel A> & <Channel B> Mix".

Names must be unique within a method. Clashing names get, in turn, the dominant region in
brackets, then their value standing ("High CLV" / "Low CLV" against the overall mean), then
the segment id, until they differ.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: A segment's mean against the average customer's: at least the first bound is high, at most
#: the second is low (watch time and CLV alike).
BEHAVIOUR_BANDS = (1.2, 0.8)

PROFILE_COLUMNS = (
    "segmentation_method",
    "segment_id",
    "customers",
    "share_of_customers",
    "mean_minutes_watched",
    "median_minutes_watched",
    "mean_clv",
    "dominant_channel_name",
    "dominant_channel_share",
    "dominant_region_name",
    "dominant_region_share",
)


def channel_persona(channel_name: str, persona: str | None = None) -> str:
    """The persona name of a channel: the seed's ``persona``, else "<channel> Customers"."""
    if persona is not None and str(persona).strip() and not pd.isna(persona):
        return str(persona).strip()
    return f"{channel_name} Customers"


def base_name(
    dominant_channel: str,
    dominant_channel_share: float,
    dominant_region: str,
    dominant_region_share: float,
    second_channel: str | None,
    *,
    pure_share: float = 0.9,
    dominant_channel_persona: str | None = None,
    minutes_ratio: float | None = None,
    clv_ratio: float | None = None,
) -> tuple[str, str]:
    """A segment's name before de-duplication, and which rule produced it.

    ``dominant_channel_persona`` is the dominant channel's persona from the channel seed
    (see :func:`channel_persona`); ``minutes_ratio`` and ``clv_ratio`` are the segment's mean
    watch time and CLV over the average customer's, which name a segment that no channel or
    region defines.

    Returns
    -------
    name : str
    rule : {"channel", "region", "channel_and_region", "behaviour", "mixed"}
    """
    pure_channel = dominant_channel_share >= pure_share
    pure_region = dominant_region_share >= pure_share
    if pure_channel and pure_region:
        persona = channel_persona(dominant_channel, dominant_channel_persona)
        return f"{dominant_region} {persona}", "channel_and_region"
    if pure_channel:
        return channel_persona(dominant_channel, dominant_channel_persona), "channel"
    if pure_region:
        return f"{dominant_region} Multi-Channel", "region"
    if minutes_ratio is not None and clv_ratio is not None:
        return behaviour_name(minutes_ratio, clv_ratio), "behaviour"
    if second_channel:
        return f"{dominant_channel} & {second_channel} Mix", "mixed"
    return f"{dominant_channel} Mix", "mixed"


def _band(ratio: float, high: str, middle: str, low: str) -> str:
    upper, lower = BEHAVIOUR_BANDS
    return high if ratio >= upper else low if ratio <= lower else middle


def behaviour_name(minutes_ratio: float, clv_ratio: float) -> str:
    """A name from watch time and CLV against the average ("Heavy Watchers, High CLV")."""
    watching = _band(minutes_ratio, "Heavy Watchers", "Average Watchers", "Light Watchers")
    value = _band(clv_ratio, "High CLV", "Mid CLV", "Low CLV")
    return f"{watching}, {value}"


def _second_channels(mix: pd.DataFrame) -> dict[tuple[str, int], str]:
    """(method, segment) -> name of the second-largest channel, where there is one."""
    second = mix[(mix["mix_dimension"] == "channel") & (mix["mix_rank"] == 2)]
    return {
        (row.segmentation_method, int(row.segment_id)): row.code_name
        for row in second.itertuples(index=False)
    }


def _value_standing(mean_clv: float, overall_mean_clv: float) -> str:
    return "High CLV" if mean_clv >= overall_mean_clv else "Low CLV"


def _deduplicate(frame: pd.DataFrame, overall_mean_clv: float) -> pd.Series:
    """Unique names within each method by adding qualifiers only where names clash."""
    names = frame["segment_name"].copy()
    qualifiers = [
        lambda row: f"({row.dominant_region_name})",
        lambda row: f"({_value_standing(row.mean_clv, overall_mean_clv)})",
        lambda row: f"#{int(row.segment_id)}",
    ]
    for qualify in qualifiers:
        clashing = names.duplicated(keep=False)
        if not clashing.any():
            break
        for index in names.index[clashing]:
            names.loc[index] = f"{names.loc[index]} {qualify(frame.loc[index])}"
    return names


def _apply_fixed_names(
    group: pd.DataFrame, method: str, fixed_names: pd.DataFrame | None
) -> pd.Series:
    """The group's names with the given ones in place; derived names never repeat them."""
    names = group["segment_name"].copy()
    if fixed_names is None or fixed_names.empty:
        return names
    own = fixed_names[fixed_names["segmentation_method"] == method]
    given = {int(i): str(n) for i, n in zip(own["segment_id"], own["segment_name"], strict=True)}
    ids = group["segment_id"].astype(int)
    for index, segment_id in ids.items():
        if segment_id in given:
            names.loc[index] = given[segment_id]
    taken = {given[i] for i in ids if i in given}
    for index, segment_id in ids.items():
        if segment_id not in given and names.loc[index] in taken:
            names.loc[index] = f"{names.loc[index]} #{segment_id}"
    return names


def _number(value: float, decimals: int = 0) -> str:
    return f"{value:,.{decimals}f}"


def profile_line(row: pd.Series, extremes: dict[str, str], mix: pd.DataFrame) -> str:
    """One sentence: size and share, watch time and CLV against the average, main mix."""
    parts = [f"{int(row.customers):,} customers ({row.share_of_customers:.1%})"]
    minutes = (
        f"watch time {_number(row.mean_minutes_watched)} min "
        f"({row.minutes_ratio:.2f}x average, median {_number(row.median_minutes_watched)})"
    )
    clv = f"CLV {_number(row.mean_clv, 2)} ({row.clv_ratio:.2f}x average)"
    for key, label in (("minutes_max", "highest watch time"), ("minutes_min", "lowest watch time")):
        if extremes.get(key) == row.name:
            minutes += f", {label}"
    for key, label in (("clv_max", "highest CLV"), ("clv_min", "lowest CLV")):
        if extremes.get(key) == row.name:
            clv += f", {label}"
    parts += [minutes, clv]
    segment_mix = mix[
        (mix["segmentation_method"] == row.segmentation_method)
        & (mix["segment_id"] == row.segment_id)
    ]
    for dimension in ("channel", "region"):
        leading = segment_mix[
            (segment_mix["mix_dimension"] == dimension) & (segment_mix["share_of_segment"] >= 0.2)
        ].sort_values("mix_rank")
        shown = ", ".join(
            f"{r.code_name} {r.share_of_segment:.0%}" for r in leading.head(3).itertuples()
        )
        parts.append(f"{dimension}: {shown or 'mixed'}")
    return "; ".join(parts)


def describe_segments(
    profiles: pd.DataFrame,
    mix: pd.DataFrame,
    *,
    pure_share: float = 0.9,
    fixed_names: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Name and profile every segment of every method.

    Parameters
    ----------
    profiles : DataFrame
        One row per method and segment with at least ``PROFILE_COLUMNS``, and optionally
        ``dominant_channel_persona`` (the channel seed's persona).
    mix : DataFrame
        Channel and region mix per segment: segmentation_method, segment_id, mix_dimension
        ('channel' | 'region'), code_name, share_of_segment, mix_rank (1 = largest).
    pure_share : float, default 0.9
        Share at which one channel or region defines a segment.
    fixed_names : DataFrame, optional
        segmentation_method, segment_id, segment_name: names given, not derived (segments that
        continue a stored version's keep their names). A derived name that equals a given
        one gets the segment id appended (``"... #9"``).

    Returns
    -------
    DataFrame
        segmentation_method, segment_id, segment_name, naming_rule, segment_profile.
    """
    missing = [c for c in PROFILE_COLUMNS if c not in profiles.columns]
    if missing:
        raise KeyError(f"profiles lack column(s): {', '.join(missing)}")
    seconds = _second_channels(mix)
    results = []
    for method, group in profiles.groupby("segmentation_method", sort=True):
        group = group.sort_values("segment_id").reset_index(drop=True).copy()
        weights = group["customers"].to_numpy(dtype=float)
        overall_minutes = np.average(group["mean_minutes_watched"], weights=weights)
        overall_clv = np.average(group["mean_clv"], weights=weights)
        group["minutes_ratio"] = group["mean_minutes_watched"] / overall_minutes
        group["clv_ratio"] = group["mean_clv"] / overall_clv
        named = [
            base_name(
                row.dominant_channel_name,
                row.dominant_channel_share,
                row.dominant_region_name,
                row.dominant_region_share,
                seconds.get((method, int(row.segment_id))),
                pure_share=pure_share,
                dominant_channel_persona=getattr(row, "dominant_channel_persona", None),
                minutes_ratio=row.minutes_ratio,
                clv_ratio=row.clv_ratio,
            )
            for row in group.itertuples(index=False)
        ]
        group["segment_name"] = [name for name, _ in named]
        group["naming_rule"] = [rule for _, rule in named]
        group["segment_name"] = _deduplicate(group, overall_clv)
        group["segment_name"] = _apply_fixed_names(group, method, fixed_names)
        extremes = {
            "minutes_max": group["mean_minutes_watched"].idxmax(),
            "minutes_min": group["mean_minutes_watched"].idxmin(),
            "clv_max": group["mean_clv"].idxmax(),
            "clv_min": group["mean_clv"].idxmin(),
        }
        group["segment_profile"] = [profile_line(row, extremes, mix) for _, row in group.iterrows()]
        results.append(
            group[
                [
                    "segmentation_method",
                    "segment_id",
                    "segment_name",
                    "naming_rule",
                    "segment_profile",
                ]
            ]
        )
    if not results:
        return pd.DataFrame(
            columns=[
                "segmentation_method",
                "segment_id",
                "segment_name",
                "naming_rule",
                "segment_profile",
            ]
        )
    out = pd.concat(results, ignore_index=True)
    out["segment_id"] = out["segment_id"].astype("int64")
    return out
