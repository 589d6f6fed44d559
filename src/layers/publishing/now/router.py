"""Publish now: `POST /v1/content/{id}/publish`."""

from __future__ import annotations

from layers.kit.http import LayersRouter
from layers.orgs.dependencies import CurrentPrincipal, DbSession, requires
from layers.publishing.now import service
from layers.publishing.now.schemas import PublishBody, PublishResult

router = LayersRouter(prefix="/v1", tags=["scheduling"])


@router.post(
    "/content/{container_id}/publish",
    status_code=202,
    dependencies=[requires("publish:write")],
    operation_id="publishContent",
)
def publish_content(
    container_id: str, body: PublishBody, principal: CurrentPrincipal, session: DbSession
) -> PublishResult:
    """Publish now on each target (1–50, all or nothing): one post per target, due now and
    handed to the publish protocol at once (exactly once, like any scheduled post). Follow
    each post with `GET /v1/scheduled-posts/{id}`. 403 APPROVAL_REQUIRED while the content
    waits for review (nothing is kept), 409 CONTENT_REJECTED once rejected, 409 while it has
    no media yet."""
    return service.publish_now(session, principal, container_id, body)
