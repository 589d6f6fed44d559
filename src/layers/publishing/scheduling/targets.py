"""What a schedule target may ask of its account's platform, read from its `PlatformSpec`.

A target names a connected account of the project. ``draft`` needs a platform with a drafts
inbox; a post option (``tiktokPostSettings``, ``shareReelToFeed``) must be one the platform
offers for the target's mode and content kind, else it is a 422 (``not_allowed``), except a
settings object named for another platform (`PostOption.ignored_elsewhere`), which is dropped
so one request can carry settings for every target.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from pydantic.alias_generators import to_camel
from sqlalchemy.orm import Session

from layers.kit.errors import ManagedProviderNotConnected, SocialAccountNotConnected, Validation
from layers.kit.ids import has_prefix
from layers.models.content import ContentContainer
from layers.models.projects import Project
from layers.models.social import SocialAccount
from layers.publishing.scheduling.schemas import ScheduleTarget
from layers.social.platforms.base import PlatformSpec, PostOption
from layers.social.platforms.registry import SPECS, spec


def check_target(
    session: Session,
    project: Project,
    container: ContentContainer,
    index: int,
    target: ScheduleTarget,
) -> SocialAccount:
    prefix = f"targets[{index}]"
    account_id = target.social_account_id
    account = session.get(SocialAccount, account_id) if has_prefix(account_id, "sa") else None
    if (
        account is None
        or account.project_id != project.id
        or account.org_id != project.org_id
        or account.livemode != project.livemode
    ):
        raise Validation.field(
            f"{prefix}.socialAccountId",
            "no social account with this id is connected to the project",
            "not_found",
        )
    if account.status != "connected":
        raise SocialAccountNotConnected(
            f"Social account {account.id} is {account.status}; reconnect it before scheduling.",
            field=f"{prefix}.socialAccountId",
            socialAccountId=account.id,
            status=account.status,
        )
    if target.mode.value == "managed":
        raise ManagedProviderNotConnected(
            "mode 'managed' needs a managed-distribution provider connected to the project; "
            "none is.",
            field=f"{prefix}.mode",
        )
    platform = spec(account.platform)
    if target.mode.value == "draft" and not platform.drafts_inbox:
        names = _names(s for s in SPECS.values() if s.drafts_inbox)
        raise Validation.field(
            f"{prefix}.mode", f"draft (to the creator's inbox) is {names} only", "mode_unsupported"
        )
    for key, _ in _given_options(target):
        option = platform.option(key)
        if option is not None and option.applies(target.mode.value, _kind(container)):
            continue
        anywhere = _offered(key)
        if option is None and (anywhere is None or anywhere.ignored_elsewhere):
            continue  # another platform's settings object: dropped for this target
        raise Validation.field(f"{prefix}.{key}", _only_for(key), "not_allowed")
    return account


def _kind(container: ContentContainer) -> str:
    """The content kind (`PublishableContent.kind`) a container publishes as."""
    return "video" if container.media_kind == "video" else "photo"


def _names(specs: Iterable[PlatformSpec]) -> str:
    return " or ".join(s.display_name for s in specs)


def _given_options(target: ScheduleTarget) -> Iterator[tuple[str, Any]]:
    """The post options `target` sets, by their key in ``platform_options``."""
    if target.tiktok_post_settings is not None:
        settings = target.tiktok_post_settings.model_dump(exclude_none=True)
        yield "tiktokPostSettings", {to_camel(k): v for k, v in settings.items()}
    if target.share_reel_to_feed is not None:
        yield "shareReelToFeed", target.share_reel_to_feed


def _offered(key: str) -> PostOption | None:
    """The option `key` as the platform that offers it describes it."""
    return next((o for s in SPECS.values() if (o := s.option(key)) is not None), None)


def _only_for(key: str) -> str:
    """Which targets may carry `key`, in words ("only for Instagram video targets in publish
    mode")."""
    offering = [s for s in SPECS.values() if s.option(key) is not None]
    option = _offered(key)
    if option is None:
        return "not an option of any platform"
    kinds = "" if len(option.kinds) > 1 else f" {next(iter(option.kinds))}"
    modes = "/".join(sorted(option.modes))
    return f"only for {_names(offering)}{kinds} targets in {modes} mode"


def options(target: ScheduleTarget, account: SocialAccount) -> dict[str, object] | None:
    """The target's post options its platform reads (checked by `check_target`)."""
    platform = spec(account.platform)
    given = {k: v for k, v in _given_options(target) if platform.option(k) is not None}
    return given or None
