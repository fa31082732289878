"""End to end: `dbt build` on the embedded data and on malformed files."""

from __future__ import annotations

import csv

import pytest

from conftest import SEED_CSV

pytestmark = pytest.mark.integration

MARTS = [
    "mart_customer_segments",
    "mart_segments",
    "mart_segment_region_channel",
    "mart_region_channel_performance",
    "mart_segment_centroids",
    "mart_ward_dendrogram",
    "mart_customers_rejected",
]


def test_embedded_build_segments_every_customer(embedded_build):
    rows, first_id, last_id, total_clv = embedded_build.query(
        "select count(*), min(customer_id), max(customer_id), round(sum(clv), 2) "
        "from marts.mart_customer_segments"
    )[0]
    assert (rows, first_id, last_id) == (3834, 1, 3834)
    assert total_clv == pytest.approx(453883.95, abs=0.005)
    assert embedded_build.query("select count(*) from marts.mart_customers_rejected") == [(0,)]


def test_customer_one_is_the_files_first_row(embedded_build):
    first = embedded_build.query(
        "select minutes_watched, clv, region, channel, region_name, channel_name "
        "from marts.mart_customer_segments where customer_id = 1"
    )
    assert first == [(3197.0, 205.42, 2, 4, "Rest of the World", "LinkedIn")]


def test_blank_minutes_become_zero_and_are_flagged(embedded_build):
    blank = embedded_build.query(
        "select count(*), max(minutes_watched) from marts.mart_customer_segments "
        "where minutes_watched_was_blank"
    )
    assert blank == [(109, 0.0)]


def test_eight_segments_per_method(embedded_build):
    counts = embedded_build.query(
        "select count(distinct kmeans_segment_id), count(distinct ward_segment_id), "
        "count(distinct kmeans_segment_name), count(distinct ward_segment_name) "
        "from marts.mart_customer_segments"
    )
    assert counts == [(8, 8, 8, 8)]
    per_method = embedded_build.query(
        "select segmentation_method, count(*), sum(customers) from marts.mart_segments "
        "group by 1 order by 1"
    )
    assert per_method == [("kmeans", 8, 3834), ("ward", 8, 3834)]


def test_every_mart_exists_and_has_rows(embedded_build):
    for mart in MARTS[:-1]:
        assert embedded_build.query(f"select count(*) > 0 from marts.{mart}") == [(True,)], mart


def test_region_channel_performance_covers_every_combination(embedded_build):
    rows = embedded_build.query(
        "select count(*), sum(customers), min(rank_in_region) "
        "from marts.mart_region_channel_performance"
    )
    assert rows == [(24, 3834, 1)]
    # The classic finding: YouTube brings the most customers in USA/Canada/UK/Australia.
    top = embedded_build.query(
        "select channel_name from marts.mart_region_channel_performance "
        "where region = 0 and rank_in_region = 1"
    )
    assert top == [("YouTube",)]


def test_ward_dendrogram_is_the_full_merge_table(embedded_build):
    merges, top_size, cut = embedded_build.query(
        "select count(*), max(customers), count(*) filter (where is_above_cut) "
        "from marts.mart_ward_dendrogram"
    )[0]
    assert (merges, top_size, cut) == (3833, 3834, 7)


def test_centroids_in_original_units_match_segment_means(embedded_build):
    # The k-means centre of CLV in original units is the segment's mean CLV.
    gaps = embedded_build.query(
        """
        select max(abs(c.center_original_units - d.mean_clv))
        from marts.mart_segment_centroids c
        join marts.mart_segments d using (segmentation_method, segment_id)
        where c.feature_name = 'clv'
        """
    )
    assert gaps[0][0] < 1e-6


def _write_seed_copy(path, edits: dict[int, list[str]] | None = None, drop_column=None):
    with open(SEED_CSV, newline="") as source:
        rows = list(csv.reader(source))
    for row_number, values in (edits or {}).items():
        rows[row_number] = values
    if drop_column is not None:
        index = rows[0].index(drop_column)
        rows = [row[:index] + row[index + 1 :] for row in rows]
    with open(path, "w", newline="") as target:
        csv.writer(target).writerows(rows)
    return path


def test_bad_rows_are_quarantined_and_the_rest_segmented(dbt_runner, tmp_path):
    path = _write_seed_copy(
        tmp_path / "customers.csv",
        edits={5: ["-5", "100", "1", "2"], 10: ["100", "50", "1", "9"]},
    )
    result = dbt_runner(["build", "--vars", f"{{customers_path: '{path}'}}"])
    assert result.returncode == 0, result.output[-5000:]
    rejected = result.query(
        "select customer_id, rejection_reason from marts.mart_customers_rejected order by 1"
    )
    assert rejected == [
        (5, "minutes_watched is negative: -5"),
        (
            10,
            "channel '9' is not a code, name or slug of seed channel_codes "
            "(add a line to seeds/channel_codes.csv)",
        ),
    ]
    assert result.query("select count(*) from marts.mart_customer_segments") == [(3832,)]


def test_missing_column_fails_and_names_it(dbt_runner, tmp_path):
    path = _write_seed_copy(tmp_path / "no_channel.csv", drop_column="channel")
    result = dbt_runner(["build", "--vars", f"{{customers_path: '{path}'}}"])
    assert result.returncode != 0
    assert f"customers input file '{path}' has no column \"channel\"" in result.output


def test_missing_file_fails_and_names_it(dbt_runner, tmp_path):
    path = tmp_path / "nowhere.csv"
    result = dbt_runner(
        ["run", "--select", "base_customers", "--vars", f"{{customers_path: '{path}'}}"]
    )
    assert result.returncode != 0
    assert f"customers file '{path}' does not exist" in result.output


def test_fewer_customers_than_segments_fails_with_the_numbers(dbt_runner, tmp_path):
    path = tmp_path / "five.csv"
    path.write_text(
        "minutes_watched,CLV,region,channel\n1,1,0,1\n2,2,1,2\n3,3,2,3\n4,4,0,4\n5,5,1,5\n"
    )
    result = dbt_runner(["build", "--vars", f"{{customers_path: '{path}'}}"])
    assert result.returncode != 0
    assert "5 valid customers, fewer than n_segments = 8" in result.output
    assert str(path) in result.output


def test_parquet_input_with_other_column_order_and_extra_columns(dbt_runner, tmp_path):
    import duckdb

    path = tmp_path / "customers.parquet"
    with duckdb.connect() as connection:
        connection.sql(
            f"""
            copy (
                select channel, 'ignored' as note, CLV, region, minutes_watched
                from read_csv('{SEED_CSV}') with ordinality
                order by ordinality
            ) to '{path}'
            """
        )
    result = dbt_runner(["build", "--vars", f"{{customers_path: '{path}'}}"])
    assert result.returncode == 0, result.output[-5000:]
    assert result.query(
        "select count(*), round(sum(clv), 2), count(*) filter (where minutes_watched_was_blank) "
        "from marts.mart_customer_segments"
    ) == [(3834, 453883.95, 109)]
    assert result.query(
        "select minutes_watched, clv, region, channel from marts.mart_customer_segments "
        "where customer_id = 1"
    ) == [(3197.0, 205.42, 2, 4)]
