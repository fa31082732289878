"""The report page: its parts in order, which build it shows, and the HTML around them.

The report reads the published serving file by default (``customer_segmentation_serving.duckdb``,
the last build that passed every test), names that publication (``marts.build_info``) at the
top, and warns when dbt's latest ``run_results.json`` records a later build that failed or is
not published yet, so a failed build is never mistaken for the segmentation on show.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from customer_segmentation.publish import PublishError, check_run_results
from customer_segmentation.report.channels import CHANNEL_SECTIONS
from customer_segmentation.report.data import ReportData, Section, missing_relations
from customer_segmentation.report.history import HISTORY_SECTIONS
from customer_segmentation.report.method import METHOD_SECTIONS
from customer_segmentation.report.segments import SEGMENT_DETAIL_SECTIONS, SEGMENT_SECTIONS

__all__ = [
    "PARTS",
    "SECTIONS",
    "RenderedReport",
    "provenance",
    "render_report",
    "write_report",
]

#: The report's parts, in reading order: (anchor, heading, sections).
PARTS: tuple[tuple[str, str, list[Section]], ...] = (
    ("segments-part", "Segments and what to do", SEGMENT_SECTIONS),
    ("history-part", "Segments over time", HISTORY_SECTIONS),
    ("channels-part", "Channels and regions", CHANNEL_SECTIONS),
    ("detail-part", "The segments in detail", SEGMENT_DETAIL_SECTIONS),
    (
        "method-part",
        "Method: how the segments were found and how far to trust them",
        METHOD_SECTIONS,
    ),
)
SECTIONS: list[Section] = [section for _, _, sections in PARTS for section in sections]

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto;
       max-width: 1200px; color: #222; padding: 0 1rem; }
h1 { margin-bottom: 0.2rem; } .meta { color: #555; margin: 0.2rem 0; }
h2.part { border-bottom: 2px solid #2b6cb0; padding-bottom: 0.2rem; margin-top: 2.6rem; }
nav { font-size: 0.8rem; line-height: 1.5; }
nav b { margin-right: 0.4rem; } nav a { margin-right: 0.7rem; }
section { margin: 1.6rem 0; }
img { max-width: 100%; height: auto; display: block; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 0.5rem 0 1rem; }
th, td { border: 1px solid #ddd; padding: 0.3rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } tr.chosen td { background: #fdecea; font-weight: 600; }
li.matters { color: #8b1a1a; }
.note { color: #555; } .skipped { color: #8a6d00; }
.warning { background: #fff4e5; border: 1px solid #f0a02a; border-left: 6px solid #f0a02a;
           padding: 0.6rem 0.9rem; margin: 0.8rem 0; }
.headline { font-size: 1.05rem; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(270px, 1fr));
         gap: 0.8rem; }
.card { border: 1px solid #ddd; border-top: 5px solid #999; border-radius: 6px;
        padding: 0.6rem 0.8rem; background: #fff; font-size: 0.85rem; }
.card header { display: flex; align-items: baseline; gap: 0.4rem; }
.card h4 { margin: 0; font-size: 1rem; } .segment-id { color: #888; }
.card .badge { display: inline-block; margin: 0.4rem 0; padding: 0.1rem 0.5rem;
               border-radius: 999px; font-weight: 600; background: #eee; }
.card dl { display: grid; grid-template-columns: auto 1fr; gap: 0.15rem 0.6rem; margin: 0; }
.card dt { color: #666; } .card dd { margin: 0; }
.card .why { color: #333; margin: 0.5rem 0 0; }
.card.grow { border-top-color: #2f855a; } .card.grow .badge { background: #c6f6d5; }
.card.reduce { border-top-color: #c53030; } .card.reduce .badge { background: #fed7d7; }
.card.investigate { border-top-color: #d69e2e; }
.card.investigate .badge { background: #fefcbf; }
"""


def _build_info(connection: duckdb.DuckDBPyConnection) -> dict | None:
    """``marts.build_info`` of a serving file as a dict; None when the file has none."""
    try:
        cursor = connection.execute("select * from marts.build_info")
    except duckdb.Error:
        return None
    row = cursor.fetchone()
    names = [d[0] for d in cursor.description]
    return dict(zip(names, row, strict=True)) if row else None


