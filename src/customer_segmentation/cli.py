"""Command-line interface: ``customer-segmentation <command> ...``.

Each subcommand is a :class:`_Command`: its name, help texts, arguments (:func:`_arg`) and a
``handler`` taking the parsed arguments and returning an exit code. :func:`build_parser`
registers every command of ``_COMMANDS`` the same way. To add a command, write its handler and
its ``_Command`` and append it to ``_COMMANDS``.

Examples
--------
$ customer-segmentation generate --rows 1000000 --seed 42 --out data/customers.parquet
$ python -m customer_segmentation.cli generate --rows 5000 --out customers.csv
$ customer-segmentation publish   # after a successful `dbt build`: swap in the serving database
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["build_parser", "main"]


def _non_negative_int(text: str) -> int:
    """argparse type: an integer >= 0 (underscores allowed, e.g. ``10_000_000``)."""
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {value}")
    return value


def _relative_tolerance(text: str) -> float:
    """argparse type: a relative tolerance, a number in [0, 1)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1), got {text!r}")
    return value


def _serving_path_default() -> str:
    """The serving file: $CUSTOMER_SEGMENTATION_SERVING_PATH or the project's default name."""
    return os.environ.get(
        "CUSTOMER_SEGMENTATION_SERVING_PATH", "customer_segmentation_serving.duckdb"
    )


def _dbt_target_file(name: str) -> str:
    """A file of dbt's target directory ($DBT_TARGET_PATH or target)."""
    return os.path.join(os.environ.get("DBT_TARGET_PATH", "target"), name)


def _human_bytes(n_bytes: int) -> str:
    size = float(n_bytes)
    if size < 1024:
        return f"{n_bytes} B"
    for unit in ("KiB", "MiB"):
        size /= 1024
        if size < 1024:
            return f"{size:.1f} {unit}"
    return f"{size / 1024:.1f} GiB"


@dataclass(frozen=True)
class _Argument:
    """One ``add_argument`` call: its flags and keywords.

    ``default_from`` computes the default when the parser is built (for defaults read from
    the environment, so that they follow the environment of each call, not of the import).
    """

    flags: tuple[str, ...]
    options: Mapping[str, object]
    default_from: Callable[[], object] | None = None

    def add_to(self, parser: argparse.ArgumentParser) -> None:
        """Add this argument to ``parser``."""
        options = dict(self.options)
        if self.default_from is not None:
            options["default"] = self.default_from()
        parser.add_argument(*self.flags, **options)


def _arg(*flags: str, default_from: Callable[[], object] | None = None, **options) -> _Argument:
    """An argument of a subcommand: the arguments of ``ArgumentParser.add_argument``."""
    return _Argument(flags, options, default_from)


@dataclass(frozen=True)
class _Command:
    """A subcommand: its name, one-line help, description, arguments and handler."""

    name: str
    help: str
    description: str
    handler: Callable[[argparse.Namespace], int]
    arguments: tuple[_Argument, ...] = field(default=())

    def register(self, subparsers: argparse._SubParsersAction) -> None:
        """Add this command's parser to ``subparsers``."""
        parser = subparsers.add_parser(self.name, help=self.help, description=self.description)
        for argument in self.arguments:
            argument.add_to(parser)
        parser.set_defaults(handler=self.handler)


def _build_database_default() -> str:
    """The build database: $DBT_DUCKDB_PATH or the project's default name."""
    return os.environ.get("DBT_DUCKDB_PATH", "customer_segmentation.duckdb")


def _run_generate(args: argparse.Namespace) -> int:
    """Handler of ``generate``: write synthetic customers and report what was written."""
    from customer_segmentation.generator import write_customers

    summary = write_customers(args.out, args.rows, random_state=args.seed, fmt=args.format)
    print(
        f"wrote {summary['rows']:,} customers (seed {args.seed}) to {summary['path']} "
        f"[{summary['format']}, {_human_bytes(summary['bytes'])}] "
        f"in {summary['seconds']:.2f} s"
    )
    return 0


