"""Why a scheduled post will not be published automatically, in words, wherever the console
shows a post (the `publish_notes` / `publish_badge` macros in ``_macros.html``).

Three reasons, each with the way out:

* the post's own ``warnings`` (the same as the API's): the account's posting mode is manual,
  so the post goes to the creator's drafts inbox or waits for a person; or a draft on a
  platform without a drafts inbox;
* its Social Distribution layer has ``willPublish`` off (or is paused): the layer publishes
  none of its slots (`catalog.social_distribution.dispatch`);
* its account is unhealthy (a token that stopped working, ``reauth_required``): the post is
  held until the account is reconnected.

Only posts that have not been attempted yet get the last two (afterwards the post's own
``lastError`` and ``warnings`` tell what happened); an empty slot gets none (it holds nothing
to publish).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from sqlalchemy.orm import Session

from layers.engine.project_layers import service as layers
from layers.kit.errors import LayersError
from layers.models.engine import ProjectLayer
from layers.models.social import SocialAccount
from layers.orgs.service import Principal
from layers.publishing.rules import UPCOMING
from layers.publishing.scheduling.schemas import ScheduledPostOut
from layers.social import service as social

WILL_PUBLISH_OFF = "WILL_PUBLISH_OFF"
LAYER_PAUSED = "LAYER_PAUSED"
ACCOUNT_UNHEALTHY = "ACCOUNT_UNHEALTHY"


@dataclass(frozen=True)
class Note:
    code: str
    title: str
    badge: str  # a few words for a chip
    message: str
    fix: str | None = None
    fix_url: str | None = None


def _settings(project_id: str, account_id: str) -> str:
    return f"/console/projects/{quote(project_id)}/settings#acct-{quote(account_id)}"


def for_posts(
    session: Session, principal: Principal, posts: list[ScheduledPostOut]
) -> dict[str, list[Note]]:
    """Each post's notes (posts that publish as asked have none)."""
    accounts: dict[str, SocialAccount | None] = {}
    found_layers: dict[str, ProjectLayer | None] = {}
    out: dict[str, list[Note]] = {}
    for post in posts:
        if post.social_account_id not in accounts:
            accounts[post.social_account_id] = _lookup_account(session, principal, post)
        if post.layer_id and post.layer_id not in found_layers:
            found_layers[post.layer_id] = _lookup_layer(session, principal, post.layer_id)
        notes = notes_of(
            post,
            accounts[post.social_account_id],
            found_layers.get(post.layer_id) if post.layer_id else None,
        )
        if notes:
            out[post.id] = notes
    return out


def _lookup_account(
    session: Session, principal: Principal, post: ScheduledPostOut
) -> SocialAccount | None:
    try:
        return social.get(session, principal, post.social_account_id)
    except LayersError:
        return None


def _lookup_layer(session: Session, principal: Principal, layer_id: str) -> ProjectLayer | None:
    try:
        return layers.get(session, principal, layer_id)
    except LayersError:
        return None


def notes_of(
    post: ScheduledPostOut, account: SocialAccount | None, layer: ProjectLayer | None
) -> list[Note]:
    notes: list[Note] = []
    if post.origin == "slot" and not post.container_id:
        return notes  # an empty slot publishes nothing: nothing to warn about yet
    upcoming = post.internal_status in UPCOMING
    if upcoming and layer is not None and post.origin == "slot":
        layer_url = f"/console/layers/{quote(layer.id)}?tab=config"
        if not (layer.config or {}).get("willPublish"):
            notes.append(
                Note(
                    WILL_PUBLISH_OFF,
                    "Publishing is off",
                    "publishing off",
                    "Its distribution layer has willPublish off, so nothing leaves the "
                    "machine: the post stays in its slot until willPublish is turned on.",
                    "Turn willPublish on",
                    layer_url,
                )
            )
        elif layer.status == "paused":
            notes.append(
                Note(
                    LAYER_PAUSED,
                    "Layer paused",
                    "layer paused",
                    "Its distribution layer is paused: no slot is published until it is resumed.",
                    "Open the layer",
                    f"/console/layers/{quote(layer.id)}",
                )
            )
    if upcoming and account is not None and (not account.healthy or account.status != "connected"):
        handle = f"@{account.handle}" if account.handle else "The account"
        why = (
            "needs to be reconnected (its token stopped working)"
            if account.status != "disconnected"
            else "is disconnected"
        )
        notes.append(
            Note(
                ACCOUNT_UNHEALTHY,
                "Account unhealthy",
                "account unhealthy",
                f"{handle} {why}: the post is held until it is reconnected.",
                "Reconnect",
                _settings(post.project_id, account.id),
            )
        )
    for warning in post.warnings:
        manual = warning.code.value == "ACCOUNT_POSTING_MODE_MANUAL"
        notes.append(
            Note(
                warning.code.value,
                "Manual posting" if manual else "No drafts inbox",
                "to drafts" if warning.outcome == "draft" else "needs a person",
                warning.message,
                "Change the posting mode" if manual else None,
                _settings(post.project_id, post.social_account_id) if manual else None,
            )
        )
    return notes
