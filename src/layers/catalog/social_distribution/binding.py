"""A distribution layer's config and the social account it is bound to: the template's
validation hook (`check_config`) and the lookups every command starts with."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from layers.catalog.social_distribution import repository
from layers.engine.templates import ConfigCheck
from layers.kit.errors import Conflict, NotFound, SocialAccountNotConnected, Validation
from layers.kit.ids import has_prefix
from layers.models.engine import ProjectLayer
from layers.models.social import SocialAccount

TEMPLATE_ID = "social-distribution"
BINDING_STATUSES = ("installing", "active", "paused")
ACCOUNT_FIELD = "config.social.socialAccountId"
TIMES_FIELD = "config.schedule.times"


def account_id_of(config: Mapping[str, Any]) -> str | None:
    social = config.get("social")
    if isinstance(social, Mapping):
        value = social.get("socialAccountId")
        if isinstance(value, str) and value:
            return value
    return None


def _times_of(config: Mapping[str, Any]) -> list[str] | None:
    schedule = config.get("schedule")
    if isinstance(schedule, Mapping) and "times" in schedule:
        return list(schedule.get("times") or [])
    return None


def bound_elsewhere(
    session: Session, project_id: str, account_id: str, layer_id: str
) -> str | None:
    """The other live distribution layer of the project bound to `account_id`, if any."""
    others = repository.other_layers_config(
        session, project_id, TEMPLATE_ID, BINDING_STATUSES, layer_id
    )
    for other_id, config in others:
        if account_id_of(config or {}) == account_id:
            return other_id
    return None


def check_config(session: Session, check: ConfigCheck) -> None:
    """The template's validation hook (install, config change, rollback; project locked)."""
    config = check.config
    mode = config.get("distributionMode", "automatic")
    times = _times_of(config)
    if mode == "custom" and not times:
        raise Validation.field(TIMES_FIELD, "is required in custom mode (1–5 HH:MM)", "missing")
    if mode != "custom" and times is not None:
        raise Validation.field(
            TIMES_FIELD,
            f"is only allowed in custom mode (distributionMode is {mode})",
            "not_allowed",
        )
    per_day = config.get("postsPerDay")
    if mode == "custom" and per_day is not None and times is not None and per_day != len(times):
        raise Validation.field(
            "config.postsPerDay",
            f"equals the number of schedule.times in custom mode ({len(times)})",
            "mismatch",
        )
    account_id = account_id_of(config)
    if account_id is None:
        raise Validation.field(ACCOUNT_FIELD, "is required", "missing")
    account = session.get(SocialAccount, account_id) if has_prefix(account_id, "sa") else None
    project = check.project
    if (
        account is None
        or account.project_id != project.id
        or account.org_id != project.org_id
        or account.livemode != project.livemode
    ):
        raise Validation.field(
            ACCOUNT_FIELD, "no social account with this id is connected to the project", "not_found"
        )
    previous = account_id_of(check.previous or {})
    if previous != account_id and account.status == "disconnected":
        raise SocialAccountNotConnected(
            f"Social account {account.id} is disconnected; reconnect it first.",
            field=ACCOUNT_FIELD,
            socialAccountId=account.id,
        )
    other = bound_elsewhere(session, project.id, account_id, check.layer.id)
    if other is not None:
        raise Conflict(
            f"Social account {account_id} is already bound to distribution layer {other}; "
            "one layer per account.",
            field=ACCOUNT_FIELD,
            layerId=other,
            socialAccountId=account_id,
        )


# ---- what a command starts with ----


def layer_of(session: Session, layer_id: str) -> ProjectLayer:
    layer = session.get(ProjectLayer, layer_id)
    if layer is None:
        raise NotFound.of("layer", layer_id)
    return layer


def layer_config(session: Session, layer_id: str) -> dict[str, Any]:
    return dict(layer_of(session, layer_id).config or {})


def bound_account(
    session: Session, layer: ProjectLayer, config: Mapping[str, Any]
) -> SocialAccount:
    """The account `config` binds the layer to; 422 when it is gone, 409 when disconnected."""
    account_id = account_id_of(config)
    account = session.get(SocialAccount, account_id) if account_id else None
    if account is None or account.project_id != layer.project_id:
        raise Validation.field(ACCOUNT_FIELD, "the bound social account is gone", "not_found")
    if account.status == "disconnected":
        raise SocialAccountNotConnected(
            f"Social account {account.id} is disconnected; reconnect it or bind another.",
            field=ACCOUNT_FIELD,
            socialAccountId=account.id,
        )
    return account
