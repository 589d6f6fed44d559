"""Idempotency-Key on POST and PATCH (DESIGN §4).

* Scoped to the organization and mode of the calling key, kept 24 hours.
* Same key + same request → the stored response, byte for byte, with nothing re-run.
* Same key + a different method, path or body → 409 IDEMPOTENCY_CONFLICT.
* A duplicate while the first is still running → 409 IDEMPOTENCY_IN_PROGRESS + Retry-After.
* Only successful (2xx) responses are stored: an error had no effect, so the key is released
  and the request may be retried with it.

The claim is committed on its own before the request runs, so that concurrent duplicates see
it; the response is stored in the request's own transaction, so effects and stored response
commit together or not at all.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from layers.kit import clock
from layers.kit.db import Base, Database, JSONType, UTCDateTime
from layers.kit.errors import IdempotencyConflict, IdempotencyInProgress, Validation
from layers.kit.settings import get_settings


class IdempotencyRecord(Base):
    """One Idempotency-Key of one organization (and mode), kept 24 hours. The plumbing's own
    table, defined here so that the kit imports no model.

    ``in_flight`` while the first request runs (until ``locked_until``, after which a crashed
    request's key can be taken over: its effects were never committed), then ``completed``
    with the exact response bytes, committed in the same transaction as the effects.
    """

    __tablename__ = "idempotency_records"
    __table_args__ = (sa.UniqueConstraint("org_id", "livemode", "key"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(
        sa.String(40), sa.ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    )
    livemode: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    key: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    fingerprint: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    method: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    path: Mapped[str] = mapped_column(sa.String(512), nullable=False)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    locked_until: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    response_status: Mapped[int | None] = mapped_column(sa.Integer)
    response_headers: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    response_body: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)


RETENTION = timedelta(hours=24)
IN_FLIGHT_LEASE = timedelta(minutes=10)
MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class StoredResponse:
    status: int
    headers: dict[str, str]
    body: bytes


class IdempotentReplay(Exception):
    def __init__(self, response: StoredResponse) -> None:
        self.response = response


def fingerprint(method: str, path: str, query: str, body: bytes) -> str:
    """Same request ⇔ same fingerprint. JSON bodies compare by value, not by key order; a
    multipart form by its fields and files (`http` reads it; its boundary is random)."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, UnicodeDecodeError):
        canonical = body
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), query.encode(), canonical):
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


def validate_key(key: str) -> str:
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise Validation.field(
            "Idempotency-Key", "must be 1–255 printable characters", "idempotency_key_invalid"
        )
    return key


def claim(
    db: Database, *, org_id: str, livemode: bool, key: str, method: str, path: str, fp: str
) -> int:
    """Reserve `key` for this request; returns the record id, or raises replay/conflict."""
    for attempt in range(3):
        try:
            with db.transaction() as session:
                return _claim_once(session, org_id, livemode, key, method, path, fp)
        except IntegrityError:
            # A concurrent first request inserted the key between our read and our insert.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _claim_once(
    session: Session, org_id: str, livemode: bool, key: str, method: str, path: str, fp: str
) -> int:
    now = clock.now()
    record = session.scalar(
        sa.select(IdempotencyRecord).where(
            IdempotencyRecord.org_id == org_id,
            IdempotencyRecord.livemode == livemode,
            IdempotencyRecord.key == key,
        )
    )
    if record is not None and record.created_at <= now - RETENTION:
        session.delete(record)
        session.flush()
        record = None
    if record is None:
        record = IdempotencyRecord(
            org_id=org_id,
            livemode=livemode,
            key=key,
            fingerprint=fp,
            method=method,
            path=path,
            status="in_flight",
            locked_until=now + IN_FLIGHT_LEASE,
            created_at=now,
        )
        session.add(record)
        session.flush()
        return record.id
    if record.fingerprint != fp:
        raise IdempotencyConflict(
            "This Idempotency-Key was already used with a different request.",
            idempotencyKey=key,
            originalMethod=record.method,
            originalPath=record.path,
        )
    if record.status == "completed":
        assert record.response_status is not None
        assert record.response_body is not None
        raise IdempotentReplay(
            StoredResponse(
                record.response_status,
                dict(record.response_headers or {}),
                unseal(record.response_body),
            )
        )
    if record.locked_until > now:
        raise IdempotencyInProgress(
            "A request with this Idempotency-Key is still in progress; retry shortly.",
            idempotencyKey=key,
        )
    # The first request died without committing anything: take the key over.
    record.locked_until = now + IN_FLIGHT_LEASE
    return record.id


_SEALED = b"sealed:v1:"


def _replay_key() -> bytes:
    # Derived from the API-key pepper: a database dump alone does not open a sealed response.
    pepper = get_settings().resolved_api_key_pepper
    return hashlib.sha256(b"layers-idempotency-replay\x00" + pepper).digest()


def seal(body: bytes) -> bytes:
    """Encrypt a response body that carries a secret (a new API key) for the replay store."""
    nonce = os.urandom(12)
    return _SEALED + nonce + AESGCM(_replay_key()).encrypt(nonce, body, _SEALED)


def unseal(stored: bytes) -> bytes:
    """The body as it was sent (`seal`ed bodies are decrypted; others are stored plain)."""
    if not stored.startswith(_SEALED):
        return stored
    nonce, sealed = stored[len(_SEALED) : len(_SEALED) + 12], stored[len(_SEALED) + 12 :]
    return AESGCM(_replay_key()).decrypt(nonce, sealed, _SEALED)


def complete(session: Session, record_id: int, response: StoredResponse) -> None:
    """Store the response in the request's transaction (commits with its effects)."""
    session.execute(
        sa.update(IdempotencyRecord)
        .where(IdempotencyRecord.id == record_id)
        .values(
            status="completed",
            response_status=response.status,
            response_headers=response.headers,
            response_body=response.body,
        )
    )


def release(db: Database, record_id: int) -> None:
    with db.transaction() as session:
        session.execute(
            sa.delete(IdempotencyRecord).where(
                IdempotencyRecord.id == record_id, IdempotencyRecord.status == "in_flight"
            )
        )


def purge_expired(session: Session) -> int:
    """Delete records past the 24-hour window; returns how many went."""
    result = session.execute(
        sa.delete(IdempotencyRecord).where(IdempotencyRecord.created_at <= clock.now() - RETENTION)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
