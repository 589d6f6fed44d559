"""Re-planning when an account's temperature changes: the slots of an automatic-mode layer
come from the temperature (cold 1, warm 2, hot 3 a day), so its layer re-plans at once rather
than at its next scheduled refresh. Plugged into `layers.social.hooks` by the composition
root; runs in the transaction that recorded the change."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from layers.catalog.social_distribution import binding
from layers.engine.catalog import registry
from layers.engine.runs import service as runs
from layers.kit.settings import get_settings
from layers.models.engine import ProjectLayer
from layers.models.social import SocialAccount

REFRESH = "refresh-schedule"


def replan_for_account(session: Session, account_id: str) -> int:
    """Start ``refresh-schedule`` on each active automatic-mode layer bound to the account;
    returns how many were started."""
    account = session.get(SocialAccount, account_id)
    if account is None:
        return 0
    layers = session.scalars(
        sa.select(ProjectLayer).where(
            ProjectLayer.project_id == account.project_id,
            ProjectLayer.template_id == binding.TEMPLATE_ID,
            ProjectLayer.status == "active",
        )
    )
    started = 0
    for layer in layers:
        config = layer.config or {}
        if binding.account_id_of(config) != account_id:
            continue
        if str(config.get("distributionMode", "automatic")) != "automatic":
            continue
        template = registry.for_layer(layer)
        if template is None or REFRESH not in template.commands:
            continue
        runs.start_run(
            session,
            get_settings(),
            layer=layer,
            template=template,
            command_id=REFRESH,
            trigger="system",
            parameters={},
        )
        started += 1
    return started
