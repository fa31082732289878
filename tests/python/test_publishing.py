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

from conftest import PROJECT_ROOT, publish_embedded
from customer_segmentation.publish import (
    SERVING_STORAGE_VERSION,
    PublishError,
    project_marts,
    publish_marts,
    read_publication,
)

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


def make_target(
    work: Path, target: str, dbt_args: str = "", extra_env: dict | None = None
) -> subprocess.CompletedProcess:
    """`make build` or `make report` in work/ (build database, dbt target, serving database and
    report all there).

    Falls back to the commands make runs when the virtualenv was not set up by make (make
    would reinstall it first)."""
    env = {
        **os.environ,
        "DBT_DUCKDB_PATH": str(work / "build.duckdb"),
        "DBT_TARGET_PATH": str(work / "target"),
        "DBT_LOG_PATH": str(work / "logs"),
        "OMP_NUM_THREADS": "1",
        **(extra_env or {}),
    }
    make_vars = [
        f"VENV={VENV}",
        f"SERVING_PATH={work / 'serving.duckdb'}",
        f"REPORT={work / 'report.html'}",
        f"DBT_ARGS={dbt_args}",
    ]
    dry_run = subprocess.run(
        ["make", "-n", target, *make_vars],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if dry_run.returncode == 0 and "pip install" not in dry_run.stdout:
        return subprocess.run(
            ["make", target, *make_vars], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True
        )
    env["DBT_PROFILES_DIR"] = str(PROJECT_ROOT)
    cli = f"{VENV}/bin/customer-segmentation"
    command = {
        "build": f"{VENV}/bin/dbt build {dbt_args} && {cli} publish "
        f"--serving-path {work / 'serving.duckdb'}",
        "report": f"{cli} report --database {work / 'serving.duckdb'} --out {work / 'report.html'}",
    }[target]
    return subprocess.run(
        ["bash", "-c", command], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True
    )


def make_build(
    work: Path, dbt_args: str = "", extra_env: dict | None = None
) -> subprocess.CompletedProcess:
    return make_target(work, "build", dbt_args, extra_env)


@pytest.fixture(scope="module")
def published(embedded_build, tmp_path_factory) -> Path:
    """A work dir whose serving database holds the embedded build, published."""
    work = tmp_path_factory.mktemp("published")
    shutil.copy(embedded_build.database, work / "build.duckdb")
    publish_embedded(embedded_build, work / "build.duckdb", work / "serving.duckdb")
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

    # The test hook (an environment variable, not a setting) makes int_kmeans_fit raise.
    result = make_build(published, extra_env={"CUSTOMER_SEGMENTATION_TEST_FAIL_CLUSTERING": "1"})

    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "int_kmeans_fit failed on purpose (environment variable" in output
    assert "published build" not in output
    assert read_publication(serving) == before
    assert export_marts(serving, tmp_path / "after") == before_marts
    assert serving.read_bytes() == before_bytes

    # `make report` after the failed build shows the last published build and says so.
    reported = make_target(published, "report")
    assert reported.returncode == 0, (reported.stdout + reported.stderr)[-3000:]
    page = (published / "report.html").read_text(encoding="utf-8")
    assert f"Build <b>{before['build_id']}</b>" in page
    assert "failed</b>, so it was not published" in page and "int_kmeans_fit (error)" in page
    customers = before["row_counts"]["mart_customer_segments"]
    assert f"<b>{customers:,}</b> customers in" in page
    assert "warning: the report shows the last published build" in reported.stderr

    # Publishing by hand after the failed build is refused too, naming the failed node.
    with pytest.raises(PublishError, match="int_kmeans_fit"):
        publish_marts(
            published / "build.duckdb",
            serving,
            manifest_path=published / "target" / "manifest.json",
            run_results_path=published / "target" / "run_results.json",
        )
    assert read_publication(serving) == before


def test_publish_refuses_a_command_other_than_build(tmp_path):
    run_results = tmp_path / "run_results.json"
    run_results.write_text(json.dumps({"args": {"which": "run"}, "results": []}))
    with pytest.raises(PublishError, match="was `dbt run`, not `dbt build`"):
        publish_marts(
            tmp_path / "x.duckdb",
            tmp_path / "s.duckdb",
            manifest_path=tmp_path / "manifest.json",
            run_results_path=run_results,
        )


def test_publish_cli_refuses_a_failed_build_with_one_line(tmp_path, capsys):
    from customer_segmentation.cli import main

    run_results = tmp_path / "run_results.json"
    run_results.write_text(
        json.dumps(
            {
                "args": {"which": "build"},
                "results": [
                    {"unique_id": "model.customer_segmentation.int_kmeans_fit", "status": "error"},
                    {"unique_id": "model.customer_segmentation.mart_segments", "status": "skipped"},
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
    assert "model.customer_segmentation.int_kmeans_fit (error); 1 skipped" in error


def serving_relations(serving: Path) -> set[str]:
    with duckdb.connect(str(serving), read_only=True) as connection:
        return {
            row[0]
            for row in connection.sql(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()
        }


def test_a_model_removed_from_the_project_is_not_published(embedded_build, tmp_path):
    """dbt never drops the table of a deleted model: publishing follows the manifest instead."""
    build = tmp_path / "build.duckdb"
    shutil.copy(embedded_build.database, build)
    with duckdb.connect(str(build)) as connection:
        # What a model deleted from the project leaves behind in the build database.
        connection.execute("create table marts.mart_retired as select 1 as x")
        connection.execute("create view marts.mart_retired_view as select 2 as y")
    target = embedded_build.database.parent / "target"
    manifest = target / "manifest.json"
    publication = publish_marts(
        build,
        tmp_path / "serving.duckdb",
        manifest_path=manifest,
        run_results_path=target / "run_results.json",
    )
    expected = project_marts(manifest)
    assert "mart_retired" not in expected and "mart_segments" in expected
    assert sorted(publication.row_counts) == expected
    published = serving_relations(tmp_path / "serving.duckdb")
    assert published == {*expected, "build_info", "published_marts"}
    assert sorted(read_publication(tmp_path / "serving.duckdb")["row_counts"]) == expected

    # The manifest of a project that dropped a model that is still built here: not published.
    trimmed = json.loads(manifest.read_text())
    del trimmed["nodes"]["model.customer_segmentation.mart_segment_region_channel"]
    trimmed_path = tmp_path / "manifest.json"
    trimmed_path.write_text(json.dumps(trimmed))
    publish_marts(build, tmp_path / "serving.duckdb", manifest_path=trimmed_path)
    assert "mart_segment_region_channel" not in serving_relations(tmp_path / "serving.duckdb")


def write_manifest(path: Path, nodes: dict, invocation_id: str = "abc") -> Path:
    path.write_text(json.dumps({"metadata": {"invocation_id": invocation_id}, "nodes": nodes}))
    return path


def model(schema: str, alias: str, materialized: str = "table") -> dict:
    return {
        "resource_type": "model",
        "name": alias.split("_v")[0],
        "alias": alias,
        "schema": schema,
        "config": {"materialized": materialized},
    }


def test_project_marts_reads_the_manifest(tmp_path):
    manifest = write_manifest(
        tmp_path / "manifest.json",
        {
            "model.p.b": model("marts", "b", "view"),
            "model.p.a_v2": model("marts", "a_v2"),
            "model.p.e": model("marts", "e", "ephemeral"),
            "model.p.s": model("staging", "s"),
            "seed.p.c": {**model("marts", "c"), "resource_type": "seed"},
        },
    )
    assert project_marts(manifest) == ["a_v2", "b"]
    assert project_marts(manifest, "abc") == ["a_v2", "b"]
    with pytest.raises(PublishError, match="comes from another dbt command"):
        project_marts(manifest, "other")
    with pytest.raises(PublishError, match="defines no model in schema marts"):
        project_marts(write_manifest(tmp_path / "empty.json", {"model.p.s": model("raw", "s")}))
    with pytest.raises(PublishError, match="no dbt manifest at"):
        project_marts(tmp_path / "missing.json")
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(PublishError, match="cannot read the dbt manifest"):
        project_marts(tmp_path / "broken.json")


def test_publish_names_a_mart_the_build_lacks(embedded_build, tmp_path):
    manifest = json.loads((embedded_build.database.parent / "target" / "manifest.json").read_text())
    manifest["nodes"]["model.customer_segmentation.mart_new"] = model("marts", "mart_new")
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest))
    with pytest.raises(PublishError, match="lacks mart_new"):
        publish_marts(embedded_build.database, tmp_path / "serving.duckdb", manifest_path=path)
    assert not (tmp_path / "serving.duckdb").exists()


def test_serving_file_is_written_in_the_old_storage_format(published):
    """The header's storage version is what a reader compares ("version number 69, but we can
    only read ..."): 64 is DuckDB 1.0's format, which every reader from 1.0 on accepts."""
    header = (published / "serving.duckdb").read_bytes()[:20]
    assert header[8:12] == b"DUCK"
    assert int.from_bytes(header[12:20], "little") == 64
    assert SERVING_STORAGE_VERSION == "v1.0.0"
    with duckdb.connect(str(published / "serving.duckdb"), read_only=True) as connection:
        ((tags,),) = connection.sql(
            "select tags from duckdb_databases() where database_name = 'serving'"
        ).fetchall()
    assert tags["storage_version"].startswith(SERVING_STORAGE_VERSION)
