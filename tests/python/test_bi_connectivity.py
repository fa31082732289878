"""Connect to the marts the way BI tools do (SQLAlchemy + duckdb-engine, read-only) and run
typical dashboard queries: reflection, KPI tiles, charts, a bound filter parameter."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

pytestmark = pytest.mark.integration

MARTS = {
    "mart_customer_segments",
    "mart_segments",
    "mart_segment_region_channel",
    "mart_region_channel_performance",
    "mart_segment_centroids",
    "mart_ward_dendrogram",
    "mart_customers_rejected",
}


@pytest.fixture(scope="module")
def engine(embedded_build):
    url = f"duckdb:///{embedded_build.database}"
    # NullPool: each query opens and closes its connection, as a dashboard refresh does, so the
    # test's own duckdb reads (another configuration) are not refused by a pooled connection.
    engine = sa.create_engine(url, connect_args={"read_only": True}, poolclass=sa.pool.NullPool)
    yield engine
    engine.dispose()


def test_tools_can_list_the_marts_and_their_columns(engine):
    inspector = sa.inspect(engine)
    # duckdb-engine lists schemas as "<database>.<schema>", as Superset's schema picker shows.
    assert "marts" in {name.split(".")[-1] for name in inspector.get_schema_names()}
    assert set(inspector.get_table_names(schema="marts")) >= MARTS
    columns = {c["name"]: c for c in inspector.get_columns("mart_segments", schema="marts")}
    assert {"segment_name", "customers", "mean_clv", "segment_profile"} <= set(columns)


def test_kpi_tiles(engine, embedded_build):
    with engine.connect() as connection:
        customers, total_clv, mean_minutes = connection.execute(
            sa.text(
                "select count(*), sum(clv), avg(minutes_watched) from marts.mart_customer_segments"
            )
        ).one()
    (expected,) = embedded_build.query("select count(*) from marts.mart_customer_segments")[0]
    assert customers == expected > 0
    assert total_clv > 0 and mean_minutes > 0


def test_segment_bar_chart(engine):
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "select segment_name, customers, mean_clv from marts.mart_segments "
                "where segmentation_method = 'kmeans' order by mean_clv desc"
            )
        ).all()
    assert len(rows) >= 2
    assert [r.mean_clv for r in rows] == sorted((r.mean_clv for r in rows), reverse=True)
    assert len({r.segment_name for r in rows}) == len(rows)


def test_region_channel_heatmap_and_bound_filter(engine):
    with engine.connect() as connection:
        grid = connection.execute(
            sa.text(
                "select region_name, channel_name, customers, mean_clv "
                "from marts.mart_region_channel_performance"
            )
        ).all()
        region = grid[0].region_name
        drill = connection.execute(
            sa.text(
                "select channel_name, count(*) as customers, avg(clv) as mean_clv "
                "from marts.mart_customer_segments where region_name = :region "
                "group by channel_name"
            ),
            {"region": region},
        ).all()
    assert len(grid) == len({r.region_name for r in grid}) * len({r.channel_name for r in grid})
    in_region = {r.channel_name: r.customers for r in grid if r.region_name == region}
    assert {r.channel_name: r.customers for r in drill} == {
        k: v for k, v in in_region.items() if v > 0
    }


def test_sqlalchemy_core_query_builder(engine):
    """Tools that build SQL with SQLAlchemy Core (Superset's explore view) work too.

    The table is declared from reflected columns: with duckdb 2.0 and duckdb-engine 0.17 the
    reflection of constraints (primary and foreign keys) fails (DuckDB 2.0 has no REGCLASS
    type), columns and table names reflect fine, and the marts have no keys to reflect anyway.
    """
    inspector = sa.inspect(engine)
    columns = inspector.get_columns("mart_segments", schema="marts")
    segments = sa.Table(
        "mart_segments",
        sa.MetaData(schema="marts"),
        *(sa.Column(c["name"], c["type"]) for c in columns),
    )
    query = (
        sa.select(segments.c.segmentation_method, sa.func.sum(segments.c.customers))
        .group_by(segments.c.segmentation_method)
        .order_by(segments.c.segmentation_method)
    )
    with engine.connect() as connection:
        totals = dict(connection.execute(query).all())
    assert set(totals) == {"kmeans", "ward"}
    assert totals["kmeans"] == totals["ward"]


def test_connection_is_read_only(engine):
    with engine.connect() as connection, pytest.raises(sa.exc.DBAPIError, match="read-only"):
        connection.execute(sa.text("create table marts.scratch as select 1 as x"))
