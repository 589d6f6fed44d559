"""Each platform's facts are one `PlatformSpec` next to its client; the clients, the sandbox
and the registry read them from there."""

from __future__ import annotations

from datetime import timedelta

import pytest

from layers.kit.errors import Validation
from layers.kit.settings import Settings
from layers.social.platforms import registry
from layers.social.platforms.base import (
    PLATFORMS,
    AccountRef,
    PublishableContent,
    PublishRequest,
    Rejected,
)
from layers.social.platforms.instagram.oauth import InstagramOAuth
from layers.social.platforms.sandbox.oauth import SandboxOAuth
from layers.social.platforms.sandbox.publisher import SandboxPublisher
from layers.social.platforms.tiktok.oauth import TikTokOAuth
from layers.social.vault import Secret


def test_one_spec_per_platform() -> None:
    assert tuple(registry.SPECS) == PLATFORMS
    for name, spec in registry.SPECS.items():
        assert spec.name == name and registry.spec(name) is spec
    with pytest.raises(Validation):
        registry.spec("myspace")
    assert registry.spec_of("myspace") is None


def test_the_documented_facts() -> None:
    tiktok, instagram = registry.SPECS["tiktok"], registry.SPECS["instagram"]
    assert (tiktok.daily_post_cap, instagram.daily_post_cap) == (15, 100)
    assert not tiktok.reports_quota and instagram.reports_quota
    assert tiktok.drafts_inbox and not instagram.drafts_inbox
    assert (tiktok.manual_outcome, instagram.manual_outcome) == ("draft", "pending_manual")
    assert tiktok.has_refresh_token and not instagram.has_refresh_token
    assert instagram.refresh_min_age == timedelta(hours=24)


def test_the_clients_scopes_are_the_specs() -> None:
    assert TikTokOAuth.default_scopes == registry.SPECS["tiktok"].default_scopes
    assert InstagramOAuth.default_scopes == registry.SPECS["instagram"].default_scopes


@pytest.mark.parametrize("platform", PLATFORMS)
def test_the_sandbox_grants_what_the_spec_says(platform: str, settings: Settings) -> None:
    spec = registry.SPECS[platform]
    oauth = SandboxOAuth(platform, settings)
    assert oauth.default_scopes == spec.default_scopes
    grant = oauth.connect(code=oauth.code_for("acme.coffee"), redirect_uri="http://x/cb").grant
    assert grant.expires_in == spec.access_token_lifetime.total_seconds()
    assert (grant.refresh_token is not None) == spec.has_refresh_token
    # A refresh presents the refresh token where there is one, else the access token.
    stranger = Secret("not.a.sandbox.token")
    if spec.has_refresh_token:
        refreshed = oauth.refresh(access_token=stranger, refresh_token=grant.refresh_token)
    else:
        refreshed = oauth.refresh(access_token=grant.access_token, refresh_token=stranger)
    assert refreshed.access_token.reveal().startswith("sbx.")


@pytest.mark.parametrize("platform", PLATFORMS)
def test_the_sandbox_publishes_within_the_spec(platform: str, settings: Settings) -> None:
    spec = registry.SPECS[platform]
    publisher, token = SandboxPublisher(platform, settings), Secret("sbx.act.x")
    account = AccountRef("sa_x", "sbx1", "acme.coffee")
    images = [f"https://media.example/{i}.jpg" for i in range(spec.media.max_images + 1)]
    too_many = PublishableContent(kind="photo", media_urls=images)
    with pytest.raises(Rejected, match=f"at most {spec.media.max_images} images"):
        publisher.prepare(token, account, PublishRequest(too_many, draft=False))
    video = PublishableContent(kind="video", media_urls=["https://media.example/v.mp4"])
    prepared = publisher.prepare(token, account, PublishRequest(video, draft=False))
    outcome = publisher.commit(token, account, prepared)
    assert outcome.state == "published" and outcome.post_id is not None
    expected = {
        "tiktok": f"https://www.tiktok.com/@acme.coffee/video/{outcome.post_id}",
        "instagram": "https://www.instagram.com/p/SBX",
    }[platform]
    assert outcome.url is not None and outcome.url.startswith(expected)
