"""Backend choice of the pipeline: DuckDB and pandas never touch pyspark.

The Spark side itself is tested by `make test-spark` (tests/spark), in its own virtualenv.
"""

from __future__ import annotations

import subprocess
import sys

import duckdb
import pandas as pd

from customer_segmentation.pipeline import runs_distributed
from customer_segmentation.tables import count_rows, is_spark_frame, like_input


def test_pandas_and_duckdb_are_not_spark_frames():
    frame = pd.DataFrame({"customer_id": [1, 2, 3]})
    relation = duckdb.sql("select 1 as customer_id union all select 2")
    assert not is_spark_frame(frame)
    assert not is_spark_frame(relation)
    assert count_rows(frame) == 3
    assert count_rows(relation) == 2
    assert like_input(frame, relation) is frame
    assert not runs_distributed(frame, 0)


def test_the_pipeline_on_pandas_does_not_import_pyspark():
    code = """
import sys
import numpy as np
import pandas as pd
from customer_segmentation.pipeline import kmeans_assignments
features = pd.DataFrame({"customer_id": [1, 2, 3], "x": [0.0, 1.0, 5.0]})
fit = pd.DataFrame({"kmeans_segment_id": [1, 2], "center_x": [0.5, 5.0]})
out = kmeans_assignments(features, fit, ["x"], spark_collect_max_rows=0)
assert out["kmeans_segment_id"].tolist() == [1, 1, 2], out
assert "pyspark" not in sys.modules
"""
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr


def test_a_foreign_frame_is_refused():
    class NotATable:
        pass

    try:
        count_rows(NotATable())
    except TypeError as error:
        assert "NotATable" in str(error)
    else:  # pragma: no cover - the assertion documents the expected failure
        raise AssertionError("count_rows accepted an unknown table type")
