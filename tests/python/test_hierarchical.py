"""Tests of customer_segmentation.hierarchical."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
from scipy.cluster.hierarchy import linkage as scipy_linkage
from sklearn.metrics import adjusted_rand_score

from customer_segmentation._numeric import nearest_center
from customer_segmentation.generator import generate_customers
from customer_segmentation.hierarchical import (
    LINKAGE_COLUMNS,
    TwoStageWard,
    cut_linkage,
    frame_to_linkage,
    linkage_to_frame,
    merge_height_gaps,
    nearest_micro_cluster,
    two_stage_ward,
    ward_linkage,
    ward_segments,
)

RUN_SLOW = os.environ.get("CUSTOMER_SEGMENTATION_SLOW_TESTS") == "1"


def customer_features(customers: pd.DataFrame) -> np.ndarray:
    """The 14 clustering features, z-scored with the population standard deviation.

    minutes_watched (blank = 0), CLV, region code, one-hot channel (8), one-hot region (3).
    """
    region = customers["region"].to_numpy()
    channel = customers["channel"].to_numpy()
    columns = [
        customers["minutes_watched"].fillna(0.0).to_numpy(dtype=np.float64),
        customers["CLV"].to_numpy(dtype=np.float64),
        region.astype(np.float64),
    ]
    columns += [(channel == c).astype(np.float64) for c in range(1, 9)]
    columns += [(region == r).astype(np.float64) for r in range(3)]
    X = np.column_stack(columns)
    X -= X.mean(axis=0)
    X /= X.std(axis=0)
    return X


def same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    """True if the two labelings define the same partition (up to renaming)."""
    pairs = np.unique(np.column_stack([a, b]), axis=0)
    return len(pairs) == len(np.unique(a)) == len(np.unique(b))


@pytest.fixture
def blobs() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [20.0, 0.0], [0.0, 20.0]])
    sizes = [30, 50, 20]
    X = np.vstack([c + rng.normal(size=(s, 2)) for c, s in zip(centres, sizes, strict=True)])
    truth = np.repeat(np.arange(3), sizes)
    order = rng.permutation(len(X))
    return X[order], truth[order]


# --- ward_linkage ----------------------------------------------------------------------


@pytest.mark.parametrize("n_rows", [2, 3, 17, 300])
def test_unit_weights_equal_scipy_ward_exactly(n_rows):
    X = np.random.default_rng(n_rows).normal(size=(n_rows, 5))
    expected = scipy_linkage(X, method="ward")
    got = ward_linkage(X, sample_weight=np.ones(n_rows, dtype=np.int64))
    np.testing.assert_array_equal(got, expected)


def test_unweighted_uses_fastcluster_and_matches_scipy():
    X = np.random.default_rng(1).normal(size=(400, 6))
    expected = scipy_linkage(X, method="ward")
    got = ward_linkage(X)
    np.testing.assert_array_equal(got[:, [0, 1, 3]], expected[:, [0, 1, 3]])
    np.testing.assert_allclose(got[:, 2], expected[:, 2], rtol=1e-12)


def test_weighted_ward_on_collapsed_duplicates_equals_ward_on_expanded_rows():
    rng = np.random.default_rng(2)
    distinct = rng.normal(size=(80, 3))
    counts = rng.integers(1, 7, size=80)
    expanded = np.repeat(distinct, counts, axis=0)
    order = rng.permutation(len(expanded))
    expanded = expanded[order]
    leaf_of_row = np.repeat(np.arange(80), counts)[order]

    Z_expanded = scipy_linkage(expanded, method="ward")
    Z_weighted = ward_linkage(distinct, sample_weight=counts)

    assert Z_weighted.shape == (79, 4)
    # The expanded tree first merges the duplicates at height 0, then the same merges.
    np.testing.assert_allclose(Z_expanded[: len(expanded) - 80, 2], 0.0, atol=1e-12)
    np.testing.assert_allclose(Z_weighted[:, 2], Z_expanded[-79:, 2], rtol=1e-10)
    np.testing.assert_array_equal(Z_weighted[:, 3], Z_expanded[-79:, 3])
    assert Z_weighted[-1, 3] == counts.sum()
    for k in range(1, 81):
        expected = cut_linkage(Z_expanded, k)
        got = cut_linkage(Z_weighted, k)[leaf_of_row]
        assert same_partition(got, expected), k


def test_weighted_ward_is_deterministic_with_ties():
    # A square: all four sides tie; two identical runs must give the identical tree.
    X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    w = np.array([2, 2, 2, 2])
    Z1 = ward_linkage(X, sample_weight=w)
    Z2 = ward_linkage(X, sample_weight=w)
    np.testing.assert_array_equal(Z1, Z2)
    assert np.all(np.diff(Z1[:, 2]) >= 0)
    assert Z1[-1, 3] == 8


def test_weighted_ward_single_leaf_and_heights_monotone():
    assert ward_linkage(np.zeros((1, 3)), sample_weight=[5]).shape == (0, 4)
    rng = np.random.default_rng(3)
    Z = ward_linkage(rng.normal(size=(200, 4)), sample_weight=rng.integers(1, 100, size=200))
    assert np.all(np.diff(Z[:, 2]) >= 0)


@pytest.mark.parametrize(
    ("X", "weights", "message"),
    [
        (np.zeros(5), None, "Expected 2D array, got 1D array"),
        (np.array([[0.0, np.nan], [1.0, 1.0]]), None, "NaN or infinite"),
        (np.zeros((3, 2)), [1, 2], "shape"),
        (np.zeros((3, 2)), [1, 0, 2], "positive integers"),
        (np.zeros((3, 2)), [1, 1.5, 2], "positive integers"),
        (
            np.zeros((0, 2)),
            None,
            r"0 sample\(s\) \(shape=\(0, 2\)\) while a minimum of 1 is required",
        ),
        (np.array([["a", "b"]]), None, "not compatible with arrays of bytes/strings"),
    ],
)
def test_ward_linkage_validation(X, weights, message):
    with pytest.raises(ValueError, match=message):
        ward_linkage(X, sample_weight=weights)


# --- cut_linkage -----------------------------------------------------------------------


def test_cut_linkage_recovers_obvious_blobs(blobs):
    X, truth = blobs
    Z = ward_linkage(X)
    labels = cut_linkage(Z, 3)
    assert labels.dtype == np.int64
    assert set(labels) == {0, 1, 2}
    assert labels[0] == 0
    assert adjusted_rand_score(truth, labels) == 1.0
    np.testing.assert_array_equal(cut_linkage(Z, 1), np.zeros(len(X)))
    assert len(np.unique(cut_linkage(Z, len(X)))) == len(X)


def test_cut_linkage_is_nested_and_exact_count(blobs):
    X, _ = blobs
    Z = ward_linkage(X)
    previous = cut_linkage(Z, 1)
    for k in range(2, 15):
        labels = cut_linkage(Z, k)
        assert len(np.unique(labels)) == k
        # every k-cluster lies inside one (k - 1)-cluster
        assert len(np.unique(np.column_stack([labels, previous]), axis=0)) == k
        previous = labels


@pytest.mark.parametrize("k", [0, 101, 2.5, True])
def test_cut_linkage_validation(blobs, k):
    X, _ = blobs
    with pytest.raises(ValueError, match="n_clusters"):
        cut_linkage(ward_linkage(X), k)


def test_cut_linkage_rejects_malformed_linkage():
    with pytest.raises(ValueError, match=r"shape \(m - 1, 4\)"):
        cut_linkage(np.zeros((3, 3)), 1)
    with pytest.raises(ValueError, match="earlier rows"):
        cut_linkage(np.array([[0.0, 3.0, 1.0, 2.0], [1.0, 2.0, 2.0, 3.0]]), 1)


# --- tables ----------------------------------------------------------------------------


def test_linkage_frame_round_trip(blobs):
    X, _ = blobs
    Z = ward_linkage(X, sample_weight=np.arange(1, len(X) + 1))
    frame = linkage_to_frame(Z)
    assert list(frame.columns) == list(LINKAGE_COLUMNS)
    assert len(frame) == len(X) - 1
    np.testing.assert_array_equal(frame["merge_step"], np.arange(1, len(X)))
    np.testing.assert_array_equal(frame["n_clusters_after"], len(X) - frame["merge_step"])
    assert frame["size"].iloc[-1] == np.arange(1, len(X) + 1).sum()
    assert frame["size"].dtype == np.int64
    np.testing.assert_array_equal(frame_to_linkage(frame), Z)
    # row order does not matter
    np.testing.assert_array_equal(frame_to_linkage(frame.sample(frac=1.0, random_state=0)), Z)


def test_linkage_to_frame_top_merges(blobs):
    X, _ = blobs
    Z = ward_linkage(X)
    top = linkage_to_frame(Z, top_merges=5)
    assert list(top["n_clusters_after"]) == [5, 4, 3, 2, 1]
    np.testing.assert_array_equal(top["height"], Z[-5:, 2])
    assert len(linkage_to_frame(Z, top_merges=10_000)) == len(X) - 1
    assert len(linkage_to_frame(Z, top_merges=0)) == 0
    with pytest.raises(ValueError, match="full table"):
        frame_to_linkage(top)
    with pytest.raises(ValueError, match="top_merges"):
        linkage_to_frame(Z, top_merges=-1)
    with pytest.raises(ValueError, match="missing columns"):
        frame_to_linkage(top.drop(columns="height"))


def test_merge_height_gaps(blobs):
    X, _ = blobs
    Z = ward_linkage(X)
    m = len(X)
    gaps = merge_height_gaps(Z, range(1, 11))
    assert list(gaps["n_clusters"]) == list(range(1, 11))
    row = gaps.set_index("n_clusters").loc[3]
    assert row["merge_height"] == Z[m - 3, 2]
    assert row["height_into"] == Z[m - 4, 2]
    assert row["gap"] == pytest.approx(Z[m - 3, 2] - Z[m - 4, 2])
    assert np.isnan(gaps["merge_height"].iloc[0])
    # three blobs: the largest jump is out of 3 clusters
    assert gaps.loc[gaps["gap"].idxmax(), "n_clusters"] == 3
    leaves = merge_height_gaps(Z, [m])
    assert leaves["height_into"].iloc[0] == 0.0
    with pytest.raises(ValueError, match="between 1 and"):
        merge_height_gaps(Z, [0])
    with pytest.raises(ValueError, match="integers"):
        merge_height_gaps(Z, [2.5])
    assert len(merge_height_gaps(Z, [])) == 0


# --- two-stage and segments ------------------------------------------------------------


def test_two_stage_with_few_distinct_rows_is_exact():
    rng = np.random.default_rng(4)
    distinct = rng.normal(size=(40, 3))
    X = distinct[rng.integers(0, 40, size=3000)]
    tree = two_stage_ward(X, n_micro_clusters=100)
    assert tree.leaf_sizes.shape == (40,)
    assert tree.leaf_sizes.sum() == 3000
    np.testing.assert_allclose(tree.leaf_centers[tree.leaf_labels], X)
    Z_exact = ward_linkage(X)
    for k in (2, 5, 9, 20):
        assert same_partition(
            cut_linkage(tree.linkage, k)[tree.leaf_labels], cut_linkage(Z_exact, k)
        )


def test_two_stage_structure_with_sampling():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(6000, 4))
    tree = two_stage_ward(X, n_micro_clusters=150, sample_size=2500, random_state=1)
    assert isinstance(tree, TwoStageWard)
    m = tree.leaf_sizes.shape[0]
    assert 1 < m <= 150
    assert tree.leaf_labels.shape == (6000,)
    assert tree.leaf_labels.dtype == np.int64
    assert tree.leaf_labels.min() == 0 and tree.leaf_labels.max() == m - 1
    np.testing.assert_array_equal(np.bincount(tree.leaf_labels), tree.leaf_sizes)
    means = np.vstack([X[tree.leaf_labels == j].mean(axis=0) for j in range(m)])
    np.testing.assert_allclose(tree.leaf_centers, means)
    assert tree.linkage.shape == (m - 1, 4)
    assert tree.linkage[-1, 3] == 6000
    again = two_stage_ward(X, n_micro_clusters=150, sample_size=2500, random_state=1)
    np.testing.assert_array_equal(again.leaf_labels, tree.leaf_labels)
    np.testing.assert_array_equal(again.linkage, tree.linkage)


def test_two_stage_validation():
    with pytest.raises(ValueError, match="n_micro_clusters"):
        two_stage_ward(np.zeros((10, 2)), n_micro_clusters=0)
    with pytest.raises(ValueError, match="sample_size"):
        two_stage_ward(np.zeros((10, 2)), sample_size=-5)


def test_ward_segments_exact_and_two_stage(blobs):
    X, truth = blobs
    exact = ward_segments(X, 3)
    assert exact.strategy == "exact"
    np.testing.assert_array_equal(exact.leaf_labels, np.arange(len(X)))
    np.testing.assert_array_equal(exact.leaf_sizes, np.ones(len(X)))
    assert adjusted_rand_score(truth, exact.labels) == 1.0
    assert exact.seconds >= 0

    staged = ward_segments(X, 3, exact_max_rows=50, n_micro_clusters=20)
    assert staged.strategy == "two-stage"
    assert staged.labels.dtype == np.int64
    assert set(staged.labels) == {0, 1, 2}
    assert adjusted_rand_score(truth, staged.labels) == 1.0
    assert staged.leaf_sizes.sum() == len(X)
    with pytest.raises(ValueError, match="n_clusters"):
        ward_segments(X, 0)
    with pytest.raises(ValueError, match="micro-clusters"):
        ward_segments(X, 30, exact_max_rows=50, n_micro_clusters=20)


def _two_stage_ari(n_customers: int, n_clusters: int, **kwargs) -> float:
    X = customer_features(generate_customers(n_customers, random_state=11))
    exact = cut_linkage(ward_linkage(X), n_clusters)
    tree = two_stage_ward(X, random_state=0, **kwargs)
    assert tree.leaf_labels.shape == (n_customers,)
    assert tree.leaf_sizes.sum() == n_customers
    approx = cut_linkage(tree.linkage, n_clusters)[tree.leaf_labels]
    assert len(np.unique(approx)) == n_clusters
    return adjusted_rand_score(exact, approx)


def test_two_stage_agrees_with_exact_ward_on_generated_customers():
    assert _two_stage_ari(20_000, 8) >= 0.9


@pytest.mark.slow
@pytest.mark.skipif(not RUN_SLOW, reason="set CUSTOMER_SEGMENTATION_SLOW_TESTS=1")
@pytest.mark.parametrize("n_customers", [60_000])
def test_two_stage_agrees_with_exact_ward_on_more_customers_with_sampling(n_customers):
    # k-means fitted on a 30,000-row sample, all rows assigned afterwards.
    assert _two_stage_ari(n_customers, 8, sample_size=30_000) >= 0.9


@pytest.mark.parametrize("n_threads", [1, 2])
def test_nearest_micro_cluster_gives_the_fast_kernels_labels_on_every_row(n_threads):
    # Generated customers (one-hot channels and regions), far outliers whose nearest
    # candidate is not provably nearest, and rows with a discrete value the sample never saw.
    X = customer_features(generate_customers(30_000, random_state=3))
    rng = np.random.default_rng(3)
    X[:50, 0] += rng.uniform(20, 200, size=50)
    X[50:60, 4] = 0.5
    sample = X[np.sort(rng.choice(X.shape[0], size=5_000, replace=False))]
    points = np.unique(sample, axis=0)
    centers = points[rng.choice(points.shape[0], size=300, replace=False)]
    centers = centers + rng.normal(scale=0.05, size=centers.shape)
    expected = nearest_center(X, centers, exact=False).labels
    labels = nearest_micro_cluster(X, centers, points, n_threads=n_threads)
    np.testing.assert_array_equal(labels, expected)
    # Without discrete features it is nearest_center itself.
    continuous = rng.normal(size=(2_000, 3))
    np.testing.assert_array_equal(
        nearest_micro_cluster(continuous, continuous[:40], continuous),
        nearest_center(continuous, continuous[:40], exact=False).labels,
    )
