"""Prefixed ULIDs: ``prj_01J…``. Sortable by creation time, so ``id DESC`` is newest first."""

from __future__ import annotations

import hashlib
import os
import re
import time
from datetime import datetime

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_ULID_RE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")

PREFIXES = frozenset(
    {
        "org",
        "pms",  # a post metrics snapshot
        "ams",  # an account metrics snapshot
        "key",
        "prj",
        "med",
        "sa",
        "st",
        "inf",
        "job",
        "cnt",
        "sp",
        "lyr",
        "run",
        "evt",
        "txn",
        "req",
        "act",
        "cfg",
        "pat",
        "snap",
        "vault",
        "ast",
        "whe",
        "whd",
        "aac",  # an ad account
        "cmp",  # an ad campaign
        "adset",  # an ad set (TikTok: ad group)
        "ad",  # an ad
        "acl",  # an ads content link (our container ↔ an ad)
        "aut",  # an ads authority block
        "dec",  # an ads optimizer decision
        "pa",  # a pending ad action
        "ver",  # a verdict on a pending ad action
    }
)


def _encode(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        value, rem = divmod(value, 32)
        chars.append(_CROCKFORD[rem])
    return "".join(reversed(chars))


def ulid(at_ms: int | None = None, randomness: bytes | None = None) -> str:
    ms = int(time.time() * 1000) if at_ms is None else at_ms
    rand = os.urandom(10) if randomness is None else randomness[:10]
    return _encode(ms, 10) + _encode(int.from_bytes(rand, "big"), 16)


def new_id(prefix: str, at: datetime | None = None) -> str:
    assert prefix in PREFIXES, prefix
    at_ms = None if at is None else int(at.timestamp() * 1000)
    return f"{prefix}_{ulid(at_ms)}"


def deterministic_id(prefix: str, at: datetime, *parts: str) -> str:
    """The same id for the same inputs: used where several workers must agree on one id."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return f"{prefix}_{ulid(int(at.timestamp() * 1000), digest)}"


def has_prefix(value: str, prefix: str) -> bool:
    head, sep, tail = value.partition("_")
    return sep == "_" and head == prefix and bool(_ULID_RE.match(tail))
