"""``layers layers list|show|install|config|templates``."""

from __future__ import annotations

import json
import time
from typing import Annotated, Any

import typer

from layers.cli.client import ApiError, Client, CliError, q
from layers.cli.output import (
    AllOption,
    CursorOption,
    JsonOption,
    LimitOption,
    client,
    err,
    fetch,
    fetch_page,
    merge,
    object_from_options,
    out,
    print_json,
    print_object,
    print_page,
    short_time,
    status,
    table,
)

layers_app = typer.Typer(help="Layers installed on projects, and the template catalog.")

INSTALL_TIMEOUT = 300.0


def _config_text(config: dict[str, Any]) -> str:
    return json.dumps(config, indent=2, ensure_ascii=False, sort_keys=True)


def _last_run(item: dict[str, Any]) -> str | None:
    """``run_… at 2026-05-15 09:00:00`` for a layer or a command that has run."""
    run_id = item.get("lastRunId")
    return f"{run_id} at {short_time(item.get('lastRunAt'))}" if run_id else None


def show_layer(layer: dict[str, Any]) -> None:
    out.print(f"{layer['id']}  {layer.get('name')}  {status(layer.get('status'))}")
    out.print(
        f"template {layer.get('templateId')} {layer.get('templateVersion')}, "
        f"project {layer.get('projectId')}, config version {layer.get('configVersion')}",
        markup=False,
    )
    if layer.get("lastRunId"):
        out.print(f"last run {_last_run(layer)}", markup=False)
    error = layer.get("error")
    if error:
        out.print(
            f"[red]error[/] {error.get('code')}: {error.get('message')} (run {error.get('runId')})"
        )
    commands = layer.get("commands") or {}
    if commands:
        table(
            ["command", "trigger", "workflow", "cron", "next run", "last run"],
            [
                (
                    name,
                    c.get("trigger"),
                    f"{c.get('workflow')} v{c.get('workflowVersion')}",
                    c.get("cron"),
                    short_time(c.get("nextRunAt")),
                    _last_run(c),
                )
                for name, c in commands.items()
            ],
        )
    out.print("config:")
    out.print(_config_text(layer.get("config") or {}), markup=False)


@layers_app.command("templates")
def templates(json_output: JsonOption = False) -> None:
    """The catalog: templates a project can install."""
    print_page(
        fetch("/v1/layer-templates"),
        json_output,
        ["id", "name", "version", "executable commands"],
        lambda t: (
            t["id"],
            t["name"],
            t["version"],
            ", ".join(
                name
                for name, c in (t.get("commands") or {}).items()
                if c.get("trigger") == "executable"
            ),
        ),
        more=False,
    )


@layers_app.command("list")
def list_layers(
    project: Annotated[str | None, typer.Option("--project", help="One project's layers.")] = None,
    state: Annotated[
        str | None,
        typer.Option("--status", help="installing, active, paused, failed or uninstalled."),
    ] = None,
    template: Annotated[str | None, typer.Option("--template", help="A template id.")] = None,
    limit: LimitOption = 25,
    all_pages: AllOption = False,
    cursor: CursorOption = None,
    json_output: JsonOption = False,
) -> None:
    """Layers of the organization (or of one project), newest first."""
    page = fetch_page(
        "/v1/layers",
        limit=limit,
        all_pages=all_pages,
        cursor=cursor,
        projectId=project,
        status=state,
        templateId=template,
    )
    print_page(
        page,
        json_output,
        ["id", "name", "template", "status", "project", "config v", "updated"],
        lambda layer: (
            layer["id"],
            layer.get("name"),
            layer.get("templateId"),
            status(layer.get("status")),
            layer.get("projectId"),
            layer.get("configVersion"),
            short_time(layer.get("updatedAt")),
        ),
    )


@layers_app.command("show")
def show(layer_id: str, json_output: JsonOption = False) -> None:
    """A layer: status, commands (with schedules) and config."""
    print_object(fetch(f"/v1/layers/{q(layer_id)}"), json_output, show_layer)


def _wait_installed(api: Client, layer: dict[str, Any]) -> dict[str, Any]:
    deadline = time.monotonic() + INSTALL_TIMEOUT
    with err.status(f"installing {layer['id']}…"):
        while layer.get("status") == "installing":
            if time.monotonic() > deadline:
                raise CliError(f"{layer['id']} is still installing; check `layers layers show`")
            time.sleep(0.3)
            layer = api.get(f"/v1/layers/{q(layer['id'])}")
    return layer


@layers_app.command("install")
def install(
    project_id: Annotated[str, typer.Argument(help="The project (prj_…).")],
    template_id: Annotated[str, typer.Argument(help="The template (see `layers templates`).")],
    config_pairs: Annotated[
        list[str] | None,
        typer.Option(
            "--config",
            "-c",
            help="A config value, key=value (JSON when it parses; dotted keys nest). Repeatable.",
        ),
    ] = None,
    config_json: Annotated[
        str | None,
        typer.Option("--config-json", help="The config as a JSON object (or @file.json)."),
    ] = None,
    wait: Annotated[
        bool, typer.Option("--wait/--no-wait", help="Wait until initialize has run.")
    ] = True,
    json_output: JsonOption = False,
) -> None:
    """Install a template on a project (its config merged over the template's defaults)."""
    config = object_from_options(config_json, "--config-json", config_pairs, "--config")
    with client() as api:
        layer = api.post(
            f"/v1/projects/{q(project_id)}/layers", {"templateId": template_id, "config": config}
        )
        if wait:
            layer = _wait_installed(api, layer)
    if json_output:
        print_json(layer)
    else:
        err.print(f"Installed {layer['id']} ({layer.get('status')}).", markup=False)
        show_layer(layer)
    if layer.get("status") == "failed":
        raise typer.Exit(1)


