"""The HTML report: figure helpers on small frames, sections skipped when a mart is missing,
which build the page says it shows, the segment cards, the full report of the published
embedded build, and that report opened in headless Chromium."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

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
        report.segment_scatter_figure(customers, segments),
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


def k_selection_frame() -> pd.DataFrame:
    """A small mart_k_selection: inertia has its knee at 4, silhouette peaks at 3."""
    return pd.DataFrame(
        {
            "n_clusters": [2, 3, 4, 5],
            "inertia": [100.0, 60.0, 30.0, 25.0],
            "n_starts": [10, 10, 10, 10],
            "silhouette": [0.3, 0.5, 0.4, 0.35],
            "ward_height_gap": [1.0, 5.0, 2.0, 0.5],
            "is_elbow": [False, False, True, False],
            "favoured_by": [None, "silhouette, ward_gap", "elbow", None],
            "is_auto_choice": [False, True, False, False],
            "is_build_k": [False, False, True, False],
            "auto_rule": ["largest Ward gap"] * 4,
        }
    )


def test_k_selection_marks_favoured_build_and_auto_k():
    frame = k_selection_frame()
    favoured = report.favoured_k(frame)
    assert favoured == {"silhouette": 3, "ward_gap": 3, "elbow": 4}
    figure = report.k_selection_figure(frame, chosen_k=4, auto_k=3, favoured=favoured)
    panels = {ax.get_title(): ax for ax in figure.axes if ax.get_visible()}
    # Bookkeeping columns (n_starts) and flags are not criteria.
    assert sorted(panels) == [
        "inertia (favours k = 4)",
        "silhouette (favours k = 3)",
        "ward_height_gap (favours k = 3)",
    ]
    for ax in panels.values():
        vertical = sorted(
            line.get_xdata()[0] for line in ax.lines if line.get_linestyle() in ("--", ":")
        )
        assert vertical == [3, 4]
    ring = [
        line for line in panels["silhouette (favours k = 3)"].lines if line.get_markersize() > 10
    ]
    assert [list(line.get_xdata()) for line in ring] == [[3]]
    assert "dotted orange: the auto choice" in figure._suptitle.get_text()


def test_k_selection_section_highlights_the_build_k():
    with duckdb.connect() as connection:
        connection.sql("create schema marts")
        connection.register("frame", k_selection_frame())
        connection.sql("create table marts.mart_k_selection as select * from frame")
        rendered = report.render_report(
            report.ReportData(connection),
            sections=[s for s in report.SECTIONS if s.key == "k-selection"],
        )
    assert rendered.rendered == ["k-selection"]
    assert re.findall(r'<tr class="chosen"><td>(\d+)</td>', rendered.html) == ["4"]
    assert "This build uses <b>k = 4</b>" in rendered.html
    assert "would take <b>k = 3</b>" in rendered.html
    assert "largest Ward gap" in rendered.html


def test_k_selection_section_names_a_build_k_outside_the_range():
    frame = k_selection_frame().assign(is_build_k=False)
    with duckdb.connect() as connection:
        connection.sql("create schema marts")
        connection.register("frame", frame)
        connection.sql("create table marts.mart_k_selection as select * from frame")
        connection.sql(
            "create table marts.mart_segments as select 'kmeans' as segmentation_method, "
            "range + 1 as segment_id from range(7)"
        )
        rendered = report.render_report(
            report.ReportData(connection),
            sections=[s for s in report.SECTIONS if s.key == "k-selection"],
        )
    assert "This build uses <b>k = 7</b> (outside the scored range of k)" in rendered.html
    assert '<tr class="chosen">' not in rendered.html


def test_quality_and_decision_figures_draw_from_small_frames():
    contingency = pd.DataFrame(
        {
            "kmeans_segment_id": [1, 1, 2, 2],
            "kmeans_segment_name": ["A", "A", "B", "B"],
            "ward_segment_id": [1, 2, 1, 2],
            "ward_segment_name": ["X", "Y", "X", "Y"],
            "customers": [90, 10, 0, 50],
        }
    )
    figure = report.contingency_figure(contingency)
    image = figure.axes[0].images[0].get_array()
    np.testing.assert_allclose(image, [[0.9, 0.1], [0.0, 1.0]])
    texts = sorted(t.get_text() for t in figure.axes[0].texts)
    assert texts == ["10", "50", "90"]  # empty cells carry no number

    stability = pd.DataFrame(
        {
            "segment_id": [1, 2],
            "segment_name": ["A", "B"],
            "customers": [100, 50],
            "mean_jaccard": [0.95, 0.6],
            "min_jaccard": [0.8, 0.2],
            "stability_class": ["stable", "doubtful"],
        }
    )
    ax = report.stability_figure(stability).axes[0]
    widths = sorted(round(p.get_width(), 2) for p in ax.patches)
    assert widths == [0.6, 0.95]

    effects = pd.DataFrame(
        {
            "region": [0, 0, None, None],
            "region_name": ["North", "North", "All regions", "All regions"],
            "is_all_regions": [False, False, True, True],
            "channel": [1, 2, 1, 2],
            "channel_name": ["A", "B", "A", "B"],
            "is_too_few_customers": [False, True, False, False],
            "median_minutes_watched": [10.0, 5.0, 9.0, 6.0],
            "median_minutes_watched_ci_low": [8.0, 1.0, 8.0, 5.0],
            "median_minutes_watched_ci_high": [12.0, 9.0, 10.0, 7.0],
            "region_median_minutes_watched": [9.0, 9.0, 8.0, 8.0],
            "median_minutes_watched_differs": [False, False, True, True],
            "mean_clv": [100.0, 80.0, 95.0, 90.0],
            "mean_clv_ci_low": [90.0, 60.0, 90.0, 85.0],
            "mean_clv_ci_high": [110.0, 100.0, 100.0, 95.0],
            "region_mean_clv": [95.0, 95.0, 93.0, 93.0],
            "mean_clv_differs": [True, False, False, False],
        }
    )
    figure = report.channel_effects_figure(effects)
    assert [ax.get_title() for ax in figure.axes[:2]] == ["North", "All regions"]
    assert len(figure.axes) == 4

    mix = pd.DataFrame(
        {
            "region_name": ["North"] * 4 + ["All regions"] * 4,
            "is_all_regions": [False] * 4 + [True] * 4,
            "region_share_of_customers": [0.4] * 4 + [1.0] * 4,
            "channel_grouping": ["channel", "channel", "social_media", "social_media"] * 2,
            "channel": [2, 1, None, None] * 2,
            "channel_name": ["Facebook", "Google", "Social media", "Other channels"] * 2,
            "is_social_media": [True, False, True, False] * 2,
            "share_of_region": [0.25, 0.75, 0.25, 0.75, 0.5, 0.5, 0.5, 0.5],
        }
    )
    figure = report.region_channel_mix_figure(mix)
    left = figure.axes[0]
    assert [t.get_text() for t in left.get_yticklabels()] == [
        "All regions",
        "North (40% of customers)",
    ]
    # Each region's stacked bars reach 100 %.
    ends = {}
    for patch in left.patches:
        y = round(patch.get_y() + patch.get_height() / 2)
        ends[y] = max(ends.get(y, 0), patch.get_x() + patch.get_width())
    assert ends == {0: pytest.approx(1.0), 1: pytest.approx(1.0)}


def test_findings_and_recommendations_are_escaped_text():
    with duckdb.connect() as connection:
        connection.sql("create schema marts")
        connection.sql(
            "create table marts.mart_channel_effect_summary as select * from (values "
            "('North', false, 'clv', 'mean CLV', true, 'North <matters>'), "
            "('All regions', true, 'minutes_watched', 'median minutes watched', false, 'noise')) "
            "t(region_name, is_all_regions, metric, judged_on, is_significant, finding)"
        )
        connection.sql(
            "create table marts.mart_segment_recommendations as select * from (values "
            "('kmeans', 1, 'Tiny & rare', 12, 0.01, 'small', 'low', 'typical', 'reduce spend', "
            "'Tiny: 1.0 % of customers'), "
            "('kmeans', 2, 'Rich', 500, 0.99, 'large', 'high', 'typical', 'grow spend', 'r2')) "
            "t(segmentation_method, segment_id, segment_name, customers, share_of_customers, "
            "size_tier, value_tier, engagement_tier, recommendation, rationale)"
        )
        rendered = report.render_report(report.ReportData(connection))
    assert {"channel-findings", "recommendations"} <= set(rendered.rendered)
    page = rendered.html
    assert '<li class="matters">North &lt;matters&gt;</li>' in page  # significant: marked
    assert "<li>noise</li>" in page
    assert "<h4>Mean CLV</h4>" in page
    assert "Tiny &amp; rare" in page
    assert "<td>reduce spend</td>" in page and "<td>1.0%</td>" in page
    assert "Tiny: 1.0 % of customers" in page


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
    assert rendered.skipped["at-a-glance"] == [
        "mart_segments",
        "mart_segment_recommendations",
        "mart_customers_rejected",
    ]
    assert rendered.skipped["k-selection"] == ["mart_k_selection"]
    assert rendered.skipped["recommendations"] == ["mart_segment_recommendations"]
    assert rendered.html.count("Skipped: this build has no") == len(report.SECTIONS) - 1


def test_write_report_names_a_missing_database(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such DuckDB file"):
        report.write_report(tmp_path / "missing.duckdb", tmp_path / "r.html")


# ---------------------------------------------------------------------------- the real report


@pytest.fixture(scope="module")
def embedded_report(embedded_build, embedded_serving, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "segmentation_report.html"
    run_results = embedded_build.database.parent / "target" / "run_results.json"
    # Another read-only reader at the same time, as a BI tool would be.
    with duckdb.connect(str(embedded_serving), read_only=True):
        arguments = ["report", "--database", str(embedded_serving), "--out", str(out)]
        assert cli_main([*arguments, "--run-results", str(run_results)]) == 0
    return out


@pytest.mark.integration
def test_report_has_every_section_it_can_draw(embedded_report, embedded_serving):
    text = embedded_report.read_text(encoding="utf-8")
    with duckdb.connect(str(embedded_serving), read_only=True) as connection:
        data = report.ReportData(connection)
        expected_skips = {s.key for s in report.SECTIONS if report.missing_relations(s, data)}
        names = [
            r[0] for r in connection.sql("select segment_name from marts.mart_segments").fetchall()
        ]
    assert expected_skips == set()
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
        "contingency",
        "stability",
        "channel-effects",
        "channel-mix",
    }
    assert n_images == len(figure_sections - expected_skips)
    # Self-contained: every image is inline, nothing is fetched from elsewhere.
    assert len(re.findall(r'src="data:image/png;base64,', text)) == n_images
    assert not re.search(r'(src|href)="(https?:)?//', text)
    assert "<script" not in text
    for name in names:
        assert name.replace("&", "&amp;") in text
    with duckdb.connect(str(embedded_serving), read_only=True) as connection:
        findings = [
            r[0]
            for r in connection.sql(
                "select finding from marts.mart_channel_effect_summary"
            ).fetchall()
        ]
        recommendations = connection.sql(
            "select recommendation, rationale from marts.mart_segment_recommendations "
            "where segmentation_method = 'kmeans'"  # Ward's are the method's business
        ).fetchall()
        ((build_k,),) = connection.sql(
            "select n_clusters from marts.mart_k_selection where is_build_k"
        ).fetchall()
    for finding in findings:
        assert html.escape(finding) in text
    for recommendation, rationale in recommendations:
        assert html.escape(recommendation) in text and html.escape(rationale) in text
    # The build's k is the highlighted row of the k-selection table and named in the text.
    chosen = re.findall(r'<tr class="chosen"><td>(\d+)</td>', text)
    assert chosen == [str(build_k)]
    assert f"This build uses <b>k = {build_k}</b>" in text


@pytest.mark.integration
def test_report_opens_with_the_segment_cards_and_names_its_build(embedded_report, embedded_serving):
    text = embedded_report.read_text(encoding="utf-8")
    with duckdb.connect(str(embedded_serving), read_only=True) as connection:
        (build_id,) = connection.execute("select build_id from marts.build_info").fetchone()
        segments = connection.execute(
            "select segment_name, total_clv / sum(total_clv) over () from marts.mart_segments "
            "where segmentation_method = 'kmeans' order by segment_id"
        ).fetchall()
    assert f"Build <b>{build_id}</b>" in text
    assert 'class="warning"' not in text  # the latest build is the published one
    # The first section of the page is the cards, one per k-means segment, in segment order.
    first = re.search(r'<h3 id="([^"]+)"', text).group(1)
    assert first == "at-a-glance"
    cards = re.findall(r'<article class="card (\w+)">.*?<h4>(.*?)</h4>(.*?)</article>', text)
    assert [html.unescape(name) for _, name, _ in cards] == [name for name, _ in segments]
    for (_, _, body), (_, share) in zip(cards, segments, strict=True):
        assert f"{share:.1%} of total CLV" in body
        assert "watch time" in body and 'class="why"' in body
    assert {css for css, _, _ in cards} <= {"grow", "reduce", "investigate", "neutral"}
    # The method comes after the marketing parts.
    order = [text.index(f'id="{anchor}"') for anchor, _, _ in report.PARTS]
    assert order == sorted(order)
    assert text.index('id="k-selection"') > text.index('id="channel-mix"')


def test_provenance_says_which_build_and_warns_about_a_later_failed_one(tmp_path):
    info = {
        "build_id": "B1",
        "built_at": "2026-01-01T00:00:00Z",
        "published_at": "2026-01-01 00:00:05+00",
        "dbt_invocation_id": "inv-1",
    }
    meta, warning = report.provenance(info, None)
    assert "Build <b>B1</b>" in meta and warning == ""
    run_results = tmp_path / "run_results.json"

    def latest(invocation: str, status: str, which: str = "build") -> Path:
        run_results.write_text(
            json.dumps(
                {
                    "args": {"which": which},
                    "metadata": {"invocation_id": invocation, "generated_at": "2026-01-02"},
                    "results": [{"unique_id": "model.p.int_kmeans_fit", "status": status}],
                }
            )
        )
        return run_results

    assert report.provenance(info, latest("inv-1", "success"))[1] == ""
    warning = report.provenance(info, latest("inv-2", "error"))[1]
    assert "The latest dbt build (2026-01-02) failed" in warning
    assert "model.p.int_kmeans_fit (error)" in warning and "<b>B1</b>" in warning
    assert "not published yet" in report.provenance(info, latest("inv-2", "success"))[1]
    assert report.provenance(info, latest("inv-3", "error", which="test"))[1] == ""
    meta, warning = report.provenance(None, None)
    assert "Not a publication" in meta and "build database directly" in warning


def test_segment_cards_add_shares_of_revenue_and_escape_text():
    segments = pd.DataFrame(
        {
            "segment_id": [2, 1],
            "segment_name": ["B <x>", "A"],
            "customers": [30, 70],
            "share_of_customers": [0.3, 0.7],
            "total_clv": [300.0, 100.0],
            "mean_clv": [10.0, 1.43],
            "mean_minutes_watched": [50.0, 20.0],
            "median_minutes_watched": [40.0, 10.0],
        }
    )
    recommendations = pd.DataFrame(
        {
            "segment_id": [1, 2],
            "recommendation": ["reduce spend", "Grow spend"],
            "rationale": ["r1", "because <b>"],
        }
    )
    frame = report.segment_cards_frame(segments, recommendations)
    assert frame["segment_id"].tolist() == [1, 2]
    assert frame["share_of_revenue"].tolist() == [0.25, 0.75]
    page = report.segment_cards(frame)
    assert page.count("<article") == 2
    assert "B &lt;x&gt;" in page and "because &lt;b&gt;" in page
    assert "75.0% of total CLV" in page and "mean 10.00 (all: 4.00)" in page
    assert [report.recommendation_class(r) for r in ("Grow spend", "keep", "investigate x")] == [
        "grow",
        "neutral",
        "investigate",
    ]


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
        "headless Chromium not found: `make setup-dev` installs Debian's chromium as root "
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
