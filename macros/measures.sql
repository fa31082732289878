{#-
    The value and engagement measures every per-group mart reports, as aggregate columns:
    customers, total_clv, mean_clv, mean_minutes_watched, median_minutes_watched.
    One definition so every mart computes them the same way, with order-independent sums
    (exact_sum/exact_avg) so two builds of the same input give identical marts.
-#}
{% macro customer_value_measures(minutes='minutes_watched', clv='clv') -%}
    count(*) as customers,
    {{ exact_sum(clv) }} as total_clv,
    {{ exact_avg(clv) }} as mean_clv,
    {{ exact_avg(minutes) }} as mean_minutes_watched,
    {{ median(minutes) }} as median_minutes_watched
{%- endmacro %}
