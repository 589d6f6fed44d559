"""Authority (§19 "bucket mode"): the layer's defaults with the kill switch, and per-campaign
blocks. Each axis is ``off | draft | auto``.

The defaults row is written when the layer initializes, from ``config.authority`` (draft on
every axis when absent); from then on this row is the source of truth and the
``…/defaults`` endpoint changes it. A campaign without a block of its own follows the
defaults (``source: layer_defaults``). The kill switch lives on the defaults and denies every
write of the layer, whatever the axes say.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from layers.ads import ad_layers, repository
from layers.ads.optimizer.types import Authority, AuthorityPolicy, Mode
from layers.ads.platforms.base import body_name
from layers.ads.schemas import (
    AuthorityAxes,
    AuthorityAxesPatch,
    AxisMode,
    BodyPlatform,
    CampaignAuthorityOut,
    CampaignAuthorityPatch,
    DefaultsOut,
    DefaultsPatch,
)
from layers.kit import clock
from layers.kit.errors import NotFound
from layers.kit.ids import new_id
from layers.kit.repository import TenantScope
from layers.models.ads import AdAuthority, AdCampaign
from layers.models.engine import ProjectLayer
from layers.orgs.service import Principal

DEFAULTS = "defaults"


def _block(row: AdAuthority) -> Authority:
    return Authority(
        creative=Mode(row.creative),
        tactical=Mode(row.tactical),
        structural=Mode(row.structural),
        kill_switch=row.kill_switch,
    )


def ensure_defaults(session: Session, layer: ProjectLayer, *, actor: str) -> AdAuthority:
    """The layer's defaults row, created from its config when missing."""
    row = repository.authority_row(session, layer.id, DEFAULTS)
    if row is not None:
        return row
    seed = ad_layers.config_authority(layer.config)
    platform = ad_layers.platform_of(layer) or "meta"
    row = AdAuthority(
        id=new_id("aut"),
        org_id=layer.org_id,
        livemode=layer.livemode,
        project_id=layer.project_id,
        layer_id=layer.id,
        platform=platform,
        scope_key=DEFAULTS,
        campaign_id=None,
        creative=seed.creative.value,
        tactical=seed.tactical.value,
        structural=seed.structural.value,
        kill_switch=seed.kill_switch,
        last_modified_at=clock.now(),
        last_modified_by=actor,
    )
    session.add(row)
    session.flush()
    return row


def policy_of(session: Session, layer: ProjectLayer) -> AuthorityPolicy:
    """What the optimizer gates its decisions with."""
    rows = repository.authority_rows(session, layer.id)
    defaults = next((r for r in rows if r.scope_key == DEFAULTS), None)
    base = _block(defaults) if defaults else ad_layers.config_authority(layer.config)
    campaigns = {r.campaign_id: _block(r) for r in rows if r.campaign_id}
    return AuthorityPolicy(defaults=base, campaigns=campaigns)


def axes_of(row: AdAuthority) -> AuthorityAxes:
    return AuthorityAxes(
        creative=AxisMode(row.creative),
        tactical=AxisMode(row.tactical),
        structural=AxisMode(row.structural),
    )


def _apply(row: AdAuthority, patch: AuthorityAxesPatch | None) -> None:
    if patch is None:
        return
    for axis in ("creative", "tactical", "structural"):
        value = getattr(patch, axis)
        if value is not None:
            setattr(row, axis, value.value)


def defaults_out(row: AdAuthority) -> DefaultsOut:
    return DefaultsOut(
        layer_id=row.layer_id,
        platform=BodyPlatform(body_name(row.platform)),
        defaults=axes_of(row),
        kill_switch_active=row.kill_switch,
        last_modified_at=row.last_modified_at,
        last_modified_by=row.last_modified_by,
    )


def get_defaults(
    session: Session, tenant: Principal, project_id: str, platform: str, layer_id: str | None
) -> DefaultsOut:
    layer = ad_layers.find_layer(session, tenant, project_id, platform, layer_id)
    return defaults_out(ensure_defaults(session, layer, actor="system"))


