"""Durable publishing: the dispatch tick and one workflow per post and claim.

The tick runs every ``publish_dispatch_seconds`` (10 s by default), so a post's publish starts
at most that long after its time.

`dispatch_due` claims due posts and enqueues ``publishing.publish`` for each in the claiming
transaction, with the id ``publish:{post}:{claim}``. The workflow runs the protocol as one
step, passing its own id as the claimant: when DBOS recovers it after a crash, the step runs
again under the same claim and the protocol settles whatever the crash left unsettled.

Publishing is a work class of its own (`layers.kit.durable.PUBLISHING`, sized for I/O): a
burst of due posts never waits behind content renders, and renders never wait behind it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dbos import DBOS

from layers.kit import clock, durable
from layers.publishing import protocol
from layers.publishing.protocol import DISPATCH_BATCH, PUBLISH_WORKFLOW, PublishInput

DISPATCH_WORKFLOW = "publishing.dispatch_due"


@DBOS.step(name="publishing.publish_post")
def publish_step(post_id: str, claimant: str) -> dict[str, Any]:
    return protocol.publish_post(post_id, claimant=claimant).to_dict()


@DBOS.workflow(name=PUBLISH_WORKFLOW)
def publish(inp: PublishInput) -> dict[str, Any]:
    claimant = DBOS.workflow_id
    assert claimant is not None
    return publish_step(inp.post_id, claimant)


MAX_BATCHES = 25  # up to 5,000 posts per tick; the rest wait for the next one


@DBOS.step(name="publishing.dispatch")
def dispatch_step() -> dict[str, Any]:
    claimed = reclaimed = held = 0
    for _ in range(MAX_BATCHES):
        report = protocol.dispatch_due(clock.now(), limit=DISPATCH_BATCH)
        claimed += len(report.claimed)
        reclaimed += len(report.reclaimed)
        held += report.held
        if max(len(report.claimed), len(report.reclaimed)) < DISPATCH_BATCH:
            break
    return {"claimed": claimed, "reclaimed": reclaimed, "held": held}


@DBOS.workflow(name=DISPATCH_WORKFLOW)
def dispatch_due(_scheduled_at: datetime, _context: Any) -> dict[str, Any]:
    return dispatch_step()


CRONS = (
    durable.Cron(
        "publishing.dispatch_due",
        dispatch_due,
        lambda settings: durable.every_seconds(settings.publish_dispatch_seconds),
    ),
)
