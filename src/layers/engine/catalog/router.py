"""The catalog of layer templates (the same for every organization)."""

from __future__ import annotations

from layers.engine.catalog import registry, service
from layers.engine.catalog.schemas import TemplateList, TemplateOut
from layers.kit.http import LayersRouter
from layers.orgs.dependencies import requires

router = LayersRouter(prefix="/v1", tags=["layers"])


@router.get("/layer-templates", dependencies=[requires("layers:read")])
def list_templates() -> TemplateList:
    """Every template (its latest version), by id."""
    return TemplateList(items=[service.to_out(t) for t in registry.latest()], next_cursor=None)


@router.get("/layer-templates/{template_id}", dependencies=[requires("layers:read")])
def get_template(template_id: str) -> TemplateOut:
    return service.to_out(service.get(template_id))