GENERATE = _Command(
    "generate",
    help="write synthetic customers distributed like the embedded seed",
    description=(
        "Generate synthetic customers (minutes_watched, CLV, region, channel) that "
        "follow the embedded seed's distributions, and write them to CSV or Parquet."
    ),
    handler=_run_generate,
    arguments=(
        _arg("--rows", type=_non_negative_int, required=True, help="number of customers"),
        _arg("--seed", type=_non_negative_int, default=0, help="random seed (default: 0)"),
        _arg("--out", required=True, help="output file: .csv, .parquet or .pq (see --format)"),
        _arg(
            "--format",
            choices=("csv", "parquet"),
            default=None,
            help="output format (default: from the extension of --out)",
        ),
    ),
)


def _run_publish(args: argparse.Namespace) -> int:
    """Handler of ``publish``: copy the marts of a successful build to the serving database."""
    from customer_segmentation.publish import publish_marts

    run_results = None if args.no_run_results_check else args.run_results
    publication = publish_marts(
        args.database,
        args.serving_path,
        manifest_path=args.manifest,
        run_results_path=run_results,
    )
    counts = ", ".join(f"{mart} {rows:,}" for mart, rows in publication.row_counts.items())
    print(
        f"published build {publication.build_id} to {publication.serving_path} "
        f"in {publication.seconds:.2f} s ({counts})"
    )
    return 0


PUBLISH = _Command(
    "publish",
    help="after a successful dbt build, swap the marts into the serving database BI tools read",
    description=(
        "Copy the project's marts (the models of schema marts in dbt's manifest) from the "
        "build database into a new read-only serving database, in a storage format every "
        "DuckDB reader from 1.0 on opens, and atomically replace the previous one. Refuses "
        "when the last dbt command was not a fully successful `dbt build`, so a failed "
        "build leaves the last good publication in place."
    ),
    handler=_run_publish,
    arguments=(
        _arg(
            "--database",
            default_from=_build_database_default,
            help="the build database dbt wrote (default: $DBT_DUCKDB_PATH or "
            "customer_segmentation.duckdb)",
        ),
        _arg(
            "--serving-path",
            default_from=_serving_path_default,
            help="the file BI tools read (default: $CUSTOMER_SEGMENTATION_SERVING_PATH or "
            "customer_segmentation_serving.duckdb)",
        ),
        _arg(
            "--run-results",
            default_from=lambda: _dbt_target_file("run_results.json"),
            help="dbt's run_results.json, checked to record a successful `dbt build` "
            "(default: $DBT_TARGET_PATH/run_results.json or target/run_results.json)",
        ),
        _arg(
            "--manifest",
            default_from=lambda: _dbt_target_file("manifest.json"),
            help="dbt's manifest.json of that build: exactly its models of schema marts are "
            "published (default: $DBT_TARGET_PATH/manifest.json or target/manifest.json)",
        ),
        _arg(
            "--no-run-results-check",
            action="store_true",
            help="publish without checking run_results.json (the marts must come from a "
            "passing build)",
        ),
    ),
)


def _run_report(args: argparse.Namespace) -> int:
    """Handler of ``report``: render the HTML report of the serving (or a build) file."""
    from customer_segmentation.report import write_report

    report = write_report(args.database, args.out, run_results_path=args.run_results)
    print(
        f"wrote {args.out}: {len(report.rendered)} sections in {report.seconds:.1f} s"
        + "".join(
            f"; skipped {key} (missing {', '.join(missing)})"
            for key, missing in report.skipped.items()
        )
    )
    if report.warning:
        print(
            "warning: the report shows the last published build, not dbt's latest build "
            "(which failed, is not published, or is not a publication): see the note at its top",
            file=sys.stderr,
        )
    return 0


