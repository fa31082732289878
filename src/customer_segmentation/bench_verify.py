"""Is the build as good at scale as on small data? The checks of ``make bench ... VERIFY=1``.

Two comparisons, each printed with its figures and MET / NOT MET (issue "Faster at every size"):

* **k-means**: the inertia the build's k-means search reached (``int_kmeans_fit``; on large
  inputs a search on a sample, then refinement on all rows) against a full-data multi-start
  search, scikit-learn ``KMeans(n_init=10)`` on every customer of the same standardised
  matrix. Goal: the build's inertia at most :data:`KMEANS_RTOL` (0.1 %) above it.
* **two-stage Ward**: on :data:`WARD_ROWS` customers (a seeded uniform sample of the build's
  customers), the two-stage Ward of the build's settings (micro-clusters, then size-weighted
  Ward; :func:`customer_segmentation.hierarchical.two_stage_ward`) against exact Ward
  (``fastcluster.linkage_vector``, O(n) memory; about 2-3 minutes at 100,000 rows on two
  cores), both cut at the build's k. Goal: adjusted Rand index >= :data:`WARD_MIN_ARI`.
  Skipped when the build has fewer customers than the sample (exact Ward ran there anyway).

Both read the standardised customers from the benchmark's build database, so they check what
the build clustered, not a re-creation of it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = [
    "KMEANS_RTOL",
    "WARD_MIN_ARI",
    "WARD_ROWS",
    "VerifyFigure",
    "format_figures",
    "kmeans_against_full_search",
    "two_stage_against_exact_ward",
    "verify_build",
]

#: The sampled search must end within this relative distance above the full-data search.
KMEANS_RTOL = 1e-3
#: Agreement two-stage Ward must reach with exact Ward (adjusted Rand index).
WARD_MIN_ARI = 0.95
#: Customers of the Ward comparison (exact Ward is feasible to ~150k-180k with fastcluster).
WARD_ROWS = 100_000
#: Starts of the full-data reference search.
REFERENCE_N_INIT = 10


@dataclass(frozen=True)
class VerifyFigure:
    """One comparison: what was measured, against what goal, and whether it is met."""

    name: str
    value: float
    goal: str
    met: bool
    detail: str
    seconds: float


def _read_build(database: Path) -> tuple[np.ndarray, int, float, int]:
    """The standardised matrix, k, the fit's inertia and random_state of a build database."""
    import duckdb

    from customer_segmentation.tables import (
        customer_order_column,
        fetch_matrix,
        read_feature_names,
    )

    with duckdb.connect(str(database), read_only=True) as connection:
        features = read_feature_names(
            connection.sql("select * from intermediate.int_feature_scaler")
        )
        table = connection.sql("select * from intermediate.int_customer_features_scaled")
        _, X = fetch_matrix(table, features, customer_order_column(table), key="customer_id")
        [(k, inertia, random_state)] = connection.sql(
            "select count(*), max(inertia), max(random_state) from intermediate.int_kmeans_fit"
        ).fetchall()
    return X, int(k), float(inertia), int(random_state)


def kmeans_against_full_search(
    X: np.ndarray, n_clusters: int, build_inertia: float, *, random_state: int = 0
) -> VerifyFigure:
    """The build's k-means inertia against ``KMeans(n_init=10)`` on all rows of ``X``."""
    from sklearn.cluster import KMeans

    started = time.perf_counter()
    reference = KMeans(
        n_clusters=n_clusters, n_init=REFERENCE_N_INIT, random_state=random_state
    ).fit(X)
    seconds = time.perf_counter() - started
    # The reference's own inertia_ is computed from its last centres in float64; the build's
    # figure is the exact sum of squares of its labels around their means.
    excess = build_inertia / float(reference.inertia_) - 1.0
    return VerifyFigure(
        name=f"k-means, k={n_clusters}, {X.shape[0]:,} customers",
        value=excess,
        goal=f"build inertia <= full-data n_init={REFERENCE_N_INIT} search + {KMEANS_RTOL:.1%}",
        met=excess <= KMEANS_RTOL,
        detail=(
            f"build {build_inertia:,.2f}, full-data KMeans(n_init={REFERENCE_N_INIT}) "
            f"{reference.inertia_:,.2f}: {excess:+.4%}"
        ),
        seconds=seconds,
    )


