"""Segments over time: the pure logic behind model versions, segment identity and drift.

Nothing here reads a warehouse: the dbt Python models (``python_models/intermediate/history``)
fetch their tables and call these functions, and the tests call them on small arrays.

- :func:`parse_run_settings` checks the run vars (``segmentation_mode``, ``model_version``,
  ``drop_segmentation_history``), one message per bad value; :func:`resolve_run` decides per
  build whether to fit a new version or score with a stored one.
- :func:`match_segments` gives a refitted version's segments the ids of the previous version's
  segments they continue (centre distance in the new standardised space and shared customers),
  and :func:`lineage_rows` says which segments were kept, new, retired, split or merged.
- :func:`quantile_edges`, :func:`bin_shares` and :func:`population_stability_index` measure how
  far a snapshot's features moved from the version's training data;
  :func:`refit_recommendation` turns the drift into a flag and a sentence.
- :func:`top_deviations` names the features that most set a customer apart from its segment.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

MODES = ("auto", "fit", "score")


class HistorySettingsError(ValueError):
    """A history var has a value the project cannot use (the message names the var)."""


@dataclass(frozen=True)
class RunSettings:
    """The validated vars that choose what a build does with the kept model versions.

    The defaults are the project's (``segmentation_mode: auto``, ``model_version: latest``,
    ``drop_segmentation_history: false``). The thresholds of matching, outliers and drift are
    not here: they are settings of :class:`customer_segmentation.settings.HistorySettings`,
    defaults and ranges in one place.
    """

    segmentation_mode: str = "auto"
    model_version: int | None = None  # None = latest
    drop_segmentation_history: bool = False


def _text(value: object) -> str:
    return str(value).strip().strip("'\"").strip()


def parse_bool_setting(name: str, value: object) -> bool:
    """true/false from a var (dbt passes config values as text)."""
    text = _text(value).lower()
    if text in {"true", "1", "yes"}:
        return True
    if text in {"false", "0", "no", "", "none", "null"}:
        return False
    raise HistorySettingsError(f"var {name} must be true or false, got {value!r}")


def parse_run_settings(values: Mapping[str, object]) -> RunSettings:
    """Check the vars ``segmentation_mode``, ``model_version`` and ``drop_segmentation_history``
    (as dbt hands them over: text) and return them typed.

    Every bad value raises :class:`HistorySettingsError` with one line naming the var, the value
    and what it must be. Missing (or ``None``) values take the :class:`RunSettings` defaults;
    any other key is an error (the thresholds belong to the settings object).
    """
    unknown = sorted(set(values) - {f.name for f in fields(RunSettings)})
    if unknown:
        raise HistorySettingsError(
            f"{unknown[0]} is not a run var (segmentation_mode, model_version, "
            "drop_segmentation_history); thresholds are settings of segmentation_settings.history"
        )
    given = {k: v for k, v in values.items() if v is not None}
    default = RunSettings()
    mode_value = given.get("segmentation_mode", default.segmentation_mode)
    mode = _text(mode_value).lower()
    if mode not in MODES:
        raise HistorySettingsError(
            f"var segmentation_mode must be one of auto, fit, score, got "
            f"{mode_value!r} (auto: fit when there is no version yet or the "
            "features or k changed, else score)"
        )
    version_value = given.get("model_version", "latest")
    version_text = _text(version_value).lower()
    if version_text in {"latest", "", "none", "null"}:
        version = None
    elif re.fullmatch(r"\d+", version_text) and int(version_text) >= 1:
        version = int(version_text)
    else:
        raise HistorySettingsError(
            f"var model_version must be 'latest' or a version id (a whole number >= 1, see "
            f"marts.mart_model_versions), got {version_value!r}"
        )
    if mode == "fit" and version is not None:
        raise HistorySettingsError(
            f"var model_version = {version} pins a version to score with, but "
            "segmentation_mode is fit (which makes a new version); use segmentation_mode: "
            "score (or auto), or leave model_version at latest"
        )
    return RunSettings(
        segmentation_mode=mode,
        model_version=version,
        drop_segmentation_history=parse_bool_setting(
            "drop_segmentation_history",
            given.get("drop_segmentation_history", default.drop_segmentation_history),
        ),
    )


def config_fingerprint(features: Sequence[str], **extra) -> str:
    """A short, stable fingerprint of the features a model sees: their names in order and
    ``extra`` defining settings (each feature's transform and weight). k is compared apart
    (the ``n_segments`` setting kept with each version)."""
    payload = {
        "features": [str(f) for f in features],
        **{k: extra[k] for k in sorted(extra)},
    }
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class RunPlan:
    """What this build does: fit a new version or score with a stored one."""

    mode: str  # "fit" or "score"
    model_version: int | None  # the version scored with; None when fitting
    previous_model_version: int | None  # the latest stored version (matching, lineage)
    next_model_version: int  # the id a new version would get
    reason: str


def resolve_run(
    settings: RunSettings,
    versions: pd.DataFrame,
    *,
    config_fingerprint: str,
    input_fingerprint: str,
    features: Sequence[str],
    n_segments_setting: object,
) -> RunPlan:
    """Decide whether this build fits or scores.

    Parameters
    ----------
    settings : RunSettings
    versions : DataFrame
        The stored versions: model_version, config_fingerprint, input_fingerprint, features
        (comma-separated), n_segments (k), n_segments_setting (the var when fitted). Empty
        when none is kept.
    config_fingerprint, input_fingerprint : str
        This build's (see :func:`config_fingerprint`; the input's from SQL).
    features, n_segments_setting
        This build's ``segmentation_features`` and ``n_segments`` vars, for the messages and
        the check that a pinned version can be scored with them.

    Rules
    -----
    - ``fit``: fit.
    - ``score``: score with ``model_version`` (the latest when ``latest``); an error when there
      is none, the pinned id does not exist, or its features, their settings or k differ from
      the build's.
    - ``auto``: fit when no version is stored, when the latest version's features, their
      settings (config fingerprint) or the n_segments setting differ, or when the input is
      exactly the latest version's training input (a rebuild: the fit reproduces the version,
      and the fit-only marts stay filled); score
      with a pinned ``model_version`` when one is set; else score with the latest.
    """
    versions = versions.sort_values("model_version") if len(versions) else versions
    stored = [int(v) for v in versions["model_version"]] if len(versions) else []
    latest = stored[-1] if stored else None
    next_version = (max(stored) + 1) if stored else 1
    mode = settings.segmentation_mode

    def fit(reason: str) -> RunPlan:
        return RunPlan("fit", None, latest, next_version, reason)

    def score(version: int, reason: str) -> RunPlan:
        row = versions[versions["model_version"] == version].iloc[0]
        stored_features = [f.strip() for f in str(row["features"]).split(",") if f.strip()]
        if stored_features != [str(f) for f in features]:
            raise HistorySettingsError(
                f"model version {version} was fitted on features {', '.join(stored_features)}, "
                f"but var segmentation_features is {', '.join(features)}: set "
                "segmentation_features to the version's features to score with it, or fit a "
                "new version (segmentation_mode: fit)"
            )
        if str(row["config_fingerprint"]) != config_fingerprint:
            raise HistorySettingsError(
                f"model version {version} was fitted with other feature settings (a transform "
                "or weight in var segmentation_features differs; see the version's "
                "feature_settings in marts.mart_model_versions): set them as they were "
                "to score with it, or fit a new version (segmentation_mode: fit)"
            )
        setting = _text(n_segments_setting).lower()
        if setting != "auto" and setting != str(int(row["n_segments"])):
            raise HistorySettingsError(
                f"model version {version} has {int(row['n_segments'])} segments, but var "
                f"n_segments is {setting}: set n_segments to {int(row['n_segments'])} (or auto) "
                "to score with it, or fit a new version (segmentation_mode: fit)"
            )
        return RunPlan("score", version, latest, next_version, reason)

    if mode == "fit":
        return fit("segmentation_mode is fit")
    pinned = settings.model_version
    if pinned is not None and pinned not in stored:
        known = ", ".join(map(str, stored)) or "none yet"
        raise HistorySettingsError(
            f"var model_version = {pinned}: no such version is stored (stored versions: "
            f"{known}); see marts.mart_model_versions"
        )
    if mode == "score":
        if latest is None:
            raise HistorySettingsError(
                "var segmentation_mode is score, but no model version is stored yet: build "
                "once with segmentation_mode: fit (or auto) first"
            )
        version = latest if pinned is None else pinned
        return score(version, f"segmentation_mode is score, version {version}")
    if pinned is not None:
        return score(pinned, f"auto with model_version pinned to {pinned}")
    if latest is None:
        return fit("auto: no model version is stored yet")
    last = versions.iloc[-1]
    same_k = (
        _text(last.get("n_segments_setting", n_segments_setting)).lower()
        == _text(n_segments_setting).lower()
    )
    if str(last["config_fingerprint"]) != config_fingerprint or not same_k:
        return fit(f"auto: the features or k differ from version {latest}'s")
    if str(last["input_fingerprint"]) == input_fingerprint:
        return fit(f"auto: the input is version {latest}'s training input (a rebuild)")
    return score(latest, f"auto: version {latest} has this build's features and k")


# ---------------------------------------------------------------------------- identity


def overlap_counts(
    previous_ids: Sequence[int],
    previous_members: pd.DataFrame,
    new_ids: Sequence[int],
    new_members: pd.DataFrame,
) -> np.ndarray:
    """Customers shared by each previous and each new segment.

    ``previous_members`` and ``new_members`` have columns customer_id, segment_id; the key may be
    text or a number (only equality is used). Returns an array of shape
    (len(previous_ids), len(new_ids)); customers present in only one side do not count.
    """
    joined = previous_members[["customer_id", "segment_id"]].merge(
        new_members[["customer_id", "segment_id"]], on="customer_id", suffixes=("_old", "_new")
    )
    counts = np.zeros((len(previous_ids), len(new_ids)), dtype=np.int64)
    if joined.empty:
        return counts
    row = {int(s): i for i, s in enumerate(previous_ids)}
    col = {int(s): j for j, s in enumerate(new_ids)}
    pairs = joined.groupby(["segment_id_old", "segment_id_new"]).size()
    for (old, new), n in pairs.items():
        if int(old) in row and int(new) in col:
            counts[row[int(old)], col[int(new)]] = int(n)
    return counts


def jaccard(overlap: np.ndarray) -> np.ndarray:
    """Jaccard similarity of every pair from the shared-customer counts.

    Only customers present on both sides count: a segment's size is its row (previous) or
    column (new) total, so customers who left or arrived never dilute the similarity.
    """
    overlap = np.asarray(overlap, dtype=np.float64)
    a = overlap.sum(axis=1, keepdims=True)
    b = overlap.sum(axis=0, keepdims=True)
    union = a + b - overlap
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, overlap / union, 0.0)


def center_distances(previous_centers: np.ndarray, new_centers: np.ndarray) -> np.ndarray:
    """Euclidean distance between every previous and every new centre (same space)."""
    previous_centers = np.asarray(previous_centers, dtype=np.float64)
    new_centers = np.asarray(new_centers, dtype=np.float64)
    diff = previous_centers[:, None, :] - new_centers[None, :, :]
    return np.sqrt((diff * diff).sum(axis=2))


@dataclass(frozen=True)
class SegmentMatch:
    """How a new version's segments are numbered."""

    segment_ids: np.ndarray  # stable id of each new segment (in the fit's order)
    matched_previous: np.ndarray  # previous id each new segment continues, or -1
    distances: np.ndarray  # (m, k) centre distances
    jaccard: np.ndarray  # (m, k); zeros when no customer is shared
    overlap: np.ndarray  # (m, k) shared customers


