"""The documented `mf query` examples run against the embedded build and return the expected shapes.

The examples are the "Semantic layer (MetricFlow)" section of the documentation site's BI page,
docs/bi.md (the README's section of that name until the README was cut down to one page).

MetricFlow's CLI reads `target/semantic_manifest.json` under the project directory whatever
DBT_TARGET_PATH says, so each test runs it in a scratch project directory holding the project
file, the profile and the semantic manifest of the shared embedded build.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import PROJECT_ROOT

pytestmark = pytest.mark.integration

MF = str(Path(sys.executable).with_name("mf"))
BI_PAGE = PROJECT_ROOT / "docs" / "bi.md"


def readme_mf_queries() -> list[str]:
    """Every `mf query ...` command of docs/bi.md's "Semantic layer" section, in order."""
    text = BI_PAGE.read_text(encoding="utf-8")
    section = text.split("## Semantic layer (MetricFlow)", 1)
    assert len(section) == 2, "docs/bi.md has no '## Semantic layer (MetricFlow)' section"
    body = section[1].split("\n## ", 1)[0]
    commands, current = [], ""
    for line in body.splitlines():
        stripped = line.strip()
        if current:
            current += " " + stripped.rstrip("\\").strip()
            if not stripped.endswith("\\"):
                commands.append(current)
                current = ""
        elif stripped.startswith("mf query"):
            current = stripped.rstrip("\\").strip()
            if not stripped.endswith("\\"):
                commands.append(current)
                current = ""
    return commands


@pytest.fixture(scope="module")
def mf_project(embedded_build, tmp_path_factory) -> Path:
    project = tmp_path_factory.mktemp("mf_project")
    shutil.copy(PROJECT_ROOT / "dbt_project.yml", project)
    shutil.copy(PROJECT_ROOT / "profiles.yml", project)
    manifest = embedded_build.database.parent / "target" / "semantic_manifest.json"
    assert manifest.is_file(), "dbt build wrote no semantic_manifest.json"
    (project / "target").mkdir()
    shutil.copy(manifest, project / "target")
    return project


