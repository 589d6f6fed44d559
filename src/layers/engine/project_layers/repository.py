"""Queries over project layers that are more than a lookup: filters and JSON containment.

``whereContains`` is PostgreSQL's ``config @> :json`` natively there; SQLite has no such
operator, so the other filters run in SQL and the containment is applied in Python to the rows
they select, with the same semantics (`jsonutil.contains`, property-tested against PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from layers.engine.jsonutil import contains
from layers.kit.repository import TenantRepository, TenantScope
from layers.models.engine import ProjectLayer

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
