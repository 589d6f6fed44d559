"""The real TikTok and Instagram metrics clients against the local fake of their APIs, and
the sync's answers to rate limits and refused tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from layers.kit import clock
from layers.kit.db import get_database
from layers.kit.settings import get_settings
from layers.metrics import repository, sync
from layers.metrics.sources.base import MetricsAccount, PostRef
from layers.metrics.sources.instagram import InstagramMetrics
from layers.metrics.sources.tiktok import TikTokMetrics
from layers.social.platforms.base import AuthFailed, RateLimited
from layers.social.vault import Secret
from tests.metrics.helpers import published_post, snapshots_of, sync_row
from tests.social.conftest import Contents
from tests.social.fake_platforms import FakePlatforms
from tests.social.helpers import account_row, connect_live, new_project, set_posting_mode
from tests.social.test_tokens import stored_tokens
from tests.support import Tenant


def _live_account(
    client: TestClient, tenant: Tenant, platform: str
) -> tuple[str, MetricsAccount, Secret]:
    project_id = new_project(client, tenant)
    account_id, _ = connect_live(client, tenant, project_id, platform)
    set_posting_mode(client, tenant, account_id, "automatic")
    row = account_row(account_id)
    ref = MetricsAccount(account_id, row.platform_account_id, row.handle, row.connected_at)
    return account_id, ref, Secret(stored_tokens(account_id)[0])


def test_tiktok_reads_twenty_videos_a_call_and_maps_the_counters(
    client: TestClient, tenant: Tenant, fake: FakePlatforms, contents: Contents
) -> None:
    account_id, ref, token = _live_account(client, tenant, "tiktok")
    posts = [published_post(account_id) for _ in range(3)]
    video_ids = [str(p.post_id) for p in fake.live_posts() if p.platform == "tiktok"][-3:]
    fake.stats[video_ids[0]] = {
        "views": 5000,
        "likes": 400,
        "comments": 30,
        "shares": 12,
        "saves": 0,
    }
    refs = [PostRef(v, clock.now()) for v in video_ids] + [
        PostRef(f"gone-{i}", clock.now()) for i in range(22)
    ]
    calls_before = fake.count_calls("/v2/video/query/")
    stats = TikTokMetrics(get_settings()).post_stats(token, ref, refs)
    assert fake.count_calls("/v2/video/query/") - calls_before == 2  # 25 ids: 20 + 5
    by_id = {s.platform_post_id: s for s in stats}
    assert set(by_id) == set(video_ids)  # the unknown ids are left out
    first = by_id[video_ids[0]]
    assert (first.views, first.likes, first.comments, first.shares) == (5000, 400, 30, 12)
    assert TikTokMetrics(get_settings()).account_stats(token, ref).followers == fake.followers
    assert len(posts) == 3


def test_instagram_reads_media_insights_and_followers(
    client: TestClient, tenant: Tenant, fake: FakePlatforms, contents: Contents
) -> None:
    account_id, ref, token = _live_account(client, tenant, "instagram")
    published_post(account_id)
    media_id = str([p for p in fake.live_posts() if p.platform == "instagram"][-1].post_id)
    fake.stats[media_id] = {"views": 900, "likes": 90, "comments": 9, "shares": 3, "saves": 7}
    source = InstagramMetrics(get_settings())
    stats = source.post_stats(
        token, ref, [PostRef(media_id, clock.now()), PostRef("17999999999", clock.now())]
    )
    assert len(stats) == 1  # the deleted media (error 100) is left out
    (only,) = stats
    assert (only.views, only.reach, only.likes, only.comments, only.shares, only.saves) == (
        900,
        720,
        90,
        9,
        3,
        7,
    )
    fake.followers = 4321
    assert source.account_stats(token, ref).followers == 4321


@pytest.mark.parametrize("code", [4, 17])
def test_instagram_rate_limit_codes_are_rate_limits(
    client: TestClient, tenant: Tenant, fake: FakePlatforms, contents: Contents, code: int
) -> None:
    account_id, ref, token = _live_account(client, tenant, "instagram")
    published_post(account_id)
    media_id = str([p for p in fake.live_posts() if p.platform == "instagram"][-1].post_id)
    fake.fail("/insights", 400, code=code)
    with pytest.raises(RateLimited):
        InstagramMetrics(get_settings()).post_stats(token, ref, [PostRef(media_id, clock.now())])


def test_a_rate_limited_sync_backs_off_for_retry_after(
    client: TestClient, tenant: Tenant, fake: FakePlatforms, contents: Contents
) -> None:
    account_id, _, _ = _live_account(client, tenant, "tiktok")
    post_id = published_post(account_id)
    with_sync(post_id)
    fake.fail("/v2/video/query/", 429, retry_after="120")
    before = clock.now()
    report = sync.sync_account(account_id)
    assert report.error == "PLATFORM_RATE_LIMITED" and report.deferred == 1
    row = sync_row(post_id)
    assert row is not None and row.next_sync_at is not None
    assert (
        before + timedelta(seconds=115) <= row.next_sync_at <= clock.now() + timedelta(seconds=125)
    )
    assert snapshots_of(post_id) == []
    # Once the platform answers again, the post is read.
    fake.clear_faults()
    with_sync(post_id)
    assert sync.sync_account(account_id).snapshots == 1


def test_a_refused_token_marks_the_account_for_reauth_and_defers(
    client: TestClient, tenant: Tenant, fake: FakePlatforms, contents: Contents
) -> None:
    account_id, _, token = _live_account(client, tenant, "tiktok")
    post_id = published_post(account_id)
    with_sync(post_id)
    fake.expire_token(token.reveal())
    fake.refuse_refresh = True
    report = sync.sync_account(account_id)
    assert report.error is not None and report.deferred == 1
    account = account_row(account_id)
    assert account.healthy is False and (account.meta or {}).get("token_error")
    row = sync_row(post_id)
    assert row is not None and row.next_sync_at is not None
    assert row.next_sync_at >= clock.now() + timedelta(minutes=55)
    with pytest.raises(AuthFailed):
        TikTokMetrics(get_settings()).post_stats(
            token, MetricsAccount(account_id, "x", None, None), [PostRef("1", clock.now())]
        )


def with_sync(post_id: str) -> None:
    """Enroll the post (as the tick does) and make it due now."""
    with get_database().transaction() as session:
        repository.enroll(session, clock.now(), timedelta(days=30))
        repository.reschedule(session, [post_id], next_sync_at=clock.now() - timedelta(seconds=1))
