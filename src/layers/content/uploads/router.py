"""Uploaded content: a partner's finished media as a container."""

from __future__ import annotations

from layers.content import containers
from layers.content.schemas import ContainerOut
from layers.content.uploads import service
from layers.content.uploads.schemas import UploadBody
from layers.kit.http import LayersRouter
from layers.orgs.dependencies import CurrentPrincipal, DbSession, requires

router = LayersRouter(prefix="/v1", tags=["content"])


@router.post(
    "/projects/{project_id}/content/upload",
    status_code=201,
    dependencies=[requires("content:write")],
    operation_id="uploadContent",
)
def upload_content(
    project_id: str, body: UploadBody, principal: CurrentPrincipal, session: DbSession
) -> ContainerOut:
    """Finished media (one video, one image, or 2–10 images as a slideshow) fetched from
    public https URLs, checked and stored as they came: a `completed` container
    (`creativeType: uploaded`) that is reviewed, scheduled, published and distributed like
    generated content, byte for byte. All files or none."""
    return containers.to_out(session, service.upload(session, principal, project_id, body))
