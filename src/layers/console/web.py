"""What every console screen's routes share: the route class that shows errors the console's
way, the signed-in context and its CSRF check, the unit of work, forms read into the API's
request models, and rendering (Jinja2 templates, filters, redirects with a flash message)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from layers.console import session
from layers.kit.context import request_id_var
from layers.kit.db import get_database
from layers.kit.errors import LayersError, Validation
from layers.models.orgs import ApiKey
from layers.orgs import service as orgs
from layers.orgs.service import Principal

M = TypeVar("M", bound=BaseModel)

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")


# ---- errors shown the console's way ----


class SignInRequired(Exception):
    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or "")
        self.message = message


class CsrfRefused(Exception):
    pass


def _error_fields(exc: LayersError) -> list[str]:
    fields = exc.details.get("fields") if isinstance(exc.details, dict) else None
    out = []
    for item in fields or []:
        if isinstance(item, dict):
            out.append(f"{item.get('field')}: {item.get('message')}")
    return out


def safe_back(value: Any, default: str) -> str:
    """`value` if it is a console path (a form's ``back``), else `default`."""
    if isinstance(value, str) and value.startswith("/console") and not value.startswith("//"):
        return value
    return default


class ConsoleRoute(APIRoute):
    """Sign-in redirects, the CSRF refusal page, and API errors shown the console's way: on a
    page as an error page, after a form as an inline message on the page the form came from."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInRequired as exc:
                target = "/console/sign-in"
                if request.method == "GET" and not request.headers.get("hx-request"):
                    target += "?" + urlencode({"next": request.url.path})
                response: Response = RedirectResponse(target, status_code=303)
                if request.headers.get("hx-request"):
                    response = Response(status_code=204, headers={"HX-Redirect": target})
                session.end(response)
                if exc.message:
                    session.flash(response, "error", exc.message)
                return response
            except CsrfRefused:
                return templates.TemplateResponse(
                    request,
                    "error.html",
                    base_context(request, None, title="Refused")
                    | {
                        "code": "CSRF_REFUSED",
                        "message": "This form expired or did not come from the console. "
                        "Go back, reload the page and try again.",
                        "status": 403,
                    },
                    status_code=403,
                )
            except LayersError as exc:
                if request.method == "POST":
                    form: FormData | None = getattr(request.state, "form", None)
                    back = safe_back(form.get("back") if form else None, "/console/projects")
                    response = RedirectResponse(back, status_code=303)
                    session.flash(response, "error", exc.message, _error_fields(exc))
                    return response
                ctx = getattr(request.state, "console", None)
                return templates.TemplateResponse(
                    request,
                    "error.html",
                    base_context(request, ctx, title=exc.code.replace("_", " ").title())
                    | {"code": exc.code, "message": exc.message, "status": exc.status},
                    status_code=exc.status,
                )

        return route_handler


def console_router() -> APIRouter:
    """A router of console routes (never in the OpenAPI)."""
    return APIRouter(route_class=ConsoleRoute, include_in_schema=False)


# ---- the signed-in context ----


@dataclass
class Ctx:
    request: Request
    principal: Principal
    csrf: str
    key_name: str


def _admit_session(key_id: str) -> tuple[Principal, str]:
    with get_database().transaction(write=False) as db:
        principal = orgs.principal_for_key(db, key_id)
        key = db.get(ApiKey, key_id)
        return principal, (key.name if key else "")


async def console_ctx(request: Request) -> Ctx:
    cookie = session.read(request)
    if cookie is None:
        raise SignInRequired
    try:
        principal, name = await run_in_threadpool(_admit_session, cookie.key_id)
    except LayersError as exc:
        raise SignInRequired(f"Signed out: {exc.message}") from None
    ctx = Ctx(request, principal, cookie.csrf, name)
    request.state.console = ctx
    return ctx


async def console_post(request: Request) -> Ctx:
    """A signed-in POST with the session's CSRF token (form field or X-CSRF-Token header)."""
    ctx = await console_ctx(request)
    form = await request.form()
    request.state.form = form
    submitted = form.get(session.CSRF_FIELD)
    if not session.csrf_ok(ctx.csrf, request, submitted if isinstance(submitted, str) else None):
        raise CsrfRefused
    return ctx


Console = Depends(console_ctx)
Post = Depends(console_post)


@contextmanager
def unit(*, write: bool) -> Iterator[Session]:
    """The route's unit of work (the console is an edge, like the API's `unit_of_work`)."""
    with get_database().transaction(write=write) as db:
        yield db


# ---- forms ----


def form_of(ctx: Ctx) -> FormData:
    form: FormData = ctx.request.state.form
    return form


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def back_from(ctx: Ctx, default: str = "/console/projects") -> str:
    """Where the POST's form asks to go back to (a console path), else `default`."""
    return safe_back(form_of(ctx).get("back"), default)


def api_body(model: type[M], data: dict[str, Any]) -> M:
    """The API's request model, validated exactly as the API validates it."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fields = [
            {
                "field": ".".join(str(p) for p in err.get("loc", ())) or "body",
                "message": str(err.get("msg", "invalid")),
                "type": str(err.get("type", "invalid")),
            }
            for err in exc.errors()
        ]
        names = ", ".join(sorted({f["field"] for f in fields}))
        raise Validation(f"Invalid request: {names}", fields=fields) from None


def calendar_view(view: str) -> str:
    """The calendar's view: ``day`` or (anything else) ``week``."""
    return "day" if view == "day" else "week"


# ---- rendering ----


def _local(value: datetime | None, zone: str | None = None, fmt: str = "%a %d %b %H:%M") -> str:
    if value is None:
        return "—"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    if zone:
        with suppress(KeyError, ValueError):
            value = value.astimezone(ZoneInfo(zone))
    return value.strftime(fmt)


def _ago(value: datetime | None) -> str:
    if value is None:
        return "—"
    seconds = int((datetime.now(UTC) - value).total_seconds())
    if seconds < 60:
        return f"{max(seconds, 0)}s ago"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} d ago"


