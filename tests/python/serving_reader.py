"""A BI reader stand-in: query the serving database in a loop until a stop file appears.

Run as ``python serving_reader.py <serving.duckdb> <stop-file> fresh|held``. In ``fresh`` mode
every iteration opens a new read-only connection (as a dashboard refresh would); in ``held``
mode one connection opened at the start is queried again and again (a dashboard that never
reconnects). Either way each query checks that it sees one complete, consistent publication:
every mart recorded in ``marts.published_marts`` has its recorded row count, and the segment
sizes add up to the customers in the fact table. Prints one JSON summary line: iterations,
build ids seen in order, errors.

The two modes run in separate processes because DuckDB shares one database instance between the
connections of a process to the same path: while any connection is open, new connections of
that process keep seeing the file it opened.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import duckdb


def check(connection: duckdb.DuckDBPyConnection) -> str:
    """The build id of the publication the connection sees; raises when it is inconsistent."""
    build_ids = connection.execute(
        "select distinct build_id from marts.build_info "
        "union select distinct build_id from marts.published_marts"
    ).fetchall()
    if len(build_ids) != 1:
        raise AssertionError(f"mixed builds: {build_ids}")
    for mart, recorded in connection.execute(
        "select mart, row_count from marts.published_marts"
    ).fetchall():
        observed = connection.execute(f'select count(*) from marts."{mart}"').fetchone()[0]
        if observed != recorded:
            raise AssertionError(f"{mart}: {observed} rows, {recorded} recorded")
    facts = connection.execute("select count(*) from marts.mart_customer_segments").fetchone()[0]
    per_method = connection.execute(
        "select segmentation_method, sum(customers) from marts.mart_segments group by 1"
    ).fetchall()
    if not per_method or any(total != facts for _, total in per_method):
        raise AssertionError(f"mart_segments {per_method} != {facts} customers")
    return build_ids[0][0]


def main(serving_path: str, stop_file: str, mode: str) -> None:
    stop = Path(stop_file)
    seen: list[str] = []
    errors: list[str] = []
    iterations = 0
    held = duckdb.connect(serving_path, read_only=True) if mode == "held" else None
    while not stop.exists():
        iterations += 1
        try:
            if held is not None:
                build_id = check(held)
            else:
                with duckdb.connect(serving_path, read_only=True) as connection:
                    build_id = check(connection)
            if not seen or seen[-1] != build_id:
                seen.append(build_id)
        except Exception as exc:  # noqa: BLE001 - every failure is reported
            errors.append(f"{type(exc).__name__}: {exc}"[:300])
        time.sleep(0.05)
    if held is not None:
        held.close()
    print(json.dumps({"iterations": iterations, "build_ids": seen, "errors": errors[:20]}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3])
