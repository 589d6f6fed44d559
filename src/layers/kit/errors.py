"""Domain errors. Each carries a stable UPPER_SNAKE code and its HTTP status.

Services raise these; `layers.kit.http` maps them to the one error envelope
``{"error": {"code", "message", "requestId", "details"}}``. Codes are added, never renamed.
"""

from __future__ import annotations

from typing import Any


class LayersError(Exception):
    code = "INTERNAL"
    status = 500
    headers: dict[str, str] | None = None

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = details


class Unauthenticated(LayersError):
    code, status = "UNAUTHENTICATED", 401


class ForbiddenScope(LayersError):
    code, status = "FORBIDDEN_SCOPE", 403


class NotFound(LayersError):
    code, status = "NOT_FOUND", 404

    @classmethod
    def of(cls, kind: str, object_id: str) -> NotFound:
        return cls(f"No {kind} with id '{object_id}'.", id=object_id)


class Validation(LayersError):
    """422 naming each bad field: ``details.fields = [{field, message, type}]``."""

    code, status = "VALIDATION", 422

    @classmethod
    def field(cls, field: str, message: str, type_: str = "invalid", **extra: Any) -> Validation:
        return cls(
            f"{field}: {message}",
            fields=[{"field": field, "message": message, "type": type_}],
            **extra,
        )


class MissingFields(Validation):
    """A precondition on the object's state, e.g. hooks need appName and appDescription."""

    code = "VALIDATION"

    def __init__(self, message: str, missing: list[str]) -> None:
        super().__init__(message, missingFields=missing)


class CommandNotExecutable(LayersError):
    """A layer command that cannot be started by hand (``initialize``, scheduled commands)."""

    code, status = "COMMAND_NOT_EXECUTABLE", 422


class Conflict(LayersError):
    code, status = "CONFLICT", 409


class IdempotencyConflict(LayersError):
    code, status = "IDEMPOTENCY_CONFLICT", 409


class IdempotencyInProgress(LayersError):
    """A request with the same Idempotency-Key is still running; retry after a moment."""

    code, status = "IDEMPOTENCY_IN_PROGRESS", 409
    headers = {"Retry-After": "1"}


class InsufficientCredits(LayersError):
    code, status = "INSUFFICIENT_CREDITS", 402


class BillingExhausted(LayersError):
    """The wallet's ``available`` credits (or its monthly cap) cannot cover the reservation."""

    code, status = "BILLING_EXHAUSTED", 402


class IdempotencyRequired(LayersError):
    """A money-movement route (credit allocation) called without an ``Idempotency-Key``."""

    code, status = "IDEMPOTENCY_REQUIRED", 400


class RateLimited(LayersError):
    code, status = "RATE_LIMITED", 429

    def __init__(self, message: str, retry_after: int, **details: Any) -> None:
        super().__init__(message, retryAfter=retry_after, **details)
        self.headers = {"Retry-After": str(retry_after)}


class PlatformError(LayersError):
    code, status = "PLATFORM_ERROR", 502


class CredentialInvalid(LayersError):
    code, status = "CREDENTIAL_INVALID", 422


class ReturnUrlNotAllowed(LayersError):
    """An OAuth ``returnUrl`` whose host is not on the API key's allowlist."""

    code, status = "RETURN_URL_NOT_ALLOWED", 422


class PlatformNotConfigured(LayersError):
    """Live mode needs the platform's app credentials (``LAYERS_TIKTOK_*`` and so on)."""

    code, status = "PLATFORM_NOT_CONFIGURED", 422


class ContentUnavailable(LayersError):
    """A scheduled post whose content cannot be published (none attached, or not ready)."""

    code, status = "CONTENT_UNAVAILABLE", 409


class KillSwitch(LayersError):
    code, status = "KILL_SWITCH", 503


class SsrfBlocked(LayersError):
    """A URL we were asked to fetch points somewhere non-public."""

    code, status = "URL_NOT_ALLOWED", 422


class Unavailable(LayersError):
    code, status = "UNAVAILABLE", 503


class MediaTooLarge(LayersError):
    """A fetched file is over its kind's size cap (cut off while streaming)."""

    code, status = "MEDIA_TOO_LARGE", 422


class UnsupportedMediaType(LayersError):
    """The bytes (not the headers) say the file is not a type this kind accepts."""

    code, status = "UNSUPPORTED_MEDIA_TYPE", 422


class MediaFetchFailed(LayersError):
    """The URL was allowed but gave us no file (DNS failure, refused, 4xx/5xx, too slow)."""

    code, status = "MEDIA_FETCH_FAILED", 422


class InfluencerNotReady(LayersError):
    """Generation needs a ready influencer (or a social account whose project has one)."""

    code, status = "INFLUENCER_NOT_READY", 422


class DemoVideoRequired(LayersError):
    code, status = "DEMO_VIDEO_REQUIRED", 422


class SourceNotFound(LayersError):
    """The TikTok source id is unknown to the catalog, or of the wrong kind for the format."""

    code, status = "SOURCE_NOT_FOUND", 422


class ManagedProviderNotConnected(LayersError):
    code, status = "MANAGED_PROVIDER_NOT_CONNECTED", 422


class SocialAccountNotConnected(LayersError):
    """A scheduling target exists in the project but cannot publish (reconnect it first)."""

    code, status = "SOCIAL_ACCOUNT_NOT_CONNECTED", 422


class RenderFailed(LayersError):
    """ffmpeg could not render the media (a job error, e.g. an undecodable demo video)."""

    code, status = "RENDER_FAILED", 422


class PublishOutcomeUnknown(LayersError):
    """The platform may or may not have published a post; a person must check first."""

    code, status = "OUTCOME_UNKNOWN", 409


class ApprovalRequired(LayersError):
    """Publishing a container the project's review policy holds (``approvalStatus: pending``)."""

    code, status = "APPROVAL_REQUIRED", 403


class AuthorityDenied(LayersError):
    """An ads write that the layer's authority forbids (an axis ``off``, or the kill switch)."""

    code, status = "AUTHORITY_DENIED", 403


class ContentRejected(LayersError):
    """Scheduling or publishing a container a reviewer rejected."""

    code, status = "CONTENT_REJECTED", 409
