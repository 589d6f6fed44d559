"""Changing, cloning and deleting an influencer (fact sheet §13)."""

from __future__ import annotations

from layers.kit.http import LayersRouter
from layers.orgs.dependencies import CurrentPrincipal, DbSession, requires
from layers.projects.influencers import service
from layers.projects.influencers.schemas import (
    InfluencerAccepted,
    InfluencerClone,
    InfluencerDelete,
    InfluencerDeleted,
    InfluencerOut,
    InfluencerUpdate,
)

router = LayersRouter(prefix="/v1", tags=["influencers"])


@router.patch(
    "/influencers/{influencer_id}",
    dependencies=[requires("influencers:write")],
    operation_id="updateInfluencer",
)
def update_influencer(
    influencer_id: str, body: InfluencerUpdate, principal: CurrentPrincipal, session: DbSession
) -> InfluencerOut:
    """Change `name`, `gender`, `ageRange`, `brandVoice` or `language` (at least one). A new
    look (gender, age range, voice) redraws the avatar with the same face; 409 while the
    influencer is still being created. For several languages, clone instead."""
    return service.to_out(service.update(session, principal, influencer_id, body))


@router.delete(
    "/influencers/{influencer_id}",
    dependencies=[requires("influencers:write")],
    operation_id="deleteInfluencer",
)
def delete_influencer(
    influencer_id: str,
    principal: CurrentPrincipal,
    session: DbSession,
    body: InfluencerDelete | None = None,
) -> InfluencerDeleted:
    """Archive it (soft delete, optional `reason`): it leaves lists and reads, content made with
    it keeps working. 409 while scheduled posts still to publish carry its content."""
    return service.deleted(service.delete(session, principal, influencer_id, body))


@router.post(
    "/influencers/{influencer_id}/clone",
    status_code=202,
    dependencies=[requires("influencers:write")],
    operation_id="cloneInfluencer",
)
def clone_influencer(
    influencer_id: str, body: InfluencerClone, principal: CurrentPrincipal, session: DbSession
) -> InfluencerAccepted:
    """A new influencer with the same face, a `name` and `overrides` (`gender`, `ageRange`,
    `brandVoice`, `language`): a language fan-out is one clone per language. Poll the job
    until it is ready; 409 until the source is ready."""
    influencer, job = service.clone(session, principal, influencer_id, body)
    return service.accepted(influencer, job)
