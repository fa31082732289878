"""Choosing k, the auto rule and bootstrap stability, on data with a known answer."""

import json

import numpy as np
import pandas as pd
import pytest

from customer_segmentation import hierarchical, kmeans, pipeline, quality
from customer_segmentation.tables import parse_n_segments


def _blobs(n_blobs=4, per_blob=60, spread=0.4, seed=0):
    """Well-separated Gaussian blobs on a circle of radius 10; returns X and 1-based truth."""
    rng = np.random.default_rng(seed)
    angles = np.linspace(0, 2 * np.pi, n_blobs, endpoint=False)
    centres = 10 * np.column_stack([np.cos(angles), np.sin(angles)])
    X = np.vstack([rng.normal(c, spread, size=(per_blob, 2)) for c in centres])
    return X, np.repeat(np.arange(1, n_blobs + 1), per_blob)


# --- knee_point ----------------------------------------------------------------------------


def test_knee_of_a_curve_that_flattens_after_three():
    k = [1, 2, 3, 4, 5, 6]
    inertia = [100, 60, 20, 17, 15, 13]
    assert quality.knee_point(k, inertia) == 3


def test_knee_does_not_depend_on_units():
    k = [2, 3, 4, 5, 6, 7]
    inertia = np.array([50, 30, 12, 10, 9, 8.5])
    assert quality.knee_point(k, inertia) == quality.knee_point(k, inertia * 1e6) == 4


def test_knee_of_a_straight_line_or_short_curve_is_the_first_point():
    assert quality.knee_point([2, 3, 4], [3, 2, 1]) == 2
    assert quality.knee_point([2, 3], [10, 1]) == 2
    assert quality.knee_point([5, 6, 7], [1, 1, 1]) == 5


def test_knee_rejects_mismatched_input():
    with pytest.raises(ValueError, match="same, non-zero length"):
        quality.knee_point([1, 2, 3], [1, 2])


# --- k_selection_table and the auto rule -------------------------------------------------------


@pytest.fixture(scope="module")
def four_blobs_table():
    X, _ = _blobs()
    Z = hierarchical.ward_linkage(X)
    return quality.k_selection_table(X, Z, range(2, 9), random_state=0, silhouette_sample_size=500)


def test_every_criterion_finds_four_well_separated_blobs(four_blobs_table):
    table = four_blobs_table
    assert table["n_clusters"].tolist() == list(range(2, 9))
    favourite = dict(zip(table["n_clusters"], table["favoured_by"], strict=True))
    for criterion in quality.CRITERIA:
        assert criterion in favourite[4], (criterion, favourite)
    assert quality.choose_k(table) == 4
    assert table.loc[table["is_elbow"], "n_clusters"].tolist() == [4]


def test_k_selection_inertia_decreases_and_scores_are_in_range(four_blobs_table):
    table = four_blobs_table
    assert (np.diff(table["inertia"]) < 0).all()
    assert table["silhouette"].between(-1, 1).all()
    assert (table["davies_bouldin"] >= 0).all()
    assert (table["n_starts_at_best"] >= 1).all()


def test_k_selection_rejects_k_below_two():
    X, _ = _blobs()
    with pytest.raises(ValueError, match="at least 2"):
        quality.k_selection_table(
            X, hierarchical.ward_linkage(X), [1, 2], random_state=0, silhouette_sample_size=100
        )


def test_favoured_ties_go_to_the_smaller_k_and_nan_is_ignored():
    ks = np.array([2, 3, 4])
    assert quality._favoured(ks, np.array([1.0, 5.0, 5.0]), higher_is_better=True) == 3
    assert quality._favoured(ks, np.array([np.nan, 2.0, 1.0]), higher_is_better=False) == 4
    assert quality._favoured(ks, np.array([np.nan] * 3), higher_is_better=True) is None


def test_parse_n_segments_accepts_auto_and_whole_numbers():
    assert parse_n_segments("auto") is None
    assert parse_n_segments(" AUTO ") is None
    assert parse_n_segments("8") == 8
    with pytest.raises(ValueError, match=r"at least 1, got 0.*\(or 'auto'\)"):
        parse_n_segments("0")
    with pytest.raises(ValueError, match="var n_segments must be a whole number"):
        parse_n_segments("eight")


