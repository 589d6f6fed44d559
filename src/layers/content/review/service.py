"""The content review (approval) gate, fact sheet §15 ([NEW]).

A project's policy decides whether new content waits for a person: ``auto_approve`` (never),
``review_all`` (always), ``review_first_n`` (while fewer than ``firstN`` of the project's
containers have been decided: a COUNT, no counter). A held container starts
``approvalStatus: pending``; the others ``not_required``. Changing the policy applies to content
created afterwards: containers already pending still wait for a decision.

What the gate refuses (`check_publishable`): publishing pending content (403
``APPROVAL_REQUIRED``) and scheduling or publishing rejected content (409
``CONTENT_REJECTED``). Scheduling pending content is accepted and *stashed* on the container
(`stash_schedule`); approving it promotes the stash into real scheduled posts through the
promoter publishing plugs in (`plug_schedule_promoter`, the seam: content cannot import
publishing), rejecting it drops the stash. Distribution layers take only ``not_required`` and
``approved`` content (`ELIGIBLE`).

Approve and reject record ``content.approved`` / ``content.rejected`` in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from layers.content.repository import containers
from layers.content.review import repository
from layers.content.review.schemas import (
    ApprovalOut,
    RejectionOut,
    ReviewPolicy,
    ReviewPolicyOut,
    ReviewPolicyPatch,
    SchedulePromotion,
)
from layers.events import service as events
from layers.kit import clock
from layers.kit.errors import ApprovalRequired, Conflict, ContentRejected, Validation
from layers.kit.repository import TenantScope
from layers.models.content import ContentContainer
from layers.models.projects import Project
from layers.models.review import ContentReviewPolicy
from layers.projects import service as projects

ELIGIBLE = ("not_required", "approved")
"""Approval statuses that may be scheduled, published and taken by distribution layers."""


# ---- the policy ----------------------------------------------------------------------------


def _reviewer(tenant: TenantScope) -> str:
    """Who decided: the API key (the console acts with its signed-in key too)."""
    return str(getattr(tenant, "key_id", None) or "system")


def policy_out(session: Session, project: Project) -> ReviewPolicyOut:
    row = repository.policy_of(session, project.id)
    counts = repository.approval_counts(session, project.id)
    decided = counts.get("approved", 0) + counts.get("rejected", 0)
    return ReviewPolicyOut(
        project_id=project.id,
        policy=ReviewPolicy(row.policy if row else "auto_approve"),
        first_n=row.first_n if row else None,
        pending_count=counts.get("pending", 0),
        decided_count=decided,
        requires_review=_requires(row, decided),
        updated_at=row.updated_at if row else None,
        updated_by=row.updated_by if row else None,
    )


def get_policy(session: Session, tenant: TenantScope, project_id: str) -> ReviewPolicyOut:
    return policy_out(session, projects.get(session, tenant, project_id))


def set_policy(
    session: Session, tenant: TenantScope, project_id: str, body: ReviewPolicyPatch
) -> ReviewPolicyOut:
    """Set the policy (422 when ``firstN`` is missing with ``review_first_n`` or given with
    another policy)."""
    project = projects.get(session, tenant, project_id)
    if body.policy is ReviewPolicy.review_first_n and body.first_n is None:
        raise Validation.field("firstN", "required with policy review_first_n", "missing")
    if body.policy is not ReviewPolicy.review_first_n and body.first_n is not None:
        raise Validation.field(
            "firstN",
            f"only allowed with policy review_first_n, not {body.policy.value}",
            "not_allowed",
        )
    row = repository.policy_of(session, project.id)
    if row is None:
        row = ContentReviewPolicy(
            project_id=project.id, org_id=project.org_id, livemode=project.livemode
        )
        session.add(row)
    row.policy = body.policy.value
    row.first_n = body.first_n
    row.updated_by = _reviewer(tenant)
    row.updated_at = clock.now()
    session.flush()
    return policy_out(session, project)


def _requires(row: ContentReviewPolicy | None, decided: int) -> bool:
    if row is None or row.policy == "auto_approve":
        return False
    if row.policy == "review_all":
        return True
    return decided < (row.first_n or 0)


def initial_approval(session: Session, project_id: str) -> str:
    """The approval status of a container created now in the project."""
    row = repository.policy_of(session, project_id)
    if row is None or row.policy == "auto_approve":
        return "not_required"
    decided = repository.decided_count(session, project_id) if row.policy != "review_all" else 0
    return "pending" if _requires(row, decided) else "not_required"


# ---- what the gate refuses -----------------------------------------------------------------


def check_schedulable(container: ContentContainer) -> None:
    """Scheduling: rejected content is refused (pending content is stashed by the caller)."""
    if container.approval_status == "rejected":
        raise ContentRejected(
            f"Content {container.id} was rejected by a reviewer; it cannot be scheduled or "
            "published. Generate or upload new content.",
            containerId=container.id,
            approvalStatus=container.approval_status,
            reason=container.rejection_reason,
        )


def check_publishable(container: ContentContainer) -> None:
    """Publishing now: pending content needs an approval first (nothing is stashed)."""
    check_schedulable(container)
    if container.approval_status == "pending":
        raise ApprovalRequired(
            f"Content {container.id} is waiting for review; approve it first "
            f"(POST /v1/content/{container.id}/approve), or schedule it to publish once "
            "approved.",
            containerId=container.id,
            approvalStatus=container.approval_status,
        )


def stash_schedule(session: Session, container: ContentContainer, intent: dict[str, Any]) -> None:
    """Keep a schedule request for pending `container`, to be promoted on approve."""
    container.pending_schedules = [*(container.pending_schedules or []), intent]
    session.flush()


# ---- deciding ------------------------------------------------------------------------------


@dataclass
class Promotion:
    """What a promoter made of the stashed requests."""

    scheduled_post_ids: list[str] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)


Promoter = Callable[[Session, ContentContainer, list[dict[str, Any]]], Promotion]
_promoters: list[Promoter] = []


def plug_schedule_promoter(promoter: Promoter) -> None:
    """Publishing's function that turns stashed requests into scheduled posts (the composition
    root plugs it in; once per function)."""
    if promoter not in _promoters:
        _promoters.append(promoter)


def _pending(session: Session, tenant: TenantScope, container_id: str) -> ContentContainer:
    container = containers.get(session, tenant, container_id, for_update=True)
    if container.approval_status != "pending":
        verb = {
            "not_required": "does not require review",
            "approved": "is already approved",
            "rejected": "is already rejected",
        }.get(container.approval_status, f"is {container.approval_status}")
        raise Conflict(
            f"Content {container.id} {verb}; only pending content can be approved or rejected.",
            containerId=container.id,
            approvalStatus=container.approval_status,
        )
    return container


def approve(
    session: Session, tenant: TenantScope, container_id: str, note: str | None = None
) -> ApprovalOut:
    """``pending → approved``, stamped with the reviewer; schedule requests stashed while it
    was pending become scheduled posts (each in a savepoint: one that fails, e.g. its account
    was disconnected meanwhile, leaves the approval standing and is reported)."""
    container = _pending(session, tenant, container_id)
    now = clock.now()
    reviewer = _reviewer(tenant)
    container.approval_status = "approved"
    container.approved_at = now
    container.approved_by = reviewer
    container.review_note = note
    stashed = list(container.pending_schedules or [])
    container.pending_schedules = None
    promotion: SchedulePromotion | None = None
    if stashed:
        if _promoters:
            done = _promoters[-1](session, container, stashed)
        else:
            done = Promotion(errors=[{"code": "UNAVAILABLE", "message": "Nothing schedules."}])
        promotion = SchedulePromotion(
            status="failed" if done.errors else "ok",
            scheduled_post_ids=done.scheduled_post_ids,
            errors=done.errors,
        )
        container.schedule_promotion = promotion.model_dump(mode="json", by_alias=True)
    session.flush()
    events.record(
        session,
        "content.approved",
        org_id=container.org_id,
        livemode=container.livemode,
        project_id=container.project_id,
        subject_id=container.id,
        data={
            "id": container.id,
            "projectId": container.project_id,
            "approvedAt": clock.isoformat_z(now),
            "approvedBy": reviewer,
            "note": note,
            "scheduledPostIds": promotion.scheduled_post_ids if promotion else [],
        },
    )
    return ApprovalOut(
        id=container.id,
        approval_status=container.approval_status,
        approved_at=now,
        approved_by=reviewer,
        note=note,
        pending_schedule_promotion=promotion,
    )


def reject(session: Session, tenant: TenantScope, container_id: str, reason: str) -> RejectionOut:
    """``pending → rejected`` with the reason; stashed schedule requests are dropped."""
    container = _pending(session, tenant, container_id)
    now = clock.now()
    reviewer = _reviewer(tenant)
    dropped = len(container.pending_schedules or [])
    container.approval_status = "rejected"
    container.rejected_at = now
    container.rejected_by = reviewer
    container.rejection_reason = reason
    container.pending_schedules = None
    session.flush()
    events.record(
        session,
        "content.rejected",
        org_id=container.org_id,
        livemode=container.livemode,
        project_id=container.project_id,
        subject_id=container.id,
        data={
            "id": container.id,
            "projectId": container.project_id,
            "rejectedAt": clock.isoformat_z(now),
            "rejectedBy": reviewer,
            "reason": reason,
        },
    )
    return RejectionOut(
        id=container.id,
        approval_status=container.approval_status,
        rejected_at=now,
        rejected_by=reviewer,
        reason=reason,
        discarded_schedule_requests=dropped,
    )


def queue(
    session: Session, tenant: TenantScope, project_id: str, *, cursor: str | None, limit: int
) -> tuple[list[ContentContainer], str | None]:
    """The project's content waiting for review, oldest first."""
    project = projects.get(session, tenant, project_id)
    return repository.pending_page(session, project.id, cursor=cursor, limit=limit)


__all__ = [
    "ELIGIBLE",
    "Promotion",
    "approve",
    "check_publishable",
    "check_schedulable",
    "get_policy",
    "initial_approval",
    "plug_schedule_promoter",
    "queue",
    "reject",
    "set_policy",
    "stash_schedule",
]
