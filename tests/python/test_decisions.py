"""End to end: the decision marts on the embedded data, and editing the rules seeds."""

from __future__ import annotations

import csv
import shutil

import pytest

from conftest import PROJECT_ROOT, run_dbt

pytestmark = pytest.mark.integration

PROJECT_PARTS = [
    "dbt_project.yml",
    "models",
    "python_models",
    "macros",
    "seeds",
    "tests/dbt",
]


def test_decision_marts_answer_the_three_questions(embedded_build):
    # Channel effects: 3 regions + all regions, every channel has customers everywhere here.
    assert embedded_build.query(
        "select count(*), count(distinct region_name) from marts.mart_channel_effects"
    ) == [(32, 4)]
    # The summary: 4 scopes x 2 metrics, each with a sentence.
    assert embedded_build.query(
        "select count(*), count(finding) from marts.mart_channel_effect_summary"
    ) == [(8, 8)]
    # Social media discovery: shares add up per region and level; YouTube leads social media
    # everywhere on the embedded data.
    leaders = embedded_build.query(
        "select region_name, channel_name from marts.mart_region_channel_mix "
        "where social_media_rank_in_region = 1 order by region_name"
    )
    assert {channel for _, channel in leaders} == {"YouTube"}
    assert len(leaders) == 4
    # Recommendations: one per segment and method.
    assert embedded_build.query(
        "select segmentation_method, count(*), count(recommendation) "
        "from marts.mart_segment_recommendations group by 1 order by 1"
    ) == [("kmeans", 8, 8), ("ward", 8, 8)]


def test_watch_time_verdict_is_robust_to_the_heavy_tail(embedded_build):
    # Facebook's mean watch time is the highest, but its interval is wide (one customer watched
    # 288,508 minutes) and its median gap to all regions is not meaningful.
    row = embedded_build.query(
        "select mean_minutes_watched_ci_high - mean_minutes_watched_ci_low, "
        "median_minutes_watched_differs "
        "from marts.mart_channel_effects where is_all_regions and channel_name = 'Facebook'"
    )[0]
    assert row[0] > 2000
    assert row[1] is False


def _copy_project(destination):
    for part in PROJECT_PARTS:
        source = PROJECT_ROOT / part
        target = destination / part
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("target", "logs"))
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def _edit_csv(path, match: dict, changes: dict) -> None:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    fields = list(rows[0])
    edited = 0
    for row in rows:
        if all(row[key] == value for key, value in match.items()):
            row.update(changes)
            edited += 1
    assert edited == 1, f"expected one row matching {match} in {path}"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def test_editing_the_rules_seeds_changes_recommendations_without_code(embedded_build, tmp_path):
    """A marketer raises the bar for "high value" and rewords a rule: only CSVs change."""
    project = tmp_path / "project"
    _copy_project(project)
    database = tmp_path / "edited.duckdb"
    shutil.copy2(embedded_build.database, database)

    # High value now needs the whole interval of mean CLV 35 % above the overall mean: the
    # Western Europe segment (interval from ~153 against 118.38, i.e. 1.30) no longer qualifies.
    _edit_csv(
        project / "seeds" / "recommendation_tiers.csv",
        {"dimension": "value", "tier": "high"},
        {"min_value": "1.35"},
    )
    _edit_csv(
        project / "seeds" / "recommendation_rules.csv",
        {"recommendation": "reduce spend", "priority": "1"},
        {"rationale": "Cut {segment_name}: only {share} of customers."},
    )
    query = (
        "select segmentation_method, segment_name, value_tier, recommendation, rationale "
        "from marts.mart_segment_recommendations order by 1, 2"
    )
    before = {(m, name): rest for m, name, *rest in embedded_build.query(query)}

    # Only the seeds and the mart downstream of them are rebuilt; the classic "grow spend"
    # test is left out here because the edit is meant to overturn it (checked below).
    result = run_dbt(
        [
            "build",
            "--project-dir",
            str(project),
            "--select",
            "recommendation_tiers+",
            "recommendation_rules+",
            "--exclude",
            "assert_classic_highest_clv_segment_grow_spend",
        ],
        database,
        tmp_path,
    )
    assert result.returncode == 0, result.output[-5000:]
    after = {(m, name): rest for m, name, *rest in result.query(query)}

    for method in ("kmeans", "ward"):
        key = (method, "Western Europe Multi-Channel")
        assert before[key][:2] == ["high", "grow spend"]
        assert after[key][:2] == ["average", "maintain"]
        twitter = (method, "Twitter Devotees")
        assert after[twitter][1] == "reduce spend"
        assert after[twitter][2] == "Cut Twitter Devotees: only 1.5 % of customers."
    # USA/Canada/UK/Australia (interval from ~133, ratio 1.12) also drops out of "high" value.
    changed = {key for key in before if before[key][1] != after[key][1]}
    assert changed == {
        (m, n)
        for m in ("kmeans", "ward")
        for n in ("Western Europe Multi-Channel", "USA/Canada/UK/Australia Multi-Channel")
    }

    # The classic conclusion's test notices the edit.
    classic = run_dbt(
        [
            "test",
            "--project-dir",
            str(project),
            "--select",
            "assert_classic_highest_clv_segment_grow_spend",
        ],
        database,
        tmp_path,
    )
    assert classic.returncode != 0
    assert "assert_classic_highest_clv_segment_grow_spend" in classic.output
