"""The review gate: a project's content-review policy, the review queue, approve and reject."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from layers.content import containers
from layers.content.review import service
from layers.content.review.schemas import (
    ApprovalOut,
    ApproveBody,
    RejectBody,
    RejectionOut,
    ReviewPolicyOut,
    ReviewPolicyPatch,
    ReviewQueue,
)
from layers.kit.http import LayersRouter
from layers.orgs.dependencies import CurrentPrincipal, DbSession, requires

router = LayersRouter(prefix="/v1", tags=["content review"])


@router.get(
    "/projects/{project_id}/content-review-policy",
    dependencies=[requires("content:read")],
    operation_id="getContentReviewPolicy",
)
def get_review_policy(
    project_id: str, principal: CurrentPrincipal, session: DbSession
) -> ReviewPolicyOut:
    """The project's review policy (`auto_approve` with a null `updatedAt` when never set),
    with the live count of content waiting for review."""
    return service.get_policy(session, principal, project_id)


@router.patch(
    "/projects/{project_id}/content-review-policy",
    dependencies=[requires("content:approve")],
    operation_id="updateContentReviewPolicy",
)
def update_review_policy(
    project_id: str, body: ReviewPolicyPatch, principal: CurrentPrincipal, session: DbSession
) -> ReviewPolicyOut:
    """`auto_approve`, `review_first_n` (with `firstN`, 1–50) or `review_all`. Applies to
    content created from now on; content already pending still waits for a decision."""
    return service.set_policy(session, principal, project_id, body)


@router.get(
    "/projects/{project_id}/content/review-queue",
    dependencies=[requires("content:read")],
    operation_id="listContentReviewQueue",
)
def review_queue(
    project_id: str,
    principal: CurrentPrincipal,
    session: DbSession,
    cursor: Annotated[str | None, Query(max_length=128)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
) -> ReviewQueue:
    """Content waiting for review (`approvalStatus: pending`), oldest first."""
    rows, next_cursor = service.queue(session, principal, project_id, cursor=cursor, limit=limit)
    return ReviewQueue(items=containers.to_outs(session, rows), next_cursor=next_cursor)


@router.post(
    "/content/{container_id}/approve",
    dependencies=[requires("content:approve")],
    operation_id="approveContent",
)
def approve_content(
    container_id: str, body: ApproveBody, principal: CurrentPrincipal, session: DbSession
) -> ApprovalOut:
    """`pending → approved`; send `{}` or `{"note": …}`. Schedule requests made while it was
    pending become scheduled posts (`pendingSchedulePromotion`); 409 unless the content is
    pending."""
    return service.approve(session, principal, container_id, body.note)


@router.post(
    "/content/{container_id}/reject",
    dependencies=[requires("content:approve")],
    operation_id="rejectContent",
)
def reject_content(
    container_id: str, body: RejectBody, principal: CurrentPrincipal, session: DbSession
) -> RejectionOut:
    """`pending → rejected` with a reason; it can then never be scheduled or published (409
    CONTENT_REJECTED). 409 unless the content is pending."""
    return service.reject(session, principal, container_id, body.reason)