def provenance(build_info: dict | None, run_results_path: str | Path | None) -> tuple[str, str]:
    """Which build the report shows, and a warning when that may mislead (or "").

    Parameters
    ----------
    build_info : dict or None
        The file's ``marts.build_info`` row; None for a build database (no publication).
    run_results_path : path-like or None
        dbt's latest ``run_results.json``, to tell whether a later build failed.

    Returns
    -------
    (meta, warning) : tuple of str
        HTML: one line naming the build, and a warning paragraph or "".
    """
    if build_info is None:
        return (
            "Not a publication: this file has no <code>marts.build_info</code>.",
            '<p class="warning">This report reads a build database directly, which may hold '
            "a failed or partial build. Render it from the serving file (the default of "
            "<code>make report</code>), which holds only builds that passed every test.</p>",
        )
    meta = (
        f"Build <b>{html.escape(str(build_info['build_id']))}</b>, built "
        f"{html.escape(str(build_info['built_at']))}, published "
        f"{html.escape(str(build_info['published_at']))[:19]}"
    )
    path = Path(run_results_path) if run_results_path else None
    if path is None or not path.is_file():
        return meta, ""
    try:
        latest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return meta, ""
    invocation = latest.get("metadata", {}).get("invocation_id", "")
    when = html.escape(str(latest.get("metadata", {}).get("generated_at", "")))
    if latest.get("args", {}).get("which") != "build" or invocation == build_info.get(
        "dbt_invocation_id"
    ):
        return meta, ""
    try:
        check_run_results(path)
    except PublishError as failure:
        return meta, (
            f'<p class="warning"><b>The latest dbt build ({when}) failed</b>, so it was not '
            f"published: {html.escape(str(failure))}. This report shows the last published "
            f"build, <b>{html.escape(str(build_info['build_id']))}</b>.</p>"
        )
    return meta, (
        f'<p class="warning">A later dbt build ({when}) succeeded but is not published yet; '
        "this report shows the last published build. Publish it with "
        "<code>customer-segmentation publish</code> (<code>make build</code> does both).</p>"
    )


@dataclass
class RenderedReport:
    """The HTML and what went into it."""

    html: str
    rendered: list[str] = field(default_factory=list)
    skipped: dict[str, list[str]] = field(default_factory=dict)
    seconds: float = 0.0
    warning: str = ""


def _render_section(section: Section, data: ReportData, result: RenderedReport) -> str:
    missing = missing_relations(section, data)
    heading = f'<h3 id="{section.key}">{html.escape(section.title)}</h3>'
    if missing:
        result.skipped[section.key] = missing
        names = ", ".join(f"<code>{html.escape(m)}</code>" for m in missing)
        return (
            f'<section>{heading}<p class="skipped">Skipped: this build has no {names}.</p>'
            "</section>"
        )
    note = f'<p class="note">{html.escape(section.note)}</p>' if section.note else ""
    result.rendered.append(section.key)
    return f"<section>{heading}{note}{section.render(data)}</section>"


def render_report(
    data: ReportData,
    *,
    title: str = "Customer segmentation report",
    source: str = "",
    sections: Sequence[Section] | None = None,
    run_results_path: str | Path | None = None,
) -> RenderedReport:
    """Render every section whose relations exist into one HTML page, part by part.

    ``sections`` renders just those (in one part); ``run_results_path`` is dbt's latest
    ``run_results.json``, read to warn when a later build failed (see :func:`provenance`).
    """
    started = time.perf_counter()
    result = RenderedReport(html="")
    parts = PARTS if sections is None else (("sections", "Sections", list(sections)),)
    body, nav = [], []
    for anchor, heading, part_sections in parts:
        rendered = [_render_section(s, data, result) for s in part_sections]
        links = "".join(
            f'<a href="#{s.key}">{html.escape(s.title)}</a>'
            for s in part_sections
            if s.key in result.rendered
        )
        nav.append(f'<div><b><a href="#{anchor}">{html.escape(heading)}</a></b>{links}</div>')
        body.append(f'<h2 class="part" id="{anchor}">{html.escape(heading)}</h2>')
        body.extend(rendered)
    meta, warning = provenance(_build_info(data.connection), run_results_path)
    result.warning = warning
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    source_text = f" from <code>{html.escape(source)}</code>" if source else ""
    result.html = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>"
        f'<h1>{html.escape(title)}</h1><p class="meta">{meta}{source_text}; '
        f"rendered {stamp}</p>{warning}"
        f"<nav>{''.join(nav)}</nav>{''.join(body)}</body></html>\n"
    )
    result.seconds = time.perf_counter() - started
    return result


def write_report(
    database: str | Path, out: str | Path, *, run_results_path: str | Path | None = None
) -> RenderedReport:
    """Render the report of the DuckDB file ``database`` (opened read-only) to ``out``.

    ``database`` is normally the published serving file; ``run_results_path`` (dbt's latest
    ``run_results.json``) lets the page say when a later build failed.

    Raises
    ------
    FileNotFoundError
        When ``database`` does not exist (run ``make build`` first).
    """
    database = Path(database)
    if not database.is_file():
        raise FileNotFoundError(
            f"{database}: no such DuckDB file; run `make build` first (it builds and publishes)"
        )
    with duckdb.connect(str(database), read_only=True) as connection:
        report = render_report(
            ReportData(connection), source=database.name, run_results_path=run_results_path
        )
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report.html, encoding="utf-8")
    return report
