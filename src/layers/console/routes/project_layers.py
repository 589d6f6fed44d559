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
    partial,
    redirect,
    render,
    text,
    unit,
)
from layers.engine.catalog import registry
from layers.engine.project_layers import execution, lifecycle
from layers.engine.project_layers import service as layers
from layers.engine.project_layers.schemas import ExecuteRequest, LayerInstall, LayerRollback
from layers.kit.errors import Validation

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


@router.post("/console/projects/{project_id}/layers", response_model=None)
def install_layer(project_id: str, ctx: Ctx = Post) -> RedirectResponse | HTMLResponse:
    admit_console(ctx.principal, "POST /console/projects/{project_id}/layers")
    form = form_of(ctx)
    template_id = text(form, "templateId")
    template = registry.get(template_id)
    schema = template.published_config_schema() if template else {}
    as_json = text(form, "mode") == "json"
    try:
        if as_json:
            config = forms.parse_json_object(text(form, "configJson"), "config")
        else:
            with unit(write=False) as db:
                choices = views.layer_options(db, ctx.principal, project_id)
            config = forms.parse(
                schema, form, "cfg", dict(template.default_config) if template else {},
                layers=choices,
            )  # fmt: skip
        if template:
            forms.check(schema, config)
        body = api_body(LayerInstall, {"templateId": template_id, "config": config})
        with unit(write=True) as db:
            layer = layers.install(db, ctx.principal, project_id, body)
            layer_id = layer.id
    except Validation as exc:
        return _install_again(ctx, project_id, template_id, forms.problems_of(exc), as_json)
    return redirect(
        f"/console/layers/{layer_id}?tab=runs", flash=f"Installing {template_id} on the project."
    )


def _install_again(
    ctx: Ctx, project_id: str, template_id: str, problems: dict[str, str], as_json: bool
) -> HTMLResponse:
    """The catalog again, its install dialog open with what the person typed and each
    refusal next to its field (422)."""
    form = form_of(ctx)
    with unit(write=False) as db:
        data = views.catalog_view(db, ctx.principal, project_id)
        accounts = views.account_options(db, ctx.principal, project_id)
        choices = views.layer_options(db, ctx.principal, project_id)
    for item in data["installs"]:
        if item["template"].id != template_id:
            continue
        template = registry.get(template_id)
        schema = template.published_config_schema() if template else {}
        defaults = dict(template.default_config) if template else {}
        item["fields"] = forms.fields(
            schema, defaults, "cfg", accounts=accounts, typed=form, errors=problems,
            layers=choices,
        )  # fmt: skip
        if as_json:
            item["default_json"] = text(form, "configJson")
    return render(
        ctx,
        "catalog.html",
        status=422,
        nav="catalog",
        open_install=template_id,
        install_mode="json" if as_json else "form",
        install_errors=problems,
        **data,
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


@router.get("/console/layers/{layer_id}/head")
def layer_head(layer_id: str, ctx: Ctx = Console) -> HTMLResponse:
    """The layer's header and actions (an htmx partial, polled while it installs)."""
    for op in twins.READ_TWINS["GET /console/layers/{layer_id}/head"]:
        admit(ctx.principal, op)
    with unit(write=False) as db:
        data = views.layer_view(db, ctx.principal, layer_id)
    response = partial(
        ctx,
        "_layer_head.html",
        layer=data["layer"],
        project=data["project"],
        back=f"/console/layers/{layer_id}",
    )
    if ctx.request.headers.get("hx-request") and data["layer"].status != "installing":
        # The head polls only while the layer installs, so this is the moment it finished: the
        # Commands tab listens for this event to enable its Run buttons.
        response.headers["HX-Trigger"] = "layer-installed"
    return response


@router.post("/console/layers/{layer_id}/config", response_model=None)
def update_config(layer_id: str, ctx: Ctx = Post) -> RedirectResponse | HTMLResponse:
    admit_console(ctx.principal, "POST /console/layers/{layer_id}/config")
    form = form_of(ctx)
    try:
        with unit(write=True) as db:
            row = layers.get(db, ctx.principal, layer_id)
            template = registry.for_layer(row)
            schema = template.published_config_schema() if template else {}
            accounts = views.account_options(db, ctx.principal, row.project_id)
            choices = views.layer_options(db, ctx.principal, row.project_id, exclude=row.id)
            new = forms.parse(
                schema, form, "cfg", dict(row.config), accounts=accounts, layers=choices
            )
            if template:
                forms.check(schema, new)
            dropped = forms.inapplicable(schema, dict(row.config) | _top(new))
            layer, started = layers.update(
                db, ctx.principal, layer_id, forms.merge_patch_between(row.config, new)
            )
            message = _saved(layer.config_version, started)
    except Validation as exc:
        return _config_again(ctx, layer_id, forms.problems_of(exc), json_text=None)
    if dropped:
        message += " Cleared " + ", ".join(dropped) + ": it no longer applies."
    return redirect(f"/console/layers/{layer_id}?tab=config", flash=message)


def _top(config: dict[str, Any]) -> dict[str, Any]:
    """`config`'s top-level scalars (what an ``x-appliesWhen`` condition reads)."""
    return {k: v for k, v in config.items() if not isinstance(v, dict)}


def _config_again(
    ctx: Ctx, layer_id: str, problems: dict[str, str], json_text: str | None
) -> HTMLResponse:
    """The Config tab again with what the person typed and each refusal in words (422)."""
    with unit(write=False) as db:
        data = views.layer_view(db, ctx.principal, layer_id)
        data |= views.config_tab(db, ctx.principal, layer_id, data)
        row = data.pop("row")
        if json_text is None:
            accounts = views.account_options(db, ctx.principal, row.project_id)
            data["fields"] = forms.fields(
                data["schema"], row.config, "cfg", accounts=accounts, typed=form_of(ctx),
                errors=problems,
                layers=views.layer_options(db, ctx.principal, row.project_id, exclude=row.id),
            )  # fmt: skip
        else:
            data["config_json"] = json_text
    return render(
        ctx,
        "layer.html",
        status=422,
        nav="projects",
        sub="layers",
        tab="config",
        config_errors=problems,
        json_open=json_text is not None,
        **data,
    )


@router.post("/console/layers/{layer_id}/config-json", response_model=None)
def update_config_json(layer_id: str, ctx: Ctx = Post) -> RedirectResponse | HTMLResponse:
    admit_console(ctx.principal, "POST /console/layers/{layer_id}/config-json")
    typed = text(form_of(ctx), "configJson")
    try:
        new = forms.parse_json_object(typed, "config")
        with unit(write=True) as db:
            row = layers.get(db, ctx.principal, layer_id)
            template = registry.for_layer(row)
            if template:
                forms.check(template.published_config_schema(), new)
            patch = forms.merge_patch_between(dict(row.config), new)
            layer, started = layers.update(db, ctx.principal, layer_id, patch)
            message = _saved(layer.config_version, started)
    except Validation as exc:
        return _config_again(ctx, layer_id, forms.problems_of(exc), json_text=typed)
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
