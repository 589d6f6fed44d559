"""Generate: pick a format, a source (the portfolio or a live keyword search, with
thumbnails) or a hook, and an influencer; start it and land on the content's page, which
follows the job's stage until the result is there."""

from __future__ import annotations

from typing import Any

from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.datastructures import FormData

from layers.console import content_views, twins
from layers.console.routes import router
from layers.console.twins import admit, admit_console
from layers.console.web import (
    Console,
    Ctx,
    Post,
    api_body,
    form_of,
    partial,
    redirect,
    render,
    text,
    unit,
)
from layers.content import service as content
from layers.content.schemas import RemixBody, SlideshowBuilderBody, UgcRemixBody
from layers.content.service import GenerationRequest
from layers.kit.errors import LayersError, Validation

SOURCE_READ = "GET /v1/projects/{project_id}/content/source-recommendations"
BODY = {
    "slideshow-remix": RemixBody,
    "video-remix": RemixBody,
    "slideshow-builder": SlideshowBuilderBody,
    "ugc-remix": UgcRemixBody,
}


@router.get("/console/projects/{project_id}/generate")
def generate_page(project_id: str, format: str = "", ctx: Ctx = Console) -> HTMLResponse:
    for op in twins.READ_TWINS["GET /console/projects/{project_id}/generate"]:
        admit(ctx.principal, op)
    with unit(write=False) as db:
        data = content_views.generate_view(db, ctx.principal, project_id)
    chosen = content_views.format_of(format)
    return render(
        ctx,
        "generate.html",
        nav="projects",
        sub="content",
        values={"format": chosen.id},
        errors={},
        **data,
    )


@router.get("/console/projects/{project_id}/generate/sources")
def generate_sources(
    project_id: str,
    format: str = "slideshow-remix",
    keyword: str = "",
    source: str = "portfolio",
    picked: str = "",
    ctx: Ctx = Console,
) -> HTMLResponse:
    """The source grid (an htmx partial): the portfolio, or a live search for `keyword`."""
    admit(ctx.principal, SOURCE_READ)
    chosen = content_views.format_of(format)
    keyword = keyword.strip()[:200] if source == "search" else ""
    data: dict[str, Any] = {
        "format": chosen,
        "keyword": keyword,
        "searched": source == "search",
        "picked": picked,
    }
    if chosen.source_kind is None:
        return partial(ctx, "_sources.html", items=[], error=None, **data)
    if source == "search" and not keyword:
        return partial(
            ctx, "_sources.html", items=[], error="Type a keyword to search TikTok.", **data
        )
    try:
        with unit(write=False) as db:
            found = content_views.source_list(
                db, ctx.principal, project_id, kind=chosen.source_kind, keyword=keyword or None
            )
    except LayersError as exc:
        return partial(ctx, "_sources.html", items=[], error=exc.message, **data)
    return partial(
        ctx, "_sources.html", items=found.items, error=None, keywords=found.keywords, **data
    )


def _values(form: FormData) -> dict[str, str]:
    values = {
        name: text(form, name).strip()
        for name in ("format", "tiktokVideoId", "influencerId", "keyword", "source")
    }
    values["hook"] = content_views.hook_from_lines(text(form, "hook"))
    return values


def _request(values: dict[str, str]) -> GenerationRequest:
    """The API's request body for the chosen format, validated as the API validates it."""
    fmt = content_views.format_of(values["format"])
    data: dict[str, Any] = {"influencerId": values["influencerId"] or None}
    if fmt.source_kind:
        if not values["tiktokVideoId"]:
            raise Validation.field("tiktokVideoId", "pick a source post first", "missing")
        data["tiktokVideoId"] = values["tiktokVideoId"]
    else:
        if not values["hook"]:
            raise Validation.field("hook", "write a hook or pick one of the ideas", "missing")
        data["hook"] = values["hook"]
    body: Any = api_body(BODY[fmt.id], data)
    return GenerationRequest(
        fmt.id,
        influencer_id=body.influencer_id,
        tiktok_video_id=getattr(body, "tiktok_video_id", None),
        hook=getattr(body, "hook", None),
    )


@router.post("/console/projects/{project_id}/generate", response_model=None)
def start_generation(project_id: str, ctx: Ctx = Post) -> RedirectResponse | HTMLResponse:
    admit_console(ctx.principal, "POST /console/projects/{project_id}/generate")
    values = _values(form_of(ctx))
    try:
        request = _request(values)
        with unit(write=True) as db:
            container, _ = content.start(db, ctx.principal, project_id, request)
            container_id = container.id
    except Validation as exc:
        fields = exc.details.get("fields") if isinstance(exc.details, dict) else None
        errors = {
            str(f.get("field", "")).split(".")[-1]: str(f.get("message", ""))
            for f in fields or []
            if isinstance(f, dict)
        }
        with unit(write=False) as db:
            data = content_views.generate_view(db, ctx.principal, project_id)
        return render(
            ctx,
            "generate.html",
            status=422,
            nav="projects",
            sub="content",
            values=values,
            errors=errors or {"form": exc.message},
            **data,
        )
    return redirect(f"/console/content/{container_id}", flash="Generation started.")
