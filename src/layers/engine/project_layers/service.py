"""Project layers: install, config (versioned, with rollback), pause/resume/uninstall, execute.

Every change of a project's layers first locks the project row (PostgreSQL; SQLite serializes
writers anyway), so a template's validation hook ("this account is bound to no other active
layer") sees a stable world.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jsonschema
import sqlalchemy as sa
from sqlalchemy.orm import Session

from layers.engine import cron, scheduler
from layers.engine.catalog import registry
from layers.engine.jsonutil import changed_paths, deep_merge, merge_patch, paths_overlap
from layers.engine.project_layers.repository import filtered, layers_repo, matching
from layers.engine.project_layers.schemas import (
    ConfigVersionOut,
    CrossLayerExecute,
    ExecuteRequest,
    LayerCommandOut,
    LayerError,
    LayerInstall,
    LayerOut,
)
from layers.engine.runs import service as runs
from layers.engine.runs.schemas import SkippedLayer
from layers.engine.templates import ConfigCheck, Template, cron_for
from layers.kit import clock
from layers.kit.context import request_id_var
from layers.kit.errors import CommandNotExecutable, Conflict, NotFound, Validation
from layers.kit.ids import new_id
from layers.kit.pagination import fetch_page
from layers.kit.repository import TenantScope
from layers.kit.settings import get_settings
from layers.models.engine import LayerConfigVersion, LayerSchedule, ProjectLayer, Run, RunLog
from layers.models.projects import Project
from layers.projects import service as projects

MAX_CONFIG_BYTES = 64 * 1024
MAX_FANOUT = 1000


# ---- validation ----


def _schema_fields(
    validator: jsonschema.Draft202012Validator, instance: Any, prefix: str
) -> list[dict[str, str]]:
    fields: list[dict[str, str]] = []
    for error in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path)):
        path = ".".join([prefix, *(str(p) for p in error.absolute_path)])
        if error.validator == "required" and isinstance(error.instance, Mapping):
            missing = [p for p in error.validator_value if p not in error.instance]
            fields.extend(
                {"field": f"{path}.{name}", "message": "is required", "type": "missing"}
                for name in missing
            )
            continue
        fields.append({"field": path, "message": error.message[:500], "type": str(error.validator)})
    return fields


def validate_config(template: Template, config: dict[str, Any]) -> None:
    """422 naming each bad ``config.…`` field (JSON Schema, then the cron override)."""
    import json

    if len(json.dumps(config)) > MAX_CONFIG_BYTES:
        raise Validation.field("config", f"must be at most {MAX_CONFIG_BYTES} bytes as JSON")
    fields = _schema_fields(template.config_validator, config, "config")
    if fields:
        names = ", ".join(sorted({f["field"] for f in fields}))
        raise Validation(f"Invalid config: {names}", fields=fields)
    cron.check_config_cron(config)


def validate_parameters(template: Template, command_id: str, parameters: dict[str, Any]) -> None:
    validator = template.commands[command_id].parameters_validator
    if validator is None:
        return
    fields = _schema_fields(validator, parameters, "parameters")
    if fields:
        names = ", ".join(sorted({f["field"] for f in fields}))
        raise Validation(f"Invalid parameters: {names}", fields=fields)


def _template(layer: ProjectLayer) -> Template:
    template = registry.for_layer(layer)
    if template is None:
        raise Conflict(
            f"Template {layer.template_id} is not available in this deployment.",
            templateId=layer.template_id,
        )
    return template


# ---- install and read ----


def _lock_project(session: Session, tenant: TenantScope, project_id: str) -> Project:
    return projects.projects.get(session, tenant, project_id, for_update=True)


def install(
    session: Session, tenant: TenantScope, project_id: str, body: LayerInstall
) -> ProjectLayer:
    project = _lock_project(session, tenant, project_id)
    if project.status != "active":
        raise Conflict(f"Project {project.id} is {project.status}.", status=project.status)
    template = registry.get(body.template_id)
    if template is None:
        raise Validation.field("templateId", "no such layer template", "unknown_template")
    config = deep_merge(template.default_config, body.config)
    validate_config(template, config)
    if template.singleton:
        existing = session.scalar(
            sa.select(ProjectLayer.id).where(
                ProjectLayer.project_id == project.id,
                ProjectLayer.template_id == template.id,
                ProjectLayer.status != "uninstalled",
            )
        )
        if existing is not None:
            raise Conflict(
                f"Template {template.id} allows one layer per project; {existing} exists.",
                layerId=existing,
            )
    now = clock.now()
    layer = ProjectLayer(
        id=new_id("lyr"),
        org_id=project.org_id,
        livemode=project.livemode,
        project_id=project.id,
        template_id=template.id,
        template_version=template.version,
        status="installing",
        config=config,
        config_version=1,
        created_at=now,
        updated_at=now,
    )
    session.add(layer)
    session.flush()
    _add_version(session, tenant, layer, source="install", changed=[])
    if template.validate is not None:
        template.validate(session, ConfigCheck(layer, project, config, None))
    if "initialize" in template.commands:
        run = runs.start_run(
            session,
            get_settings(),
            layer=layer,
            template=template,
            command_id="initialize",
            trigger="install",
            parameters={},
        )
        layer.install_run_id = run.id
    else:
        layer.status = "active"
    scheduler.sync_schedules(session, layer, template, now)
    session.flush()
    return layer


def _add_version(
    session: Session,
    tenant: TenantScope,
    layer: ProjectLayer,
    *,
    source: str,
    changed: list[str],
    rolled_back_to: int | None = None,
) -> None:
    session.add(
        LayerConfigVersion(
            id=new_id("cfg"),
            layer_id=layer.id,
            version=layer.config_version,
            config=layer.config,
            changed_keys=changed,
            source=source,
            rolled_back_to=rolled_back_to,
            actor_key_id=getattr(tenant, "key_id", None),
            request_id=request_id_var.get(),
            created_at=clock.now(),
        )
    )


def get(
    session: Session, tenant: TenantScope, layer_id: str, *, for_update: bool = False
) -> ProjectLayer:
    return layers_repo.get(session, tenant, layer_id, for_update=for_update)


def page(
    session: Session,
    tenant: TenantScope,
    *,
    cursor: str | None,
    limit: int,
    project_id: str | None = None,
    template_id: str | None = None,
    status: str | None = None,
) -> tuple[list[ProjectLayer], str | None]:
    stmt = filtered(
        tenant,
        project_id=project_id,
        template_ids=[template_id] if template_id else None,
        statuses=[status] if status else None,
    )
    rows, next_cursor = fetch_page(session, stmt, ProjectLayer.id, cursor=cursor, limit=limit)
    return list(rows), next_cursor


def history_page(
    session: Session, layer: ProjectLayer, *, cursor: str | None, limit: int
) -> tuple[list[LayerConfigVersion], str | None]:
    stmt = sa.select(LayerConfigVersion).where(LayerConfigVersion.layer_id == layer.id)
    rows, next_cursor = fetch_page(session, stmt, LayerConfigVersion.id, cursor=cursor, limit=limit)
    return list(rows), next_cursor


# ---- config changes ----


def update(
    session: Session, tenant: TenantScope, layer_id: str, patch: dict[str, Any]
) -> tuple[ProjectLayer, list[Run]]:
    layer = get(session, tenant, layer_id)
    return _change_config(
        session, tenant, layer, lambda current: merge_patch(current, patch), source="update"
    )


def rollback(
    session: Session, tenant: TenantScope, layer_id: str, version: int
) -> tuple[ProjectLayer, list[Run]]:
    layer = get(session, tenant, layer_id)
    target = session.scalar(
        sa.select(LayerConfigVersion).where(
            LayerConfigVersion.layer_id == layer.id, LayerConfigVersion.version == version
        )
    )
    if target is None:
        raise Validation.field("version", f"layer {layer.id} has no config version {version}")
    restored = dict(target.config)
    return _change_config(
        session, tenant, layer, lambda _current: restored, source="rollback", rolled_back_to=version
    )


def _change_config(
    session: Session,
    tenant: TenantScope,
    layer: ProjectLayer,
    make_config: Callable[[dict[str, Any]], Any],
    *,
    source: str,
    rolled_back_to: int | None = None,
) -> tuple[ProjectLayer, list[Run]]:
    """Apply `make_config(current)` after locking the project and the layer (so concurrent
    changes serialize and none is lost), version it, and start the commands it triggers."""
    project = _lock_project(session, tenant, layer.project_id)
    session.refresh(layer, with_for_update=True)
    if layer.status == "uninstalled":
        raise Conflict(f"Layer {layer.id} is uninstalled.", status=layer.status)
    template = _template(layer)
    previous = layer.config
    new_config = make_config(previous)
    if not isinstance(new_config, dict):
        raise Validation.field("config", "must be a JSON object", "type")
    validate_config(template, new_config)
    changed = changed_paths(previous, new_config)
    if not changed:
        return layer, []
    now = clock.now()
    layer.config = new_config
    layer.config_version += 1
    layer.updated_at = now
    session.flush()
    _add_version(
        session, tenant, layer, source=source, changed=changed, rolled_back_to=rolled_back_to
    )
    if template.validate is not None:
        template.validate(session, ConfigCheck(layer, project, new_config, previous))
    scheduler.sync_schedules(session, layer, template, now)
    started: list[Run] = []
    if layer.status == "active" and project.status == "active":
        commands: list[str] = []
        for trigger in template.config_change_triggers:
            touched = any(paths_overlap(path, key) for path in changed for key in trigger.keys)
            if touched and trigger.command not in commands:
                commands.append(trigger.command)
        for command_id in commands:
            started.append(
                runs.start_run(
                    session,
                    get_settings(),
                    layer=layer,
                    template=template,
                    command_id=command_id,
                    trigger="config_change",
                    parameters={},
                )
            )
    session.flush()
    return layer, started


# ---- lifecycle ----


def pause(session: Session, tenant: TenantScope, layer_id: str) -> ProjectLayer:
    layer = get(session, tenant, layer_id, for_update=True)
    if layer.status == "paused":
        return layer
    if layer.status != "active":
        raise Conflict(f"Only an active layer can be paused; {layer.id} is {layer.status}.")
    now = clock.now()
    layer.status, layer.paused_at, layer.updated_at = "paused", now, now
    scheduler.sync_schedules(session, layer, _template(layer), now)
    return layer


def resume(session: Session, tenant: TenantScope, layer_id: str) -> ProjectLayer:
    layer = get(session, tenant, layer_id, for_update=True)
    if layer.status == "active":
        return layer
    if layer.status != "paused":
        raise Conflict(f"Only a paused layer can be resumed; {layer.id} is {layer.status}.")
    now = clock.now()
    layer.status, layer.paused_at, layer.updated_at = "active", None, now
    scheduler.sync_schedules(session, layer, _template(layer), now, rearm=True)
    return layer


def uninstall(session: Session, tenant: TenantScope, layer_id: str) -> ProjectLayer:
    """Soft uninstall (idempotent): schedules go, runs in flight finish, history stays."""
    layer = get(session, tenant, layer_id)
    _lock_project(session, tenant, layer.project_id)
    session.refresh(layer, with_for_update=True)
    if layer.status == "uninstalled":
        return layer
    now = clock.now()
    layer.status, layer.uninstalled_at, layer.updated_at = "uninstalled", now, now
    template = registry.for_layer(layer)
    session.execute(sa.delete(LayerSchedule).where(LayerSchedule.layer_id == layer.id))
    if template is not None and template.on_uninstall is not None:
        template.on_uninstall(session, layer)
    session.flush()
    return layer


# ---- execute ----


def _check_command(template: Template, command_id: str) -> None:
    command = template.commands.get(command_id)
    if command is None:
        raise Validation.field(
            "commandId",
            f"template {template.id} has no command '{command_id}'",
            "unknown_command",
            availableCommands=sorted(
                cid for cid, c in template.commands.items() if c.trigger == "executable"
            ),
        )
    if command.trigger != "executable":
        why = (
            "initialize runs once, on install"
            if command_id == "initialize"
            else f"{command_id} is {command.trigger}: the engine starts it"
        )
        raise CommandNotExecutable(
            f"Command {command_id} cannot be executed by hand ({why}).",
            commandId=command_id,
            trigger=command.trigger,
        )


def execute(session: Session, tenant: TenantScope, layer_id: str, body: ExecuteRequest) -> Run:
    layer = get(session, tenant, layer_id)
    template = _template(layer)
    _check_command(template, body.command_id)
    validate_parameters(template, body.command_id, body.parameters)
    if layer.status != "active":
        raise Conflict(f"Layer {layer.id} is {layer.status}.", status=layer.status)
    project = session.get(Project, layer.project_id)
    if project is None or project.status != "active":
        raise Conflict(f"Project {layer.project_id} is archived.", status="archived")
    return runs.start_run(
        session,
        get_settings(),
        layer=layer,
        template=template,
        command_id=body.command_id,
        trigger=body.trigger.value,
        parameters=body.parameters,
    )


def execute_across(
    session: Session, tenant: TenantScope, body: CrossLayerExecute
) -> tuple[Run, list[Run], list[SkippedLayer]]:
    """A parent run and one child run per matching active layer (one transaction)."""
    candidates = registry.with_command(body.command_id)
    if not candidates:
        # A catalog object that does not exist, like an unknown template: 404.
        raise NotFound(
            f"No layer template has a command '{body.command_id}'.", commandId=body.command_id
        )
    executable = [t for t in candidates if t.commands[body.command_id].trigger == "executable"]
    if not executable:
        _check_command(candidates[-1], body.command_id)  # raises COMMAND_NOT_EXECUTABLE
    filters = body.filters
    if filters.project_id is not None:
        projects.get(session, tenant, filters.project_id)  # 404 across tenants
    wanted = filters.status_filter
    if wanted is None:
        statuses = ["active"]
    elif isinstance(wanted, list):
        statuses = [s.value for s in wanted]
    else:
        statuses = [wanted.value]
    template_ids = filters.template_ids or sorted({t.id for t in candidates})
    layers = matching(
        session,
        tenant,
        project_id=filters.project_id,
        template_ids=template_ids,
        statuses=statuses,
        where_contains=filters.where_contains,
        limit=MAX_FANOUT,
    )
    if len(layers) > MAX_FANOUT:
        raise Validation.field(
            "filters", f"more than {MAX_FANOUT} layers match; narrow the filters", "too_many"
        )
    targets: list[tuple[ProjectLayer, Template]] = []
    skipped: list[SkippedLayer] = []
    archived = _archived_projects(session, {layer.project_id for layer in layers})
    for layer in layers:
        template = registry.for_layer(layer)
        if template is None or body.command_id not in template.commands:
            continue
        if template.commands[body.command_id].trigger != "executable":
            skipped.append(
                SkippedLayer(
                    layer_id=layer.id, status=layer.status, reason="command not executable"
                )
            )
            continue
        validate_parameters(template, body.command_id, body.parameters)
        if layer.status != "active":
            skipped.append(
                SkippedLayer(layer_id=layer.id, status=layer.status, reason="not active")
            )
        elif layer.project_id in archived:
            skipped.append(
                SkippedLayer(layer_id=layer.id, status=layer.status, reason="project archived")
            )
        else:
            targets.append((layer, template))
    now = clock.now()
    parent = Run(
        id=new_id("run"),
        org_id=tenant.org_id,
        livemode=tenant.livemode,
        project_id=filters.project_id,
        command_id=body.command_id,
        trigger=body.trigger.value,
        status="running" if targets else "completed",
        parameters=body.parameters,
        filters=filters.model_dump(mode="json", by_alias=True, exclude_none=True),
        output={
            "matched": len(targets) + len(skipped),
            "skipped": [s.model_dump(mode="json", by_alias=True) for s in skipped],
        },
        created_at=now,
        started_at=now,
        finished_at=None if targets else now,
        updated_at=now,
    )
    session.add(parent)
    session.flush()
    session.add(
        RunLog(
            run_id=parent.id,
            at=now,
            level="info",
            message=f"cross-layer {body.command_id}: {len(targets)} child runs, "
            f"{len(skipped)} layers skipped",
        )
    )
    children = [
        runs.start_run(
            session,
            get_settings(),
            layer=layer,
            template=template,
            command_id=body.command_id,
            trigger=body.trigger.value,
            parameters=body.parameters,
            parent_run_id=parent.id,
        )
        for layer, template in targets
    ]
    if not targets:
        empty = runs.child_counts(session, parent.id).model_dump(mode="json", by_alias=True)
        parent.output = {**(parent.output or {}), "children": empty}
    return parent, children, skipped


def _archived_projects(session: Session, project_ids: set[str]) -> set[str]:
    if not project_ids:
        return set()
    return set(
        session.scalars(
            sa.select(Project.id).where(Project.id.in_(project_ids), Project.status != "active")
        )
    )


# ---- output ----


def to_out(session: Session, layer: ProjectLayer) -> LayerOut:
    return to_outs(session, [layer])[0]


def to_outs(session: Session, layers: Sequence[ProjectLayer]) -> list[LayerOut]:
    schedules: dict[tuple[str, str], LayerSchedule] = {}
    if layers:
        ids = [layer.id for layer in layers]
        query = sa.select(LayerSchedule).where(LayerSchedule.layer_id.in_(ids))
        for row in session.scalars(query):
            schedules[(row.layer_id, row.command_id)] = row
    templates = {layer.id: registry.for_layer(layer) for layer in layers}
    last_runs = runs.last_runs(
        session,
        [
            (layer_id, command_id)
            for layer_id, template in templates.items()
            if template is not None
            for command_id in template.commands
        ],
    )
    result = []
    for layer in layers:
        template = templates[layer.id]
        commands: dict[str, LayerCommandOut] = {}
        if template is not None:
            for command_id, command in template.commands.items():
                schedule = schedules.get((layer.id, command_id))
                last = last_runs.get((layer.id, command_id))
                commands[command_id] = LayerCommandOut(
                    trigger=command.trigger,
                    workflow=command.workflow,
                    workflow_version=command.version,
                    description=command.description,
                    parameters_schema=dict(command.parameters_schema)
                    if command.parameters_schema is not None
                    else None,
                    cron=cron_for(template, command_id, layer.config),
                    next_run_at=schedule.next_run_at if schedule else None,
                    last_run_at=last.at if last else None,
                    last_run_id=last.run_id if last else None,
                )
        latest = max(
            (last_runs[(layer.id, c)] for c in commands if (layer.id, c) in last_runs),
            key=lambda last: (last.at, last.run_id),
            default=None,
        )
        result.append(
            LayerOut(
                id=layer.id,
                livemode=layer.livemode,
                project_id=layer.project_id,
                template_id=layer.template_id,
                template_version=layer.template_version,
                name=template.name if template else layer.template_id,
                status=layer.status,
                config=layer.config,
                config_version=layer.config_version,
                error=LayerError.model_validate(layer.error) if layer.error else None,
                install_run_id=layer.install_run_id,
                last_run_at=latest.at if latest else None,
                last_run_id=latest.run_id if latest else None,
                commands=commands,
                created_at=layer.created_at,
                updated_at=layer.updated_at,
                paused_at=layer.paused_at,
                uninstalled_at=layer.uninstalled_at,
            )
        )
    return result


def version_out(row: LayerConfigVersion) -> ConfigVersionOut:
    return ConfigVersionOut(
        id=row.id,
        layer_id=row.layer_id,
        version=row.version,
        config=row.config,
        changed_keys=row.changed_keys,
        source=row.source,
        rolled_back_to=row.rolled_back_to,
        actor_key_id=row.actor_key_id,
        request_id=row.request_id,
        created_at=row.created_at,
    )
