"""The project's Superset dashboard: the shipped export, a local server and a REST client.

- :mod:`~customer_segmentation.dashboard.bundle`: ``dashboard/export`` (Superset's YAML
  export, committed) to the ZIP Superset imports, with the serving file's path set at import.
- :mod:`~customer_segmentation.dashboard.server`: ``make dashboard`` / ``make dashboard-stop``.
- :mod:`~customer_segmentation.dashboard.api`: login, charts and their rows, export.
"""

from customer_segmentation.dashboard.api import SupersetClient, wait_until_healthy
from customer_segmentation.dashboard.bundle import (
    SERVING_PATH_PLACEHOLDER,
    DashboardError,
    import_bundle,
    serving_uri,
    write_export,
)
from customer_segmentation.dashboard.server import (
    ADMIN_USERNAME,
    DASHBOARD_SLUG,
    EXPORT_DIR,
    SupersetHome,
    running_pid,
    start,
    stop,
)

__all__ = [
    "ADMIN_USERNAME",
    "DASHBOARD_SLUG",
    "EXPORT_DIR",
    "SERVING_PATH_PLACEHOLDER",
    "DashboardError",
    "SupersetClient",
    "SupersetHome",
    "import_bundle",
    "running_pid",
    "serving_uri",
    "start",
    "stop",
    "wait_until_healthy",
    "write_export",
]
