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
5. measures the physical floors beside each figure: dbt's fixed start-up (a warm ``dbt build``
   that selects nothing), reading and encoding the input in DuckDB (the 14 standardised
   features fetched to numpy), one Lloyd pass over them, and the memory of the feature matrix,
6. prints each goal of issue 16 with its figure, its floor and MET / NOT MET, and the row of
   the performance table in docs/scaling.md,
7. writes the figures to ``<work-dir>/bench_<N>.json``.

Every timed build is warm: a ``dbt parse`` with the same vars runs first (not timed), so the
build reads dbt's partial-parse cache as any repeated build does. ``--rows 0`` benchmarks the
embedded 3,834 customers (the seed) instead of a generated file.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
EMBEDDED_ROWS = 3834


@dataclass(frozen=True)
class Goal:
    """One goal of issue 16: ``figure`` (a key of the summary) at most ``limit`` at ``rows``."""

    rows: int
    label: str
    figure: str
    limit: float
    unit: str
    floor: str


#: The goals of issue 16 ("Faster at every size"), each with the floor printed beside it:
#: rows -> goals (rows 0 = the embedded 3,834 customers).
GOALS = (
    Goal(0, "embedded warm dbt build", "wall_seconds", 8.0, "s", "time_floor"),
    Goal(1_000_000, "1M customers, full dbt build", "wall_seconds", 15.0, "s", "time_floor"),
    Goal(1_000_000, "1M customers, peak memory", "peak_rss_gib", 1.0, "GiB", "memory_floor"),
    Goal(10_000_000, "10M customers, full dbt build", "wall_seconds", 50.0, "s", "time_floor"),
    Goal(10_000_000, "10M customers, peak memory", "peak_rss_gib", 4.0, "GiB", "memory_floor"),
    Goal(
        10_000_000,
        "10M customers, scoring build",
        "scoring_wall_seconds",
        20.0,
        "s",
        "scoring_floor",
    ),
)

#: Centres of the one-Lloyd-pass floor: k of the default build.
FLOOR_CLUSTERS = 8


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


def _dbt_env(work_dir: Path, label: str, database: Path) -> dict:
    """The environment of a benchmark dbt command: its own database, target and log paths."""
    return {
        **os.environ,
        "DBT_PROFILES_DIR": str(PROJECT_ROOT),
        "DBT_PROJECT_DIR": str(PROJECT_ROOT),
        "DBT_DUCKDB_PATH": str(database),
        "DBT_TARGET_PATH": str(work_dir / f"target_{label}"),
        "DBT_LOG_PATH": str(work_dir / f"logs_{label}"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        "DO_NOT_TRACK": "1",
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1"),
    }


def _run_child(command: list[str], env: dict, output: Path) -> dict:
    """Run ``command`` with stdout and stderr to ``output``; its own wall, CPU time and peak RSS.

    ``os.wait4`` gives the resource usage of this child alone (``RUSAGE_CHILDREN`` would give
    the largest resident set of every child so far).
    """
    started = time.perf_counter()
    with output.open("w") as sink:
        child = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT
        )
        _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    return {
        "returncode": child.returncode,
        "wall_seconds": time.perf_counter() - started,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        # ru_maxrss is in KiB on Linux.
        "peak_rss_gib": usage.ru_maxrss / 1024**2,
        "output": output.read_text(errors="replace"),
    }


def _dbt_command(subcommand: str, customers_path: Path | None, extra_vars: dict | None) -> list:
    command = [str(Path(sys.executable).with_name("dbt")), *subcommand.split()]
    build_vars = dict(extra_vars or {})
    if customers_path is not None:
        build_vars["customers_path"] = str(customers_path)
    if build_vars:
        command += ["--vars", json.dumps(build_vars)]
    return command


