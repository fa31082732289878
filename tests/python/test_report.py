"""The HTML report: figure helpers on small frames, sections skipped when a mart is missing,
the full report of the embedded build, and that report opened in headless Chromium."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import duckdb
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from scipy.cluster.hierarchy import fcluster, linkage

from customer_segmentation import report
from customer_segmentation.cli import main as cli_main
from customer_segmentation.hierarchical import linkage_to_frame

# ---------------------------------------------------------------------------- figure helpers


def dendrogram_frame(Z: np.ndarray, n_segments: int) -> pd.DataFrame:
    """The mart_ward_dendrogram layout of a scipy linkage matrix."""
    frame = linkage_to_frame(Z).rename(columns={"size": "customers"})
    frame["is_above_cut"] = frame["n_clusters_after"] < n_segments
    return frame


def test_linkage_round_trips_through_the_mart_layout():
    X = np.random.default_rng(0).normal(size=(40, 3))
    Z = linkage(X, "ward")
    frame = dendrogram_frame(Z, 4).sample(frac=1.0, random_state=1)  # any row order
    np.testing.assert_allclose(report.linkage_from_merges(frame), Z)


def test_cut_height_separates_the_segments():
    X = np.random.default_rng(1).normal(size=(60, 2))
    Z = linkage(X, "ward")
    for n_segments in (2, 5, 9):
        height = report.cut_height(dendrogram_frame(Z, n_segments))
        labels = fcluster(Z, t=height, criterion="distance")
        assert len(np.unique(labels)) == n_segments


def test_figures_draw_from_small_frames():
    rng = np.random.default_rng(2)
    customers = pd.DataFrame(
        {
            "minutes_watched": np.r_[0.0, rng.lognormal(6, 1.5, 99)],
            "clv": rng.gamma(3, 40, 100),
            "region": rng.integers(0, 3, 100),
            "channel": rng.integers(1, 9, 100),
            "kmeans_segment_id": rng.integers(1, 4, 100),
        }
    )
    segments = pd.DataFrame(
        {
            "segmentation_method": "kmeans",
            "segment_id": [1, 2, 3],
            "segment_name": ["A", "B", "C"],
            "customers": [40, 35, 25],
        }
    )
    X = rng.normal(size=(30, 2))
    figures = [
        report.correlation_figure(customers),
        report.minutes_clv_figure(customers, segments),
        report.segment_sizes_figure(segments),
        report.dendrogram_figure(dendrogram_frame(linkage(X, "ward"), 3), leaves=10),
        report.k_selection_figure(
            pd.DataFrame(
                {"k": [2, 3, 4], "inertia": [9.0, 5.0, 4.0], "silhouette": [0.3, 0.4, 0.2]}
            ),
            chosen_k=3,
        ),
    ]
    for figure in figures:
        assert isinstance(figure, Figure)
        tag = report.figure_to_img(figure, "x")
        assert tag.startswith('<img alt="x" src="data:image/png;base64,')


def test_k_selection_figure_reads_long_tables_and_skips_flags():
    long = pd.DataFrame(
        {
            "k": [2, 2, 3, 3],
            "criterion": ["inertia", "silhouette"] * 2,
            "value": [9.0, 0.3, 5.0, 0.4],
        }
    )
    figure = report.k_selection_figure(long, chosen_k=3)
    titles = sorted(ax.get_title() for ax in figure.axes if ax.get_visible())
    assert titles == ["inertia", "silhouette"]
    wide = pd.DataFrame({"n_clusters": [2, 3], "inertia": [9.0, 5.0], "is_elbow": [False, True]})
    titles = [ax.get_title() for ax in report.k_selection_figure(wide).axes if ax.get_visible()]
    assert titles == ["inertia"]


def test_k_selection_figure_needs_k():
    with pytest.raises(ValueError, match="needs a column named one of k"):
        report.k_selection_figure(pd.DataFrame({"inertia": [1.0, 2.0]}))


def test_html_table_escapes_values():
    table = report.html_table(pd.DataFrame({"a": ["<b>x</b>"]}), (("a", "A", "{}"),))
    assert "&lt;b&gt;x&lt;/b&gt;" in table and "<b>x" not in table


def test_missing_relations_skip_their_sections():
    with duckdb.connect() as connection:
        connection.sql("create schema marts")
        connection.sql(
            "create table marts.mart_ward_dendrogram as select * from (values "
            "(1, 0, 1, 1.0, 2, 2, false), (2, 2, 3, 3.0, 3, 1, true)) "
            "t(merge_step, left_node, right_node, height, customers, n_clusters_after, "
            "is_above_cut)"
        )
        rendered = report.render_report(report.ReportData(connection))
    assert rendered.rendered == ["dendrogram"]
    assert rendered.skipped["overview"] == [
        "dim_segments",
        "fct_customer_segments",
        "customers_rejected",
    ]
    assert "k_selection" in rendered.skipped["k-selection"]
    assert rendered.html.count("Skipped: this build has no") == len(report.SECTIONS) - 1


def test_write_report_names_a_missing_database(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such DuckDB file"):
        report.write_report(tmp_path / "missing.duckdb", tmp_path / "r.html")


# ---------------------------------------------------------------------------- the real report


@pytest.fixture(scope="module")
def embedded_report(embedded_build, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "segmentation_report.html"
    # Another read-only reader at the same time, as a BI tool would be.
    with duckdb.connect(str(embedded_build.database), read_only=True):
        assert (
            cli_main(["report", "--database", str(embedded_build.database), "--out", str(out)]) == 0
        )
    return out


@pytest.mark.integration
def test_report_has_every_section_it_can_draw(embedded_report, embedded_build):
    text = embedded_report.read_text(encoding="utf-8")
    with duckdb.connect(str(embedded_build.database), read_only=True) as connection:
        data = report.ReportData(connection)
        expected_skips = {s.key for s in report.SECTIONS if report._missing(s, data)}
        names = [
            r[0] for r in connection.sql("select segment_name from marts.dim_segments").fetchall()
        ]
    assert expected_skips <= {"k-selection"}
    for section in report.SECTIONS:
        assert f'id="{section.key}"' in text
    n_images = len(re.findall(r"<img ", text))
    # One picture per figure section that could be drawn.
    figure_sections = {
        "correlation",
        "scatter",
        "k-selection",
        "dendrogram",
        "sizes",
        "profiles",
        "region-channel",
    }
    assert n_images == len(figure_sections - expected_skips)
    # Self-contained: every image is inline, nothing is fetched from elsewhere.
    assert len(re.findall(r'src="data:image/png;base64,', text)) == n_images
    assert not re.search(r'(src|href)="(https?:)?//', text)
    assert "<script" not in text
    for name in names:
        assert name.replace("&", "&amp;") in text


CHECK_SCRIPT = """<script>
window.__reportErrors = [];
window.addEventListener('error', function (e) {
  window.__reportErrors.push(e.message || ('failed to load ' + (e.target && e.target.alt)));
}, true);
window.addEventListener('load', function () {
  var images = Array.prototype.slice.call(document.images);
  var broken = images.filter(function (i) { return !(i.complete && i.naturalWidth > 0); })
                     .map(function (i) { return i.alt; });
  var out = document.createElement('pre');
  out.id = 'report-check';
  out.textContent = JSON.stringify({images: images.length, broken: broken,
                                    errors: window.__reportErrors,
                                    sections: document.querySelectorAll('section').length});
  document.body.appendChild(out);
});
</script>"""


def chromium_binary() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.fail(
        "headless Chromium not found: `make setup` installs Debian's chromium as root "
        "(apt-get install -y chromium)"
    )


def chromium_args(user_data_dir) -> list[str]:
    return [
        chromium_binary(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        f"--user-data-dir={user_data_dir}",
        "--virtual-time-budget=10000",
    ]


@pytest.mark.integration
def test_report_renders_in_headless_chromium(embedded_report, tmp_path):
    page = tmp_path / "checked.html"
    page.write_text(
        embedded_report.read_text(encoding="utf-8").replace("<head>", "<head>" + CHECK_SCRIPT, 1),
        encoding="utf-8",
    )
    completed = subprocess.run(
        [*chromium_args(tmp_path / "profile"), "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    found = re.search(r'<pre id="report-check">(.*?)</pre>', completed.stdout, re.S)
    assert found, "the check script did not run:\n" + completed.stderr[-3000:]
    result = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert result["errors"] == []
    assert result["broken"] == []
    assert result["images"] == len(re.findall(r"<img ", embedded_report.read_text()))
    assert result["images"] >= 6
    assert result["sections"] == len(report.SECTIONS)


@pytest.mark.integration
def test_broken_image_is_detected(tmp_path):
    """The Chromium check can fail: an image that does not decode is reported."""
    page = tmp_path / "broken.html"
    page.write_text(
        "<!DOCTYPE html><html><head>" + CHECK_SCRIPT + "</head><body>"
        '<img alt="bad" src="data:image/png;base64,AAAA"></body></html>'
    )
    completed = subprocess.run(
        [*chromium_args(tmp_path / "profile"), "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    found = re.search(r'<pre id="report-check">(.*?)</pre>', completed.stdout, re.S)
    assert found, completed.stderr[-3000:]
    result = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert result["broken"] == ["bad"]
