"""The dbt Python models' steps, chained on pandas frames with a known answer."""

import duckdb
import numpy as np
import pandas as pd
import pytest

from customer_segmentation import kmeans, pipeline, quality

FEATURES = ["x", "y"]


def _blobs(sizes=(40, 25, 10), seed=0):
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    X = np.vstack([rng.normal(c, 0.3, size=(n, 2)) for c, n in zip(centres, sizes, strict=True)])
    truth = np.repeat(np.arange(1, len(sizes) + 1), sizes)
    order = rng.permutation(len(X))  # customers arrive in no particular order
    frame = pd.DataFrame(
        {"customer_id": np.arange(1, len(X) + 1), "x": X[order, 0], "y": X[order, 1]}
    )
    return frame, truth[order]


def _leaf_centroids(features, leaves):
    joined = leaves.merge(features, on="customer_id")
    grouped = joined.groupby("ward_leaf_id")
    out = grouped[FEATURES].mean()
    out.insert(0, "n_customers", grouped.size())
    return out.reset_index()


def _run(features, n_segments=3, **overrides):
    settings = {"exact_max_rows": 10_000, "n_micro_clusters": 20, "random_state": 0}
    settings.update(overrides)
    leaves = pipeline.ward_leaves(
        features, FEATURES, n_segments=n_segments, source="test", **settings
    )
    centroids = _leaf_centroids(features, leaves)
    merges = pipeline.ward_merges(centroids, FEATURES)
    leaf_segments = pipeline.ward_leaf_segments(merges, centroids, FEATURES, n_segments=n_segments)
    fit = pipeline.kmeans_fit(
        features,
        centroids,
        leaf_segments,
        FEATURES,
        n_segments=n_segments,
        random_state=0,
        n_init=5,
        max_iter=100,
        large_n_threshold=100_000,
        sample_size=1000,
        source="test",
    )
    assigned = pipeline.kmeans_assignments(features, fit, FEATURES)
    ward = leaves.merge(leaf_segments, on="ward_leaf_id").sort_values("customer_id")
    return leaves, merges, fit, assigned, ward


def test_both_methods_recover_the_blobs_with_ids_by_size():
    features, truth = _blobs()
    leaves, merges, fit, assigned, ward = _run(features)
    # Segment 1 is the largest blob, 3 the smallest: the stable-id rule.
    np.testing.assert_array_equal(assigned.sort_values("customer_id")["kmeans_segment_id"], truth)
    np.testing.assert_array_equal(ward["ward_segment_id"], truth)
    assert fit["customers"].tolist() == [40, 25, 10]
    assert len(merges) == len(features) - 1
    assert merges["size"].iloc[-1] == len(features)
    assert (leaves["ward_leaf_id"].sort_values().to_numpy() == np.arange(len(features))).all()


def test_two_stage_ward_labels_every_customer():
    features, truth = _blobs(sizes=(300, 200, 100))
    leaves, merges, _, _, ward = _run(features, exact_max_rows=100)
    assert leaves["ward_leaf_id"].nunique() <= 20
    assert len(merges) == leaves["ward_leaf_id"].nunique() - 1
    np.testing.assert_array_equal(ward["ward_segment_id"], truth)


def test_rows_arrive_in_key_order_whatever_the_input_order():
    features, _ = _blobs()
    shuffled = features.sample(frac=1.0, random_state=1)
    _, _, fit_a, assigned_a, _ = _run(features)
    _, _, fit_b, assigned_b, _ = _run(shuffled)
    pd.testing.assert_frame_equal(
        assigned_a.reset_index(drop=True), assigned_b.reset_index(drop=True)
    )
    assert fit_a["inertia"].iloc[0] == fit_b["inertia"].iloc[0]


def test_assignments_of_a_duckdb_table_stored_out_of_order_come_in_customer_order():
    """On DuckDB the features are read a column at a time in customer order: a table stored
    in another row order gives the rows, labels and distances of the frame path."""
    features, _ = _blobs()
    features = features.assign(customer_order=features["customer_id"])
    _, _, fit, expected, _ = _run(features)
    connection = duckdb.connect()
    connection.register("frame", features.sample(frac=1.0, random_state=2))
    connection.execute("create table features as select * from frame")
    assigned = pipeline.kmeans_assignments(connection.table("features"), fit, FEATURES)
    assert assigned["customer_order"].tolist() == sorted(features["customer_order"])
    pd.testing.assert_frame_equal(
        assigned.reset_index(drop=True),
        expected.sort_values("customer_order").reset_index(drop=True),
    )