def match_segments(
    previous_ids: Sequence[int],
    previous_centers: np.ndarray,
    new_centers: np.ndarray,
    overlap: np.ndarray | None = None,
    *,
    max_distance: float = 1.0,
    min_jaccard: float = 0.5,
    used_ids: Sequence[int] = (),
) -> SegmentMatch:
    """Give each new segment the id of the previous segment it continues, or a fresh id.

    A one-to-one assignment (Hungarian, :func:`scipy.optimize.linear_sum_assignment`) pairs
    previous and new segments at the lowest cost ``distance / max_distance + (1 - jaccard)``
    (the Jaccard term only when customers are shared at all). A pair is accepted when the
    centres are at most ``max_distance`` apart in the new version's standardised space and,
    when customers are shared, their Jaccard similarity is at least ``min_jaccard``. Unmatched
    new segments get ids above every id in ``previous_ids`` and ``used_ids`` (a retired id is
    never given to another segment), in the fit's order.
    """
    from scipy.optimize import linear_sum_assignment

    previous_ids = np.asarray(previous_ids, dtype=np.int64)
    new_centers = np.asarray(new_centers, dtype=np.float64)
    k = new_centers.shape[0]
    m = len(previous_ids)
    if m == 0:
        distances = np.zeros((0, k))
        overlap = np.zeros((0, k), dtype=np.int64)
    else:
        distances = center_distances(previous_centers, new_centers)
        overlap = np.zeros((m, k), dtype=np.int64) if overlap is None else np.asarray(overlap)
    similarity = jaccard(overlap) if m else np.zeros((0, k))
    shared = bool(overlap.sum() > 0)
    matched = np.full(k, -1, dtype=np.int64)
    if m:
        finite = np.where(np.isfinite(distances), distances, 1e6)
        cost = finite / max_distance + ((1.0 - similarity) if shared else 0.0)
        rows, cols = linear_sum_assignment(cost)
        for i, j in zip(rows, cols, strict=True):
            close = distances[i, j] <= max_distance
            similar = (not shared) or similarity[i, j] >= min_jaccard
            if close and similar:
                matched[j] = previous_ids[i]
    next_id = int(max([0, *previous_ids.tolist(), *[int(u) for u in used_ids]])) + 1
    segment_ids = matched.copy()
    for j in range(k):
        if segment_ids[j] < 0:
            segment_ids[j] = next_id
            next_id += 1
    return SegmentMatch(segment_ids, matched, distances, similarity, overlap)


