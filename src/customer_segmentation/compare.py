"""Compare two builds' DuckDB files relation by relation, row for row.

The default build is a contract: a change that could move results is checked by building the
embedded data before and after it and comparing every mart. ``compare_builds`` does that
comparison: for every table and view of the chosen schemas in the *old* file it checks that
the *new* file has it, with the same number of rows and the same multiset of rows over the
columns both share (columns the new build adds are reported, not compared). Rows are compared
as exact values (doubles bit for bit), independent of their physical order.

Opt-in, ``float_tolerance`` (``--float-tolerance REL``) accepts a relation that is not equal bit
for bit when its rows, paired in sorted order, agree exactly on every other column and within
``REL`` relative difference on every double column; the report keeps the two apart (``EQUAL``
exactly, ``WITHIN`` the tolerance) and gives the largest difference seen, so a tolerance never
hides how far a build moved. The default is 0: exact.

$ customer-segmentation compare-builds old.duckdb new.duckdb            # schema marts
$ customer-segmentation compare-builds old.duckdb new.duckdb --schema marts --schema intermediate
$ customer-segmentation compare-builds old.duckdb new.duckdb --float-tolerance 1e-12

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
    #: The relative tolerance the double columns were compared with (0: exact only).
    float_tolerance: float = 0.0
    #: True when the rows are not equal bit for bit but equal within ``float_tolerance``.
    within_tolerance: bool = False
    #: Largest absolute and relative difference of a double column between paired rows, when
    #: a tolerance was asked for and the rows could be paired (None otherwise).
    max_abs_difference: float | None = None
    max_rel_difference: float | None = None

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

    @property
    def accepted(self) -> bool:
        """True when the relation is equal, exactly or within the asked ``float_tolerance``."""
        return self.equal or self.within_tolerance

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
        if self.float_tolerance and self.max_abs_difference is not None:
            parts.append(
                f"largest double difference {self.max_abs_difference:.3g} "
                f"(relative {self.max_rel_difference:.3g}; tolerance {self.float_tolerance:g})"
            )
        status = "EQUAL   " if self.equal else "WITHIN  " if self.within_tolerance else "DIFFERS "
        return f"{status} {label}: " + "; ".join(parts)


def _relations(connection, catalog: str, schemas: tuple[str, ...]) -> dict[tuple[str, str], list]:
    rows = connection.execute(
        """
        select
            table_schema,
            table_name,
            list(column_name order by ordinal_position),
            list(column_name order by ordinal_position)
                filter (where data_type in ('DOUBLE', 'FLOAT', 'REAL'))
        from information_schema.columns
        where table_catalog = ? and table_schema in (select unnest(?))
        group by table_schema, table_name
        order by table_schema, table_name
        """,
        [catalog, list(schemas)],
    ).fetchall()
    return {(schema, name): (columns, floats or []) for schema, name, columns, floats in rows}


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
    float_tolerance: float = 0.0,
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
    float_tolerance : float, default=0.0
        Largest relative difference ``|old - new| / max(|old|, |new|)`` accepted in a double
        column of a relation that is not equal bit for bit (0: exact comparison only). Such a
        relation's rows are sorted and paired; every other column must still be equal.

    Returns
    -------
    comparisons : list of RelationComparison
        One per relation of the old build, in schema and name order.
    """
    import duckdb

    if not (isinstance(float_tolerance, (int, float)) and 0 <= float_tolerance < 1):
        raise ValueError(f"float_tolerance must be a number in [0, 1), got {float_tolerance!r}")
    old_path, new_path = Path(old_path).resolve(), Path(new_path).resolve()
    for path in (old_path, new_path):
        if not path.is_file():
            raise FileNotFoundError(f"no DuckDB file at {path}")
    connection = duckdb.connect(":memory:")
    try:
        return _compare(
            connection, old_path, new_path, schemas, ignore_columns, renames or {},
            float(float_tolerance),
        )  # fmt: skip
    except duckdb.Error as error:
        raise ValueError(
            f"cannot compare {old_path} with {new_path}: {error}; is a build still writing one "
            "of them?"
        ) from None
    finally:
        connection.close()


