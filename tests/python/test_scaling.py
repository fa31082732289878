"""Large-n strategies through dbt, SQL scoring against the Python labels, and the benchmark.

The large-n paths (two-stage Ward, sampled k-means) are forced on a few thousand generated
customers by lowering their thresholds through vars, so they run in seconds.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from customer_segmentation import benchmark
from customer_segmentation.generator import write_customers
from customer_segmentation.hierarchical import cut_linkage, ward_linkage
from customer_segmentation.kmeans import STRATEGY_SAMPLE, assign_nearest

pytestmark = pytest.mark.integration

N_GENERATED = 8_000
LARGE_N_VARS = {
    "ward_exact_max_rows": 2_000,
    "ward_n_micro_clusters": 400,
    "ward_micro_sample_size": 4_000,
    "kmeans_large_n_threshold": 5_000,
    "kmeans_sample_size": 3_000,
    "kmeans_n_init": 3,
}
FEATURES_SQL = (
    "select * exclude (customer_id, customer_order) from intermediate.int_customer_features_scaled "
    "order by customer_id"
)


def _matrix(result, sql: str) -> np.ndarray:
    import duckdb

    with duckdb.connect(str(result.database), read_only=True) as connection:
        columns = connection.sql(sql).fetchnumpy()
    return np.column_stack([np.asarray(values, dtype=np.float64) for values in columns.values()])


@pytest.fixture(scope="module")
def large_n_build(tmp_path_factory):
    """One dbt build of generated Parquet customers with every large-n strategy forced."""
    from conftest import run_dbt

    work_dir = tmp_path_factory.mktemp("large_n")
    path = work_dir / "customers.parquet"
    write_customers(path, N_GENERATED, random_state=3, fmt="parquet")
    variables = {"customers_path": str(path), **LARGE_N_VARS}
    result = run_dbt(["build", "--vars", json.dumps(variables)], work_dir / "db.duckdb", work_dir)
    assert result.returncode == 0, result.output[-5000:]
    return result


def test_large_n_build_reports_its_strategies(large_n_build):
    assert "two-stage (" in large_n_build.output
    strategies = large_n_build.query(
        "select distinct search_strategy from intermediate.int_kmeans_fit"
    )
    assert strategies == [(STRATEGY_SAMPLE,)]


def test_two_stage_ward_labels_every_customer(large_n_build):
    valid = large_n_build.query("select count(*) from intermediate.int_customers_cleaned")[0][0]
    assert valid > 0.95 * N_GENERATED
    labelled = large_n_build.query(
        "select count(*), count(ward_segment_id), count(distinct ward_segment_id), "
        "count(kmeans_segment_id) from marts.mart_customer_segments"
    )
    assert labelled == [(valid, valid, 8, valid)]
    n_leaves = large_n_build.query("select count(*) from intermediate.int_ward_leaf_centroids")
    assert 8 < n_leaves[0][0] <= LARGE_N_VARS["ward_n_micro_clusters"]


def test_two_stage_ward_agrees_with_exact_ward(large_n_build):
    """ARI of the build's two-stage Ward segments against exact Ward on the same customers."""
    X = _matrix(large_n_build, FEATURES_SQL)
    exact = cut_linkage(ward_linkage(X), 8)
    two_stage = large_n_build.query(
        "select ward_segment_id from marts.mart_customer_segments order by customer_id"
    )
    assert adjusted_rand_score(exact, [row[0] for row in two_stage]) >= 0.9


def test_sql_scoring_equals_python_labels_on_large_n_build(large_n_build):
    disagreements = large_n_build.query(
        "select count(*) from intermediate.int_kmeans_assignments as py "
        "full outer join marts.mart_scored_customers as sql using (customer_id) "
        "where py.kmeans_segment_id is distinct from sql.kmeans_segment_id"
    )
    assert disagreements == [(0,)]


def test_sql_scoring_equals_assign_nearest_recomputed(embedded_build):
    """Independent check: numpy's nearest centre on the scaled features = the SQL labels."""
    X = _matrix(embedded_build, FEATURES_SQL)
    features = [
        row[0]
        for row in embedded_build.query(
            "select feature_name from intermediate.int_feature_scaler order by feature_position"
        )
    ]
    centers = _matrix(
        embedded_build,
        "select "
        + ", ".join(f"center_{f}" for f in features)
        + " from intermediate.int_kmeans_fit order by kmeans_segment_id",
    )
    sql_labels = embedded_build.query(
        "select kmeans_segment_id from marts.mart_scored_customers order by customer_id"
    )
    expected = assign_nearest(X, centers) + 1
    np.testing.assert_array_equal(np.array([row[0] for row in sql_labels]), expected)


