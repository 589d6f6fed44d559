"""The real httpx clients against the fake platforms: request shapes and error classes."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
import respx
from fastapi.testclient import TestClient

from layers.kit import clock
from layers.kit.settings import get_settings
from layers.social import tokens
from layers.social.platforms import http, registry
from layers.social.platforms.base import (
    AccountRef,
    AuthFailed,
    OutcomeUnknown,
    Prepared,
    PublishableContent,
    PublishRequest,
    QuotaExceeded,
    RateLimited,
    Rejected,
    Unavailable,
)
from layers.social.platforms.instagram.publisher import InstagramPublisher
from layers.social.platforms.tiktok.publisher import TikTokPublisher
from layers.social.vault import Secret
from tests.social.conftest import Contents
from tests.social.fake_platforms import FakePlatforms, Fault
from tests.social.helpers import account_row, connect_live, new_project
from tests.support import Tenant


def connected(client: TestClient, tenant: Tenant, platform: str) -> tuple[Secret, AccountRef]:
    project_id = new_project(client, tenant)
    account_id, _ = connect_live(client, tenant, project_id, platform)
    account = account_row(account_id)
    token = tokens.access_token(account_id).value
    return token, AccountRef(account.id, account.platform_account_id, account.handle)


def publish(publisher: object, token: Secret, ref: AccountRef, request: PublishRequest) -> object:
    prepared = publisher.prepare(token, ref, request)  # type: ignore[attr-defined]
    return prepared, publisher.commit(token, ref, prepared)  # type: ignore[attr-defined]


# ---- TikTok ----


def test_tiktok_video_direct_post_shape_and_settlement(
    client: TestClient, tenant: Tenant, fake: FakePlatforms, contents: Contents
) -> None:
    token, ref = connected(client, tenant, "tiktok")
    publisher = registry.publisher("tiktok", True)
    video = contents.video("sp_video")
    prepared, outcome = publish(publisher, token, ref, PublishRequest(video, draft=False))
    assert prepared.operation == "video_init"  # type: ignore[attr-defined]
    body = prepared.ref["body"]  # type: ignore[attr-defined]
    assert body["source_info"] == {"source": "PULL_FROM_URL", "video_url": video.media_urls[0]}
    info = body["post_info"]
    assert info["privacy_level"] == "PUBLIC_TO_EVERYONE"
    assert info["disable_stitch"] is True  # the creator disabled stitches
    assert info["title"] == video.text() and "#coffeetok" in info["title"]
    assert fake.count_calls("creator_info") == 1  # queried before the direct post
    assert outcome.state == "processing" and outcome.publish_id  # type: ignore[attr-defined]
    settled = publisher.lookup(
        token,
        ref,
        prepared.ref,
        publish_id=outcome.publish_id,
        since=clock.now(),  # type: ignore[attr-defined]
    )
    live = fake.live_posts(ref.platform_account_id)[0]
    assert settled.state == "published" and settled.post_id == live.post_id
    assert settled.url == f"https://www.tiktok.com/@acme.coffee/video/{live.post_id}"


def test_tiktok_privacy_and_duration_come_from_creator_info(
    client: TestClient, tenant: Tenant, fake: FakePlatforms, contents: Contents
) -> None:
    token, ref = connected(client, tenant, "tiktok")
    publisher = registry.publisher("tiktok", True)
    photo = contents.photo("sp_photo")
    with pytest.raises(Rejected, match="privacy level FOLLOWER_OF_CREATOR"):
        publisher.prepare(
            token,
            ref,
            PublishRequest(
                photo,
                draft=False,
                options={"tiktokPostSettings": {"privacyLevel": "FOLLOWER_OF_CREATOR"}},
            ),
        )
    fake.creator["privacy_level_options"] = ["FOLLOWER_OF_CREATOR", "SELF_ONLY"]
    try:
        prepared = publisher.prepare(token, ref, PublishRequest(photo, draft=False))
        assert prepared.ref["body"]["post_info"]["privacy_level"] == "FOLLOWER_OF_CREATOR"
        assert prepared.ref["body"]["media_type"] == "PHOTO"
        assert prepared.ref["body"]["post_mode"] == "DIRECT_POST"
        assert prepared.ref["body"]["source_info"]["photo_images"] == list(photo.media_urls)
        with pytest.raises(Rejected, match="at most 600s"):
            publisher.prepare(
                token, ref, PublishRequest(contents.video("sp_long", 601_000), draft=False)
            )
    finally:
        fake.creator["privacy_level_options"] = [
            "PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY",
        ]  # fmt: skip
    too_many = PublishableContent(
        kind="photo", media_urls=[f"{fake.base_url}/media/{i}" for i in range(36)]
    )
    with pytest.raises(Rejected, match="at most 35"):
        publisher.prepare(token, ref, PublishRequest(too_many, draft=False))


def test_tiktok_drafts_go_to_the_inbox(
    client: TestClient, tenant: Tenant, fake: FakePlatforms, contents: Contents
) -> None:
    token, ref = connected(client, tenant, "tiktok")
    publisher = registry.publisher("tiktok", True)
    prepared, outcome = publish(
        publisher, token, ref, PublishRequest(contents.video("v"), draft=True)
    )
    assert prepared.operation == "inbox_video_init"  # type: ignore[attr-defined]
    assert prepared.ref["body"] == {  # type: ignore[attr-defined]
        "source_info": {"source": "PULL_FROM_URL", "video_url": contents.video("v").media_urls[0]}
    }
    settled = publisher.lookup(
        token, ref, prepared.ref, publish_id=outcome.publish_id, since=clock.now()
    )  # type: ignore[attr-defined]
    assert settled.state == "inbox"
    photo, _ = publish(publisher, token, ref, PublishRequest(contents.photo("p"), draft=True))
    assert photo.ref["body"]["post_mode"] == "MEDIA_UPLOAD"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (401, "access_token_invalid", AuthFailed),
        (401, "scope_not_authorized", AuthFailed),
        (429, "rate_limit_exceeded", RateLimited),
        (403, "spam_risk_too_many_posts", QuotaExceeded),
        (403, "reached_active_user_cap", QuotaExceeded),
        (403, "url_ownership_unverified", Rejected),
        (400, "invalid_params", Rejected),
        (500, "internal_error", Unavailable),
        (503, None, Unavailable),
    ],
)
def test_tiktok_errors_are_classified(
    client: TestClient,
    tenant: Tenant,
    fake: FakePlatforms,
    contents: Contents,
    status: int,
    code: str | None,
    expected: type[Exception],
) -> None:
    token, ref = connected(client, tenant, "tiktok")
    publisher = registry.publisher("tiktok", True)
    prepared = publisher.prepare(token, ref, PublishRequest(contents.photo("x"), draft=False))
    fake.fail("/content/init/", status, code=code, retry_after="7")
    with pytest.raises(expected) as raised:
        publisher.commit(token, ref, prepared)
    if isinstance(raised.value, RateLimited):
        assert raised.value.retry_after == 7.0
    assert fake.live_posts(ref.platform_account_id) == []


def test_timeouts_are_unknown_only_for_the_publishing_call(
    client: TestClient, tenant: Tenant, fake: FakePlatforms, contents: Contents
) -> None:
    token, ref = connected(client, tenant, "tiktok")
    publisher = TikTokPublisher(get_settings())
    http.policy.read_timeout = 0.5
    fake.add(Fault("creator_info", hang=2.0))
    with pytest.raises(Unavailable):
        publisher.prepare(token, ref, PublishRequest(contents.photo("x"), draft=False))
    prepared = publisher.prepare(token, ref, PublishRequest(contents.photo("x"), draft=False))
    fake.add(Fault("/content/init/", hang=2.0, accept=True))
    with pytest.raises(OutcomeUnknown):
        publisher.commit(token, ref, prepared)


def test_an_unreachable_platform_is_unavailable_even_for_the_publishing_call() -> None:
    settings = get_settings().model_copy(update={"tiktok_api_base": "http://127.0.0.1:9"})
    publisher = TikTokPublisher(settings)
    ref = AccountRef("sa_x", "open", "h")
    prepared = Prepared("content_init", {"body": {}, "operation": "content_init"})
    with pytest.raises(Unavailable, match="could not be reached"):
        publisher.commit(Secret("t"), ref, prepared)


# ---- Instagram ----


def test_instagram_image_carousel_and_reel(
    client: TestClient, tenant: Tenant, fake: FakePlatforms, contents: Contents
) -> None:
    token, ref = connected(client, tenant, "instagram")
    publisher = registry.publisher("instagram", True)
    quota = publisher.quota(token, ref)
    assert quota.remaining == 100 and quota.total == 100

    single = PublishableContent(kind="photo", media_urls=[fake.media_url("one.jpg")], caption="One")
    _, image = publish(publisher, token, ref, PublishRequest(single, draft=False))
    _, carousel = publish(publisher, token, ref, PublishRequest(contents.photo("c"), draft=False))
    fake.container_polls = 3  # the reel takes a few polls to process
    reel_content = contents.video("r")
    prepared, reel = publish(
        publisher,
        token,
        ref,
        PublishRequest(reel_content, draft=False, options={"shareReelToFeed": False}),
    )

    live = fake.live_posts(ref.platform_account_id)
    assert [p.kind for p in live] == ["image", "carousel", "reel"]
    assert live[1].media == list(contents.photo("c").media_urls)
    reel_form = fake.containers[prepared.ref["creationId"]].form  # type: ignore[attr-defined]
    assert reel_form["media_type"] == "REELS" and reel_form["share_to_feed"] == "false"
    assert reel_form["cover_url"] == reel_content.cover_url
    assert [o.post_id for o in (image, carousel, reel)] == [p.post_id for p in live]  # type: ignore[attr-defined]
    assert publisher.quota(token, ref).remaining == 97
    url = publisher.lookup(
        token, ref, {}, publish_id=None, post_id=live[0].post_id, since=clock.now()
    )
    assert url.url == f"https://www.instagram.com/p/{live[0].post_id}/"


def test_instagram_container_status_settles_unknown_outcomes(
    client: TestClient, tenant: Tenant, fake: FakePlatforms, contents: Contents
) -> None:
    token, ref = connected(client, tenant, "instagram")
    publisher = registry.publisher("instagram", True)
    prepared = publisher.prepare(token, ref, PublishRequest(contents.photo("u"), draft=False))
    since = clock.now() - timedelta(seconds=1)
    before = publisher.lookup(token, ref, prepared.ref, publish_id=None, since=since)
    assert before.state == "not_published"
    publisher.commit(token, ref, prepared)
    after = publisher.lookup(token, ref, prepared.ref, publish_id=None, since=since)
    live = fake.live_posts(ref.platform_account_id)
    assert after.state == "published" and after.post_id == live[0].post_id
    # A container publishes once: a second publish call is refused, not a second post.
    with pytest.raises(Rejected):
        publisher.commit(token, ref, prepared)
    assert len(fake.live_posts(ref.platform_account_id)) == 1


@pytest.mark.parametrize(
    ("status", "code", "subcode", "expected"),
    [
        (400, 190, None, AuthFailed),
        (400, 10, None, AuthFailed),
        (400, 4, None, RateLimited),
        (400, 9, 2207042, QuotaExceeded),
        (400, 9004, None, Rejected),
        (500, 2, None, Unavailable),
    ],
)
def test_instagram_errors_are_classified(
    client: TestClient,
    tenant: Tenant,
    fake: FakePlatforms,
    contents: Contents,
    status: int,
    code: int,
    subcode: int | None,
    expected: type[Exception],
) -> None:
    token, ref = connected(client, tenant, "instagram")
    publisher = InstagramPublisher(get_settings())
    fake.fail("/media", status, code=code, subcode=subcode)
    with pytest.raises(expected):
        publisher.prepare(token, ref, PublishRequest(contents.photo("e"), draft=False))


def test_a_5xx_on_instagram_publish_is_an_unknown_outcome(
    client: TestClient, tenant: Tenant, fake: FakePlatforms, contents: Contents
) -> None:
    token, ref = connected(client, tenant, "instagram")
    publisher = registry.publisher("instagram", True)
    prepared = publisher.prepare(token, ref, PublishRequest(contents.photo("e"), draft=False))
    fake.fail("media_publish", 500)
    with pytest.raises(OutcomeUnknown):
        publisher.commit(token, ref, prepared)


@respx.mock
def test_retry_after_dates_and_non_json_answers() -> None:
    settings = get_settings().model_copy(update={"tiktok_api_base": "https://tiktok.test"})
    publisher = TikTokPublisher(settings)
    ref = AccountRef("sa_x", "open", "h")
    respx.post("https://tiktok.test/v2/post/publish/creator_info/query/").mock(
        return_value=httpx.Response(
            429,
            headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"},
            json={"error": {"code": "rate_limit_exceeded", "message": "slow down"}},
        )
    )
    with pytest.raises(RateLimited) as raised:
        publisher.creator_info(Secret("t"))
    assert raised.value.retry_after == 0.0  # a date in the past: retry now
    respx.post("https://tiktok.test/v2/post/publish/video/init/").mock(
        return_value=httpx.Response(200, text="<html>gateway</html>")
    )
    with pytest.raises(OutcomeUnknown, match="not JSON"):
        publisher.commit(Secret("t"), ref, Prepared("video_init", {"body": {}}))
