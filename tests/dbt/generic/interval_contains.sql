{#- The column's value lies within [lower, upper] (two columns of the same row), up to a tolerance. -#}
{% test interval_contains(model, column_name, lower, upper, tolerance=1e-9) %}

select {{ column_name }}, {{ lower }}, {{ upper }}
from {{ model }}
where {{ column_name }} is not null
    and (
        {{ lower }} is null
        or {{ upper }} is null
        or {{ column_name }} < {{ lower }} - {{ tolerance }}
        or {{ column_name }} > {{ upper }} + {{ tolerance }}
    )

{% endtest %}
