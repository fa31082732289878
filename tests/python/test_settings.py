"""The one settings object: defaults, ranges, one error per bad value, the older flat vars."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from customer_segmentation.settings import LEGACY_VARS, Settings, SettingsError, defaults

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_defaults_are_the_classic_run():
    settings = Settings()
    assert settings == Settings.from_mapping({}) == Settings.from_json(None)
    assert (settings.kmeans.n_init, settings.kmeans.max_iter) == (10, 300)
    assert (settings.k_selection.min_k, settings.k_selection.max_k) == (2, 12)
    assert settings.naming.pure_share == 0.9
    assert settings.stability.recovered_jaccard == 0.75
    assert settings.evidence.alpha == 0.05 and settings.evidence.min_customers == 20
    assert settings.spark.collect_max_rows == 1_000_000
    assert defaults()["ward"] == {
        "exact_max_rows": 20_000,
        "n_micro_clusters": 2_000,
        "micro_sample_size": 50_000,
    }


def test_groups_override_defaults_with_typed_values():
    settings = Settings.from_mapping(
        {"kmeans": {"n_init": 20}, "evidence": {"alpha": "0.01", "min_customers": 30.0}}
    )
    assert settings.kmeans.n_init == 20 and settings.kmeans.max_iter == 300
    assert settings.evidence.alpha == 0.01 and isinstance(settings.evidence.alpha, float)
    assert settings.evidence.min_customers == 30 and isinstance(
        settings.evidence.min_customers, int
    )
    assert settings.flat()["evidence__alpha"] == 0.01


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"kmeans": {"n_init": -1}}, "segmentation_settings.kmeans.n_init must be a whole number "
         "of at least 0, got '-1'"),
        ({"kmeans": {"n_init": 2.5}}, "segmentation_settings.kmeans.n_init must be a whole number"),
        ({"kmeans": {"n_init": True}}, "segmentation_settings.kmeans.n_init must be a whole"),
        ({"evidence": {"alpha": 1}}, "segmentation_settings.evidence.alpha must be a number in "
         "(0, 1), got '1'"),
        ({"evidence": {"alpha": "nan"}}, "segmentation_settings.evidence.alpha must be a number"),
        ({"kmeans": {"n_inits": 3}}, "segmentation_settings.kmeans has no setting 'n_inits'"),
        ({"k_means": {}}, "var segmentation_settings has no group 'k_means'"),
        ({"kmeans": 3}, "segmentation_settings.kmeans must be a mapping"),
        ({"k_selection": {"min_k": 8, "max_k": 6}}, "k_selection.max_k (6) must be at least"),
        ({"evidence": {"epsilon_squared_small": 0.2}}, "epsilon_squared_small <= "),
        ({"stability": {"stable_jaccard": 0.7}}, "doubtful_jaccard <= recovered_jaccard"),
    ],
)  # fmt: skip
def test_one_error_naming_the_setting(mapping, message):
    with pytest.raises(SettingsError, match=re.escape(message)):
        Settings.from_mapping(mapping)


def test_older_flat_vars_still_apply_and_name_themselves_in_errors():
    settings = Settings.from_mapping(None, {"kmeans_n_init": 3, "evidence_alpha": None})
    assert settings.kmeans.n_init == 3 and settings.evidence.alpha == 0.05
    # segmentation_settings wins over the flat var for the same setting.
    both = Settings.from_mapping({"kmeans": {"n_init": 5}}, {"kmeans_n_init": 3})
    assert both.kmeans.n_init == 5
    with pytest.raises(SettingsError, match=re.escape("var outlier_quantile must be a number in "
                                                      "(0, 1), got '2'")):  # fmt: skip
        Settings.from_mapping(None, {"outlier_quantile": 2})
    with pytest.raises(SettingsError, match="not a setting var"):
        Settings.from_mapping(None, {"kmeans_ninit": 3})


def test_the_dbt_project_passes_every_flat_var_and_the_var_as_json():
    text = (PROJECT_ROOT / "dbt_project.yml").read_text()
    block = text[text.index("+segmentation_settings:") :]
    block = block[: block.index("}) }}")]
    passed = re.findall(r"'([a-z_0-9]+)': var\('\1', none\)", block)
    assert sorted(passed) == sorted(LEGACY_VARS)
    assert "var('segmentation_settings', {})" in block
    payload = json.dumps({"settings": {"ward": {"n_micro_clusters": 400}}, "legacy": {}})
    assert Settings.from_json(payload).ward.n_micro_clusters == 400


def test_random_state_is_validated_with_the_settings():
    assert Settings().random_state == 42
    assert Settings.from_json(None, random_state="7").random_state == 7
    assert Settings.from_json(None, random_state=" 7.0 ").random_state == 7
    # The project's var default is the settings default (dbt_project.yml, vars).
    project = (PROJECT_ROOT / "dbt_project.yml").read_text()
    assert re.search(r"^  random_state: (\d+)$", project, re.M).group(1) == "42"
    for value, shown in [("1.5", "'1.5'"), ("-1", "'-1'"), ("seven", "'seven'"), (True, "'True'")]:
        with pytest.raises(SettingsError) as error:
            Settings.from_json(None, random_state=value)
        assert (
            str(error.value)
            == f"var random_state must be a whole number of at least 0, got {shown}"
        )
