"""Briefs the writer tests share (plain factories)."""

from __future__ import annotations

from typing import Any

from layers.content.writers.base import Brief


def acme(**changes: Any) -> Brief:
    """A coffee subscription for runners, in a warm voice."""
    fields: dict[str, Any] = {
        "app_name": "Acme Coffee",
        "app_description": (
            "Daily ritual coffee subscriptions for runners and night-shift workers. "
            "Single-origin beans from named farms, roasted weekly, and shipped on a cadence "
            "that matches how you actually drink coffee — so the bag never goes stale and you "
            "never run out before a hard workout."
        ),
        "tagline": "Coffee that shows up before you run out.",
        "brand_voice": "warm",
    }
    return Brief(**{**fields, **changes})
