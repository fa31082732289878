"""The serving file opens in an older DuckDB reader, which runs the documented queries.

DuckDB 2.0 writes its own storage format by default, which DuckDB 1.x readers refuse ("version
number 69, but we can only read versions between 64 and 68"): the duckdb CLI and Python 1.x
packages, Evidence, and the JDBC/ODBC drivers BI tools bundle. Publishing writes the format of
DuckDB 1.0, and this test opens the published file with the duckdb 1.0.0 package (a virtualenv
of its own, made by ``make old-duckdb-reader``, part of ``make setup-dev``) and checks every query
of the README's "What the marts answer" section and of the "Connecting a BI tool" section of
the documentation site's BI page (docs/bi.md) returns the same rows as DuckDB 2.0.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
from pathlib import Path

import duckdb
import pytest

from conftest import PROJECT_ROOT

pytestmark = pytest.mark.integration

READER = Path(__file__).with_name("old_duckdb_reader.py")
OLD_PYTHON = Path(
    os.environ.get(
        "CUSTOMER_SEGMENTATION_OLD_DUCKDB_PYTHON",
        PROJECT_ROOT / ".venv-duckdb-1.0.0" / "bin" / "python",
    )
)
#: The documents and the sections of them whose ``sql`` blocks are run, in order.
SECTIONS = (
    (PROJECT_ROOT / "README.md", "## What the marts answer"),
    (PROJECT_ROOT / "docs" / "bi.md", "## Connecting a BI tool"),
)
#: Values for the bound parameters of the documented queries (``:name`` in the text).
PARAMETERS = {"region": "Western Europe"}


def readme_queries() -> list[str]:
    """Every SQL statement of the ``sql`` blocks of the sections in ``SECTIONS``, in order."""
    statements = []
    for path, heading in SECTIONS:
        text = path.read_text(encoding="utf-8")
        assert heading in text, f"{path.relative_to(PROJECT_ROOT)} has no {heading!r} section"
        section = text.split(heading, 1)[1].split("\n## ", 1)[0]
        for block in re.findall(r"```sql\n(.*?)```", section, re.S):
            code = "\n".join(line.split("--")[0] for line in block.splitlines())
            statements += [s.strip() for s in code.split(";") if s.strip()]
    return statements


def bound(sql: str) -> tuple[str, dict]:
    """``:name`` parameters (SQLAlchemy style, as BI tools write them) as DuckDB's ``$name``."""
    names = re.findall(r"(?<!:):([a-z_]+)", sql)
    return re.sub(r"(?<!:):([a-z_]+)", r"$\1", sql), {n: PARAMETERS[n] for n in names}


def comparable(rows: list) -> list:
    """Rows with floats rounded to 9 significant digits and everything else as text."""

    def value(v):
        if isinstance(v, float):
            return float(f"{v:.9g}") if math.isfinite(v) else str(v)
        return v if isinstance(v, int | type(None)) else str(v)

    return [[value(v) for v in row] for row in rows]


def test_readme_has_the_queries():
    queries = readme_queries()
    assert len(queries) >= 7
    assert any(":region" in q for q in queries)


def test_duckdb_1_0_opens_the_serving_file_and_runs_the_readme_queries(embedded_serving):
    serving = embedded_serving
    if not OLD_PYTHON.is_file():
        pytest.fail(
            f"{OLD_PYTHON} is missing: `make old-duckdb-reader` (part of `make setup-dev`) "
            "installs the duckdb 1.0.0 package in a virtualenv of its own"
        )
    statements = [dict(zip(("sql", "params"), bound(q), strict=True)) for q in readme_queries()]
    statements.append({"sql": "select build_id from marts.build_info", "params": {}})
    completed = subprocess.run(
        [str(OLD_PYTHON), str(READER)],
        input=json.dumps({"database": str(serving), "statements": statements}),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    old = json.loads(completed.stdout)
    assert old["version"] == "1.0.0"
    with duckdb.connect(str(serving), read_only=True) as connection:
        new = [connection.execute(s["sql"], s["params"] or None).fetchall() for s in statements]
    assert all(rows for rows in new[:-1]), "every documented query returns rows"
    for statement, old_rows, new_rows in zip(statements, old["results"], new, strict=True):
        old_rows, new_rows = comparable(old_rows), comparable(new_rows)
        if not re.search(r"\border\s+by\b", statement["sql"], re.I):
            # Without ``order by`` SQL promises no row order: compare the rows as multisets.
            old_rows, new_rows = sorted(old_rows, key=repr), sorted(new_rows, key=repr)
        assert old_rows == new_rows, statement["sql"]


def test_the_default_duckdb_2_format_is_what_old_readers_refuse(tmp_path):
    """The check can fail: a file in DuckDB 2.0's own format does not open in duckdb 1.0."""
    if not OLD_PYTHON.is_file():
        pytest.fail(f"{OLD_PYTHON} is missing: run `make old-duckdb-reader`")
    path = tmp_path / "new_format.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute("create table t as select 1 as x")
    completed = subprocess.run(
        [str(OLD_PYTHON), str(READER)],
        input=json.dumps({"database": str(path), "statements": [{"sql": "select * from t"}]}),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode != 0
    assert "version number" in completed.stderr
