"""The shared numeric core: nearest centre, per-cluster sums, Lloyd, distinct rows."""

import numpy as np
import pytest
from sklearn.cluster import KMeans

from customer_segmentation import _numeric


def _brute_force(X, centers):
    dist = ((X[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)
    return dist.argmin(axis=1), dist.min(axis=1)


def test_squared_distances_add_features_left_to_right():
    rows = np.array([[0.1, 0.2, 0.3], [1.0, -2.0, 5.0]])
    centers = np.array([[0.3, 0.1, 0.7]])
    expected = [
        (((0.1 - 0.3) ** 2 + (0.2 - 0.1) ** 2) + (0.3 - 0.7) ** 2),
        (((1.0 - 0.3) ** 2 + (-2.0 - 0.1) ** 2) + (5.0 - 0.7) ** 2),
    ]
    assert _numeric.squared_distances(rows, centers).tolist() == [expected]


def test_exact_nearest_center_equals_brute_force_across_blocks():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(_numeric.EXACT_BLOCK_ROWS * 2 + 17, 4))
    centers = rng.normal(size=(9, 4))
    labels, distances = _brute_force(X, centers)
    nearest = _numeric.nearest_center(X, centers)
    np.testing.assert_array_equal(nearest.labels, labels)
    np.testing.assert_allclose(nearest.squared_distances, distances, rtol=1e-12)
    assert nearest.n_ties == 0
    threaded = _numeric.nearest_center(X, centers, n_threads=3)
    np.testing.assert_array_equal(threaded.labels, nearest.labels)
    np.testing.assert_array_equal(threaded.squared_distances, nearest.squared_distances)


def test_exact_nearest_center_counts_ties_and_takes_the_lowest_index():
    centers = np.array([[1.0, 0.0], [-1.0, 0.0], [1.0, 0.0]])
    X = np.array([[0.0, 0.0], [1.0, 0.0], [-1.0, 0.0], [5.0, 5.0]])
    nearest = _numeric.nearest_center(X, centers)
    np.testing.assert_array_equal(nearest.labels, [0, 0, 1, 0])
    # row 0 is tied between all three, rows 1 and 3 between centres 0 and 2
    assert nearest.n_ties == 3


def test_float32_nearest_center_agrees_with_brute_force_and_thread_count():
    rng = np.random.default_rng(8)
    centers = rng.normal(scale=10.0, size=(50, 3))
    X = centers[rng.integers(0, 50, size=70_000)] + rng.normal(scale=0.1, size=(70_000, 3))
    fast = _numeric.nearest_center(X, centers, exact=False)
    np.testing.assert_array_equal(fast.labels, _brute_force(X, centers)[0])
    assert fast.squared_distances is None and fast.n_ties is None
    np.testing.assert_array_equal(
        _numeric.nearest_center(X, centers, exact=False, n_threads=2).labels, fast.labels
    )


def test_cluster_sums_blocked_equal_direct_sums():
    rng = np.random.default_rng(9)
    n = _numeric.SUM_BLOCK_ROWS + 1000
    X = rng.normal(size=(n, 3))
    labels = rng.integers(0, 4, size=n)
    weight = rng.integers(1, 5, size=n).astype(float)
    sizes, sums = _numeric.cluster_sums(X, labels, 5)
    assert sizes.dtype == np.int64 and sizes.tolist() == np.bincount(labels, minlength=5).tolist()
    for j in range(4):
        np.testing.assert_allclose(sums[j], X[labels == j].sum(axis=0), rtol=1e-12)
    assert sums[4].tolist() == [0.0, 0.0, 0.0]
    sizes, means = _numeric.cluster_means(X, labels, 5, sample_weight=weight)
    for j in range(4):
        mask = labels == j
        assert sizes[j] == weight[mask].sum()
        np.testing.assert_allclose(means[j], np.average(X[mask], axis=0, weights=weight[mask]))
    assert np.isnan(means[4]).all()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_lloyd_reaches_the_labels_of_scikit_learn_from_the_same_init(seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(600, 3)) + rng.integers(0, 3, size=(600, 1)) * 2.0
    init = X[rng.choice(600, size=5, replace=False)]
    ours = _numeric.lloyd(X, init, max_iter=300)
    theirs = KMeans(5, init=init, n_init=1, max_iter=300, tol=0.0, algorithm="lloyd").fit(X)
    assert ours.converged
    np.testing.assert_array_equal(ours.labels, theirs.labels_)
    np.testing.assert_allclose(ours.centers, theirs.cluster_centers_, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(ours.labels, _numeric.nearest_center(X, ours.centers).labels)
    assert ours.sizes.tolist() == np.bincount(theirs.labels_, minlength=5).tolist()


def test_lloyd_relocates_an_empty_cluster_to_the_farthest_row():
    X = np.array([[0.0], [1.0], [10.0], [11.0], [30.0]])
    centers = np.array([[0.5], [100.0]])  # nobody is nearest to centre 1
    result = _numeric.lloyd(X, centers, max_iter=10)
    assert sorted(result.sizes.tolist()) == [1, 4]
    assert 30.0 in result.centers[:, 0]


def test_lloyd_keeps_an_empty_centre_and_stops_on_the_shift():
    X = np.array([[0.0], [1.0], [10.0], [11.0]])
    centers = np.array([[0.0], [10.0], [1000.0]])
    result = _numeric.lloyd(X, centers, max_iter=10, relocate_empty=False, exact=False, tol=1e-4)
    np.testing.assert_array_equal(result.centers, [[0.5], [10.5], [1000.0]])
    assert result.converged
    with pytest.raises(ValueError, match="exact"):
        _numeric.lloyd(X, centers, max_iter=10, exact=False)


def test_lloyd_weights_count_as_repeated_rows():
    rng = np.random.default_rng(3)
    points = rng.normal(size=(40, 2))
    weight = rng.integers(1, 4, size=40)
    init = points[:3]
    weighted = _numeric.lloyd(points, init, max_iter=100, sample_weight=weight.astype(float))
    repeated = _numeric.lloyd(np.repeat(points, weight, axis=0), init, max_iter=100)
    np.testing.assert_allclose(weighted.centers, repeated.centers, rtol=1e-12)


def test_count_distinct_rows():
    assert _numeric.count_distinct_rows(np.zeros((10, 2))) == 1
    X = np.array([[0.0, 1.0], [-0.0, 1.0], [2.0, 3.0]])
    assert _numeric.count_distinct_rows(X) == 2  # -0.0 equals 0.0
    rng = np.random.default_rng(0)
    many = rng.normal(size=(100_000, 2))
    assert _numeric.count_distinct_rows(many) == 100_000
    assert _numeric.count_distinct_rows(many, enough=8) >= 8
    few = np.repeat(np.arange(5.0)[:, None], 30_000, axis=0)
    assert _numeric.count_distinct_rows(few, enough=8) == 5


def test_limit_threads_caps_the_openmp_pool_of_scikit_learn_and_restores_it():
    """limit_threads inspects the libraries once; the OpenMP runtime the k-means searches
    limit must be among them, capped inside the block and back to its setting after it."""
    from threadpoolctl import threadpool_info, threadpool_limits

    def openmp_threads():
        return {info["num_threads"] for info in threadpool_info() if info["user_api"] == "openmp"}

    with threadpool_limits(limits=2, user_api="openmp"):
        assert openmp_threads() == {2}
        with _numeric.limit_threads(1, "openmp"):
            assert openmp_threads() == {1}
        assert openmp_threads() == {2}
        with _numeric.limit_threads(None, "openmp"):
            assert openmp_threads() == {2}


def test_limit_threads_sees_openmp_even_when_first_used_before_scikit_learn_is_imported():
    """In a fresh interpreter that has imported only _numeric, the first limit_threads call
    still finds scikit-learn's OpenMP runtime (it is loaded before the one inspection)."""
    import subprocess
    import sys

    code = (
        "from customer_segmentation import _numeric\n"
        "with _numeric.limit_threads(1, 'blas'):\n"
        "    pass\n"
        "print(sorted({c.user_api for c in _numeric._threadpool_controller().lib_controllers}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "openmp" in out.stdout, out.stdout + out.stderr
