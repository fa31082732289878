"""Kruskal-Wallis across channels, per region and overall, for minutes and CLV."""

from customer_segmentation.evidence import channel_tests


def model(dbt, session):
    dbt.config(materialized="table")
    return channel_tests(dbt.ref("int_customers_cleaned"))
