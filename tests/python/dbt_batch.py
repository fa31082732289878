"""Run many small dbt invocations in one Python process (dbt's start-up is paid once).

Usage: ``python dbt_batch.py <spec.json> <out.json>``. The spec is a list of cases, each
``{"args": [...dbt args...], "database": "<path>", "queries": {"name": "sql", ...}}``; every
case runs ``dbtRunner().invoke(args)`` from the project root with its own DuckDB file, then the
queries against that file (only after a successful command, unless the case sets
``"query_on_failure": true``); a case's ``"env"`` mapping is set in the environment for that
case only. Building commands run with quick_settings.py's fewer resamples unless the case sets
``"quick": false``. The output lists, per case: success, the error messages dbt
reported (node messages and any exception), and the query results.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from quick_settings import with_quick_settings

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def run_case(runner, case: dict) -> dict:
    import duckdb

    os.environ["DBT_DUCKDB_PATH"] = case["database"]
    extra_env = case.get("env") or {}
    saved = {name: os.environ.get(name) for name in extra_env}
    os.environ.update(extra_env)
    try:
        args = case["args"] if case.get("quick") is False else with_quick_settings(case["args"])
        result = runner.invoke([*args, "--quiet"])
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    messages = []
    if result.exception is not None:
        messages.append(str(result.exception))
    for node in getattr(result.result, "results", None) or []:
        if node.message and str(node.status).lower() in {"error", "fail", "runtime error"}:
            messages.append(str(node.message))
    rows = {}
    if case.get("queries") and (result.success or case.get("query_on_failure")):
        with duckdb.connect(case["database"]) as connection:
            rows = {
                name: [list(row) for row in connection.execute(sql).fetchall()]
                for name, sql in case["queries"].items()
            }
    return {"success": bool(result.success), "messages": messages, "rows": rows}


def main(spec_path: str, out_path: str) -> None:
    os.chdir(PROJECT_ROOT)
    os.environ.setdefault("DBT_PROFILES_DIR", str(PROJECT_ROOT))
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")
    from dbt.cli.main import dbtRunner

    runner = dbtRunner()
    cases = json.loads(Path(spec_path).read_text())
    Path(out_path).write_text(json.dumps([run_case(runner, case) for case in cases], default=str))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
