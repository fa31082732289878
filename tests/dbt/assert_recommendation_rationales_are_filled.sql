{#-
    Every placeholder in braces of the rationale templates was filled in: a brace left over
    means the recommendation_rules seed uses a placeholder name that does not exist (a typo).
-#}
select
    segmentation_method,
    segment_id,
    rationale
from {{ ref('mart_segment_recommendations') }}
where {% raw %}rationale like '%{%' or rationale like '%}%'{% endraw %}