def test_too_few_customers_names_the_source_and_numbers():
    features, _ = _blobs(sizes=(2, 2, 1))
    with pytest.raises(
        pipeline.SegmentationInputError, match="5 valid customers, fewer than n_segments = 8"
    ):
        _run(features, n_segments=8)


def test_too_few_distinct_customers():
    features = pd.DataFrame({"customer_id": range(1, 11), "x": [0.0] * 5 + [1.0] * 5, "y": 0.0})
    with pytest.raises(pipeline.SegmentationInputError, match="only 2 distinct customers"):
        _run(features, n_segments=3)


def test_count_distinct_rows_stops_early_when_enough():
    X = np.arange(200_000, dtype=float).reshape(-1, 2)
    assert pipeline.count_distinct_rows(X, enough=8) >= 8
    assert pipeline.count_distinct_rows(np.zeros((10, 2))) == 1


# --- int_kmeans_fit starts from int_k_selection's best centres at its k ---------------------


def _fit_inputs(n_segments=3):
    features, _ = _blobs()
    leaves = pipeline.ward_leaves(
        features, FEATURES, n_segments=n_segments, source="test", exact_max_rows=10_000,
        n_micro_clusters=20, random_state=0,
    )  # fmt: skip
    centroids = _leaf_centroids(features, leaves)
    merges = pipeline.ward_merges(centroids, FEATURES)
    leaf_segments = pipeline.ward_leaf_segments(merges, centroids, FEATURES, n_segments=n_segments)
    selection = pipeline.k_selection(
        features, centroids, merges, FEATURES, min_k=2, max_k=5, sample_size=1000,
        silhouette_sample_size=100, n_init=1, max_iter=100, random_state=0,
    )  # fmt: skip
    return features, centroids, leaf_segments, selection


def _fit(features, centroids, leaf_segments, selection, n_segments=3):
    return pipeline.kmeans_fit(
        features, centroids, leaf_segments, FEATURES, n_segments=n_segments, random_state=0,
        n_init=2, max_iter=100, large_n_threshold=100_000, sample_size=1000, source="test",
        k_selection_table=selection,
    )  # fmt: skip


@pytest.fixture
def spy_starts(monkeypatch):
    """Records the init_center_sets of every fit_best_kmeans call (and still runs it)."""
    calls = []
    real = kmeans.fit_best_kmeans

    def spy(X, n_clusters, **kwargs):
        calls.append([np.array(c) for c in kwargs["init_center_sets"]])
        return real(X, n_clusters, **kwargs)

    monkeypatch.setattr(kmeans, "fit_best_kmeans", spy)
    return calls


def test_kmeans_fit_starts_from_the_k_selection_row_of_its_k(spy_starts):
    features, centroids, leaf_segments, selection = _fit_inputs()
    spy_starts.clear()  # int_k_selection's own searches
    row = selection.loc[selection["n_clusters"] == 3, quality.CENTERS_COLUMN].item()
    # The other k's are never read: garbage there changes nothing.
    tampered = selection.copy()
    tampered.loc[tampered["n_clusters"] != 3, quality.CENTERS_COLUMN] = "not json"
    with_row = _fit(features, centroids, leaf_segments, tampered)
    (starts,) = spy_starts
    assert len(starts) == 2  # the Ward start first, then int_k_selection's centres at k = 3
    np.testing.assert_array_equal(starts[1], quality.centers_from_json(row, FEATURES, 3))
    without = _fit(features, centroids, leaf_segments, None)
    assert len(spy_starts[1]) == 1
    np.testing.assert_array_equal(spy_starts[1][0], starts[0])
    assert with_row["n_starts"].iloc[0] == without["n_starts"].iloc[0] + 1
    assert with_row["inertia"].iloc[0] <= without["inertia"].iloc[0]


