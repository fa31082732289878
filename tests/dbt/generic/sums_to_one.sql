{#- Within each group the column adds up to 1 (shares), up to a rounding tolerance. -#}
{% test sums_to_one(model, column_name, group_by=[], tolerance=1e-9) %}

select
    {% for column in group_by %}{{ column }}, {% endfor %}
    sum({{ column_name }}) as total
from {{ model }}
{% if group_by %}group by {{ group_by | join(', ') }}{% endif %}
having abs(sum({{ column_name }}) - 1) > {{ tolerance }}

{% endtest %}
