"""Fixtures of the Spark suite (`make test-spark`): one Spark build and one DuckDB build.

Both builds read the same customer table through the dbt source customer_input.customers
(crm_accounts.py): on Spark a metastore table, on DuckDB a table of the build database. Both
run once per session. The DuckDB build runs in a subprocess while the Spark build runs in this
process (dbt in-process, sharing the SparkSession with the tests).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from crm_accounts import TABLE_VARS, write_duckdb_table, write_spark_table  # noqa: E402
from harness import PROJECT_ROOT, SparkBuild, build_on_local_spark  # noqa: E402

DBT = str(Path(sys.executable).with_name("dbt"))


def pytest_configure(config):
    # pyspark 4.3 warns on every pandas conversion that pandas 3 (pinned by the project) is not
    # fully supported; the comparison tests check the converted values themselves.
    config.addinivalue_line(
        "filterwarnings", "ignore:PySpark does not yet fully support pandas:FutureWarning"
    )
    config.addinivalue_line("filterwarnings", "ignore:The copy keyword is deprecated")


class DuckDBBuild:
    """A finished `dbt build` on DuckDB: read any table as pandas."""

    def __init__(self, database: Path):
        self.database = database

    def frame(self, sql: str) -> pd.DataFrame:
        with duckdb.connect(str(self.database), read_only=True) as connection:
            return connection.sql(sql).df()


@pytest.fixture(scope="session")
def builds(tmp_path_factory) -> tuple[SparkBuild, DuckDBBuild]:
    """The customer table built on local Spark (harness) and on DuckDB (`dbt build`)."""
    duck_dir = tmp_path_factory.mktemp("duckdb")
    table_vars = ["--vars", json.dumps(TABLE_VARS)]
    write_duckdb_table(duck_dir / "segments.duckdb")
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(PROJECT_ROOT),
        "DBT_DUCKDB_PATH": str(duck_dir / "segments.duckdb"),
        "DBT_TARGET_PATH": str(duck_dir / "target"),
        "DBT_LOG_PATH": str(duck_dir / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        "DO_NOT_TRACK": "1",
        "OMP_NUM_THREADS": "1",
    }
    duck = subprocess.Popen(
        [DBT, "build", "--target", "dev", *table_vars],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        spark_build = build_on_local_spark(
            tmp_path_factory.mktemp("spark"), table_vars, before_models=write_spark_table
        )
    finally:
        output, _ = duck.communicate(timeout=900)
    assert duck.returncode == 0, output[-5000:]
    for name, seconds in spark_build.timings:
        print(f"{seconds:7.1f}s  {name}")
    return spark_build, DuckDBBuild(duck_dir / "segments.duckdb")


@pytest.fixture(scope="session")
def spark_build(builds) -> SparkBuild:
    return builds[0]


@pytest.fixture(scope="session")
def duckdb_build(builds) -> DuckDBBuild:
    return builds[1]