@layers_app.command("config")
def configure(
    layer_id: str,
    set_pairs: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            "-s",
            help="Change a value, key=value (JSON when it parses, null removes it; dotted keys "
            "nest). Repeatable.",
        ),
    ] = None,
    patch: Annotated[
        str | None,
        typer.Option("--patch", help="A JSON Merge Patch of the config (or @file.json)."),
    ] = None,
    history: Annotated[
        bool, typer.Option("--history", help="Every version of the config, newest first.")
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """Show a layer's config, change it (a new version), or list its versions."""
    changes = object_from_options(patch, "--patch", set_pairs, "--set")
    with client() as api:
        if history:
            page = api.page(f"/v1/layers/{q(layer_id)}/config-history", limit=200, follow=True)
            print_page(
                page,
                json_output,
                ["version", "source", "changed", "at", "key"],
                lambda v: (
                    v["version"],
                    v["source"] + (f" to v{v['rolledBackTo']}" if v.get("rolledBackTo") else ""),
                    ", ".join(v.get("changedKeys") or []),
                    short_time(v.get("createdAt")),
                    v.get("actorKeyId"),
                ),
                more=False,
            )
            return
        if not changes:
            layer = api.get(f"/v1/layers/{q(layer_id)}")
            if json_output:
                print_json(layer)
            else:
                err.print(f"{layer['id']} config version {layer['configVersion']}", markup=False)
                out.print(_config_text(layer.get("config") or {}), markup=False)
            return
        current = api.get(f"/v1/layers/{q(layer_id)}")
        before = current["configVersion"]
        updated = _patch_config(api, layer_id, changes, current.get("config") or {})
    if json_output:
        print_json(updated)
        return
    if updated["configVersion"] == before:
        err.print(f"No change: config version {before}.")
    else:
        err.print(f"Config version {updated['configVersion']}.")
    for run_id in updated.get("triggeredRunIds") or []:
        err.print(f"Started {run_id} (config change).", markup=False)
    out.print(_config_text(updated.get("config") or {}), markup=False)


def _patch_config(
    api: Client, layer_id: str, changes: dict[str, Any], config: dict[str, Any]
) -> dict[str, Any]:
    """PATCH the config; fields the change makes inapplicable (the API says ``not_allowed``,
    e.g. ``schedule.times`` once ``distributionMode`` is no longer custom) and that this command
    did not set itself are removed, each with a note on stderr, and the change is sent again."""
    removed: set[str] = set()
    while True:
        try:
            updated: dict[str, Any] = api.patch(f"/v1/layers/{q(layer_id)}", {"config": changes})
            return updated
        except ApiError as exc:
            stale = [
                (path, message)
                for path, message in _not_allowed(exc)
                if path not in removed and _lookup(changes, path) is _MISSING
            ]
            if not stale:
                raise
            for path, message in stale:
                removed.add(path)
                was = _lookup(config, path)
                shown = "" if was is _MISSING else f" (was {json.dumps(was, ensure_ascii=False)})"
                err.print(f"note: removed {path}{shown}: it {message}", markup=False)
                changes = merge(changes, _nested(_removable(path, config, changes), None))


_MISSING = object()


def _not_allowed(exc: ApiError) -> list[tuple[str, str]]:
    """The config fields a VALIDATION error says are not allowed with the rest of the config."""
    fields = exc.details.get("fields") if exc.code == "VALIDATION" else None
    found = []
    for item in fields if isinstance(fields, list) else []:
        name = item.get("field") if isinstance(item, dict) else None
        if (
            isinstance(name, str)
            and item.get("type") == "not_allowed"
            and name.startswith("config.")
        ):
            found.append((name.removeprefix("config."), str(item.get("message") or "")))
    return found


def _removable(path: str, config: dict[str, Any], changes: dict[str, Any]) -> str:
    """What to remove for ``path``: its parent object instead when ``path`` is all it holds
    (so ``schedule.times`` leaves no empty ``schedule``) and this command does not set it."""
    parent, _, last = path.rpartition(".")
    held = _lookup(config, parent) if parent else _MISSING
    if isinstance(held, dict) and set(held) == {last} and _lookup(changes, parent) is _MISSING:
        return parent
    return path


def _lookup(data: dict[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _nested(path: str, value: Any) -> dict[str, Any]:
    """``a.b`` and ``v`` → ``{"a": {"b": v}}``."""
    result: dict[str, Any] = {}
    target = result
    parts = path.split(".")
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    target[parts[-1]] = value
    return result
