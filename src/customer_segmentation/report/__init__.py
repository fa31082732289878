"""A self-contained HTML report of the segmentation, drawn from the published marts.

The report reads the serving file (the last build that passed every test) through a read-only
connection, says which build that is, and warns when a later build failed. Every picture is a
PNG embedded as base64: the HTML file is the whole report (no external files, scripts or fonts).

It reads in the order a marketing lead needs it, one module per part:

- :mod:`~customer_segmentation.report.segments`: one card per segment (size, shares of
  customers and revenue, watch time, CLV, the recommendation and its reason), then the
  segments in detail and the rejected input rows;
- :mod:`~customer_segmentation.report.channels`: the channel and region findings;
- :mod:`~customer_segmentation.report.method`: choosing k, the dendrogram, stability, k-means
  against Ward;
- :mod:`~customer_segmentation.report.page`: the parts in order, the build shown, the page.

Each part is a list of :class:`Section` objects naming the relations they need
(:mod:`~customer_segmentation.report.data`); a section whose relations are missing is skipped
with a note, and a new mart needs only a new ``Section`` in its part.

Examples
--------
>>> from customer_segmentation.report import write_report
>>> write_report("customer_segmentation_serving.duckdb", "reports/report.html")  # doctest: +SKIP
"""

from customer_segmentation.report.channels import (
    channel_effects_figure,
    region_channel_figure,
    region_channel_mix_figure,
)
from customer_segmentation.report.data import (
    ReportData,
    Section,
    figure_to_img,
    html_table,
    missing_relations,
)
from customer_segmentation.report.method import (
    contingency_figure,
    correlation_figure,
    cut_height,
    dendrogram_figure,
    favoured_k,
    k_selection_figure,
    linkage_from_merges,
    segment_sizes_figure,
    stability_figure,
)
from customer_segmentation.report.page import (
    PARTS,
    SECTIONS,
    RenderedReport,
    provenance,
    render_report,
    write_report,
)
from customer_segmentation.report.segments import (
    profile_heatmap_figure,
    recommendation_class,
    segment_cards,
    segment_cards_frame,
    segment_scatter_figure,
)

__all__ = [
    "PARTS",
    "SECTIONS",
    "RenderedReport",
    "ReportData",
    "Section",
    "channel_effects_figure",
    "contingency_figure",
    "correlation_figure",
    "cut_height",
    "dendrogram_figure",
    "favoured_k",
    "figure_to_img",
    "html_table",
    "k_selection_figure",
    "linkage_from_merges",
    "missing_relations",
    "profile_heatmap_figure",
    "provenance",
    "recommendation_class",
    "region_channel_figure",
    "region_channel_mix_figure",
    "render_report",
    "segment_cards",
    "segment_cards_frame",
    "segment_scatter_figure",
    "segment_sizes_figure",
    "stability_figure",
    "write_report",
]