def test_kmeans_fit_without_a_row_for_its_k_runs_as_before(spy_starts):
    features, centroids, leaf_segments, selection = _fit_inputs()
    spy_starts.clear()  # int_k_selection's own searches
    outside = selection[selection["n_clusters"] != 3]  # k outside the scored range
    frame = _fit(features, centroids, leaf_segments, outside)
    alone = _fit(features, centroids, leaf_segments, None)
    assert [len(starts) for starts in spy_starts] == [1, 1]
    pd.testing.assert_frame_equal(
        frame.drop(columns="fit_seconds"), alone.drop(columns="fit_seconds")
    )


def test_best_known_centres_read_duckdb_relations_and_pick_the_row_of_k():
    _, _, _, selection = _fit_inputs()
    with duckdb.connect() as connection:
        connection.register("k_selection_frame", selection)
        relation = connection.sql("select * from k_selection_frame order by n_clusters desc")
        for k in (2, 3, 5):
            centers = pipeline.best_known_centers(relation, FEATURES, k)
            expected = selection.loc[selection["n_clusters"] == k, quality.CENTERS_COLUMN].item()
            np.testing.assert_array_equal(centers, quality.centers_from_json(expected, FEATURES, k))
        assert pipeline.best_known_centers(relation, FEATURES, 8) is None
        nulled = connection.sql(
            "select * replace (case when n_clusters = 3 then null else best_centers_json end "
            "as best_centers_json) from k_selection_frame"
        )
        with pytest.raises(
            ValueError, match=r"best_centers_json \(row n_clusters = 3\) is missing"
        ):
            pipeline.best_known_centers(nulled, FEATURES, 3)
    assert pipeline.best_known_centers(None, FEATURES, 3) is None


def test_kmeans_fit_refuses_malformed_k_selection_centres():
    features, centroids, leaf_segments, selection = _fit_inputs()
    cases = {
        "wrong shape": (
            quality.centers_to_json(np.zeros((2, 2)), FEATURES),
            r"k_selection.best_centers_json \(row n_clusters = 3\): 'centers' has 2 row",
        ),
        "other features": (
            quality.centers_to_json(np.zeros((3, 2)), ["y", "x"]),
            "was written for features",
        ),
        "not finite": (
            '{"features":["x","y"],"centers":[[0,1],[2,3],[NaN,4]]}',
            "non-finite",
        ),
    }
    for value, message in cases.values():
        bad = selection.copy()
        bad.loc[bad["n_clusters"] == 3, quality.CENTERS_COLUMN] = value
        with pytest.raises(ValueError, match=message):
            _fit(features, centroids, leaf_segments, bad)
    with pytest.raises(ValueError, match="2 rows have n_clusters = 3"):
        _fit(features, centroids, leaf_segments, pd.concat([selection, selection]))
    with pytest.raises(ValueError, match="k_selection has no column best_centers_json"):
        _fit(features, centroids, leaf_segments, selection.drop(columns=quality.CENTERS_COLUMN))


def test_samples_drawn_in_duckdb_are_the_rows_of_the_full_fetch():
    """k_selection and segment_stability sample in DuckDB above their sample size: the rows
    (and so every figure) are the ones the full fetch would give."""
    import duckdb

    from customer_segmentation import pipeline

    rng = np.random.default_rng(3)
    n = 600
    frame = pd.DataFrame(
        {
            "customer_id": rng.permutation(n) + 1000,
            "customer_order": rng.permutation(n) + 1,
            "f1": rng.normal(size=n),
            "f2": rng.normal(size=n),
        }
    )
    frame["kmeans_segment_id"] = (frame["f1"] > 0).astype(np.int64) + 1
    connection = duckdb.connect()
    relation = connection.from_df(frame)
    features = ["f1", "f2"]
    sampled = pipeline._k_selection_sample(relation, features, 150, 9, None)
    expected = pipeline._k_selection_sample(frame, features, 150, 9, None)
    np.testing.assert_array_equal(sampled, expected)
    assignments = frame[["customer_id", "customer_order", "kmeans_segment_id"]]
    in_duckdb = pipeline.segment_stability(
        relation,
        connection.from_df(assignments),
        features,
        n_resamples=2,
        sample_size=150,
        random_state=9,
    )
    in_pandas = pipeline.segment_stability(
        frame, assignments, features, n_resamples=2, sample_size=150, random_state=9
    )
    pd.testing.assert_frame_equal(in_duckdb, in_pandas)
