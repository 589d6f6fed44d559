"""`layers orgs create` and `layers keys create` against a database of their own."""

from __future__ import annotations

import hmac
import os
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from layers.kit.db import normalize_url
from layers.models.orgs import ApiKey
from tests.support import REPO, layers_command

pytestmark = pytest.mark.slow


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        layers_command(*args), cwd=REPO, env={**os.environ, **env}, capture_output=True,
        text=True, timeout=120,
    )  # fmt: skip


def test_keys_create_with_scopes_mode_and_return_domains(
    tmp_path: Path, isolated_database_url: str
) -> None:
    env = {
        "LAYERS_DATA_DIR": str(tmp_path),
        "LAYERS_DATABASE_URL": isolated_database_url,
        "LAYERS_API_KEY_PEPPER": "cli-test-pepper",
    }
    org_id = run(["orgs", "create", "Agency"], env).stdout.strip()
    assert org_id.startswith("org_")
    created = run(
        ["keys", "create", "--org", org_id, "--test", "--scope", "projects:read",
         "--scope", "jobs:read", "--allow-return-domain", "App.Example.com"],
        env,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    assert token.startswith("lp_test_") and "\n" not in token

    engine = sa.create_engine(normalize_url(isolated_database_url))
    with Session(engine) as session:
        key = session.scalar(sa.select(ApiKey).where(ApiKey.org_id == org_id))
        assert key is not None
        assert key.livemode is False
        assert key.scopes == ["jobs:read", "projects:read"]
        assert key.allowed_return_domains == ["app.example.com"]
    engine.dispose()

    # only the HMAC of the printed secret, under the configured pepper, is stored
    secret = token.split("_", 3)[3]
    assert key.secret_hash == hmac.new(b"cli-test-pepper", secret.encode(), "sha256").hexdigest()
    assert key.handle == token.split("_")[2]


def test_bad_scopes_and_unknown_orgs_are_refused(
    tmp_path: Path, isolated_database_url: str
) -> None:
    env = {"LAYERS_DATA_DIR": str(tmp_path), "LAYERS_DATABASE_URL": isolated_database_url}
    org_id = run(["orgs", "create", "Agency"], env).stdout.strip()
    bad_scope = run(["keys", "create", "--org", org_id, "--scope", "everything"], env)
    assert bad_scope.returncode == 2 and "unknown scope" in bad_scope.stderr
    unknown = run(["keys", "create", "--org", "org_nope"], env)
    assert unknown.returncode == 2 and "no organization" in unknown.stderr
    run(["orgs", "create", "Second"], env)
    ambiguous = run(["keys", "create"], env)
    assert ambiguous.returncode == 2 and "--org" in ambiguous.stderr
