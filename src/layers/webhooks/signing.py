"""The signature every delivery carries, and the check a receiver runs.

``X-Layers-Signature: t=<unix>,v1=<hex>`` where ``v1 = HMAC-SHA256(secret, "<t>.<raw body>")``
in lower-case hex. During a secret rotation the header carries one ``v1=`` per valid secret
(the new one first); a receiver accepts the delivery if any of them verifies, and refuses a
timestamp more than `TOLERANCE_SECONDS` away from its clock (replayed captures).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets as _secrets
import time
from collections.abc import Sequence

SIGNATURE_HEADER = "X-Layers-Signature"
EVENT_ID_HEADER = "X-Layers-Event-Id"
TOLERANCE_SECONDS = 300
SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)


def new_secret() -> str:
    """A signing secret: ``whsec_`` and 32 random bytes, base64url."""
    return SECRET_PREFIX + _secrets.token_urlsafe(32)


def digest(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def header(secrets: Sequence[str], timestamp: int, body: bytes) -> str:
    """The header value: the timestamp and one ``v1=`` per secret, in the order given."""
    parts = [f"t={timestamp}"] + [f"v1={digest(secret, timestamp, body)}" for secret in secrets]
    return ",".join(parts)


def verify(
    secret: str,
    header_value: str,
    body: bytes,
    *,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> bool:
    """A receiver's check: the timestamp is recent and one ``v1`` matches `secret`."""
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header_value.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or not candidates:
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = digest(secret, timestamp, body)
    return any(hmac.compare_digest(expected, candidate) for candidate in candidates)