def _pipeline_inputs(X):
    features = pd.DataFrame({"customer_id": np.arange(1, len(X) + 1), "x": X[:, 0], "y": X[:, 1]})
    leaves = pd.DataFrame({"ward_leaf_id": np.arange(len(X)), "n_customers": 1})
    leaves["x"], leaves["y"] = X[:, 0], X[:, 1]
    merges = hierarchical.linkage_to_frame(hierarchical.ward_linkage(X))
    return features, leaves, merges


def test_pipeline_k_selection_samples_and_marks_one_auto_choice():
    X, _ = _blobs(n_blobs=3, per_blob=200)
    features, leaves, merges = _pipeline_inputs(X)
    settings = dict(
        min_k=2, max_k=6, silhouette_sample_size=150, n_init=2, max_iter=100, random_state=3
    )
    table = pipeline.k_selection(features, leaves, merges, ["x", "y"], sample_size=300, **settings)
    assert table["sample_rows"].unique().tolist() == [300]
    assert table["silhouette_sample_rows"].unique().tolist() == [150]
    assert table["is_auto_choice"].sum() == 1
    assert table.loc[table["is_auto_choice"], "n_clusters"].item() == 3
    again = pipeline.k_selection(features, leaves, merges, ["x", "y"], sample_size=300, **settings)
    pd.testing.assert_frame_equal(table, again)


def test_pipeline_k_selection_clips_the_range_to_distinct_customers():
    X = np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 0.0], [5.0, 5.0], [5.0, 6.0]])
    features, leaves, merges = _pipeline_inputs(X)
    table = pipeline.k_selection(
        features, leaves, merges, ["x", "y"], min_k=2, max_k=12, sample_size=100,
        silhouette_sample_size=100, n_init=1, max_iter=50, random_state=0,
    )  # fmt: skip
    assert table["n_clusters"].tolist() == [2, 3, 4]
    with pytest.raises(pipeline.SegmentationInputError, match="k range 5..4"):
        pipeline.k_selection(
            features, leaves, merges, ["x", "y"], min_k=5, max_k=4, sample_size=100,
            silhouette_sample_size=100, n_init=1, max_iter=50, random_state=0,
        )  # fmt: skip


# --- best_centers_json: what int_k_selection keeps for int_kmeans_fit -----------------------


def test_k_selection_keeps_each_k_best_centres_exactly():
    X, _ = _blobs(n_blobs=3, per_blob=80)
    features, leaves, merges = _pipeline_inputs(X)
    table = pipeline.k_selection(
        features, leaves, merges, ["x", "y"], min_k=2, max_k=5, sample_size=1000,
        silhouette_sample_size=200, n_init=1, max_iter=100, random_state=0,
    )  # fmt: skip
    assert table.columns[-1] == quality.CENTERS_COLUMN == "best_centers_json"
    for k, inertia, text in zip(
        table["n_clusters"], table["inertia"], table[quality.CENTERS_COLUMN], strict=True
    ):
        centers = quality.centers_from_json(text, ["x", "y"], k)
        # The very partition whose inertia the row reports: nearest centre, member means.
        labels = kmeans.assign_nearest(X, centers)
        np.testing.assert_array_equal(centers, [X[labels == j].mean(axis=0) for j in range(k)])
        assert kmeans.within_cluster_sum_of_squares(X, labels, centers) == inertia
    # Without feature names the table is as before (no centres column).
    plain = quality.k_selection_table(X, hierarchical.ward_linkage(X), [2, 3], random_state=0,
                                      silhouette_sample_size=100)  # fmt: skip
    assert quality.CENTERS_COLUMN not in plain.columns


def test_centres_survive_the_json_round_trip_bit_for_bit():
    centers = np.array([[0.1, -1 / 3, 1e-300], [2.5e10, -0.0, np.nextafter(1.0, 2.0)]])
    text = quality.centers_to_json(centers, ["a", "b", "c"])
    back = quality.centers_from_json(text, ["a", "b", "c"], 2)
    assert back.dtype == np.float64 and back.tobytes() == centers.tobytes()


