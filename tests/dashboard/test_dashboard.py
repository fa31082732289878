"""`make dashboard` end to end: Superset starts on 127.0.0.1 with the shipped dashboard, every
chart returns rows of the current publication, headless Chromium draws it, a rebuild while it
is connected succeeds and shows up, and `make dashboard-stop` ends it.

Run by `make test-dashboard` (part of .ci/run). It builds into a temporary directory and runs
its own Superset there (own state directory, free port), so a dashboard you run is untouched.
The phases' times are printed at the end (pytest -rP).
"""

from __future__ import annotations

import json
import os
import re
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import numpy as np
import pytest
from matplotlib.image import imread

from customer_segmentation.dashboard import ADMIN_USERNAME, DASHBOARD_SLUG, SupersetClient

PROJECT_ROOT = Path(__file__).resolve().parents[2]
VENV = Path(sys.executable).parent.parent
VENV_SUPERSET = Path(os.environ.get("VENV_SUPERSET", PROJECT_ROOT / ".venv-superset"))
SCREENSHOT = PROJECT_ROOT / "dashboard" / "screenshot.py"
#: Charts of the shipped dashboard (dashboard/export/charts).
N_CHARTS = len(list((PROJECT_ROOT / "dashboard" / "export" / "charts").glob("*.yaml")))
TIMINGS: dict[str, float] = {}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Work:
    """One temporary build, serving file and Superset home, driven through make."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.serving = root / "serving.duckdb"
        self.home = root / "superset"
        self.url = f"http://127.0.0.1:{self.port}"

    def make(self, *targets: str, timeout: float = 900) -> subprocess.CompletedProcess:
        env = {
            **os.environ,
            "DBT_DUCKDB_PATH": str(self.root / "build.duckdb"),
            "DBT_TARGET_PATH": str(self.root / "target"),
            "DBT_LOG_PATH": str(self.root / "logs"),
        }
        variables = [
            f"VENV={VENV}",
            f"VENV_SUPERSET={VENV_SUPERSET}",
            f"SERVING_PATH={self.serving}",
            f"SUPERSET_HOME={self.home}",
            f"SUPERSET_PORT={self.port}",
        ]
        return subprocess.run(
            ["make", "--no-print-directory", *targets, *variables],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def build_id(self) -> str:
        with duckdb.connect(str(self.serving), read_only=True) as connection:
            return connection.execute("select build_id from marts.build_info").fetchone()[0]

    def client(self) -> SupersetClient:
        password = (self.home / "admin_password").read_text().strip()
        return SupersetClient(self.url).login(ADMIN_USERNAME, password)


def timed(name: str, function, *args, **kwargs):
    started = time.monotonic()
    try:
        return function(*args, **kwargs)
    finally:
        TIMINGS[name] = time.monotonic() - started


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    work = Work(tmp_path_factory.mktemp("dashboard"))
    built = timed("make build (first publication)", work.make, "build")
    assert built.returncode == 0, (built.stdout + built.stderr)[-4000:]
    started = timed("make dashboard (first start)", work.make, "dashboard")
    work.start_output = started.stdout + started.stderr
    try:
        assert started.returncode == 0, work.start_output[-4000:]
        yield work
    finally:
        work.make("dashboard-stop")
        print("\n".join(f"{name}: {seconds:.1f} s" for name, seconds in TIMINGS.items()))


def test_make_dashboard_prints_the_url_and_the_login_and_keeps_secrets_private(work):
    output = work.start_output
    assert f"{work.url}/superset/dashboard/{DASHBOARD_SLUG}/" in output
    password = (work.home / "admin_password").read_text().strip()
    assert f"login: {ADMIN_USERNAME}  password: {password}" in output
    for secret in ("admin_password", "secret_key"):
        mode = stat.S_IMODE((work.home / secret).stat().st_mode)
        assert mode == 0o600, f"{secret} has mode {oct(mode)}"
    assert stat.S_IMODE(work.home.stat().st_mode) == 0o700
    assert len(password) >= 20 and len((work.home / "secret_key").read_text().strip()) >= 40
    # The default state directory is ignored by git, and no secret is in the repository.
    ignored = subprocess.run(
        ["git", "check-ignore", ".superset/secret_key", ".venv-superset/bin/python"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
    )
    assert ignored.stdout.split() == [".superset/secret_key", ".venv-superset/bin/python"]
    tracked = subprocess.run(
        ["git", "grep", "-l", "-F", password], cwd=PROJECT_ROOT, capture_output=True, text=True
    )
    assert tracked.stdout == ""

    # A second start finds it running and does not print the password again.
    again = work.make("dashboard")
    assert again.returncode == 0, again.stderr[-2000:]
    assert "already running" in again.stdout and password not in again.stdout


def listening_addresses(port: int) -> set[str]:
    """Local addresses with a socket listening on ``port`` (from /proc/net/tcp and tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        lines = Path(table).read_text().splitlines()[1:] if Path(table).exists() else []
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


def test_it_listens_on_loopback_only(work):
    assert listening_addresses(work.port) == {"0100007F"}  # 127.0.0.1, little-endian hex


def check_charts(work: Work) -> dict[str, list[dict]]:
    """Every chart's rows; each chart must return rows, the publication chart this build."""
    client = work.client()
    charts = client.dashboard_charts(DASHBOARD_SLUG)
    assert len(charts) == N_CHARTS
    rows = {chart["slice_name"]: client.chart_rows(chart["id"]) for chart in charts}
    empty = [name for name, chart_rows in rows.items() if not chart_rows]
    assert empty == [], f"charts without rows: {empty}"
    (publication,) = (r for name, r in rows.items() if name.startswith("Publication shown"))
    assert [row["build_id"] for row in publication] == [work.build_id()]
    return rows


def test_every_chart_returns_rows_of_the_current_publication(work):
    rows = timed("REST: login + every chart's rows", check_charts, work)
    with duckdb.connect(str(work.serving), read_only=True) as connection:
        customers = connection.execute("select count(*) from marts.mart_customer_segments")
        customers = customers.fetchone()
        segments = connection.execute(
            "select segment_name, customers from marts.mart_segments "
            "where segmentation_method = 'kmeans'"
        ).fetchall()
        rejected = connection.execute(
            "select count(*) from marts.mart_customers_rejected"
        ).fetchone()
        cells = connection.execute("select count(*) from marts.mart_region_channel_performance")
        cells = cells.fetchone()[0]
    assert rows["Customers segmented"] == [{"customers": customers[0]}]
    assert rows["Rejected input rows"] == [{"rejected rows": rejected[0]}]
    table = rows["Segments: size, share of customers and of revenue, CLV, watch time"]
    assert {(r["segment_name"], r["customers"]) for r in table} == set(segments)
    assert sum(r["share_of_revenue"] for r in table) == pytest.approx(1.0)
    recommendations = rows["Recommendation per segment, with its rationale"]
    assert len(recommendations) == len(segments)
    assert all(r["recommendation"] and r["rationale"] for r in recommendations)
    assert len(rows["Region x channel: mean CLV"]) == cells
    social = rows["Discovery through social media: share of each region's customers, by channel"]
    assert {r["region_name"] for r in social} >= {"All regions", "Western Europe"}
    assert sum(r["input_rows"] for r in rows["Input rows: segmented and rejected (by reason)"]) == (
        customers[0] + rejected[0]
    )


def non_background_share(png: Path) -> float:
    """Share of pixels that differ from the page's most common colour (its background)."""
    image = imread(png)[..., :3]
    pixels = (image.reshape(-1, 3) * 255).round().astype(np.uint8)
    colours, counts = np.unique(pixels, axis=0, return_counts=True)
    background = colours[counts.argmax()]
    return float(np.mean(np.any(np.abs(pixels.astype(int) - background) > 12, axis=1)))


def screenshot(work: Work, out: Path) -> dict:
    completed = subprocess.run(
        [
            str(VENV_SUPERSET / "bin" / "python"),
            str(SCREENSHOT),
            "--url",
            work.url,
            "--password-file",
            str(work.home / "admin_password"),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_headless_chromium_draws_every_chart(work, tmp_path):
    out = tmp_path / "dashboard.png"
    result = timed("headless Chromium screenshot", screenshot, work, out)
    assert result["errors"] == {} and result["loading"] == []
    assert result["charts"] == result["drawn"] == N_CHARTS
    share = non_background_share(out)
    assert share > 0.10, f"the screenshot is nearly blank ({share:.1%} of pixels drawn)"


def test_the_blank_check_can_fail(tmp_path):
    """A page with a header and nothing else is caught as blank."""
    import matplotlib.pyplot as plt

    image = np.full((600, 800, 3), 0.96)
    image[:40] = 1.0
    image[15:25, 20:300] = 0.2
    plt.imsave(tmp_path / "blank.png", image)
    assert non_background_share(tmp_path / "blank.png") < 0.10


def test_a_rebuild_while_connected_succeeds_and_then_shows(work):
    before = work.build_id()
    client = work.client()
    (publication,) = (
        c for c in client.dashboard_charts(DASHBOARD_SLUG) if c["slice_name"].startswith("Pub")
    )
    seen: list[str] = []
    errors: list[str] = []
    stop = threading.Event()

    def keep_querying() -> None:
        """A dashboard being refreshed during the build: its charts query the serving file."""
        while not stop.is_set():
            try:
                seen.append(client.chart_rows(publication["id"])[0]["build_id"])
            except Exception as exc:  # any failure is recorded and fails the test below
                errors.append(str(exc))
            time.sleep(0.3)

    reader = threading.Thread(target=keep_querying)
    reader.start()
    try:
        rebuilt = timed("make build while connected", work.make, "build")
        after = work.build_id()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (not seen or seen[-1] != after):
            time.sleep(0.3)
    finally:
        stop.set()
        reader.join(timeout=60)
    assert rebuilt.returncode == 0, (rebuilt.stdout + rebuilt.stderr)[-4000:]
    assert "published build" in rebuilt.stdout
    assert after != before
    assert errors == []
    assert seen[0] == before and seen[-1] == after
    assert set(seen) == {before, after}
    timed("REST: every chart after the rebuild", check_charts, work)


def test_make_dashboard_stop_ends_it_by_its_pid(work):
    pid = int((work.home / "superset.pid").read_text())
    stopped = timed("make dashboard-stop", work.make, "dashboard-stop")
    assert stopped.returncode == 0, stopped.stderr[-2000:]
    assert f"stopped Superset (pid {pid})" in stopped.stdout
    assert not (work.home / "superset.pid").exists()
    assert (
        not Path(f"/proc/{pid}").exists()
        or b"gunicorn" not in Path(f"/proc/{pid}/cmdline").read_bytes()
    )
    assert listening_addresses(work.port) == set()
    assert re.search("not running", work.make("dashboard-stop").stdout)