def lineage_rows(
    previous_ids: Sequence[int], match: SegmentMatch, *, min_share: float = 0.2
) -> pd.DataFrame:
    """The lineage of a new version against the previous one, one row per link.

    A *link* joins a previous segment i and a new segment j when at least ``min_share`` of i's
    returning customers went to j, or at least ``min_share`` of j's returning customers came
    from i, or when the two were matched. Each link is

    - ``split`` when i has links to two or more new segments,
    - ``merged`` when j has links from two or more previous segments (split wins when both),
    - ``kept`` otherwise (a matched pair whose customers stayed together).

    A new segment without any link is ``new`` (previous_segment_id null), a previous segment
    without any link ``retired`` (segment_id null). Columns: previous_segment_id, segment_id,
    status, is_matched (j keeps i's id), shared_customers, share_of_previous, share_of_new,
    jaccard, center_distance.
    """
    previous_ids = np.asarray(previous_ids, dtype=np.int64)
    overlap = np.asarray(match.overlap, dtype=np.float64)
    m, k = overlap.shape if overlap.size else (len(previous_ids), len(match.segment_ids))
    if overlap.size == 0:
        overlap = np.zeros((m, k))
    out_total = overlap.sum(axis=1, keepdims=True)
    in_total = overlap.sum(axis=0, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        share_prev = np.where(out_total > 0, overlap / out_total, 0.0)
        share_new = np.where(in_total > 0, overlap / in_total, 0.0)
    links = (share_prev >= min_share) | (share_new >= min_share)
    for j, previous in enumerate(match.matched_previous):
        if previous >= 0:
            links[int(np.flatnonzero(previous_ids == previous)[0]), j] = True
    outgoing = links.sum(axis=1)
    incoming = links.sum(axis=0)
    rows = []
    for i in range(m):
        for j in range(k):
            if not links[i, j]:
                continue
            if outgoing[i] >= 2:
                status = "split"
            elif incoming[j] >= 2:
                status = "merged"
            else:
                status = "kept"
            rows.append(
                {
                    "previous_segment_id": int(previous_ids[i]),
                    "segment_id": int(match.segment_ids[j]),
                    "status": status,
                    "is_matched": bool(match.matched_previous[j] == previous_ids[i]),
                    "shared_customers": int(overlap[i, j]),
                    "share_of_previous": float(share_prev[i, j]),
                    "share_of_new": float(share_new[i, j]),
                    "jaccard": float(match.jaccard[i, j]) if match.jaccard.size else 0.0,
                    "center_distance": float(match.distances[i, j]),
                }
            )
    for j in range(k):
        if incoming[j] == 0:
            rows.append(_unlinked(None, int(match.segment_ids[j]), "new"))
    for i in range(m):
        if outgoing[i] == 0:
            rows.append(_unlinked(int(previous_ids[i]), None, "retired"))
    frame = pd.DataFrame(
        rows,
        columns=[
            "previous_segment_id",
            "segment_id",
            "status",
            "is_matched",
            "shared_customers",
            "share_of_previous",
            "share_of_new",
            "jaccard",
            "center_distance",
        ],
    )
    for column in ("previous_segment_id", "segment_id"):
        frame[column] = frame[column].astype("Int64")
    return frame


def _unlinked(previous: int | None, new: int | None, status: str) -> dict:
    return {
        "previous_segment_id": previous,
        "segment_id": new,
        "status": status,
        "is_matched": False,
        "shared_customers": 0,
        "share_of_previous": None,
        "share_of_new": None,
        "jaccard": None,
        "center_distance": None,
    }


def to_common_space(
    centers: np.ndarray,
    means: np.ndarray,
    scales: np.ndarray,
    new_means: np.ndarray,
    new_scales: np.ndarray,
) -> np.ndarray:
    """Centres standardised by one scaler, re-expressed in another scaler's units."""
    original = np.asarray(centers) * np.asarray(scales) + np.asarray(means)
    return (original - np.asarray(new_means)) / np.asarray(new_scales)


# ---------------------------------------------------------------------------- drift

#: Share given to an empty bin in the stability index (a log of zero has no value).
PSI_EPSILON = 1e-4


def quantile_edges(values: np.ndarray, n_bins: int = 10) -> np.ndarray:
    """Inner bin edges of a feature's training values: its distinct deciles (by default).

    Bins are ``(-inf, e1], (e1, e2], ..., (e_last, inf)``. A 0/1 feature gets one edge (0),
    a constant feature none (one bin).
    """
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return np.zeros(0)
    quantiles = np.quantile(values, np.arange(1, n_bins) / n_bins, method="inverted_cdf")
    edges = np.unique(quantiles)
    return edges[edges < values.max()]


def bin_counts(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Rows per bin (``len(edges) + 1`` bins, right edges included)."""
    values = np.asarray(values, dtype=np.float64)
    index = np.searchsorted(np.asarray(edges, dtype=np.float64), values, side="left")
    return np.bincount(index, minlength=len(edges) + 1).astype(np.int64)


def bin_shares(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Share of rows per bin."""
    counts = bin_counts(values, edges)
    total = counts.sum()
    return counts / total if total else counts.astype(np.float64)


def population_stability_index(
    expected: np.ndarray, actual: np.ndarray, epsilon: float = PSI_EPSILON
) -> float:
    """PSI = sum((a - e) * ln(a / e)) over bins; empty bins count as ``epsilon``.

    0 for identical distributions; by convention below 0.1 is no shift, 0.1-0.25 a moderate
    one and above 0.25 a major one.
    """
    expected = np.maximum(np.asarray(expected, dtype=np.float64), epsilon)
    actual = np.maximum(np.asarray(actual, dtype=np.float64), epsilon)
    same = np.asarray(expected) == np.asarray(actual)
    terms = np.where(same, 0.0, (actual - expected) * np.log(actual / expected))
    return float(terms.sum())


def psi_level(psi: float, threshold: float) -> str:
    """'none', 'moderate' or 'major' (at or above ``threshold``)."""
    if psi >= threshold:
        return "major"
    if psi >= min(0.1, threshold / 2):
        return "moderate"
    return "none"


@dataclass(frozen=True)
class RefitAdvice:
    refit_recommended: bool
    reason: str


def refit_recommendation(
    feature_psi: Mapping[str, float],
    share_changes: Mapping[str, float],
    mean_distance_rise: float,
    *,
    psi_threshold: float,
    share_threshold: float,
    distance_threshold: float,
    feature_words: Mapping[str, str] | None = None,
) -> RefitAdvice:
    """Whether a snapshot has drifted far enough from the training data to refit, and why.

    Refit when a feature's PSI reaches ``psi_threshold``, a segment's share of customers moved
    by at least ``share_threshold`` (absolute), or the mean distance to the centres rose by at
    least ``distance_threshold`` (relative). The reason names each trigger, worst first.
    """
    words = feature_words or {}
    triggers = []
    for feature, psi in sorted(feature_psi.items(), key=lambda item: -item[1]):
        if psi >= psi_threshold:
            label = words.get(feature, feature)
            triggers.append(f"{label} ({feature}) shifted, PSI {psi:.2f} >= {psi_threshold:g}")
    for segment, change in sorted(share_changes.items(), key=lambda item: -abs(item[1])):
        if abs(change) >= share_threshold:
            triggers.append(
                f"segment {segment}'s share changed by {change * 100:+.1f} points "
                f"(threshold {share_threshold * 100:g})"
            )
    if mean_distance_rise >= distance_threshold:
        triggers.append(
            f"the mean distance to the centres rose {mean_distance_rise:.0%} "
            f"(threshold {distance_threshold:.0%})"
        )
    if triggers:
        return RefitAdvice(True, "Refit recommended: " + "; ".join(triggers) + ".")
    worst = max(feature_psi.items(), key=lambda item: item[1], default=("none", 0.0))
    largest_share = max((abs(v) for v in share_changes.values()), default=0.0)
    shift = (
        "no feature shifted (PSI 0)"
        if worst[1] == 0
        else f"largest feature shift PSI {worst[1]:.2f} ({words.get(worst[0], worst[0])})"
    )
    return RefitAdvice(
        False,
        f"No refit needed: {shift}, largest segment share change {largest_share * 100:.1f} "
        f"points, mean distance {mean_distance_rise:+.0%}.",
    )


# ---------------------------------------------------------------------------- customers


def top_deviations(
    Z: np.ndarray, centers: np.ndarray, labels_index: np.ndarray, n_top: int = 3
) -> tuple[np.ndarray, np.ndarray]:
    """The features that most set each customer apart from its segment's centre.

    Returns the feature positions (n, n_top), largest absolute standardised deviation first
    (ties: the earlier feature), and the signed deviations (customer - centre) at them.

    Every row is ranked on its own, so the rows are taken :data:`_DEVIATION_BLOCK_ROWS` at a
    time: the temporaries (deviations, their absolute values, the sort order) are a block's,
    not five more copies of the whole ``(n, p)`` matrix (about 1.1 GB each at 10 million
    customers x 14 features).
    """
    Z = np.asarray(Z, dtype=np.float64)
    return _top_deviations_in_blocks(
        Z.shape, lambda start, stop: Z[start:stop], centers, labels_index, n_top
    )


def top_deviations_columns(
    columns: Sequence[np.ndarray], centers: np.ndarray, labels_index: np.ndarray, n_top: int = 3
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`top_deviations` of the matrix whose column ``f`` is ``columns[f]`` (equal-length
    1-D arrays), bit for bit, without building that matrix: each block of rows is stacked
    from the columns' slices (at 10 million customers x 14 features the matrix is 1.1 GB)."""
    columns = [np.asarray(column, dtype=np.float64) for column in columns]
    if not columns:
        raise ValueError("no feature columns to rank")
    lengths = {column.shape for column in columns}
    if len(lengths) != 1:
        raise ValueError(f"columns of different shapes: {sorted(lengths)}")
    return _top_deviations_in_blocks(
        (columns[0].shape[0], len(columns)),
        lambda start, stop: np.column_stack([column[start:stop] for column in columns]),
        centers,
        labels_index,
        n_top,
    )


def _top_deviations_in_blocks(shape, block_of, centers, labels_index, n_top):
    """The work of :func:`top_deviations`: ``block_of(start, stop)`` gives rows start:stop."""
    centers = np.asarray(centers, dtype=np.float64)
    labels_index = np.asarray(labels_index)
    n_rows, n_features = shape
    n_top = min(n_top, n_features)
    positions = np.empty((n_rows, n_top), dtype=np.int64)
    deviations = np.empty((n_rows, n_top), dtype=np.float64)
    for start in range(0, n_rows, _DEVIATION_BLOCK_ROWS):
        stop = min(start + _DEVIATION_BLOCK_ROWS, n_rows)
        deviation = block_of(start, stop) - centers[labels_index[start:stop]]
        order = np.argsort(-np.abs(deviation), axis=1, kind="stable")[:, :n_top]
        positions[start:stop] = order
        deviations[start:stop] = np.take_along_axis(deviation, order, axis=1)
    return positions, deviations


#: Rows ranked at a time by :func:`top_deviations`.
_DEVIATION_BLOCK_ROWS = 65536


def feature_in_words(
    feature: str,
    channel_names: Mapping[str, str] | None = None,
    region_names: Mapping[str, str] | None = None,
) -> str:
    """A feature's name for people: 'watch time', 'CLV', 'Facebook channel', ..."""
    fixed = {
        "minutes_watched": "watch time",
        "clv": "CLV",
        "region_code": "region code",
        "channel_code": "channel code",
        "minutes_watched_log1p": "watch time (log)",
        "minutes_watched_was_blank": "never watched",
    }
    if feature in fixed:
        return fixed[feature]
    if feature.startswith("channel_"):
        slug = feature[len("channel_") :]
        name = (channel_names or {}).get(slug, slug.replace("_", " ").title())
        return f"{name} channel"
    if feature.startswith("region_"):
        slug = feature[len("region_") :]
        name = (region_names or {}).get(slug, slug.replace("_", " ").title())
        return f"{name} region"
    return feature.replace("_", " ")
