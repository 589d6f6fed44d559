"""Project layers: install, read, and configure (every change versioned, with rollback).

Every change of a project's layers first locks the project row (PostgreSQL; SQLite serializes
writers anyway), so a template's validation hook ("this account is bound to no other active
layer") sees a stable world. Pausing, resuming and uninstalling are in `lifecycle`, executing
commands in `execution`, the API's view of a layer in `outputs`, the queries in `repository`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from layers.engine import scheduler
from layers.engine.catalog import registry
from layers.engine.jsonutil import changed_paths, deep_merge, merge_patch, paths_overlap
from layers.engine.project_layers import repository
from layers.engine.project_layers.repository import layers_repo
from layers.engine.project_layers.schemas import LayerInstall
from layers.engine.project_layers.validation import template_of, validate_config
from layers.engine.runs import service as runs
from layers.engine.templates import ConfigCheck
from layers.kit import clock
from layers.kit.context import request_id_var
from layers.kit.errors import Conflict, Validation
from layers.kit.ids import new_id
from layers.kit.pagination import fetch_page
from layers.kit.repository import TenantScope
from layers.kit.settings import get_settings
from layers.models.engine import LayerConfigVersion, ProjectLayer, Run
from layers.models.projects import Project
from layers.projects import service as projects

# ---- install and read ----


def lock_project(session: Session, tenant: TenantScope, project_id: str) -> Project:
    return projects.projects.get(session, tenant, project_id, for_update=True)


def install(
    session: Session, tenant: TenantScope, project_id: str, body: LayerInstall
) -> ProjectLayer:
    project = lock_project(session, tenant, project_id)
    if project.status != "active":
        raise Conflict(f"Project {project.id} is {project.status}.", status=project.status)
    template = registry.get(body.template_id)
    if template is None:
        raise Validation.field("templateId", "no such layer template", "unknown_template")
    config = deep_merge(template.default_config, body.config)
    validate_config(template, config)
    if template.singleton:
        existing = repository.live_layer_of_template(session, project.id, template.id)
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
    stmt = repository.filtered(
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
    stmt = repository.config_history(layer.id)
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
    target = repository.config_version(session, layer.id, version)
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
    project = lock_project(session, tenant, layer.project_id)
    session.refresh(layer, with_for_update=True)
    if layer.status == "uninstalled":
        raise Conflict(f"Layer {layer.id} is uninstalled.", status=layer.status)
    template = template_of(layer)
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
