"""compare-builds: the row-for-row check that guards the default build."""

from __future__ import annotations

import duckdb

from customer_segmentation.cli import main
from customer_segmentation.compare import compare_builds


def _write(path, rows, extra_column=False):
    with duckdb.connect(str(path)) as connection:
        connection.execute("create schema marts")
        columns = "segment_id integer, clv double" + (", note varchar" if extra_column else "")
        connection.execute(f"create table marts.dim_segments ({columns})")
        for row in rows:
            values = (*row, "x") if extra_column else row
            placeholders = ", ".join("?" for _ in values)
            connection.execute(f"insert into marts.dim_segments values ({placeholders})", values)


def test_equal_builds_in_another_row_order_and_with_new_columns(tmp_path):
    _write(tmp_path / "old.duckdb", [(1, 10.5), (2, None), (2, None)])
    _write(tmp_path / "new.duckdb", [(2, None), (1, 10.5), (2, None)], extra_column=True)
    (comparison,) = compare_builds(tmp_path / "old.duckdb", tmp_path / "new.duckdb")
    assert comparison.equal
    assert comparison.added_columns == ("note",)
    assert main(["compare-builds", str(tmp_path / "old.duckdb"), str(tmp_path / "new.duckdb")]) == 0


def test_a_changed_value_a_lost_duplicate_and_a_missing_relation_are_found(tmp_path, capsys):
    _write(tmp_path / "old.duckdb", [(1, 10.5), (2, 3.0), (2, 3.0)])
    _write(tmp_path / "new.duckdb", [(1, 10.500000000000002), (2, 3.0)])
    (comparison,) = compare_builds(tmp_path / "old.duckdb", tmp_path / "new.duckdb")
    assert not comparison.equal
    assert (comparison.rows_only_in_old, comparison.rows_only_in_new) == (2, 1)
    with duckdb.connect(str(tmp_path / "old.duckdb")) as connection:
        connection.execute("create table marts.gone as select 1 as x")
    assert main(["compare-builds", str(tmp_path / "old.duckdb"), str(tmp_path / "new.duckdb")]) == 1
    output = capsys.readouterr().out
    assert "MISSING  marts.gone" in output
    assert "DIFFERS  marts.dim_segments" in output
