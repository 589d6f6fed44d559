"""Project layers as the API shows them: rows → the models of `project_layers.schemas`."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from layers.engine.catalog import registry
from layers.engine.project_layers import repository
from layers.engine.project_layers.schemas import (
    ConfigVersionOut,
    LayerCommandOut,
    LayerError,
    LayerOut,
)
from layers.engine.runs.repository import last_runs
from layers.engine.templates import cron_for
from layers.models.engine import LayerConfigVersion, LayerSchedule, ProjectLayer


def to_out(session: Session, layer: ProjectLayer) -> LayerOut:
    return to_outs(session, [layer])[0]


def to_outs(session: Session, layers: Sequence[ProjectLayer]) -> list[LayerOut]:
    schedules: dict[tuple[str, str], LayerSchedule] = {
        (row.layer_id, row.command_id): row
        for row in repository.schedules_of(session, [layer.id for layer in layers])
    }
    templates = {layer.id: registry.for_layer(layer) for layer in layers}
    latest_runs = last_runs(
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
                last = latest_runs.get((layer.id, command_id))
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
            (latest_runs[(layer.id, c)] for c in commands if (layer.id, c) in latest_runs),
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
