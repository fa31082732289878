"""Log in to Superset in headless Chromium, open a dashboard, wait for its charts, screenshot it.

Run with Superset's Python (it ships selenium) and Debian's chromium + chromedriver:

    .venv-superset/bin/python dashboard/screenshot.py --url http://127.0.0.1:8088 \\
        --password-file .superset/admin_password --out docs/images/dashboard.png

Prints one JSON line: the charts found, those that rendered, their error messages, the page
height and the seconds it took. Chromium runs with a fresh profile and no background
networking; it only talks to the given URL (Superset on 127.0.0.1).
"""

import argparse
import base64
import json
import shutil
import sys
import tempfile
import time

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)
CHART = ".dashboard-component-chart-holder"
#: A chart holder has finished when it shows a drawing, a table, a number or an error.
#: (Per chart: the holder's chart container is no longer loading.)
CHART_STATE_SCRIPT = """
return Array.from(document.querySelectorAll(arguments[0])).map(function (holder) {
  var title = holder.querySelector('[data-test="editable-title"], .header-title, .editable-title');
  var error = holder.querySelector('.ant-alert-error, [role="alert"]');
  var loading = holder.querySelector('.loading, [data-test="loading-indicator"]');
  var drawn = holder.querySelector('svg, canvas, table, .header-line, .big-number');
  return {title: title ? title.innerText.trim() : '', loading: !!loading, drawn: !!drawn,
          error: error ? error.innerText.trim().slice(0, 300) : ''};
});
"""


def chromium_driver(width: int, height: int) -> webdriver.Chrome:
    """Headless Chromium through chromedriver, with a fresh profile."""
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or shutil.which("chromium-browser") or ""
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tempfile.mkdtemp(prefix='dashboard-chromium-')}")
    options.add_argument(f"--window-size={width},{height}")
    driver_path = shutil.which("chromedriver")
    if not options.binary_location or not driver_path:
        sys.exit("chromium and chromedriver are needed: make chromium-driver installs them")
    return webdriver.Chrome(options=options, service=Service(driver_path))


def log_in(driver: webdriver.Chrome, url: str, username: str, password: str) -> None:
    """Fill Superset's login form and wait until it lets us in (three tries: right after the
    server starts, the form can be submitted before its script is ready)."""
    for attempt in range(3):
        driver.get(f"{url}/login/")
        wait = WebDriverWait(driver, 60)
        wait.until(lambda d: d.find_elements(By.ID, "username"))
        button = driver.find_element(By.CSS_SELECTOR, "button[type=submit]")
        wait.until(lambda d, button=button: button.is_enabled())
        driver.find_element(By.ID, "username").send_keys(username)
        driver.find_element(By.ID, "password").send_keys(password)
        button.click()
        try:
            WebDriverWait(driver, 20).until(lambda d: "/login" not in d.current_url)
            return
        except TimeoutException:
            if attempt == 2:
                raise SystemExit(
                    f"could not log in to {url} as {username}: "
                    + driver.find_element(By.TAG_NAME, "body").text[:300]
                ) from None


def wait_for_charts(driver: webdriver.Chrome, timeout: float) -> list[dict]:
    """Each chart's state once every chart has stopped loading (or the timeout passed)."""
    deadline = time.monotonic() + timeout
    states: list[dict] = []
    while time.monotonic() < deadline:
        states = driver.execute_script(CHART_STATE_SCRIPT, CHART)
        if states and all(not s["loading"] and (s["drawn"] or s["error"]) for s in states):
            time.sleep(1.5)  # let the charts' entry animations finish
            return driver.execute_script(CHART_STATE_SCRIPT, CHART)
        time.sleep(0.5)
    return states


def page_png(driver: webdriver.Chrome, width: int) -> tuple[bytes, int]:
    """A screenshot of the page's content (the window is taller than the dashboard) and the
    content's height. Resizing the window instead would make the charts redraw."""
    height = int(
        driver.execute_script(
            "var grid = document.querySelector('.grid-container, .dashboard-content');"
            "var bottom = grid ? grid.getBoundingClientRect().bottom + window.scrollY : 0;"
            "return Math.ceil(Math.max(bottom, 400)) + 24;"
        )
    )
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot",
        {"format": "png", "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}},
    )
    return base64.b64decode(shot["data"]), height


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="Superset, e.g. http://127.0.0.1:8088")
    parser.add_argument("--username", default="admin")
    parser.add_argument("--password-file", required=True, help="file holding the password")
    parser.add_argument("--slug", default="customer-segmentation", help="the dashboard's slug")
    parser.add_argument("--out", required=True, help="PNG to write")
    parser.add_argument("--width", type=int, default=1600)
    parser.add_argument(
        "--height", type=int, default=2600, help="window height: more than the dashboard's"
    )
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds for the charts")
    args = parser.parse_args()
    started = time.monotonic()
    with open(args.password_file, encoding="ascii") as handle:
        password = handle.read().strip()
    driver = chromium_driver(args.width, args.height)
    try:
        log_in(driver, args.url, args.username, password)
        driver.get(f"{args.url}/superset/dashboard/{args.slug}/?standalone=1")
        try:
            WebDriverWait(driver, 60).until(lambda d: d.find_elements(By.CSS_SELECTOR, CHART))
        except TimeoutException:
            sys.exit(f"no chart appeared on {driver.current_url}")
        states = wait_for_charts(driver, args.timeout)
        png, height = page_png(driver, args.width)
    finally:
        driver.quit()
    with open(args.out, "wb") as out:
        out.write(png)
    print(
        json.dumps(
            {
                "charts": len(states),
                "drawn": sum(bool(s["drawn"]) and not s["error"] for s in states),
                "errors": {s["title"]: s["error"] for s in states if s["error"]},
                "loading": [s["title"] for s in states if s["loading"]],
                "height": height,
                "seconds": round(time.monotonic() - started, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
