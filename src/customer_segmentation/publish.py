"""Publish the marts of a successful build to a read-only serving database for BI tools.

DuckDB lets one process write a database file *or* many processes read it, never both: a
dashboard holding the build database makes the next ``dbt build`` fail with a lock error, and a
dashboard reading during a build could see some marts rebuilt and others not. So BI tools never
read the build database. After a successful ``dbt build``, :func:`publish_marts` copies the
project's marts (the models of schema ``marts`` in that build's ``manifest.json``, nothing else
the build database holds) into a new DuckDB file under a temporary name, checks it, and
atomically renames it onto the serving path (``os.replace``):

- a reader opening the serving path sees either the previous publication or the new one, whole;
- a reader that already holds the previous file keeps reading it (the rename does not touch an
  open file's contents on Linux and macOS) until it reconnects;
- a failed build never reaches this step, so the last good publication stays in place;
- the build database is only read here, so no reader ever holds a lock the build needs.

The serving file is self-contained (the marts are copied, not referenced): no view can point at
data that a later publication removed. It is written in DuckDB's storage format of version
1.0.0 (``SERVING_STORAGE_VERSION``), which every DuckDB reader from 1.0.0 on opens: the duckdb
CLI and Python packages 1.x, the JDBC/ODBC drivers BI tools bundle, Evidence. DuckDB 2.0's own
format (the default when it writes) opens in DuckDB 2.x only. ``marts.build_info`` names the
publication and ``marts.published_marts`` lists each mart with its row count, so a reader can
check it sees one complete build.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

__all__ = [
    "PublishError",
    "Publication",
    "SERVING_STORAGE_VERSION",
    "check_run_results",
    "project_marts",
    "publish_marts",
    "read_publication",
]

SCHEMA = "marts"
#: DuckDB storage format the serving file is written in (``storage_compatibility_version``).
#: v1.0.0 (storage version 64) is the format of DuckDB 1.0, the first release with a stable,
#: backwards-compatible file format: every reader from 1.0.0 on opens it (tested with the
#: duckdb 1.0.0 package). Newer formats add compression only (the embedded serving file is
#: ~10 % larger in v1.0.0) and lock out the older readers BI tools bundle.
SERVING_STORAGE_VERSION = "v1.0.0"
#: dbt result statuses that mean the build did not fully succeed.
FAILED_STATUSES = frozenset({"error", "fail", "runtime error", "skipped"})


class PublishError(RuntimeError):
    """The build cannot be published (failed build, no marts, unreadable database)."""


@dataclass(frozen=True)
class Publication:
    """What :func:`publish_marts` wrote."""

    build_id: str
    serving_path: Path
    row_counts: dict[str, int]
    seconds: float


def check_run_results(run_results_path: str | os.PathLike) -> dict:
    """The dbt ``run_results.json`` of the last command, checked to be a fully successful build.

    Parameters
    ----------
    run_results_path : path-like
        ``<target-path>/run_results.json`` written by dbt.

    Returns
    -------
    dict
        ``invocation_id`` and ``generated_at`` of that build.

    Raises
    ------
    PublishError
        When the file is missing, the last command was not ``dbt build``, or any node failed,
        errored or was skipped.
    """
    path = Path(run_results_path)
    if not path.exists():
        raise PublishError(
            f"no dbt run results at {path}: run `dbt build` (or `make build`) before publishing"
        )
    results = json.loads(path.read_text())
    command = results.get("args", {}).get("which")
    if command != "build":
        raise PublishError(
            f"the last dbt command ({path}) was `dbt {command}`, not `dbt build`: "
            "run `dbt build` so the marts are tested before they are published"
        )
    statuses = [
        (str(r.get("status")).lower(), str(r.get("unique_id"))) for r in results.get("results", [])
    ]
    failed = [
        f"{node} ({status})" for status, node in statuses if status in FAILED_STATUSES - {"skipped"}
    ]
    skipped = sum(status == "skipped" for status, _ in statuses)
    if failed or skipped:
        shown = ", ".join(failed[:3]) + (f" and {len(failed) - 3} more" if len(failed) > 3 else "")
        raise PublishError(
            f"the last dbt build did not succeed ({shown or 'no failures'}; {skipped} skipped); "
            "the previous publication stays in place: fix the build and run it again"
        )
    metadata = results.get("metadata", {})
    return {
        "invocation_id": metadata.get("invocation_id", ""),
        "generated_at": metadata.get("generated_at", ""),
    }


def project_marts(manifest_path: str | os.PathLike, invocation_id: str = "") -> list[str]:
    """The relations of schema ``marts`` that the dbt project defines, from its manifest.

    Parameters
    ----------
    manifest_path : path-like
        ``<target-path>/manifest.json``, written by the same ``dbt build``.
    invocation_id : str, optional
        The build's dbt invocation id (from ``run_results.json``); when given, the manifest must
        come from that same command.

    Returns
    -------
    list of str
        Relation names (dbt aliases, so versioned models keep their ``_v<N>`` names), sorted.
        Ephemeral models have no relation and are left out; tables and views are both listed
        (views, e.g. ``mart_scored_customers``, are published as tables).

    Raises
    ------
    PublishError
        When the manifest is missing, unreadable, from another dbt command, or lists no mart.
    """
    path = Path(manifest_path)
    if not path.is_file():
        raise PublishError(
            f"no dbt manifest at {path}: run `dbt build` (or `make build`) before publishing"
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PublishError(f"cannot read the dbt manifest {path}: {exc}") from None
    found = manifest.get("metadata", {}).get("invocation_id", "")
    if invocation_id and found != invocation_id:
        raise PublishError(
            f"the dbt manifest {path} comes from another dbt command (invocation {found}) than "
            f"the build being published ({invocation_id}): run `dbt build` again, then publish"
        )
    marts = sorted(
        node.get("alias") or node["name"]
        for node in manifest.get("nodes", {}).values()
        if node.get("resource_type") == "model"
        and node.get("schema") == SCHEMA
        and node.get("config", {}).get("materialized") != "ephemeral"
    )
    if not marts:
        raise PublishError(f"the dbt manifest {path} defines no model in schema {SCHEMA}")
    return marts


def _relations_in(connection: duckdb.DuckDBPyConnection, catalog: str) -> set[str]:
    """Tables and views of schema marts in the attached database ``catalog``."""
    rows = connection.execute(
        "select table_name from information_schema.tables "
        "where table_catalog = ? and table_schema = ? and table_type in ('BASE TABLE', 'VIEW')",
        [catalog, SCHEMA],
    ).fetchall()
    return {row[0] for row in rows}


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def publish_marts(
    build_database: str | os.PathLike,
    serving_path: str | os.PathLike,
    *,
    manifest_path: str | os.PathLike,
    run_results_path: str | os.PathLike | None = None,
    build_id: str | None = None,
) -> Publication:
    """Copy the project's marts into a new serving database and swap it in atomically.

    Parameters
    ----------
    build_database : path-like
        The DuckDB file ``dbt build`` wrote (``DBT_DUCKDB_PATH``); opened read-only.
    serving_path : path-like
        The file BI tools read. Replaced in one rename; its directory is created if missing.
    manifest_path : path-like
        dbt's ``manifest.json``: exactly its models of schema ``marts`` are published (see
        :func:`project_marts`), so a model deleted from the project is not published again from
        the table it left in the build database.
    run_results_path : path-like, optional
        dbt's ``run_results.json``; when given, publishing refuses unless it records a fully
        successful ``dbt build`` (see :func:`check_run_results`).
    build_id : str, optional
        Name of the publication; default: UTC time plus the dbt invocation id (or a random id).

    Returns
    -------
    Publication
    """
    started = datetime.now(UTC)
    build_database = Path(build_database).resolve()
    serving_path = Path(serving_path).resolve()
    run = check_run_results(run_results_path) if run_results_path is not None else {}
    marts = project_marts(manifest_path, run.get("invocation_id", ""))
    if not build_database.exists():
        raise PublishError(
            f"build database {build_database} does not exist: run `dbt build` first "
            "(DBT_DUCKDB_PATH sets where it is written)"
        )
    if build_database == serving_path:
        raise PublishError("the serving path must differ from the build database")
    if build_id is None:
        suffix = (run.get("invocation_id") or uuid.uuid4().hex)[:8]
        build_id = f"{started:%Y%m%dT%H%M%S%fZ}-{suffix}"

    serving_path.parent.mkdir(parents=True, exist_ok=True)
    temporary = serving_path.with_name(f".{serving_path.name}.{build_id}.tmp")
    try:
        row_counts = _write_serving_database(
            build_database, temporary, marts, build_id, run, started
        )
        with open(temporary, "rb") as handle:  # the data is on disk before the rename
            os.fsync(handle.fileno())
        os.replace(temporary, serving_path)
    finally:
        for leftover in (temporary, temporary.with_name(temporary.name + ".wal")):
            leftover.unlink(missing_ok=True)
    seconds = (datetime.now(UTC) - started).total_seconds()
    return Publication(build_id, serving_path, row_counts, seconds)


def _write_serving_database(
    build_database: Path,
    target: Path,
    marts: list[str],
    build_id: str,
    run: dict,
    started: datetime,
) -> dict[str, int]:
    """Write ``marts`` plus build_info and published_marts into a fresh file ``target``."""
    target.unlink(missing_ok=True)
    build = _quote(build_database.stem)
    config = {"storage_compatibility_version": SERVING_STORAGE_VERSION}
    with duckdb.connect(str(target), config=config) as connection:
        try:
            # Attached under its own catalog name (the file's stem), which is the name the
            # views in the build file (e.g. mart_scored_customers) use for the tables they read.
            connection.execute(f"attach '{build_database.as_posix()}' as {build} (read_only)")
        except duckdb.Error as exc:
            first_line = str(exc).splitlines()[0]
            raise PublishError(
                f"cannot read the build database {build_database} ({first_line}); "
                "is a dbt build still running?"
            ) from None
        missing = sorted(set(marts) - _relations_in(connection, build_database.stem))
        if missing:
            raise PublishError(
                f"build database {build_database} lacks {', '.join(missing)} (schema {SCHEMA}), "
                "which the project defines: run `dbt build` first"
            )
        connection.execute(f"create schema {SCHEMA}")
        row_counts: dict[str, int] = {}
        for mart in marts:
            name = _quote(mart)
            connection.execute(
                f"create table {SCHEMA}.{name} as select * from {build}.{SCHEMA}.{name}"
            )
            row_counts[mart] = connection.execute(
                f"select count(*) from {SCHEMA}.{name}"
            ).fetchone()[0]
        connection.execute(f"detach {build}")
        connection.execute(
            f"create table {SCHEMA}.build_info as select ? as build_id, "
            "? as dbt_invocation_id, ? as built_at, cast(? as timestamptz) as published_at, "
            "? as build_database, ? as n_marts",
            [
                build_id,
                run.get("invocation_id", ""),
                run.get("generated_at", ""),
                started.isoformat(),
                str(build_database),
                len(marts),
            ],
        )
        connection.execute(
            f"create table {SCHEMA}.published_marts (build_id varchar, mart varchar, "
            "row_count bigint)"
        )
        connection.executemany(
            f"insert into {SCHEMA}.published_marts values (?, ?, ?)",
            [(build_id, mart, count) for mart, count in row_counts.items()],
        )
        connection.execute("checkpoint")
    return row_counts


def read_publication(serving_path: str | os.PathLike) -> dict:
    """Open the serving database read-only and check it holds one complete publication.

    Returns ``{"build_id": ..., "row_counts": {mart: rows}}``; raises ``PublishError`` when a
    mart is missing or its row count differs from the one recorded at publication.
    """
    with duckdb.connect(str(serving_path), read_only=True) as connection:
        build_id = connection.execute(f"select build_id from {SCHEMA}.build_info").fetchone()[0]
        recorded = dict(
            connection.execute(
                f"select mart, row_count from {SCHEMA}.published_marts where build_id = ?",
                [build_id],
            ).fetchall()
        )
        observed = {
            mart: connection.execute(f"select count(*) from {SCHEMA}.{_quote(mart)}").fetchone()[0]
            for mart in recorded
        }
    if not recorded or observed != recorded:
        raise PublishError(
            f"serving database {serving_path} is inconsistent: recorded {recorded}, "
            f"found {observed}"
        )
    return {"build_id": build_id, "row_counts": observed}
