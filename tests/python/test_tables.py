import duckdb
import numpy as np
import pandas as pd
import pytest

from customer_segmentation.tables import fetch_matrix, parse_feature_list, parse_int


def test_parse_feature_list_accepts_text_and_lists():
    assert parse_feature_list("minutes_watched, clv") == ["minutes_watched", "clv"]
    assert parse_feature_list("['a', 'b']") == ["a", "b"]
    assert parse_feature_list(["a", " b "]) == ["a", "b"]
    with pytest.raises(ValueError, match="empty"):
        parse_feature_list(" , ")


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


def test_fetch_matrix_names_missing_columns():
    with pytest.raises(KeyError, match="nope"):
        fetch_matrix(pd.DataFrame({"customer_id": [1]}), ["nope"], "customer_id")
