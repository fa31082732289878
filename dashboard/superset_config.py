"""Superset configuration for the project's local dashboard (``make dashboard``).

Superset reads this file through ``SUPERSET_CONFIG_PATH``. Nothing secret is in it: the
``SECRET_KEY`` is read from ``$CUSTOMER_SEGMENTATION_SUPERSET_HOME/secret_key``, a file that
``customer-segmentation dashboard start`` generates on first start (mode 0600, outside git), and
the metadata database (users, charts, the dashboard) is a SQLite file in the same directory.
"""

import os
from pathlib import Path

_HOME = Path(
    os.environ.get(
        "CUSTOMER_SEGMENTATION_SUPERSET_HOME", Path(__file__).resolve().parent.parent / ".superset"
    )
)
_SECRET_FILE = _HOME / "secret_key"
if not _SECRET_FILE.is_file():
    raise RuntimeError(
        f"{_SECRET_FILE} is missing: start Superset with `make dashboard`, which creates it"
    )

SECRET_KEY = _SECRET_FILE.read_text(encoding="ascii").strip()
SQLALCHEMY_DATABASE_URI = f"sqlite:///{_HOME / 'superset.db'}?check_same_thread=false"
DATA_DIR = str(_HOME)

# Local, offline use: no example data, no telemetry, no external fonts or map tiles.
SUPERSET_LOAD_EXAMPLES = False
SCARF_ANALYTICS = False
# Chart data is never cached: a new publication of the serving file shows on the next refresh.
DATA_CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}
EXPLORE_FORM_DATA_CACHE_CONFIG = {"CACHE_TYPE": "SimpleCache"}
FILTER_STATE_CACHE_CONFIG = {"CACHE_TYPE": "SimpleCache"}
RATELIMIT_STORAGE_URI = "memory://"
# One light theme: no theme switcher, nothing fetched for it.
THEME_DARK = None
# Render every chart of a dashboard at once, not only those scrolled into view: the dashboard
# is one screenful of answers, and the headless screenshot of `make test-dashboard` sees all.
FEATURE_FLAGS = {"DASHBOARD_VIRTUALIZATION": False}
