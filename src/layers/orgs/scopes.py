"""API scopes. Deny by default: a key holds only what it was given; ``*`` is everything."""

from __future__ import annotations

FULL_ACCESS = "*"

ALL_SCOPES = frozenset(
    {
        "org:admin",
        "audit:read",
        "projects:read",
        "projects:write",
        "influencers:read",
        "influencers:write",
        "jobs:read",
        "jobs:write",
        "content:read",
        "content:write",
        "content:approve",
        "publish:read",
        "publish:write",
        "social:read",
        "social:write",
        "layers:read",
        "layers:write",
        "layers:execute",
        "metrics:read",
        "webhooks:read",
        "webhooks:write",
        # Ads (§19): reads, and one sub-scope per kind of write.
        "ads:read",
        "ads:write:campaigns",
        "ads:write:budgets",
        "ads:write:creative",
        "ads:write:lifecycle",
        "ads:write:policy",
        "ads:write:optimizer_trigger",
        "ads:write:pending",
        "ads:write:capi",
        "ads:write:connect",
        "ads:write:override",
    }
)


def validate_scopes(scopes: list[str]) -> list[str]:
    unknown = sorted(set(scopes) - ALL_SCOPES - {FULL_ACCESS})
    if unknown:
        raise ValueError(f"unknown scope(s): {', '.join(unknown)}")
    if not scopes:
        raise ValueError("a key needs at least one scope")
    return sorted(set(scopes))