def test_score_customers_on_a_new_table(embedded_build, tmp_path):
    """An analyst's table: text or numbers, own column names, bad rows kept with a reason."""
    from conftest import run_dbt

    new_customers = (
        "(select * from (values "
        "(101, '3197', 205.42, 2, 4), "  # customer 1 of the seed, minutes as text
        "(102, null, 149.99, 0, 1), "  # blank minutes count as 0
        "(103, '-5', 10.0, 1, 2), "
        "(104, '12', null, 1, 2), "
        "(105, '12', 10.0, 7, 2)"
        ") as t(account_id, minutes_watched, lifetime_value, region, channel))"
    )
    inline = (
        "select customer_id, kmeans_segment_id, segment_name, scoring_issue from "
        f"{{{{ score_customers(\"{new_customers}\", customer_id='account_id', "
        "clv='lifetime_value') }} order by customer_id"
    )
    result = run_dbt(
        ["show", "--inline", inline, "--output", "json", "--log-format", "text"],
        embedded_build.database,
        tmp_path,
    )
    assert result.returncode == 0, result.output[-3000:]
    shown = json.loads(result.output[result.output.index("{") : result.output.rindex("}") + 1])
    rows = {row["customer_id"]: row for row in shown["show"]}
    seed_customer_one = embedded_build.query(
        "select kmeans_segment_id from marts.mart_customer_segments where customer_id = 1"
    )[0][0]
    assert rows[101]["kmeans_segment_id"] == seed_customer_one
    assert rows[101]["scoring_issue"] is None and rows[101]["segment_name"]
    assert rows[102]["kmeans_segment_id"] is not None
    assert rows[103]["kmeans_segment_id"] is None
    # The same row rules as the build's input (macro customer_row_rules).
    assert rows[103]["scoring_issue"] == "minutes_watched is negative: -5"
    assert rows[104]["scoring_issue"] == "CLV is blank"
    assert rows[105]["scoring_issue"] == (
        "region '7' is not a code, name or slug of seed region_codes "
        "(add a line to seeds/region_codes.csv)"
    )


def test_benchmark_report_names_goals_and_figures():
    summary = {
        "rows": 1_000_000,
        "input": "test",
        "wall_seconds": 14.0,
        "peak_rss_gib": 1.5,
        "cpu_seconds": 45.0,
        "cpus": 2,
        "load_average": (1.0, 1.0, 1.0),
        "dbt_elapsed_seconds": 10.0,
        "sql_scoring_seconds": 1.0,
        "scored_rows": 1_000_000,
        "nodes": {"model.customer_segmentation.int_ward_leaves": 9.0, "test.p.unique_x": 1.0},
        "log_lines": [],
        "floors": {
            "dbt_startup_seconds": 3.5,
            "dbt_startup_rss_gib": 0.25,
            "read_encode_seconds": 0.2,
            "lloyd_pass_seconds": 0.01,
            "feature_matrix_gib": 0.1,
        },
    }
    text = benchmark.report(summary)
    assert "9.00  model int_ward_leaves" in text
    assert "peak memory (max RSS of dbt): 1.50 GiB" in text
    # Each goal of the size with its figure, verdict and floor.
    assert "goal: 1M customers, full dbt build 14.00 s <= 15 s -> MET (floor 3.7 s" in text
    assert "goal: 1M customers, peak memory 1.50 GiB <= 1 GiB -> NOT MET (floor 0.35 GiB" in text
    assert "10M" not in text
    # The performance table's row: as many cells as the table in docs/scaling.md has columns.
    row = benchmark.table_row(summary)
    header = next(
        line
        for line in (benchmark.PROJECT_ROOT / "docs" / "scaling.md").read_text().splitlines()
        if line.startswith("| customers |")
    )
    assert row.startswith("| 1,000,000 | 14.0 s | 45.0 s | 1.50 GiB |")
    assert row.count("|") == header.count("|")
    summary.update(rows=3834, embedded=True, wall_seconds=9.0)
    assert "goal: embedded warm dbt build 9.00 s <= 8 s -> NOT MET" in benchmark.report(summary)


def test_assign_nearest_returns_the_squared_distance_it_used():
    rng = np.random.default_rng(0)
    X, centers = rng.normal(size=(20_000, 5)), rng.normal(size=(6, 5))
    labels, squared = assign_nearest(X, centers, return_distance=True)
    np.testing.assert_array_equal(labels, assign_nearest(X, centers))
    brute = ((X[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)
    np.testing.assert_array_equal(labels, brute.argmin(axis=1))
    np.testing.assert_allclose(squared, brute.min(axis=1), rtol=1e-12)
