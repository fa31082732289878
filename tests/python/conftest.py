"""Shared fixtures: run dbt from the project root into scratch DuckDB files."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from quick_settings import with_quick_settings

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SEED_CSV = PROJECT_ROOT / "seeds" / "customer_segmentation_data.csv"
DBT = str(Path(sys.executable).with_name("dbt"))


#: The slowest test files, slowest first (each is mostly dbt builds; seconds of one run with
#: two workers, 2026-12-02: about 500, 490, 340, 210, 190, 160, 150, 120, 100, then 50 or
#: less). `make test` runs pytest-xdist with --dist loadfile --no-loadscope-reorder, which hands
#: whole files to the workers in collection order, so the long files start first and the short
#: ones fill in at the end. By default xdist orders files by their number of tests, which can
#: leave a long file with few tests (history, renames) to the end, on one worker: in one such
#: run one worker's dbt commands took 1,170 s against the other's 840. A file missing here runs
#: after these, in the usual order; the list only affects the time, never which tests run.
SLOWEST_FILES = [
    "test_input_contract.py",
    "test_segment_history.py",
    "test_bad_inputs.py",
    "test_dbt_build.py",
    "test_quality_build.py",
    "test_publishing.py",
    "test_kept_table_renames.py",
    "test_scaling.py",
    "test_report.py",
    "test_semantic_layer.py",
    "test_decisions.py",
    "test_docs.py",
]


def pytest_collection_modifyitems(config, items):
    """Collect the slowest files first (SLOWEST_FILES), each file's tests in their order."""
    rank = {name: position for position, name in enumerate(SLOWEST_FILES)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


@dataclass
class DbtResult:
    returncode: int
    output: str
    database: Path

    def query(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.database), read_only=True) as connection:
            return connection.sql(sql).fetchall()


def run_dbt(
    args: list[str],
    database: Path,
    work_dir: Path,
    extra_env: dict | None = None,
    *,
    quick: bool = True,
) -> DbtResult:
    """Run a dbt command from the project root with its own database, target and log dirs.

    ``quick``: with fewer stability refits and bootstrap resamples (see quick_settings.py);
    False runs the project's defaults."""
    if quick:
        args = with_quick_settings(args)
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(PROJECT_ROOT),
        "DBT_DUCKDB_PATH": str(database),
        "DBT_TARGET_PATH": str(work_dir / "target"),
        "DBT_LOG_PATH": str(work_dir / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        "DO_NOT_TRACK": "1",
        "OMP_NUM_THREADS": "1",
        **(extra_env or {}),
    }
    completed = subprocess.run(
        [DBT, *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    return DbtResult(completed.returncode, completed.stdout + completed.stderr, database)


def _shared_dir(tmp_path_factory, name: str) -> Path:
    """A directory every pytest-xdist worker of this run sees (the run's base temp's parent when
    running under xdist, the base temp itself otherwise)."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    shared = base / f"shared-{name}"
    shared.mkdir(exist_ok=True)
    return shared


def copy_database(source: Path | str, target: Path | str) -> None:
    """Copy a DuckDB file and, when there is one, its write-ahead log (``<file>.wal``)."""
    for suffix in ["", ".wal"]:
        if Path(f"{source}{suffix}").exists():
            shutil.copy(f"{source}{suffix}", f"{target}{suffix}")


@pytest.fixture(scope="session")
def embedded_build(tmp_path_factory) -> DbtResult:
    """One full `dbt build` of the embedded data, shared by the tests that read its marts.

    The build runs once per pytest run, whatever the number of xdist workers: the first worker
    to need it builds it under a file lock into a directory all workers see; each worker then
    gets its own copy of the database and the dbt target (some tests open the database for
    writing, e.g. `dbt docs generate`, and DuckDB allows one writing process per file)."""
    shared = _shared_dir(tmp_path_factory, "embedded")
    with open(shared / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not (shared / "returncode").exists():
                result = run_dbt(["build"], shared / "segments.duckdb", shared, quick=False)
                (shared / "output.txt").write_text(result.output)
                (shared / "returncode").write_text(str(result.returncode))
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    returncode = int((shared / "returncode").read_text())
    output = (shared / "output.txt").read_text()
    assert returncode == 0, output[-5000:]
    work_dir = tmp_path_factory.mktemp("embedded")
    copy_database(shared / "segments.duckdb", work_dir / "segments.duckdb")
    shutil.copytree(shared / "target", work_dir / "target")
    return DbtResult(returncode, output, work_dir / "segments.duckdb")


def publish_embedded(build: DbtResult, database: Path, serving: Path):
    """Publish ``database`` (the embedded build or a copy) with that build's dbt artifacts."""
    from customer_segmentation.publish import publish_marts

    target = build.database.parent / "target"
    return publish_marts(
        database,
        serving,
        manifest_path=target / "manifest.json",
        run_results_path=target / "run_results.json",
    )


@pytest.fixture(scope="session")
def embedded_serving(embedded_build, tmp_path_factory) -> Path:
    """The embedded build published to a serving file, as `make build` does."""
    serving = tmp_path_factory.mktemp("embedded-serving") / "serving.duckdb"
    publish_embedded(embedded_build, embedded_build.database, serving)
    return serving


@pytest.fixture
def dbt_runner(tmp_path):
    """Call as dbt_runner([...args]) to build into a fresh database in tmp_path."""

    def runner(args: list[str], name: str = "run", extra_env: dict | None = None) -> DbtResult:
        work_dir = tmp_path / name
        work_dir.mkdir(exist_ok=True)
        return run_dbt(args, work_dir / "segments.duckdb", work_dir, extra_env)

    return runner
