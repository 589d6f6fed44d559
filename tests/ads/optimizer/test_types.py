"""Facts built from daily rows, money, and JSON rendering."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from layers.ads.optimizer import AdMetrics, DayMetrics, WindowMetrics, optimize
from layers.ads.optimizer.types import as_json, money
from tests.ads.optimizer.factories import ad, creative, inputs


def test_cpa_is_integer_cents_rounded_half_up():
    assert WindowMetrics(1_000, installs=3).cpa_cents == 333
    assert WindowMetrics(1_001, installs=2).cpa_cents == 501
    assert WindowMetrics(1_000).cpa_cents is None


def test_windows_and_trend_from_days():
    today = date(2026, 3, 1)
    days = [
        DayMetrics(today - timedelta(days=back), 100 * (back + 1), 1_000, 20, back % 2, 1.0 + back)
        for back in range(40)
    ]
    m = AdMetrics.from_days(days, today)
    assert m.d1 == WindowMetrics(100, 1_000, 20, 0)
    assert m.d3.spend_cents == 100 + 200 + 300
    assert m.d7.installs == 3  # days 1, 3, 5 back
    assert m.d30.spend_cents == sum(100 * (b + 1) for b in range(30))
    assert m.frequency == 1.0  # the latest reported
    assert m.trend is not None and m.trend.recent == m.d7
    assert m.trend.earlier.spend_cents == sum(100 * (b + 1) for b in range(7, 14))
    assert AdMetrics.from_days([], today).has_metrics is False


def test_money():
    assert money(3_200) == "$32.00"
    assert money(-5) == "-$0.05"
    assert money(123_456_78) == "$123,456.78"
    assert money(1_050, "EUR") == "10.50 EUR"


def test_plan_renders_as_json():
    plan = optimize(inputs([ad("a", spend=9_000)], creatives=[creative("c", 7.0)]))
    out = json.loads(json.dumps(plan.to_json()))
    assert out["kind"] == "ad-optimize"
    assert out["now"].endswith("Z")
    d = out["decisions"][0]
    assert d["action"] == "pause" and d["klass"] == "CRITICAL"
    assert d["replacement"] == {
        "content_id": "c",
        "pool": "generated",
        "organic_score": 7.0,
        "override": None,
    }
    assert d["guardrail_details"][0]["name"] == "min_age_3d"
    assert out["classifications"][0]["inputs"]["spend7dCents"] == 9_000
    assert plan.decisions[0].to_json() == d


def test_as_json_refuses_the_unknown():
    with pytest.raises(TypeError):
        as_json(object())
