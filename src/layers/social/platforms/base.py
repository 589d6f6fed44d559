"""The two capabilities a social platform offers us, and the errors their calls raise.

`OAuthProvider` connects an account and keeps its tokens fresh; `Publisher` publishes. Each
has a real implementation (an httpx client written from the platform's public documentation)
and a sandbox one; `layers.social.platforms.registry` picks one by platform and mode.

A publish is split so that the protocol (`layers.publishing.protocol`) can record an attempt
between the calls that cannot publish and the one call that can:

* `Publisher.prepare` validates the content and makes every call that cannot publish
  (TikTok's creator info; Instagram's containers and their processing);
* `Publisher.commit` makes the single call that can create a post, and nothing else;
* `Publisher.lookup` answers "did it publish?" for an attempt whose outcome is unknown,
  without ever publishing.

A platform's facts (its daily cap, drafts inbox, what manual posting makes of a publish, token
lifetimes, post options, media limits) are one `PlatformSpec` next to its client
(``platforms/<name>/spec.py``), collected in `registry.SPECS`: nothing outside a platform's
package branches on its name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from layers.social.vault import Secret

PLATFORMS = ("tiktok", "instagram")  # the keys of `registry.SPECS`, in this order


# ---- errors raised by platform calls ----


class PlatformCallError(Exception):
    """A platform call that did not succeed. ``code`` is ours (stable), ``platform_code`` theirs.

    Messages are built from the platform's error fields, never from a request, so they never
    carry a token.
    """

    code = "PLATFORM_ERROR"

    def __init__(
        self, message: str, *, platform_code: str | None = None, http_status: int | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.platform_code = platform_code
        self.http_status = http_status

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message[:1000],
            "platformCode": self.platform_code,
            "httpStatus": self.http_status,
        }


class AuthFailed(PlatformCallError):
    """The platform refused the token (expired, revoked, scope withdrawn). Nothing happened."""

    code = "CREDENTIAL_INVALID"


class Rejected(PlatformCallError):
    """A definite, permanent refusal (bad media, policy, invalid parameters). Nothing happened."""

    code = "PLATFORM_REJECTED"


class QuotaExceeded(PlatformCallError):
    """The account's posting quota is used up. Nothing happened; try after ``retry_at``."""

    code = "PLATFORM_QUOTA_EXCEEDED"

    def __init__(self, message: str, *, retry_at: datetime | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_at = retry_at


class RateLimited(PlatformCallError):
    """Too many requests. Nothing happened; retry after ``retry_after`` seconds."""

    code = "PLATFORM_RATE_LIMITED"

    def __init__(self, message: str, *, retry_after: float = 60.0, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class Unavailable(PlatformCallError):
    """The platform could not take the request (connection refused, 5xx before acceptance).

    Raised only where the platform cannot have acted on it, so retrying is safe.
    """

    code = "PLATFORM_UNAVAILABLE"


class OutcomeUnknown(PlatformCallError):
    """The call may have taken effect (a timeout after sending, a dropped connection, an
    error answer from a call the platform may still have carried out). Resolve it with
    `Publisher.lookup`; never by calling again blindly."""

    code = "OUTCOME_UNKNOWN"


# ---- OAuth ----


@dataclass(frozen=True)
class TokenGrant:
    """Tokens from a code exchange or a refresh. An absent or empty ``refresh_token`` means
    "keep the one you have" (Instagram has none; a refresh may not repeat it)."""

    access_token: Secret
    refresh_token: Secret | None
    expires_in: int | None
    refresh_expires_in: int | None
    scopes: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlatformProfile:
    platform_account_id: str
    handle: str | None
    display_name: str | None
    avatar_url: str | None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Connection:
    grant: TokenGrant
    profile: PlatformProfile


class OAuthProvider(Protocol):
    """Connects accounts of one platform and refreshes their tokens."""

    platform: str
    default_scopes: tuple[str, ...]

    def authorize_url(self, *, state: str, redirect_uri: str, scopes: Sequence[str]) -> str:
        """Where the person consents; the platform then redirects to `redirect_uri`."""
        ...

    def connect(self, *, code: str, redirect_uri: str) -> Connection:
        """Exchange the authorization code and read who connected."""
        ...

    def refresh(self, *, access_token: Secret, refresh_token: Secret | None) -> TokenGrant:
        """New tokens. Raises `AuthFailed` when the grant is gone (the account needs reauth)."""
        ...


# ---- publishing ----


@dataclass(frozen=True)
class PublishableContent:
    """What one post publishes.

    * ``kind="photo"``: 1–35 image URLs (TikTok photo post; Instagram image, or a carousel
      of 2–10); ``cover_index`` picks the cover.
    * ``kind="video"``: exactly one video URL (TikTok video; an Instagram Reel);
      ``duration_ms`` is checked against the creator's maximum, ``cover_timestamp_ms``
      picks the TikTok cover frame, ``cover_url`` the Reel cover.

    ``caption`` may already end with the hashtags; `text` appends only those it lacks.
    """

    kind: Literal["photo", "video"]
    media_urls: Sequence[str]
    caption: str = ""
    hashtags: Sequence[str] = ()
    title: str | None = None
    cover_index: int = 0
    cover_timestamp_ms: int | None = None
    cover_url: str | None = None
    duration_ms: int | None = None
    first_comment: str | None = None
    container_id: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "media_urls", tuple(self.media_urls))
        object.__setattr__(self, "hashtags", tuple(self.hashtags))
        if self.kind not in ("photo", "video"):
            raise ValueError(f"unknown content kind {self.kind!r}")
        if not self.media_urls:
            raise ValueError("content needs at least one media URL")
        if self.kind == "video" and len(self.media_urls) != 1:
            raise ValueError("video content has exactly one media URL")
        if not 0 <= self.cover_index < len(self.media_urls):
            raise ValueError("cover_index is out of range")

    def text(self) -> str:
        """The caption, a blank line, then the hashtags it lacks (each once, with its ``#``)."""
        words = {word.lower() for word in self.caption.split()}
        tags = [
            f"#{tag.lstrip('#')}"
            for tag in self.hashtags
            if tag.strip("#") and f"#{tag.lstrip('#')}".lower() not in words
        ]
        return "\n\n".join(part for part in (self.caption.strip(), " ".join(tags)) if part)


@dataclass(frozen=True)
class AccountRef:
    """What a publisher knows of the account it publishes to."""

    social_account_id: str
    platform_account_id: str
    handle: str | None


@dataclass(frozen=True)
class PublishRequest:
    content: PublishableContent
    draft: bool
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Prepared:
    """The outcome of `Publisher.prepare`: what `commit` sends, and (``ref``, JSON-safe)
    what a later `lookup` needs. ``ref`` is recorded with the attempt before the commit."""

    operation: str
    ref: dict[str, Any]


@dataclass(frozen=True)
class Outcome:
    """What the platform says about a publish.

    ``state``: ``published`` (live; ids known or not yet), ``inbox`` (in the creator's
    drafts), ``processing`` (accepted, not settled), ``failed`` (settled, not published;
    ``failure`` says why), ``not_published`` (provably never published: retrying is safe),
    ``unknown`` (the platform cannot tell yet).
    """

    state: Literal["published", "inbox", "processing", "failed", "not_published", "unknown"]
    publish_id: str | None = None
    post_id: str | None = None
    url: str | None = None
    failure: str | None = None
    retryable: bool = False


@dataclass(frozen=True)
class Quota:
    """Remote posting quota: ``remaining`` posts now (None: the platform does not say)."""

    remaining: int | None
    total: int | None = None
    retry_at: datetime | None = None


class Publisher(Protocol):
    """Publishes to one platform. Every method may raise a `PlatformCallError`."""

    platform: str

    def quota(self, token: Secret, account: AccountRef) -> Quota:
        """The platform's own view of the posting quota (may call the platform)."""
        ...

    def prepare(self, token: Secret, account: AccountRef, request: PublishRequest) -> Prepared:
        """Validate and make every call that cannot publish. Never publishes."""
        ...

    def commit(self, token: Secret, account: AccountRef, prepared: Prepared) -> Outcome:
        """The one call that publishes. Raises `OutcomeUnknown` when it may have."""
        ...

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
        """Did the attempt described by `ref` (and `publish_id`/`post_id`, when known)
        publish? Never publishes. `since`: when the attempt started."""
        ...


# ---- a platform's facts ----


@dataclass(frozen=True)
class MediaLimits:
    """What one post may carry (checked by the publishers and the sandbox before any call)."""

    max_images: int  # a photo post / carousel
    max_caption: int  # characters of the text sent with a video (and with a photo, by default)
    max_photo_text: int | None = None  # characters of a photo post's text, when it differs
    max_title: int | None = None  # characters of a photo post's title, when it has one
    max_hashtags: int | None = None  # hashtags in the text, when the platform caps them


@dataclass(frozen=True)
class PostOption:
    """One key of a post's ``platform_options`` that the platform's publisher reads.

    ``fields`` are an object option's keys (empty: the value is a plain one). The option
    applies to targets in one of ``modes`` whose content is one of ``kinds``. A target of
    another platform carrying it is refused (422), unless ``ignored_elsewhere`` (a settings
    object named for its platform, so that one request can send it to every target)."""

    key: str
    modes: frozenset[str]
    kinds: frozenset[str] = frozenset({"photo", "video"})
    fields: tuple[str, ...] = ()
    ignored_elsewhere: bool = False

    def applies(self, mode: str, kind: str | None) -> bool:
        return mode in self.modes and (kind is None or kind in self.kinds)


@dataclass(frozen=True)
class PlatformSpec:
    """The facts of one platform that the rest of the system needs: everything outside
    ``platforms/<name>/`` that differs by platform reads them here instead of branching on the
    platform's name. One instance per platform in ``platforms/<name>/spec.py``; all of them in
    `layers.social.platforms.registry.SPECS`."""

    name: str  # the platform's id in our API and rows ("tiktok")
    display_name: str  # for people ("TikTok")
    # Publishing
    daily_post_cap: int | None  # documented posts per account per rolling 24 hours
    reports_quota: bool  # `Publisher.quota` asks the platform what is left (else: our count)
    drafts_inbox: bool  # a post can go to the creator's drafts inbox (mode ``draft``)
    manual_outcome: Literal["draft", "pending_manual"]  # a publish when posting is not automatic
    quota_failures: frozenset[str]  # settled failures that mean "the daily cap is reached"
    reauth_failures: frozenset[str]  # settled failures that mean "the grant was withdrawn"
    post_options: tuple[PostOption, ...]
    privacy_levels: tuple[str, ...]  # in order of preference (most public first); () if none
    media: MediaLimits
    post_url: str  # a str.format pattern of: {handle}, {kind} (photo|video), {post_id}, {code}
    # OAuth and tokens
    default_scopes: tuple[str, ...]
    access_token_lifetime: timedelta
    refresh_token_lifetime: timedelta | None  # None: no refresh token, the access token renews
    refresh_window: timedelta  # refresh ahead of the grant lapsing unused (the health sweep)
    refresh_min_age: timedelta = timedelta(0)  # the platform refreshes only tokens this old
    # Metrics read-back (`layers.metrics`): posts per metrics call, and the calls one account
    # may make a minute (the sync paces itself under it and backs off on a rate-limit answer).
    metrics_batch: int = 1
    metrics_calls_per_minute: int = 60

    @property
    def has_refresh_token(self) -> bool:
        return self.refresh_token_lifetime is not None

    def option(self, key: str) -> PostOption | None:
        return next((o for o in self.post_options if o.key == key), None)

    def url(self, *, handle: str | None, kind: str, post_id: str, code: str = "") -> str:
        """A post's public URL from the platform's pattern (`code`: Instagram's shortcode)."""
        segment = "photo" if kind == "photo" else "video"
        return self.post_url.format(
            handle=handle or "user", kind=segment, post_id=post_id, code=code
        )
