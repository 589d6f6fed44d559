"""The rules that turn a requested publish into something else, and how each says so.

A target in ``publish`` mode is published publicly only when its account posts automatically.
Otherwise the publish protocol diverts it to the platform's manual outcome
(`PlatformSpec.manual_outcome`): TikTok sends it to the creator's drafts inbox (``draft``),
Instagram leaves it for a person (``pending_manual``). A ``draft`` target on a platform with no
drafts inbox (`PlatformSpec.drafts_inbox`) also waits for a person. Each diversion has a
stable code; the schedule response and the post's ``warnings`` carry it ahead of time, and the
post's ``lastError`` records it once the protocol applied it. Nothing else decides these
outcomes: the protocol (`layers.publishing.protocol.publish`) asks `diversion` at publish time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from layers.social.platforms.registry import spec_of

ACCOUNT_POSTING_MODE_MANUAL = "ACCOUNT_POSTING_MODE_MANUAL"
DRAFT_UNSUPPORTED = "DRAFT_UNSUPPORTED"
CODES = frozenset({ACCOUNT_POSTING_MODE_MANUAL, DRAFT_UNSUPPORTED})
# Codes earlier versions wrote in ``last_error`` for the same diversions.
FORMER_CODES = {"MANUAL_POSTING": ACCOUNT_POSTING_MODE_MANUAL}

# The statuses of a post that has not been attempted yet: its diversion follows the account.
UPCOMING = frozenset({"pending", "pending_assets", "ready"})


@dataclass(frozen=True)
class Diversion:
    """Why a post will not be (or was not) published as asked.

    ``outcome`` is the internal status the post takes instead of ``posted``: ``draft`` (in the
    creator's drafts inbox) or ``pending_manual`` (waits for a person)."""

    code: str
    outcome: str
    message: str

    def error(self, at: str) -> dict[str, Any]:
        """As the post's ``lastError`` once applied."""
        return {"code": self.code, "message": self.message, "at": at, "outcome": self.outcome}


# A platform we do not serve (no spec) has no drafts inbox and leaves a manual publish to a person.


def _name(platform: str) -> str:
    spec = spec_of(platform)
    return spec.display_name if spec is not None else platform


def _drafts_inbox(platform: str) -> bool:
    spec = spec_of(platform)
    return spec is not None and spec.drafts_inbox


def _manual_outcome(platform: str) -> str:
    spec = spec_of(platform)
    return spec.manual_outcome if spec is not None else "pending_manual"


def diversion(
    platform: str, posting_mode: str, mode: str, *, applied: bool = False
) -> Diversion | None:
    """What a post of `mode` to an account of `platform` in `posting_mode` becomes instead of
    published, or None when it is published as asked (``managed`` is decided elsewhere).
    `applied` words the message in the past tense (the protocol diverted it)."""
    name = _name(platform)
    if mode == "draft":
        if _drafts_inbox(platform):
            return None  # a draft was asked for
        return Diversion(
            DRAFT_UNSUPPORTED,
            "pending_manual",
            f"{name} has no drafts inbox: "
            + ("the post waits for a person." if applied else "the post will wait for a person."),
        )
    if mode != "publish" or posting_mode == "automatic":
        return None
    outcome = _manual_outcome(platform)
    if outcome == "draft":
        message = (
            f"Sent to the creator's {name} drafts inbox instead of published: the account's "
            "posting mode is manual. Finish it in the app."
            if applied
            else f"Will not be published automatically: the {name} account's posting mode is "
            "manual, so at its time the post goes to the creator's drafts inbox to be finished "
            "in the app. Set the account's postingMode to automatic to publish it directly."
        )
    else:
        message = (
            f"Not published: the {name} account's posting mode is manual, so the post waits "
            "for a person to publish it."
            if applied
            else f"Will not be published automatically: the {name} account's posting mode is "
            "manual, so at its time the post waits for a person (pending_manual). Set the "
            "account's postingMode to automatic to publish it directly."
        )
    return Diversion(ACCOUNT_POSTING_MODE_MANUAL, outcome, message)


def sent_to_drafts(platform: str) -> Diversion:
    """Why a ``publish`` post of `platform` ended in the drafts inbox: only the account's
    posting mode sends one there."""
    found = diversion(platform, "manual", "publish", applied=True)
    assert found is not None
    return found


def recorded(last_error: dict[str, Any] | None, status: str) -> Diversion | None:
    """The diversion the protocol applied to a post, from its ``lastError``."""
    code = last_error.get("code") if last_error else None
    code = FORMER_CODES.get(str(code), code)
    if last_error is None or code not in CODES:
        return None
    outcome = last_error.get("outcome")
    return Diversion(
        str(code),
        outcome if outcome in ("draft", "pending_manual") else status,
        str(last_error.get("message") or ""),
    )


def warnings_of(
    *,
    status: str,
    mode: str,
    last_error: dict[str, Any] | None,
    platform: str | None,
    posting_mode: str | None,
) -> list[Diversion]:
    """A post's warnings: for a post not attempted yet, what its account's current posting
    mode will make of it; after that, what the protocol recorded."""
    if status in UPCOMING:
        if platform is None or posting_mode is None:
            return []
        found = diversion(platform, posting_mode, mode)
    else:
        found = recorded(last_error, status)
    return [found] if found is not None else []
