"""Instagram content publishing (Instagram API with Instagram Login, ``graph.instagram.com``).

* Quota: ``GET /{ig-user-id}/content_publishing_limit?fields=config,quota_usage`` (posts
  published through the API in the moving 24 hours; a carousel counts once).
* Containers: ``POST /{ig-user-id}/media`` with ``image_url`` (an image), ``media_type=REELS``
  and ``video_url`` (a video), or one ``is_carousel_item`` container per image and then
  ``media_type=CAROUSEL`` with ``children``. Each is polled (``GET /{container}?fields=
  status_code``) until ``FINISHED`` (``IN_PROGRESS``, ``ERROR``, ``EXPIRED``, ``PUBLISHED``).
  None of this publishes anything.
* Publish: ``POST /{ig-user-id}/media_publish?creation_id={container}``: the one call that
  publishes; it answers the new media id.

A container is published at most once, so it is the unit of exactly-once here: when the
answer to ``media_publish`` is lost or is an error the platform may still have acted on, the
container's ``status_code`` says what happened: ``PUBLISHED`` (it did: the media is found in
the account's recent media), ``FINISHED`` (it did not: publishing it again is safe).
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from layers.kit import clock
from layers.kit.settings import Settings
from layers.social.platforms import http
from layers.social.platforms.base import (
    AccountRef,
    Outcome,
    OutcomeUnknown,
    Prepared,
    PublishRequest,
    Quota,
    Rejected,
    Unavailable,
)
from layers.social.platforms.instagram.api import PLATFORM, graph_error
from layers.social.platforms.instagram.oauth import GRAPH_VERSION
from layers.social.platforms.instagram.spec import SPEC
from layers.social.vault import Secret

assert SPEC.media.max_hashtags is not None
assert SPEC.daily_post_cap is not None
MAX_CAROUSEL = SPEC.media.max_images
MAX_CAPTION = SPEC.media.max_caption
MAX_HASHTAGS = SPEC.media.max_hashtags
DEFAULT_QUOTA = SPEC.daily_post_cap  # when the account's content_publishing_limit does not say
SHARE_REEL_TO_FEED = "shareReelToFeed"


class ContainerPolicy:
    """How long to wait for a container to finish processing (videos take a while)."""

    delays: tuple[float, ...] = (0.0, 1.0, 2.0, 3.0, 5.0, 5.0, 10.0, 10.0, 15.0, 15.0, 30.0, 30.0)


class InstagramPublisher:
    platform: str = PLATFORM

    def __init__(self, settings: Settings) -> None:
        self.graph_base = settings.instagram_graph_base.rstrip("/")

    def _url(self, path: str) -> str:
        return f"{self.graph_base}/{GRAPH_VERSION}/{path.lstrip('/')}"

    def _get(self, token: Secret, path: str, params: dict[str, Any]) -> dict[str, Any]:
        response = http.send(
            PLATFORM,
            "GET",
            self._url(path),
            params={**params, "access_token": token.reveal()},
            parse_error=graph_error,
        )
        body = http.json_body(PLATFORM, response)
        return body if isinstance(body, dict) else {}

    def _post(
        self, token: Secret, path: str, form: dict[str, Any], *, commit: bool = False
    ) -> dict[str, Any]:
        response = http.send(
            PLATFORM,
            "POST",
            self._url(path),
            data={**{k: _form(v) for k, v in form.items()}, "access_token": token.reveal()},
            parse_error=graph_error,
            commit=commit,
        )
        body = http.json_body(PLATFORM, response, commit=commit)
        return body if isinstance(body, dict) else {}

    def quota(self, token: Secret, account: AccountRef) -> Quota:
        body = self._get(
            token,
            f"{account.platform_account_id}/content_publishing_limit",
            {"fields": "config,quota_usage"},
        )
        rows = body.get("data")
        row = rows[0] if isinstance(rows, list) and rows and isinstance(rows[0], dict) else {}
        config = row.get("config")
        config = config if isinstance(config, dict) else {}
        total = int(config.get("quota_total") or DEFAULT_QUOTA)
        used = int(row.get("quota_usage") or 0)
        remaining = max(0, total - used)
        retry_at = None if remaining else clock.now() + timedelta(hours=1)
        return Quota(remaining=remaining, total=total, retry_at=retry_at)

    def prepare(self, token: Secret, account: AccountRef, request: PublishRequest) -> Prepared:
        content = request.content
        text = content.text()
        if len(text) > MAX_CAPTION:
            raise Rejected(f"An Instagram caption is at most {MAX_CAPTION} characters.")
        if text.count("#") > MAX_HASHTAGS:
            raise Rejected(f"An Instagram caption takes at most {MAX_HASHTAGS} hashtags.")
        if content.kind == "photo" and len(content.media_urls) > MAX_CAROUSEL:
            raise Rejected(f"An Instagram carousel takes at most {MAX_CAROUSEL} images.")
        user = account.platform_account_id
        if content.kind == "video":
            form: dict[str, Any] = {
                "media_type": "REELS",
                "video_url": content.media_urls[0],
                "caption": text,
                "share_to_feed": bool(request.options.get(SHARE_REEL_TO_FEED, True)),
            }
            if content.cover_url:
                form["cover_url"] = content.cover_url
            kind = "reel"
        elif len(content.media_urls) == 1:
            form = {"image_url": content.media_urls[0], "caption": text}
            kind = "image"
        else:
            children = []
            for url in content.media_urls:
                child = self._create(token, user, {"image_url": url, "is_carousel_item": True})
                children.append(child)
            for child in children:
                self._wait(token, child)
            form = {"media_type": "CAROUSEL", "children": ",".join(children), "caption": text}
            kind = "carousel"
        creation_id = self._create(token, user, form)
        self._wait(token, creation_id)
        return Prepared(
            "media_publish", {"operation": "media_publish", "creationId": creation_id,
                              "caption": text, "kind": kind},
        )  # fmt: skip

    def _create(self, token: Secret, user: str, form: dict[str, Any]) -> str:
        body = self._post(token, f"{user}/media", form)
        container = body.get("id")
        if not container:
            raise Unavailable("Instagram did not return a container id.")
        return str(container)

    def container_status(self, token: Secret, container: str) -> str:
        body = self._get(token, container, {"fields": "status_code,status"})
        return str(body.get("status_code") or "")

    def _wait(self, token: Secret, container: str) -> None:
        for delay in ContainerPolicy.delays:
            if delay:
                time.sleep(delay)
            status = self.container_status(token, container)
            if status in ("FINISHED", "PUBLISHED"):
                return
            if status == "ERROR":
                raise Rejected("Instagram could not process the media (container ERROR).")
            if status == "EXPIRED":
                raise Unavailable("The Instagram container expired before it was published.")
        raise Unavailable("Instagram is still processing the media; try again later.")

    def commit(self, token: Secret, account: AccountRef, prepared: Prepared) -> Outcome:
        creation_id = str(prepared.ref["creationId"])
        try:
            body = self._post(
                token,
                f"{account.platform_account_id}/media_publish",
                {"creation_id": creation_id},
                commit=True,
            )
        except http.ServerError as exc:
            # The platform may have published before failing: the container will tell.
            raise OutcomeUnknown(
                exc.message, platform_code=exc.platform_code, http_status=exc.http_status
            ) from None
        media_id = body.get("id")
        if not media_id:
            raise OutcomeUnknown("Instagram accepted the publish without a media id.")
        return Outcome(state="published", publish_id=creation_id, post_id=str(media_id))

    def lookup(
        self,
        token: Secret,
        account: AccountRef,
        ref: dict[str, Any],
        *,
        publish_id: str | None,
        post_id: str | None = None,
        since: datetime,
    ) -> Outcome:
        creation_id = str(ref.get("creationId") or publish_id or "")
        if post_id:
            body = self._get(token, post_id, {"fields": "id,permalink"})
            return Outcome(
                state="published",
                publish_id=creation_id or None,
                post_id=post_id,
                url=_str(body.get("permalink")),
            )
        if not creation_id:
            return Outcome(state="unknown")
        status = self.container_status(token, creation_id)
        if status == "PUBLISHED":
            found = self._find_media(token, account, str(ref.get("caption") or ""), since)
            if found is not None:
                return Outcome(
                    state="published", publish_id=creation_id, post_id=found[0], url=found[1]
                )
            return Outcome(state="published", publish_id=creation_id)
        if status in ("FINISHED", "EXPIRED"):
            return Outcome(state="not_published", publish_id=creation_id)
        if status == "ERROR":
            return Outcome(state="failed", publish_id=creation_id, failure="container_error")
        if status == "IN_PROGRESS":
            return Outcome(state="processing", publish_id=creation_id)
        return Outcome(state="unknown", publish_id=creation_id)

    def _find_media(
        self, token: Secret, account: AccountRef, caption: str, since: datetime
    ) -> tuple[str, str | None] | None:
        body = self._get(
            token,
            f"{account.platform_account_id}/media",
            {"fields": "id,caption,permalink,timestamp", "limit": 25},
        )
        earliest = since - timedelta(minutes=2)
        for media in body.get("data") or []:
            if not isinstance(media, dict) or (media.get("caption") or "") != caption:
                continue
            stamp = _timestamp(media.get("timestamp"))
            if stamp is None or stamp >= earliest:
                return str(media.get("id")), _str(media.get("permalink"))
        return None


def _form(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        return None


def _str(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None
