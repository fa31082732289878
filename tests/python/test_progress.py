"""A build tells the console what each clustering stage did, with counts and timings."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.integration

STAGES = (
    "ward_leaves",
    "ward_merges",
    "ward_leaf_segments",
    "kmeans_fit",
    "kmeans_assignments",
    "segment_names",
)


def test_every_clustering_stage_logs_to_the_console(embedded_build):
    lines = [
        line for line in embedded_build.output.splitlines() if "[customer_segmentation]" in line
    ]
    for stage in STAGES:
        assert any(f"] {stage}:" in line for line in lines), f"no progress line for {stage}"
    # Counts and timings, not just names.
    assert any(re.search(r"ward_leaves: 3,834 customers x \d+ features", line) for line in lines)
    assert any(re.search(r"kmeans_fit: searching k=\d+ on 3,834 customers", line) for line in lines)
    assert sum(bool(re.search(r"\d+\.\d\ds$", line)) for line in lines) >= 4
