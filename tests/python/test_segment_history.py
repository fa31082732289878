"""Segments over time, end to end: two monthly exports of the same customers as two snapshots.

One helper process (``dbt_batch.py``) runs the whole sequence on one build database, so dbt
starts once:

A. January export, auto -> fits version 1 (the embedded build's segments).
B. February export (values grown, customers gone and new, a few with very different watch
   time), auto -> scores with version 1: the transitions mart must equal a direct computation
   from the two builds' per-customer segments.
C. February again with segmentation_mode fit -> version 2 replaces February's snapshot; the
   segments it continues keep their ids and names and the lineage equals a direct computation.
D. January scored with version 1 pinned -> the same assignments, byte for byte, as at fit time,
   and zero drift.
E. January with four times the watch time, scored -> refit recommended, naming the feature.
F. an injected failure, G. ``dbt build --full-refresh``, then (outside the batch) a build killed
   with ``kill -9`` and a normal build, and finally ``drop_segmentation_history``: the kept tables
   survive everything but the explicit drop.

Customer keys are text (``C-00001``) in a key column mapped with the ``customer_columns`` var.
Departed customers stay in the February file with a blank CLV, so they are quarantined and
not segmented: gone from the snapshot whether the key column or the row position identifies
the customers.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from quick_settings import with_quick_settings

from conftest import DBT, PROJECT_ROOT, SEED_CSV

pytestmark = pytest.mark.integration

BATCH = Path(__file__).with_name("dbt_batch.py")
JANUARY, FEBRUARY, MARCH, APRIL, MAY = (
    "2026-01-31",
    "2026-02-28",
    "2026-03-31",
    "2026-04-30",
    "2026-05-31",
)
KEPT = [
    "mart_model_versions",
    "mart_model_centres",
    "mart_model_scalers",
    "mart_model_segments",
    "mart_model_feature_bins",
    "mart_segment_lineage",
    "mart_customer_segment_history",
    "mart_feature_drift",
    "mart_segment_drift",
    "mart_model_drift",
]
DEPARTED, NEW, WATCHERS = 60, 150, 20


def _seed_rows() -> list[list[str]]:
    with open(SEED_CSV, newline="") as source:
        return list(csv.reader(source))[1:]


def _write(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", newline="") as target:
        writer = csv.writer(target)
        writer.writerow(["account_id", "minutes_watched", "CLV", "region", "channel"])
        writer.writerows(rows)
    return path


def _grow(value: str, factor: float, decimals: int) -> str:
    return value if value.strip() == "" else f"{float(value) * factor:.{decimals}f}"


def write_months(tmp: Path) -> dict[str, Path]:
    """January (the embedded customers), February, and January with 4x the watch time."""
    rows = _seed_rows()
    keys = [f"C-{i:05d}" for i in range(1, len(rows) + 1)]
    january = [[key, *row] for key, row in zip(keys, rows, strict=True)]
    rng = np.random.default_rng(2026)
    departed = set(rng.choice(len(rows), DEPARTED, replace=False).tolist())
    remaining = [i for i in range(len(rows)) if i not in departed]
    watchers = set(rng.choice(remaining, WATCHERS, replace=False).tolist())
    february = []
    for i, (key, minutes, clv, region, channel) in enumerate(january):
        if i in departed:
            february.append([key, minutes, "", region, channel])
            continue
        factor = 30.0 if i in watchers else 1.1
        february.append([key, _grow(minutes, factor, 0), _grow(clv, 1.05, 2), region, channel])
    for j, source in enumerate(rng.choice(len(rows), NEW, replace=False).tolist()):
        february.append([f"N-{j + 1:05d}", *rows[source]])
    shifted = [[key, _grow(m, 4.0, 0), clv, r, c] for key, m, clv, r, c in january]
    return {
        "january": _write(tmp / "customers_2026_01.csv", january),
        "february": _write(tmp / "customers_2026_02.csv", february),
        "shifted": _write(tmp / "customers_shifted.csv", shifted),
        "departed_keys": sorted(keys[i] for i in departed),
    }


def _vars(**values) -> list[str]:
    return ["--vars", json.dumps({"customer_columns": {"customer_id": "account_id"}, **values})]


def _quick_build(**values) -> list[str]:
    """A `dbt build` command with these vars and the suite's fewer resamples (quick_settings.py:
    the timeline's builds run with them too, and no test here reads the statistics)."""
    return [DBT, *with_quick_settings(["build", *_vars(**values)])]


