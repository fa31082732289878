"""The algorithm and statistics settings of a build: one typed object, defaults and ranges here.

A user sets a handful of dbt vars (the input, ``n_segments``, ``segmentation_features``,
``random_state``, ``snapshot_date``, ``segmentation_mode``...). Everything else that tunes the
methods (the k-means search, Ward, choosing k, stability, the evidence behind the decisions,
segment matching and drift) is a setting of :class:`Settings`, grouped by what it tunes. A
build changes a setting with the one var ``segmentation_settings``, a mapping of groups::

    dbt build --vars '{segmentation_settings: {kmeans: {n_init: 20}, evidence: {alpha: 0.01}}}'

The dbt Python models receive that var (and the older flat vars, see :data:`LEGACY_VARS`) once,
as JSON, build ``Settings.from_json(...)`` (with the user var ``random_state`` where a model draws
random numbers, validated here too: :attr:`Settings.random_state`) and hand typed values to the
package's functions; the
one-row model ``int_segmentation_settings`` publishes the validated values for the SQL models.
A bad value stops the build with one line naming the setting, the value and the allowed range.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields

__all__ = [
    "LEGACY_VARS",
    "EvidenceSettings",
    "HistorySettings",
    "KMeansSettings",
    "KSelectionSettings",
    "NamingSettings",
    "Settings",
    "SettingsError",
    "SparkSettings",
    "StabilitySettings",
    "WardSettings",
]

#: The var carrying the settings.
VAR = "segmentation_settings"


class SettingsError(ValueError):
    """A setting has a value the project cannot use (the message names the setting)."""


def _setting(default, *, low=None, high=None, low_open=False, high_open=False, doc=""):
    """A dataclass field with its allowed range: [low, high], an end open when ``*_open``."""
    return field(
        default=default,
        metadata={"low": low, "high": high, "low_open": low_open, "high_open": high_open,
                  "doc": doc},
    )  # fmt: skip


@dataclass(frozen=True)
class KMeansSettings:
    """The k-means search (customer_segmentation.pipeline.kmeans_fit)."""

    n_init: int = _setting(10, low=0, doc="plain k-means++ starts besides the seeded starts")
    max_iter: int = _setting(300, low=1, doc="Lloyd iterations per start")
    large_n_threshold: int = _setting(
        200_000, low=1, doc="above this many customers: search on a sample, refine on all rows"
    )
    sample_size: int = _setting(100_000, low=1, doc="customers in that search sample")


@dataclass(frozen=True)
class WardSettings:
    """The Ward tree (exact, or micro-clusters then size-weighted Ward)."""

    exact_max_rows: int = _setting(20_000, low=0, doc="exact Ward up to this many customers")
    n_micro_clusters: int = _setting(2_000, low=2, doc="micro-clusters of the two-stage Ward")
    micro_sample_size: int = _setting(
        50_000, low=1, doc="rows the micro-cluster k-means is fitted on"
    )


@dataclass(frozen=True)
class KSelectionSettings:
    """Choosing k (model int_k_selection)."""

    min_k: int = _setting(2, low=2, doc="smallest k scored")
    max_k: int = _setting(12, low=2, doc="largest k scored")
    sample_size: int = _setting(10_000, low=100, doc="customers the k-means criteria use")
    silhouette_sample_size: int = _setting(2_000, low=100, doc="customers of the silhouette")
    n_init: int = _setting(4, low=0, doc="plain k-means++ starts per k")


@dataclass(frozen=True)
class StabilitySettings:
    """Bootstrap stability of the k-means segments (model int_segment_stability)."""

    n_resamples: int = _setting(20, low=1, doc="bootstrap refits")
    sample_size: int = _setting(10_000, low=100, doc="customers each refit resamples")
    stable_jaccard: float = _setting(0.85, low=0, high=1, doc="mean Jaccard of a stable segment")
    recovered_jaccard: float = _setting(
        0.75, low=0, high=1, doc="Jaccard at which a resample recovers a segment (fairly stable)"
    )
    doubtful_jaccard: float = _setting(
        0.5, low=0, high=1, doc="mean Jaccard below which a segment is unstable"
    )


@dataclass(frozen=True)
class EvidenceSettings:
    """The statistics behind the decision marts (customer_segmentation.evidence)."""

    n_resamples: int = _setting(2_000, low=100, doc="bootstrap resamples per interval")
    bootstrap_max_customers: int = _setting(
        50_000, low=1_000, doc="above this many customers: exact/normal intervals, no resample"
    )
    confidence_level: float = _setting(
        0.95, low=0, high=1, low_open=True, high_open=True, doc="coverage of every interval"
    )
    alpha: float = _setting(
        0.05, low=0, high=1, low_open=True, high_open=True, doc="family-wise error rate (Holm)"
    )
    min_relative_difference: float = _setting(
        0.10, low=0, doc="smallest gap to the region that counts, as a fraction of its value"
    )
    min_customers: int = _setting(20, low=1, doc="fewer customers in a region: too few to judge")
    epsilon_squared_small: float = _setting(0.01, low=0, high=1, doc="small channel effect")
    epsilon_squared_medium: float = _setting(0.06, low=0, high=1, doc="medium channel effect")
    epsilon_squared_large: float = _setting(0.14, low=0, high=1, doc="large channel effect")


@dataclass(frozen=True)
class NamingSettings:
    """Segment names (customer_segmentation.naming)."""

    pure_share: float = _setting(
        0.9, low=0, high=1, low_open=True, doc="share of one channel (region) that names a segment"
    )


@dataclass(frozen=True)
class HistorySettings:
    """Segment identity across model versions, outliers and drift (README "Segments over time")."""

    outlier_quantile: float = _setting(
        0.99, low=0, high=1, low_open=True, high_open=True, doc="outlier distance quantile"
    )
    segment_match_max_distance: float = _setting(
        1.0, low=0, low_open=True, doc="largest centre distance of a continued segment"
    )
    segment_match_min_jaccard: float = _setting(
        0.5, low=0, high=1, doc="smallest Jaccard of a continued segment"
    )
    lineage_min_share: float = _setting(
        0.2, low=0, high=1, low_open=True, high_open=True, doc="share that makes a lineage link"
    )
    drift_psi_threshold: float = _setting(0.25, low=0, low_open=True, doc="PSI that warns")
    drift_share_threshold: float = _setting(
        0.05, low=0, high=1, low_open=True, high_open=True, doc="segment share move that warns"
    )
    drift_distance_threshold: float = _setting(
        0.25, low=0, low_open=True, doc="relative rise of the mean distance that warns"
    )


@dataclass(frozen=True)
class SparkSettings:
    """Spark/Databricks only."""

    collect_max_rows: int = _setting(
        1_000_000, low=0, doc="up to this many customers the models collect to the driver"
    )


#: The groups of :class:`Settings`, by their key in ``segmentation_settings``.
GROUPS: dict[str, type] = {
    "kmeans": KMeansSettings,
    "ward": WardSettings,
    "k_selection": KSelectionSettings,
    "stability": StabilitySettings,
    "evidence": EvidenceSettings,
    "naming": NamingSettings,
    "history": HistorySettings,
    "spark": SparkSettings,
}

#: The flat vars of earlier versions, still read: var -> (group, setting). A flat var set on the
#: command line applies unless ``segmentation_settings`` sets the same setting.
LEGACY_VARS: dict[str, tuple[str, str]] = {
    **{f"kmeans_{k}": ("kmeans", k) for k in ("n_init", "max_iter", "large_n_threshold")},
    "kmeans_sample_size": ("kmeans", "sample_size"),
    **{f"ward_{k}": ("ward", k) for k in ("exact_max_rows", "n_micro_clusters")},
    "ward_micro_sample_size": ("ward", "micro_sample_size"),
    **{
        f"k_selection_{k}": ("k_selection", k)
        for k in ("min_k", "max_k", "sample_size", "silhouette_sample_size", "n_init")
    },
    "stability_n_resamples": ("stability", "n_resamples"),
    "stability_sample_size": ("stability", "sample_size"),
    "evidence_n_resamples": ("evidence", "n_resamples"),
    "evidence_bootstrap_max_customers": ("evidence", "bootstrap_max_customers"),
    "evidence_confidence_level": ("evidence", "confidence_level"),
    "evidence_alpha": ("evidence", "alpha"),
    "evidence_min_relative_difference": ("evidence", "min_relative_difference"),
    "evidence_min_customers": ("evidence", "min_customers"),
    **{f"epsilon_squared_{k}": ("evidence", f"epsilon_squared_{k}") for k in
       ("small", "medium", "large")},
    **{k: ("history", k) for k in (
        "outlier_quantile", "segment_match_max_distance", "segment_match_min_jaccard",
        "lineage_min_share", "drift_psi_threshold", "drift_share_threshold",
        "drift_distance_threshold")},
    "spark_collect_max_rows": ("spark", "collect_max_rows"),
}  # fmt: skip


def _range_text(meta: dict, kind: type) -> str:
    low, high = meta["low"], meta["high"]
    what = "a whole number" if kind is int else "a number"
    if low is not None and high is not None:
        left, right = "(" if meta["low_open"] else "[", ")" if meta["high_open"] else "]"
        return f"{what} in {left}{low}, {high}{right}"
    if low is not None:
        return f"{what} {'above' if meta['low_open'] else 'of at least'} {low}"
    return what


def _checked(name: str, value: object, kind: type, meta: dict) -> int | float:
    """``value`` as ``kind`` when it is one and lies in the field's range; else SettingsError."""
    expected = _range_text(meta, kind)
    number: float | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = None
    if number is None or not math.isfinite(number) or (kind is int and number != int(number)):
        raise SettingsError(f"{name} must be {expected}, got {str(value)!r}")
    low, high = meta["low"], meta["high"]
    if low is not None and (number < low or (meta["low_open"] and number == low)):
        raise SettingsError(f"{name} must be {expected}, got {str(value)!r}")
    if high is not None and (number > high or (meta["high_open"] and number == high)):
        raise SettingsError(f"{name} must be {expected}, got {str(value)!r}")
    return int(number) if kind is int else number