def run_build(
    work_dir: Path,
    label: str,
    customers_path: Path | None,
    extra_vars: dict | None = None,
    database: Path | None = None,
) -> dict:
    """Run a warm ``dbt build``; wall time, CPU time, peak RSS, run results.

    Into a fresh scratch database, or into ``database`` as it is (a second build on the first
    one's kept model versions). A ``dbt parse`` with the same vars and target path runs first
    and is not timed, so the build uses dbt's partial-parse cache like any repeated build.
    """
    if database is None:
        database = work_dir / f"bench_{label}.duckdb"
        for stale in (database, database.with_name(database.name + ".wal")):
            stale.unlink(missing_ok=True)
    env = _dbt_env(work_dir, label, database)
    target = Path(env["DBT_TARGET_PATH"])
    parse = _run_child(
        _dbt_command("parse", customers_path, extra_vars), env, work_dir / f"parse_{label}.out"
    )
    if parse["returncode"] != 0:
        sys.stderr.write(parse["output"][-6000:])
        raise SystemExit(f"dbt parse failed (exit {parse['returncode']})")
    completed = _run_child(
        _dbt_command("build", customers_path, extra_vars), env, work_dir / f"build_{label}.out"
    )
    if completed["returncode"] != 0:
        sys.stderr.write(completed["output"][-9000:])
        raise SystemExit(f"dbt build failed (exit {completed['returncode']}); see {target}")
    results = json.loads((target / "run_results.json").read_text())
    strategy_lines = [
        line.strip()
        for line in completed["output"].splitlines()
        if "[customer_segmentation]" in line
    ]
    return {
        "database": database,
        "target": target,
        "wall_seconds": completed["wall_seconds"],
        "peak_rss_gib": completed["peak_rss_gib"],
        "cpu_seconds": completed["cpu_seconds"],
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


def dbt_startup(work_dir: Path, customers_path: Path | None) -> dict:
    """Floor: a warm ``dbt build`` that selects no node (start-up, project and manifest load).

    Every dbt command pays it; it is measured with the benchmark's vars into a scratch
    database, after a parse, like the timed builds.
    """
    database = work_dir / "bench_startup.duckdb"
    env = _dbt_env(work_dir, "startup", database)
    nothing = "build --select tag:bench_selects_no_node"
    _run_child(_dbt_command("parse", customers_path, None), env, work_dir / "parse_startup.out")
    measured = _run_child(
        _dbt_command(nothing, customers_path, None), env, work_dir / "build_startup.out"
    )
    for stale in (database, database.with_name(database.name + ".wal")):
        stale.unlink(missing_ok=True)
    if measured["returncode"] != 0:
        raise SystemExit(f"dbt start-up measurement failed:\n{measured['output'][-3000:]}")
    return measured


def _input_relation(customers_path: Path | None) -> str:
    """DuckDB's reader of the benchmark's input: the Parquet file, or the embedded seed CSV."""
    if customers_path is None:
        seed = PROJECT_ROOT / "seeds" / "customer_segmentation_data.csv"
        return f"read_csv('{seed}', header = true)"
    return f"read_parquet('{customers_path}')"


def read_encode_floor(customers_path: Path | None) -> tuple[float, object]:
    """Floor: read the input and encode the default build's 14 standardised features in
    DuckDB, fetched to numpy as one float64 matrix (what a clustering step starts from).

    Blank minutes count as 0; the codes are one-hot encoded (channel 1-8, region 0-2) and
    every column is z-scored with the population standard deviation. Returns the seconds
    and the matrix.
    """
    import duckdb
    import numpy as np

    columns = [
        "coalesce(minutes_watched, 0)",
        "CLV",
        "region",
        *[f"(channel = {c})::double" for c in range(1, 9)],
        *[f"(region = {r})::double" for r in range(3)],
    ]
    raw = ", ".join(f"{c}::double as f{j}" for j, c in enumerate(columns))
    stats = ", ".join(f"avg(f{j}) as m{j}, stddev_pop(f{j}) as s{j}" for j in range(len(columns)))
    scaled = ", ".join(
        f"(f{j} - m{j}) / case when s{j} > 0 then s{j} else 1 end as z{j}"
        for j in range(len(columns))
    )
    query = (
        f"with raw as (select {raw} from {_input_relation(customers_path)}), "
        f"stats as (select {stats} from raw) select {scaled} from raw, stats"
    )
    with duckdb.connect() as connection:
        connection.execute("set enable_progress_bar = false")
        started = time.perf_counter()
        fetched = connection.sql(query).fetchnumpy()
        X = np.column_stack([np.asarray(fetched[f"z{j}"]) for j in range(len(columns))])
        return time.perf_counter() - started, X


def lloyd_pass_floor(X: object, n_clusters: int = FLOOR_CLUSTERS) -> float:
    """Floor: seconds of one Lloyd pass over ``X`` (every row to its nearest of ``n_clusters``
    centres by one matrix product, then the centres' new means), in numpy."""
    import numpy as np

    centers = X[np.linspace(0, X.shape[0] - 1, n_clusters).astype(np.int64)]
    started = time.perf_counter()
    scores = X @ (-2.0 * centers.T) + np.einsum("ij,ij->i", centers, centers)
    labels = scores.argmin(axis=1)
    sizes = np.bincount(labels, minlength=n_clusters)
    sums = np.stack(
        [np.bincount(labels, weights=X[:, j], minlength=n_clusters) for j in range(X.shape[1])],
        axis=1,
    )
    _ = sums / np.maximum(sizes, 1)[:, None]
    return time.perf_counter() - started


def measure_floors(work_dir: Path, customers_path: Path | None) -> dict:
    """The physical floors printed beside each goal (see the module's docstring)."""
    startup = dbt_startup(work_dir, customers_path)
    read_encode_seconds, X = read_encode_floor(customers_path)
    return {
        "dbt_startup_seconds": startup["wall_seconds"],
        "dbt_startup_rss_gib": startup["peak_rss_gib"],
        "read_encode_seconds": read_encode_seconds,
        "lloyd_pass_seconds": lloyd_pass_floor(X),
        "feature_matrix_gib": X.nbytes / 1024**3,
    }


def _short(unique_id: str) -> str:
    kind, _, *rest = unique_id.split(".")
    return f"{kind} {rest[0] if rest else unique_id}"


def _floor_text(summary: dict, kind: str) -> str:
    """The floor of a goal's figure, in words and seconds (or GiB)."""
    floors = summary.get("floors")
    if not floors:
        return "floor not measured"
    if kind == "memory_floor":
        total = floors["dbt_startup_rss_gib"] + floors["feature_matrix_gib"]
        return (
            f"floor {total:.2f} GiB = dbt process {floors['dbt_startup_rss_gib']:.2f} + "
            f"one float64 feature matrix {floors['feature_matrix_gib']:.2f}"
        )
    if kind == "scoring_floor":
        total = floors["dbt_startup_seconds"] + summary["sql_scoring_seconds"]
        return (
            f"floor {total:.1f} s = dbt start-up {floors['dbt_startup_seconds']:.1f} + "
            f"SQL scoring {summary['sql_scoring_seconds']:.1f}"
        )
    total = (
        floors["dbt_startup_seconds"] + floors["read_encode_seconds"] + floors["lloyd_pass_seconds"]
    )
    return (
        f"floor {total:.1f} s = dbt start-up {floors['dbt_startup_seconds']:.1f} + read and "
        f"encode in DuckDB {floors['read_encode_seconds']:.2f} + one Lloyd pass "
        f"{floors['lloyd_pass_seconds']:.2f}"
    )


def goal_lines(summary: dict) -> list[str]:
    """Each goal of issue 16 at this size: its figure, MET / NOT MET and its floor."""
    rows = 0 if summary.get("embedded") else summary["rows"]
    figures = {
        "wall_seconds": summary["wall_seconds"],
        "peak_rss_gib": summary["peak_rss_gib"],
        "scoring_wall_seconds": (summary.get("scoring_build") or {}).get("wall_seconds"),
    }
    lines = []
    for goal in GOALS:
        if goal.rows != rows:
            continue
        value = figures[goal.figure]
        if value is None:
            lines.append(f"goal: {goal.label} <= {goal.limit:g} {goal.unit}: not measured")
            continue
        verdict = "MET" if value <= goal.limit else "NOT MET"
        lines.append(
            f"goal: {goal.label} {value:.2f} {goal.unit} <= {goal.limit:g} {goal.unit} -> "
            f"{verdict} ({_floor_text(summary, goal.floor)})"
        )
    return lines


def table_row(summary: dict) -> str:
    """This run's row of the performance table in docs/scaling.md (same columns)."""
    nodes = summary["nodes"]
    tests = sum(v for k, v in nodes.items() if k.startswith(("test.", "unit_test.")))
    slowest = sorted(
        ((k, v) for k, v in nodes.items() if k.startswith("model.")), key=lambda kv: -kv[1]
    )[:3]
    floors = summary.get("floors") or {}
    scoring = summary.get("scoring_build") or {}

    def seconds(value: float | None, digits: int = 1) -> str:
        return "-" if value is None else f"{value:.{digits}f} s"

    cells = [
        f"{summary['rows']:,}",
        seconds(summary["wall_seconds"]),
        seconds(summary["cpu_seconds"]),
        f"{summary['peak_rss_gib']:.2f} GiB",
        seconds(scoring.get("wall_seconds")),
        seconds(summary["sql_scoring_seconds"], 2),
        seconds(floors.get("dbt_startup_seconds")),
        seconds(floors.get("read_encode_seconds"), 2),
        seconds(floors.get("lloyd_pass_seconds"), 2),
        f"{summary['dbt_elapsed_seconds']:.1f} s ({len(nodes)} nodes, tests {tests:.1f} s)",
        ", ".join(f"{_short(k).split(' ', 1)[1]} {v:.1f}" for k, v in slowest),
        ", ".join(f"{x:.1f}" for x in summary["load_average"]),
    ]
    return "| " + " | ".join(cells) + " |"


def report(summary: dict, top: int = 15) -> str:
    """Human-readable benchmark report: slowest nodes, figures, goals with floors, table row."""
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
    floors = summary.get("floors")
    if floors:
        lines += [
            "",
            "physical floors (measured now, same machine and load):",
            "  dbt start-up (warm build selecting no node): "
            f"{floors['dbt_startup_seconds']:.2f} s, "
            f"{floors['dbt_startup_rss_gib']:.2f} GiB",
            f"  read + encode 14 standardised features in DuckDB, fetched to numpy: "
            f"{floors['read_encode_seconds']:.2f} s ({floors['feature_matrix_gib']:.2f} GiB)",
            f"  one Lloyd pass (k = {FLOOR_CLUSTERS}) over them: "
            f"{floors['lloyd_pass_seconds']:.3f} s",
        ]
    goals = goal_lines(summary)
    if goals:
        lines += ["", *goals]
    lines += [
        "",
        "row for the performance table of docs/scaling.md:",
        table_row(summary),
    ]
    return "\n".join(lines)


def run(rows: int, seed: int, work_dir: Path, *, floors: bool = True) -> dict:
    """Generate (if needed), build, score, measure the floors; returns the summary (JSON)."""
    work_dir = work_dir.resolve()
    work_dir.mkdir(parents=True, exist_ok=True)
    embedded = rows == 0
    if embedded:
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
        "embedded": embedded,
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
            "peak_rss_gib": scoring_build["peak_rss_gib"],
            "dbt_elapsed_seconds": scoring_build["dbt_elapsed_seconds"],
            "nodes": scoring_build["nodes"],
        },
        "floors": measure_floors(work_dir, customers_path) if floors else None,
        "load_average": os.getloadavg(),
        "cpus": os.cpu_count(),
    }
    (work_dir / f"bench_{label}.json").write_text(json.dumps(summary, indent=2, default=str))
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
    parser.add_argument(
        "--no-floors",
        action="store_true",
        help="skip measuring the physical floors (dbt start-up, read + encode, Lloyd pass)",
    )
    parser.add_argument(
        "--verify",
        action="store_true",
        help="then compare the build's k-means and two-stage Ward with full-data references",
    )
    args = parser.parse_args(argv)
    if args.rows < 0:
        parser.error("--rows must be >= 0")
    summary = run(args.rows, args.seed, args.work_dir, floors=not args.no_floors)
    print(report(summary))
    if args.verify:
        from customer_segmentation.bench_verify import verify_benchmark  # noqa: PLC0415

        print(verify_benchmark(args.work_dir, args.rows), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
