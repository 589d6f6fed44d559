"""The publish protocol against the fake platforms: faults, and exactly once through them."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from layers.kit import clock
from layers.kit import db as kit_db
from layers.models.publishing import PublishAttempt
from layers.publishing import protocol as publishing
from layers.publishing.protocol import publish_post
from layers.social.platforms.registry import SPECS
from tests.social.conftest import Contents
from tests.social.fake_platforms import FakePlatforms, Fault
from tests.social.helpers import (
    account_row,
    attempts_of,
    connect_live,
    events_of,
    look_again,
    new_post,
    new_project,
    post_row,
    set_posting_mode,
)
from tests.support import Tenant, wait_for

TIKTOK_INIT = "/v2/post/publish/content/init/"
IG_PUBLISH = "media_publish"


def automatic_account(client: TestClient, tenant: Tenant, platform: str) -> str:
    project_id = new_project(client, tenant)
    account_id, _ = connect_live(client, tenant, project_id, platform)
    set_posting_mode(client, tenant, account_id, "automatic")
    return account_id


@pytest.fixture
def tiktok(client: TestClient, tenant: Tenant, fake: FakePlatforms) -> str:
    return automatic_account(client, tenant, "tiktok")


@pytest.fixture
def instagram(client: TestClient, tenant: Tenant, fake: FakePlatforms) -> str:
    return automatic_account(client, tenant, "instagram")


def platform_id(account_id: str) -> str:
    return account_row(account_id).platform_account_id


# ---- the fault list ----


def test_timeout_after_tiktok_accepted_is_settled_by_lookup_not_a_second_post(
    tiktok: str, fake: FakePlatforms, contents: Contents
) -> None:
    post_id = new_post(tiktok)
    fake.add(Fault(TIKTOK_INIT, hang=4.0, accept=True))  # accepted, answer never in time

    outcome = publish_post(post_id)

    assert outcome.status == "posted", outcome
    live = fake.live_posts(platform_id(tiktok))
    assert len(live) == 1
    post = post_row(post_id)
    assert post.status == "posted"
    assert post.platform_post_id == live[0].post_id
    assert post.platform_url and live[0].post_id and live[0].post_id in post.platform_url
    publishes = attempts_of(post_id)
    assert [a.status for a in publishes] == ["accepted"]
    assert publishes[0].error and publishes[0].error["code"] == "OUTCOME_UNKNOWN"  # on record
    assert attempts_of(post_id, "lookup")[-1].platform_post_id == live[0].post_id
    assert fake.count_calls(TIKTOK_INIT) == 1
    assert len(events_of(post_id, "post.published")) == 1


def test_timeout_after_instagram_accepted_is_settled_by_the_container(
    instagram: str, fake: FakePlatforms, contents: Contents
) -> None:
    post_id = new_post(instagram)
    fake.add(Fault(IG_PUBLISH, hang=4.0, accept=True))

    outcome = publish_post(post_id)

    assert outcome.status == "posted", outcome
    live = fake.live_posts(platform_id(instagram))
    assert len(live) == 1 and live[0].kind == "carousel" and len(live[0].media) == 3
    post = post_row(post_id)
    assert post.platform_post_id == live[0].post_id
    assert post.platform_url == f"https://www.instagram.com/p/{live[0].post_id}/"
    assert post.platform_publish_id == live[0].publish_id  # the container
    assert fake.count_calls(IG_PUBLISH) == 1


@pytest.mark.parametrize("platform", ["tiktok", "instagram"])
def test_two_5xx_then_success_is_one_post(
    client: TestClient, tenant: Tenant, fake: FakePlatforms, contents: Contents, platform: str
) -> None:
    account_id = automatic_account(client, tenant, platform)
    post_id = new_post(account_id)
    fake.fail(TIKTOK_INIT if platform == "tiktok" else IG_PUBLISH, 500, times=2)

    outcome = publish_post(post_id)

    assert outcome.status == "posted", outcome
    assert len(fake.live_posts(platform_id(account_id))) == 1
    publishes = attempts_of(post_id)
    assert [a.status for a in publishes] == ["failed", "failed", "accepted"]
    codes = [a.error["code"] for a in publishes[:2] if a.error]
    if platform == "tiktok":
        assert codes == ["PLATFORM_UNAVAILABLE"] * 2  # 5xx: TikTok issued no publish
        assert attempts_of(post_id, "lookup")[0].ref["attemptId"] == publishes[2].id
    else:
        # A 5xx from media_publish may have published: each is settled by asking the
        # container (FINISHED: not published) before the next attempt.
        assert codes == ["NOT_PUBLISHED"] * 2
        lookups = attempts_of(post_id, "lookup")
        assert [lk.ref["attemptId"] for lk in lookups[:2]] == [a.id for a in publishes[:2]]
    assert post_row(post_id).attempt_count == len(attempts_of(post_id, None))


def test_5xx_after_instagram_published_is_not_published_again(
    instagram: str, fake: FakePlatforms, contents: Contents
) -> None:
    post_id = new_post(instagram)
    fake.add(Fault(IG_PUBLISH, status=500, accept=True))  # published, then answered 500
    # (accept=True with a status: the effect happens and the error goes out)

    outcome = publish_post(post_id)

    assert outcome.status == "posted", outcome
    assert len(fake.live_posts(platform_id(instagram))) == 1
    assert fake.count_calls(IG_PUBLISH) == 1


def test_a_401_flags_the_account_and_keeps_the_post(
    client: TestClient, tenant: Tenant, tiktok: str, fake: FakePlatforms, contents: Contents
) -> None:
    post_id = new_post(tiktok, origin="api")
    fake.fail(TIKTOK_INIT, 401, code="access_token_invalid", times=None)

    outcome = publish_post(post_id)

    assert outcome.status == "ready" and outcome.result == "held", outcome
    assert outcome.hold_reason == "account_unhealthy"
    assert fake.live_posts(platform_id(tiktok)) == []
    account = account_row(tiktok)
    assert account.healthy is False and account.status == "reauth_required"
    assert account.meta["token_error"]["code"] == "CREDENTIAL_INVALID"
    assert len(events_of(tiktok, "social_account.needs_reauth")) == 1
    # Refreshed once after the first 401, then flagged after the second.
    assert fake.count_calls("/v2/oauth/token/") == 2  # the connect, then one refresh
    assert [a.status for a in attempts_of(post_id)] == ["failed", "failed"]
    post = post_row(post_id)
    assert post.status == "ready" and post.hold_reason == "account_unhealthy"

    health = client.get(f"/v1/social-accounts/{tiktok}/health", headers=tenant.headers()).json()
    assert health["healthy"] is False and health["tokenError"]["code"] == "CREDENTIAL_INVALID"

    # While unhealthy the dispatcher leaves it alone; reconnecting releases it.
    assert post_id not in publishing.dispatch_due().claimed
    fake.clear_faults()
    project_id = account.project_id
    again, _ = connect_live(client, tenant, project_id, "tiktok")
    assert again == tiktok
    reconnected = account_row(tiktok)
    assert reconnected.healthy and "token_error" not in reconnected.meta
    assert post_row(post_id).hold_reason is None

    publishing.dispatch_due()
    wait_for(lambda: post_row(post_id).status == "posted")
    assert len(fake.live_posts(platform_id(tiktok))) == 1


def test_100_concurrent_claims_publish_once(
    tiktok: str, fake: FakePlatforms, contents: Contents
) -> None:
    post_id = new_post(tiktok)
    start = threading.Barrier(100)

    def claim(i: int) -> str:
        start.wait(timeout=30)
        return publish_post(post_id, claimant=f"claimant-{i}").result

    with ThreadPoolExecutor(max_workers=100) as pool:
        results = list(pool.map(claim, range(100)))

    assert results.count("posted") == 1, results
    assert results.count("not_claimed") == 99
    assert len(fake.live_posts(platform_id(tiktok))) == 1
    assert fake.count_calls(TIKTOK_INIT) == 1
    assert post_row(post_id).claim_count == 1


class SimulatedCrash(BaseException):
    """The process dies here (BaseException: nothing in the protocol may swallow it)."""


def test_a_crash_between_claim_and_call_is_resolved_on_recovery(
    tiktok: str, fake: FakePlatforms, contents: Contents
) -> None:
    post_id = new_post(tiktok)
    original: Callable[..., object] = contents.__class__.__call__

    def crash_once(self: Contents, session: object, post: object) -> object:
        contents.__class__.__call__ = original  # type: ignore[method-assign]
        raise SimulatedCrash

    contents.__class__.__call__ = crash_once  # type: ignore[method-assign]
    try:
        with pytest.raises(SimulatedCrash):
            publish_post(post_id, claimant="workflow-1")
    finally:
        contents.__class__.__call__ = original  # type: ignore[method-assign]

    crashed = post_row(post_id)
    assert crashed.status == "posting" and crashed.claimed_by == "workflow-1"
    assert fake.live_posts(platform_id(tiktok)) == []
    # Another claimant cannot take it while the claim is fresh...
    assert publish_post(post_id, claimant="intruder").result == "not_claimed"
    # ...and the recovered workflow (same claimant) resumes it.
    outcome = publish_post(post_id, claimant="workflow-1")
    assert outcome.status == "posted", outcome
    assert len(fake.live_posts(platform_id(tiktok))) == 1


def test_an_abandoned_claim_is_taken_over_and_settled_without_a_duplicate(
    instagram: str, fake: FakePlatforms, contents: Contents
) -> None:
    """The claimant died after the platform accepted: the attempt is still 'started'. After
    the stale-claim delay the dispatcher re-claims the post and the new run settles it."""
    post_id = new_post(instagram)
    fault = fake.add(Fault(IG_PUBLISH, hold=True, accept=True))
    worker = threading.Thread(target=publish_post, args=(post_id,), kwargs={"claimant": "dead"})
    worker.start()
    assert fault.arrived.wait(20)  # published on the platform; the answer is held
    assert [a.status for a in attempts_of(post_id)] == ["started"]

    look_again(post_id, stale=True)
    wait_for(lambda: post_row(post_id).status == "posted")
    fault.release.set()
    worker.join(timeout=20)
    assert len(fake.live_posts(platform_id(instagram))) == 1
    assert fake.count_calls(IG_PUBLISH) == 1
    assert post_row(post_id).claim_count == 2


# ---- more outcomes ----


def test_5xx_three_times_fails_the_post(
    tiktok: str, fake: FakePlatforms, contents: Contents
) -> None:
    post_id = new_post(tiktok)
    fake.fail(TIKTOK_INIT, 503, times=None)
    outcome = publish_post(post_id)
    assert outcome.status == "failed", outcome
    assert outcome.error and outcome.error["code"] == "PLATFORM_UNAVAILABLE"
    assert fake.count_calls(TIKTOK_INIT) == 3
    assert fake.live_posts(platform_id(tiktok)) == []
    assert len(events_of(post_id, "post.failed")) == 1


def test_a_permanent_refusal_goes_to_pending_manual(
    tiktok: str, fake: FakePlatforms, contents: Contents
) -> None:
    post_id = new_post(tiktok)
    fake.fail(TIKTOK_INIT, 400, code="invalid_params")
    outcome = publish_post(post_id)
    assert outcome.status == "pending_manual", outcome
    assert outcome.error and outcome.error["platformCode"] == "invalid_params"
    assert fake.count_calls(TIKTOK_INIT) == 1


def test_a_rate_limit_holds_the_post_until_retry_after(
    tiktok: str, fake: FakePlatforms, contents: Contents
) -> None:
    post_id = new_post(tiktok, origin="api")
    fake.fail(TIKTOK_INIT, 429, retry_after="120")
    outcome = publish_post(post_id)
    assert outcome.status == "ready" and outcome.hold_reason == "rate_limited"
    post = post_row(post_id)
    assert post.retry_at is not None
    assert timedelta(seconds=100) < post.retry_at - clock.now() <= timedelta(seconds=120)
    assert post_id not in publishing.dispatch_due().claimed  # not before retry_at
    look_again(post_id)
    wait_for(lambda: post_row(post_id).status == "posted")
    assert post_row(post_id).claim_count == 2


def test_tiktok_daily_cap_reported_by_the_platform_holds_the_post(
    tiktok: str, fake: FakePlatforms, contents: Contents
) -> None:
    post_id = new_post(tiktok)
    fake.fail(TIKTOK_INIT, 403, code="spam_risk_too_many_posts")
    outcome = publish_post(post_id)
    assert outcome.status == "ready" and outcome.hold_reason == "platform_quota"
    assert post_row(post_id).retry_at is not None


def test_tiktok_daily_cap_is_enforced_locally(
    tiktok: str, fake: FakePlatforms, contents: Contents
) -> None:
    cap = SPECS["tiktok"].daily_post_cap
    assert cap is not None
    posts = [new_post(tiktok) for _ in range(cap + 1)]
    results = [publish_post(p) for p in posts]
    assert [r.status for r in results[:cap]] == ["posted"] * cap
    assert results[cap].status == "ready" and results[cap].hold_reason == "platform_quota"
    assert len(fake.live_posts(platform_id(tiktok))) == cap
    first = attempts_of(posts[0])[0].started_at
    assert post_row(posts[cap]).retry_at == first + publishing.QUOTA_WINDOW
    # Drafts do not count against the direct-post cap.
    draft = new_post(tiktok, mode="draft")
    assert publish_post(draft).status == "draft"


def test_instagram_publishing_limit_holds_the_post(
    instagram: str, fake: FakePlatforms, contents: Contents
) -> None:
    fake.quota_used_extra = fake.quota_total
    post_id = new_post(instagram)
    outcome = publish_post(post_id)
    assert outcome.status == "ready" and outcome.hold_reason == "platform_quota"
    assert fake.count_calls("/media") == 0  # no container was even created
    assert fake.count_calls("content_publishing_limit") == 1


def test_instagram_in_manual_mode_waits_for_a_person_without_calling_the_platform(
    client: TestClient, tenant: Tenant, fake: FakePlatforms, contents: Contents
) -> None:
    project_id = new_project(client, tenant)
    account_id, _ = connect_live(client, tenant, project_id, "instagram")
    calls = len(fake.calls)
    post_id = new_post(account_id)  # posting mode is manual by default
    outcome = publish_post(post_id)
    assert outcome.status == "pending_manual"
    assert outcome.error and outcome.error["code"] == "ACCOUNT_POSTING_MODE_MANUAL"
    assert outcome.error["outcome"] == "pending_manual"
    assert post_row(post_id).last_error == outcome.error
    assert len(fake.calls) == calls


@pytest.mark.parametrize("kind", ["photo", "video"])
def test_tiktok_manual_mode_sends_to_the_drafts_inbox(
    client: TestClient, tenant: Tenant, fake: FakePlatforms, contents: Contents, kind: str
) -> None:
    project_id = new_project(client, tenant)
    account_id, _ = connect_live(client, tenant, project_id, "tiktok")
    post_id = new_post(account_id)
    if kind == "video":
        contents.by_post[post_id] = contents.video(post_id)
    outcome = publish_post(post_id)
    assert outcome.status == "draft", outcome
    live = fake.live_posts(platform_id(account_id))
    assert len(live) == 1 and live[0].draft
    endpoint = "/inbox/video/init/" if kind == "video" else TIKTOK_INIT
    assert fake.count_calls(endpoint) == 1
    assert fake.count_calls("creator_info") == 0  # a draft needs no creator info
    post = post_row(post_id)
    assert post.platform_publish_id == live[0].publish_id
    assert post.last_error and post.last_error["code"] == "ACCOUNT_POSTING_MODE_MANUAL"
    assert post.last_error["outcome"] == "draft"  # says why it is a draft, not published
    [published] = events_of(post_id, "post.published")
    assert published.data["reason"]["code"] == "ACCOUNT_POSTING_MODE_MANUAL"


def test_processing_on_the_platform_is_deferred_then_settled(
    tiktok: str, fake: FakePlatforms, contents: Contents
) -> None:
    fake.processing_polls = 10  # more than the quick polls
    post_id = new_post(tiktok)
    outcome = publish_post(post_id)
    assert outcome.status == "posting" and outcome.result == "deferred"
    assert outcome.hold_reason == "awaiting_platform"
    post = post_row(post_id)
    assert post.platform_publish_id and post.retry_at
    fake.processing_polls = 0
    with fake.lock:
        for entry in fake.publishes.values():
            entry["polls"] = 0
    look_again(post_id)
    wait_for(lambda: post_row(post_id).status == "posted")
    assert len(fake.live_posts(platform_id(tiktok))) == 1
    assert fake.count_calls(TIKTOK_INIT) == 1


def test_an_unknown_outcome_never_posts_again_and_ends_with_a_person(
    tiktok: str, fake: FakePlatforms, contents: Contents
) -> None:
    """A timeout before TikTok acted: nothing to find. The protocol keeps looking and never
    posts again; after a day it hands the post to a person."""
    post_id = new_post(tiktok)
    fake.add(Fault(TIKTOK_INIT, hang=4.0, accept=False))
    outcome = publish_post(post_id)
    assert outcome.status == "posting" and outcome.hold_reason == "outcome_unknown"
    assert fake.live_posts(platform_id(tiktok)) == []

    assert post_row(post_id).retry_at is not None
    look_again(post_id)
    wait_for(lambda: post_row(post_id).claim_count == 2 and post_row(post_id).retry_at)
    assert fake.count_calls(TIKTOK_INIT) == 1  # looked up, not posted again

    attempt = attempts_of(post_id)[0]
    with kit_db.get_database().transaction() as session:  # the attempt started a day ago
        session.execute(
            sa.update(PublishAttempt)
            .where(PublishAttempt.id == attempt.id)
            .values(started_at=clock.now() - publishing.GIVE_UP_AFTER - timedelta(minutes=1))
        )
    look_again(post_id)
    wait_for(lambda: post_row(post_id).status == "pending_manual")
    post = post_row(post_id)
    assert post.last_error and post.last_error["code"] == "OUTCOME_UNKNOWN"
    assert fake.count_calls(TIKTOK_INIT) == 1
    assert fake.live_posts(platform_id(tiktok)) == []


def test_content_that_cannot_be_published_goes_to_pending_manual(
    tiktok: str, fake: FakePlatforms, contents: Contents
) -> None:
    post_id = new_post(tiktok)
    contents.by_post[post_id] = contents.video(post_id, duration_ms=900_000)  # > 600 s
    outcome = publish_post(post_id)
    assert outcome.status == "pending_manual"
    assert outcome.error and outcome.error["platformCode"] == "duration_exceeds_creator_limit"
    assert fake.count_calls("/video/init/") == 0


def test_a_lookup_without_the_video_list_scope_leaves_the_account_healthy(
    tiktok: str, fake: FakePlatforms, contents: Contents
) -> None:
    post_id = new_post(tiktok)
    fake.add(Fault(TIKTOK_INIT, hang=4.0, accept=True))
    fake.fail("/v2/video/list/", 401, code="scope_not_authorized", times=None)
    outcome = publish_post(post_id)
    assert outcome.status == "posting" and outcome.hold_reason == "outcome_unknown"
    assert account_row(tiktok).healthy
    assert fake.count_calls(TIKTOK_INIT) == 1
    assert len(fake.live_posts(platform_id(tiktok))) == 1


@pytest.mark.parametrize(
    ("failure", "status", "inits"),
    [
        ("video_pull_failed", "posted", 2),  # not published, worth another quick attempt
        ("file_format_check_failed", "pending_manual", 1),
        ("auth_removed", "ready", 1),
    ],
)
def test_tiktok_failed_publishes_after_acceptance(
    tiktok: str, fake: FakePlatforms, contents: Contents, failure: str, status: str, inits: int
) -> None:
    fake.publish_failures = [failure]
    post_id = new_post(tiktok)
    outcome = publish_post(post_id)
    assert outcome.status == status, outcome
    assert fake.count_calls(TIKTOK_INIT) == inits
    assert len(fake.live_posts(platform_id(tiktok))) == (1 if status == "posted" else 0)
    if failure == "auth_removed":
        assert outcome.hold_reason == "account_unhealthy"
        assert account_row(tiktok).meta["token_error"]["code"] == "AUTH_REMOVED"
    else:
        assert account_row(tiktok).healthy


def test_a_disconnect_mid_publish_hands_the_post_to_a_person(
    client: TestClient, tenant: Tenant, instagram: str, fake: FakePlatforms, contents: Contents
) -> None:
    post_id = new_post(instagram)
    fault = fake.add(Fault(IG_PUBLISH, hold=True, accept=True))
    worker = threading.Thread(target=publish_post, args=(post_id,), kwargs={"claimant": "gone"})
    worker.start()
    assert fault.arrived.wait(20)
    deleted = client.delete(f"/v1/social-accounts/{instagram}", headers=tenant.headers())
    assert deleted.json()["canceledScheduledPosts"] == 0  # in flight: not canceled

    look_again(post_id, stale=True)
    wait_for(lambda: post_row(post_id).hold_reason == "account_disconnected")
    assert post_row(post_id).status == "posting"  # it may be live: never "canceled"
    with kit_db.get_database().transaction() as session:
        session.execute(
            sa.update(PublishAttempt)
            .where(PublishAttempt.scheduled_post_id == post_id)
            .values(started_at=clock.now() - publishing.GIVE_UP_AFTER)
        )
    look_again(post_id)
    wait_for(lambda: post_row(post_id).status == "pending_manual")
    assert post_row(post_id).last_error["code"] == "OUTCOME_UNKNOWN"  # type: ignore[index]
    fault.release.set()
    worker.join(timeout=20)
    assert post_row(post_id).status == "pending_manual"  # the old claimant changed nothing
    assert len(fake.live_posts(platform_id(instagram))) == 1