def _build_group(group: str, cls: type, values: Mapping[str, object], labels: Mapping[str, str]):
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise SettingsError(
            f"{VAR}.{group} has no setting {unknown[0]!r}; its settings are " + ", ".join(known)
        )
    kwargs = {}
    for name, value in values.items():
        spec = known[name]
        kind = int if isinstance(spec.default, int) else float
        kwargs[name] = _checked(labels.get(name, f"{VAR}.{group}.{name}"), value, kind,
                                dict(spec.metadata))  # fmt: skip
    return cls(**kwargs)


@dataclass(frozen=True)
class Settings:
    """Every algorithm and statistics setting of a build, validated (defaults: the classic run)."""

    kmeans: KMeansSettings = field(default_factory=KMeansSettings)
    ward: WardSettings = field(default_factory=WardSettings)
    k_selection: KSelectionSettings = field(default_factory=KSelectionSettings)
    stability: StabilitySettings = field(default_factory=StabilitySettings)
    evidence: EvidenceSettings = field(default_factory=EvidenceSettings)
    naming: NamingSettings = field(default_factory=NamingSettings)
    history: HistorySettings = field(default_factory=HistorySettings)
    spark: SparkSettings = field(default_factory=SparkSettings)
    #: The seed of every random step (k-means starts, samples, bootstrap resamples): the user
    #: var ``random_state``, validated here with the settings (see :meth:`from_mapping`).
    random_state: int = _setting(42, low=0, doc="seed of every random step (var random_state)")

    def __post_init__(self) -> None:
        if self.k_selection.max_k < self.k_selection.min_k:
            raise SettingsError(
                f"{VAR}.k_selection.max_k ({self.k_selection.max_k}) must be at least "
                f"k_selection.min_k ({self.k_selection.min_k})"
            )
        s = self.stability
        if not s.doubtful_jaccard <= s.recovered_jaccard <= s.stable_jaccard:
            raise SettingsError(
                f"{VAR}.stability: doubtful_jaccard <= recovered_jaccard <= stable_jaccard must "
                f"hold, got {s.doubtful_jaccard}, {s.recovered_jaccard}, {s.stable_jaccard}"
            )
        e = self.evidence
        if not e.epsilon_squared_small <= e.epsilon_squared_medium <= e.epsilon_squared_large:
            raise SettingsError(
                f"{VAR}.evidence: epsilon_squared_small <= epsilon_squared_medium <= "
                f"epsilon_squared_large must hold, got {e.epsilon_squared_small}, "
                f"{e.epsilon_squared_medium}, {e.epsilon_squared_large}"
            )

    @classmethod
    def from_mapping(
        cls,
        settings: Mapping[str, object] | None = None,
        legacy: Mapping[str, object] | None = None,
        *,
        random_state: object = None,
    ) -> Settings:
        """Settings from ``segmentation_settings`` (group -> setting -> value) and the flat vars.

        ``legacy`` maps names of :data:`LEGACY_VARS` to values (``None``: not set); a setting in
        ``settings`` wins over its flat var. ``random_state`` is the var of that name as dbt
        hands it over (text; ``None``: the default). Unset settings keep their defaults. Raises
        :class:`SettingsError` (one line naming the setting) for an unknown group or setting, a
        value of the wrong type or out of range.
        """
        settings = {} if settings is None else settings
        if not isinstance(settings, Mapping):
            raise SettingsError(
                f"var {VAR} must be a mapping of groups ({', '.join(GROUPS)}), got {settings!r}"
            )
        values: dict[str, dict[str, object]] = {group: {} for group in GROUPS}
        labels: dict[str, dict[str, str]] = {group: {} for group in GROUPS}
        for name, value in (legacy or {}).items():
            if name not in LEGACY_VARS:
                raise SettingsError(f"{name} is not a setting var")
            if value is None:
                continue
            group, key = LEGACY_VARS[name]
            values[group][key] = value
            labels[group][key] = f"var {name}"
        for group, group_values in settings.items():
            if group not in GROUPS:
                raise SettingsError(
                    f"var {VAR} has no group {group!r}; its groups are {', '.join(GROUPS)}"
                )
            if not isinstance(group_values, Mapping):
                raise SettingsError(
                    f"{VAR}.{group} must be a mapping of settings, got {group_values!r}"
                )
            for key, value in group_values.items():
                values[group][key] = value
                labels[group].pop(key, None)
        seed = {}
        if random_state is not None:
            spec = next(f for f in fields(cls) if f.name == "random_state")
            seed["random_state"] = _checked("var random_state", random_state, int,
                                            dict(spec.metadata))  # fmt: skip
        return cls(
            **{
                group: _build_group(group, GROUPS[group], values[group], labels[group])
                for group in GROUPS
            },
            **seed,
        )

    @classmethod
    def from_json(cls, text: str | None, *, random_state: object = None) -> Settings:
        """Settings from the JSON the dbt models receive: ``{"settings": {...}, "legacy": {...}}``
        (config ``segmentation_settings``, dbt_project.yml), and the ``random_state`` var of
        the models that draw random numbers (their ``random_state`` config)."""
        payload = json.loads(text) if text else {}
        return cls.from_mapping(
            payload.get("settings"), payload.get("legacy"), random_state=random_state
        )

    def flat(self) -> dict[str, int | float]:
        """``<group>__<setting>`` -> value, for the one-row model int_segmentation_settings."""
        return {
            f"{group}__{f.name}": getattr(getattr(self, group), f.name)
            for group in GROUPS
            for f in fields(GROUPS[group])
        }


def defaults() -> dict[str, dict[str, int | float]]:
    """Every setting's default, by group (for the documentation)."""
    return {
        group: {f.name: f.default for f in fields(cls) if f.default is not MISSING}
        for group, cls in GROUPS.items()
    }
