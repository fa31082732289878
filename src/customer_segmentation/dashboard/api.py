"""A small client of Superset's REST API (standard library only).

Enough to log in, read a dashboard's charts and the rows each chart's saved query returns,
import a dashboard ZIP and export one: what ``make test-dashboard`` checks and
``customer-segmentation dashboard export`` needs. Superset answers API calls with a JWT from
``/api/v1/security/login``; writes also need its CSRF token and the session cookie that came
with it.
"""

from __future__ import annotations

import http.cookiejar
import json
import time
import urllib.error
import urllib.parse
import urllib.request

from customer_segmentation.dashboard.bundle import DashboardError

__all__ = ["SupersetClient", "wait_until_healthy"]


def wait_until_healthy(base_url: str, timeout: float = 90.0, alive=lambda: True) -> float:
    """Poll ``/health`` until Superset answers ``OK``; return the seconds it took.

    ``alive()`` is called between polls; when it returns False (the server process died) the
    wait stops at once. Raises ``DashboardError`` on either failure.
    """
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            with urllib.request.urlopen(f"{base_url}/health", timeout=5) as response:
                if response.read().strip() == b"OK":
                    return time.monotonic() - started
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if not alive():
            raise DashboardError(f"Superset stopped before answering at {base_url}")
        time.sleep(0.25)
    raise DashboardError(f"Superset did not answer at {base_url} within {timeout:.0f} s")


class SupersetClient:
    """Logged-in calls to one Superset server.

    Parameters
    ----------
    base_url : str
        e.g. ``http://127.0.0.1:8088``.
    timeout : float
        Seconds per request.
    """

    def __init__(self, base_url: str, timeout: float = 120.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        self._headers: dict[str, str] = {}

    def request(self, method: str, path: str, body=None, *, raw: bool = False):
        """One API call; the decoded JSON answer (or the bytes when ``raw``)."""
        headers = {"Referer": self.base_url, **self._headers}
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(
            self.base_url + path, data=data, method=method, headers=headers
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                payload = response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")[:500]
            raise DashboardError(f"Superset {method} {path}: HTTP {exc.code}: {detail}") from None
        except urllib.error.URLError as exc:
            raise DashboardError(
                f"Superset {method} {path}: {exc.reason} (is it running at {self.base_url}?)"
            ) from None
        return payload if raw else json.loads(payload or b"null")

    def login(self, username: str, password: str) -> SupersetClient:
        """Log in with a database user; later calls carry the token and the CSRF token."""
        answer = self.request(
            "POST",
            "/api/v1/security/login",
            {"username": username, "password": password, "provider": "db", "refresh": False},
        )
        self._headers["Authorization"] = f"Bearer {answer['access_token']}"
        self._headers["X-CSRFToken"] = self.request("GET", "/api/v1/security/csrf_token/")["result"]
        return self

    def dashboard(self, id_or_slug: int | str) -> dict:
        """The dashboard's description (``/api/v1/dashboard/<id or slug>``)."""
        return self.request("GET", f"/api/v1/dashboard/{id_or_slug}")["result"]

    def dashboard_charts(self, id_or_slug: int | str) -> list[dict]:
        """Every chart of the dashboard: id, slice_name, viz_type, form_data, ..."""
        return self.request("GET", f"/api/v1/dashboard/{id_or_slug}/charts")["result"]

    def chart_rows(self, chart_id: int) -> list[dict]:
        """The rows of every query of a chart's saved query context, run now (no cache)."""
        answer = self.request("GET", f"/api/v1/chart/{chart_id}/data/?force=true")
        return [row for result in answer["result"] for row in result["data"]]

    def export_dashboard(self, dashboard_id: int) -> bytes:
        """The dashboard's export ZIP (dashboard, charts, datasets, database)."""
        query = urllib.parse.quote(f"!({int(dashboard_id)})")
        return self.request("GET", f"/api/v1/dashboard/export/?q={query}", raw=True)
