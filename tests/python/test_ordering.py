import numpy as np
import pytest

from customer_segmentation.ordering import segment_order, stable_segment_ids, weighted_centers


def test_larger_segments_get_smaller_ids():
    labels = np.array([0, 1, 1, 2, 2, 2])
    X = np.zeros((6, 1))
    assert stable_segment_ids(labels, X, 3).tolist() == [3, 2, 2, 1, 1, 1]


def test_equal_sizes_are_ordered_by_centre():
    labels = np.array([0, 0, 1, 1])
    X = np.array([[5.0, 0.0], [5.0, 0.0], [-1.0, 9.0], [-1.0, 9.0]])
    # Same size: the centre with the smaller first coordinate (-1) comes first.
    assert stable_segment_ids(labels, X, 2).tolist() == [2, 2, 1, 1]


def test_ids_do_not_depend_on_the_algorithms_numbering():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    labels = rng.integers(0, 4, size=60)
    permuted = np.array([2, 0, 3, 1])[labels]
    np.testing.assert_array_equal(
        stable_segment_ids(labels, X, 4), stable_segment_ids(permuted, X, 4)
    )


def test_weights_count_as_customers():
    labels = np.array([0, 1, 1])
    X = np.array([[0.0], [1.0], [3.0]])
    sizes, centers = weighted_centers(labels, X, 2, sample_weight=np.array([5, 1, 1]))
    assert sizes.tolist() == [5, 2]
    assert centers[:, 0].tolist() == [0.0, 2.0]
    assert stable_segment_ids(labels, X, 2, sample_weight=np.array([5, 1, 1])).tolist() == [1, 2, 2]


def test_segment_order_checks_shapes():
    with pytest.raises(ValueError):
        segment_order(np.array([1, 2]), np.zeros((3, 2)))
