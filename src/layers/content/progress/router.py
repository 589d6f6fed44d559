"""A container's progress."""

from __future__ import annotations

from layers.content.progress import service
from layers.content.progress.service import ContentProgress
from layers.kit.http import LayersRouter
from layers.orgs.dependencies import CurrentPrincipal, DbSession, requires

router = LayersRouter(prefix="/v1", tags=["content"])


@router.get(
    "/content/{container_id}/progress",
    dependencies=[requires("content:read")],
    operation_id="getContentProgress",
)
def content_progress(
    container_id: str, principal: CurrentPrincipal, session: DbSession
) -> ContentProgress:
    """Where the container's generation stands: `stage`, `stageProgress` (0–1, reset per
    stage), `etaSeconds` (best effort; null without a baseline or once terminal). Prefer
    `GET /v1/jobs/{jobId}` when you hold the job id."""
    return service.progress(session, principal, container_id)
