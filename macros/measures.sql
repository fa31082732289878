{#-
    The value and engagement measures every per-group mart reports, as aggregate columns:
    customers, total_clv, mean_clv, mean_minutes_watched, median_minutes_watched.
    One definition so every mart computes them the same way.
-#}
{% macro customer_value_measures(minutes='minutes_watched', clv='clv') -%}
    count(*) as customers,
    sum({{ clv }}) as total_clv,
    avg({{ clv }}) as mean_clv,
    avg({{ minutes }}) as mean_minutes_watched,
    {{ median(minutes) }} as median_minutes_watched
{%- endmacro %}
