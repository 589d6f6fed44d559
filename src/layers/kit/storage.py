"""Media storage behind one Protocol; the local directory implementation is the default.

Objects are served at signed URLs, ``{public_base_url}/media/{key}?exp=…&sig=…``: a URL is
a capability that expires, so platforms can pull a post's media without an API key.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import time
from pathlib import Path
from typing import Protocol
from urllib.parse import urlencode

from layers.kit.settings import Settings

_KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-./]{0,254}$")
DEFAULT_URL_TTL = 7 * 24 * 3600


class MediaStorage(Protocol):
    """Where generated and uploaded media bytes live."""

    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def path(self, key: str) -> Path:
        """A local file holding the object (downloaded first for remote stores)."""
        ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...


def validate_key(key: str) -> str:
    if not _KEY_RE.match(key) or ".." in key:
        raise ValueError(f"invalid media key {key!r}")
    return key


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: str) -> Path:
        return self.root / validate_key(key)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, target)

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)


def _signature(secret: str, key: str, expires: int) -> str:
    message = f"{key}\n{expires}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


def signed_url(settings: Settings, key: str, ttl: int = DEFAULT_URL_TTL) -> str:
    expires = int(time.time()) + ttl
    query = urlencode(
        {"exp": expires, "sig": _signature(settings.resolved_session_secret, key, expires)}
    )
    return f"{settings.public_base_url.rstrip('/')}/media/{validate_key(key)}?{query}"


def verify_signature(settings: Settings, key: str, expires: int, sig: str) -> bool:
    if expires < int(time.time()):
        return False
    expected = _signature(settings.resolved_session_secret, key, expires)
    return hmac.compare_digest(expected, sig)


_storage: MediaStorage | None = None


def get_storage(settings: Settings) -> MediaStorage:
    global _storage
    if _storage is None:
        _storage = LocalStorage(settings.ensure_data_dir() / "media")
    return _storage


def reset_storage() -> None:
    global _storage
    _storage = None
