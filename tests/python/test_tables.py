import duckdb
import numpy as np
import pandas as pd
import pytest

from customer_segmentation.tables import (
    customer_order_column,
    fetch_columns_unsorted,
    fetch_matrix,
    parse_int,
    read_feature_names,
    stack_columns,
)


def test_feature_names_come_from_the_scaler_in_position_order():
    scaler = pd.DataFrame({"feature_position": [2, 1], "feature_name": ["clv", "minutes_watched"]})
    assert read_feature_names(scaler) == ["minutes_watched", "clv"]
    with pytest.raises(ValueError, match="int_feature_scaler has no features"):
        read_feature_names(scaler.iloc[:0])


def test_customers_are_ordered_by_customer_order_when_the_table_has_it():
    keyed = pd.DataFrame({"customer_id": ["b", "a"], "customer_order": [1, 2], "x": [1.0, 2.0]})
    assert customer_order_column(keyed) == "customer_order"
    ids, X = fetch_matrix(keyed, ["x"], customer_order_column(keyed), key="customer_id")
    assert list(ids) == ["b", "a"] and X[:, 0].tolist() == [1.0, 2.0]
    assert customer_order_column(keyed.drop(columns="customer_order")) == "customer_id"


@pytest.mark.parametrize("value", ["abc", "2.5", "nan"])
def test_parse_int_rejects_non_whole_numbers(value):
    with pytest.raises(ValueError, match="var n_segments must be a whole number"):
        parse_int(value, "n_segments")


def test_parse_int_checks_the_minimum():
    assert parse_int("8", "n_segments", minimum=1) == 8
    with pytest.raises(ValueError, match="var n_segments must be at least 1, got 0"):
        parse_int("0", "n_segments", minimum=1)


def test_fetch_matrix_sorts_by_key_for_pandas_and_duckdb():
    frame = pd.DataFrame({"customer_id": [3, 1, 2], "a": [30.0, 10.0, 20.0], "b": [3, 1, 2]})
    keys, X = fetch_matrix(frame, ["b", "a"], "customer_id")
    assert keys.tolist() == [1, 2, 3]
    np.testing.assert_array_equal(X, [[1, 10], [2, 20], [3, 30]])
    assert X.dtype == np.float64 and X.flags.c_contiguous
    connection = duckdb.connect()
    relation = connection.from_df(frame)
    keys_db, X_db = fetch_matrix(relation, ["b", "a"], "customer_id")
    assert keys_db.tolist() == [1, 2, 3]
    np.testing.assert_array_equal(X_db, X)


@pytest.mark.parametrize("order_type", ["bigint", "integer", "double"])
def test_fetch_matrix_of_a_duckdb_table_in_another_row_order_equals_the_sorted_fetch(order_type):
    """An integer order is fetched a column at a time, unsorted, and sorted in numpy; any
    other order type in DuckDB. Either way: the rows of DuckDB's sort, text keys included."""
    rng = np.random.default_rng(8)
    n = 5000
    frame = pd.DataFrame(
        {
            "customer_id": [f"id-{i:05d}" for i in rng.permutation(n)],
            "customer_order": rng.permutation(n) + 1,
            "x": rng.normal(size=n),
            "flag": rng.integers(0, 2, n),
        }
    )
    connection = duckdb.connect()
    connection.register("frame", frame)
    connection.execute(
        f"create table customers as select customer_id, "
        f"cast(customer_order as {order_type}) as customer_order, x, flag from frame"
    )
    relation = connection.table("customers")
    keys, X = fetch_matrix(relation, ["x", "flag"], "customer_order", key="customer_id")
    expected = frame.sort_values("customer_order")
    assert keys.tolist() == expected["customer_id"].tolist()
    np.testing.assert_array_equal(X, expected[["x", "flag"]].to_numpy(dtype=np.float64))
    assert X.dtype == np.float64 and X.flags.c_contiguous
    # The key as the order: the ids sorted, one column of them.
    ids, only = fetch_matrix(relation, ["customer_order"], "customer_order")
    assert ids.tolist() == sorted(frame["customer_order"].tolist())
    assert only[:, 0].tolist() == [float(v) for v in ids]


def test_fetch_matrix_names_missing_columns():
    with pytest.raises(KeyError, match="nope"):
        fetch_matrix(pd.DataFrame({"customer_id": [1]}), ["nope"], "customer_id")


@pytest.mark.parametrize("n_rows", [0, 1, 4095, 4096, 4097, 10_001])
def test_stack_columns_equals_column_stack_across_block_edges(n_rows):
    rng = np.random.default_rng(n_rows)
    columns = [rng.normal(size=n_rows), rng.integers(0, 9, size=n_rows), rng.random(n_rows)]
    X = stack_columns(columns)
    assert X.shape == (n_rows, 3) and X.dtype == np.float64 and X.flags.c_contiguous
    np.testing.assert_array_equal(X, np.column_stack(columns).astype(np.float64))


def test_stack_columns_rejects_columns_of_different_lengths():
    with pytest.raises(ValueError, match="columns of different shapes"):
        stack_columns([np.zeros(3), np.zeros(4)])


def test_fetch_columns_unsorted_returns_every_row_aligned():
    frame = pd.DataFrame({"customer_id": [3, 1, 2], "a": [30.0, 10.0, 20.0]})
    relation = duckdb.connect().from_df(frame)
    for table in (frame, relation):
        fetched = fetch_columns_unsorted(table, ["customer_id", "a"])
        assert sorted(zip(fetched["customer_id"].tolist(), fetched["a"].tolist(), strict=True)) == [
            (1, 10.0),
            (2, 20.0),
            (3, 30.0),
        ]
