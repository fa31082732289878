"""The distributed path for Spark DataFrames too large to collect to the driver.

:mod:`customer_segmentation.pipeline` collects a Spark DataFrame of up to
``spark_collect_max_rows`` customers to numpy and runs the same code as on DuckDB, so small and
medium inputs give identical results on both warehouses. Above that size these functions keep
the customers in Spark:

* k-means: ``pyspark.ml.clustering.KMeans`` (k-means|| initialisation, ``seed`` =
  ``random_state``), then the segments are numbered by the same stable-id rule as on DuckDB
  (:func:`customer_segmentation.ordering.segment_order`). pyspark.ml cannot start from given
  centres, so the Ward-seeded and int_k_selection-seeded starts of the numpy search are not used
  here;
* the two-stage Ward: the micro-clusters come from ``pyspark.ml`` KMeans; the size-weighted
  Ward tree over their centroids is small and runs on the driver as on DuckDB;
* nearest-centre assignment: a SQL expression per centre, evaluated by Spark, summing the
  squared differences feature by feature in the same order as
  :func:`customer_segmentation.kmeans.assign_nearest`.

Feature scaling needs nothing here: the z-scores are computed in SQL (``int_feature_scaler``)
and run distributed on Spark like every other SQL model.

Everything pyspark is imported inside the functions: DuckDB users do not need pyspark.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["SparkKMeansResult", "assign_nearest_spark", "fit_kmeans_spark", "micro_cluster_leaves"]

_FEATURES_COLUMN = "__features"
_PREDICTION_COLUMN = "__prediction"


@dataclass(frozen=True)
class SparkKMeansResult:
    """A pyspark.ml k-means fit: centres (k, d), cluster sizes (k,), inertia and seconds."""

    centers: np.ndarray
    sizes: np.ndarray
    inertia: float
    seconds: float


def _assembled(table, features: Sequence[str]):
    from pyspark.ml.feature import VectorAssembler  # noqa: PLC0415

    assembler = VectorAssembler(inputCols=list(features), outputCol=_FEATURES_COLUMN)
    return assembler.transform(table)


def fit_kmeans_spark(
    table,
    features: Sequence[str],
    n_clusters: int,
    *,
    random_state: int,
    max_iter: int,
    tol: float = 1e-6,
) -> SparkKMeansResult:
    """Fit ``pyspark.ml`` KMeans on the ``features`` columns of a Spark DataFrame.

    Parameters
    ----------
    table : pyspark.sql.DataFrame
        One row per customer with a float column per feature.
    features : sequence of str
        Feature columns, in order.
    n_clusters : int
        k.
    random_state : int
        Seed of the k-means|| initialisation (same data, same seed, same partitioning give
        the same centres).
    max_iter : int
        Lloyd iterations at most.
    tol : float
        Convergence tolerance on centre movement.

    Returns
    -------
    SparkKMeansResult
        Centres in pyspark.ml's order (callers renumber them), the size of each cluster and the
        within-cluster sum of squares. pyspark.ml can return fewer than ``n_clusters`` centres
        when the data has fewer distinct points; callers check the count.
    """
    from pyspark.ml.clustering import KMeans  # noqa: PLC0415

    started = time.perf_counter()
    assembled = _assembled(table.select(*features), features)
    estimator = KMeans(
        k=n_clusters,
        seed=int(random_state),
        maxIter=int(max_iter),
        tol=tol,
        initMode="k-means||",
        featuresCol=_FEATURES_COLUMN,
        predictionCol=_PREDICTION_COLUMN,
    )
    fitted = estimator.fit(assembled)
    centers = np.asarray([np.asarray(c, dtype=np.float64) for c in fitted.clusterCenters()])
    summary = fitted.summary
    sizes = np.asarray(summary.clusterSizes, dtype=np.int64)
    return SparkKMeansResult(
        centers=centers,
        sizes=sizes,
        inertia=float(summary.trainingCost),
        seconds=time.perf_counter() - started,
    )


def squared_distance_sql(features: Sequence[str], center: np.ndarray) -> str:
    """SQL for the squared Euclidean distance of a row to ``center``, summed left to right."""
    terms = [
        f"(`{feature}` - ({float(value)!r})) * (`{feature}` - ({float(value)!r}))"
        for feature, value in zip(features, center, strict=True)
    ]
    return " + ".join(terms)


def assign_nearest_spark(
    table,
    features: Sequence[str],
    centers: np.ndarray,
    *,
    key: str,
    label_column: str,
    distance_column: str | None = None,
    first_label: int = 1,
    labels: Sequence[int] | None = None,
    keep: Sequence[str] = (),
):
    """Each row's nearest centre (ties to the lower index), computed by Spark.

    Returns a Spark DataFrame with ``key``, the ``keep`` columns, ``label_column``
    (``first_label`` + centre index, or ``labels[index]`` when the centres carry their own
    ids) and, when ``distance_column`` is given, the Euclidean distance to that centre.
    """
    from pyspark.sql import functions as F  # noqa: PLC0415

    centers = np.asarray(centers, dtype=np.float64)
    distances = [F.expr(squared_distance_sql(features, center)) for center in centers]
    # least() over (distance, index) structs picks the smallest distance, then the lowest index.
    nearest = F.least(
        *[F.struct(d.alias("d"), F.lit(i).alias("i")) for i, d in enumerate(distances)]
    )
    chosen = table.select(F.col(key), *[F.col(c) for c in keep], nearest.alias("__nearest"))
    if labels is None:
        label = (F.col("__nearest.i") + F.lit(first_label)).cast("bigint")
    else:
        ids = F.array(*[F.lit(int(i)) for i in labels])
        label = F.element_at(ids, F.col("__nearest.i") + F.lit(1)).cast("bigint")
    columns = [F.col(key), *[F.col(c) for c in keep], label.alias(label_column)]
    if distance_column is not None:
        columns.append(F.sqrt(F.col("__nearest.d")).alias(distance_column))
    return chosen.select(*columns)


def micro_cluster_leaves(
    table,
    features: Sequence[str],
    n_micro_clusters: int,
    *,
    random_state: int,
    max_iter: int = 20,
):
    """Group the customers into ``n_micro_clusters`` k-means micro-clusters with pyspark.ml.

    Returns a Spark DataFrame ``customer_id, ward_leaf_id`` with leaf ids 0..m-1 without gaps
    (pyspark.ml may return fewer centres than asked, or leave one empty), numbered in the order
    of the centres.
    """
    fit = fit_kmeans_spark(
        table, features, n_micro_clusters, random_state=random_state, max_iter=max_iter
    )
    assigned = assign_nearest_spark(
        table, features, fit.centers, key="customer_id", label_column="__leaf", first_label=0
    )
    used = sorted(row["__leaf"] for row in assigned.select("__leaf").distinct().collect())
    spark = table.sparkSession
    mapping = spark.createDataFrame(
        [(int(old), new) for new, old in enumerate(used)], "__leaf bigint, ward_leaf_id bigint"
    )
    return assigned.join(mapping, on="__leaf").select("customer_id", "ward_leaf_id")
