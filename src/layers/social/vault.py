"""The credential vault: secrets sealed with AES-256-GCM under versioned keys.

* Keys come from ``settings.resolved_vault_keys`` (``LAYERS_VAULT_KEYS="1:…,2:…"``); the
  newest version seals, every listed version opens.
* A sealed blob records the version it was sealed with: ``b"LV" | version (4 bytes, big
  endian) | nonce (12 bytes) | ciphertext and tag``. The row's id and purpose are the
  associated data, so a blob copied onto another row does not open.
* Rows (``vault_secrets``) are referenced by id only. `rotate` re-seals in place under the
  newest key: ids never change, and a crash mid-rotation leaves every row readable.
* Plaintext travels as `Secret`, whose ``repr``/``str`` never show the value, so a secret that
  slips into a log line or an exception message prints as ``[secret]``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.orm import Session

from layers.kit import clock
from layers.kit.db import Database
from layers.kit.ids import new_id
from layers.kit.settings import Settings, get_settings
from layers.models.vault import VaultSecret

_MAGIC = b"LV"
_HEADER = len(_MAGIC) + 4
_NONCE = 12


class Secret:
    """A plaintext secret that does not print itself."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __repr__(self) -> str:
        return "Secret('[secret]')"

    __str__ = __repr__


class VaultError(Exception):
    """A secret that cannot be opened: unknown key version, tampering, or a missing row."""


class Vault:
    def __init__(self, keys: Mapping[int, bytes]) -> None:
        if not keys:
            raise ValueError("the vault needs at least one key")
        for version, key in keys.items():
            if len(key) != 32:
                raise ValueError(f"vault key version {version} must be 32 bytes")
            if not 0 < version < 2**32:
                raise ValueError(f"vault key version {version} is out of range")
        self._keys = dict(keys)
        self.newest = max(self._keys)

    # ---- sealing ----

    @staticmethod
    def _aad(secret_id: str, purpose: str) -> bytes:
        return f"{secret_id}\x1f{purpose}".encode()

    def seal(self, secret_id: str, purpose: str, plaintext: str) -> bytes:
        nonce = os.urandom(_NONCE)
        sealed = AESGCM(self._keys[self.newest]).encrypt(
            nonce, plaintext.encode(), self._aad(secret_id, purpose)
        )
        return _MAGIC + self.newest.to_bytes(4, "big") + nonce + sealed

    @staticmethod
    def version_of(blob: bytes) -> int:
        if len(blob) < _HEADER + _NONCE + 16 or blob[:2] != _MAGIC:
            raise VaultError("not a vault blob")
        return int.from_bytes(blob[2:_HEADER], "big")

    def open(self, secret_id: str, purpose: str, blob: bytes) -> str:
        version = self.version_of(blob)
        key = self._keys.get(version)
        if key is None:
            raise VaultError(f"vault key version {version} is not configured")
        nonce, sealed = blob[_HEADER : _HEADER + _NONCE], blob[_HEADER + _NONCE :]
        try:
            return AESGCM(key).decrypt(nonce, sealed, self._aad(secret_id, purpose)).decode()
        except InvalidTag as exc:
            raise VaultError(f"secret {secret_id} does not open (tampered or wrong key)") from exc

    # ---- rows ----

    def store(self, session: Session, purpose: str, value: Secret) -> str:
        """A new secret row; returns its id (store only the id elsewhere)."""
        secret_id = new_id("vault")
        now = clock.now()
        session.add(
            VaultSecret(
                id=secret_id,
                purpose=purpose,
                key_version=self.newest,
                ciphertext=self.seal(secret_id, purpose, value.reveal()),
                created_at=now,
                updated_at=now,
            )
        )
        return secret_id

    def replace(self, session: Session, secret_id: str, value: Secret) -> None:
        """Put a new value under the same id."""
        row = session.get(VaultSecret, secret_id)
        if row is None:
            raise VaultError(f"no vault secret {secret_id}")
        row.ciphertext = self.seal(secret_id, row.purpose, value.reveal())
        row.key_version = self.newest
        row.updated_at = clock.now()

    def read(self, session: Session, secret_id: str) -> Secret:
        row = session.get(VaultSecret, secret_id)
        if row is None:
            raise VaultError(f"no vault secret {secret_id}")
        return Secret(self.open(row.id, row.purpose, row.ciphertext))

    def delete(self, session: Session, *secret_ids: str | None) -> None:
        ids = [secret_id for secret_id in secret_ids if secret_id]
        if ids:
            session.execute(sa.delete(VaultSecret).where(VaultSecret.id.in_(ids)))

    def pending_rotation(self, session: Session) -> dict[int, int]:
        """How many secrets each older key version still seals."""
        rows = session.execute(
            sa.select(VaultSecret.key_version, sa.func.count())
            .where(VaultSecret.key_version != self.newest)
            .group_by(VaultSecret.key_version)
        ).all()
        return {int(version): int(count) for version, count in rows}

    def rotate(self, db: Database, *, batch: int = 200) -> int:
        """Re-seal every secret under the newest key, a batch per transaction; returns how many."""
        done = 0
        while True:
            with db.transaction() as session:
                rows = list(
                    session.scalars(
                        sa.select(VaultSecret)
                        .where(VaultSecret.key_version != self.newest)
                        .order_by(VaultSecret.id)
                        .limit(batch)
                    )
                )
                for row in rows:
                    plaintext = self.open(row.id, row.purpose, row.ciphertext)
                    row.ciphertext = self.seal(row.id, row.purpose, plaintext)
                    row.key_version = self.newest
                    row.updated_at = clock.now()
            done += len(rows)
            if len(rows) < batch:
                return done


_lock = threading.Lock()
_cached: tuple[tuple[tuple[int, bytes], ...], Vault] | None = None


def get_vault(settings: Settings | None = None) -> Vault:
    """The vault for the configured keys (rebuilt when the keys change)."""
    global _cached
    keys = (settings or get_settings()).resolved_vault_keys
    fingerprint = tuple(sorted(keys.items()))
    with _lock:
        if _cached is None or _cached[0] != fingerprint:
            _cached = (fingerprint, Vault(keys))
        return _cached[1]
