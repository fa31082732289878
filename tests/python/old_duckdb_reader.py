"""Run SQL statements on a DuckDB file with whatever duckdb this interpreter has (an older one).

Run by tests/python/test_serving_readers.py with the Python of the old-reader virtualenv
(`make old-duckdb-reader`), which has nothing but that duckdb package. Reads
``{"database": path, "statements": [{"sql": ..., "params": {...}}]}`` on stdin and prints
``{"version": ..., "results": [[row, ...], ...]}`` (values that JSON lacks as text).
"""

import json
import sys

import duckdb


def main() -> None:
    request = json.load(sys.stdin)
    connection = duckdb.connect(request["database"], read_only=True)
    results = [
        [list(row) for row in connection.execute(s["sql"], s.get("params") or None).fetchall()]
        for s in request["statements"]
    ]
    json.dump({"version": duckdb.__version__, "results": results}, sys.stdout, default=str)


if __name__ == "__main__":
    main()
