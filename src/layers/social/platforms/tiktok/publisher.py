"""TikTok Content Posting API, media pulled from our signed URLs (``PULL_FROM_URL``).

* Direct post: ``creator_info/query`` first (privacy options, interaction switches, the
  maximum video length), then ``/v2/post/publish/video/init/`` (video) or
  ``/v2/post/publish/content/init/`` with ``media_type: PHOTO`` and ``post_mode: DIRECT_POST``.
* The partner's post settings (``tiktokPostSettings`` in the post's options: privacy level,
  comment/duet/stitch switches, music, branded-content toggles) go into ``post_info``; a
  switch the creator turned off stays off, and a privacy level the creator cannot use is
  refused.
* Drafts (the creator finishes the post in the app): ``/v2/post/publish/inbox/video/init/``
  for video, ``content/init`` with ``post_mode: MEDIA_UPLOAD`` for photos.
* Status: ``/v2/post/publish/status/fetch/`` with the ``publish_id`` from the init answer:
  ``PROCESSING_DOWNLOAD | PROCESSING_UPLOAD | SEND_TO_USER_INBOX | PUBLISH_COMPLETE | FAILED``
  (``fail_reason``; ``publicaly_available_post_id`` once public — TikTok's spelling).

The init call is the one that publishes. TikTok issues a ``publish_id`` only in its answer, so
when that answer is lost (a timeout) the attempt is looked up in the creator's recent videos
(``/v2/video/list/``, scope ``video.list``) by the exact title and time we sent; a post that is
not there yet stays unknown (the protocol looks again later, never posts again). A 5xx answer
to init means TikTok did not accept the request (no ``publish_id`` exists for it), so it may be
retried.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from layers.kit.settings import Settings
from layers.social.platforms import http
from layers.social.platforms.base import (
    AccountRef,
    AuthFailed,
    Outcome,
    Prepared,
    PublishRequest,
    Quota,
    Rejected,
)
from layers.social.platforms.tiktok.api import PLATFORM, api_error, data_of
from layers.social.platforms.tiktok.spec import SPEC
from layers.social.vault import Secret

assert SPEC.media.max_title is not None
assert SPEC.media.max_photo_text is not None
PRIVACY_PREFERENCE = SPEC.privacy_levels
MAX_PHOTOS = SPEC.media.max_images
MAX_PHOTO_TITLE = SPEC.media.max_title
MAX_DESCRIPTION = SPEC.media.max_photo_text
MAX_VIDEO_CAPTION = SPEC.media.max_caption
POST_SETTINGS = "tiktokPostSettings"  # the key of the partner's settings in the post's options
# Failures after which the post was provably not published and a new attempt may succeed.
RETRYABLE_FAILURES = frozenset(
    {"internal", "video_pull_failed", "photo_pull_failed", "publish_cancelled"}
)
OPERATIONS = {
    "video_init": "/v2/post/publish/video/init/",
    "content_init": "/v2/post/publish/content/init/",
    "inbox_video_init": "/v2/post/publish/inbox/video/init/",
}


class TikTokPublisher:
    platform: str = PLATFORM

    def __init__(self, settings: Settings) -> None:
        self.api_base = settings.tiktok_api_base.rstrip("/")

    def _post(
        self, token: Secret, path: str, body: dict[str, Any], *, commit: bool = False
    ) -> dict[str, Any]:
        response = http.send(
            PLATFORM,
            "POST",
            f"{self.api_base}{path}",
            json=body,
            headers={
                "Authorization": f"Bearer {token.reveal()}",
                "Content-Type": "application/json; charset=UTF-8",
            },
            parse_error=api_error,
            commit=commit,
        )
        return data_of(http.json_body(PLATFORM, response, commit=commit), response)

    def quota(self, token: Secret, account: AccountRef) -> Quota:
        # TikTok publishes no remaining-posts figure; the protocol enforces its daily cap.
        return Quota(remaining=None)

    def creator_info(self, token: Secret) -> dict[str, Any]:
        return self._post(token, "/v2/post/publish/creator_info/query/", {})

    def prepare(self, token: Secret, account: AccountRef, request: PublishRequest) -> Prepared:
        content = request.content
        options = post_settings(request.options)
        text = content.text()
        if content.kind == "photo" and len(content.media_urls) > MAX_PHOTOS:
            raise Rejected(f"A TikTok photo post takes at most {MAX_PHOTOS} images.")
        if content.kind == "video" and len(text) > MAX_VIDEO_CAPTION:
            raise Rejected(f"A TikTok video caption is at most {MAX_VIDEO_CAPTION} characters.")
        if content.kind == "photo" and len(text) > MAX_DESCRIPTION:
            raise Rejected(f"A TikTok photo description is at most {MAX_DESCRIPTION} characters.")
        title = (content.title or content.caption or "").strip()[:MAX_PHOTO_TITLE]
        photo_source = {
            "source": "PULL_FROM_URL",
            "photo_cover_index": content.cover_index,
            "photo_images": list(content.media_urls),
        }
        video_source = {"source": "PULL_FROM_URL", "video_url": content.media_urls[0]}
        if request.draft:
            if content.kind == "video":
                body: dict[str, Any] = {"source_info": video_source}
                return _prepared("inbox_video_init", body, match=None, draft=True)
            body = {
                "media_type": "PHOTO",
                "post_mode": "MEDIA_UPLOAD",
                "post_info": {"title": title, "description": text},
                "source_info": photo_source,
            }
            return _prepared("content_init", body, match=None, draft=True)

        info = self.creator_info(token)
        privacy = _privacy_level(info, options.get("privacyLevel"))
        disable_comment = bool(options.get("disableComment")) or bool(info.get("comment_disabled"))
        if content.kind == "video":
            limit = info.get("max_video_post_duration_sec")
            seconds = (content.duration_ms or 0) / 1000
            if seconds and isinstance(limit, int | float) and 0 < limit < seconds:
                raise Rejected(
                    f"The video lasts {seconds:.0f}s; this creator may post at most {limit:.0f}s.",
                    platform_code="duration_exceeds_creator_limit",
                )
            post_info: dict[str, Any] = {
                "title": text,
                "privacy_level": privacy,
                "disable_duet": bool(options.get("disableDuet")) or bool(info.get("duet_disabled")),
                "disable_comment": disable_comment,
                "disable_stitch": bool(options.get("disableStitch"))
                or bool(info.get("stitch_disabled")),
            }
            if content.cover_timestamp_ms is not None:
                post_info["video_cover_timestamp_ms"] = content.cover_timestamp_ms
            if options.get("isAigc"):
                post_info["is_aigc"] = True
            body = {"post_info": _branded(post_info, options), "source_info": video_source}
            return _prepared("video_init", body, match=text, draft=False)
        photo_info = {
            "title": title,
            "description": text,
            "privacy_level": privacy,
            "disable_comment": disable_comment,
            "auto_add_music": bool(options.get("autoAddMusic", True)),
        }
        body = {
            "media_type": "PHOTO",
            "post_mode": "DIRECT_POST",
            "post_info": _branded(photo_info, options),
            "source_info": photo_source,
        }
        return _prepared("content_init", body, match=text, draft=False)

    def commit(self, token: Secret, account: AccountRef, prepared: Prepared) -> Outcome:
        path = OPERATIONS[prepared.operation]
        data = self._post(token, path, prepared.ref["body"], commit=True)
        publish_id = data.get("publish_id")
        if not publish_id:
            return Outcome(state="unknown")
        return Outcome(state="processing", publish_id=str(publish_id))

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
        kind = "photo" if ref.get("body", {}).get("media_type") == "PHOTO" else "video"
        if post_id:
            return Outcome(
                state="published",
                publish_id=publish_id,
                post_id=post_id,
                url=post_url(account.handle, post_id, kind),
            )
        if publish_id:
            return self._status(token, account, publish_id, kind)
        if ref.get("draft") or not ref.get("match"):
            return Outcome(state="unknown")
        return self._find_in_videos(token, account, str(ref["match"]), since, kind)

    def _status(self, token: Secret, account: AccountRef, publish_id: str, kind: str) -> Outcome:
        data = self._post(token, "/v2/post/publish/status/fetch/", {"publish_id": publish_id})
        status = str(data.get("status") or "")
        if status == "PUBLISH_COMPLETE":
            ids = data.get("publicaly_available_post_id") or data.get("publicly_available_post_id")
            post_id = str(ids[0]) if isinstance(ids, list) and ids else None
            url = post_url(account.handle, post_id, kind) if post_id else None
            return Outcome(state="published", publish_id=publish_id, post_id=post_id, url=url)
        if status == "SEND_TO_USER_INBOX":
            return Outcome(state="inbox", publish_id=publish_id)
        if status == "FAILED":
            reason = str(data.get("fail_reason") or "unknown")
            return Outcome(
                state="failed",
                publish_id=publish_id,
                failure=reason,
                retryable=reason in RETRYABLE_FAILURES,
            )
        return Outcome(state="processing", publish_id=publish_id)

    def _find_in_videos(
        self, token: Secret, account: AccountRef, match: str, since: datetime, kind: str
    ) -> Outcome:
        try:
            response = http.send(
                PLATFORM,
                "POST",
                f"{self.api_base}/v2/video/list/",
                params={"fields": "id,title,video_description,create_time,share_url"},
                json={"max_count": 20},
                headers={
                    "Authorization": f"Bearer {token.reveal()}",
                    "Content-Type": "application/json; charset=UTF-8",
                },
                parse_error=api_error,
            )
        except AuthFailed as exc:
            if exc.platform_code in ("scope_not_authorized", "scope_permission_missed"):
                # Connected without video.list: this lookup cannot tell, the token is fine.
                return Outcome(state="unknown")
            raise
        data = data_of(http.json_body(PLATFORM, response), response)
        earliest = (since - timedelta(minutes=2)).timestamp()
        videos = data.get("videos")
        for video in videos if isinstance(videos, list) else []:
            if not isinstance(video, dict):
                continue
            created = video.get("create_time")
            texts = {str(video.get("title") or ""), str(video.get("video_description") or "")}
            if match in texts and isinstance(created, int | float) and created >= earliest:
                post_id = str(video.get("id"))
                url = _str(video.get("share_url")) or post_url(account.handle, post_id, kind)
                return Outcome(state="published", post_id=post_id, url=url)
        return Outcome(state="unknown")


def post_settings(options: dict[str, Any]) -> dict[str, Any]:
    """The partner's TikTok post settings from a post's options (camelCase keys, as scheduling
    stores them under ``tiktokPostSettings``)."""
    found = options.get(POST_SETTINGS)
    return dict(found) if isinstance(found, dict) else {}


def _branded(post_info: dict[str, Any], settings: dict[str, Any]) -> dict[str, Any]:
    """`post_info` with the branded-content toggles the partner set (sent only when set)."""
    for key, field in (
        ("brandContentToggle", "brand_content_toggle"),
        ("brandOrganicToggle", "brand_organic_toggle"),
    ):
        if settings.get(key) is not None:
            post_info[field] = bool(settings[key])
    return post_info


def _prepared(operation: str, body: dict[str, Any], *, match: str | None, draft: bool) -> Prepared:
    return Prepared(
        operation, {"operation": operation, "body": body, "match": match, "draft": draft}
    )


def _privacy_level(info: dict[str, Any], wanted: Any) -> str:
    options = [str(o) for o in info.get("privacy_level_options") or []]
    if wanted:
        if options and wanted not in options:
            raise Rejected(
                f"This creator cannot post with privacy level {wanted}; allowed: "
                f"{', '.join(options)}.",
                platform_code="privacy_level_option_mismatch",
            )
        return str(wanted)
    for level in PRIVACY_PREFERENCE:
        if level in options:
            return level
    return options[0] if options else "SELF_ONLY"


def post_url(handle: str | None, post_id: str | None, kind: str) -> str | None:
    if not post_id:
        return None
    return SPEC.url(handle=handle, kind=kind, post_id=post_id)


def _str(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None