def run_mf(command: str, project: Path, database: Path, out: Path) -> list[dict[str, str]]:
    args = shlex.split(command)
    assert args[:2] == ["mf", "query"], command
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(project),
        "DBT_PROJECT_DIR": str(project),
        "DBT_DUCKDB_PATH": str(database),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        "DO_NOT_TRACK": "1",
    }
    env.pop("DBT_TARGET_PATH", None)
    completed = subprocess.run(
        [MF, *args[1:], "--csv", str(out)],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    with out.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def readme_results(mf_project, embedded_build, tmp_path_factory) -> dict[str, list[dict]]:
    out_dir = tmp_path_factory.mktemp("mf_out")
    return {
        command: run_mf(command, mf_project, embedded_build.database, out_dir / f"q{i}.csv")
        for i, command in enumerate(readme_mf_queries())
    }


def _find(results: dict[str, list[dict]], *needles: str) -> list[dict]:
    matches = [rows for command, rows in results.items() if all(n in command for n in needles)]
    assert len(matches) == 1, f"expected one mf query with {needles}, found {len(matches)}"
    return matches[0]


def test_readme_has_the_examples():
    commands = readme_mf_queries()
    assert len(commands) >= 4, commands
    for command in commands:
        assert re.search(r"--metrics \S+", command), command


def test_clv_and_minutes_by_channel_within_region(readme_results, embedded_build):
    rows = _find(readme_results, "customer__region_name", "customer__channel_name")
    expected = embedded_build.query(
        "select region_name, channel_name, customers, mean_clv, mean_minutes_watched "
        "from marts.mart_region_channel_performance where customers > 0"
    )
    assert len(rows) == len(expected)
    by_cell = {(r, c): (n, clv, m) for r, c, n, clv, m in expected}
    for row in rows:
        n, clv, minutes = by_cell[(row["customer__region_name"], row["customer__channel_name"])]
        assert int(row["customers"]) == n
        assert float(row["mean_clv"]) == pytest.approx(clv)
        assert float(row["mean_minutes_watched"]) == pytest.approx(minutes)
    # Ordered by region, then mean CLV descending within the region.
    regions = [r["customer__region_name"] for r in rows]
    assert regions == sorted(regions)
    for region in set(regions):
        clvs = [float(r["mean_clv"]) for r in rows if r["customer__region_name"] == region]
        assert clvs == sorted(clvs, reverse=True)


def test_segment_with_highest_clv(readme_results, embedded_build):
    rows = _find(readme_results, "customer__kmeans_segment_name", "--limit 1")
    assert len(rows) == 1
    ((name, mean_clv, customers, share),) = embedded_build.query(
        "select segment_name, mean_clv, customers, share_of_customers from marts.mart_segments "
        "where segmentation_method = 'kmeans' order by mean_clv desc limit 1"
    )
    assert rows[0]["customer__kmeans_segment_name"] == name
    assert float(rows[0]["mean_clv"]) == pytest.approx(mean_clv)
    assert int(rows[0]["customers"]) == customers
    assert float(rows[0]["share_of_customers"]) == pytest.approx(share)


def test_ward_segments_and_shares(readme_results, embedded_build):
    rows = _find(readme_results, "customer__ward_segment_name")
    expected = dict(
        embedded_build.query(
            "select segment_name, total_clv from marts.mart_segments "
            "where segmentation_method = 'ward'"
        )
    )
    assert {r["customer__ward_segment_name"] for r in rows} == set(expected)
    for row in rows:
        assert float(row["total_clv"]) == pytest.approx(
            expected[row["customer__ward_segment_name"]]
        )
    assert sum(float(r["share_of_customers"]) for r in rows) == pytest.approx(1.0)


def test_clv_per_watched_hour_and_median(readme_results, embedded_build):
    rows = _find(readme_results, "clv_per_watched_hour")
    expected = {
        region: (clv_per_hour, median)
        for region, clv_per_hour, median in embedded_build.query(
            "select region_name, sum(clv) / (sum(minutes_watched) / 60.0), "
            "quantile_cont(minutes_watched, 0.5) from marts.mart_customer_segments group by 1"
        )
    }
    assert len(rows) == len(expected)
    for row in rows:
        clv_per_hour, median = expected[row["customer__region_name"]]
        assert float(row["clv_per_watched_hour"]) == pytest.approx(clv_per_hour)
        assert float(row["median_minutes_watched"]) == pytest.approx(median)


def test_snapshot_date_defaults_to_the_build_day(embedded_build):
    ((stamped, days, first, last),) = embedded_build.query(
        "select (select distinct snapshot_date from semantic.sem_customers), count(*), "
        "min(date_day), max(date_day) from semantic.metricflow_time_spine"
    )
    assert first < stamped < last and days >= 2 * 366
    run_results = embedded_build.database.parent / "target" / "run_results.json"
    started = json.loads(run_results.read_text())["metadata"]["generated_at"]
    # The build day (UTC), within a day of when the build finished (midnight runs).
    finished = dt.date.fromisoformat(started[:10])
    assert abs((finished - stamped).days) <= 1


def test_bad_snapshot_date_is_named(dbt_runner):
    bad = dbt_runner(
        ["compile", "-s", "sem_customers", "--vars", "{snapshot_date: 'yesterday'}"], name="bad"
    )
    assert bad.returncode != 0
    assert "var snapshot_date: expected a date 'YYYY-MM-DD', got 'yesterday'" in bad.output


def test_recommendations_per_method(readme_results, embedded_build):
    rows = _find(readme_results, "segment__recommendation")
    expected = {
        (method, recommendation): (segments, customers, share, mean_clv)
        for method, recommendation, segments, customers, share, mean_clv in embedded_build.query(
            "select segmentation_method, recommendation, count(*), sum(customers), "
            "sum(share_of_customers), sum(mean_clv * customers) / sum(customers) "
            "from marts.mart_segment_recommendations group by 1, 2"
        )
    }
    assert len(rows) == len(expected)
    for row in rows:
        key = (row["segment__segmentation_method"], row["segment__recommendation"])
        segments, customers, share, mean_clv = expected[key]
        assert int(row["segments"]) == segments
        assert int(row["segment_customers"]) == customers
        assert float(row["segment_share_of_customers"]) == pytest.approx(share)
        assert float(row["segment_mean_clv"]) == pytest.approx(mean_clv)
    for method in {r["segment__segmentation_method"] for r in rows}:
        shares = [
            float(r["segment_share_of_customers"])
            for r in rows
            if r["segment__segmentation_method"] == method
        ]
        assert sum(shares) == pytest.approx(1.0)


def test_social_media_share_by_region(readme_results, embedded_build):
    rows = _find(readme_results, "social_media_share_of_region")
    expected = {
        region: (share, customers)
        for region, share, customers in embedded_build.query(
            "select region_name, share_of_region, customers from marts.mart_region_channel_mix "
            "where channel_grouping = 'social_media' and is_social_media"
        )
    }
    assert {r["region_channel__region_name"] for r in rows} == set(expected)
    for row in rows:
        share, customers = expected[row["region_channel__region_name"]]
        assert float(row["social_media_share_of_region"]) == pytest.approx(share)
        assert int(row["social_media_customers"]) == customers
    shares = [float(r["social_media_share_of_region"]) for r in rows]
    assert shares == sorted(shares, reverse=True)