def patch_defaults(
    session: Session, principal: Principal, project_id: str, platform: str, body: DefaultsPatch
) -> DefaultsOut:
    layer = ad_layers.find_layer(session, principal, project_id, platform, body.layer_id)
    row = ensure_defaults(session, layer, actor=principal.key_id)
    _apply(row, body.defaults)
    if body.kill_switch_active is not None:
        row.kill_switch = body.kill_switch_active
    row.last_modified_at = clock.now()
    row.last_modified_by = principal.key_id
    session.flush()
    return defaults_out(row)


def _campaign(
    session: Session, tenant: TenantScope, project_id: str, platform: str, campaign_id: str
) -> AdCampaign:
    campaign = repository.campaigns_repo.get(session, tenant, campaign_id)
    if campaign.project_id != project_id or campaign.platform != platform:
        raise NotFound.of("campaign", campaign_id)
    if campaign.layer_id is None:
        raise NotFound(
            f"Campaign {campaign_id} is not managed by an ad layer (set its layer first).",
            id=campaign_id,
        )
    return campaign


def campaign_out(
    session: Session, campaign: AdCampaign, layer: ProjectLayer
) -> CampaignAuthorityOut:
    defaults = ensure_defaults(session, layer, actor="system")
    own = repository.authority_row(session, layer.id, campaign.id)
    row = own or defaults
    return CampaignAuthorityOut(
        campaign_id=campaign.id,
        layer_id=layer.id,
        platform=BodyPlatform(body_name(campaign.platform)),
        source="per_campaign" if own else "layer_defaults",
        authority=axes_of(row),
        kill_switch_active=defaults.kill_switch or (own.kill_switch if own else False),
        last_modified_at=row.last_modified_at,
        last_modified_by=row.last_modified_by,
    )


def get_campaign_authority(
    session: Session, tenant: TenantScope, project_id: str, platform: str, campaign_id: str
) -> CampaignAuthorityOut:
    campaign = _campaign(session, tenant, project_id, platform, campaign_id)
    layer = session.get(ProjectLayer, campaign.layer_id)
    assert layer is not None
    return campaign_out(session, campaign, layer)


def set_campaign_block(
    session: Session,
    campaign: AdCampaign,
    layer: ProjectLayer,
    patch: AuthorityAxesPatch | None,
    *,
    actor: str,
) -> AdAuthority:
    """The campaign's own block (created from the defaults' current axes), patched."""
    defaults = ensure_defaults(session, layer, actor=actor)
    row = repository.authority_row(session, layer.id, campaign.id)
    if row is None:
        row = AdAuthority(
            id=new_id("aut"),
            org_id=layer.org_id,
            livemode=layer.livemode,
            project_id=layer.project_id,
            layer_id=layer.id,
            platform=campaign.platform,
            scope_key=campaign.id,
            campaign_id=campaign.id,
            creative=defaults.creative,
            tactical=defaults.tactical,
            structural=defaults.structural,
            kill_switch=False,
            last_modified_at=clock.now(),
            last_modified_by=actor,
        )
        session.add(row)
    _apply(row, patch)
    row.last_modified_at = clock.now()
    row.last_modified_by = actor
    session.flush()
    return row


def patch_campaign_authority(
    session: Session,
    principal: Principal,
    project_id: str,
    platform: str,
    campaign_id: str,
    body: CampaignAuthorityPatch,
) -> CampaignAuthorityOut:
    campaign = _campaign(session, principal, project_id, platform, campaign_id)
    layer = session.get(ProjectLayer, campaign.layer_id)
    assert layer is not None
    if body.use_layer_defaults:
        row = repository.authority_row(session, layer.id, campaign.id)
        if row is not None:
            session.delete(row)
            session.flush()
    else:
        set_campaign_block(session, campaign, layer, body.authority, actor=principal.key_id)
    return campaign_out(session, campaign, layer)
