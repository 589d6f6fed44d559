"""Pending ad actions: drafted by the optimizer under ``draft`` authority, decided by a person.

``pending`` → ``approved`` (dispatched on the layer's next tick → ``dispatched``, with
``approval.dispatched``) or ``rejected``. A decision is one conditional UPDATE on
``status = 'pending'``: two concurrent verdicts cannot both win, and deciding a decided action
is a 409 CONFLICT. The kill switch refuses approvals (nothing may be written while it is on).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from layers.ads import authority_service, repository
from layers.ads.platforms.base import body_name
from layers.ads.schemas import BodyPlatform, PendingList, PendingOut, PendingStatus, VerdictOut
from layers.kit import clock
from layers.kit.errors import AuthorityDenied, Conflict, NotFound
from layers.kit.ids import new_id
from layers.models.ads import AdPendingAction
from layers.models.engine import ProjectLayer
from layers.orgs.service import Principal
from layers.projects import service as projects


def to_out(p: AdPendingAction) -> PendingOut:
    return PendingOut(
        pending_id=p.id,
        layer_id=p.layer_id,
        platform=BodyPlatform(body_name(p.platform)),
        decision_id=p.decision_id,
        campaign_id=p.campaign_id,
        subject_id=p.subject_id,
        action=p.action,
        axis=p.axis,
        params=p.params,
        reason=p.reason,
        status=PendingStatus(p.status),
        verdict_id=p.verdict_id,
        comment=p.verdict_comment,
        dispatched=p.status == "dispatched",
        dispatched_at=p.dispatched_at,
        created_at=p.created_at,
    )


def page(
    session: Session,
    principal: Principal,
    project_id: str,
    platform: str,
    *,
    status: str | None,
    layer_id: str | None,
    cursor: str | None,
    limit: int,
) -> PendingList:
    projects.get(session, principal, project_id)
    rows, next_cursor = repository.pending_page(
        session,
        principal,
        project_id,
        platform,
        status=status,
        layer_id=layer_id,
        cursor=cursor,
        limit=limit,
    )
    return PendingList(items=[to_out(p) for p in rows], next_cursor=next_cursor)


def _get(
    session: Session, principal: Principal, project_id: str, platform: str, pending_id: str
) -> AdPendingAction:
    row = repository.pending_repo.get(session, principal, pending_id)
    if row.project_id != project_id or row.platform != platform:
        raise NotFound.of("pending action", pending_id)
    return row


def decide(
    session: Session,
    principal: Principal,
    project_id: str,
    platform: str,
    pending_id: str,
    *,
    approve: bool,
    text: str | None,
) -> VerdictOut:
    projects.get(session, principal, project_id)
    row = _get(session, principal, project_id, platform, pending_id)
    if row.status != "pending":
        raise Conflict(f"Pending action {pending_id} is already {row.status}.", status=row.status)
    if approve:
        layer = session.get(ProjectLayer, row.layer_id)
        if layer is not None and authority_service.policy_of(session, layer).defaults.kill_switch:
            raise AuthorityDenied(
                "The layer's kill switch is on: nothing may be approved.",
                reason="kill_switch_active",
                layerId=row.layer_id,
            )
    verdict_id = new_id("ver")
    won = repository.claim_pending(
        session,
        pending_id,
        "pending",
        status="approved" if approve else "rejected",
        verdict_id=verdict_id,
        verdict_comment=text,
        decided_by=principal.key_id,
        decided_at=clock.now(),
    )
    if not won:
        raise Conflict(f"Pending action {pending_id} was decided meanwhile.")
    session.refresh(row)
    return VerdictOut(
        pending_id=row.id,
        status=PendingStatus(row.status),
        dispatched=False,
        dispatched_at=None,
        verdict_id=verdict_id,
    )
