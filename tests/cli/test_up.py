"""`make up` from the repository answers whoami for the keys it prints."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from layers.kit.db import normalize_url
from layers.models.orgs import ApiKey
from tests.support import free_port, start_server

pytestmark = pytest.mark.slow


def test_make_up_prints_keys_that_work(tmp_path: Path, isolated_database_url: str) -> None:
    port = free_port()
    server = start_server(
        ["make", "--no-print-directory", "up", f"PORT={port}"],
        {"LAYERS_DATA_DIR": str(tmp_path / "data"), "LAYERS_DATABASE_URL": isolated_database_url},
        port,
    )
    try:
        live, test = server.keys()
        assert re.fullmatch(r"lp_live_[A-Z2-7]{16}_[A-Za-z0-9_\-]{43}", live)
        assert re.fullmatch(r"lp_test_[A-Z2-7]{16}_[A-Za-z0-9_\-]{43}", test)
        assert any(line.startswith("Console: http://127.0.0.1:") for line in server.output)
        for key, livemode in ((live, True), (test, False)):
            response = httpx.get(
                f"{server.base_url}/v1/whoami", headers={"Authorization": f"Bearer {key}"}
            )
            assert response.status_code == 200, response.text
            assert response.json()["livemode"] is livemode
        assert httpx.get(f"{server.base_url}/healthz").json()["workers"] is True
        engine = sa.create_engine(normalize_url(isolated_database_url))
        with engine.connect() as conn:
            domains = conn.execute(sa.select(ApiKey.allowed_return_domains)).scalars().all()
        engine.dispose()
        assert domains == [["localhost"], ["localhost"]]
    finally:
        server.kill()
    # A second start reuses the data and prints no new keys.
    again = start_server(
        ["make", "--no-print-directory", "up", f"PORT={port}"],
        {"LAYERS_DATA_DIR": str(tmp_path / "data"), "LAYERS_DATABASE_URL": isolated_database_url},
        port,
    )
    try:
        assert not any(line.startswith("lp_") for line in again.output)
        response = httpx.get(
            f"{again.base_url}/v1/whoami", headers={"Authorization": f"Bearer {live}"}
        )
        assert response.status_code == 200
    finally:
        again.kill()
