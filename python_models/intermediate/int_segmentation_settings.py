"""The build's algorithm and statistics settings, validated: one row, one column per setting.

customer_segmentation.settings holds every default and range; this model is how the SQL models
read them (the decision and quality marts' thresholds), so no threshold is written twice.
"""

import pandas as pd

from customer_segmentation.settings import Settings
from customer_segmentation.tables import for_session


def model(dbt, session):
    dbt.config(materialized="table")
    settings = Settings.from_json(dbt.config.get("segmentation_settings"))
    return for_session(pd.DataFrame([settings.flat()]), session)
