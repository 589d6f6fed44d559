"""The tiers (§4 of the reference). A key carries its tier (``api_keys.rate_limit_tier``);
``standard`` is the default, ``pilot`` and ``partner`` are given by an operator."""

from __future__ import annotations

from dataclasses import dataclass

from layers.orgs.limits.classes import LONG, READ, WRITE, EndpointClass


@dataclass(frozen=True)
class Tier:
    per_minute: dict[EndpointClass, int]
    daily_writes: int
    concurrent_jobs: int  # jobs ``running`` at once per organization (our own numbers)


TIERS: dict[str, Tier] = {
    "standard": Tier({READ: 120, WRITE: 60, LONG: 20}, 10_000, 10),
    "pilot": Tier({READ: 1_200, WRITE: 600, LONG: 60}, 100_000, 50),
    "partner": Tier({READ: 6_000, WRITE: 3_000, LONG: 300}, 500_000, 200),
}
DEFAULT_TIER = "standard"


def tier(name: str) -> Tier:
    return TIERS.get(name, TIERS[DEFAULT_TIER])