_GOOD = {"features": ["x", "y"], "centers": [[0.0, 1.0], [2.0, 3.0]]}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "is missing"),
        ("", "not valid JSON"),
        ("{'features': []}", "not valid JSON"),
        ("[[0, 1], [2, 3]]", "JSON object with keys 'features' and 'centers'"),
        ({"centers": _GOOD["centers"]}, "JSON object with keys"),
        ({**_GOOD, "features": ["y", "x"]}, r"written for features \['y', 'x'\]"),
        ({**_GOOD, "features": ["x"]}, "written for features"),
        ({**_GOOD, "centers": [[0.0, 1.0]]}, r"1 row\(s\) of length \[2\], expected 2"),
        ({**_GOOD, "centers": [[0.0, 1.0], [2.0]]}, r"length \[1, 2\]"),
        ({**_GOOD, "centers": [[0.0, 1.0, 2.0], [2.0, 3.0, 4.0]]}, r"of length 2 \(features\)"),
        ({**_GOOD, "centers": [[0.0, "1.0"], [2.0, 3.0]]}, "not a list of rows of numbers"),
        ({**_GOOD, "centers": [[0.0, True], [2.0, 3.0]]}, "not a list of rows of numbers"),
        ({**_GOOD, "centers": [0.0, 1.0]}, "not a list of rows of numbers"),
        ({**_GOOD, "centers": None}, "not a list of rows of numbers"),
        ('{"features":["x","y"],"centers":[[0,NaN],[2,3]]}', "non-finite"),
        ('{"features":["x","y"],"centers":[[0,1],[Infinity,3]]}', "non-finite"),
        ('{"features":["x","y"],"centers":[[0,1],[1e999,3]]}', "non-finite"),
        ('{"features":["x","y"],"centers":[[0,1],[1' + "0" * 400 + ",3]]}", "too large"),
    ],
)
def test_malformed_centres_are_refused_naming_the_column(value, message):
    text = value if value is None or isinstance(value, str) else json.dumps(value)
    where = "int_k_selection.best_centers_json (row n_clusters = 2)"
    with pytest.raises(ValueError, match=message) as raised:
        quality.centers_from_json(text, ["x", "y"], 2, where=where)
    assert str(raised.value).startswith(where)
    assert "rebuild int_k_selection" in str(raised.value)
    assert quality.centers_from_json(json.dumps(_GOOD), ["x", "y"], 2).tolist() == _GOOD["centers"]


def test_centres_to_json_refuses_what_it_could_not_read_back():
    with pytest.raises(ValueError, match="shape"):
        quality.centers_to_json(np.zeros((2, 3)), ["x", "y"])
    with pytest.raises(ValueError, match="non-finite"):
        quality.centers_to_json(np.array([[0.0, np.nan]]), ["x", "y"])


# --- stability ------------------------------------------------------------------------------


def test_best_match_jaccard():
    reference = np.array([0, 0, 0, 1, 1, 2])
    other = np.array([1, 1, 0, 2, 2, 2])
    # segment 0 {0,1,2} best matches {0,1}: 2/3; segment 1 {3,4} vs {3,4,5}: 2/3; 2 {5}: 1/3.
    np.testing.assert_allclose(
        quality._best_match_jaccard(reference, other, 3), [2 / 3, 2 / 3, 1 / 3]
    )


def test_real_segments_are_stable():
    X, truth = _blobs(n_blobs=3, per_blob=50)
    table = quality.bootstrap_stability(X, truth, 3, n_resamples=5, random_state=0)
    assert table["segment_id"].tolist() == [1, 2, 3]
    assert (table["mean_jaccard"] > 0.99).all()
    assert (table["n_resamples"] == 5).all()


def test_arbitrary_cuts_of_one_blob_are_unstable():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 2))
    arbitrary = rng.integers(1, 4, size=300)  # labels that ignore the data
    table = quality.bootstrap_stability(X, arbitrary, 3, n_resamples=5, random_state=0)
    assert (table["mean_jaccard"] < 0.5).all()


def test_stability_is_seeded():
    X, truth = _blobs(n_blobs=3, per_blob=40, spread=3.0)
    first = quality.bootstrap_stability(X, truth, 3, n_resamples=4, random_state=7)
    second = quality.bootstrap_stability(X, truth, 3, n_resamples=4, random_state=7)
    pd.testing.assert_frame_equal(first, second)


