"""The build's algorithm and statistics settings, validated: one row, one column per setting.

customer_segmentation.settings holds every default and range; this model is how the SQL models
read them (the decision and quality marts' thresholds), so no threshold is written twice.
"""

import pandas as pd

from customer_segmentation.settings import Settings


def model(dbt, session):
    dbt.config(materialized="table")
    settings = Settings.from_json(dbt.config.get("segmentation_settings"))
    return pd.DataFrame([settings.flat()])