def _paired_differences(
    connection, old_ref: str, new_ref: str, columns: list[str], floats: set[str], tolerance: float
) -> tuple[bool, float, float]:
    """Pair the rows of two relations of equal length in sorted order (other columns first,
    then the doubles) and measure the doubles' differences.

    Returns whether every pair is equal on the other columns and within ``tolerance`` on the
    doubles, and the largest absolute and relative difference of a double column. A pairing
    that sorting gets wrong can only report a difference, never hide one.
    """
    order = [c for c in columns if c not in floats] + [c for c in columns if c in floats]
    order_by = ", ".join(f"{_quote(c)} nulls last" for c in order)
    checks, abs_terms, rel_terms = [], ["0.0"], ["0.0"]
    for column in columns:
        o, n = f"o.{_quote(column)}", f"n.{_quote(column)}"
        if column not in floats:
            checks.append(f"{o} is not distinct from {n}")
            continue
        difference = f"case when {o} is not distinct from {n} then 0.0 else abs({o} - {n}) end"
        relative = (
            f"case when {o} is not distinct from {n} then 0.0 "
            f"else abs({o} - {n}) / greatest(abs({o}), abs({n})) end"
        )
        abs_terms.append(difference)
        rel_terms.append(relative)
        checks.append(f"coalesce({relative} <= {tolerance!r}, false)")
    select_list = ", ".join(_quote(c) for c in columns)
    failing, largest_abs, largest_rel = connection.execute(
        f"""
        with o as (
            select {select_list}, row_number() over (order by {order_by}) as pair_row
            from {old_ref}
        ),
        n as (
            select {select_list}, row_number() over (order by {order_by}) as pair_row
            from {new_ref}
        )
        select
            count(*) filter (where not ({" and ".join(checks)})),
            max(greatest({", ".join(abs_terms)})),
            max(greatest({", ".join(rel_terms)}))
        from o inner join n on o.pair_row = n.pair_row
        """
    ).fetchone()
    return failing == 0, float(largest_abs or 0.0), float(largest_rel or 0.0)


def _compare(
    connection, old_path, new_path, schemas, ignore_columns, renames, float_tolerance
) -> list[RelationComparison]:
    """The comparison itself, on a connection with nothing attached yet."""
    for alias, path in (("old_build", old_path), ("new_build", new_path)):
        literal = "'" + str(path).replace("'", "''") + "'"
        connection.execute(f"attach {literal} as {alias} (read_only)")
    old = _relations(connection, "old_build", schemas)
    new = _relations(connection, "new_build", schemas)
    comparisons = []
    for (schema, name), (old_columns, old_floats) in old.items():
        old_ref = f"old_build.{_quote(schema)}.{_quote(name)}"
        old_rows = connection.execute(f"select count(*) from {old_ref}").fetchone()[0]
        new_name = renames.get(name)
        new_columns, new_floats = new.get((schema, new_name or name), (None, []))
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
        missing = tuple(c for c in old_columns if c not in new_columns)
        within, largest_abs, largest_rel = False, None, None
        if float_tolerance and shared and new_rows == old_rows and not missing:
            floats = set(old_floats) & set(new_floats)
            if only_old or only_new:
                within, largest_abs, largest_rel = _paired_differences(
                    connection, old_ref, new_ref, shared, floats, float_tolerance
                )
            else:
                largest_abs = largest_rel = 0.0
        comparisons.append(
            RelationComparison(
                schema,
                name,
                old_rows,
                new_rows,
                rows_only_in_old=only_old,
                rows_only_in_new=only_new,
                added_columns=tuple(c for c in new_columns if c not in old_columns),
                missing_columns=missing,
                ignored_columns=ignored,
                new_name=new_name,
                float_tolerance=float_tolerance,
                within_tolerance=within,
                max_abs_difference=largest_abs,
                max_rel_difference=largest_rel,
            )
        )
    return comparisons
