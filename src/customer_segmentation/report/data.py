"""What every part of the report builds on: read-only access to the relations of a DuckDB file,
figures as embedded PNGs, escaped HTML tables, and the :class:`Section` a part is made of."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import duckdb
import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

matplotlib.use("Agg")  # no display on build machines; figures are only saved

__all__ = [
    "ReportData",
    "SEARCH_SCHEMAS",
    "Section",
    "annotate_cells",
    "figure_to_img",
    "html_table",
    "kmeans_segments",
    "missing_relations",
    "segment_pair_matrix",
    "share_heatmap",
]

#: Schemas searched for a relation, in order (marts first: they are the published interface).
SEARCH_SCHEMAS = ("marts", "intermediate", "staging", "raw")


class ReportData:
    """Read-only access to the relations of a built DuckDB file, by name in any schema.

    Parameters
    ----------
    connection : duckdb.DuckDBPyConnection
        An open connection (read-only is recommended).
    """

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self.connection = connection
        rows = connection.sql(
            "select table_schema, table_name from information_schema.tables"
        ).fetchall()
        located: dict[str, str] = {}
        for schema in SEARCH_SCHEMAS:
            for table_schema, table_name in rows:
                if table_schema == schema:
                    located.setdefault(table_name, f'"{table_schema}"."{table_name}"')
        self._relations = located

    def has(self, name: str) -> bool:
        """True when a relation called ``name`` exists in one of ``SEARCH_SCHEMAS``."""
        return name in self._relations

    def relation(self, name: str) -> str:
        """The quoted ``schema.name`` of relation ``name``; ``KeyError`` when missing."""
        if name not in self._relations:
            raise KeyError(f"relation {name!r} not found in schemas {', '.join(SEARCH_SCHEMAS)}")
        return self._relations[name]

    def table(self, name: str, where: str = "", order_by: str = "") -> pd.DataFrame:
        """The whole relation ``name`` as a DataFrame (optionally filtered and ordered)."""
        sql = f"select * from {self.relation(name)}"
        if where:
            sql += f" where {where}"
        if order_by:
            sql += f" order by {order_by}"
        return self.connection.sql(sql).df()


def figure_to_img(fig: Figure, alt: str) -> str:
    """An ``<img>`` tag holding ``fig`` as a base64 PNG (the figure is closed afterwards)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{encoded}">'


