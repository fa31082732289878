"""The on-run-start hook rename_kept_tables: an old warehouse keeps its model versions.

A build made before the mart renames (docs/renames.md) holds its kept history tables under the
old names. The hook renames each to its new name before anything runs, so the next build
continues that history instead of starting a new one beside it.
"""

from __future__ import annotations

import re

import duckdb

from conftest import PROJECT_ROOT, copy_database, run_dbt

MACRO = PROJECT_ROOT / "macros" / "segmentation_history.sql"
RENAMES_DOC = PROJECT_ROOT / "docs" / "renames.md"
#: Columns a rebuild writes afresh in the kept version row (when it ran, which dbt run).
RUN_COLUMNS = {"fitted_at", "dbt_invocation_id"}


def _hook_renames() -> dict[str, str]:
    """The old -> new names the macro rename_kept_tables renames."""
    text = MACRO.read_text()
    body = text[text.index("macro rename_kept_tables") :]
    body = body[: body.index("endmacro")]
    return dict(re.findall(r"'(\w+)': '(mart_\w+)'", body))


def _documented_renames() -> dict[str, str]:
    rows = re.findall(r"^\| `(\w+)` \| `(\w+)` \|", RENAMES_DOC.read_text(), re.M)
    return dict(rows)


def test_the_hook_renames_every_kept_table_as_documented():
    hook = _hook_renames()
    assert len(hook) == 7
    documented = _documented_renames()
    assert {old: documented.get(old) for old in hook} == hook
    # Every new name is a kept history mart (macro kept_table: never rebuilt by dbt).
    for new in hook.values():
        sql = (PROJECT_ROOT / "models" / "marts" / "history" / f"{new}.sql").read_text()
        assert "{{ kept_table(" in sql, new


def _tables(database) -> set[str]:
    with duckdb.connect(str(database), read_only=True) as connection:
        rows = connection.sql(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()
    return {name for (name,) in rows}


def _rows(connection, table: str) -> list[tuple]:
    columns = [
        name
        for (name,) in connection.execute(
            "select column_name from information_schema.columns "
            "where table_schema = 'marts' and table_name = ? order by ordinal_position",
            [table],
        ).fetchall()
        if name not in RUN_COLUMNS
    ]
    select = ", ".join(f'"{c}"' for c in columns)
    return sorted(connection.execute(f"select {select} from marts.{table}").fetchall(), key=repr)


def test_an_old_warehouse_keeps_its_history_under_the_new_names_and_a_rerun_is_a_no_op(
    embedded_build, tmp_path
):
    renames = _hook_renames()
    # The warehouse starts as a copy of the session's default build (its history included).
    database = tmp_path / "warehouse.duckdb"
    copy_database(embedded_build.database, database)

    # Make it a warehouse of before the renames, with an earlier snapshot in its history.
    with duckdb.connect(str(database)) as connection:
        connection.execute(
            "insert into marts.mart_customer_segment_history "
            "select * replace (snapshot_date - interval 30 day as snapshot_date) "
            "from marts.mart_customer_segment_history"
        )
        for old, new in renames.items():
            connection.execute(f"alter table marts.{new} rename to {old}")
        before = {new: _rows(connection, old) for old, new in renames.items()}
    assert not set(renames.values()) & _tables(database)

    second = run_dbt(["build"], database, tmp_path / "second")
    assert second.returncode == 0, second.output[-5000:]
    for new in renames.values():
        assert f"renamed to {new} (docs/renames.md)" in second.output, new
    tables = _tables(database)
    assert not set(renames) & tables, "an old name is still there"
    with duckdb.connect(str(database), read_only=True) as connection:
        after = {new: _rows(connection, new) for new in renames.values()}
        snapshots = connection.execute(
            "select count(distinct snapshot_date), count(*) "
            "from marts.mart_customer_segment_history"
        ).fetchone()
    for new, rows in before.items():
        kept = set(after[new])
        lost = [row for row in rows if row not in kept]
        assert not lost, f"{new} lost {len(lost)} of its {len(rows)} rows, e.g. {lost[:1]}"
    # The earlier snapshot survived beside the rebuild's own one (3,834 customers each).
    assert snapshots == (2, 2 * 3834)

    # Again, now with a stray table under an old name beside its new one: nothing is renamed,
    # neither table is touched.
    with duckdb.connect(str(database)) as connection:
        connection.execute(
            "create table marts.segment_lineage as select * from marts.mart_segment_lineage"
        )
    third = run_dbt(["run", "--select", "int_segmentation_settings"], database, tmp_path / "third")
    assert third.returncode == 0, third.output[-5000:]
    assert "renamed to" not in third.output
    with duckdb.connect(str(database), read_only=True) as connection:
        assert {new: _rows(connection, new) for new in renames.values()} == after
        assert _rows(connection, "segment_lineage") == after["mart_segment_lineage"]