def test_stability_rejects_bad_labels():
    X, truth = _blobs(n_blobs=2, per_blob=10)
    with pytest.raises(ValueError, match="labels must lie in 1..2"):
        quality.bootstrap_stability(X, truth - 1, 2, n_resamples=2, random_state=0)


def test_seeded_sample_rows():
    assert quality.seeded_sample_rows(5, 10, 0).tolist() == [0, 1, 2, 3, 4]
    rows = quality.seeded_sample_rows(1000, 100, 42)
    assert len(rows) == len(np.unique(rows)) == 100
    assert (np.diff(rows) > 0).all()
    assert rows.tolist() == quality.seeded_sample_rows(1000, 100, 42).tolist()
    assert rows.tolist() != quality.seeded_sample_rows(1000, 100, 43).tolist()


def test_silhouette_matches_scikit_learn():
    from sklearn.metrics import silhouette_score

    rng = np.random.default_rng(5)
    X = rng.normal(size=(500, 4))
    labels = rng.integers(0, 5, size=500)
    labels[:3] = 7  # a small cluster
    labels[3] = 9  # a singleton: silhouette 0
    expected = silhouette_score(X, labels)
    assert quality.silhouette(X, labels, chunk_rows=64) == pytest.approx(expected, abs=1e-10)
    X2, truth = _blobs()
    assert quality.silhouette(X2, truth) == pytest.approx(silhouette_score(X2, truth), abs=1e-10)
    with pytest.raises(ValueError, match="2..n-1 clusters"):
        quality.silhouette(X, np.zeros(500))


def test_knee_distances_are_zero_on_a_line_and_largest_at_the_knee():
    np.testing.assert_allclose(quality.knee_distances([1, 2, 3, 4], [4, 3, 2, 1]), 0, atol=1e-12)
    distances = quality.knee_distances([1, 2, 3, 4, 5, 6], [100, 60, 20, 17, 15, 13])
    assert int(np.argmax(distances)) == 2 and distances[0] == distances[-1] == 0


def test_auto_rule_takes_the_largest_ward_gap_beyond_two():
    table = pd.DataFrame(
        {
            "n_clusters": [2, 3, 4, 5, 6],
            "ward_height_gap": [30.0, 1.0, 9.0, 9.0, np.nan],
        }
    )
    assert quality.choose_k(table) == 4  # 2 is left out; the tie 4/5 goes to the smaller k
    assert quality.choose_k(table[table["n_clusters"] == 2]) == 2  # a range of only k = 2
    with pytest.raises(ValueError, match="no finite Ward merge-height gap"):
        quality.choose_k(table[table["n_clusters"] == 6])


def test_method_agreement_from_cell_counts_is_scikit_learns_on_the_labels():
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    rng = np.random.default_rng(3)
    first = rng.integers(0, 4, size=500)
    second = np.where(rng.random(500) < 0.8, first, rng.integers(0, 5, size=500))
    cells = pd.DataFrame({"kmeans_segment_id": first, "ward_segment_id": second})
    counts = cells.value_counts().reset_index(name="customers").sample(frac=1, random_state=0)
    scores = quality.method_agreement(
        counts["kmeans_segment_id"], counts["ward_segment_id"], counts["customers"]
    )
    assert scores["customers"] == 500
    assert scores["adjusted_rand_index"] == adjusted_rand_score(first, second)
    assert scores["normalized_mutual_information"] == normalized_mutual_info_score(first, second)
    # The table-level function returns one typed row.
    table = pipeline.method_agreement(counts)
    assert list(table.columns) == [
        "customers",
        "adjusted_rand_index",
        "normalized_mutual_information",
    ]
    assert table["customers"].dtype == np.int64 and len(table) == 1


def test_method_agreement_limit_cases_and_bad_counts():
    same = quality.method_agreement([0], [0], [10])
    assert same["adjusted_rand_index"] == 1.0 and same["normalized_mutual_information"] == 1.0
    none = quality.method_agreement([], [], np.array([], dtype=np.int64))
    assert none == {
        "customers": 0,
        "adjusted_rand_index": None,
        "normalized_mutual_information": None,
    }
    with pytest.raises(ValueError, match="cell counts must be positive whole numbers"):
        quality.method_agreement([0, 1], [0, 1], [3, 0])
    with pytest.raises(ValueError, match="cell counts must be positive whole numbers"):
        quality.method_agreement([0], [0], [2.5])
