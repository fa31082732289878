import pandas as pd
import pytest

from customer_segmentation.naming import base_name, describe_segments

#: The personas of seeds/channel_codes.csv that these tests use.
PERSONAS = {
    "Twitter": "Twitter Devotees",
    "Facebook": "Facebook Enthusiasts",
    "Google": "Google Searchers",
}


def _profile(segment_id, customers, minutes, clv, channel, channel_share, region, region_share):
    return {
        "segmentation_method": "kmeans",
        "segment_id": segment_id,
        "customers": customers,
        "share_of_customers": 0.0,
        "mean_minutes_watched": minutes,
        "median_minutes_watched": minutes / 2,
        "mean_clv": clv,
        "dominant_channel_name": channel,
        "dominant_channel_persona": PERSONAS.get(channel),
        "dominant_channel_share": channel_share,
        "dominant_region_name": region,
        "dominant_region_share": region_share,
    }


def _mix(segment_id, dimension, entries):
    return [
        {
            "segmentation_method": "kmeans",
            "segment_id": segment_id,
            "mix_dimension": dimension,
            "code_name": name,
            "share_of_segment": share,
            "mix_rank": rank,
        }
        for rank, (name, share) in enumerate(entries, start=1)
    ]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("Twitter", 1.0, "Rest of the World", 0.78, "Google"), ("Twitter Devotees", "channel")),
        (
            ("YouTube", 0.38, "Western Europe", 1.0, "Google"),
            ("Western Europe Multi-Channel", "region"),
        ),
        (
            ("Google", 0.95, "Western Europe", 0.97, None),
            ("Western Europe Google Searchers", "channel_and_region"),
        ),
        (("YouTube", 0.5, "Rest of the World", 0.6, "Google"), ("YouTube & Google Mix", "mixed")),
    ],
)
def test_base_name_rules(args, expected):
    assert base_name(*args, dominant_channel_persona=PERSONAS.get(args[0])) == expected


@pytest.mark.parametrize(
    ("ratios", "expected"),
    [
        ((1.46, 1.62), "Heavy Watchers, High CLV"),
        ((1.11, 0.62), "Average Watchers, Low CLV"),
        ((0.02, 0.98), "Light Watchers, Mid CLV"),
        ((1.2, 0.8), "Heavy Watchers, Low CLV"),  # the bounds themselves belong to the bands
    ],
)
def test_a_segment_no_channel_or_region_defines_is_named_by_its_behaviour(ratios, expected):
    minutes_ratio, clv_ratio = ratios
    name = base_name(
        "YouTube", 0.3, "Rest of the World", 0.6, "Google",
        minutes_ratio=minutes_ratio, clv_ratio=clv_ratio,
    )  # fmt: skip
    assert name == (expected, "behaviour")


def test_a_channel_without_a_persona_is_named_after_the_channel():
    assert base_name("TikTok", 0.95, "Rest of the World", 0.5, None) == (
        "TikTok Customers",
        "channel",
    )
    assert base_name("TikTok", 0.95, "Rest of the World", 0.5, None, dominant_channel_persona=" ")[
        0
    ] == ("TikTok Customers")


def test_describe_segments_names_profiles_and_marks_extremes():
    profiles = pd.DataFrame(
        [
            _profile(1, 300, 1000.0, 160.0, "YouTube", 0.4, "Western Europe", 1.0),
            _profile(2, 100, 3000.0, 100.0, "Facebook", 1.0, "Rest of the World", 0.6),
            _profile(3, 50, 500.0, 90.0, "Twitter", 1.0, "Rest of the World", 0.8),
        ]
    )
    mix = pd.DataFrame(
        _mix(1, "channel", [("YouTube", 0.4), ("Google", 0.35), ("LinkedIn", 0.25)])
        + _mix(1, "region", [("Western Europe", 1.0)])
        + _mix(2, "channel", [("Facebook", 1.0)])
        + _mix(2, "region", [("Rest of the World", 0.6), ("USA/Canada/UK/Australia", 0.4)])
        + _mix(3, "channel", [("Twitter", 1.0)])
        + _mix(3, "region", [("Rest of the World", 0.8), ("Western Europe", 0.2)])
    )
    named = describe_segments(profiles, mix).set_index("segment_id")
    assert named.loc[1, "segment_name"] == "Western Europe Multi-Channel"
    assert named.loc[2, "segment_name"] == "Facebook Enthusiasts"
    assert named.loc[3, "segment_name"] == "Twitter Devotees"
    assert "highest CLV" in named.loc[1, "segment_profile"]
    assert "highest watch time" in named.loc[2, "segment_profile"]
    assert "lowest CLV" in named.loc[3, "segment_profile"]
    assert named.loc[1, "segment_profile"].startswith("300 customers")


def test_clashing_names_get_the_region_then_the_value():
    profiles = pd.DataFrame(
        [
            _profile(1, 100, 100.0, 200.0, "Google", 1.0, "Western Europe", 0.7),
            _profile(2, 100, 100.0, 150.0, "Google", 1.0, "Rest of the World", 0.7),
            _profile(3, 100, 100.0, 10.0, "Google", 1.0, "Rest of the World", 0.6),
        ]
    )
    mix = pd.DataFrame([row for s in (1, 2, 3) for row in _mix(s, "channel", [("Google", 1.0)])])
    names = describe_segments(profiles, mix).set_index("segment_id")["segment_name"]
    assert names[1] == "Google Searchers (Western Europe)"
    assert names[2] == "Google Searchers (Rest of the World) (High CLV)"
    assert names[3] == "Google Searchers (Rest of the World) (Low CLV)"
    assert names.is_unique


def test_describe_segments_requires_profile_columns():
    with pytest.raises(KeyError, match="mean_clv"):
        describe_segments(pd.DataFrame({"segmentation_method": []}), pd.DataFrame())
