"""The report's "What changed since the last snapshot" section (docs/over-time.md).

Reads the kept membership history and drift marts: the latest snapshot against the one before
it (customers kept, moved, new and departed; the largest transitions; each segment's share then
and now) and the drift verdict of the latest snapshot.
"""

from __future__ import annotations

import html

import pandas as pd
from matplotlib.figure import Figure

from customer_segmentation.report.data import (
    ReportData,
    Section,
    figure_to_img,
    html_table,
    segment_pair_matrix,
    share_heatmap,
)

REQUIRES = (
    "mart_customer_segment_history",
    "mart_segment_transitions",
    "mart_segment_history",
    "mart_model_drift",
    "mart_feature_drift",
)
NEW, DEPARTED = "(new customers)", "(departed customers)"


def transition_figure(pairs: pd.DataFrame) -> Figure:
    """From-segment x to-segment heatmap of one pair of snapshots (mart_segment_transitions).

    Rows are the earlier snapshot's segments plus new customers, columns the later snapshot's
    plus departed customers; colour is the share of the row's customers, text the customers.
    """
    counts, rows, cols = segment_pair_matrix(
        pairs, "from", "to", row_outside=NEW, col_outside=DEPARTED
    )
    return share_heatmap(
        counts,
        rows,
        cols,
        margins=(2.2, 1.6),
        row_height=0.45,
        cmap="Purples",
        xlabel="segment at the later snapshot",
        ylabel="segment at the earlier snapshot",
        colorbar_label="share of the row's customers (text: customers)",
        title="Where each segment's customers went",
    )


def changes_since_last_snapshot(data: ReportData) -> str:
    """The section's HTML."""
    snapshots = data.connection.sql(
        "select cast(snapshot_date as varchar) as snapshot_date, count(*) as customers, "
        "max(model_version) as model_version "
        f"from {data.relation('mart_customer_segment_history')} group by snapshot_date "
        "order by snapshot_date"
    ).df()
    drift = data.table("mart_model_drift", order_by="snapshot_date")
    latest = drift.iloc[-1] if len(drift) else None
    parts = []
    if len(snapshots) < 2:
        only = snapshots["snapshot_date"].iloc[0] if len(snapshots) else "none"
        parts.append(
            f"<p>Only one snapshot so far (<b>{html.escape(str(only))}</b>): build again with a "
            "later <code>snapshot_date</code> to see who moved.</p>"
        )
    else:
        before, now = snapshots.iloc[-2], snapshots.iloc[-1]
        pairs = data.table(
            "mart_segment_transitions",
            where=f"to_snapshot_date = '{now['snapshot_date']}'",
            order_by="customers desc",
        )
        by_type = pairs.groupby("transition_type")["customers"].sum().to_dict()
        clv = pairs.groupby("transition_type")["clv"].sum().to_dict()
        items = [
            f"<li><b>{before['snapshot_date']}</b> ({int(before['customers']):,} customers, "
            f"model version {int(before['model_version'])}) -> <b>{now['snapshot_date']}</b> "
            f"({int(now['customers']):,} customers, model version "
            f"{int(now['model_version'])})</li>",
        ]
        for kind, words in (
            ("stayed", "stayed in their segment"),
            ("moved", "moved to another segment"),
            ("new", "are new"),
            ("departed", "left"),
        ):
            n = int(by_type.get(kind, 0))
            items.append(f"<li><b>{n:,}</b> customers {words} (CLV {clv.get(kind, 0.0):,.2f})</li>")
        parts.append("<ul>" + "".join(items) + "</ul>")
        parts.append(
            figure_to_img(
                transition_figure(pairs),
                "From-segment to to-segment heatmap of the latest snapshots",
            )
        )
        changed = pairs[pairs["transition_type"] != "stayed"].head(8)
        parts.append("<h3>The largest changes</h3>")
        parts.append(
            html_table(
                changed,
                [
                    ("transition_type", "change", "{}"),
                    ("from_segment_name", "from", "{}"),
                    ("to_segment_name", "to", "{}"),
                    ("customers", "customers", "{:,.0f}"),
                    ("clv", "CLV", "{:,.2f}"),
                ],
            )
        )
        shares = data.table(
            "mart_segment_history",
            where=f"snapshot_date in ('{before['snapshot_date']}', '{now['snapshot_date']}')",
        )
        wide = shares.pivot_table(
            index=["segment_id", "segment_name"],
            columns="snapshot_date",
            values="share_of_customers",
            aggfunc="first",
        ).reset_index()
        wide.columns = ["segment_id", "segment_name", *[str(c)[:10] for c in wide.columns[2:]]]
        columns = [("segment_id", "id", "{:.0f}"), ("segment_name", "segment", "{}")]
        columns += [(str(c), f"share {c}", "{:.1%}") for c in wide.columns[2:]]
        parts.append("<h3>Segment shares then and now</h3>")
        parts.append(html_table(wide.fillna(0.0), columns))
    if latest is not None:
        verdict = "matters" if bool(latest["refit_recommended"]) else ""
        parts.append(
            f'<h3>Is the model still right?</h3><ul><li class="{verdict}">'
            f"{html.escape(str(latest['refit_reason']))}</li></ul>"
        )
        features = data.table(
            "mart_feature_drift",
            where=f"snapshot_date = '{latest['snapshot_date']}'",
            order_by="psi desc",
        ).head(5)
        parts.append(
            html_table(
                features,
                [
                    ("feature_words", "feature", "{}"),
                    ("psi", "PSI", "{:.3f}"),
                    ("drift_level", "shift", "{}"),
                    ("mean_shift_sd", "mean shift (sd)", "{:+.2f}"),
                ],
            )
        )
    return "".join(parts)


HISTORY_SECTIONS: list[Section] = [
    Section(
        "changes",
        "What changed since the last snapshot",
        REQUIRES,
        changes_since_last_snapshot,
        "The latest snapshot of the membership history against the one before it, and whether "
        "the model version is still right for today's customers (docs/over-time.md).",
    ),
]
