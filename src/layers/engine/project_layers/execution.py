"""Executing a command by hand: on one layer, or across every matching layer of the
organization (a parent run with one child run per layer, all in the caller's transaction)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from layers.engine.catalog import registry
from layers.engine.project_layers import repository
from layers.engine.project_layers.schemas import CrossLayerExecute, ExecuteRequest
from layers.engine.project_layers.service import get
from layers.engine.project_layers.validation import (
    check_command,
    template_of,
    validate_parameters,
)
from layers.engine.runs import service as runs
from layers.engine.runs.schemas import SkippedLayer
from layers.engine.runs.settling import child_counts
from layers.engine.templates import Template
from layers.kit import clock
from layers.kit.errors import Conflict, NotFound, Validation
from layers.kit.ids import new_id
from layers.kit.repository import TenantScope
from layers.kit.settings import get_settings
from layers.models.engine import ProjectLayer, Run, RunLog
from layers.models.projects import Project
from layers.projects import service as projects

MAX_FANOUT = 1000


def execute(session: Session, tenant: TenantScope, layer_id: str, body: ExecuteRequest) -> Run:
    layer = get(session, tenant, layer_id)
    template = template_of(layer)
    check_command(template, body.command_id)
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
        check_command(candidates[-1], body.command_id)  # raises COMMAND_NOT_EXECUTABLE
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
    layers = repository.matching(
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
    archived = repository.archived_projects(session, {layer.project_id for layer in layers})
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
        empty = child_counts(session, parent.id).model_dump(mode="json", by_alias=True)
        parent.output = {**(parent.output or {}), "children": empty}
    return parent, children, skipped
