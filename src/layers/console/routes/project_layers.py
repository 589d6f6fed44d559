"""A project's layers, the catalog to install from, and a layer's page: its config (form or
JSON, with history and rollback), commands, runs and schedule tabs."""

from __future__ import annotations

from typing import Any

from fastapi.responses import HTMLResponse, RedirectResponse

from layers.console import forms, twins, views
from layers.console.routes import router
from layers.console.twins import admit, admit_console
from layers.console.web import (
    Console,
    Ctx,
    Post,
    api_body,
    back_from,
    calendar_view,
    form_of,
    redirect,
    render,
    text,
    unit,
)
from layers.engine.catalog import registry
from layers.engine.project_layers import execution, lifecycle
from layers.engine.project_layers import service as layers
from layers.engine.project_layers.schemas import ExecuteRequest, LayerInstall, LayerRollback

TABS = ("config", "commands", "runs", "schedule")


@router.get("/console/projects/{project_id}/layers")
def project_layers_page(project_id: str, ctx: Ctx = Console) -> HTMLResponse:
    admit(ctx.principal, "GET /v1/projects/{project_id}/layers")
    with unit(write=False) as db:
        project = views.project(db, ctx.principal, project_id)
        items = views.project_layers(db, ctx.principal, project_id)
    return render(
        ctx, "project_layers.html", nav="projects", sub="layers", project=project, layers=items
    )


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
    form = form_of(ctx)
    template_id = text(form, "templateId")
    template = registry.get(template_id)
    if text(form, "mode") == "json":
        config = forms.parse_json_object(text(form, "configJson"), "config")
    else:
        schema = template.published_config_schema() if template else {}
        config = forms.parse(schema, form, "cfg", dict(template.default_config) if template else {})
    body = api_body(LayerInstall, {"templateId": template_id, "config": config})
    with unit(write=True) as db:
        layer = layers.install(db, ctx.principal, project_id, body)
        layer_id = layer.id
    return redirect(
        f"/console/layers/{layer_id}?tab=runs", flash=f"Installing {template_id} on the project."
    )


# ---- a layer ----


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
                view=calendar_view(view),
            )
    data.pop("row", None)
    return render(ctx, "layer.html", nav="projects", sub="layers", tab=tab, **data)


@router.post("/console/layers/{layer_id}/config")
def update_config(layer_id: str, ctx: Ctx = Post) -> RedirectResponse:
    admit_console(ctx.principal, "POST /console/layers/{layer_id}/config")
    form = form_of(ctx)
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
    new = forms.parse_json_object(text(form_of(ctx), "configJson"), "config")
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
    raw = text(form_of(ctx), "version")
    body = api_body(LayerRollback, {"version": int(raw) if raw.isdigit() else raw})
    with unit(write=True) as db:
        layer, started = layers.rollback(db, ctx.principal, layer_id, body.version)
        message = f"Restored version {body.version}. " + _saved(layer.config_version, started)
    return redirect(f"/console/layers/{layer_id}?tab=config", flash=message)


@router.post("/console/layers/{layer_id}/pause")
def pause_layer(layer_id: str, ctx: Ctx = Post) -> RedirectResponse:
    admit_console(ctx.principal, "POST /console/layers/{layer_id}/pause")
    with unit(write=True) as db:
        lifecycle.pause(db, ctx.principal, layer_id)
    back = back_from(ctx, f"/console/layers/{layer_id}")
    return redirect(back, flash="Layer paused: scheduled commands stop.")


@router.post("/console/layers/{layer_id}/resume")
def resume_layer(layer_id: str, ctx: Ctx = Post) -> RedirectResponse:
    admit_console(ctx.principal, "POST /console/layers/{layer_id}/resume")
    with unit(write=True) as db:
        lifecycle.resume(db, ctx.principal, layer_id)
    back = back_from(ctx, f"/console/layers/{layer_id}")
    return redirect(back, flash="Layer resumed.")


@router.post("/console/layers/{layer_id}/execute")
def execute_command(layer_id: str, ctx: Ctx = Post) -> RedirectResponse:
    admit_console(ctx.principal, "POST /console/layers/{layer_id}/execute")
    form = form_of(ctx)
    command_id = text(form, "commandId")
    with unit(write=True) as db:
        row = layers.get(db, ctx.principal, layer_id)
        template = registry.for_layer(row)
        command = template.commands.get(command_id) if template else None
        schema = dict(command.parameters_schema) if command and command.parameters_schema else None
        if schema and schema.get("properties") and text(form, "mode") != "json":
            parameters = forms.parse(schema, form, "param", {})
        else:
            parameters = forms.parse_json_object(text(form, "parametersJson"), "parameters")
        body = api_body(
            ExecuteRequest,
            {"commandId": command_id, "parameters": parameters, "trigger": "console"},
        )
        run = execution.execute(db, ctx.principal, layer_id, body)
        run_id = run.id
    return redirect(
        f"/console/layers/{layer_id}?tab=runs&run={run_id}", flash=f"Started {command_id}."
    )