def html_table(
    frame: pd.DataFrame, columns: Sequence[tuple[str, str, str]], highlight: str = ""
) -> str:
    """An HTML table of ``frame`` with (column, heading, format) columns, values escaped.

    ``highlight`` names a boolean column: its true rows are marked (``class="chosen"``).
    """
    head = "".join(f"<th>{html.escape(h)}</th>" for _, h, _ in columns)
    body = []
    for _, row in frame.iterrows():
        marked = bool(highlight) and bool(row[highlight])
        cells = []
        for column, _, fmt in columns:
            value = row[column]
            text = "" if pd.isna(value) else fmt.format(value)
            cells.append(f"<td>{html.escape(text)}</td>")
        opening = '<tr class="chosen">' if marked else "<tr>"
        body.append(opening + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


@dataclass(frozen=True)
class Section:
    """One section of the report.

    Attributes
    ----------
    key : str
        Anchor id in the HTML.
    title : str
        Heading.
    requires : tuple of str
        Relations (any schema in ``SEARCH_SCHEMAS``) the section reads; when one is missing the
        section is replaced by a note naming it.
    render : callable
        ``render(data) -> str``: the section's HTML body.
    note : str
        One paragraph shown under the heading.
    """

    key: str
    title: str
    requires: tuple[str, ...]
    render: Callable[[ReportData], str]
    note: str = ""


def annotate_cells(ax, values: np.ndarray, fmt: str, *, show: np.ndarray, dark: np.ndarray) -> None:
    """Write ``format(value, fmt)`` on the heatmap cells where ``show``; white where ``dark``."""
    for (i, j), value in np.ndenumerate(values):
        if show[i, j]:
            ax.text(
                j,
                i,
                format(value, fmt),
                ha="center",
                va="center",
                fontsize=8,
                color="white" if dark[i, j] else "black",
            )


def segment_pair_matrix(
    pairs: pd.DataFrame,
    row: str,
    col: str,
    *,
    row_outside: str | None = None,
    col_outside: str | None = None,
) -> tuple[np.ndarray, list[str], list[str]]:
    """Customers per pair of segments, from a long table, as a matrix with "id. name" labels.

    Parameters
    ----------
    pairs : DataFrame
        Columns ``<row>_segment_id``, ``<row>_segment_name``, ``<col>_segment_id``,
        ``<col>_segment_name`` and ``customers`` (pairs listed more than once are summed).
    row, col : str
        The column prefixes of the two sides, e.g. ``"kmeans"`` and ``"ward"``.
    row_outside, col_outside : str, optional
        The label of a side's customers with no segment (a null id), always the last row or
        column when given (e.g. new or departed customers); a null id is an error without it.

    Returns
    -------
    counts : ndarray of shape (n_rows, n_cols)
    row_labels, col_labels : list of str
        Known segments in id order, then the ``*_outside`` label.
    """

    def side(prefix: str, outside: str | None) -> tuple[dict[int, int], list[str]]:
        ids = pairs[f"{prefix}_segment_id"]
        if outside is None and ids.isna().any():
            raise ValueError(f"{prefix}_segment_id has nulls but no label for them")
        known = pairs[ids.notna()].drop_duplicates(f"{prefix}_segment_id")
        known = known.sort_values(f"{prefix}_segment_id")
        keys = [int(i) for i in known[f"{prefix}_segment_id"]]
        names = known[f"{prefix}_segment_name"]
        labels = [f"{i}. {n}" for i, n in zip(keys, names, strict=True)]
        return {k: p for p, k in enumerate(keys)}, labels + ([outside] if outside else [])

    row_position, row_labels = side(row, row_outside)
    col_position, col_labels = side(col, col_outside)
    counts = np.zeros((len(row_labels), len(col_labels)))
    for r, c, customers in zip(
        pairs[f"{row}_segment_id"], pairs[f"{col}_segment_id"], pairs["customers"], strict=True
    ):
        i = len(row_labels) - 1 if pd.isna(r) else row_position[int(r)]
        j = len(col_labels) - 1 if pd.isna(c) else col_position[int(c)]
        counts[i, j] += float(customers)
    return counts, row_labels, col_labels


def share_heatmap(
    values: np.ndarray,
    row_labels: Sequence[str],
    col_labels: Sequence[str],
    *,
    margins: tuple[float, float],
    row_height: float,
    cmap: str,
    xlabel: str,
    ylabel: str,
    colorbar_label: str,
    title: str,
) -> Figure:
    """Heatmap of counts coloured by each cell's share of its row, the counts written on it.

    Parameters
    ----------
    values : ndarray of shape (n_rows, n_cols)
        Counts (customers); a row of zeros is drawn blank.
    row_labels, col_labels : sequence of str
        Tick labels of the rows (y axis) and columns (x axis, slanted).
    margins, row_height : (float, float), float
        The figure's size in inches: ``margins`` plus 0.95 a column and ``row_height`` a row.
    cmap, xlabel, ylabel, colorbar_label, title : str
        Colour map and texts of the figure.
    """
    totals = values.sum(axis=1, keepdims=True)
    shares = np.divide(values, totals, out=np.zeros_like(values), where=totals > 0)
    fig = Figure(
        figsize=(margins[0] + 0.95 * len(col_labels), margins[1] + row_height * len(row_labels))
    )
    ax = fig.subplots()
    image = ax.imshow(shares, cmap=cmap, vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(col_labels)), labels=col_labels, rotation=35, ha="right", fontsize=8)
    ax.set_yticks(range(len(row_labels)), labels=row_labels, fontsize=8)
    annotate_cells(ax, values, ",.0f", show=values > 0, dark=shares > 0.6)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    fig.colorbar(image, ax=ax, label=colorbar_label)
    ax.set_title(title)
    return fig


def kmeans_segments(data: ReportData) -> pd.DataFrame:
    """The k-means rows of mart_segments, by segment id."""
    return data.table(
        "mart_segments", where="segmentation_method = 'kmeans'", order_by="segment_id"
    )


def missing_relations(section: Section, data: ReportData) -> list[str]:
    """The relations ``section`` needs that ``data`` lacks."""
    return [name for name in section.requires if not data.has(name)]
