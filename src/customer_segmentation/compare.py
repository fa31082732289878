"""Compare two builds' DuckDB files relation by relation, row for row.

The default build is a contract: a change that could move results is checked by building the
embedded data before and after it and comparing every mart. ``compare_builds`` does that
comparison: for every table and view of the chosen schemas in the *old* file it checks that
the *new* file has it, with the same number of rows and the same multiset of rows over the
columns both share (columns the new build adds are reported, not compared). Rows are compared
as exact values (doubles bit for bit), independent of their physical order.

$ customer-segmentation compare-builds old.duckdb new.duckdb            # schema marts
$ customer-segmentation compare-builds old.duckdb new.duckdb --schema marts --schema intermediate

A relation renamed between the two builds is compared under its new name: ``--rename old=new``
(repeatable) or ``--rename-file docs/renames.md`` (every ``old -> new`` line, or every Markdown
table row whose first two cells are backticked names; see :func:`read_renames`).
$ customer-segmentation compare-builds old.duckdb new.duckdb --rename-file docs/renames.md
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["RelationComparison", "compare_builds", "parse_rename", "read_renames"]


@dataclass(frozen=True)
class RelationComparison:
    """What the comparison found for one relation of the old build."""

    schema: str
    name: str
    old_rows: int
    new_rows: int | None
    rows_only_in_old: int = 0
    rows_only_in_new: int = 0
    added_columns: tuple[str, ...] = ()
    missing_columns: tuple[str, ...] = ()
    ignored_columns: tuple[str, ...] = field(default=())
    #: The relation's name in the new build when it was renamed (None: same name).
    new_name: str | None = None

    @property
    def equal(self) -> bool:
        """True when the new build has the relation with the same rows on the shared columns."""
        return (
            self.new_rows is not None
            and self.new_rows == self.old_rows
            and not self.missing_columns
            and self.rows_only_in_old == 0
            and self.rows_only_in_new == 0
        )

    def describe(self) -> str:
        """One line for a person."""
        label = f"{self.schema}.{self.name}"
        if self.new_name is not None:
            label += f" -> {self.new_name}"
        if self.new_rows is None:
            return f"MISSING  {label}: not in the new build ({self.old_rows:,} rows in the old)"
        parts = [f"{self.old_rows:,} rows"]
        if self.new_rows != self.old_rows:
            parts.append(f"new build has {self.new_rows:,}")
        if self.rows_only_in_old or self.rows_only_in_new:
            parts.append(
                f"{self.rows_only_in_old:,} rows only in old, {self.rows_only_in_new:,} only in new"
            )
        if self.missing_columns:
            parts.append("columns gone: " + ", ".join(self.missing_columns))
        if self.added_columns:
            parts.append("new columns (not compared): " + ", ".join(self.added_columns))
        if self.ignored_columns:
            parts.append("ignored: " + ", ".join(self.ignored_columns))
        return f"{'EQUAL   ' if self.equal else 'DIFFERS '} {label}: " + "; ".join(parts)


def _relations(connection, catalog: str, schemas: tuple[str, ...]) -> dict[tuple[str, str], list]:
    rows = connection.execute(
        """
        select table_schema, table_name, list(column_name order by ordinal_position)
        from information_schema.columns
        where table_catalog = ? and table_schema in (select unnest(?))
        group by table_schema, table_name
        order by table_schema, table_name
        """,
        [catalog, list(schemas)],
    ).fetchall()
    return {(schema, name): columns for schema, name, columns in rows}


def parse_rename(text: str) -> tuple[str, str]:
    """``old=new`` (or ``old -> new``) as a pair of relation names, checked."""
    parts = re.split(r"\s*(?:->|=)\s*", text.strip())
    if len(parts) != 2 or not all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", p) for p in parts):
        raise ValueError(f"a rename is old=new (two relation names), got {text!r}")
    return parts[0], parts[1]


_TABLE_ROW = re.compile(r"^\|\s*`([A-Za-z_][A-Za-z0-9_]*)`\s*\|\s*`([A-Za-z_][A-Za-z0-9_]*)`\s*\|")
_ARROW_LINE = re.compile(r"^\s*(?:[-*]\s+)?`?([A-Za-z_]\w*)`?\s*->\s*`?([A-Za-z_]\w*)`?\s*$")


def read_renames(path: str | Path) -> dict[str, str]:
    """Renames (old name -> new name) listed in a text or Markdown file.

    A line ``old -> new`` (optionally a list item, names optionally in backticks) or a Markdown
    table row whose first two cells are backticked names (`` | `old` | `new` | ... ``) is one
    rename; every other line is ignored. A name renamed twice is an error.
    """
    renames: dict[str, str] = {}
    for number, line in enumerate(Path(path).read_text().splitlines(), start=1):
        match = _TABLE_ROW.match(line) or _ARROW_LINE.match(line)
        if match is None:
            continue
        old, new = match.groups()
        if renames.get(old, new) != new:
            raise ValueError(f"{path}:{number}: {old} is renamed twice ({renames[old]}, {new})")
        renames[old] = new
    return renames


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def compare_builds(
    old_path: str | Path,
    new_path: str | Path,
    schemas: tuple[str, ...] = ("marts",),
    ignore_columns: tuple[str, ...] = (),
    renames: Mapping[str, str] | None = None,
) -> list[RelationComparison]:
    """Compare every relation of ``schemas`` in ``old_path`` with the same one in ``new_path``.

    Parameters
    ----------
    old_path, new_path : str or Path
        DuckDB files written by ``dbt build`` (opened read-only).
    schemas : tuple of str, default=("marts",)
        Schemas whose tables and views are compared.
    ignore_columns : tuple of str, default=()
        Column names left out of the comparison wherever they appear (for example a build
        timestamp).
    renames : mapping of str to str, optional
        Old relation name -> its name in the new build (same schema). A renamed relation is
        compared with the new name's rows; names not listed are compared with the same name.

    Returns
    -------
    comparisons : list of RelationComparison
        One per relation of the old build, in schema and name order.
    """
    import duckdb

    old_path, new_path = Path(old_path).resolve(), Path(new_path).resolve()
    for path in (old_path, new_path):
        if not path.is_file():
            raise FileNotFoundError(f"no DuckDB file at {path}")
    connection = duckdb.connect(":memory:")
    try:
        return _compare(connection, old_path, new_path, schemas, ignore_columns, renames or {})
    except duckdb.Error as error:
        raise ValueError(
            f"cannot compare {old_path} with {new_path}: {error}; is a build still writing one "
            "of them?"
        ) from None
    finally:
        connection.close()


def _compare(
    connection, old_path, new_path, schemas, ignore_columns, renames
) -> list[RelationComparison]:
    """The comparison itself, on a connection with nothing attached yet."""
    for alias, path in (("old_build", old_path), ("new_build", new_path)):
        literal = "'" + str(path).replace("'", "''") + "'"
        connection.execute(f"attach {literal} as {alias} (read_only)")
    old = _relations(connection, "old_build", schemas)
    new = _relations(connection, "new_build", schemas)
    comparisons = []
    for (schema, name), old_columns in old.items():
        old_ref = f"old_build.{_quote(schema)}.{_quote(name)}"
        old_rows = connection.execute(f"select count(*) from {old_ref}").fetchone()[0]
        new_name = renames.get(name)
        new_columns = new.get((schema, new_name or name))
        if new_columns is None:
            comparisons.append(RelationComparison(schema, name, old_rows, None, new_name=new_name))
            continue
        new_ref = f"new_build.{_quote(schema)}.{_quote(new_name or name)}"
        new_rows = connection.execute(f"select count(*) from {new_ref}").fetchone()[0]
        ignored = tuple(c for c in old_columns if c in ignore_columns)
        shared = [c for c in old_columns if c in new_columns and c not in ignore_columns]
        select_list = ", ".join(_quote(c) for c in shared)
        only_old = only_new = 0
        if shared:
            only_old = connection.execute(
                f"select count(*) from (select {select_list} from {old_ref} "
                f"except all select {select_list} from {new_ref})"
            ).fetchone()[0]
            only_new = connection.execute(
                f"select count(*) from (select {select_list} from {new_ref} "
                f"except all select {select_list} from {old_ref})"
            ).fetchone()[0]
        comparisons.append(
            RelationComparison(
                schema,
                name,
                old_rows,
                new_rows,
                rows_only_in_old=only_old,
                rows_only_in_new=only_new,
                added_columns=tuple(c for c in new_columns if c not in old_columns),
                missing_columns=tuple(c for c in old_columns if c not in new_columns),
                ignored_columns=ignored,
                new_name=new_name,
            )
        )
    return comparisons
