"""Run Apache Superset locally with the shipped dashboard over the serving file.

``make dashboard`` calls :func:`start`: Superset (its own virtualenv, ``.venv-superset``) with a
SQLite metadata database, the serving file registered read-only, the dashboard imported from
``dashboard/export`` and gunicorn listening on 127.0.0.1 only. Everything Superset keeps is in
one directory outside git (``.superset/``, :class:`SupersetHome`): the metadata database, the
``SECRET_KEY`` and the admin password (generated on first start, mode 0600), the pid file and
the log. ``make dashboard-stop`` calls :func:`stop`, which ends that pid and nothing else.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from customer_segmentation.dashboard.api import wait_until_healthy
from customer_segmentation.dashboard.bundle import DashboardError, import_bundle

__all__ = [
    "ADMIN_USERNAME",
    "DASHBOARD_SLUG",
    "Started",
    "SupersetHome",
    "running_pid",
    "start",
    "stop",
]

ADMIN_USERNAME = "admin"
#: The shipped dashboard's slug (``dashboard/export/dashboards/*.yaml``): its URL.
DASHBOARD_SLUG = "customer-segmentation"
PROJECT_ROOT = Path(__file__).resolve().parents[3]
CONFIG_FILE = PROJECT_ROOT / "dashboard" / "superset_config.py"
SETUP_SCRIPT = PROJECT_ROOT / "dashboard" / "superset_setup.py"
EXPORT_DIR = PROJECT_ROOT / "dashboard" / "export"


@dataclass(frozen=True)
class SupersetHome:
    """The files Superset's local state lives in (a directory outside git)."""

    root: Path

    @property
    def secret_key(self) -> Path:
        return self.root / "secret_key"

    @property
    def admin_password(self) -> Path:
        return self.root / "admin_password"

    @property
    def initialised(self) -> Path:
        """Written once ``db upgrade``, ``init`` and the admin user all succeeded."""
        return self.root / "initialised"

    @property
    def pid_file(self) -> Path:
        return self.root / "superset.pid"

    @property
    def log_file(self) -> Path:
        return self.root / "superset.log"


def _private_file(path: Path, make_value) -> tuple[str, bool]:
    """The content of ``path``, created with ``make_value()`` (mode 0600) when missing.

    Returns ``(value, created)``.
    """
    if path.is_file():
        return path.read_text(encoding="ascii").strip(), False
    value = make_value()
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(value + "\n")
    return value, True


def prepare_home(home: SupersetHome) -> tuple[str, bool]:
    """Create the state directory (0700), the secret key and the admin password if missing.

    Returns ``(admin_password, created)``: ``created`` is True on the first start only, the one
    time the password is printed.
    """
    home.root.mkdir(mode=0o700, parents=True, exist_ok=True)
    home.root.chmod(0o700)
    _private_file(home.secret_key, lambda: secrets.token_urlsafe(48))
    return _private_file(home.admin_password, lambda: secrets.token_urlsafe(18))


def superset_environment(home: SupersetHome) -> dict[str, str]:
    """The environment Superset's commands run in: config file, state directory, no telemetry."""
    return {
        **os.environ,
        "SUPERSET_CONFIG_PATH": str(CONFIG_FILE),
        "CUSTOMER_SEGMENTATION_SUPERSET_HOME": str(home.root),
        "FLASK_APP": "superset",
        "SUPERSET_LOAD_EXAMPLES": "no",
        "SCARF_ANALYTICS": "false",
        "PYTHONUNBUFFERED": "1",
    }


def _run(command: list[str], home: SupersetHome, what: str, **kwargs) -> None:
    """Run one Superset command; on failure raise with the end of its output."""
    completed = subprocess.run(
        command,
        env={**superset_environment(home), **kwargs.pop("env", {})},
        capture_output=True,
        text=True,
        timeout=600,
        **kwargs,
    )
    if completed.returncode != 0:
        tail = "\n".join((completed.stdout + completed.stderr).strip().splitlines()[-15:])
        raise DashboardError(f"{what} failed (exit {completed.returncode}):\n{tail}")


