"""TikTok's answers, read: error classification and the API's objects as ours (see
`layers.ads.platforms.tiktok` for the calls)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
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
    cents_from_decimal,
    cents_from_minor,
)

RATE_LIMIT_CODES = frozenset({40100})
AUTH_CODES = frozenset({40001, 40102, 40104, 40105, 40106, 40107})
RATE_LIMIT_WAIT = 5.0  # seconds; the limits are per second / minute windows
STATUSES: dict[str, AdStatus] = {"ENABLE": "active", "DISABLE": "paused", "DELETE": "deleted"}
ADVERTISER_STATUSES: dict[str, AccountStatus] = {
    "STATUS_ENABLE": "active",
    "STATUS_DISABLE": "disabled",
    "STATUS_PENDING_CONFIRM": "pending",
    "STATUS_PENDING_VERIFIED": "pending",
    "STATUS_CONFIRM_FAIL": "disabled",
    "STATUS_LIMIT": "disabled",
    "STATUS_SELF_SERVICE_UNAUDITED": "pending",
}


def http_error(response: httpx.Response) -> AdsCallError:
    """An answer that is not HTTP 2xx (rare: the API answers errors as 200 + ``code``)."""
    body = transport.error_json(response)
    if "code" in body:
        error = code_error(body, response.status_code)
        if isinstance(error, AdsRateLimited):
            error.retry_after = transport.retry_after_header(response, RATE_LIMIT_WAIT)
        return error
    message = f"TikTok answered HTTP {response.status_code}"
    kw: dict[str, Any] = {"http_status": response.status_code}
    if response.status_code == 429:
        return AdsRateLimited(
            message, retry_after=transport.retry_after_header(response, RATE_LIMIT_WAIT), **kw
        )
    if response.status_code >= 500:
        return AdsUnavailable(message, **kw)
    if response.status_code == 401:
        return AdsAuthFailed(message, **kw)
    return AdsRejected(message, **kw)


def code_error(body: dict[str, Any], http_status: int = 200) -> AdsCallError:
    code = as_int(body.get("code"))
    message = str(body.get("message") or f"TikTok answered code {code}")
    kw: dict[str, Any] = {"platform_code": str(code), "http_status": http_status}
    if code in RATE_LIMIT_CODES or http_status == 429:
        return AdsRateLimited(message, retry_after=RATE_LIMIT_WAIT, **kw)
    if code in AUTH_CODES or http_status == 401:
        return AdsAuthFailed(message, **kw)
    if (code is not None and 50000 <= code <= 59999) or http_status >= 500:
        return AdsUnavailable(message, **kw)
    return AdsRejected(message, **kw)


def json_default(value: Any) -> Any:
    """Money goes out as a JSON number with exactly its digits (``Decimal("12.30")`` → 12.3)."""
    if isinstance(value, Decimal):
        return float(value)  # a 2-decimal amount's float repr is its shortest decimal form
    raise TypeError(f"cannot send {type(value).__name__}")


def parse_status(item: dict[str, Any]) -> AdStatus:
    secondary = str(item.get("secondary_status") or "")
    if "NOT_APPROVE" in secondary or "REJECT" in secondary:
        return "rejected"
    if "REVIEW" in secondary or "AUDIT" in secondary:
        return "in_review"
    return STATUSES.get(str(item.get("operation_status") or ""), "paused")


def parse_budget(item: dict[str, Any], mode: str) -> int | None:
    if item.get("budget_mode") != mode:
        return None
    return cents_from_decimal(item.get("budget")) or None


def parse_adset(item: dict[str, Any], account_id: str) -> Adset:
    secondary = str(item.get("secondary_status") or "")
    bid = item.get("conversion_bid_price") or item.get("bid_price")
    return Adset(
        adset_id=str(item.get("adgroup_id") or ""),
        campaign_id=str(item.get("campaign_id") or ""),
        account_id=account_id,
        name=str(item.get("adgroup_name") or ""),
        status=parse_status(item),
        daily_budget_cents=parse_budget(item, "BUDGET_MODE_DAY"),
        lifetime_budget_cents=parse_budget(item, "BUDGET_MODE_TOTAL"),
        created_at=as_time(item.get("create_time")),
        learning=("LEARNING" in secondary) if secondary else None,
        bid_amount_cents=cents_from_decimal(bid) or None,
    )


def parse_ad(item: dict[str, Any], account_id: str, learning: bool | None) -> Ad:
    return Ad(
        ad_id=str(item.get("ad_id") or ""),
        adset_id=str(item.get("adgroup_id") or ""),
        campaign_id=str(item.get("campaign_id") or ""),
        account_id=account_id,
        name=str(item.get("ad_name") or ""),
        status=parse_status(item),
        created_at=as_time(item.get("create_time")),
        effective_status=as_str(item.get("secondary_status")),
        learning=learning,
        creative_id=as_str(item.get("video_id")),
    )


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_count(value: Any) -> int:
    amount = cents_from_minor(value)
    return max(0, amount) if amount is not None else 0


def as_int(value: Any) -> int | None:
    try:
        return int(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


def as_str(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def as_time(value: Any) -> datetime | None:
    """``"2026-11-01 10:00:00"`` (UTC) or unix seconds."""
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return datetime.fromtimestamp(int(value), UTC)
    if isinstance(value, str) and value.isdigit():
        return datetime.fromtimestamp(int(value), UTC)
    try:
        return datetime.strptime(str(value), "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        return None


def as_day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None
