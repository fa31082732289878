"""compare-builds: the row-for-row check that guards the default build."""

from __future__ import annotations

import duckdb
import pytest

from customer_segmentation.cli import main
from customer_segmentation.compare import compare_builds, parse_rename, read_renames


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


def test_a_renamed_relation_is_compared_under_its_new_name(tmp_path, capsys):
    _write(tmp_path / "old.duckdb", [(1, 10.5), (2, 3.0)])
    _write(tmp_path / "new.duckdb", [(2, 3.0), (1, 10.5)])
    with duckdb.connect(str(tmp_path / "new.duckdb")) as connection:
        connection.execute("alter table marts.dim_segments rename to mart_segments")
    old, new = str(tmp_path / "old.duckdb"), str(tmp_path / "new.duckdb")
    (missing,) = compare_builds(old, new)
    assert missing.new_rows is None and not missing.equal
    (renamed,) = compare_builds(old, new, renames={"dim_segments": "mart_segments"})
    assert renamed.equal and renamed.new_name == "mart_segments"
    assert main(["compare-builds", old, new, "--rename", "dim_segments=mart_segments"]) == 0
    assert "EQUAL    marts.dim_segments -> mart_segments: 2 rows" in capsys.readouterr().out
    # A rename to a relation with other rows is still a difference.
    with duckdb.connect(new) as connection:
        connection.execute("update marts.mart_segments set clv = 3.5 where segment_id = 2")
    assert main(["compare-builds", old, new, "--rename", "dim_segments=mart_segments"]) == 1


def test_renames_are_read_from_a_markdown_list(tmp_path):
    listing = tmp_path / "renames.md"
    listing.write_text(
        "# Renames\n\n| Old | New | Why |\n|---|---|---|\n"
        "| `dim_segments` | `mart_segments` | one convention |\n"
        "- `kmeans_fit` -> `int_kmeans_fit`\n"
        "customers_rejected -> mart_customers_rejected\n"
        "Prose with -> an arrow is not a rename.\n"
    )
    assert read_renames(listing) == {
        "dim_segments": "mart_segments",
        "kmeans_fit": "int_kmeans_fit",
        "customers_rejected": "mart_customers_rejected",
    }
    listing.write_text("a -> b\na -> c\n")
    with pytest.raises(ValueError, match="a is renamed twice"):
        read_renames(listing)
    assert parse_rename(" a = b ") == ("a", "b")
    with pytest.raises(ValueError, match="a rename is old=new"):
        parse_rename("a=b=c")


def test_a_float_tolerance_is_opt_in_and_reported_apart_from_exact_equality(tmp_path, capsys):
    _write(tmp_path / "old.duckdb", [(1, 10.5), (2, 0.3), (3, None)])
    # One ulp away in one row, another row order: not equal bit for bit.
    _write(tmp_path / "new.duckdb", [(3, None), (2, 0.30000000000000004), (1, 10.5)])
    old, new = str(tmp_path / "old.duckdb"), str(tmp_path / "new.duckdb")
    (exact,) = compare_builds(old, new)
    assert not exact.equal and not exact.accepted and not exact.within_tolerance
    assert main(["compare-builds", old, new]) == 1  # the default is exact
    assert "DIFFERS  marts.dim_segments" in capsys.readouterr().out

    (tolerant,) = compare_builds(old, new, float_tolerance=1e-12)
    assert not tolerant.equal and tolerant.within_tolerance and tolerant.accepted
    assert tolerant.max_abs_difference == pytest.approx(5.55e-17, rel=0.01)
    assert tolerant.max_rel_difference == pytest.approx(1.85e-16, rel=0.01)
    assert main(["compare-builds", old, new, "--float-tolerance", "1e-12"]) == 0
    output = capsys.readouterr().out
    assert (
        "WITHIN   marts.dim_segments: 3 rows; 1 rows only in old, 1 only in new; "
        "largest double difference 5.55e-17 (relative 1.85e-16; tolerance 1e-12)"
    ) in output
    assert "(0 exactly, 1 within relative tolerance 1e-12 on doubles)" in output

    # A tolerance smaller than the difference does not accept it.
    (strict,) = compare_builds(old, new, float_tolerance=1e-17)
    assert not strict.accepted
    assert main(["compare-builds", old, new, "--float-tolerance", "1e-17"]) == 1


def test_a_float_tolerance_never_excuses_other_columns_or_lost_rows(tmp_path):
    _write(tmp_path / "old.duckdb", [(1, 10.5), (2, 3.0)])
    _write(tmp_path / "new.duckdb", [(1, 10.5), (4, 3.0)])
    (other_key,) = compare_builds(
        tmp_path / "old.duckdb", tmp_path / "new.duckdb", float_tolerance=0.5
    )
    assert not other_key.accepted
    _write(tmp_path / "fewer.duckdb", [(1, 10.5)])
    (fewer,) = compare_builds(
        tmp_path / "old.duckdb", tmp_path / "fewer.duckdb", float_tolerance=0.5
    )
    assert not fewer.accepted and fewer.max_abs_difference is None
    (equal,) = compare_builds(tmp_path / "old.duckdb", tmp_path / "old.duckdb", float_tolerance=0.5)
    assert equal.equal and not equal.within_tolerance and equal.max_abs_difference == 0.0
    with pytest.raises(ValueError, match=r"float_tolerance must be a number in \[0, 1\)"):
        compare_builds(tmp_path / "old.duckdb", tmp_path / "old.duckdb", float_tolerance=-1)
