"""The sandbox ads market: determinism, the planted cases, mutations, fatigue, OAuth."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from layers.ads.platforms.base import AdCreativeInput, AdDayMetrics, AdsAuthFailed, AdsRejected
from layers.ads.platforms.meta import MetaAds
from layers.ads.platforms.registry import platform_for, spec_for
from layers.ads.platforms.sandbox import MemoryStore, SandboxAds, account_id_for
from layers.ads.platforms.tiktok import TikTokAds
from layers.kit.clock import ManualClock
from layers.kit.settings import Settings
from layers.social.vault import Secret
from tests.ads.platforms.conftest import START

DAY = timedelta(days=1)
EPOCH = START.replace(minute=0)


def connect(sandbox: SandboxAds, state: str = "state-1") -> tuple[Secret, str]:
    url = sandbox.oauth_url(state=state, redirect_uri="https://app.example/cb?x=1")
    query = parse_qs(urlsplit(url).query)
    assert query["state"] == [state] and query["x"] == ["1"]
    grant = sandbox.exchange_code(code=query["code"][0], redirect_uri="https://app.example/cb")
    (account_id,) = grant.account_ids
    return grant.access_token, account_id


def window(
    rows: list[AdDayMetrics], ad_id: str, since: date, until: date
) -> tuple[int, int, int, int]:
    """(spend cents, installs, impressions, clicks) of one ad over [since, until]."""
    picked = [r for r in rows if r.ad_id == ad_id and since <= r.day <= until]
    return (
        sum(r.spend_cents for r in picked),
        sum(r.installs for r in picked),
        sum(r.impressions for r in picked),
        sum(r.clicks for r in picked),
    )


@pytest.fixture
def sandbox(ads_settings: Settings, manual_clock: ManualClock) -> SandboxAds:
    return SandboxAds("meta", ads_settings)


def test_connecting_gives_one_account_with_a_30_day_history(
    sandbox: SandboxAds, manual_clock: ManualClock
) -> None:
    token, account_id = connect(sandbox)
    (account,) = sandbox.list_ad_accounts(token)
    assert account.account_id == account_id and account_id.startswith("act_")
    assert account.currency == "USD" and account.created_at == EPOCH - 30 * DAY
    campaigns = sandbox.list_campaigns(token, account_id)
    assert len(campaigns) == 2 and all(c.created_at == EPOCH - 30 * DAY for c in campaigns)
    # before epoch + 6 d only the two evergreen ad sets exist
    assert len(sandbox.list_adsets(token, account_id)) == 2
    rows = sandbox.ad_daily_metrics(
        token, account_id, since=(EPOCH - 40 * DAY).date(), until=EPOCH.date()
    )
    assert min(r.day for r in rows) == (EPOCH - 25 * DAY).date()  # the oldest delivering ad
    # another connection attempt is another market
    _, other = connect(sandbox, "state-2")
    assert other != account_id


def test_the_market_is_deterministic(ads_settings: Settings, manual_clock: ManualClock) -> None:
    first, second = (SandboxAds("tiktok", ads_settings, store=MemoryStore()) for _ in range(2))
    token_a, account_a = connect(first)
    token_b, account_b = connect(second)
    assert account_a == account_b and not account_a.startswith("act_")
    manual_clock.advance(10 * DAY + timedelta(minutes=17))
    since, until = (EPOCH - 40 * DAY).date(), (EPOCH + 11 * DAY).date()
    rows_a = first.ad_daily_metrics(token_a, account_a, since=since, until=until)
    rows_b = second.ad_daily_metrics(token_b, account_b, since=since, until=until)
    assert rows_a == rows_b and len(rows_a) > 150
    assert first.list_ads(token_a, account_a) == second.list_ads(token_b, account_b)
    assert all(r.frequency is None for r in rows_a)  # TikTok does not report frequency
    # another account: the same structure, other numbers
    token_c, account_c = connect(first, "state-other")
    rows_c = first.ad_daily_metrics(token_c, account_c, since=since, until=until)
    assert [r.clicks for r in rows_c] != [r.clicks for r in rows_a]


def test_every_planted_case_at_ten_days(sandbox: SandboxAds, manual_clock: ManualClock) -> None:
    token, account_id = connect(sandbox)
    now = EPOCH + 10 * DAY
    manual_clock.set(now)
    roles = sandbox.planted_ads(account_id)
    ads = {a.ad_id: a for a in sandbox.list_ads(token, account_id)}
    assert set(ads) == set(roles.values())
    today = now.date()
    rows = sandbox.ad_daily_metrics(token, account_id, since=today - 30 * DAY, until=today)
    last7 = {role: window(rows, ad, today - 6 * DAY, today) for role, ad in roles.items()}

    def cpa(role: str) -> float:
        spend, installs, _, _ = last7[role]
        return spend / installs

    def age(role: str) -> float:
        return (now - (ads[roles[role]].created_at or now)) / DAY

    evergreen = ("top_performer", "healthy", "underperforming", "fatigued")
    pool = sum(last7[r][0] for r in evergreen) / sum(last7[r][1] for r in evergreen)
    assert cpa("top_performer") < 0.75 * pool  # a clear top performer
    assert 0.8 * pool < cpa("healthy") < 1.1 * pool
    assert 1.4 * pool < cpa("underperforming") < 2.5 * pool
    assert 1.4 * pool < cpa("fatigued") < 2.5 * pool
    # critical: well over $50 spent in 7 days, not one install
    assert last7["critical"][0] > 5000 and last7["critical"][1] == 0
    # the young one is under three days old; the learning ones are older but learning
    assert age("young") < 3 and ads[roles["young"]].learning is False
    assert 3 <= age("learning_a") < 7 and ads[roles["learning_a"]].learning is True
    assert all(not ads[roles[r]].learning for r in (*evergreen, "critical", "steady"))
    # stale: over 30 days old and never delivered
    assert age("stale") > 30 and not [r for r in rows if r.ad_id == roles["stale"]]
    # fatigue: high frequency, CPA rising week over week
    fatigued = [r for r in rows if r.ad_id == roles["fatigued"]]
    assert fatigued[-1].frequency is not None and fatigued[-1].frequency > 4
    spend, installs, _, _ = window(rows, roles["fatigued"], today - 13 * DAY, today - 7 * DAY)
    assert cpa("fatigued") > 1.2 * spend / installs
    # the watchdog's ad: $63 spent, no installs
    assert last7["watchdog"][:2] == (6300, 0)


def test_the_watchdog_ad_crosses_60_dollars_between_two_ticks(
    sandbox: SandboxAds, manual_clock: ManualClock
) -> None:
    token, account_id = connect(sandbox)
    ad_id = sandbox.planted_ads(account_id)["watchdog"]

    def spent() -> tuple[int, int]:
        today = manual_clock.now().date()
        rows = sandbox.ad_daily_metrics(token, account_id, since=today - 7 * DAY, until=today)
        return window(rows, ad_id, today - 7 * DAY, today)[:2]

    manual_clock.set(EPOCH + 10 * DAY - timedelta(hours=2))
    assert spent() == (5950, 0)  # $42 a day for 34 hours
    manual_clock.advance(timedelta(hours=2))
    assert spent() == (6300, 0)


def test_writes_persist_and_change_delivery(
    ads_settings: Settings, manual_clock: ManualClock
) -> None:
    sandbox = SandboxAds("meta", ads_settings)
    token, account_id = connect(sandbox)
    roles = sandbox.planted_ads(account_id)
    manual_clock.advance(10 * DAY)
    sandbox.set_ad_status(token, account_id, roles["critical"], "paused")
    critical = next(a for a in sandbox.list_ads(token, account_id) if a.ad_id == roles["critical"])
    scaling = critical.adset_id
    sandbox.set_adset_budget(token, account_id, scaling, 10_000)
    media = "https://media.example/winner.mp4"
    creative = AdCreativeInput(kind="video", media_url=media, caption="New", name="Winner")
    made = sandbox.create_ad(token, account_id, scaling, creative)
    assert made.status == "active" and made.adset_id == scaling and made.media_url == media
    assert (ads_settings.data_dir / "sandbox-ads" / f"meta-{account_id}.json").exists()

    # a fresh instance (another process, the next sync) sees every write
    again = SandboxAds("meta", ads_settings)
    manual_clock.advance(2 * DAY)
    ads = {a.ad_id: a for a in again.list_ads(token, account_id)}
    assert ads[roles["critical"]].status == "paused" and made.ad_id in ads
    adsets = {s.adset_id: s for s in again.list_adsets(token, account_id)}
    assert adsets[scaling].daily_budget_cents == 10_000
    today = manual_clock.now().date()
    rows = again.ad_daily_metrics(token, account_id, since=today - 1 * DAY, until=today)
    assert window(rows, roles["critical"], today - DAY, today)[0] == 0  # paused: no spend
    yesterday = today - DAY
    spend_by_ad: defaultdict[str, int] = defaultdict(int)
    for r in rows:
        if r.day == yesterday and ads[r.ad_id].adset_id == scaling:
            spend_by_ad[r.ad_id] += r.spend_cents
    # the new budget, all of it delivered (each ad's day rounded to the cent)
    assert abs(sum(spend_by_ad.values()) - 10_000) <= len(spend_by_ad)
    assert spend_by_ad[made.ad_id] > 0


def test_fatigue_lowers_ctr_over_time(sandbox: SandboxAds, manual_clock: ManualClock) -> None:
    token, account_id = connect(sandbox)
    manual_clock.advance(10 * DAY)
    roles = sandbox.planted_ads(account_id)
    today = manual_clock.now().date()
    rows = sandbox.ad_daily_metrics(token, account_id, since=today - 40 * DAY, until=today)

    def ctr(role: str, since: date, until: date) -> float:
        _, _, impressions, clicks = window(rows, roles[role], since, until)
        return clicks / impressions

    launch = (EPOCH - 9 * DAY).date()
    early = ctr("fatigued", launch, launch + 6 * DAY)
    late = ctr("fatigued", today - 7 * DAY, today - DAY)
    assert late < 0.5 * early
    steady_early = ctr("top_performer", today - 30 * DAY, today - 24 * DAY)
    assert ctr("top_performer", today - 7 * DAY, today - DAY) > 0.85 * steady_early


def test_revocation_and_other_accounts(sandbox: SandboxAds, manual_clock: ManualClock) -> None:
    token, account_id = connect(sandbox)
    _, other = connect(sandbox, "state-9")
    with pytest.raises(AdsAuthFailed):
        sandbox.list_ads(token, other)
    with pytest.raises(AdsAuthFailed):
        sandbox.list_ads(Secret("sbxads.meta.Zm9v.x.forged"), account_id)
    sandbox.revoke(account_id)
    with pytest.raises(AdsAuthFailed) as caught:
        sandbox.set_ad_status(
            token, account_id, sandbox.planted_ads(account_id)["healthy"], "paused"
        )
    assert caught.value.platform_code == "190"
    # reconnecting the same account (a code for its name) lifts the revocation
    name = "acct-" + __import__("hashlib").sha256(b"state-1").hexdigest()[:12]
    assert account_id_for("meta", name) == account_id
    grant = sandbox.exchange_code(code=sandbox.code_for(name), redirect_uri="https://x.example")
    assert len(sandbox.list_ads(grant.access_token, account_id)) > 5
    with pytest.raises(AdsRejected):
        sandbox.exchange_code(code=sandbox.code_for(name) + "0", redirect_uri="https://x.example")
    with pytest.raises(AdsRejected):
        sandbox.exchange_code(code="sbxads_x.é\udcff", redirect_uri="https://x.example")
    with pytest.raises(AdsAuthFailed):
        sandbox.list_ad_accounts(Secret("sbxads.meta.Zm9v.n.\u00e9"))


def test_writes_are_checked(ads_settings: Settings, manual_clock: ManualClock) -> None:
    sandbox = SandboxAds("tiktok", ads_settings, store=MemoryStore())
    token, account_id = connect(sandbox)
    roles = sandbox.planted_ads(account_id)
    with pytest.raises(AdsRejected):
        sandbox.set_ad_status(token, account_id, "404", "paused")
    with pytest.raises(AdsRejected):  # does not exist yet (created at epoch + 9 d)
        sandbox.set_ad_status(token, account_id, roles["young"], "paused")
    adset = next(a for a in sandbox.list_ads(token, account_id) if a.ad_id == roles["healthy"])
    with pytest.raises(AdsRejected):  # under TikTok's $20 minimum
        sandbox.set_adset_budget(token, account_id, adset.adset_id, 1500)
    creative = AdCreativeInput(
        kind="image", media_url="https://m.example/x.jpg", caption="", name="x"
    )
    existing = len(sandbox.list_ads(token, account_id, adset_id=adset.adset_id))
    for _ in range(20 - existing):
        sandbox.create_ad(token, account_id, adset.adset_id, creative)
    with pytest.raises(AdsRejected, match="20 ads"):
        sandbox.create_ad(token, account_id, adset.adset_id, creative)


def test_registry_picks_the_client_by_mode(ads_settings: Settings) -> None:
    assert isinstance(platform_for("meta", True, ads_settings), MetaAds)
    assert isinstance(platform_for("tiktok_ads", True, ads_settings), TikTokAds)
    sandbox = platform_for("meta_ads", False, ads_settings)
    assert isinstance(sandbox, SandboxAds) and sandbox.spec.max_ads_per_adset == 50
    assert spec_for("tiktok").body_name == "tiktok_ads"
    with pytest.raises(KeyError):
        platform_for("apple", False, ads_settings)


def test_times_are_aware(sandbox: SandboxAds) -> None:
    token, account_id = connect(sandbox)
    ad = sandbox.list_ads(token, account_id)[0]
    assert isinstance(ad.created_at, datetime) and ad.created_at.tzinfo is not None
