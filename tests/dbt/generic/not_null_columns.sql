{#-
    None of `column_names` holds a null. One scan of the model for every column, instead of one
    `not_null` test (one dbt node, one query) per column; a failing column gives one row with
    its count of null rows, so the failure names the column.
-#}
{% test not_null_columns(model, column_names) %}

with null_counts as (
    select
        {%- for column_name in column_names %}
        sum(case when {{ column_name }} is null then 1 else 0 end) as null_rows_{{ loop.index }}
        {{- "," if not loop.last }}
        {%- endfor %}
    from {{ model }}
),

per_column as (
    {%- for column_name in column_names %}
    select
        '{{ column_name }}' as column_name,
        null_rows_{{ loop.index }} as null_rows
    from null_counts
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select column_name, null_rows
from per_column
where null_rows > 0

{% endtest %}
