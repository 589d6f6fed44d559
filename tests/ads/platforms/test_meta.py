"""The real Meta Marketing API client against the fake Graph API."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from layers.ads.platforms.base import (
    AdCreativeInput,
    AdsAuthFailed,
    AdsRateLimited,
    AdsRejected,
    CampaignInput,
)
from layers.ads.platforms.meta import MetaAds
from layers.kit.settings import Settings
from layers.social.vault import Secret
from tests.ads.platforms.conftest import Sleeps
from tests.ads.platforms.fake_ads import META_ACCOUNT, META_TOKEN, FakeAds

TOKEN = Secret(META_TOKEN)


def seed(fake: FakeAds, ads: int = 5) -> None:
    """One campaign, two ad sets (one learning), `ads` ads in the first, insights rows."""
    m = fake.meta
    m["campaigns"]["c1"] = {
        "id": "c1",
        "name": "Installs",
        "status": "ACTIVE",
        "effective_status": "ACTIVE",
        "objective": "OUTCOME_APP_PROMOTION",
        "daily_budget": "0",
        "created_time": "2026-10-01T08:00:00+0000",
    }
    m["adsets"]["s1"] = {
        "id": "s1",
        "name": "Broad",
        "campaign_id": "c1",
        "status": "ACTIVE",
        "effective_status": "ACTIVE",
        "daily_budget": "5000",
        "created_time": "2026-10-01T08:00:00+0000",
        "learning_stage_info": {"status": "SUCCESS"},
    }
    m["adsets"]["s2"] = {
        "id": "s2",
        "name": "New",
        "campaign_id": "c1",
        "status": "ACTIVE",
        "effective_status": "ACTIVE",
        "daily_budget": "2050",
        "created_time": "2026-11-01T08:00:00+0000",
        "learning_stage_info": {"status": "LEARNING"},
    }
    m["creatives"]["cr0"] = {
        "id": "cr0",
        "object_story_spec": {
            "page_id": "page-77",
            "video_data": {
                "video_id": "v0",
                "call_to_action": {
                    "type": "INSTALL_MOBILE_APP",
                    "value": {"link": "https://apps.example/app"},
                },
            },
        },
    }
    for i in range(ads):
        m["ads"][f"a{i}"] = {
            "id": f"a{i}",
            "name": f"Ad {i}",
            "adset_id": "s1",
            "campaign_id": "c1",
            "status": "ACTIVE" if i else "PAUSED",
            "effective_status": "DISAPPROVED" if i == 4 else ("ACTIVE" if i else "PAUSED"),
            "created_time": f"2026-10-0{i + 1}T08:00:00+0000",
            "creative": {"id": "cr0"},
        }
    m["ads"]["b0"] = {
        "id": "b0",
        "name": "Learning ad",
        "adset_id": "s2",
        "campaign_id": "c1",
        "status": "ACTIVE",
        "effective_status": "ACTIVE",
        "created_time": "2026-11-01T09:00:00+0000",
        "creative": {"id": "cr0"},
    }


def client(settings: Settings, sleeps: Sleeps | None = None, page_limit: int = 2) -> MetaAds:
    return MetaAds(settings, sleep=sleeps, page_limit=page_limit)


def test_lists_follow_cursor_paging_and_read_money_in_cents(
    fake: FakeAds, ads_settings: Settings
) -> None:
    seed(fake)
    meta = client(ads_settings)

    ads = meta.list_ads(TOKEN, META_ACCOUNT)
    assert [a.ad_id for a in ads] == ["a0", "a1", "a2", "a3", "a4", "b0"]
    # six ads, two a page: three calls, the later ones carrying the `after` cursor
    calls = fake.calls_to(f"{META_ACCOUNT}/ads")
    assert len(calls) == 3 and "after" not in calls[0].params and calls[2].params["after"]
    assert [a.status for a in ads][:5] == ["paused", "active", "active", "active", "rejected"]
    assert ads[0].created_at == datetime(2026, 10, 1, 8, tzinfo=UTC)
    assert [a.learning for a in ads] == [False] * 5 + [True]

    adsets = {a.adset_id: a for a in meta.list_adsets(TOKEN, "1001")}  # without the act_ prefix
    assert adsets["s1"].daily_budget_cents == 5000 and adsets["s2"].daily_budget_cents == 2050
    assert adsets["s2"].learning is True and adsets["s1"].learning is False
    fake.meta["adsets"]["s3"] = {**fake.meta["adsets"]["s1"], "id": "s3", "campaign_id": "c2"}
    assert [s.adset_id for s in meta.list_adsets(TOKEN, META_ACCOUNT, campaign_id="c1")] == [
        "s1",
        "s2",
    ]
    fake.meta["campaigns"]["c2"] = {**fake.meta["campaigns"]["c1"], "id": "c2"}
    assert [s.adset_id for s in meta.list_adsets(TOKEN, META_ACCOUNT, campaign_id="c2")] == ["s3"]
    campaigns = meta.list_campaigns(TOKEN, META_ACCOUNT)
    assert len(campaigns) == 2
    assert campaigns[0].daily_budget_cents is None  # "0": no budget at the campaign level
    assert campaigns[0].objective == "OUTCOME_APP_PROMOTION"

    accounts = meta.list_ad_accounts(TOKEN)
    assert [(a.account_id, a.currency, a.status) for a in accounts] == [
        (META_ACCOUNT, "EUR", "active")
    ]


def test_insights_are_per_ad_per_day_with_exact_cents_and_installs(
    fake: FakeAds, ads_settings: Settings
) -> None:
    fake.meta_insights = [
        {
            "ad_id": "a1",
            "date_start": "2026-11-01",
            "date_stop": "2026-11-01",
            "spend": "12.345",
            "impressions": "1000",
            "clicks": "31",
            "frequency": "1.8",
            "reach": "555",
            "actions": [
                {"action_type": "link_click", "value": "31"},
                {"action_type": "omni_app_install", "value": "4"},
                {"action_type": "mobile_app_install", "value": "3"},
            ],
        },
        {
            "ad_id": "a1",
            "date_start": "2026-11-02",
            "spend": "0.29",
            "impressions": "20",
            "clicks": "0",
        },
        {"ad_id": "a2", "date_start": "2026-11-02", "spend": "1000000.10", "impressions": "7"},
        {"ad_id": "a2", "date_start": "2026-10-01", "spend": "9"},  # outside the window
    ]
    rows = client(ads_settings).ad_daily_metrics(
        TOKEN, META_ACCOUNT, since=date(2026, 11, 1), until=date(2026, 11, 2)
    )
    assert [(r.ad_id, r.day, r.spend_cents, r.installs) for r in rows] == [
        ("a1", date(2026, 11, 1), 1235, 3),  # half up; installs never double count
        ("a1", date(2026, 11, 2), 29, 0),  # 0.29 is 29 cents, not 28
        ("a2", date(2026, 11, 2), 100000010, 0),
    ]
    assert rows[0].frequency == 1.8 and rows[0].reach == 555 and rows[0].clicks == 31
    assert rows[1].frequency is None
    calls = fake.calls_to("insights")
    assert len(calls) == 2  # three rows, two a page
    assert calls[0].params["level"] == "ad" and calls[0].params["time_increment"] == "1"
    assert json.loads(calls[0].params["time_range"]) == {
        "since": "2026-11-01",
        "until": "2026-11-02",
    }


def test_throttling_backs_off_then_succeeds(
    fake: FakeAds, ads_settings: Settings, sleeps: Sleeps
) -> None:
    seed(fake)
    usage = {"1001": [{"type": "ads_management", "estimated_time_to_regain_access": 1}]}
    fake.fault("adsets", code=80004, headers={"x-business-use-case-usage": json.dumps(usage)})
    fake.fault("adsets", status=429, code=4, headers={"retry-after": "3"})

    adsets = client(ads_settings, sleeps).list_adsets(TOKEN, META_ACCOUNT)

    assert len(adsets) == 2
    assert sleeps.waits == [60.0, 3.0]  # one minute to regain access, then Retry-After
    assert len(fake.calls_to("adsets")) == 3


def test_throttling_that_does_not_end_raises_rate_limited(
    fake: FakeAds, ads_settings: Settings, sleeps: Sleeps
) -> None:
    fake.fault("campaigns", code=17, times=10)
    with pytest.raises(AdsRateLimited) as caught:
        client(ads_settings, sleeps).list_campaigns(TOKEN, META_ACCOUNT)
    assert len(sleeps.waits) == 3 and len(fake.calls_to("campaigns")) == 4
    assert caught.value.platform_code == "17"

    # a wait longer than a minute is not slept through: raised at once with its retry_after
    sleeps.waits.clear()
    usage = {"1": [{"estimated_time_to_regain_access": 30}]}
    fake.fault("ads", code=80000, headers={"x-business-use-case-usage": json.dumps(usage)})
    with pytest.raises(AdsRateLimited) as caught:
        client(ads_settings, sleeps).list_ads(TOKEN, META_ACCOUNT)
    assert caught.value.retry_after == 1800.0 and sleeps.waits == []


def test_a_revoked_token_is_auth_failed(fake: FakeAds, ads_settings: Settings) -> None:
    seed(fake)
    fake.revoked.add(META_TOKEN)
    with pytest.raises(AdsAuthFailed) as caught:
        client(ads_settings).list_ads(TOKEN, META_ACCOUNT)
    assert caught.value.platform_code == "190/460"
    assert META_TOKEN not in str(caught.value)
    with pytest.raises(AdsAuthFailed):
        client(ads_settings).set_ad_status(TOKEN, META_ACCOUNT, "a1", "paused")
    assert fake.meta["ads"]["a1"]["status"] == "ACTIVE"


def test_writes_pause_and_budget_are_seen_by_the_next_read(
    fake: FakeAds, ads_settings: Settings
) -> None:
    seed(fake)
    meta = client(ads_settings)
    meta.set_ad_status(TOKEN, META_ACCOUNT, "a1", "paused")
    meta.set_adset_budget(TOKEN, META_ACCOUNT, "s1", 7525)

    (post,) = fake.calls_to("/a1", "POST")
    assert post.body["status"] == "PAUSED" and post.body["access_token"] == META_TOKEN
    assert fake.calls_to("/s1", "POST")[0].body["daily_budget"] == "7525"
    by_id = {a.ad_id: a for a in meta.list_ads(TOKEN, META_ACCOUNT)}
    assert by_id["a1"].status == "paused"
    assert {s.adset_id: s.daily_budget_cents for s in meta.list_adsets(TOKEN, META_ACCOUNT)}[
        "s1"
    ] == 7525
    with pytest.raises(AdsRejected):
        meta.set_adset_budget(TOKEN, META_ACCOUNT, "s1", 0)
    calls = len(fake.calls)
    with pytest.raises(AdsRejected, match="not a Meta object id"):
        meta.set_ad_status(TOKEN, META_ACCOUNT, "a1/adcreatives", "paused")
    assert len(fake.calls) == calls  # refused before any request


def test_create_ad_from_a_video_url_reuses_the_ad_sets_page(
    fake: FakeAds, ads_settings: Settings
) -> None:
    seed(fake)
    creative = AdCreativeInput(
        kind="video",
        media_url="https://media.example/clip.mp4",
        caption="Make coffee at home #coffee",
        name="Replacement: clip",
    )
    ad = client(ads_settings).create_ad(TOKEN, META_ACCOUNT, "s1", creative)

    assert ad.adset_id == "s1" and ad.campaign_id == "c1" and ad.status == "in_review"
    (video,) = fake.meta["videos"].values()
    assert video["source"] == "https://media.example/clip.mp4"
    made = fake.meta["creatives"][ad.creative_id or ""]
    spec = made["object_story_spec"]
    assert spec["page_id"] == "page-77"
    assert spec["video_data"]["video_id"] == video["id"]
    assert spec["video_data"]["message"] == "Make coffee at home #coffee"
    assert spec["video_data"]["image_url"] == video["picture"]
    assert spec["video_data"]["call_to_action"]["value"]["link"] == "https://apps.example/app"
    assert fake.meta["ads"][ad.ad_id]["status"] == "ACTIVE"


def test_create_ad_from_an_image_with_an_explicit_page(
    fake: FakeAds, ads_settings: Settings
) -> None:
    seed(fake)
    creative = AdCreativeInput(
        kind="image",
        media_url="https://media.example/slide.jpg",
        caption="Swipe",
        name="Slide",
        identity="page-9",
        link_url="https://apps.example/other",
    )
    ad = client(ads_settings).create_ad(TOKEN, META_ACCOUNT, "s2", creative)
    spec = fake.meta["creatives"][ad.creative_id or ""]["object_story_spec"]
    assert spec == {
        "page_id": "page-9",
        "link_data": {
            "picture": "https://media.example/slide.jpg",
            "message": "Swipe",
            "call_to_action": {
                "type": "INSTALL_MOBILE_APP",
                "value": {"link": "https://apps.example/other"},
            },
            "link": "https://apps.example/other",
        },
    }
    assert not fake.calls_to("advideos")


def test_create_campaign(fake: FakeAds, ads_settings: Settings) -> None:
    campaign = client(ads_settings).create_campaign(
        TOKEN,
        META_ACCOUNT,
        CampaignInput(name="Q1 installs", outcome="app_installs", daily_budget_cents=2500),
    )
    assert campaign.name == "Q1 installs" and campaign.daily_budget_cents == 2500
    assert campaign.objective == "OUTCOME_APP_PROMOTION" and campaign.status == "paused"
    (post,) = fake.calls_to(f"{META_ACCOUNT}/campaigns", "POST")
    assert post.body["special_ad_categories"] == "[]" and post.body["daily_budget"] == "2500"


def test_oauth_url_and_code_exchange(fake: FakeAds, ads_settings: Settings) -> None:
    meta = client(ads_settings)
    url = meta.oauth_url(state="st-1", redirect_uri="https://app.example/cb")
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert parts.path == "/v22.0/dialog/oauth"
    assert query["state"] == ["st-1"] and query["client_id"] == ["meta-app-1"]
    assert query["scope"] == ["ads_management,ads_read"]
    assert query["redirect_uri"] == ["https://app.example/cb"]

    grant = meta.exchange_code(code="meta-code", redirect_uri="https://app.example/cb")
    assert grant.access_token == Secret(META_TOKEN) and grant.expires_in == 5183944
    exchanges = fake.calls_to("oauth/access_token")
    assert exchanges[0].params["code"] == "meta-code"
    assert exchanges[1].params["grant_type"] == "fb_exchange_token"
    with pytest.raises(AdsRejected):
        meta.exchange_code(code="used", redirect_uri="https://app.example/cb")


def test_unconfigured_app_is_a_clear_error(ads_settings: Settings) -> None:
    settings = ads_settings.model_copy(update={"meta_app_id": None})
    with pytest.raises(AdsRejected, match="not configured"):
        MetaAds(settings).oauth_url(state="s", redirect_uri="https://app.example/cb")