def set_up(venv: Path, home: SupersetHome, password: str, serving_path: Path) -> bool:
    """Import the shipped dashboard, reading ``serving_path`` (read-only); on the first start
    also create the metadata database, the roles and the admin user.

    The import runs on every start, so the dashboard follows the repository and the serving
    path given. One Superset process does it all (``dashboard/superset_setup.py``). Returns
    True when this was the first start.
    """
    first = not home.initialised.is_file()
    bundle = import_bundle(EXPORT_DIR, serving_path)
    with tempfile.NamedTemporaryFile(suffix=".zip", dir=home.root) as archive:
        archive.write(bundle)
        archive.flush()
        command = [str(venv / "bin" / "python"), str(SETUP_SCRIPT), "--import", archive.name]
        # The password goes through the environment (readable by this user only), not argv.
        _run(
            [*command, "--username", ADMIN_USERNAME] + (["--initialise"] if first else []),
            home,
            "setting Superset up" if first else "importing the dashboard",
            env={"CUSTOMER_SEGMENTATION_SUPERSET_PASSWORD": password},
        )
    home.initialised.touch()
    return first


def _server_name(home: SupersetHome) -> str:
    """The gunicorn ``--name`` of this home's server: its command line says whose it is."""
    return f"customer-segmentation-superset:{home.root}"


def _is_our_server(pid: int, home: SupersetHome) -> bool:
    """True when ``pid`` is alive and is the gunicorn this home started (not a reused pid)."""
    proc = Path("/proc")
    if not proc.is_dir():  # no /proc (macOS): trust the pid file when the pid is alive
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True
    try:
        command = (proc / str(pid) / "cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return _server_name(home).encode() in command


def running_pid(home: SupersetHome) -> int | None:
    """The pid of this home's running server, or None (a stale pid file is removed)."""
    try:
        pid = int(home.pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    if _is_our_server(pid, home):
        return pid
    home.pid_file.unlink(missing_ok=True)
    return None


@dataclass(frozen=True)
class Started:
    """What :func:`start` did."""

    url: str
    pid: int
    password: str
    password_created: bool
    already_running: bool
    seconds: float


def start(
    venv: str | os.PathLike,
    home: str | os.PathLike,
    serving_path: str | os.PathLike,
    *,
    port: int = 8088,
    threads: int = 8,
) -> Started:
    """Initialise Superset if needed, import the dashboard and start the server on 127.0.0.1.

    Parameters
    ----------
    venv : path-like
        Superset's virtualenv (``make setup-superset`` creates ``.venv-superset``).
    home : path-like
        State directory (``.superset``), created if missing.
    serving_path : path-like
        The published serving file; it must exist (``make build`` writes it).
    port : int
        Port on 127.0.0.1.
    threads : int
        gunicorn threads (a dashboard runs its charts' queries in parallel).
    """
    started = time.monotonic()
    venv, home, serving_path = Path(venv), SupersetHome(Path(home).resolve()), Path(serving_path)
    if not (venv / "bin" / "superset").is_file():
        raise DashboardError(
            f"no Superset in {venv}: run `make dashboard` (it installs it) or `make setup-superset`"
        )
    if not serving_path.is_file():
        raise DashboardError(
            f"no serving file at {serving_path}: run `make build` first (it publishes it)"
        )
    password, created = prepare_home(home)
    url = f"http://127.0.0.1:{port}"
    pid = running_pid(home)
    if pid is not None:
        return Started(url, pid, password, created, True, time.monotonic() - started)
    set_up(venv, home, password, serving_path.resolve())
    command = [
        str(venv / "bin" / "gunicorn"),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "1",
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--timeout",
        "120",
        "--graceful-timeout",
        "5",
        "--name",
        _server_name(home),
        "superset.app:create_app()",
    ]
    with open(home.log_file, "ab") as log:
        process = subprocess.Popen(
            command,
            env=superset_environment(home),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    home.pid_file.write_text(f"{process.pid}\n")
    try:
        wait_until_healthy(url, alive=lambda: process.poll() is None)
    except DashboardError as exc:
        stop(home.root)
        tail = "\n".join(home.log_file.read_text(errors="replace").splitlines()[-15:])
        raise DashboardError(f"{exc}; the end of {home.log_file}:\n{tail}") from None
    return Started(url, process.pid, password, created, False, time.monotonic() - started)


def stop(home: str | os.PathLike, timeout: float = 30.0) -> int | None:
    """Stop the server this home started (its pid only); return the pid, or None if none ran."""
    home = SupersetHome(Path(home).resolve())
    pid = running_pid(home)
    if pid is None:
        return None
    os.kill(pid, signal.SIGTERM)  # gunicorn's master stops its workers
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _is_our_server(pid, home):
        with contextlib.suppress(ChildProcessError):  # reap it if it is our child
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.2)
    if _is_our_server(pid, home):
        os.kill(pid, signal.SIGKILL)
    home.pid_file.unlink(missing_ok=True)
    return pid
