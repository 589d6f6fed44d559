"""What the two ad manager templates share: the config schema, the validation hook, the
probe, and their command set (each catalog package names its own id and platform).

Config (JSON Schema below): ``adAccountId`` (required; one ad layer per ad account),
``campaigns`` (the campaigns it manages, ``cmp_…`` or the platform's ids; empty: every
campaign of the account no other layer manages), ``targetCpaCents``, ``generatedSlots`` /
``ugcSlots`` / ``manualSlots`` (3 each), ``maxCreativesPerAdset`` (10), ``maxNewCreatives`` (3
per adset and content-refresh), ``authority`` (the defaults written at install: ``off | draft |
auto`` per axis; afterwards ``PATCH …/ads/{platform}/defaults`` is the source of truth), and the
engine's ``schedule.cron`` / ``schedule.crons.<commandId>`` overrides.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from layers.ads import workflows
from layers.ads.ad_layers import LIVE_STATUSES, TEMPLATE_IDS
from layers.engine.templates import Command, ConfigCheck, Template, Workflow
from layers.kit.errors import Conflict, Validation
from layers.kit.ids import has_prefix
from layers.models.ads import AdAccount, AdCampaign
from layers.models.engine import ProjectLayer

MODE = {"enum": ["off", "draft", "auto"]}
SLOTS = {"type": "integer", "minimum": 0, "maximum": 20}
ACCOUNT_FIELD = "config.adAccountId"


def config_schema(platform: str) -> dict[str, Any]:
    word = "ad set" if platform == "meta" else "ad group"
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "adAccountId": {
                "type": "string",
                "pattern": "^aac_[A-Za-z0-9]{1,60}$",
                "description": "The connected ad account (required; one ad layer per account).",
            },
            "campaigns": {
                "type": "array",
                "maxItems": 100,
                "uniqueItems": True,
                "items": {"type": "string", "minLength": 1, "maxLength": 128},
                "description": "Campaigns to manage (cmp_… or the platform's id); empty: all.",
            },
            "targetCpaCents": {
                "type": "integer",
                "minimum": 1,
                "maximum": 100_000_000,
                "description": "Target cost per install, in cents (budget moves need it).",
            },
            "generatedSlots": {**SLOTS, "description": "Generated creatives per " + word + "."},
            "ugcSlots": {**SLOTS, "description": "UGC creatives per " + word + "."},
            "manualSlots": {**SLOTS, "description": "Manual uploads per " + word + "."},
            "maxCreativesPerAdset": {
                "type": "integer",
                "minimum": 1,
                "maximum": 50,
                "description": f"Creatives per {word} (capped by the platform's limit).",
            },
            "maxNewCreatives": {
                "type": "integer",
                "minimum": 1,
                "maximum": 20,
                "description": f"content-refresh: new ads per {word} and run.",
            },
            "authority": {
                "type": "object",
                "additionalProperties": False,
                "description": "Authority defaults written at install (then: the defaults API).",
                "properties": {"creative": MODE, "tactical": MODE, "structural": MODE},
            },
        },
    }


DEFAULT_CONFIG: dict[str, Any] = {
    "campaigns": [],
    "generatedSlots": 3,
    "ugcSlots": 3,
    "manualSlots": 3,
    "maxCreativesPerAdset": 10,
    "maxNewCreatives": 3,
    "authority": {"creative": "draft", "tactical": "draft", "structural": "draft"},
}


def checker(platform: str) -> Any:
    template_id = TEMPLATE_IDS[platform]

    def check_config(session: Session, check: ConfigCheck) -> None:
        """The ad account is the project's, of this platform, and no other live ad layer has it."""
        account_id = check.config.get("adAccountId")
        if account_id is None:
            raise Validation.field(ACCOUNT_FIELD, "is required", "missing")
        account = (
            session.get(AdAccount, account_id)
            if isinstance(account_id, str) and has_prefix(account_id, "aac")
            else None
        )
        if (
            account is None
            or account.project_id != check.project.id
            or account.org_id != check.layer.org_id
            or account.livemode != check.layer.livemode
        ):
            raise Validation.field(ACCOUNT_FIELD, "is not an ad account of this project", "unknown")
        if account.platform != platform:
            raise Validation.field(
                ACCOUNT_FIELD, f"is a {account.platform} ad account, not {platform}", "platform"
            )
        for other in session.execute(
            sa.select(ProjectLayer.id, ProjectLayer.config).where(
                ProjectLayer.project_id == check.project.id,
                ProjectLayer.template_id == template_id,
                ProjectLayer.status.in_(LIVE_STATUSES),
                ProjectLayer.id != check.layer.id,
            )
        ):
            if (other.config or {}).get("adAccountId") == account.id:
                raise Conflict(
                    f"Ad account {account.id} is already managed by layer {other.id}.",
                    layerId=other.id,
                    adAccountId=account.id,
                )

    return check_config


UNHEALTHY_RETRY = timedelta(hours=1)


def has_campaigns(session: Session, layer: ProjectLayer, now: datetime) -> bool:
    """Probe: a layer with no campaign has nothing to optimize; a layer whose ad account is
    unhealthy (token refused, account restricted) pauses, looking again once an hour (a
    reconnect, or the platform answering again, resumes it)."""
    if (
        session.scalar(sa.select(AdCampaign.id).where(AdCampaign.layer_id == layer.id).limit(1))
        is None
    ):
        return False
    account_id = layer.config.get("adAccountId")
    account = session.get(AdAccount, account_id) if isinstance(account_id, str) else None
    if account is None:
        return False
    if account.healthy:
        return True
    at = (account.health_error or {}).get("at")
    try:
        failed = datetime.fromisoformat(str(at))
    except ValueError:
        return True
    return now - failed >= UNHEALTHY_RETRY


WORKFLOWS = (
    Workflow(workflows.INITIALIZE, 1, workflows.initialize_v1),
    Workflow(workflows.OPTIMIZE, 1, workflows.ad_optimize_v1),
    Workflow(workflows.REFRESH, 1, workflows.content_refresh_v1),
    Workflow(workflows.WATCHDOG, 1, workflows.watchdog_v1),
)


def commands(word: str) -> dict[str, Command]:
    return {
        "initialize": Command(
            "internal",
            workflows.INITIALIZE,
            1,
            description="Check the ad account, sync it, write the authority defaults.",
        ),
        "content-refresh": Command(
            "scheduled",
            workflows.REFRESH,
            1,
            default_cron="*/15 * * * *",
            cron_override=True,
            probe=has_campaigns,
            description=f"Disable underperformers and add fresh eligible creatives to each {word}.",
        ),
        "ad-optimize": Command(
            "scheduled",
            workflows.OPTIMIZE,
            1,
            default_cron="0 */6 * * *",
            cron_override=True,
            probe=has_campaigns,
            description="Classify every ad; pause and replace, move budgets, or hold; say why.",
        ),
        "ad-optimize-watchdog": Command(
            "scheduled",
            workflows.WATCHDOG,
            1,
            default_cron="0 */2 * * *",
            cron_override=True,
            probe=has_campaigns,
            description="Catch catastrophic spend with zero installs.",
        ),
    }


def template(platform: str, *, name: str, description: str) -> Template:
    word = "ad set" if platform == "meta" else "ad group"
    return Template(
        id=TEMPLATE_IDS[platform],
        name=name,
        version="1.0.0",
        description=description,
        config_schema=config_schema(platform),
        default_config=DEFAULT_CONFIG,
        workflows=WORKFLOWS,
        commands=commands(word),
        validate=checker(platform),
        per_command_crons=True,
    )
