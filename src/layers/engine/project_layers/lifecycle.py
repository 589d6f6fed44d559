"""A project layer's lifecycle by hand: pause, resume, uninstall (each idempotent)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from layers.engine import scheduler
from layers.engine.catalog import registry
from layers.engine.project_layers import repository
from layers.engine.project_layers.service import get, lock_project
from layers.engine.project_layers.validation import template_of
from layers.kit import clock
from layers.kit.errors import Conflict
from layers.kit.repository import TenantScope
from layers.models.engine import ProjectLayer


def pause(session: Session, tenant: TenantScope, layer_id: str) -> ProjectLayer:
    layer = get(session, tenant, layer_id, for_update=True)
    if layer.status == "paused":
        return layer
    if layer.status != "active":
        raise Conflict(f"Only an active layer can be paused; {layer.id} is {layer.status}.")
    now = clock.now()
    layer.status, layer.paused_at, layer.updated_at = "paused", now, now
    scheduler.sync_schedules(session, layer, template_of(layer), now)
    return layer


def resume(session: Session, tenant: TenantScope, layer_id: str) -> ProjectLayer:
    layer = get(session, tenant, layer_id, for_update=True)
    if layer.status == "active":
        return layer
    if layer.status != "paused":
        raise Conflict(f"Only a paused layer can be resumed; {layer.id} is {layer.status}.")
    now = clock.now()
    layer.status, layer.paused_at, layer.updated_at = "active", None, now
    scheduler.sync_schedules(session, layer, template_of(layer), now, rearm=True)
    return layer


def uninstall(session: Session, tenant: TenantScope, layer_id: str) -> ProjectLayer:
    """Soft uninstall (idempotent): schedules go, runs in flight finish, history stays."""
    layer = get(session, tenant, layer_id)
    lock_project(session, tenant, layer.project_id)
    session.refresh(layer, with_for_update=True)
    if layer.status == "uninstalled":
        return layer
    now = clock.now()
    layer.status, layer.uninstalled_at, layer.updated_at = "uninstalled", now, now
    template = registry.for_layer(layer)
    repository.delete_schedules(session, layer.id)
    if template is not None and template.on_uninstall is not None:
        template.on_uninstall(session, layer)
    session.flush()
    return layer
