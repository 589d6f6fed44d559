"""The content seam: what a resolver may return, and what the protocol makes of it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient

from layers.kit import db as kit_db
from layers.kit.errors import Conflict, ContentUnavailable
from layers.models.publishing import ScheduledPost
from layers.publishing.content import PublishableContent, register_content_resolver, resolve
from layers.publishing.protocol import publish_post
from tests.social.helpers import make_account, new_post, new_project, post_row
from tests.support import Tenant


@dataclass(frozen=True)
class ContainerShaped:
    """Another module's own dataclass with the same field names (lists, not tuples)."""

    kind: str
    media_urls: list[str]
    caption: str
    hashtags: list[str] = field(default_factory=list)
    duration_ms: int | None = None


def test_text_appends_only_the_missing_hashtags() -> None:
    content = PublishableContent(
        kind="photo",
        media_urls=["https://m/1.jpg"],
        caption="Fresh beans #coffeetok",
        hashtags=["coffeetok", "#runnersoftiktok", ""],
    )
    assert content.text() == "Fresh beans #coffeetok\n\n#runnersoftiktok"
    with pytest.raises(ValueError, match="exactly one"):
        PublishableContent(kind="video", media_urls=["a", "b"])
    with pytest.raises(ValueError, match="cover_index"):
        PublishableContent(kind="photo", media_urls=["a"], cover_index=1)


def test_resolvers_may_return_their_own_shape_and_overrides_win(
    client: TestClient, tenant: Tenant
) -> None:
    account_id = make_account(new_project(client, tenant))
    post_id = new_post(account_id, caption_override="Only this")

    def resolver(_session: Any, _post: Any) -> ContainerShaped:
        return ContainerShaped("video", ["https://m/v.mp4"], "From the container", ["tag"], 9000)

    undo = register_content_resolver(resolver)
    try:
        with kit_db.get_database().transaction(write=False) as session:
            post = session.get(ScheduledPost, post_id)
            assert post is not None
            content = resolve(session, post)
    finally:
        undo()
    assert isinstance(content, PublishableContent)
    assert content.media_urls == ("https://m/v.mp4",) and content.duration_ms == 9000
    assert content.caption == "Only this" and content.text() == "Only this"


def test_a_resolver_refusal_sends_the_post_to_a_person(client: TestClient, tenant: Tenant) -> None:
    account_id = make_account(new_project(client, tenant), posting_mode="automatic")
    post_id = new_post(account_id)

    def refuse(_session: Any, post: Any) -> Any:
        raise Conflict(f"Scheduled post {post.id} has no content.")

    undo = register_content_resolver(refuse)
    try:
        outcome = publish_post(post_id)
    finally:
        undo()
    assert outcome.status == "pending_manual"
    assert outcome.error and outcome.error["code"] == ContentUnavailable.code
    assert "has no content" in outcome.error["message"]
    assert post_row(post_id).attempt_count == 0  # nothing was sent anywhere
