"""How far k-means and Ward agree: scikit-learn's adjusted Rand index and normalised mutual
information, from the k-means x Ward cell counts."""

from customer_segmentation.pipeline import method_agreement


def model(dbt, session):
    dbt.config(materialized="table")
    return method_agreement(dbt.ref("int_segment_pair_counts"))
