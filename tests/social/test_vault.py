"""The vault: AES-GCM under versioned keys, bound to its row, rotated in place."""

from __future__ import annotations

import base64
import os
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from layers.kit.db import Database, normalize_url
from layers.models.vault import VaultSecret
from layers.social.vault import Secret, Vault, VaultError
from tests.support import REPO, layers_command

K1, K2 = os.urandom(32), os.urandom(32)


def encoded(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode().rstrip("=")


def test_seal_and_open_and_what_a_blob_records() -> None:
    vault = Vault({1: K1})
    blob = vault.seal("vault_A", "social.access_token", "act.secret-value")
    assert b"secret-value" not in blob
    assert Vault.version_of(blob) == 1
    assert vault.open("vault_A", "social.access_token", blob) == "act.secret-value"
    assert vault.seal("vault_A", "p", "same") != vault.seal("vault_A", "p", "same")  # fresh nonce


@pytest.mark.parametrize(
    "tamper",
    [
        lambda blob: blob[:-1] + bytes([blob[-1] ^ 1]),
        lambda blob: blob[:6] + bytes([blob[6] ^ 1]) + blob[7:],
        lambda blob: b"XX" + blob[2:],
        lambda blob: blob[:10],
    ],
)
def test_tampered_blobs_do_not_open(tamper: object) -> None:
    vault = Vault({1: K1})
    blob = vault.seal("vault_A", "p", "value")
    with pytest.raises(VaultError):
        vault.open("vault_A", "p", tamper(blob))  # type: ignore[operator]


def test_a_blob_is_bound_to_its_row_and_purpose() -> None:
    vault = Vault({1: K1})
    blob = vault.seal("vault_A", "social.access_token", "value")
    with pytest.raises(VaultError):
        vault.open("vault_B", "social.access_token", blob)
    with pytest.raises(VaultError):
        vault.open("vault_A", "social.refresh_token", blob)


def test_old_versions_open_new_ones_seal_and_unknown_ones_fail() -> None:
    old = Vault({1: K1}).seal("vault_A", "p", "value")
    both = Vault({1: K1, 2: K2})
    assert both.newest == 2 and both.open("vault_A", "p", old) == "value"
    assert Vault.version_of(both.seal("vault_A", "p", "value")) == 2
    with pytest.raises(VaultError, match="version 1 is not configured"):
        Vault({2: K2}).open("vault_A", "p", old)
    with pytest.raises(ValueError, match="32 bytes"):
        Vault({1: b"short"})


def test_secret_never_prints_its_value() -> None:
    secret = Secret("act.do-not-log")
    assert "do-not-log" not in repr(secret) and "do-not-log" not in f"{secret} {[secret]}"
    assert secret.reveal() == "act.do-not-log" and not Secret("")


def test_rows_store_read_replace_delete(session: Session) -> None:
    vault = Vault({1: K1})
    secret_id = vault.store(session, "social.access_token", Secret("first"))
    session.flush()
    assert vault.read(session, secret_id).reveal() == "first"
    vault.replace(session, secret_id, Secret("second"))
    assert vault.read(session, secret_id).reveal() == "second"
    vault.delete(session, secret_id, None)
    session.expire_all()
    with pytest.raises(VaultError):
        vault.read(session, secret_id)


@pytest.mark.slow
def test_layers_vault_rotate_reencrypts_everything_in_place(
    tmp_path: Path, isolated_database_url: str
) -> None:
    env = {
        **os.environ,
        "LAYERS_DATA_DIR": str(tmp_path),
        "LAYERS_DATABASE_URL": isolated_database_url,
        "LAYERS_VAULT_KEYS": f"1:{encoded(K1)}",
    }
    subprocess.run(layers_command("migrate"), cwd=REPO, env=env, check=True, timeout=120)
    engine = sa.create_engine(normalize_url(isolated_database_url))
    old = Vault({1: K1})
    values = {f"token-{i}": "" for i in range(5)}
    with Session(engine) as db, db.begin():
        for value in values:
            values[value] = old.store(db, "social.access_token", Secret(value))

    env["LAYERS_VAULT_KEYS"] = f"1:{encoded(K1)},2:{encoded(K2)}"
    status = subprocess.run(
        layers_command("vault", "status"), cwd=REPO, env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert "key version 1: 5 secret(s)" in status.stdout, status.stderr
    rotated = subprocess.run(
        layers_command("vault", "rotate"), cwd=REPO, env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert rotated.returncode == 0, rotated.stderr
    assert "re-encrypted 5 secret(s) under key version 2" in rotated.stdout

    new_only = Vault({2: K2})
    with Session(engine) as db:
        rows = {row.id: row for row in db.scalars(sa.select(VaultSecret))}
        assert set(rows) == set(values.values())  # same ids
        assert {row.key_version for row in rows.values()} == {2}
        for value, secret_id in values.items():
            assert new_only.read(db, secret_id).reveal() == value
    assert Vault({1: K1, 2: K2}).rotate(Database(engine)) == 0  # nothing left: a no-op
    engine.dispose()
