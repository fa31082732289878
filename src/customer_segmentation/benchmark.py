"""Benchmark the full ``dbt build`` on N generated customers.

``make bench N=1000000`` (or ``python -m customer_segmentation.benchmark --rows 1000000``):

1. writes N synthetic customers to a seeded Parquet file (reused when it already exists),
2. runs ``dbt build`` (every model and every dbt test) with ``customers_path`` pointing at it,
   into a scratch DuckDB file,
3. prints the slowest nodes from dbt's ``run_results.json``, the build's wall time and peak
   memory (maximum resident set size of the dbt process), and the time to score the N
   customers in SQL (the ``mart_scored_customers`` view, queried on its own),
4. runs a second ``dbt build`` into the same database with ``segmentation_mode: score`` and
   the next day's ``snapshot_date``: the scheduled run that scores the customers with the
   stored model version instead of refitting (docs/over-time.md), and prints its
   wall time and slowest nodes,
5. writes the figures to ``<work-dir>/bench_<N>.json``.

``--rows 0`` benchmarks the embedded 3,834 customers (the seed) instead of a generated file.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
EMBEDDED_ROWS = 3834

#: The issue's goals: rows -> (wall seconds, peak GiB) of the full build.
BUILD_GOALS = {1_000_000: (60.0, 2.0), 10_000_000: (480.0, 8.0)}
#: SQL scoring of 10M customers within 15 s.
SCORING_GOAL = (10_000_000, 15.0)


def customers_file(work_dir: Path, rows: int, seed: int) -> tuple[Path, float]:
    """The seeded Parquet file of ``rows`` customers, written when missing.

    Returns the path and the seconds spent writing it (0 when it already existed).
    """
    from customer_segmentation.generator import write_customers

    path = work_dir / f"customers_{rows}_seed{seed}.parquet"
    if path.exists():
        return path, 0.0
    started = time.perf_counter()
    partial = path.with_suffix(".partial.parquet")
    write_customers(partial, rows, random_state=seed, fmt="parquet")
    partial.rename(path)
    return path, time.perf_counter() - started


def run_build(
    work_dir: Path,
    label: str,
    customers_path: Path | None,
    extra_vars: dict | None = None,
    database: Path | None = None,
) -> dict:
    """Run ``dbt build``; wall time, peak RSS, run results.

    Into a fresh scratch database, or into ``database`` as it is (a second build on the first
    one's kept model versions).
    """
    if database is None:
        database = work_dir / f"bench_{label}.duckdb"
        for stale in (database, database.with_name(database.name + ".wal")):
            stale.unlink(missing_ok=True)
    target = work_dir / f"target_{label}"
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(PROJECT_ROOT),
        "DBT_PROJECT_DIR": str(PROJECT_ROOT),
        "DBT_DUCKDB_PATH": str(database),
        "DBT_TARGET_PATH": str(target),
        "DBT_LOG_PATH": str(work_dir / f"logs_{label}"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        "DO_NOT_TRACK": "1",
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1"),
    }
    command = [str(Path(sys.executable).with_name("dbt")), "build"]
    build_vars = dict(extra_vars or {})
    if customers_path is not None:
        build_vars["customers_path"] = str(customers_path)
    if build_vars:
        command += ["--vars", json.dumps(build_vars)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    completed = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    # Largest resident set of any finished child: here the dbt process (kB on Linux). CPU time
    # is reported too: on a shared machine it varies far less than the wall time.
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak_kib = usage.ru_maxrss
    if completed.returncode != 0:
        sys.stderr.write(completed.stdout[-6000:] + completed.stderr[-3000:])
        raise SystemExit(f"dbt build failed (exit {completed.returncode}); see {target}")
    results = json.loads((target / "run_results.json").read_text())
    strategy_lines = [
        line.strip() for line in completed.stdout.splitlines() if "[customer_segmentation]" in line
    ]
    return {
        "database": database,
        "target": target,
        "wall_seconds": wall,
        "peak_rss_gib": peak_kib / 1024**2,
        "cpu_seconds": usage.ru_utime + usage.ru_stime - before.ru_utime - before.ru_stime,
        "dbt_elapsed_seconds": float(results["elapsed_time"]),
        "nodes": {r["unique_id"]: float(r["execution_time"]) for r in results["results"]},
        "log_lines": strategy_lines,
    }


def time_sql_scoring(database: Path) -> tuple[float, int]:
    """Seconds to score every customer with the ``mart_scored_customers`` view (pure SQL).

    The view is queried on its own against the built database (read-only), aggregated so
    that the time is the scoring, not fetching 10M rows to Python.
    """
    import duckdb

    with duckdb.connect(str(database), read_only=True) as connection:
        connection.execute("set enable_progress_bar = false")
        started = time.perf_counter()
        [(rows, _)] = connection.sql(
            "select count(*), sum(kmeans_segment_id) from marts.mart_scored_customers"
        ).fetchall()
        return time.perf_counter() - started, int(rows)


def _short(unique_id: str) -> str:
    kind, _, *rest = unique_id.split(".")
    return f"{kind} {rest[0] if rest else unique_id}"


def report(summary: dict, top: int = 15) -> str:
    """Human-readable benchmark report."""
    nodes = summary["nodes"]
    models = {k: v for k, v in nodes.items() if k.startswith(("model.", "seed."))}
    tests = {k: v for k, v in nodes.items() if k.startswith(("test.", "unit_test."))}
    lines = [
        f"customers: {summary['rows']:,} ({summary['input']})",
        "",
        f"slowest of {len(nodes)} dbt nodes (seconds, from run_results.json):",
    ]
    for unique_id, seconds in sorted(nodes.items(), key=lambda item: -item[1])[:top]:
        lines.append(f"  {seconds:8.2f}  {_short(unique_id)}")
    lines += [
        "",
        f"models + seeds: {len(models)} nodes, {sum(models.values()):.1f} s summed",
        f"dbt tests:      {len(tests)} nodes, {sum(tests.values()):.1f} s summed",
        *[f"  {line}" for line in summary["log_lines"]],
        "",
        f"full dbt build wall time: {summary['wall_seconds']:.1f} s "
        f"(dbt's own elapsed {summary['dbt_elapsed_seconds']:.1f} s; the rest is start-up "
        "and parsing)",
        f"CPU time of dbt (user + system): {summary['cpu_seconds']:.1f} s on "
        f"{summary['cpus']} CPUs (load average when done: "
        f"{', '.join(f'{x:.1f}' for x in summary['load_average'])})",
        f"peak memory (max RSS of dbt): {summary['peak_rss_gib']:.2f} GiB",
        f"SQL scoring of {summary['scored_rows']:,} customers: "
        f"{summary['sql_scoring_seconds']:.2f} s (the mart_scored_customers view, aggregated)",
    ]
    scoring = summary.get("scoring_build")
    if scoring:
        slowest = sorted(scoring["nodes"].items(), key=lambda item: -item[1])[:5]
        lines += [
            "",
            f"scoring build (segmentation_mode: score, the stored model version, no clustering): "
            f"{scoring['wall_seconds']:.1f} s wall (dbt's own elapsed "
            f"{scoring['dbt_elapsed_seconds']:.1f} s), CPU {scoring['cpu_seconds']:.1f} s; "
            f"fitting build {summary['wall_seconds']:.1f} s",
            "  slowest: " + ", ".join(f"{_short(k)} {v:.1f} s" for k, v in slowest),
        ]
    goal = BUILD_GOALS.get(summary["rows"])
    if goal:
        ok = summary["wall_seconds"] <= goal[0] and summary["peak_rss_gib"] <= goal[1]
        lines.append(
            f"goal for {summary['rows']:,}: <= {goal[0]:.0f} s and <= {goal[1]:.0f} GiB -> "
            f"{'MET' if ok else 'NOT MET'}"
        )
    if summary["rows"] == SCORING_GOAL[0]:
        ok = summary["sql_scoring_seconds"] <= SCORING_GOAL[1]
        lines.append(
            f"goal: SQL scoring of 10M <= {SCORING_GOAL[1]:.0f} s -> {'MET' if ok else 'NOT MET'}"
        )
    return "\n".join(lines)


def run(rows: int, seed: int, work_dir: Path) -> dict:
    """Generate (if needed), build, time the scoring; returns the summary written to JSON."""
    work_dir = work_dir.resolve()
    work_dir.mkdir(parents=True, exist_ok=True)
    if rows == 0:
        customers_path, generate_seconds, label = None, 0.0, "embedded"
        rows, source = EMBEDDED_ROWS, "the embedded seed"
    else:
        customers_path, generate_seconds = customers_file(work_dir, rows, seed)
        label, source = str(rows), f"{customers_path.name}, generated with seed {seed}"
    build = run_build(work_dir, label, customers_path)
    scoring_seconds, scored_rows = time_sql_scoring(build["database"])
    scoring_build = run_build(
        work_dir,
        f"{label}_score",
        customers_path,
        {"segmentation_mode": "score", "snapshot_date": "2099-01-01"},
        database=build["database"],
    )
    summary = {
        "rows": rows,
        "input": source,
        "generate_seconds": generate_seconds,
        "wall_seconds": build["wall_seconds"],
        "peak_rss_gib": build["peak_rss_gib"],
        "cpu_seconds": build["cpu_seconds"],
        "dbt_elapsed_seconds": build["dbt_elapsed_seconds"],
        "sql_scoring_seconds": scoring_seconds,
        "scored_rows": scored_rows,
        "nodes": build["nodes"],
        "log_lines": build["log_lines"],
        "scoring_build": {
            "wall_seconds": scoring_build["wall_seconds"],
            "cpu_seconds": scoring_build["cpu_seconds"],
            "dbt_elapsed_seconds": scoring_build["dbt_elapsed_seconds"],
            "nodes": scoring_build["nodes"],
        },
        "load_average": os.getloadavg(),
        "cpus": os.cpu_count(),
    }
    (work_dir / f"bench_{label}.json").write_text(json.dumps(summary, indent=2))
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows",
        type=lambda t: int(t.replace("_", "")),
        default=100_000,
        help="customers to generate; 0 = the embedded 3,834 (default 100000)",
    )
    parser.add_argument("--seed", type=int, default=42, help="generator seed (default 42)")
    parser.add_argument(
        "--work-dir",
        type=Path,
        default=PROJECT_ROOT / "bench-results",
        help="where the data, scratch database and results go (default bench-results/)",
    )
    args = parser.parse_args(argv)
    if args.rows < 0:
        parser.error("--rows must be >= 0")
    summary = run(args.rows, args.seed, args.work_dir)
    print(report(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
