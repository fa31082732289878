"""The dbt Python models' steps, chained on pandas frames with a known answer."""

import numpy as np
import pandas as pd
import pytest

from customer_segmentation import pipeline

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
