"""The ad manager layers as the ads domain sees them: which platform a layer manages, finding
a project's ad layer, and reading its config into the optimizer's settings.

The templates themselves live in the catalog (`layers.catalog.meta_ad_manager`,
`layers.catalog.tiktok_ad_manager`); they import this package, never the reverse, so the
template ids are named here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from layers.ads.optimizer.types import Authority, Mode
from layers.ads.optimizer.types import Settings as OptimizerSettings
from layers.kit.errors import NotFound, Validation
from layers.kit.ids import has_prefix
from layers.kit.repository import TenantScope
from layers.models.engine import ProjectLayer

TEMPLATE_IDS: dict[str, str] = {"meta": "meta-ad-manager", "tiktok": "tiktok-ad-manager"}
PLATFORM_OF_TEMPLATE = {template: platform for platform, template in TEMPLATE_IDS.items()}
LIVE_STATUSES = ("installing", "active", "paused")


def platform_of(layer: ProjectLayer) -> str | None:
    return PLATFORM_OF_TEMPLATE.get(layer.template_id)


def get_layer(
    session: Session, tenant: TenantScope, project_id: str, layer_id: str, platform: str
) -> ProjectLayer:
    """The project's ad layer of `platform` (404 for anything else, other tenants' included)."""
    layer = session.get(ProjectLayer, layer_id) if has_prefix(layer_id, "lyr") else None
    if (
        layer is None
        or layer.org_id != tenant.org_id
        or layer.livemode != tenant.livemode
        or layer.project_id != project_id
        or layer.status == "uninstalled"
    ):
        raise NotFound.of("layer", layer_id)
    if platform_of(layer) != platform:
        raise NotFound(f"No {TEMPLATE_IDS[platform]} layer with id '{layer_id}'.", id=layer_id)
    return layer


def find_layer(
    session: Session, tenant: TenantScope, project_id: str, platform: str, layer_id: str | None
) -> ProjectLayer:
    """`layer_id`'s layer, or the project's only ad layer of `platform`."""
    if layer_id:
        return get_layer(session, tenant, project_id, layer_id, platform)
    layers = list(
        session.scalars(
            sa.select(ProjectLayer)
            .where(
                ProjectLayer.org_id == tenant.org_id,
                ProjectLayer.livemode == tenant.livemode,
                ProjectLayer.project_id == project_id,
                ProjectLayer.template_id == TEMPLATE_IDS[platform],
                ProjectLayer.status.in_(LIVE_STATUSES),
            )
            .order_by(ProjectLayer.id)
            .limit(2)
        )
    )
    if not layers:
        raise NotFound(
            f"Project {project_id} has no {TEMPLATE_IDS[platform]} layer.", projectId=project_id
        )
    if len(layers) > 1:
        raise Validation.field(
            "layerId", "the project has several ad layers of this platform: name one", "required"
        )
    return layers[0]


def _int(config: Mapping[str, Any], key: str, default: int) -> int:
    value = config.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def settings_of(
    config: Mapping[str, Any], *, currency: str, platform_max_ads: int, max_new: int | None = None
) -> OptimizerSettings:
    target = config.get("targetCpaCents")
    return OptimizerSettings(
        target_cpa_cents=target if isinstance(target, int) and target > 0 else None,
        generated_slots=_int(config, "generatedSlots", 3),
        ugc_slots=_int(config, "ugcSlots", 3),
        manual_slots=_int(config, "manualSlots", 3),
        max_creatives_per_adset=_int(config, "maxCreativesPerAdset", 10),
        platform_max_ads=platform_max_ads,
        max_new_creatives=max_new if max_new is not None else _int(config, "maxNewCreatives", 3),
        currency=currency,
    )


def config_authority(config: Mapping[str, Any]) -> Authority:
    """The authority defaults a layer is installed with (``config.authority``)."""
    block = config.get("authority")
    block = block if isinstance(block, Mapping) else {}

    def mode(axis: str) -> Mode:
        value = block.get(axis)
        return Mode(value) if value in ("off", "draft", "auto") else Mode.DRAFT

    return Authority(
        creative=mode("creative"),
        tactical=mode("tactical"),
        structural=mode("structural"),
        kill_switch=bool(block.get("killSwitch", False)),
    )
