"""Meta's answers, read: error classification (with throttle waits from the usage headers)
and the Graph objects as ours (see `layers.ads.platforms.meta` for the calls)."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import httpx

from layers.ads.platforms import transport
from layers.ads.platforms.base import (
    AccountStatus,
    Ad,
    AdsAuthFailed,
    AdsCallError,
    Adset,
    AdsRateLimited,
    AdsRejected,
    AdStatus,
    AdsUnavailable,
    Campaign,
    cents_from_minor,
)

AUTH_CODES = frozenset({190, 102, 10})
RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, *range(80000, 80015)})
TRANSIENT_CODES = frozenset({1, 2})
INSTALL_ACTIONS = ("mobile_app_install", "omni_app_install", "app_install")
STATUSES: dict[str, AdStatus] = {
    "ACTIVE": "active",
    "PAUSED": "paused",
    "ARCHIVED": "archived",
    "DELETED": "deleted",
}
REVIEW_STATUSES = frozenset({"PENDING_REVIEW", "IN_PROCESS"})
ACCOUNT_STATUSES: dict[int, AccountStatus] = {
    1: "active",
    2: "disabled",
    7: "pending",
    9: "active",
    100: "closed",
    101: "closed",
}


def graph_error(response: httpx.Response) -> AdsCallError:
    body = transport.error_json(response)
    error = as_dict(body.get("error"))
    code = as_int(error.get("code"))
    subcode = as_int(error.get("error_subcode"))
    message = str(error.get("message") or f"Meta answered HTTP {response.status_code}")
    platform_code = None if code is None else f"{code}" + (f"/{subcode}" if subcode else "")
    kw: dict[str, Any] = {"platform_code": platform_code, "http_status": response.status_code}
    if code in AUTH_CODES or (code is not None and 200 <= code <= 299):
        return AdsAuthFailed(message, **kw)
    if code in RATE_LIMIT_CODES or response.status_code == 429:
        return AdsRateLimited(message, retry_after=throttle_wait(response), **kw)
    if code in TRANSIENT_CODES or response.status_code >= 500:
        return AdsUnavailable(message, **kw)
    if response.status_code == 401:
        return AdsAuthFailed(message, **kw)
    return AdsRejected(message, **kw)


def throttle_wait(response: httpx.Response, default: float = 60.0) -> float:
    """Seconds until Meta lets the caller back in, from its usage headers (largest wins)."""
    waits: list[float] = []
    usage = header_json(response, "x-business-use-case-usage")
    if isinstance(usage, dict):
        for entries in usage.values():
            for entry in entries if isinstance(entries, list) else []:
                minutes = as_int(as_dict(entry).get("estimated_time_to_regain_access"))
                if minutes:
                    waits.append(minutes * 60.0)
    account = header_json(response, "x-ad-account-usage")
    if isinstance(account, dict) and (seconds := as_int(account.get("reset_time_duration"))):
        waits.append(float(seconds))
    if response.headers.get("retry-after"):
        waits.append(transport.retry_after_header(response, default))
    return max(waits) if waits else default


def parse_status(item: dict[str, Any]) -> AdStatus:
    effective = str(item.get("effective_status") or "")
    if effective == "DISAPPROVED":
        return "rejected"
    if effective in REVIEW_STATUSES:
        return "in_review"
    return STATUSES.get(str(item.get("status") or effective), "paused")


def parse_campaign(item: dict[str, Any], account: str) -> Campaign:
    return Campaign(
        campaign_id=str(item.get("id") or ""),
        account_id=account,
        name=str(item.get("name") or ""),
        status=parse_status(item),
        objective=as_str(item.get("objective")),
        daily_budget_cents=as_budget(item.get("daily_budget")),
        lifetime_budget_cents=as_budget(item.get("lifetime_budget")),
        created_at=as_time(item.get("created_time")),
    )


def parse_learning(info: Any) -> bool | None:
    if not isinstance(info, dict) or not info.get("status"):
        return None
    return str(info["status"]).upper() == "LEARNING"


def parse_adset(item: dict[str, Any], account: str) -> Adset:
    return Adset(
        adset_id=str(item.get("id") or ""),
        campaign_id=str(item.get("campaign_id") or ""),
        account_id=account,
        name=str(item.get("name") or ""),
        status=parse_status(item),
        daily_budget_cents=as_budget(item.get("daily_budget")),
        lifetime_budget_cents=as_budget(item.get("lifetime_budget")),
        created_at=as_time(item.get("created_time")),
        learning=parse_learning(item.get("learning_stage_info")),
        bid_amount_cents=as_budget(item.get("bid_amount")),
    )


def parse_ad(item: dict[str, Any], account: str) -> Ad:
    creative, adset = as_dict(item.get("creative")), as_dict(item.get("adset"))
    return Ad(
        ad_id=str(item.get("id") or ""),
        adset_id=str(item.get("adset_id") or adset.get("id") or ""),
        campaign_id=str(item.get("campaign_id") or ""),
        account_id=account,
        name=str(item.get("name") or ""),
        status=parse_status(item),
        created_at=as_time(item.get("created_time")),
        effective_status=as_str(item.get("effective_status")),
        learning=parse_learning(adset.get("learning_stage_info")),
        creative_id=as_str(creative.get("id")),
        media_url=as_str(creative.get("image_url") or creative.get("thumbnail_url")),
    )


def parse_installs(actions: Any) -> int:
    found: dict[str, Any] = {}
    for entry in actions if isinstance(actions, list) else []:
        if isinstance(entry, dict) and entry.get("action_type"):
            found[str(entry["action_type"])] = entry.get("value")
    for name in INSTALL_ACTIONS:
        if name in found:
            return as_count(found[name])
    return 0


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_budget(value: Any) -> int | None:
    """Meta answers budgets as minor-unit strings, ``"0"`` (or nothing) for none here."""
    cents = cents_from_minor(value)
    return cents if cents else None


def as_count(value: Any) -> int:
    cents = cents_from_minor(value)
    return max(0, cents) if cents is not None else 0


def is_number(value: Any) -> bool:
    return cents_from_minor(value) is not None


def as_int(value: Any) -> int | None:
    try:
        return int(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


def as_str(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def as_time(value: Any) -> datetime | None:
    """Graph times look like ``2026-11-01T10:00:00+0000``."""
    if not isinstance(value, str) or not value:
        return None
    for fmt in ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f%z"):
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            continue
    return None


def as_day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def header_json(response: httpx.Response, name: str) -> Any:
    raw = response.headers.get(name)
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None