REPORT = _Command(
    "report",
    help="render the self-contained HTML report from the published marts",
    description=(
        "Read the marts of the published serving file (read-only; the last build that "
        "passed every test) and write one self-contained HTML page: one card per segment, "
        "the channel and region findings, then the method. The page names the build it "
        "shows and warns when dbt's latest run_results.json records a later failed build."
    ),
    handler=_run_report,
    arguments=(
        _arg(
            "--database",
            default_from=_serving_path_default,
            help="DuckDB file to read (default: the serving file, $CUSTOMER_SEGMENTATION_"
            "SERVING_PATH or customer_segmentation_serving.duckdb)",
        ),
        _arg(
            "--run-results",
            default_from=lambda: _dbt_target_file("run_results.json"),
            help="dbt's latest run_results.json, to tell a later failed build "
            "(default: $DBT_TARGET_PATH/run_results.json or target/run_results.json)",
        ),
        _arg(
            "--out",
            default="reports/segmentation_report.html",
            help="HTML file to write (default: reports/segmentation_report.html)",
        ),
    ),
)


def _run_compare_builds(args: argparse.Namespace) -> int:
    """Handler of ``compare-builds``: 0 when every relation is equal, 1 otherwise."""
    from customer_segmentation.compare import compare_builds, parse_rename, read_renames

    renames: dict[str, str] = {}
    for path in args.rename_file or []:
        renames.update(read_renames(path))
    renames.update(parse_rename(text) for text in args.rename or [])
    comparisons = compare_builds(
        args.old,
        args.new,
        schemas=tuple(args.schema or ["marts"]),
        ignore_columns=tuple(args.ignore_column or []),
        renames=renames,
        float_tolerance=args.float_tolerance,
    )
    for comparison in comparisons:
        print(comparison.describe())
    differing = [c for c in comparisons if not c.accepted]
    within = [c for c in comparisons if c.within_tolerance]
    summary = (
        f"{len(comparisons) - len(differing)} of {len(comparisons)} relations equal row for row"
    )
    if args.float_tolerance:
        summary += (
            f" ({len(comparisons) - len(differing) - len(within)} exactly, {len(within)} within "
            f"relative tolerance {args.float_tolerance:g} on doubles)"
        )
    print(summary + (f"; {len(differing)} differ" if differing else ""))
    return 1 if differing or not comparisons else 0


COMPARE_BUILDS = _Command(
    "compare-builds",
    help="compare every mart of two build databases row for row",
    description=(
        "Check that every table and view of the given schemas in OLD is in NEW with the "
        "same rows (order-independent, exact values) on the columns both have. Columns "
        "only NEW has are listed, not compared. Exits 1 when anything differs (beyond "
        "--float-tolerance, when given)."
    ),
    handler=_run_compare_builds,
    arguments=(
        _arg("old", help="DuckDB file of the reference build"),
        _arg("new", help="DuckDB file of the build to check"),
        _arg("--schema", action="append", help="schema to compare (repeatable; default: marts)"),
        _arg("--ignore-column", action="append", help="column left out everywhere (repeatable)"),
        _arg(
            "--rename",
            action="append",
            metavar="OLD=NEW",
            help="relation OLD of the old build is NEW in the new build (repeatable)",
        ),
        _arg(
            "--rename-file",
            action="append",
            metavar="PATH",
            help="renames listed in a file: 'old -> new' lines or Markdown table rows "
            "| `old` | `new` | (e.g. docs/renames.md; repeatable)",
        ),
        _arg(
            "--float-tolerance",
            type=_relative_tolerance,
            default=0.0,
            metavar="REL",
            help="accept double columns that differ by at most REL relative difference, "
            "reported apart as WITHIN with the largest difference (default 0: exact)",
        ),
    ),
)


def _run_dashboard(args: argparse.Namespace) -> int:
    """Handler of ``dashboard``: start, stop or export the local Superset dashboard."""
    from customer_segmentation import dashboard

    home = dashboard.SupersetHome(Path(args.home).resolve())
    if args.action == "stop":
        pid = dashboard.stop(home.root)
        print(f"stopped Superset (pid {pid})" if pid else f"Superset is not running ({home.root})")
        return 0
    if args.action == "export":
        url = f"http://127.0.0.1:{args.port}"
        password = home.admin_password.read_text(encoding="ascii").strip()
        client = dashboard.SupersetClient(url).login(dashboard.ADMIN_USERNAME, password)
        zip_bytes = client.export_dashboard(client.dashboard(dashboard.DASHBOARD_SLUG)["id"])
        written = dashboard.write_export(zip_bytes, args.export_dir)
        print(f"wrote {len(written)} files of the dashboard's export to {args.export_dir}")
        return 0
    started = dashboard.start(args.superset_venv, home.root, args.serving_path, port=args.port)
    state = "already running" if started.already_running else f"started in {started.seconds:.0f} s"
    print(
        f"Superset {state} (pid {started.pid}; `make dashboard-stop` stops it), reading "
        f"{os.path.abspath(args.serving_path)} read-only:\n"
        f"  {started.url}/superset/dashboard/{dashboard.DASHBOARD_SLUG}/"
    )
    if started.password_created:
        print(
            f"  login: {dashboard.ADMIN_USERNAME}  password: {started.password}\n"
            f"  (shown this once; kept in {home.admin_password}, readable by you only)"
        )
    else:
        print(
            f"  login: {dashboard.ADMIN_USERNAME}  password: `cat {home.admin_password}` "
            "(readable by you only)"
        )
    return 0