def _duration(ms: int | None) -> str:
    if ms is None:
        return "—"
    if ms < 1000:
        return f"{ms} ms"
    if ms < 60_000:
        return f"{ms / 1000:.1f} s"
    return f"{ms // 60_000} min {(ms % 60_000) // 1000} s"


def file_size(size: int | None) -> str:
    """A byte count as a person reads it: 512 B, 48.2 KB, 3.4 MB (powers of 1024)."""
    if size is None:
        return "—"
    value = float(size)
    for unit_name in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit_name == "GB":
            return f"{int(value)} B" if unit_name == "B" else f"{value:.1f} {unit_name}"
        value /= 1024
    raise AssertionError("unreachable")


templates.env.filters["filesize"] = file_size
templates.env.filters["local"] = _local
templates.env.filters["ago"] = _ago
templates.env.filters["duration"] = _duration
templates.env.filters["pretty"] = session.dumps


def base_context(request: Request, ctx: Ctx | None, **extra: Any) -> dict[str, Any]:
    return {
        "ctx": ctx,
        "csrf": ctx.csrf if ctx else "",
        "flash": session.read_flash(request),
        "request_id": request_id_var.get(),
        "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        **extra,
    }


def render(ctx: Ctx, name: str, status: int = 200, **data: Any) -> HTMLResponse:
    context = base_context(ctx.request, ctx, **data)
    response = templates.TemplateResponse(ctx.request, name, context, status_code=status)
    if context["flash"]:
        session.clear_flash(response)
    return response


def partial(ctx: Ctx, name: str, **data: Any) -> HTMLResponse:
    return templates.TemplateResponse(ctx.request, name, {"ctx": ctx, "csrf": ctx.csrf, **data})


def redirect(url: str, *, flash: str | None = None) -> RedirectResponse:
    response = RedirectResponse(url, status_code=303)
    if flash:
        session.flash(response, "ok", flash)
    return response
