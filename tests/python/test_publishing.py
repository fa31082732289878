"""Publishing for BI tools: failed builds publish nothing, readers never block or see half a build,
and two builds of the same input give byte-identical marts."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from conftest import PROJECT_ROOT
from customer_segmentation.publish import PublishError, publish_marts, read_publication

pytestmark = pytest.mark.integration

VENV = Path(sys.executable).parent.parent
READER = Path(__file__).with_name("serving_reader.py")


def export_marts(database: Path, out_dir: Path) -> dict[str, bytes]:
    """Every marts table as CSV bytes, rows ordered by all columns (the comparison form)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    exported = {}
    with duckdb.connect(str(database), read_only=True) as connection:
        tables = [
            row[0]
            for row in connection.sql(
                "select table_name from information_schema.tables where table_schema = 'marts' "
                "and table_name not in ('build_info', 'published_marts') order by 1"
            ).fetchall()
        ]
        for table in tables:
            path = out_dir / f"{table}.csv"
            connection.execute(
                f"copy (select * from marts.{table} order by all) to '{path}' (header)"
            )
            exported[table] = path.read_bytes()
    return exported


def make_build(work: Path, dbt_args: str = "") -> subprocess.CompletedProcess:
    """`make build` into work/ (build database, dbt target, serving database all there).

    Falls back to the two commands make build runs when the virtualenv was not set up by make
    (make would reinstall it first)."""
    env = {
        **os.environ,
        "DBT_DUCKDB_PATH": str(work / "build.duckdb"),
        "DBT_TARGET_PATH": str(work / "target"),
        "DBT_LOG_PATH": str(work / "logs"),
        "OMP_NUM_THREADS": "1",
    }
    make_vars = [f"VENV={VENV}", f"SERVING_PATH={work / 'serving.duckdb'}", f"DBT_ARGS={dbt_args}"]
    dry_run = subprocess.run(
        ["make", "-n", "build", *make_vars],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if dry_run.returncode == 0 and "pip install" not in dry_run.stdout:
        return subprocess.run(
            ["make", "build", *make_vars], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True
        )
    env["DBT_PROFILES_DIR"] = str(PROJECT_ROOT)
    command = (
        f"{VENV}/bin/dbt build {dbt_args} && {VENV}/bin/customer-segmentation publish "
        f"--serving-path {work / 'serving.duckdb'}"
    )
    return subprocess.run(
        ["bash", "-c", command], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True
    )


@pytest.fixture(scope="module")
def published(embedded_build, tmp_path_factory) -> Path:
    """A work dir whose serving database holds the embedded build, published."""
    work = tmp_path_factory.mktemp("published")
    shutil.copy(embedded_build.database, work / "build.duckdb")
    run_results = embedded_build.database.parent / "target" / "run_results.json"
    publish_marts(work / "build.duckdb", work / "serving.duckdb", run_results_path=run_results)
    return work


def test_reader_during_make_build_never_errors_and_marts_repeat_byte_for_byte(
    published, embedded_build, tmp_path
):
    serving = published / "serving.duckdb"
    before = read_publication(serving)["build_id"]
    stop = tmp_path / "stop"
    readers = {
        mode: subprocess.Popen(
            [sys.executable, str(READER), str(serving), str(stop), mode],
            stdout=subprocess.PIPE,
            text=True,
        )
        for mode in ("fresh", "held")
    }
    try:
        result = make_build(published)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and read_publication(serving)["build_id"] == before:
            time.sleep(0.1)
        time.sleep(0.5)  # let the reader query the new publication a few times
    finally:
        stop.touch()
        outputs = {mode: reader.communicate(timeout=60)[0] for mode, reader in readers.items()}
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    fresh, held = (json.loads(outputs[mode]) for mode in ("fresh", "held"))
    assert fresh["errors"] == [] and held["errors"] == []
    assert fresh["iterations"] > 10 and held["iterations"] > 10
    after = read_publication(serving)["build_id"]
    assert after != before
    # Reconnecting readers saw the old publication, then the new one, nothing in between;
    # a reader holding its connection kept reading the old one, whole, throughout.
    assert fresh["build_ids"] == [before, after]
    assert held["build_ids"] == [before]

    # Repeatability: the rebuilt marts equal the first build's, byte for byte.
    first = export_marts(embedded_build.database, tmp_path / "first")
    second = export_marts(serving, tmp_path / "second")
    assert sorted(first) == sorted(second)
    assert len(first) >= 7
    for mart in first:
        assert first[mart] == second[mart], f"{mart} differs between two builds of the same input"


def test_failed_build_publishes_nothing_and_the_last_publication_stays_readable(
    published, tmp_path
):
    serving = published / "serving.duckdb"
    before = read_publication(serving)
    before_marts = export_marts(serving, tmp_path / "before")
    before_bytes = serving.read_bytes()

    result = make_build(published, "--vars '{fail_clustering_for_test: true}'")

    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "kmeans_fit failed on purpose (var fail_clustering_for_test is true)" in output
    assert "published build" not in output
    assert read_publication(serving) == before
    assert export_marts(serving, tmp_path / "after") == before_marts
    assert serving.read_bytes() == before_bytes

    # Publishing by hand after the failed build is refused too, naming the failed node.
    with pytest.raises(PublishError, match="kmeans_fit"):
        publish_marts(
            published / "build.duckdb",
            serving,
            run_results_path=published / "target" / "run_results.json",
        )
    assert read_publication(serving) == before


def test_publish_refuses_a_command_other_than_build(tmp_path):
    run_results = tmp_path / "run_results.json"
    run_results.write_text(json.dumps({"args": {"which": "run"}, "results": []}))
    with pytest.raises(PublishError, match="was `dbt run`, not `dbt build`"):
        publish_marts(tmp_path / "x.duckdb", tmp_path / "s.duckdb", run_results_path=run_results)


def test_publish_cli_refuses_a_failed_build_with_one_line(tmp_path, capsys):
    from customer_segmentation.cli import main

    run_results = tmp_path / "run_results.json"
    run_results.write_text(
        json.dumps(
            {
                "args": {"which": "build"},
                "results": [
                    {"unique_id": "model.customer_segmentation.kmeans_fit", "status": "error"},
                    {"unique_id": "model.customer_segmentation.dim_segments", "status": "skipped"},
                ],
            }
        )
    )
    serving = tmp_path / "serving.duckdb"
    code = main(
        [
            "publish",
            "--database",
            str(tmp_path / "build.duckdb"),
            "--serving-path",
            str(serving),
            "--run-results",
            str(run_results),
        ]
    )
    error = capsys.readouterr().err.strip()
    assert code == 1
    assert not serving.exists()
    assert error.count("\n") == 0
    assert error.startswith(
        "customer-segmentation publish: error: the last dbt build did not succeed"
    )
    assert "model.customer_segmentation.kmeans_fit (error); 1 skipped" in error
