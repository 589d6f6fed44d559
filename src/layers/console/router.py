"""The web console: thin HTML routes under ``/console`` (Jinja2 + htmx, no build step).

Every route re-admits the session's API key, reads through the same service functions as
the Partner API, and every mutating route names its API twin (`layers.console.twins`) whose
scope it checks and whose service it calls.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from layers.console import forms, session, twins, views
from layers.console.twins import admit, admit_console
from layers.engine.catalog import registry
from layers.engine.project_layers import service as layers
from layers.engine.project_layers.schemas import ExecuteRequest, LayerInstall, LayerRollback
from layers.engine.runs import service as runs
from layers.kit.context import request_id_var
from layers.kit.db import get_database
from layers.kit.errors import LayersError, Validation
from layers.kit.settings import get_settings
from layers.models.orgs import ApiKey
from layers.orgs import service as orgs
from layers.orgs.service import Principal
from layers.publishing.scheduling import service as scheduling
from layers.publishing.scheduling.schemas import RescheduleBody
from layers.social import oauth
from layers.social.schemas import OAuthUrlRequest, ReauthUrlRequest

log = logging.getLogger("layers.console")
M = TypeVar("M", bound=BaseModel)

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")


# ---- plumbing ----


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


def _safe_back(value: Any, default: str) -> str:
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
                    _base(request, None, title="Refused")
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
                    back = _safe_back(form.get("back") if form else None, "/console/projects")
                    response = RedirectResponse(back, status_code=303)
                    session.flash(response, "error", exc.message, _error_fields(exc))
                    return response
                ctx = getattr(request.state, "console", None)
                return templates.TemplateResponse(
                    request,
                    "error.html",
                    _base(request, ctx, title=exc.code.replace("_", " ").title())
                    | {"code": exc.code, "message": exc.message, "status": exc.status},
                    status_code=exc.status,
                )

        return route_handler


router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)


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


@contextmanager
def unit(*, write: bool) -> Iterator[Session]:
    with get_database().transaction(write=write) as db:
        yield db


def _form(ctx: Ctx) -> FormData:
    form: FormData = ctx.request.state.form
    return form


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _body(model: type[M], data: dict[str, Any]) -> M:
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


templates.env.filters["local"] = _local
templates.env.filters["ago"] = _ago
templates.env.filters["duration"] = _duration
templates.env.filters["pretty"] = session.dumps


def _base(request: Request, ctx: Ctx | None, **extra: Any) -> dict[str, Any]:
    return {
        "ctx": ctx,
        "csrf": ctx.csrf if ctx else "",
        "flash": session.read_flash(request),
        "request_id": request_id_var.get(),
        "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        **extra,
    }


def render(ctx: Ctx, name: str, status: int = 200, **data: Any) -> HTMLResponse:
    context = _base(ctx.request, ctx, **data)
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


Console = Depends(console_ctx)
Post = Depends(console_post)


# ---- sign-in ----


@router.get("/")
def root(request: Request) -> RedirectResponse:
    return RedirectResponse("/console", status_code=303)


@router.get("/console")
def console_home(request: Request) -> RedirectResponse:
    target = "/console/projects" if session.read(request) else "/console/sign-in"
    return RedirectResponse(target, status_code=303)


@router.get("/console/sign-in")
def sign_in_page(request: Request, next: str | None = None) -> HTMLResponse:
    token = session.presign_token(request)
    context = _base(request, None) | {"signin_csrf": token, "next": next or ""}
    response = templates.TemplateResponse(request, "sign_in.html", context)
    session.set_presign(response, token)
    if context["flash"]:
        session.clear_flash(response)
    return response


def _sign_in(token: str) -> str:
    with get_database().transaction(write=False) as db:
        return orgs.authenticate(db, f"Bearer {token.strip()}", None).key_id


@router.post("/console/sign-in")
async def sign_in(request: Request) -> Response:
    form = await request.form()
    submitted = form.get("csrf")
    if not session.presign_ok(request, submitted if isinstance(submitted, str) else None):
        raise CsrfRefused
    token = form.get("apiKey")
    next_url = _safe_back(form.get("next"), "/console/projects")
    try:
        key_id = await run_in_threadpool(_sign_in, token if isinstance(token, str) else "")
    except LayersError as exc:
        response = RedirectResponse("/console/sign-in", status_code=303)
        session.flash(response, "error", f"Sign-in refused: {exc.message}")
        return response
    response = RedirectResponse(next_url, status_code=303)
    session.start(response, key_id)
    return response


@router.post("/console/sign-out")
def sign_out(ctx: Ctx = Post) -> RedirectResponse:
    response = RedirectResponse("/console/sign-in", status_code=303)
    session.end(response)
    session.flash(response, "ok", "Signed out.")
    return response


# ---- projects ----


@router.get("/console/projects")
def projects_page(q: str | None = None, ctx: Ctx = Console) -> HTMLResponse:
    admit(ctx.principal, "GET /v1/projects")
    with unit(write=False) as db:
        items = views.project_list(db, ctx.principal, q)
    return render(ctx, "projects.html", nav="projects", projects=items, q=q or "")


@router.get("/console/projects/{project_id}")
def project_page(project_id: str, ctx: Ctx = Console) -> HTMLResponse:
    for op in twins.READ_TWINS["GET /console/projects/{project_id}"]:
        admit(ctx.principal, op)
    with unit(write=False) as db:
        data = views.project_overview(db, ctx.principal, project_id)
    return render(ctx, "project.html", nav="projects", sub="overview", **data)


@router.get("/console/projects/{project_id}/layers")
def project_layers_page(project_id: str, ctx: Ctx = Console) -> HTMLResponse:
    admit(ctx.principal, "GET /v1/projects/{project_id}/layers")
    with unit(write=False) as db:
        project = views.project(db, ctx.principal, project_id)
        items = views.project_layers(db, ctx.principal, project_id)
    return render(
        ctx, "project_layers.html", nav="projects", sub="layers", project=project, layers=items
    )


@router.get("/console/projects/{project_id}/content")
def content_page(project_id: str, ctx: Ctx = Console) -> HTMLResponse:
    admit(ctx.principal, "GET /v1/projects/{project_id}/content")
    with unit(write=False) as db:
        project = views.project(db, ctx.principal, project_id)
        data = views.content_library(db, ctx.principal, project_id)
    return render(ctx, "content.html", nav="projects", sub="content", project=project, **data)


@router.get("/console/projects/{project_id}/schedule")
def project_schedule_page(
    project_id: str, start: str | None = None, view: str = "week", ctx: Ctx = Console
) -> HTMLResponse:
    admit(ctx.principal, "GET /v1/projects/{project_id}/scheduled-posts")
    with unit(write=False) as db:
        project = views.project(db, ctx.principal, project_id)
        cal = views.calendar(
            db, ctx.principal, project_id, layer_id=None, start=start, view=_view(view)
        )
    return render(
        ctx, "project_schedule.html", nav="projects", sub="schedule", project=project, cal=cal
    )


def _view(view: str) -> str:
    return "day" if view == "day" else "week"


@router.get("/console/projects/{project_id}/settings")
def settings_page(
    project_id: str,
    status: str | None = None,
    state: str | None = None,
    error: str | None = None,
    ctx: Ctx = Console,
) -> HTMLResponse:
    for op in twins.READ_TWINS["GET /console/projects/{project_id}/settings"]:
        admit(ctx.principal, op)
    with unit(write=False) as db:
        project = views.project(db, ctx.principal, project_id)
        accounts = views.accounts_view(db, ctx.principal, project_id)
    returned = None
    if status in ("success", "error"):
        returned = {"ok": status == "success", "error": error}
    return render(
        ctx,
        "settings.html",
        nav="projects",
        sub="settings",
        project=project,
        accounts=accounts,
        returned=returned,
    )


def _console_url(path: str) -> str:
    return get_settings().public_base_url.rstrip("/") + path


@router.post("/console/projects/{project_id}/social/connect")
def connect_account(project_id: str, ctx: Ctx = Post) -> RedirectResponse:
    admit_console(ctx.principal, "POST /console/projects/{project_id}/social/connect")
    form = _form(ctx)
    body = _body(
        OAuthUrlRequest,
        {
            "platform": _text(form, "platform"),
            "returnUrl": _console_url(f"/console/projects/{quote(project_id)}/settings"),
        },
    )
    with unit(write=True) as db:
        _, url = oauth.start(
            db,
            ctx.principal,
            project_id,
            platform=body.platform.value,
            return_url=body.return_url,
            scopes=body.scopes,
            console=True,
        )
    return RedirectResponse(url, status_code=303)


@router.post("/console/projects/{project_id}/social/{account_id}/reconnect")
def reconnect_account(project_id: str, account_id: str, ctx: Ctx = Post) -> RedirectResponse:
    admit_console(
        ctx.principal, "POST /console/projects/{project_id}/social/{account_id}/reconnect"
    )
    body = _body(
        ReauthUrlRequest,
        {
            "socialAccountId": account_id,
            "returnUrl": _console_url(f"/console/projects/{quote(project_id)}/settings"),
        },
    )
    with unit(write=True) as db:
        _, url = oauth.start_reauth(
            db,
            ctx.principal,
            project_id,
            account_id=body.social_account_id,
            return_url=body.return_url,
            scopes=body.scopes,
            console=True,
        )
    return RedirectResponse(url, status_code=303)


# ---- catalog and install ----


@router.get("/console/catalog")
def catalog_page(project: str | None = None, ctx: Ctx = Console) -> HTMLResponse:
    admit(ctx.principal, "GET /v1/layer-templates")
    with unit(write=False) as db:
        data = views.catalog_view(db, ctx.principal, project)
    return render(ctx, "catalog.html", nav="catalog", **data)


@router.post("/console/projects/{project_id}/layers")
def install_layer(project_id: str, ctx: Ctx = Post) -> RedirectResponse:
    admit_console(ctx.principal, "POST /console/projects/{project_id}/layers")
    form = _form(ctx)
    template_id = _text(form, "templateId")
    template = registry.get(template_id)
    if _text(form, "mode") == "json":
        config = forms.parse_json_object(_text(form, "configJson"), "config")
    else:
        schema = template.published_config_schema() if template else {}
        config = forms.parse(schema, form, "cfg", dict(template.default_config) if template else {})
    body = _body(LayerInstall, {"templateId": template_id, "config": config})
    with unit(write=True) as db:
        layer = layers.install(db, ctx.principal, project_id, body)
        layer_id = layer.id
    return redirect(
        f"/console/layers/{layer_id}?tab=runs", flash=f"Installing {template_id} on the project."
    )


# ---- a layer ----

TABS = ("config", "commands", "runs", "schedule")


@router.get("/console/layers/{layer_id}")
def layer_page(
    layer_id: str,
    tab: str = "config",
    run: str | None = None,
    start: str | None = None,
    view: str = "week",
    ctx: Ctx = Console,
) -> HTMLResponse:
    for op in twins.READ_TWINS["GET /console/layers/{layer_id}"]:
        admit(ctx.principal, op)
    tab = tab if tab in TABS else "config"
    with unit(write=False) as db:
        data = views.layer_view(db, ctx.principal, layer_id)
        if tab == "config":
            data |= views.config_tab(db, ctx.principal, layer_id, data)
        elif tab == "commands":
            data |= views.commands_tab(data)
        elif tab == "runs":
            data |= views.runs_tab(db, ctx.principal, layer_id, run)
        else:
            admit(ctx.principal, "GET /v1/projects/{project_id}/scheduled-posts")
            data["cal"] = views.calendar(
                db,
                ctx.principal,
                data["layer"].project_id,
                layer_id=layer_id,
                start=start,
                view=_view(view),
            )
    data.pop("row", None)
    return render(ctx, "layer.html", nav="projects", sub="layers", tab=tab, **data)


@router.post("/console/layers/{layer_id}/config")
def update_config(layer_id: str, ctx: Ctx = Post) -> RedirectResponse:
    admit_console(ctx.principal, "POST /console/layers/{layer_id}/config")
    form = _form(ctx)
    with unit(write=True) as db:
        row = layers.get(db, ctx.principal, layer_id)
        template = registry.for_layer(row)
        schema = template.published_config_schema() if template else {}
        accounts = views.account_options(db, ctx.principal, row.project_id)
        new = forms.parse(schema, form, "cfg", dict(row.config), accounts=accounts)
        layer, started = layers.update(
            db, ctx.principal, layer_id, forms.merge_patch_between(row.config, new)
        )
        message = _saved(layer.config_version, started)
    return redirect(f"/console/layers/{layer_id}?tab=config", flash=message)


@router.post("/console/layers/{layer_id}/config-json")
def update_config_json(layer_id: str, ctx: Ctx = Post) -> RedirectResponse:
    admit_console(ctx.principal, "POST /console/layers/{layer_id}/config-json")
    new = forms.parse_json_object(_text(_form(ctx), "configJson"), "config")
    with unit(write=True) as db:
        row = layers.get(db, ctx.principal, layer_id)
        patch = forms.merge_patch_between(dict(row.config), new)
        layer, started = layers.update(db, ctx.principal, layer_id, patch)
        message = _saved(layer.config_version, started)
    return redirect(f"/console/layers/{layer_id}?tab=config", flash=message)


def _saved(version: int, started: list[Any]) -> str:
    message = f"Config saved (version {version})."
    if started:
        message += " Started " + ", ".join(f"{r.command_id} ({r.id})" for r in started) + "."
    return message


@router.post("/console/layers/{layer_id}/rollback")
def rollback_config(layer_id: str, ctx: Ctx = Post) -> RedirectResponse:
    admit_console(ctx.principal, "POST /console/layers/{layer_id}/rollback")
    raw = _text(_form(ctx), "version")
    body = _body(LayerRollback, {"version": int(raw) if raw.isdigit() else raw})
    with unit(write=True) as db:
        layer, started = layers.rollback(db, ctx.principal, layer_id, body.version)
        message = f"Restored version {body.version}. " + _saved(layer.config_version, started)
    return redirect(f"/console/layers/{layer_id}?tab=config", flash=message)


@router.post("/console/layers/{layer_id}/pause")
def pause_layer(layer_id: str, ctx: Ctx = Post) -> RedirectResponse:
    admit_console(ctx.principal, "POST /console/layers/{layer_id}/pause")
    with unit(write=True) as db:
        layers.pause(db, ctx.principal, layer_id)
    back = _safe_back(_form(ctx).get("back"), f"/console/layers/{layer_id}")
    return redirect(back, flash="Layer paused: scheduled commands stop.")


@router.post("/console/layers/{layer_id}/resume")
def resume_layer(layer_id: str, ctx: Ctx = Post) -> RedirectResponse:
    admit_console(ctx.principal, "POST /console/layers/{layer_id}/resume")
    with unit(write=True) as db:
        layers.resume(db, ctx.principal, layer_id)
    back = _safe_back(_form(ctx).get("back"), f"/console/layers/{layer_id}")
    return redirect(back, flash="Layer resumed.")


@router.post("/console/layers/{layer_id}/execute")
def execute_command(layer_id: str, ctx: Ctx = Post) -> RedirectResponse:
    admit_console(ctx.principal, "POST /console/layers/{layer_id}/execute")
    form = _form(ctx)
    command_id = _text(form, "commandId")
    with unit(write=True) as db:
        row = layers.get(db, ctx.principal, layer_id)
        template = registry.for_layer(row)
        command = template.commands.get(command_id) if template else None
        schema = dict(command.parameters_schema) if command and command.parameters_schema else None
        if schema and schema.get("properties") and _text(form, "mode") != "json":
            parameters = forms.parse(schema, form, "param", {})
        else:
            parameters = forms.parse_json_object(_text(form, "parametersJson"), "parameters")
        body = _body(
            ExecuteRequest,
            {"commandId": command_id, "parameters": parameters, "trigger": "console"},
        )
        run = layers.execute(db, ctx.principal, layer_id, body)
        run_id = run.id
    return redirect(
        f"/console/layers/{layer_id}?tab=runs&run={run_id}", flash=f"Started {command_id}."
    )


# ---- runs ----


@router.get("/console/runs/{run_id}/panel")
def run_panel(run_id: str, ctx: Ctx = Console) -> HTMLResponse:
    admit(ctx.principal, "GET /v1/runs/{run_id}")
    with unit(write=False) as db:
        panel = views.run_panel(db, ctx.principal, run_id)
    response = partial(ctx, "_run_status.html", panel=panel)
    if not panel["live"]:
        response.headers["HX-Trigger"] = "run-finished"  # the run list refreshes once more
    return response


@router.get("/console/runs/{run_id}/logs")
def run_logs(run_id: str, after: int = 0, ctx: Ctx = Console) -> HTMLResponse:
    admit(ctx.principal, "GET /v1/runs/{run_id}/logs")
    with unit(write=False) as db:
        logs = views.run_logs(db, ctx.principal, run_id, max(after, 0))
    return partial(ctx, "_run_logs.html", logs=logs, oob=True)


@router.post("/console/runs/{run_id}/retry")
def retry_run(run_id: str, ctx: Ctx = Post) -> RedirectResponse:
    admit_console(ctx.principal, "POST /console/runs/{run_id}/retry")
    with unit(write=True) as db:
        run = runs.retry(db, ctx.principal, run_id, trigger="console")
        layer_id, new_id = run.layer_id, run.id
    target = f"/console/layers/{layer_id}?tab=runs&run={new_id}" if layer_id else "/console"
    return redirect(target, flash=f"Retrying {run_id} as {new_id}.")


@router.post("/console/runs/{run_id}/cancel")
def cancel_run(run_id: str, ctx: Ctx = Post) -> RedirectResponse:
    admit_console(ctx.principal, "POST /console/runs/{run_id}/cancel")
    with unit(write=True) as db:
        run = runs.cancel(db, ctx.principal, run_id)
        layer_id = run.layer_id
    target = f"/console/layers/{layer_id}?tab=runs&run={run_id}" if layer_id else "/console"
    return redirect(target, flash=f"Canceled {run_id}.")


# ---- scheduled posts ----


def _back_from(ctx: Ctx) -> str:
    return _safe_back(_form(ctx).get("back"), "/console/projects")


@router.post("/console/scheduled-posts/{post_id}/reschedule")
def reschedule_post(post_id: str, ctx: Ctx = Post) -> RedirectResponse:
    admit_console(ctx.principal, "POST /console/scheduled-posts/{post_id}/reschedule")
    when = _text(_form(ctx), "scheduledFor").strip()
    if len(when) == 16:  # a datetime-local input: minutes, read in the project timezone
        when += ":00"
    body = _body(RescheduleBody, {"scheduledFor": when})
    with unit(write=True) as db:
        scheduling.reschedule(db, ctx.principal, post_id, body.scheduled_for)
    return redirect(_back_from(ctx), flash=f"Moved {post_id} to {when} (project time).")


@router.post("/console/scheduled-posts/{post_id}/cancel")
def cancel_post(post_id: str, ctx: Ctx = Post) -> RedirectResponse:
    admit_console(ctx.principal, "POST /console/scheduled-posts/{post_id}/cancel")
    with unit(write=True) as db:
        scheduling.cancel(db, ctx.principal, post_id)
    return redirect(_back_from(ctx), flash=f"Canceled {post_id}.")


@router.post("/console/scheduled-posts/{post_id}/retry")
def retry_post(post_id: str, ctx: Ctx = Post) -> RedirectResponse:
    admit_console(ctx.principal, "POST /console/scheduled-posts/{post_id}/retry")
    with unit(write=True) as db:
        scheduling.retry(db, ctx.principal, post_id)
    return redirect(_back_from(ctx), flash=f"{post_id} is back in line.")


def mount(app: FastAPI, api_routers: Iterable[APIRouter]) -> None:
    """Serve the console (and its static files) from `app`; none of it is in the OpenAPI.
    `api_routers` are the API the console's actions are twins of (`twins`)."""
    twins.learn_api_scopes(api_routers)
    app.include_router(router)
    app.mount("/console/static", StaticFiles(directory=HERE / "static"), name="console-static")
