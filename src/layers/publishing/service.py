"""Compatibility façade: the publish protocol lives in `layers.publishing.protocol`.

Kept so that modules outside publishing that import ``layers.publishing.service`` (wiring,
the Social Distribution template, the console, the benchmarks) keep working until they import
`layers.publishing.protocol` instead. Nothing here has logic of its own; new code imports
the protocol package.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from dataclasses import replace

from layers.publishing.protocol import (
    DISPATCH_BATCH,
    GIVE_UP_AFTER,
    PUBLISH_WORKFLOW,
    QUEUED_STATUSES,
    QUOTA_WINDOW,
    STALE_CLAIM,
    DispatchReport,
    LostClaim,
    Policy,
    PublishInput,
    PublishOutcome,
    cancel_account_posts,
    claim_ready,
    dispatch_due,
    publish_post,
    release_account_holds,
    workflow_id,
)
from layers.social.platforms.registry import SPECS


class _DailyCaps(MutableMapping[str, int]):
    """The former ``DAILY_CAPS`` dict, now a view of `PlatformSpec.daily_post_cap` in
    `SPECS`: reading it reads the specs, setting a cap swaps in a spec with that cap
    (``bench/publish_throughput.py`` lifts TikTok's this way)."""

    def __getitem__(self, platform: str) -> int:
        cap = SPECS[platform].daily_post_cap
        if cap is None:
            raise KeyError(platform)
        return cap

    def __setitem__(self, platform: str, cap: int) -> None:
        SPECS[platform] = replace(SPECS[platform], daily_post_cap=cap)

    def __delitem__(self, platform: str) -> None:
        SPECS[platform] = replace(SPECS[platform], daily_post_cap=None)

    def __iter__(self) -> Iterator[str]:
        return (name for name, spec in SPECS.items() if spec.daily_post_cap is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)


DAILY_CAPS: MutableMapping[str, int] = _DailyCaps()

__all__ = [
    "DAILY_CAPS",
    "DISPATCH_BATCH",
    "GIVE_UP_AFTER",
    "PUBLISH_WORKFLOW",
    "QUEUED_STATUSES",
    "QUOTA_WINDOW",
    "STALE_CLAIM",
    "DispatchReport",
    "LostClaim",
    "Policy",
    "PublishInput",
    "PublishOutcome",
    "cancel_account_posts",
    "claim_ready",
    "dispatch_due",
    "publish_post",
    "release_account_holds",
    "workflow_id",
]