def two_stage_against_exact_ward(
    X: np.ndarray,
    n_clusters: int,
    *,
    random_state: int,
    n_rows: int = WARD_ROWS,
    n_micro_clusters: int | None = None,
    micro_sample_size: int | None = None,
) -> VerifyFigure | None:
    """ARI of two-stage and exact Ward, both cut at ``n_clusters``, on ``n_rows`` customers.

    ``None`` when ``X`` has fewer than ``n_rows`` rows. The micro-cluster settings default to
    the build's (:class:`customer_segmentation.settings.WardSettings`).
    """
    import fastcluster
    from sklearn.metrics import adjusted_rand_score

    from customer_segmentation import hierarchical
    from customer_segmentation.settings import WardSettings

    if X.shape[0] < n_rows:
        return None
    defaults = WardSettings()
    rng = np.random.default_rng(np.random.SeedSequence([random_state, 0xA1D]))
    sample = np.ascontiguousarray(X[np.sort(rng.choice(X.shape[0], size=n_rows, replace=False))])
    started = time.perf_counter()
    exact = hierarchical.cut_linkage(fastcluster.linkage_vector(sample, method="ward"), n_clusters)
    exact_seconds = time.perf_counter() - started
    started = time.perf_counter()
    tree = hierarchical.two_stage_ward(
        sample,
        n_micro_clusters=n_micro_clusters or defaults.n_micro_clusters,
        random_state=random_state,
        sample_size=micro_sample_size or defaults.micro_sample_size,
    )
    two_stage = hierarchical.cut_linkage(tree.linkage, n_clusters)[tree.leaf_labels]
    two_stage_seconds = time.perf_counter() - started
    ari = float(adjusted_rand_score(exact, two_stage))
    return VerifyFigure(
        name=f"two-stage Ward, k={n_clusters}, {n_rows:,} customers",
        value=ari,
        goal=f"ARI with exact Ward >= {WARD_MIN_ARI}",
        met=ari >= WARD_MIN_ARI,
        detail=(
            f"ARI {ari:.4f}; exact Ward (fastcluster) {exact_seconds:.1f} s, two-stage "
            f"({tree.leaf_sizes.shape[0]:,} micro-clusters) {two_stage_seconds:.1f} s"
        ),
        seconds=exact_seconds + two_stage_seconds,
    )


def verify_build(database: Path, *, ward_rows: int = WARD_ROWS) -> tuple[list[VerifyFigure], int]:
    """Both comparisons on the build in ``database`` (the Ward one only from ``ward_rows``
    customers); returns them and the build's number of customers."""
    X, k, inertia, random_state = _read_build(Path(database))
    figures = [kmeans_against_full_search(X, k, inertia)]
    ward = two_stage_against_exact_ward(X, k, random_state=random_state, n_rows=ward_rows)
    if ward is not None:
        figures.append(ward)
    return figures, X.shape[0]


def format_figures(figures: list[VerifyFigure], n_customers: int, ward_rows: int) -> str:
    """The verify section of the benchmark report."""
    lines = ["", "verify (as good at scale):"]
    for figure in figures:
        lines.append(
            f"  {figure.name}: {figure.detail} -> goal {figure.goal}: "
            f"{'MET' if figure.met else 'NOT MET'} ({figure.seconds:.1f} s)"
        )
    if not any(f.name.startswith("two-stage") for f in figures):
        lines.append(
            f"  two-stage Ward: not checked ({n_customers:,} customers, fewer than the "
            f"{ward_rows:,} of the comparison; the build used exact Ward up to its limit)"
        )
    return "\n".join(lines)


def verify_benchmark(work_dir: Path, rows: int, *, ward_rows: int = WARD_ROWS) -> str:
    """Run both comparisons on the database ``benchmark.run(rows, ...)`` left in ``work_dir``.

    ``rows`` as passed to the benchmark (0 = the embedded customers). Returns the report text.
    """
    label = "embedded" if rows == 0 else str(rows)
    database = Path(work_dir).resolve() / f"bench_{label}.duckdb"
    if not database.exists():
        raise FileNotFoundError(
            f"{database}: no benchmark build to verify; run the benchmark first"
        )
    figures, n_customers = verify_build(database, ward_rows=ward_rows)
    return format_figures(figures, n_customers, ward_rows)
