"""The real TikTok API for Business client against the fake."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest

from layers.ads.platforms.base import (
    AdCreativeInput,
    AdsAuthFailed,
    AdsRateLimited,
    AdsRejected,
    AdsUnavailable,
    CampaignInput,
)
from layers.ads.platforms.tiktok import TikTokAds
from layers.kit.settings import Settings
from layers.social.vault import Secret
from tests.ads.platforms.conftest import Sleeps
from tests.ads.platforms.fake_ads import TT_ACCOUNT, TT_TOKEN, FakeAds

TOKEN = Secret(TT_TOKEN)


def seed(fake: FakeAds, ads: int = 5) -> None:
    t = fake.tt
    t["campaigns"]["c1"] = {
        "campaign_id": "c1",
        "campaign_name": "Installs",
        "objective_type": "APP_PROMOTION",
        "budget_mode": "BUDGET_MODE_INFINITE",
        "budget": 0.0,
        "operation_status": "ENABLE",
        "create_time": "2026-10-01 08:00:00",
    }
    t["adgroups"]["g1"] = {
        "adgroup_id": "g1",
        "campaign_id": "c1",
        "adgroup_name": "Broad",
        "operation_status": "ENABLE",
        "secondary_status": "ADGROUP_STATUS_DELIVERY_OK",
        "budget_mode": "BUDGET_MODE_DAY",
        "budget": 50.1,
        "create_time": "2026-10-01 08:00:00",
    }
    t["adgroups"]["g2"] = {
        "adgroup_id": "g2",
        "campaign_id": "c1",
        "adgroup_name": "New",
        "operation_status": "ENABLE",
        "secondary_status": "ADGROUP_STATUS_LEARNING",
        "budget_mode": "BUDGET_MODE_DAY",
        "budget": 20.29,
        "create_time": "2026-11-01 08:00:00",
    }
    for i in range(ads):
        t["ads"][f"a{i}"] = {
            "ad_id": f"a{i}",
            "ad_name": f"Ad {i}",
            "adgroup_id": "g1" if i < ads - 1 else "g2",
            "campaign_id": "c1",
            "operation_status": "ENABLE" if i else "DISABLE",
            "secondary_status": "AD_STATUS_NOT_APPROVE" if i == 3 else "AD_STATUS_DELIVERY_OK",
            "create_time": f"2026-10-0{i + 1} 08:00:00",
            "identity_id": "ident-5",
            "identity_type": "BC_AUTH_TT",
            "landing_page_url": "https://apps.example/tt",
            "video_id": f"v{i}",
        }


def client(settings: Settings, sleeps: Sleeps | None = None, page_size: int = 2) -> TikTokAds:
    return TikTokAds(settings, sleep=sleeps, page_size=page_size)


def test_lists_follow_page_numbers_and_read_budgets_exactly(
    fake: FakeAds, ads_settings: Settings
) -> None:
    seed(fake)
    tiktok = client(ads_settings)

    ads = tiktok.list_ads(TOKEN, TT_ACCOUNT)
    assert [a.ad_id for a in ads] == ["a0", "a1", "a2", "a3", "a4"]
    pages = [c.params["page"] for c in fake.calls_to("ad/get")]
    assert pages == ["1", "2", "3"]  # five ads, two a page
    assert {c.token for c in fake.calls_to("ad/get")} == {TT_TOKEN}
    assert all("access_token" not in c.params for c in fake.calls)  # a header, not the URL
    assert [a.status for a in ads] == ["paused", "active", "active", "rejected", "active"]
    assert [a.learning for a in ads] == [False, False, False, False, True]
    assert ads[0].created_at == datetime(2026, 10, 1, 8, tzinfo=UTC)

    adsets = {a.adset_id: a for a in tiktok.list_adsets(TOKEN, TT_ACCOUNT)}
    assert adsets["g1"].daily_budget_cents == 5010  # 50.1, not 5009
    assert adsets["g2"].daily_budget_cents == 2029  # 20.29, not 2028
    assert adsets["g2"].learning is True
    (campaign,) = tiktok.list_campaigns(TOKEN, TT_ACCOUNT)
    assert campaign.daily_budget_cents is None and campaign.lifetime_budget_cents is None

    only = tiktok.list_ads(TOKEN, TT_ACCOUNT, adset_id="g2")
    assert [a.ad_id for a in only] == ["a4"]
    assert json.loads(fake.calls_to("ad/get")[-1].params["filtering"]) == {"adgroup_ids": ["g2"]}

    (account,) = tiktok.list_ad_accounts(TOKEN)
    assert (account.account_id, account.name, account.currency) == (
        TT_ACCOUNT,
        "Acme TikTok",
        "USD",
    )
    assert account.created_at == datetime.fromtimestamp(1735787045, UTC)


def test_the_integrated_report_per_ad_per_day(fake: FakeAds, ads_settings: Settings) -> None:
    def row(ad: str, day: str, spend: str, conversion: str) -> dict[str, object]:
        return {
            "dimensions": {"ad_id": ad, "stat_time_day": f"{day} 00:00:00"},
            "metrics": {
                "spend": spend,
                "impressions": "1200",
                "clicks": "30",
                "conversion": conversion,
            },
        }

    fake.tt_report = [
        row("a1", "2026-09-20", "1.00", "1"),
        row("a1", "2026-10-20", "10.125", "2"),
        row("a2", "2026-10-21", "0.57", "0"),
        row("a1", "2026-11-01", "99.99", "7"),
    ]
    rows = client(ads_settings).ad_daily_metrics(
        TOKEN, TT_ACCOUNT, since=date(2026, 9, 20), until=date(2026, 11, 1)
    )
    assert [(r.ad_id, r.day.isoformat(), r.spend_cents, r.installs) for r in rows] == [
        ("a1", "2026-09-20", 100, 1),
        ("a1", "2026-10-20", 1013, 2),
        ("a2", "2026-10-21", 57, 0),
        ("a1", "2026-11-01", 9999, 7),
    ]
    assert rows[0].impressions == 1200 and rows[0].clicks == 30 and rows[0].frequency is None
    # 43 days: two windows of at most 30 days (the API's limit with stat_time_day)
    windows = [
        (c.params["start_date"], c.params["end_date"])
        for c in fake.calls_to("report/integrated/get")
        if c.params["page"] == "1"
    ]
    assert windows == [("2026-09-20", "2026-10-19"), ("2026-10-20", "2026-11-01")]
    call = fake.calls_to("report/integrated/get")[0]
    assert json.loads(call.params["metrics"]) == ["spend", "impressions", "clicks", "conversion"]


def test_rate_limit_codes_back_off_then_succeed(
    fake: FakeAds, ads_settings: Settings, sleeps: Sleeps
) -> None:
    seed(fake)
    fake.fault("adgroup/get", status=200, code=40100)
    fake.fault("adgroup/get", status=429, code=40100, headers={"retry-after": "2"})
    adsets = client(ads_settings, sleeps).list_adsets(TOKEN, TT_ACCOUNT)
    assert len(adsets) == 2
    assert sleeps.waits == [5.0, 2.0]  # the code's default wait, then Retry-After
    assert len(fake.calls_to("adgroup/get")) == 3

    fake.fault("campaign/get", status=200, code=40100, times=9)
    with pytest.raises(AdsRateLimited):
        client(ads_settings, sleeps).list_campaigns(TOKEN, TT_ACCOUNT)
    assert len(fake.calls_to("campaign/get")) == 4


def test_a_revoked_token_is_auth_failed_and_server_trouble_unavailable(
    fake: FakeAds, ads_settings: Settings
) -> None:
    seed(fake)
    fake.revoked.add(TT_TOKEN)
    with pytest.raises(AdsAuthFailed) as caught:
        client(ads_settings).set_ad_status(TOKEN, TT_ACCOUNT, "a1", "paused")
    assert caught.value.platform_code == "40105"
    assert fake.tt["ads"]["a1"]["operation_status"] == "ENABLE"
    fake.revoked.clear()
    fake.fault("ad/get", status=200, code=51000)
    with pytest.raises(AdsUnavailable):
        client(ads_settings).list_ads(TOKEN, TT_ACCOUNT)
    fake.fault("ad/get", status=200, code=40002)
    with pytest.raises(AdsRejected):
        client(ads_settings).list_ads(TOKEN, TT_ACCOUNT)


def test_writes_status_and_budget(fake: FakeAds, ads_settings: Settings) -> None:
    seed(fake)
    tiktok = client(ads_settings)
    tiktok.set_ad_status(TOKEN, TT_ACCOUNT, "a1", "paused")
    tiktok.set_adset_budget(TOKEN, TT_ACCOUNT, "g1", 7530)

    (status,) = fake.calls_to("ad/status/update")
    assert status.body == {
        "advertiser_id": TT_ACCOUNT,
        "ad_ids": ["a1"],
        "operation_status": "DISABLE",
    }
    (budget,) = fake.calls_to("adgroup/budget/update")
    assert budget.body["budget"] == [{"adgroup_id": "g1", "budget": 75.3}]
    assert Decimal(str(budget.body["budget"][0]["budget"])) * 100 == 7530
    by_id = {a.ad_id: a for a in tiktok.list_ads(TOKEN, TT_ACCOUNT)}
    assert by_id["a1"].status == "paused"
    assert {g.adset_id: g.daily_budget_cents for g in tiktok.list_adsets(TOKEN, TT_ACCOUNT)}[
        "g1"
    ] == 7530


def test_create_ad_from_a_video_url(fake: FakeAds, ads_settings: Settings) -> None:
    seed(fake)
    creative = AdCreativeInput(
        kind="video",
        media_url="https://media.example/clip.mp4",
        caption="Make coffee at home",
        name="Replacement: clip",
    )
    ad = client(ads_settings).create_ad(TOKEN, TT_ACCOUNT, "g1", creative)

    assert ad.adset_id == "g1" and ad.status == "active" and ad.name == "Replacement: clip"
    (video,) = fake.tt["videos"].values()
    assert video["url"] == "https://media.example/clip.mp4"
    (cover,) = fake.tt["images"].values()
    assert cover["url"] == video["video_cover_url"]  # the video's own cover
    made = fake.tt["ads"][ad.ad_id]
    assert made["ad_format"] == "SINGLE_VIDEO" and made["video_id"] == video["video_id"]
    assert made["image_ids"] == [cover["image_id"]]
    assert made["ad_text"] == "Make coffee at home"
    assert (made["identity_id"], made["identity_type"]) == ("ident-5", "BC_AUTH_TT")
    assert made["landing_page_url"] == "https://apps.example/tt"


def test_create_ad_from_an_image_needs_an_identity(fake: FakeAds, ads_settings: Settings) -> None:
    creative = AdCreativeInput(
        kind="image", media_url="https://media.example/a.jpg", caption="Hi", name="Img"
    )
    fake.tt["adgroups"]["g9"] = {"adgroup_id": "g9", "campaign_id": "c1"}
    with pytest.raises(AdsRejected, match="identity"):
        client(ads_settings).create_ad(TOKEN, TT_ACCOUNT, "g9", creative)
    explicit = AdCreativeInput(
        kind="image",
        media_url="https://media.example/a.jpg",
        caption="Hi",
        name="Img",
        identity="ident-1",
    )
    ad = client(ads_settings).create_ad(TOKEN, TT_ACCOUNT, "g9", explicit)
    made = fake.tt["ads"][ad.ad_id]
    assert made["ad_format"] == "SINGLE_IMAGE" and made["identity_type"] == "CUSTOMIZED_USER"
    assert "landing_page_url" not in made


def test_create_campaign(fake: FakeAds, ads_settings: Settings) -> None:
    campaign = client(ads_settings).create_campaign(
        TOKEN,
        TT_ACCOUNT,
        CampaignInput(name="Launch", outcome="app_installs", lifetime_budget_cents=150_005),
    )
    assert campaign.lifetime_budget_cents == 150_005 and campaign.daily_budget_cents is None
    (post,) = fake.calls_to("campaign/create")
    assert post.body["budget"] == 1500.05 and post.body["budget_mode"] == "BUDGET_MODE_TOTAL"
    assert post.body["app_promotion_type"] == "APP_INSTALL"


def test_oauth_url_and_code_exchange(fake: FakeAds, ads_settings: Settings) -> None:
    tiktok = client(ads_settings)
    url = tiktok.oauth_url(state="st-2", redirect_uri="https://app.example/cb")
    parts = urlsplit(url)
    assert parts.path == "/portal/auth"
    assert parse_qs(parts.query) == {
        "app_id": ["tt-app-1"],
        "state": ["st-2"],
        "redirect_uri": ["https://app.example/cb"],
    }
    grant = tiktok.exchange_code(code="tt-code", redirect_uri="https://app.example/cb")
    assert grant.access_token == TOKEN and grant.account_ids == (TT_ACCOUNT,)
    assert grant.scopes == ("4", "5")
    with pytest.raises(AdsRejected):
        tiktok.exchange_code(code="nope", redirect_uri="https://app.example/cb")
