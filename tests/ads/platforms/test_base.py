"""Money conversion, names and input checks of `layers.ads.platforms.base`."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from layers.ads.platforms.base import (
    AdCreativeInput,
    CampaignInput,
    body_name,
    cents_from_decimal,
    cents_from_minor,
    decimal_from_cents,
    path_name,
)


@pytest.mark.parametrize(
    ("value", "cents"),
    [
        ("12.34", 1234),
        ("12.345", 1235),  # half up
        ("12.344", 1234),
        ("0.29", 29),  # float(0.29) * 100 is 28.999…: never float arithmetic
        (0.29, 29),
        (Decimal("1000000.10"), 100000010),
        ("7", 700),
        (7, 700),
        ("1e2", 10000),
        ("-1.5", -150),
        (None, 0),
        ("", 0),
        ("abc", 0),
        ("NaN", 0),
        (True, 0),
    ],
)
def test_cents_from_decimal(value: object, cents: int) -> None:
    assert cents_from_decimal(value) == cents


def test_cents_from_minor() -> None:
    assert cents_from_minor("5000") == 5000
    assert cents_from_minor(2050) == 2050
    assert cents_from_minor("0") == 0
    assert cents_from_minor(None) is None and cents_from_minor("x") is None
    assert decimal_from_cents(5) == "0.05" and decimal_from_cents(123456) == "1234.56"


@given(st.integers(min_value=0, max_value=10**12))
def test_cents_survive_a_round_trip_through_decimal_text_and_json_floats(cents: int) -> None:
    text = decimal_from_cents(cents)
    assert cents_from_decimal(text) == cents
    assert cents_from_decimal(float(text)) == cents  # what a JSON number decodes to
    assert cents_from_minor(str(cents)) == cents


def test_names() -> None:
    assert body_name("meta") == "meta_ads" and path_name("tiktok_ads") == "tiktok"
    assert path_name("meta") == "meta"
    with pytest.raises(KeyError):
        path_name("apple_ads")


def test_inputs_are_checked() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        CampaignInput(name="x", outcome="traffic")
    with pytest.raises(ValueError, match="exactly one"):
        CampaignInput(name="x", outcome="traffic", daily_budget_cents=1, lifetime_budget_cents=1)
    with pytest.raises(ValueError, match="128"):
        CampaignInput(name="", outcome="traffic", daily_budget_cents=100)
    with pytest.raises(ValueError, match="outcome"):
        CampaignInput(name="x", outcome="fame", daily_budget_cents=100)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="media URL"):
        AdCreativeInput(kind="video", media_url="", caption="", name="x")
