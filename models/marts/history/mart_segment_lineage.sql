{#-
    KEPT: how each model version's k-means segments descend from the previous version's, one
    row per link: kept (continues one segment, keeps its id and name), split (a previous
    segment's customers went to several), merged (several previous segments' customers came
    together), new (no previous segment) and retired (a previous segment no new one continues).
    See customer_segmentation.history.lineage_rows. The first version's segments are all new.
-#}
{{ kept_table('model_version') }}
with model_version as (

    select * from {{ ref('int_model_version') }}

),

links as (

    select * from {{ ref('int_segment_lineage_links') }}

),

stored_segments as (

    select * from {{ ref('int_stored_segments') }}

),

int_segment_names as (

    select * from {{ ref('int_segment_names') }}

),

final as (

    select
        {{- kept_select_list('mart_segment_lineage', 'links', {
            'model_version': 'model_version.model_version',
            'previous_model_version': 'model_version.previous_model_version',
            'previous_segment_id': 'nullif(links.previous_segment_id, 0)',
            'previous_segment_name': 'stored_segments.segment_name',
            'segment_id': 'nullif(links.segment_id, 0)',
            'segment_name': 'int_segment_names.segment_name',
        }) }}
    from links
    cross join model_version
    left join stored_segments
        on
        model_version.previous_model_version = stored_segments.model_version
        and stored_segments.segmentation_method = 'kmeans'
        and links.previous_segment_id = stored_segments.segment_id
    left join int_segment_names
        on int_segment_names.segmentation_method = 'kmeans'
        and links.segment_id = int_segment_names.segment_id
    where model_version.is_new_version

)

select * from final