DASHBOARD = _Command(
    "dashboard",
    help="run the shipped Superset dashboard over the serving file (make dashboard)",
    description=(
        "start: initialise Superset (metadata database, generated secret key and admin "
        "password in --home), import dashboard/export with the serving file registered "
        "read-only, and serve it on 127.0.0.1. stop: end that server by its pid. export: "
        "write the running dashboard back to dashboard/export (after editing it in the UI)."
    ),
    handler=_run_dashboard,
    arguments=(
        _arg("action", choices=("start", "stop", "export")),
        _arg(
            "--superset-venv",
            default=".venv-superset",
            help="Superset's virtualenv (.venv-superset)",
        ),
        _arg(
            "--home",
            default_from=lambda: os.environ.get("CUSTOMER_SEGMENTATION_SUPERSET_HOME", ".superset"),
            help="Superset's state: metadata database, secret key, password, pid, log (.superset)",
        ),
        _arg(
            "--serving-path",
            default_from=_serving_path_default,
            help="the published serving file the dashboard reads",
        ),
        _arg("--port", type=int, default=8088, help="port on 127.0.0.1 (8088)"),
        _arg(
            "--export-dir",
            default="dashboard/export",
            help="where export writes (dashboard/export)",
        ),
    ),
)


def _run_sensitivity(args: argparse.Namespace) -> int:
    """Handler of ``sensitivity``: the share of customers a changed feature moves."""
    from customer_segmentation.sensitivity import segment_moves

    moves = segment_moves(args.database, args.feature, args.factor or [0.0, 0.5, 2.0])
    for factor, share in moves.items():
        print(f"{args.feature} x {factor:g}: {share:.1%} of customers change k-means segment")
    return 0


SENSITIVITY = _Command(
    "sensitivity",
    help="how many customers change segment when one raw feature changes",
    description=(
        "Multiply one raw feature of every customer, re-encode with the build's scaler and "
        "print the share of customers whose nearest k-means centre changes."
    ),
    handler=_run_sensitivity,
    arguments=(
        _arg(
            "database",
            nargs="?",
            default="customer_segmentation.duckdb",
            help="DuckDB file written by dbt build (default: customer_segmentation.duckdb)",
        ),
        _arg("--feature", default="minutes_watched", help="raw feature to change"),
        _arg(
            "--factor",
            type=float,
            action="append",
            help="multiplier (repeatable; default 0, 0.5, 2)",
        ),
    ),
)

#: The subcommands, in the order ``--help`` lists them.
_COMMANDS: tuple[_Command, ...] = (
    GENERATE,
    PUBLISH,
    REPORT,
    COMPARE_BUILDS,
    DASHBOARD,
    SENSITIVITY,
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="customer-segmentation",
        description="Customer segmentation toolkit (k-means, Ward, synthetic data).",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="<command>", required=True)
    for command in _COMMANDS:
        command.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line.

    Parameters
    ----------
    argv : sequence of str, default=None
        Arguments without the program name; ``None`` reads ``sys.argv[1:]``.

    Returns
    -------
    exit_code : int
        0 on success, 2 on a usage error (argparse exits), 1 on an invalid value or a
        refused publication.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except (ValueError, OSError, RuntimeError) as exc:
        print(f"customer-segmentation {args.command}: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
