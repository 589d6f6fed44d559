"""Meta Marketing API (Graph API, ``{meta_graph_base}/{GRAPH_VERSION}``): the `AdsPlatform`
for Facebook / Instagram ad accounts.

Calls (all authenticated with the ``access_token`` parameter):

* ad-account OAuth: consent at ``{meta_auth_base}/{v}/dialog/oauth`` (scopes
  ``ads_management,ads_read``); ``GET /oauth/access_token`` exchanges the code for a
  short-lived token, then once more with ``grant_type=fb_exchange_token`` for the long-lived
  one (about 60 days).
* ``GET /me/adaccounts``; ``GET /act_<id>/campaigns|adsets|ads`` with ``fields`` and
  ``limit``, following ``paging.cursors.after`` while ``paging.next`` is present. Ads ask
  for ``adset{learning_stage_info}`` so one call also says whether their ad set is learning
  (``learning_stage_info.status == "LEARNING"``).
* ``GET /act_<id>/insights?level=ad&time_increment=1&time_range={since,until}`` with
  ``spend`` (a decimal string in the account currency), ``impressions``, ``clicks``,
  ``frequency``, ``reach`` and ``actions``; installs are the ``mobile_app_install`` action
  (else ``omni_app_install``, else ``app_install`` — never their sum, they overlap).
* ``POST /{ad_id}`` ``status=ACTIVE|PAUSED``; ``POST /{adset_id}`` ``daily_budget`` in the
  currency's minor unit (what our cents are).
* A new ad: a video is uploaded by URL (``POST /act_<id>/advideos`` ``file_url``), an image
  goes by URL in ``link_data.picture``; then ``POST /act_<id>/adcreatives``
  (``object_story_spec`` with the Page, the caption as ``message``, the link and call to
  action) and ``POST /act_<id>/ads`` (``creative={"creative_id"}``, ``status=ACTIVE``).
  Without an identity, the Page (and link) of an ad already in the ad set are used.
* ``POST /act_<id>/campaigns`` with an ODAX objective (``OUTCOME_*``),
  ``special_ad_categories=[]`` and one budget.

Errors ``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}``: code 190
(and 102, 10, 200–299: the token or a permission is gone) → `AdsAuthFailed`; 4, 17, 32, 613
and 80000–80014 (ads throttling) or HTTP 429 → `AdsRateLimited`, whose ``retry_after`` is the
largest of ``X-Business-Use-Case-Usage``'s ``estimated_time_to_regain_access`` (minutes),
``X-Ad-Account-Usage``'s ``reset_time_duration`` (seconds) and ``Retry-After``; 1, 2 and 5xx
→ `AdsUnavailable`; anything else → `AdsRejected`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from typing import Any
from urllib.parse import urlencode

import httpx

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
)
from layers.ads.platforms.meta_answers import (
    ACCOUNT_STATUSES,
    as_count,
    as_day,
    as_dict,
    as_int,
    as_str,
    as_time,
    graph_error,
    is_number,
    parse_ad,
    parse_adset,
    parse_campaign,
    parse_installs,
)
from layers.ads.platforms.transport import Retrying, Sleep
from layers.kit.settings import Settings
from layers.social.vault import Secret

GRAPH_VERSION = "v22.0"
PAGE_LIMIT = 200
NODE_RE = re.compile(r"^[A-Za-z0-9_]{1,64}$")

SPEC = AdsPlatformSpec(
    name="meta",
    body_name="meta_ads",
    display_name="Meta",
    adset_word="ad set",
    max_ads_per_adset=50,
    calls_per_minute=60,
    max_retries=3,
    max_backoff_seconds=60.0,
    oauth_scopes=("ads_management", "ads_read"),
    money_unit="minor",
    reports_frequency=True,
    reports_learning=True,
    min_daily_budget_cents=100,
)

OBJECTIVES = {
    "conversions": "OUTCOME_SALES",
    "traffic": "OUTCOME_TRAFFIC",
    "app_installs": "OUTCOME_APP_PROMOTION",
    "engagement": "OUTCOME_ENGAGEMENT",
    "lead_generation": "OUTCOME_LEADS",
}
CAMPAIGN_FIELDS = (
    "id,name,status,effective_status,objective,daily_budget,lifetime_budget,created_time"
)
ADSET_FIELDS = (
    "id,name,campaign_id,status,effective_status,daily_budget,lifetime_budget,created_time,"
    "bid_amount,learning_stage_info"
)
AD_FIELDS = (
    "id,name,adset_id,campaign_id,status,effective_status,created_time,"
    "creative{id,video_id,image_url,thumbnail_url},adset{learning_stage_info}"
)
INSIGHT_FIELDS = "ad_id,date_start,spend,impressions,clicks,frequency,reach,actions"


def node(object_id: str) -> str:
    """A Graph object id as a path segment; anything but letters, digits and ``_`` is
    refused (an id never carries a path of its own)."""
    if not NODE_RE.match(object_id):
        raise AdsRejected(f"{object_id!r} is not a Meta object id.")
    return object_id


def act(account_id: str) -> str:
    """``123`` or ``act_123`` → ``act_123``."""
    return node(account_id if account_id.startswith("act_") else f"act_{account_id}")


class MetaAds:
    spec: AdsPlatformSpec = SPEC

    def __init__(
        self, settings: Settings, *, sleep: Sleep | None = None, page_limit: int = PAGE_LIMIT
    ) -> None:
        self.page_limit = page_limit
        self.base = f"{settings.meta_graph_base.rstrip('/')}/{GRAPH_VERSION}"
        self.auth_base = settings.meta_auth_base.rstrip("/")
        self.app_id = settings.meta_app_id
        self.app_secret = settings.meta_app_secret
        self.retrying = Retrying(SPEC, sleep)

    # ---- plumbing ----

    def _call(
        self, token: Secret | None, method: str, path: str, params: dict[str, str]
    ) -> dict[str, Any]:
        auth = {"access_token": token.reveal()} if token is not None else {}
        where = "params" if method == "GET" else "data"
        url = f"{self.base}/{path}"

        def once() -> httpx.Response:
            return transport.send(
                SPEC.name, method, url, parse_error=graph_error, **{where: {**params, **auth}}
            )

        body = transport.json_of(SPEC.name, self.retrying.call(once))
        if not isinstance(body, dict):
            raise AdsUnavailable("Meta answered with JSON that is not an object")
        return body

    def _pages(self, token: Secret, path: str, params: dict[str, str]) -> Iterator[dict[str, Any]]:
        query = {**params, "limit": str(self.page_limit)}
        while True:
            body = self._call(token, "GET", path, query)
            data = body.get("data")
            for item in data if isinstance(data, list) else []:
                if isinstance(item, dict):
                    yield item
            paging = as_dict(body.get("paging"))
            after = as_dict(paging.get("cursors")).get("after")
            if not paging.get("next") or not isinstance(after, str) or not after:
                return
            query = {**query, "after": after}

    def _credentials(self) -> tuple[str, str]:
        if not self.app_id or not self.app_secret:
            raise AdsRejected("Meta ads are not configured (LAYERS_META_APP_ID / _SECRET).")
        return self.app_id, self.app_secret

    # ---- OAuth ----

    def oauth_url(self, *, state: str, redirect_uri: str) -> str:
        app_id, _ = self._credentials()
        query = urlencode(
            {
                "client_id": app_id,
                "redirect_uri": redirect_uri,
                "state": state,
                "scope": ",".join(SPEC.oauth_scopes),
                "response_type": "code",
            }
        )
        return f"{self.auth_base}/{GRAPH_VERSION}/dialog/oauth?{query}"

    def exchange_code(self, *, code: str, redirect_uri: str) -> AdsGrant:
        app_id, secret = self._credentials()
        short = self._call(
            None,
            "GET",
            "oauth/access_token",
            {
                "client_id": app_id,
                "client_secret": secret,
                "redirect_uri": redirect_uri,
                "code": code,
            },
        )
        short_token = short.get("access_token")
        if not isinstance(short_token, str) or not short_token:
            raise AdsUnavailable("Meta's code exchange answered no access token")
        long = self._call(
            None,
            "GET",
            "oauth/access_token",
            {
                "grant_type": "fb_exchange_token",
                "client_id": app_id,
                "client_secret": secret,
                "fb_exchange_token": short_token,
            },
        )
        token = long.get("access_token")
        if not isinstance(token, str) or not token:
            raise AdsUnavailable("Meta's token exchange answered no access token")
        return AdsGrant(
            access_token=Secret(token),
            expires_in=as_int(long.get("expires_in")),
            scopes=SPEC.oauth_scopes,
        )

    # ---- reads ----

    def list_ad_accounts(self, token: Secret) -> list[AdAccount]:
        fields = "id,account_id,name,currency,timezone_name,account_status,created_time"
        return [
            AdAccount(
                account_id=act(str(item.get("account_id") or item["id"])),
                name=str(item.get("name") or ""),
                currency=str(item.get("currency") or "USD"),
                timezone=as_str(item.get("timezone_name")),
                status=ACCOUNT_STATUSES.get(as_int(item.get("account_status")) or 0, "disabled"),
                created_at=as_time(item.get("created_time")),
            )
            for item in self._pages(token, "me/adaccounts", {"fields": fields})
            if item.get("id") or item.get("account_id")
        ]

    def list_campaigns(self, token: Secret, account_id: str) -> list[Campaign]:
        return [
            parse_campaign(item, act(account_id))
            for item in self._pages(
                token, f"{act(account_id)}/campaigns", {"fields": CAMPAIGN_FIELDS}
            )
        ]

    def list_adsets(
        self, token: Secret, account_id: str, *, campaign_id: str | None = None
    ) -> list[Adset]:
        path = f"{node(campaign_id)}/adsets" if campaign_id else f"{act(account_id)}/adsets"
        return [
            parse_adset(item, act(account_id))
            for item in self._pages(token, path, {"fields": ADSET_FIELDS})
        ]

    def list_ads(self, token: Secret, account_id: str, *, adset_id: str | None = None) -> list[Ad]:
        path = f"{node(adset_id)}/ads" if adset_id else f"{act(account_id)}/ads"
        return [
            parse_ad(item, act(account_id))
            for item in self._pages(token, path, {"fields": AD_FIELDS})
        ]

    def ad_daily_metrics(
        self, token: Secret, account_id: str, *, since: date, until: date
    ) -> list[AdDayMetrics]:
        params = {
            "level": "ad",
            "time_increment": "1",
            "time_range": json.dumps({"since": since.isoformat(), "until": until.isoformat()}),
            "fields": INSIGHT_FIELDS,
        }
        rows: list[AdDayMetrics] = []
        for item in self._pages(token, f"{act(account_id)}/insights", params):
            day = as_day(item.get("date_start"))
            if day is None or not item.get("ad_id"):
                continue
            frequency = item.get("frequency")
            rows.append(
                AdDayMetrics(
                    ad_id=str(item["ad_id"]),
                    day=day,
                    spend_cents=cents_from_decimal(item.get("spend")),
                    impressions=as_count(item.get("impressions")),
                    clicks=as_count(item.get("clicks")),
                    installs=parse_installs(item.get("actions")),
                    frequency=float(str(frequency)) if is_number(frequency) else None,
                    reach=as_count(item.get("reach")) if item.get("reach") is not None else None,
                )
            )
        return rows

    # ---- writes ----

    def set_ad_status(
        self, token: Secret, account_id: str, ad_id: str, status: SettableStatus
    ) -> None:
        self._call(
            token, "POST", node(ad_id), {"status": "ACTIVE" if status == "active" else "PAUSED"}
        )

    def set_adset_budget(
        self, token: Secret, account_id: str, adset_id: str, daily_budget_cents: int
    ) -> None:
        if daily_budget_cents <= 0:
            raise AdsRejected("A daily budget is a positive number of cents.")
        self._call(token, "POST", node(adset_id), {"daily_budget": str(int(daily_budget_cents))})

    def create_ad(
        self, token: Secret, account_id: str, adset_id: str, creative: AdCreativeInput
    ) -> Ad:
        account = act(account_id)
        page_id, link = creative.identity, creative.link_url
        if page_id is None or link is None:
            found_page, found_link = self._identity_in(token, adset_id)
            page_id, link = page_id or found_page, link or found_link
        if not page_id:
            raise AdsRejected(f"No Facebook Page to run the ad as in ad set {adset_id}.")
        call_to_action: dict[str, Any] = {"type": creative.call_to_action or "INSTALL_MOBILE_APP"}
        if link:
            call_to_action["value"] = {"link": link}
        spec: dict[str, Any] = {"page_id": page_id}
        if "instagram_user_id" in creative.options:
            spec["instagram_user_id"] = creative.options["instagram_user_id"]
        if creative.kind == "video":
            video = self._call(
                token, "POST", f"{account}/advideos", {"file_url": creative.media_url}
            )
            video_id = str(video.get("id") or "")
            if not video_id:
                raise AdsUnavailable("Meta's video upload answered no id")
            video_data: dict[str, Any] = {
                "video_id": video_id,
                "message": creative.caption,
                "call_to_action": call_to_action,
            }
            thumbnail = creative.thumbnail_url or self._video_picture(token, video_id)
            if thumbnail:
                video_data["image_url"] = thumbnail
            spec["video_data"] = video_data
        else:
            link_data: dict[str, Any] = {
                "picture": creative.media_url,
                "message": creative.caption,
                "call_to_action": call_to_action,
            }
            if link:
                link_data["link"] = link
            spec["link_data"] = link_data
        made = self._call(
            token,
            "POST",
            f"{account}/adcreatives",
            {"name": creative.name[:100], "object_story_spec": json.dumps(spec)},
        )
        creative_id = str(made.get("id") or "")
        if not creative_id:
            raise AdsUnavailable("Meta's creative create answered no id")
        ad = self._call(
            token,
            "POST",
            f"{account}/ads",
            {
                "name": creative.name[:400],
                "adset_id": adset_id,
                "creative": json.dumps({"creative_id": creative_id}),
                "status": "ACTIVE",
            },
        )
        ad_id = str(ad.get("id") or "")
        if not ad_id:
            raise AdsUnavailable("Meta's ad create answered no id")
        return parse_ad(self._call(token, "GET", node(ad_id), {"fields": AD_FIELDS}), account)

    def _identity_in(self, token: Secret, adset_id: str) -> tuple[str | None, str | None]:
        """The Page and link of an ad already in the ad set (None, None if it has none)."""
        body = self._call(
            token,
            "GET",
            f"{node(adset_id)}/ads",
            {"fields": "creative{object_story_spec}", "limit": "5"},
        )
        data = body.get("data")
        for item in data if isinstance(data, list) else []:
            spec = as_dict(as_dict(as_dict(item).get("creative")).get("object_story_spec"))
            if not spec.get("page_id"):
                continue
            story = as_dict(spec.get("video_data") or spec.get("link_data"))
            link = story.get("link") or as_dict(
                as_dict(story.get("call_to_action")).get("value")
            ).get("link")
            return str(spec["page_id"]), (str(link) if link else None)
        return None, None

    def _video_picture(self, token: Secret, video_id: str) -> str | None:
        try:
            body = self._call(token, "GET", node(video_id), {"fields": "picture"})
        except AdsRejected:
            return None
        return as_str(body.get("picture"))

    def create_campaign(self, token: Secret, account_id: str, campaign: CampaignInput) -> Campaign:
        params: dict[str, str] = {
            "name": campaign.name,
            "objective": OBJECTIVES[campaign.outcome],
            "status": "ACTIVE" if campaign.status == "active" else "PAUSED",
            "special_ad_categories": "[]",
        }
        if campaign.daily_budget_cents is not None:
            params["daily_budget"] = str(campaign.daily_budget_cents)
        if campaign.lifetime_budget_cents is not None:
            params["lifetime_budget"] = str(campaign.lifetime_budget_cents)
        if campaign.bid_strategy:
            params["bid_strategy"] = campaign.bid_strategy
        if campaign.start_time:
            params["start_time"] = campaign.start_time.isoformat()
        if campaign.end_time:
            params["stop_time"] = campaign.end_time.isoformat()
        made = self._call(token, "POST", f"{act(account_id)}/campaigns", params)
        campaign_id = str(made.get("id") or "")
        if not campaign_id:
            raise AdsUnavailable("Meta's campaign create answered no id")
        body = self._call(token, "GET", node(campaign_id), {"fields": CAMPAIGN_FIELDS})
        return parse_campaign(body, act(account_id))
