"""A project's app media: the logo, screenshots, demo videos and end-card with their real
dimensions and size; adding one by URL or by uploading a file from disk; deleting one."""

from __future__ import annotations

from typing import Any

from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from layers.console import manage_views, twins
from layers.console.routes import router
from layers.console.twins import admit, admit_console
from layers.console.web import (
    Console,
    Ctx,
    Post,
    file_size,
    form_of,
    redirect,
    render,
    text,
    unit,
)
from layers.kit.errors import LayersError
from layers.kit.http import allow_large_bodies
from layers.kit.sniff import EXTENSIONS
from layers.projects.media import service as media
from layers.projects.media.router import UPLOAD_BODY_LIMIT
from layers.projects.media.schemas import AppMediaCreate, MediaKind

allow_large_bodies(r"/console/projects/[^/]+/media/upload", UPLOAD_BODY_LIMIT)

KIND_LABELS = {
    "logo": "Logo",
    "screenshot": "Screenshot",
    "demo-video": "Demo video",
    "end-card": "End-card",
}
KIND_HELP = {
    "logo": "Replaces the current logo.",
    "screenshot": "Added to the screenshots.",
    "demo-video": "Added to the demo videos; unlocks UGC remixes.",
    "end-card": "Replaces the current end-card.",
}


def _kinds() -> list[dict[str, Any]]:
    out = []
    for kind, spec in media.KINDS.items():
        types = sorted(EXTENSIONS[t].upper() for t in spec.mime_types)
        out.append(
            {
                "kind": kind,
                "label": KIND_LABELS.get(kind, kind),
                "help": KIND_HELP.get(kind, ""),
                "types": ", ".join(types),
                "accept": ",".join(sorted(spec.mime_types)),
                "max_bytes": spec.max_bytes,
            }
        )
    return out


def _page(
    ctx: Ctx,
    project_id: str,
    *,
    status: int = 200,
    url_form: dict[str, str] | None = None,
    upload_form: dict[str, str] | None = None,
) -> HTMLResponse:
    for op in twins.READ_TWINS["GET /console/projects/{project_id}/media"]:
        admit(ctx.principal, op)
    with unit(write=False) as db:
        data = manage_views.media_view(db, ctx.principal, project_id)
    return render(
        ctx,
        "project_media.html",
        status=status,
        nav="projects",
        sub="media",
        kinds=_kinds(),
        labels=KIND_LABELS,
        extensions=EXTENSIONS,
        url_form=url_form or {"kind": "screenshot", "url": ""},
        upload_form=upload_form or {"kind": "screenshot"},
        can_write=twins.allows(ctx.principal, "POST /v1/projects/{project_id}/app-media"),
        **data,
    )


@router.get("/console/projects/{project_id}/media")
def media_page(project_id: str, ctx: Ctx = Console) -> HTMLResponse:
    return _page(ctx, project_id)


def _refused(exc: LayersError) -> str:
    fields = exc.details.get("fields") if isinstance(exc.details, dict) else None
    if fields and exc.code == "VALIDATION":
        return "; ".join(f"{f.get('field')}: {f.get('message')}" for f in fields)
    return exc.message


@router.post("/console/projects/{project_id}/media", response_model=None)
def add_media_by_url(project_id: str, ctx: Ctx = Post) -> Response:
    admit_console(ctx.principal, "POST /console/projects/{project_id}/media")
    form = form_of(ctx)
    typed = {"kind": text(form, "kind"), "url": text(form, "url").strip()}
    try:
        body = AppMediaCreate.model_validate(typed)
        with unit(write=True) as db:
            row = media.upload(db, ctx.principal, project_id, body)
            added = _added(row.kind, row.width, row.height, row.byte_size)
    except LayersError as exc:
        if exc.status == 404:
            raise
        typed["error"] = _refused(exc)
        return _page(ctx, project_id, status=422, url_form=typed)
    except ValueError:  # pydantic's ValidationError: an empty URL or an unknown kind
        typed["error"] = "Paste the https address of an image or video, and pick its kind."
        return _page(ctx, project_id, status=422, url_form=typed)
    return redirect(f"/console/projects/{project_id}/media", flash=added)


@router.post("/console/projects/{project_id}/media/upload", response_model=None)
def upload_media_file(project_id: str, ctx: Ctx = Post) -> Response:
    admit_console(ctx.principal, "POST /console/projects/{project_id}/media/upload")
    form = form_of(ctx)
    typed = {"kind": text(form, "kind")}
    upload = form.get("file")
    try:
        kind = MediaKind(typed["kind"])
    except ValueError:
        typed["error"] = "Pick what the file is: logo, screenshot, demo video or end-card."
        return _page(ctx, project_id, status=422, upload_form=typed)
    if not isinstance(upload, UploadFile) or not upload.filename:
        typed["error"] = "Choose a file from your computer first."
        return _page(ctx, project_id, status=422, upload_form=typed)
    try:
        with unit(write=True) as db:
            row = media.upload_file(
                db, ctx.principal, project_id, kind=kind, filename=upload.filename,
                stream=upload.file,
            )  # fmt: skip
            added = _added(row.kind, row.width, row.height, row.byte_size)
    except LayersError as exc:
        if exc.status == 404:
            raise
        typed["error"] = f"{upload.filename}: {_refused(exc)}"
        return _page(ctx, project_id, status=422, upload_form=typed)
    return redirect(f"/console/projects/{project_id}/media", flash=added)


def _added(kind: str, width: int | None, height: int | None, size: int) -> str:
    dims = f"{width}×{height}, " if width and height else ""
    return f"Added a {KIND_LABELS.get(kind, kind).lower()} ({dims}{file_size(size)})."


@router.post("/console/projects/{project_id}/media/{media_id}/delete")
def delete_media(project_id: str, media_id: str, ctx: Ctx = Post) -> RedirectResponse:
    admit_console(ctx.principal, "POST /console/projects/{project_id}/media/{media_id}/delete")
    with unit(write=True) as db:
        row = media.delete(db, ctx.principal, project_id, media_id)
        label = KIND_LABELS.get(row.kind, row.kind).lower()
    return redirect(
        f"/console/projects/{project_id}/media",
        flash=f"Deleted the {label}. Content already made with it keeps its own copy.",
    )
