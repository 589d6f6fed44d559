"""TikTok API for Business (``{tiktok_business_api_base}/open_api/v1.3/``): the
`AdsPlatform` for TikTok advertiser accounts.

Every call sends the ``Access-Token`` header and answers HTTP 200 with ``{"code",
"message", "request_id", "data"}``; ``code`` 0 is success. Calls:

* ad-account OAuth: consent at ``/portal/auth?app_id&state&redirect_uri``; ``POST
  /oauth2/access_token/`` ``{app_id, secret, auth_code}`` → ``data.access_token``,
  ``data.advertiser_ids``, ``data.scope``.
* ``GET /oauth2/advertiser/get/`` (the advertisers the token may manage), then
  ``GET /advertiser/info/`` for their currency, timezone and status.
* ``GET /campaign/get/``, ``/adgroup/get/``, ``/ad/get/`` with ``advertiser_id``,
  ``page``, ``page_size`` (≤ 1000) and a JSON ``filtering``; pages are followed up to
  ``data.page_info.total_page``. Budgets are decimal currency (read exactly, as `Decimal`);
  an ad group is learning when its ``secondary_status`` names the learning phase.
* ``GET /report/integrated/get/`` (``report_type=BASIC``, ``data_level=AUCTION_AD``,
  ``dimensions=["ad_id","stat_time_day"]``, ``metrics=["spend","impressions","clicks",
  "conversion"]``) in windows of at most 30 days (the API's limit with ``stat_time_day``).
* ``POST /ad/status/update/`` ``{advertiser_id, ad_ids, operation_status: ENABLE|DISABLE}``;
  ``POST /adgroup/budget/update/`` ``{advertiser_id, budget: [{adgroup_id, budget}]}``.
* A new ad: the media is uploaded by URL (``/file/video/ad/upload/`` or
  ``/file/image/ad/upload/``, ``upload_type=UPLOAD_BY_URL``; a video's cover image too), then
  ``POST /ad/create/`` with one creative (``SINGLE_VIDEO`` / ``SINGLE_IMAGE``, ``ad_text`` =
  the caption, the identity). Without an identity, the identity (and landing page) of an ad
  already in the ad group are used.
* ``POST /campaign/create/`` ``{objective_type, budget_mode, budget, operation_status}``.

Error codes (the API's return-code list): 40100 is "requests too frequent" (QPS/QPM/QPD
limits) → `AdsRateLimited`, as is HTTP 429; 40001 (no permission on the advertiser), 40102
(token expired), 40104 (token empty), 40105 (token invalid or revoked), 40106 and 40107
→ `AdsAuthFailed`; 50000–59999 and HTTP 5xx → `AdsUnavailable`; anything else →
`AdsRejected`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from layers.ads.platforms import transport
from layers.ads.platforms.base import (
    Ad,
    AdAccount,
    AdCreativeInput,
    AdDayMetrics,
    Adset,
    AdsGrant,
    AdsPlatformSpec,
    AdsRejected,
    AdsUnavailable,
    Campaign,
    CampaignInput,
    SettableStatus,
    cents_from_decimal,
    decimal_from_cents,
)
from layers.ads.platforms.tiktok_answers import (
    ADVERTISER_STATUSES,
    as_count,
    as_day,
    as_dict,
    as_int,
    as_str,
    as_time,
    code_error,
    http_error,
    json_default,
    parse_ad,
    parse_adset,
    parse_budget,
    parse_status,
)
from layers.ads.platforms.transport import Retrying, Sleep
from layers.kit.settings import Settings
from layers.social.vault import Secret

API_VERSION = "v1.3"
PAGE_SIZE = 1000
REPORT_WINDOW_DAYS = 30

SPEC = AdsPlatformSpec(
    name="tiktok",
    body_name="tiktok_ads",
    display_name="TikTok",
    adset_word="ad group",
    max_ads_per_adset=20,
    calls_per_minute=600,
    max_retries=3,
    max_backoff_seconds=60.0,
    oauth_scopes=(),
    money_unit="decimal",
    reports_frequency=False,
    reports_learning=True,
    min_daily_budget_cents=2000,
)

OBJECTIVES = {
    "conversions": "WEB_CONVERSIONS",
    "traffic": "TRAFFIC",
    "app_installs": "APP_PROMOTION",
    "engagement": "ENGAGEMENT",
    "lead_generation": "LEAD_GENERATION",
}
METRICS = ("spend", "impressions", "clicks", "conversion")
ADVERTISER_FIELDS = ("advertiser_id", "name", "currency", "timezone", "status", "create_time")


class TikTokAds:
    spec: AdsPlatformSpec = SPEC

    def __init__(
        self, settings: Settings, *, sleep: Sleep | None = None, page_size: int = PAGE_SIZE
    ) -> None:
        self.page_size = page_size
        root = settings.tiktok_business_api_base.rstrip("/")
        self.base = f"{root}/open_api/{API_VERSION}"
        self.auth_base = f"{root}/portal/auth"
        self.app_id = settings.tiktok_business_app_id
        self.secret = settings.tiktok_business_secret
        self.retrying = Retrying(SPEC, sleep)

    # ---- plumbing ----

    def _call(
        self,
        token: Secret | None,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
    ) -> Any:
        """``data`` of a successful answer; a non-zero ``code`` raises its class."""
        headers = {"Access-Token": token.reveal()} if token is not None else {}
        query = {
            key: value if isinstance(value, str) else json.dumps(value)
            for key, value in (params or {}).items()
        }
        url = f"{self.base}/{path.strip('/')}/"

        def once() -> Any:
            kwargs: dict[str, Any] = {"headers": headers, "params": query}
            if body is not None:
                kwargs["content"] = json.dumps(body, default=json_default)
                kwargs["headers"] = {**headers, "Content-Type": "application/json"}
            response = transport.send(SPEC.name, method, url, parse_error=http_error, **kwargs)
            answer = transport.json_of(SPEC.name, response)
            if not isinstance(answer, dict):
                raise AdsUnavailable("TikTok answered with JSON that is not an object")
            if as_int(answer.get("code")) != 0:
                raise code_error(answer, response.status_code)
            return answer.get("data")

        return self.retrying.call(once)

    def _pages(self, token: Secret, path: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        page = 1
        while True:
            query = {**params, "page": str(page), "page_size": str(self.page_size)}
            data = as_dict(self._call(token, "GET", path, params=query))
            items = data.get("list")
            for item in items if isinstance(items, list) else []:
                if isinstance(item, dict):
                    yield item
            total = as_int(as_dict(data.get("page_info")).get("total_page")) or 1
            if page >= total:
                return
            page += 1

    def _credentials(self) -> tuple[str, str]:
        if not self.app_id or not self.secret:
            raise AdsRejected(
                "TikTok ads are not configured (LAYERS_TIKTOK_BUSINESS_APP_ID / _SECRET)."
            )
        return self.app_id, self.secret

    # ---- OAuth ----

    def oauth_url(self, *, state: str, redirect_uri: str) -> str:
        app_id, _ = self._credentials()
        query = urlencode({"app_id": app_id, "state": state, "redirect_uri": redirect_uri})
        return f"{self.auth_base}?{query}"

    def exchange_code(self, *, code: str, redirect_uri: str) -> AdsGrant:
        app_id, secret = self._credentials()
        data = as_dict(
            self._call(
                None,
                "POST",
                "oauth2/access_token",
                body={"app_id": app_id, "secret": secret, "auth_code": code},
            )
        )
        token = data.get("access_token")
        if not isinstance(token, str) or not token:
            raise AdsUnavailable("TikTok's code exchange answered no access token")
        ids = data.get("advertiser_ids")
        scopes = data.get("scope")
        refresh = data.get("refresh_token")
        return AdsGrant(
            access_token=Secret(token),
            expires_in=as_int(data.get("expires_in")),
            refresh_token=Secret(refresh) if isinstance(refresh, str) and refresh else None,
            scopes=tuple(str(s) for s in scopes) if isinstance(scopes, list) else (),
            account_ids=tuple(str(i) for i in ids) if isinstance(ids, list) else (),
        )

    # ---- reads ----

    def list_ad_accounts(self, token: Secret) -> list[AdAccount]:
        app_id, secret = self._credentials()
        listed = as_dict(
            self._call(
                token, "GET", "oauth2/advertiser/get", params={"app_id": app_id, "secret": secret}
            )
        ).get("list")
        names: dict[str, str] = {}
        for item in listed if isinstance(listed, list) else []:
            if isinstance(item, dict) and item.get("advertiser_id"):
                names[str(item["advertiser_id"])] = str(item.get("advertiser_name") or "")
        accounts: list[AdAccount] = []
        ids = list(names)
        for start in range(0, len(ids), 100):
            info = as_dict(
                self._call(
                    token,
                    "GET",
                    "advertiser/info",
                    params={
                        "advertiser_ids": ids[start : start + 100],
                        "fields": list(ADVERTISER_FIELDS),
                    },
                )
            ).get("list")
            for item in info if isinstance(info, list) else []:
                if not isinstance(item, dict) or not item.get("advertiser_id"):
                    continue
                account_id = str(item["advertiser_id"])
                accounts.append(
                    AdAccount(
                        account_id=account_id,
                        name=str(item.get("name") or names.get(account_id) or ""),
                        currency=str(item.get("currency") or "USD"),
                        timezone=as_str(item.get("timezone")),
                        status=ADVERTISER_STATUSES.get(str(item.get("status")), "active"),
                        created_at=as_time(item.get("create_time")),
                    )
                )
        return accounts

    def list_campaigns(self, token: Secret, account_id: str) -> list[Campaign]:
        return [
            Campaign(
                campaign_id=str(item.get("campaign_id") or ""),
                account_id=account_id,
                name=str(item.get("campaign_name") or ""),
                status=parse_status(item),
                objective=as_str(item.get("objective_type")),
                daily_budget_cents=parse_budget(item, "BUDGET_MODE_DAY"),
                lifetime_budget_cents=parse_budget(item, "BUDGET_MODE_TOTAL"),
                created_at=as_time(item.get("create_time")),
            )
            for item in self._pages(token, "campaign/get", {"advertiser_id": account_id})
        ]

    def list_adsets(
        self, token: Secret, account_id: str, *, campaign_id: str | None = None
    ) -> list[Adset]:
        params: dict[str, Any] = {"advertiser_id": account_id}
        if campaign_id:
            params["filtering"] = {"campaign_ids": [campaign_id]}
        return [parse_adset(item, account_id) for item in self._pages(token, "adgroup/get", params)]

    def list_ads(self, token: Secret, account_id: str, *, adset_id: str | None = None) -> list[Ad]:
        params: dict[str, Any] = {"advertiser_id": account_id}
        if adset_id:
            params["filtering"] = {"adgroup_ids": [adset_id]}
        learning = {adset.adset_id: adset.learning for adset in self.list_adsets(token, account_id)}
        return [
            parse_ad(item, account_id, learning.get(str(item.get("adgroup_id"))))
            for item in self._pages(token, "ad/get", params)
        ]

    def ad_daily_metrics(
        self, token: Secret, account_id: str, *, since: date, until: date
    ) -> list[AdDayMetrics]:
        rows: list[AdDayMetrics] = []
        start = since
        while start <= until:
            end = min(until, start + timedelta(days=REPORT_WINDOW_DAYS - 1))
            params = {
                "advertiser_id": account_id,
                "report_type": "BASIC",
                "data_level": "AUCTION_AD",
                "dimensions": ["ad_id", "stat_time_day"],
                "metrics": list(METRICS),
                "start_date": start.isoformat(),
                "end_date": end.isoformat(),
            }
            for item in self._pages(token, "report/integrated/get", params):
                dimensions, metrics = as_dict(item.get("dimensions")), as_dict(item.get("metrics"))
                day = as_day(dimensions.get("stat_time_day"))
                if day is None or not dimensions.get("ad_id"):
                    continue
                rows.append(
                    AdDayMetrics(
                        ad_id=str(dimensions["ad_id"]),
                        day=day,
                        spend_cents=cents_from_decimal(metrics.get("spend")),
                        impressions=as_count(metrics.get("impressions")),
                        clicks=as_count(metrics.get("clicks")),
                        installs=as_count(metrics.get("conversion")),
                    )
                )
            start = end + timedelta(days=1)
        return rows

    # ---- writes ----

    def set_ad_status(
        self, token: Secret, account_id: str, ad_id: str, status: SettableStatus
    ) -> None:
        self._call(
            token,
            "POST",
            "ad/status/update",
            body={
                "advertiser_id": account_id,
                "ad_ids": [ad_id],
                "operation_status": "ENABLE" if status == "active" else "DISABLE",
            },
        )

    def set_adset_budget(
        self, token: Secret, account_id: str, adset_id: str, daily_budget_cents: int
    ) -> None:
        if daily_budget_cents <= 0:
            raise AdsRejected("A daily budget is a positive number of cents.")
        self._call(
            token,
            "POST",
            "adgroup/budget/update",
            body={
                "advertiser_id": account_id,
                "budget": [
                    {
                        "adgroup_id": adset_id,
                        "budget": Decimal(decimal_from_cents(daily_budget_cents)),
                    }
                ],
            },
        )

    def create_ad(
        self, token: Secret, account_id: str, adset_id: str, creative: AdCreativeInput
    ) -> Ad:
        identity_id = creative.identity
        identity_type = creative.options.get("identity_type", "CUSTOMIZED_USER")
        link = creative.link_url
        if identity_id is None or link is None:
            found = self._identity_in(token, account_id, adset_id)
            if identity_id is None and found[0]:
                identity_id, identity_type = found[0], found[1] or identity_type
            link = link or found[2]
        if not identity_id:
            raise AdsRejected(f"No TikTok identity to run the ad as in ad group {adset_id}.")
        ad: dict[str, Any] = {
            "ad_name": creative.name[:512],
            "identity_type": identity_type,
            "identity_id": identity_id,
            "ad_text": creative.caption[:100],
        }
        if creative.kind == "video":
            video_id, cover = self._upload_video(token, account_id, creative.media_url)
            cover_url = creative.thumbnail_url or cover
            ad["ad_format"] = "SINGLE_VIDEO"
            ad["video_id"] = video_id
            if cover_url:
                ad["image_ids"] = [self._upload_image(token, account_id, cover_url)]
        else:
            ad["ad_format"] = "SINGLE_IMAGE"
            ad["image_ids"] = [self._upload_image(token, account_id, creative.media_url)]
        if creative.call_to_action:
            ad["call_to_action"] = creative.call_to_action
        if link:
            ad["landing_page_url"] = link
        data = as_dict(
            self._call(
                token,
                "POST",
                "ad/create",
                body={"advertiser_id": account_id, "adgroup_id": adset_id, "creatives": [ad]},
            )
        )
        ids = data.get("ad_ids")
        ad_id = str(ids[0]) if isinstance(ids, list) and ids else ""
        if not ad_id:
            made = data.get("creatives")
            ad_id = (
                str(as_dict(made[0]).get("ad_id") or "") if isinstance(made, list) and made else ""
            )
        if not ad_id:
            raise AdsUnavailable("TikTok's ad create answered no ad id")
        for item in self._pages(
            token, "ad/get", {"advertiser_id": account_id, "filtering": {"ad_ids": [ad_id]}}
        ):
            return parse_ad(item, account_id, None)
        raise AdsUnavailable(f"TikTok does not list the ad it created ({ad_id})")

    def _identity_in(
        self, token: Secret, account_id: str, adset_id: str
    ) -> tuple[str | None, str | None, str | None]:
        """(identity id, identity type, landing page) of an ad already in the ad group."""
        for item in self._pages(
            token, "ad/get", {"advertiser_id": account_id, "filtering": {"adgroup_ids": [adset_id]}}
        ):
            if item.get("identity_id"):
                return (
                    str(item["identity_id"]),
                    as_str(item.get("identity_type")),
                    as_str(item.get("landing_page_url")),
                )
        return None, None, None

    def _upload_video(self, token: Secret, account_id: str, url: str) -> tuple[str, str | None]:
        data = self._call(
            token,
            "POST",
            "file/video/ad/upload",
            body={"advertiser_id": account_id, "upload_type": "UPLOAD_BY_URL", "video_url": url},
        )
        # ``data`` is a list of the uploaded videos (one here).
        first = as_dict(data[0]) if isinstance(data, list) and data else as_dict(data)
        video_id = as_str(first.get("video_id"))
        if not video_id:
            raise AdsUnavailable("TikTok's video upload answered no video id")
        return video_id, as_str(first.get("video_cover_url"))

    def _upload_image(self, token: Secret, account_id: str, url: str) -> str:
        data = self._call(
            token,
            "POST",
            "file/image/ad/upload",
            body={"advertiser_id": account_id, "upload_type": "UPLOAD_BY_URL", "image_url": url},
        )
        image_id = as_str(as_dict(data).get("image_id"))
        if not image_id:
            raise AdsUnavailable("TikTok's image upload answered no image id")
        return image_id

    def create_campaign(self, token: Secret, account_id: str, campaign: CampaignInput) -> Campaign:
        daily = campaign.daily_budget_cents is not None
        cents = campaign.daily_budget_cents if daily else campaign.lifetime_budget_cents
        body: dict[str, Any] = {
            "advertiser_id": account_id,
            "campaign_name": campaign.name,
            "objective_type": OBJECTIVES[campaign.outcome],
            "budget_mode": "BUDGET_MODE_DAY" if daily else "BUDGET_MODE_TOTAL",
            "budget": Decimal(decimal_from_cents(cents or 0)),
            "operation_status": "ENABLE" if campaign.status == "active" else "DISABLE",
        }
        if campaign.outcome == "app_installs":
            body["app_promotion_type"] = "APP_INSTALL"
        data = as_dict(self._call(token, "POST", "campaign/create", body=body))
        campaign_id = as_str(data.get("campaign_id"))
        if not campaign_id:
            raise AdsUnavailable("TikTok's campaign create answered no campaign id")
        for found in self.list_campaigns(token, account_id):
            if found.campaign_id == campaign_id:
                return found
        raise AdsUnavailable(f"TikTok does not list the campaign it created ({campaign_id})")
