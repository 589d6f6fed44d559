"""Queries over project layers, their config versions and their schedules.

Every function takes the caller's session and never commits.

``whereContains`` is PostgreSQL's ``config @> :json`` natively there; SQLite has no such
operator, so the other filters run in SQL and the containment is applied in Python to the rows
they select, with the same semantics (`jsonutil.contains`, property-tested against PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from layers.engine.jsonutil import contains
from layers.kit.repository import TenantRepository, TenantScope
from layers.models.engine import LayerConfigVersion, LayerSchedule, ProjectLayer
from layers.models.projects import Project

layers_repo = TenantRepository(ProjectLayer, "lyr", "layer")


def filtered(
    tenant: TenantScope,
    *,
    project_id: str | None = None,
    template_ids: Sequence[str] | None = None,
    statuses: Sequence[str] | None = None,
) -> sa.Select[ProjectLayer]:
    stmt = layers_repo.scoped(tenant)
    if project_id is not None:
        stmt = stmt.where(ProjectLayer.project_id == project_id)
    if template_ids:
        stmt = stmt.where(ProjectLayer.template_id.in_(list(template_ids)))
    if statuses:
        stmt = stmt.where(ProjectLayer.status.in_(list(statuses)))
    return stmt


def matching(
    session: Session,
    tenant: TenantScope,
    *,
    project_id: str | None,
    template_ids: Sequence[str] | None,
    statuses: Sequence[str] | None,
    where_contains: dict[str, Any] | None,
    limit: int,
) -> list[ProjectLayer]:
    """Layers matching every filter given, oldest first, at most `limit` (+1 to detect more)."""
    stmt = filtered(tenant, project_id=project_id, template_ids=template_ids, statuses=statuses)
    stmt = stmt.order_by(ProjectLayer.id)
    native = session.get_bind().dialect.name == "postgresql"
    if where_contains is not None and native:
        stmt = stmt.where(
            ProjectLayer.config.op("@>")(sa.cast(sa.literal(where_contains, JSONB), JSONB))
        )
    if where_contains is None or native:
        return list(session.scalars(stmt.limit(limit + 1)))
    found: list[ProjectLayer] = []
    for layer in session.scalars(stmt.execution_options(yield_per=500)):
        if contains(layer.config, where_contains):
            found.append(layer)
            if len(found) > limit:
                break
    return found


def live_layer_of_template(session: Session, project_id: str, template_id: str) -> str | None:
    """The id of the project's layer of `template_id` that is not uninstalled, if any."""
    return session.scalar(
        sa.select(ProjectLayer.id).where(
            ProjectLayer.project_id == project_id,
            ProjectLayer.template_id == template_id,
            ProjectLayer.status != "uninstalled",
        )
    )


def archived_projects(session: Session, project_ids: set[str]) -> set[str]:
    """Which of `project_ids` are not active."""
    if not project_ids:
        return set()
    return set(
        session.scalars(
            sa.select(Project.id).where(Project.id.in_(project_ids), Project.status != "active")
        )
    )


# ---- config versions ----


def config_version(session: Session, layer_id: str, version: int) -> LayerConfigVersion | None:
    return session.scalar(
        sa.select(LayerConfigVersion).where(
            LayerConfigVersion.layer_id == layer_id, LayerConfigVersion.version == version
        )
    )


def config_at_version(session: Session, layer_id: str, version: int) -> dict[str, Any] | None:
    """The layer's config as it was at `version`."""
    return session.scalar(
        sa.select(LayerConfigVersion.config).where(
            LayerConfigVersion.layer_id == layer_id, LayerConfigVersion.version == version
        )
    )


def config_history(layer_id: str) -> sa.Select[LayerConfigVersion]:
    return sa.select(LayerConfigVersion).where(LayerConfigVersion.layer_id == layer_id)


# ---- schedules ----


def schedules_of(session: Session, layer_ids: Iterable[str]) -> Sequence[LayerSchedule]:
    """The schedule rows of the layers."""
    ids = list(layer_ids)
    if not ids:
        return []
    return session.scalars(sa.select(LayerSchedule).where(LayerSchedule.layer_id.in_(ids))).all()


def delete_schedules(session: Session, layer_id: str) -> None:
    session.execute(sa.delete(LayerSchedule).where(LayerSchedule.layer_id == layer_id))


def due_schedules(session: Session, now: datetime, limit: int) -> list[tuple[int, datetime]]:
    """``(schedule id, next run at)`` of the rows due at `now`, most overdue first."""
    rows = session.execute(
        sa.select(LayerSchedule.id, LayerSchedule.next_run_at)
        .where(LayerSchedule.next_run_at <= now)
        .order_by(LayerSchedule.next_run_at)
        .limit(limit)
    ).all()
    return [(schedule_id, due_at) for schedule_id, due_at in rows if due_at is not None]


def claim_schedule(session: Session, schedule_id: int, due_at: datetime, next_at: datetime) -> bool:
    """Move a due row's ``next_run_at`` from `due_at` to `next_at`; False when another tick
    moved it first."""
    claimed = session.execute(
        sa.update(LayerSchedule)
        .where(LayerSchedule.id == schedule_id, LayerSchedule.next_run_at == due_at)
        .values(next_run_at=next_at)
    )
    return bool(claimed.rowcount)  # type: ignore[attr-defined]