def _env(work: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DBT_PROFILES_DIR": str(PROJECT_ROOT),
        "DBT_TARGET_PATH": str(work / "target"),
        "DBT_LOG_PATH": str(work / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        "DO_NOT_TRACK": "1",
        "OMP_NUM_THREADS": "1",
    }


DUMPS = {f"kept_{name}": f"select * from marts.{name} order by all" for name in KEPT}
MEMBERSHIP = {
    "fct": "select cast(customer_id as varchar), kmeans_segment_id, clv "
    "from marts.mart_customer_segments",
    "history": "select snapshot_date::varchar, cast(customer_id as varchar), model_version, "
    "segment_id, segment_name, distance_to_center from marts.mart_customer_segment_history",
    "run": "select mode, model_version, reason from intermediate.int_segmentation_run",
}


@pytest.fixture(scope="module")
def timeline(tmp_path_factory):
    """Run the sequence A-G in one dbt process; return each step's result."""
    tmp = tmp_path_factory.mktemp("segment_history")
    files = write_months(tmp)
    database = str(tmp / "timeline.duckdb")

    def case(name, args, queries=None, on_failure=False, env=None):
        return {
            "name": name,
            "args": args,
            "database": database,
            "queries": {**MEMBERSHIP, **(queries or {})},
            "query_on_failure": on_failure,
            "env": env or {},
        }

    january, february, shifted = (str(files[k]) for k in ("january", "february", "shifted"))
    spec = [
        case("A", ["build", *_vars(customers_path=january, snapshot_date=JANUARY)]),
        case(
            "B",
            ["build", *_vars(customers_path=february, snapshot_date=FEBRUARY)],
            {
                "transitions": "select from_snapshot_date::varchar, to_snapshot_date::varchar, "
                "transition_type, from_segment_id, to_segment_id, customers, clv "
                "from marts.mart_segment_transitions",
                "movers": "select cast(customer_id as varchar), transition_type, "
                "from_segment_id, to_segment_id from marts.mart_segment_movers",
                "names_v1": "select segment_id, segment_name "
                "from marts.mart_model_segments "
                "where model_version = 1 and segmentation_method = 'kmeans'",
            },
        ),
        case(
            "C",
            [
                "build",
                *_vars(customers_path=february, snapshot_date=FEBRUARY, segmentation_mode="fit"),
            ],
            {
                "lineage": "select previous_segment_id, previous_segment_name, segment_id, "
                "segment_name, status, is_matched, shared_customers "
                "from marts.mart_segment_lineage "
                "where model_version = 2",
                "names_v2": "select segment_id, segment_name "
                "from marts.mart_model_segments "
                "where model_version = 2 and segmentation_method = 'kmeans'",
                "versions": "select model_version, previous_model_version, input_rows, features, "
                "n_segments, dbt_invocation_id, input_fingerprint, config_fingerprint "
                "from marts.mart_model_versions order by 1",
            },
        ),
        case(
            "D",
            [
                "build",
                *_vars(
                    customers_path=january,
                    snapshot_date=MARCH,
                    segmentation_mode="score",
                    model_version=1,
                ),
            ],
            {
                "feature_drift": f"select feature_name, psi from marts.mart_feature_drift "
                f"where snapshot_date = '{MARCH}'",
                "model_drift": "select refit_recommended, refit_reason, max_psi, "
                f"mean_distance_rise from marts.mart_model_drift where snapshot_date = '{MARCH}'",
            },
        ),
        case(
            "E",
            ["build", *_vars(customers_path=shifted, snapshot_date=APRIL, model_version=1)],
            {
                **DUMPS,
                "model_drift": "select refit_recommended, refit_reason, most_shifted_feature "
                f"from marts.mart_model_drift where snapshot_date = '{APRIL}'",
            },
        ),
        case(
            "F",
            [
                "build",
                *_vars(
                    customers_path=february,
                    snapshot_date=MAY,
                    segmentation_mode="fit",
                ),
            ],
            DUMPS,
            on_failure=True,
            env={"CUSTOMER_SEGMENTATION_TEST_FAIL_CLUSTERING": "1"},
        ),
        case(
            "G",
            ["build", "--full-refresh", *_vars(customers_path=february, snapshot_date=MAY)],
            DUMPS,
        ),
    ]
    (tmp / "spec.json").write_text(json.dumps(spec))
    completed = subprocess.run(
        [sys.executable, str(BATCH), str(tmp / "spec.json"), str(tmp / "out.json")],
        capture_output=True,
        text=True,
        timeout=1500,
        env=_env(tmp),
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    results = json.loads((tmp / "out.json").read_text())
    steps = {c["name"]: r for c, r in zip(spec, results, strict=True)}
    for name in "ABCDEG":
        assert steps[name]["success"], (name, steps[name]["messages"])
    return {"steps": steps, "files": files, "tmp": tmp, "database": Path(database)}


def frame(step: dict, query: str, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(step["rows"][query], columns=columns)


def test_first_build_fits_version_one_then_a_new_month_is_scored(timeline):
    steps = timeline["steps"]
    assert steps["A"]["rows"]["run"][0][:2] == ["fit", 0]
    assert steps["B"]["rows"]["run"][0][:2] == ["score", 1]
    assert "version 1 has this build's features and k" in steps["B"]["rows"]["run"][0][2]
    history = frame(
        steps["B"], "history", ["snapshot", "customer_id", "version", "segment", "name", "distance"]
    )
    assert history.groupby("snapshot")["version"].unique().map(list).to_dict() == {
        JANUARY: [1],
        FEBRUARY: [1],
    }


def test_transitions_equal_a_direct_computation(timeline):
    steps = timeline["steps"]
    jan = frame(steps["A"], "fct", ["customer_id", "segment", "clv"])
    feb = frame(steps["B"], "fct", ["customer_id", "segment", "clv"])
    merged = jan.merge(feb, on="customer_id", how="outer", suffixes=("_from", "_to"))
    merged["type"] = np.select(
        [
            merged["segment_from"].isna(),
            merged["segment_to"].isna(),
            merged["segment_from"] == merged["segment_to"],
        ],
        ["new", "departed", "stayed"],
        "moved",
    )
    merged["clv"] = merged["clv_to"].fillna(merged["clv_from"])
    expected = (
        merged.fillna({"segment_from": -1, "segment_to": -1})
        .groupby(["type", "segment_from", "segment_to"])
        .agg(customers=("customer_id", "size"), clv=("clv", "sum"))
        .reset_index()
    )
    got = frame(
        steps["B"],
        "transitions",
        ["from", "to", "type", "segment_from", "segment_to", "customers", "clv"],
    )
    assert set(zip(got["from"], got["to"], strict=True)) == {(JANUARY, FEBRUARY)}
    got = got.fillna({"segment_from": -1, "segment_to": -1})
    key = ["type", "segment_from", "segment_to"]
    both = expected.merge(got, on=key, how="outer", suffixes=("", "_mart"), indicator=True)
    assert (both["_merge"] == "both").all(), both[both["_merge"] != "both"]
    assert (both["customers"] == both["customers_mart"]).all()
    assert np.allclose(both["clv"], both["clv_mart"], rtol=0, atol=1e-6)
    totals = got.groupby("type")["customers"].sum().to_dict()
    assert totals["new"] == NEW and totals["departed"] == DEPARTED
    # The movers list is exactly the customers who moved, arrived or left.
    movers = frame(steps["B"], "movers", ["customer_id", "type", "from", "to"])
    changed = merged[merged["type"] != "stayed"]
    assert sorted(zip(movers["customer_id"], movers["type"], strict=True)) == sorted(
        zip(changed["customer_id"], changed["type"], strict=True)
    )
    departed = sorted(movers.loc[movers["type"] == "departed", "customer_id"])
    if str(jan["customer_id"].iloc[0]).startswith("C-"):  # the key column is the customer id
        assert departed == timeline["files"]["departed_keys"]


def test_refit_keeps_matched_ids_and_names_and_the_lineage_is_right(timeline):
    steps = timeline["steps"]
    assert steps["C"]["rows"]["run"][0][0] == "fit"
    versions = steps["C"]["rows"]["versions"]
    assert [v[0] for v in versions] == [1, 2] and versions[1][1] == 1
    assert versions[0][5] != versions[1][5]  # each version names its own dbt invocation
    names_v1 = dict(map(tuple, steps["B"]["rows"]["names_v1"]))
    names_v2 = dict(map(tuple, steps["C"]["rows"]["names_v2"]))
    lineage = frame(
        steps["C"],
        "lineage",
        ["prev", "prev_name", "segment", "name", "status", "matched", "shared"],
    )
    matched = lineage[lineage["matched"]]
    assert len(matched) >= 6
    for row in matched.itertuples():
        assert row.segment == row.prev, "a matched segment keeps its id"
        assert names_v2[row.segment] == names_v1[row.prev] == row.name == row.prev_name
    unmatched = set(names_v2) - set(matched["segment"])
    assert all(segment > max(names_v1) for segment in unmatched), "new segments get new ids"

    # Direct computation. The previous version's customers are the latest snapshot it scored:
    # February as scored with version 1 (step B), against February fitted as version 2 (C).
    columns = ["snapshot", "customer_id", "version", "segment", "name", "distance"]
    before = frame(steps["B"], "history", columns)
    history = frame(steps["C"], "history", columns)
    jan = before[before["snapshot"] == FEBRUARY][["customer_id", "segment"]]
    feb = history[history["snapshot"] == FEBRUARY][["customer_id", "segment"]]
    assert set(before[before["snapshot"] == FEBRUARY]["version"]) == {1}
    assert set(history[history["snapshot"] == FEBRUARY]["version"]) == {2}
    overlap = pd.crosstab(
        jan.merge(feb, on="customer_id", suffixes=("_old", "_new"))["segment_old"],
        jan.merge(feb, on="customer_id", suffixes=("_old", "_new"))["segment_new"],
    )
    share_prev = overlap.div(overlap.sum(axis=1), axis=0)
    share_new = overlap.div(overlap.sum(axis=0), axis=1)
    links = (share_prev >= 0.2) | (share_new >= 0.2)
    for row in matched.itertuples():
        links.loc[row.prev, row.segment] = True
    expected = set()
    for old in links.index:
        for new in links.columns:
            if links.loc[old, new]:
                status = (
                    "split"
                    if links.loc[old].sum() >= 2
                    else "merged"
                    if links[new].sum() >= 2
                    else "kept"
                )
                expected.add((int(old), int(new), status, int(overlap.loc[old, new])))
    expected |= {(None, int(n), "new", 0) for n in names_v2 if not links.get(n, pd.Series()).any()}
    expected |= {(int(o), None, "retired", 0) for o in names_v1 if not links.loc[o].any()}
    got = {
        (
            None if pd.isna(r.prev) else int(r.prev),
            None if pd.isna(r.segment) else int(r.segment),
            r.status,
            int(r.shared),
        )
        for r in lineage.itertuples()
    }
    assert got == expected
    for old, new, status, _ in expected:
        if status == "kept":
            jaccard = overlap.loc[old, new] / (
                overlap.loc[old].sum() + overlap[new].sum() - overlap.loc[old, new]
            )
            assert jaccard >= 0.5


def test_scoring_with_a_pinned_version_reproduces_fit_time_assignments(timeline):
    history = frame(
        timeline["steps"]["D"],
        "history",
        ["snapshot", "customer_id", "version", "segment", "name", "distance"],
    )
    columns = ["customer_id", "version", "segment", "name", "distance"]
    at_fit = history[history["snapshot"] == JANUARY][columns].sort_values("customer_id")
    pinned = history[history["snapshot"] == MARCH][columns].sort_values("customer_id")
    assert len(at_fit) == 3834
    assert at_fit.to_csv(index=False).encode() == pinned.to_csv(index=False).encode()


def test_drift_is_zero_on_unchanged_input_and_names_a_shifted_feature(timeline):
    steps = timeline["steps"]
    assert {psi for _, psi in steps["D"]["rows"]["feature_drift"]} == {0.0}
    refit, reason, max_psi, rise = steps["D"]["rows"]["model_drift"][0]
    assert (refit, max_psi, rise) == (False, 0.0, 0.0)
    assert reason.startswith("No refit needed: no feature shifted")
    refit, reason, feature = steps["E"]["rows"]["model_drift"][0]
    assert refit is True and feature == "minutes_watched"
    assert "watch time (minutes_watched) shifted" in reason


def test_kept_tables_survive_a_failed_and_a_full_refresh_build(timeline):
    steps = timeline["steps"]
    assert not steps["F"]["success"]
    assert any("int_kmeans_fit failed on purpose" in m for m in steps["F"]["messages"])
    for name in KEPT:
        key = f"kept_{name}"
        assert steps["F"]["rows"][key] == steps["E"]["rows"][key], f"failed build changed {name}"
        before = {json.dumps(r, default=str) for r in steps["E"]["rows"][key]}
        after = {json.dumps(r, default=str) for r in steps["G"]["rows"][key]}
        assert before <= after, f"--full-refresh lost rows of {name}"
    snapshots = {r[0] for r in steps["G"]["rows"]["history"]}
    assert snapshots == {JANUARY, FEBRUARY, MARCH, APRIL, MAY}


def _kept_rows(database: Path) -> dict[str, set[str]]:
    with duckdb.connect(str(database), read_only=True) as connection:
        return {
            name: {
                json.dumps(row, default=str)
                for row in connection.execute(f"select * from marts.{name}").fetchall()
            }
            for name in KEPT
        }


def test_kept_tables_survive_kill_9_mid_build_and_only_an_explicit_drop_clears_them(
    timeline, tmp_path
):
    database = tmp_path / "killed.duckdb"
    shutil.copy(timeline["database"], database)
    before = _kept_rows(database)
    env = {**_env(tmp_path), "DBT_DUCKDB_PATH": str(database)}
    log = tmp_path / "logs" / "dbt.log"
    january = str(timeline["files"]["january"])
    build = subprocess.Popen(
        _quick_build(customers_path=january, snapshot_date="2026-06-30", segmentation_mode="fit"),
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    # Kill it while it writes the kept tables (the first kept model has started).
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and build.poll() is None:
        if log.exists() and "START sql incremental model marts." in log.read_text(errors="ignore"):
            break
        time.sleep(0.05)
    assert build.poll() is None, "the build ended before it could be killed"
    os.killpg(build.pid, signal.SIGKILL)
    build.wait()
    for stale in (tmp_path / "target",):
        shutil.rmtree(stale, ignore_errors=True)
    after_kill = _kept_rows(database)
    for name in KEPT:
        assert before[name] <= after_kill[name], f"kill -9 lost rows of {name}"

    rebuilt = subprocess.run(
        _quick_build(customers_path=january, snapshot_date="2026-06-30"),
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert rebuilt.returncode == 0, rebuilt.stdout[-4000:]
    after = _kept_rows(database)
    for name in KEPT:
        assert before[name] <= after[name], f"the build after kill -9 lost rows of {name}"
    with duckdb.connect(str(database), read_only=True) as connection:
        versions = connection.sql(
            "select count(*), count(distinct model_version) from marts.mart_model_versions"
        ).fetchall()[0]
        complete = connection.sql(
            "select count(*) from marts.mart_model_versions v where not exists ("
            "select 1 from marts.mart_model_centres c "
            "where c.model_version = v.model_version)"
        ).fetchall()[0][0]
    assert versions[0] == versions[1] and complete == 0

    dropped = subprocess.run(
        _quick_build(
            customers_path=january, snapshot_date="2026-07-31", drop_segmentation_history=True
        ),
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert dropped.returncode == 0, dropped.stdout[-4000:]
    with duckdb.connect(str(database), read_only=True) as connection:
        assert connection.sql("select model_version from marts.mart_model_versions").fetchall() == [
            (1,)
        ]
        assert connection.sql(
            "select distinct snapshot_date::varchar from marts.mart_customer_segment_history"
        ).fetchall() == [("2026-07-31",)]
