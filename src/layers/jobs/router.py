from __future__ import annotations

from fastapi import Request, Response
from fastapi.responses import JSONResponse

from layers.jobs import service
from layers.jobs.schemas import JobOut
from layers.kit import durable
from layers.kit.db import after_commit
from layers.kit.http import LayersRouter
from layers.kit.settings import get_settings
from layers.orgs.dependencies import CurrentPrincipal, DbSession, requires

router = LayersRouter(prefix="/v1", tags=["jobs"])


@router.get(
    "/jobs/{job_id}",
    dependencies=[requires("jobs:read")],
    responses={304: {"description": "Not modified (If-None-Match matched the ETag)"}},
)
def get_job(
    job_id: str, request: Request, principal: CurrentPrincipal, session: DbSession
) -> JobOut:
    """Poll a job. Send ``If-None-Match`` with the last ETag to get a 304 when unchanged."""
    job = service.get(session, org_id=principal.org_id, livemode=principal.livemode, job_id=job_id)
    out = service.to_out(job)
    tag = service.etag(out)
    if request.headers.get("if-none-match") == tag:
        return Response(status_code=304, headers={"ETag": tag})  # type: ignore[return-value]
    return JSONResponse(  # type: ignore[return-value]
        out.model_dump(mode="json", by_alias=True), headers={"ETag": tag}
    )


@router.post("/jobs/{job_id}/cancel", dependencies=[requires("jobs:write")])
def cancel_job(job_id: str, principal: CurrentPrincipal, session: DbSession) -> JobOut:
    job = service.get(session, org_id=principal.org_id, livemode=principal.livemode, job_id=job_id)
    was_running = job.status == "running"
    job = service.cancel(session, job)
    workflow_id = job.workflow_id
    if was_running and workflow_id:
        after_commit(session, lambda: durable.cancel(get_settings(), workflow_id))
    return service.to_out(job)
