"""The publish protocol: every path that publishes a scheduled post goes through `publish_post`.

Exactly once, by construction:

1. **Claim** (`claim`). ``ready → posting`` with a conditional UPDATE that also records the
   claimant (a workflow id) and bumps ``claim_count``. One claimant wins; the others get
   ``not_claimed``. The same claimant calling again (DBOS recovering its workflow) resumes.
   Every later write is fenced on ``(status='posting', claim_count)`` (`run.Run.fenced`), so
   a claimant that lost its claim (it stalled and `dispatch_due` re-claimed the post) can no
   longer change it.
2. **Settle first** (`settle`). A run begins with the post's latest publish attempt: one that
   is still ``started`` (the process died around the call) or ``unknown`` (a timeout after
   sending) or accepted-but-processing is resolved by `Publisher.lookup`, never by posting
   again.
3. **Gates** (`publish`), before any platform call: the account is gone (the post is
   canceled) or unhealthy (the post is held: back to ``ready`` with ``hold_reason``; a
   reconnect releases it, `holds`); ``managed`` mode → ``pending_manual``; a ``publish`` of an
   account not in automatic posting mode → the platform's manual outcome
   (`PlatformSpec.manual_outcome`: TikTok's drafts inbox, Instagram's ``pending_manual``),
   recording why in ``last_error`` (`layers.publishing.rules`); no publishable content →
   ``pending_manual``; the platform's posting quota (`quota`: our own count of the last 24
   hours against `PlatformSpec.daily_post_cap`, then the quota the platform reports) → held
   until it frees.
4. **Attempt recorded before the call** (`run.Run.record_attempt`). A ``publish_attempts`` row
   is committed before the one call that can publish (and before each lookup).
5. **At most 3 quick attempts** (`call`), only where the platform cannot have published (it
   refused the connection, answered 5xx before accepting, or a lookup proved the attempt did
   not publish), 1 s then 3 s apart. Exhausted → ``failed``. A permanent refusal →
   ``pending_manual``. An auth error refreshes the token once; a second one flags the account
   (``metadata.token_error``, unhealthy) and holds the post.
6. **Deferred outcomes** (`settle`). When the platform has accepted but not settled (TikTok
   processing) or cannot tell yet, the post stays ``posting`` with ``retry_at``;
   `dispatch_due` re-claims it then and the new run settles it. After a day without an answer
   it goes to ``pending_manual`` (``OUTCOME_UNKNOWN``) for a person to check; it is never
   posted again automatically.
7. Platform ids and URL are recorded with the final status, in the same transaction as the
   attempt's result and the ``post.published`` / ``post.failed`` event (`run.Run.finish`).

Modules: `base` (timings, records, outcomes), `run` (a run's state and its fenced writes),
`claim` (claims and dispatch), `publish` (the entry point and the gates), `call` (prepare and
commit), `settle` (outcomes, lookups, retries), `quota` (posting caps), `holds` (unhealthy
accounts, disconnects, reconnects).
"""

from __future__ import annotations

from layers.publishing.protocol.base import (
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
    workflow_id,
)
from layers.publishing.protocol.claim import claim_ready, dispatch_due
from layers.publishing.protocol.holds import cancel_account_posts, release_account_holds
from layers.publishing.protocol.publish import publish_post

__all__ = [
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
