"""How far a change in one raw value moves customers between k-means segments.

A segmentation built on channel and region one-hot columns groups customers by where they came
from: changing how much a customer watches does not move them. ``segment_moves`` measures that
on a built DuckDB file: it changes one raw feature for every customer (for example watch time
times 0.5), re-encodes the customers with the build's own scaler (transform, clip bounds,
weight), gives each the nearest k-means centre, and returns the share whose segment changed.

$ customer-segmentation sensitivity customer_segmentation.duckdb --feature minutes_watched
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from customer_segmentation.kmeans import assign_nearest

__all__ = ["segment_moves"]


def _scaled(encoded: dict[str, np.ndarray], scaler: list[tuple]) -> np.ndarray:
    """The clustering matrix of ``encoded`` columns, standardised like int_feature_scaler."""
    columns = []
    for name, mean, scale, transform, clip_lower, clip_upper, weight in scaler:
        x = np.asarray(encoded[name], dtype=np.float64)
        if transform == "log1p":
            x = np.log1p(x)
        elif transform == "winsorize":
            x = np.clip(x, clip_lower, clip_upper)
        columns.append((x - mean) / scale * weight)
    return np.column_stack(columns)


def segment_moves(
    database: str | Path, feature: str, factors: Sequence[float] = (0.0, 0.5, 2.0)
) -> dict[float, float]:
    """Share of customers whose k-means segment changes when ``feature`` is multiplied.

    Parameters
    ----------
    database : str or Path
        A DuckDB file written by ``dbt build`` (opened read-only).
    feature : str
        A column of ``int_customer_features_encoded`` (raw units), e.g. ``minutes_watched``.
    factors : sequence of float, default=(0.0, 0.5, 2.0)
        Multipliers applied to the feature for every customer.

    Returns
    -------
    moves : dict of float to float
        Factor -> share of customers (0..1) whose nearest centre is another segment. A feature
        the clustering does not use moves nobody.
    """
    import duckdb

    with duckdb.connect(str(database), read_only=True) as connection:
        scaler = connection.execute(
            "select feature_name, feature_mean, feature_scale, feature_transform, clip_lower, "
            "clip_upper, feature_weight from intermediate.int_feature_scaler "
            "order by feature_position"
        ).fetchall()
        encoded_relation = connection.table("intermediate.int_customer_features_encoded")
        if feature not in encoded_relation.columns:
            raise ValueError(
                f"no feature {feature!r}; choose one of {', '.join(encoded_relation.columns[2:])}"
            )
        encoded = encoded_relation.order("customer_order").fetchnumpy()
        names = [row[0] for row in scaler]
        centers = np.column_stack(
            [
                np.asarray(column, dtype=np.float64)
                for column in connection.table("intermediate.int_kmeans_fit")
                .order("kmeans_segment_id")
                .select(*[f"center_{name}" for name in names])
                .fetchnumpy()
                .values()
            ]
        )
    labels = assign_nearest(_scaled(encoded, scaler), centers)
    moves = {}
    for factor in factors:
        changed = dict(encoded)
        changed[feature] = np.asarray(encoded[feature], dtype=np.float64) * factor
        moves[float(factor)] = float(
            np.mean(assign_nearest(_scaled(changed, scaler), centers) != labels)
        )
    return moves
