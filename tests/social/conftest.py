"""Fixtures for everything that talks to a platform: short protocol timings and a content
resolver for test posts. The fake TikTok/Instagram server (`fake_server`, `fake`) is in the root
conftest: one per session, whichever directory asks first (two would fight over the settings
that point live mode at them)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from sqlalchemy.orm import Session

from layers.models.publishing import ScheduledPost
from layers.publishing.content import PublishableContent, register_content_resolver
from layers.publishing.protocol import base as protocol
from layers.social.platforms import http
from layers.social.platforms.instagram.publisher import ContainerPolicy
from tests.social.fake_platforms import FakePlatforms


@pytest.fixture(autouse=True)
def quick_protocol() -> Iterator[None]:
    """Protocol timings in milliseconds instead of seconds (the logic is the same)."""
    saved = (protocol.policy, http.policy.read_timeout, ContainerPolicy.delays)
    protocol.policy = replace(protocol.policy, backoff=(0.01, 0.02), status_polls=(0.0, 0.01, 0.01))
    http.policy.read_timeout = 1.5
    ContainerPolicy.delays = (0.0, 0.01, 0.01, 0.02, 0.02, 0.05)
    yield
    protocol.policy, http.policy.read_timeout, ContainerPolicy.delays = saved


class Contents:
    """The test content resolver: per-post content, else three slides on the fake's host."""

    def __init__(self, fake: FakePlatforms | None) -> None:
        self.fake = fake
        self.by_post: dict[str, PublishableContent] = {}
        self.resolved: list[str] = []

    def media(self, name: str) -> str:
        if self.fake is not None and self.fake.base_url:
            return self.fake.media_url(name)
        return f"http://testserver/media/{name}"

    def photo(self, post_id: str, count: int = 3) -> PublishableContent:
        return PublishableContent(
            kind="photo",
            media_urls=[self.media(f"{post_id}-{i}.jpg") for i in range(count)],
            caption=f"Beans that show up before you run out ({post_id[-6:]})",
            hashtags=["coffeetok", "runnersoftiktok"],
            title="Coffee that shows up",
        )

    def video(self, post_id: str, duration_ms: int = 15_000) -> PublishableContent:
        return PublishableContent(
            kind="video",
            media_urls=[self.media(f"{post_id}.mp4")],
            caption=f"Morning run, fresh beans ({post_id[-6:]})",
            hashtags=["coffeetok"],
            duration_ms=duration_ms,
            cover_url=self.media(f"{post_id}-cover.jpg"),
        )

    def __call__(self, session: Session, post: ScheduledPost) -> PublishableContent:
        self.resolved.append(post.id)
        return self.by_post.get(post.id) or self.photo(post.id)


@pytest.fixture
def contents(request: pytest.FixtureRequest) -> Iterator[Contents]:
    fake = request.getfixturevalue("fake_server") if "fake_server" in request.fixturenames else None
    resolver = Contents(fake)
    undo = register_content_resolver(resolver)
    yield resolver
    undo()
