"""The token service: refresh before expiry, once on a 401, one refresher at a time."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from layers.kit import clock
from layers.kit import db as kit_db
from layers.kit.settings import Settings
from layers.social import sweep, tokens
from layers.social.platforms import registry, specs
from layers.social.platforms.base import AuthFailed
from layers.social.vault import Secret, get_vault
from tests.social.fake_platforms import FakePlatforms, Fault
from tests.social.helpers import account_row, connect_live, events_of, new_project, update_account
from tests.support import Tenant


def stored_tokens(account_id: str) -> tuple[str, str | None]:
    account = account_row(account_id)
    with kit_db.get_database().transaction(write=False) as session:
        vault = get_vault()
        access = vault.read(session, account.access_token_vault_id or "").reveal()
        refresh = (
            vault.read(session, account.refresh_token_vault_id).reveal()
            if account.refresh_token_vault_id
            else None
        )
    return access, refresh


@pytest.fixture
def tiktok(client: TestClient, tenant: Tenant, fake: FakePlatforms) -> str:
    project_id = new_project(client, tenant)
    return connect_live(client, tenant, project_id, "tiktok")[0]


def test_a_token_close_to_expiry_is_refreshed_first_and_the_refresh_token_rotates(
    tiktok: str, fake: FakePlatforms
) -> None:
    access, refresh = stored_tokens(tiktok)
    token = tokens.access_token(tiktok)
    assert token.value.reveal() == access  # far from expiry: no refresh
    assert fake.count_calls("/v2/oauth/token/") == 1

    update_account(tiktok, token_expires_at=clock.now() + timedelta(minutes=2))
    fresh = tokens.access_token(tiktok)

    new_access, new_refresh = stored_tokens(tiktok)
    assert fresh.value.reveal() == new_access != access
    assert new_refresh != refresh
    assert refresh not in fake.refresh_tokens and new_refresh in fake.refresh_tokens  # rotated
    account = account_row(tiktok)
    assert account.token_generation == fresh.generation == token.generation + 1
    assert account.token_expires_at and account.token_expires_at - clock.now() > timedelta(hours=23)
    assert account.refresh_lease_until is None


def test_an_empty_refresh_token_never_overwrites_the_stored_one(
    tiktok: str, fake: FakePlatforms
) -> None:
    _, refresh = stored_tokens(tiktok)
    expires = account_row(tiktok).refresh_token_expires_at
    fake.empty_refresh_token = True
    update_account(tiktok, token_expires_at=clock.now())
    tokens.access_token(tiktok)
    _, after = stored_tokens(tiktok)
    assert after == refresh
    assert account_row(tiktok).refresh_token_expires_at == expires


def test_a_401_refreshes_once_and_retries(tiktok: str, fake: FakePlatforms) -> None:
    publisher = registry.publisher("tiktok", True)
    fake.fail("creator_info", 401, code="access_token_invalid", times=1)
    info = tokens.with_token(tiktok, lambda token: publisher.creator_info(token))  # type: ignore[attr-defined]
    assert info["creator_username"] == "acme.coffee"
    assert fake.count_calls("creator_info") == 2
    assert fake.count_calls("/v2/oauth/token/") == 2  # connect + one refresh
    assert account_row(tiktok).healthy


def test_a_refused_refresh_flags_the_account_once(tiktok: str, fake: FakePlatforms) -> None:
    fake.refuse_refresh = True
    update_account(tiktok, token_expires_at=clock.now())
    for _ in range(2):
        with pytest.raises(tokens.TokenUnavailable) as raised:
            tokens.access_token(tiktok)
        assert raised.value.needs_reauth
    account = account_row(tiktok)
    assert not account.healthy and account.status == "reauth_required"
    assert account.meta["token_error"]["code"] == "TOKEN_REFRESH_FAILED"
    assert "invalid_grant" in account.meta["token_error"]["message"]
    assert len(events_of(tiktok, "social_account.needs_reauth")) == 1  # one per transition


def test_an_expired_refresh_token_is_not_even_tried(tiktok: str, fake: FakePlatforms) -> None:
    update_account(
        tiktok,
        token_expires_at=clock.now() - timedelta(hours=1),
        refresh_token_expires_at=clock.now() - timedelta(seconds=1),
    )
    with pytest.raises(tokens.TokenUnavailable):
        tokens.access_token(tiktok)
    assert fake.count_calls("/v2/oauth/token/") == 1  # only the connect
    assert account_row(tiktok).meta["token_error"]["code"] == "REFRESH_TOKEN_EXPIRED"


def test_concurrent_refreshes_make_one_platform_call(tiktok: str, fake: FakePlatforms) -> None:
    """TikTok rotates refresh tokens: two refreshes with the same one would kill each other."""
    generation = account_row(tiktok).token_generation
    slow = fake.add(Fault("/v2/oauth/token/", hang=0.3, accept=True))
    start = threading.Barrier(8)

    def refresh(_: int) -> str:
        start.wait(timeout=10)
        return tokens.refresh(tiktok, stale_generation=generation).value.reveal()

    with ThreadPoolExecutor(max_workers=8) as pool:
        values = set(pool.map(refresh, range(8)))

    assert slow.hits == 1 and fake.count_calls("/v2/oauth/token/") == 2  # connect + 1
    assert values == {stored_tokens(tiktok)[0]}
    assert account_row(tiktok).healthy


def test_the_sweep_refreshes_grants_before_they_lapse(
    client: TestClient,
    tenant: Tenant,
    fake: FakePlatforms,
) -> None:
    project_id = new_project(client, tenant)
    instagram = connect_live(client, tenant, project_id, "instagram")[0]
    old, _ = stored_tokens(instagram)
    # A long-lived token issued 40 days ago: 20 left, so the sweep refreshes it.
    update_account(
        instagram,
        token_expires_at=clock.now() + timedelta(days=20),
        token_refreshed_at=clock.now() - timedelta(days=40),
    )
    result = sweep.run(clock.now())
    assert result["refreshed"] >= 1
    new, _ = stored_tokens(instagram)
    assert new != old and fake.tokens[new].kind == "long"
    assert account_row(instagram).token_expires_at - clock.now() > timedelta(days=59)  # type: ignore[operator]
    # A token refreshed an hour ago is left alone (Instagram needs a day).
    update_account(instagram, token_expires_at=clock.now() + timedelta(days=20))
    assert not tokens.refresh_if_due(instagram)


def test_sandbox_refresh_refuses_foreign_tokens() -> None:
    provider = registry.oauth_provider("tiktok", False)
    with pytest.raises(AuthFailed):
        provider.refresh(access_token=Secret("x"), refresh_token=Secret("not-sandbox"))
    grant = provider.refresh(access_token=Secret("x"), refresh_token=Secret("sbx.rft.abc"))
    assert grant.access_token.reveal().startswith("sbx.act.")


def test_wrong_app_credentials_do_not_blame_the_account(
    tiktok: str, fake: FakePlatforms, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "tiktok_client_secret", "not-the-secret")
    update_account(tiktok, token_expires_at=clock.now())
    with pytest.raises(tokens.TokenUnavailable) as raised:
        tokens.access_token(tiktok)
    assert not raised.value.needs_reauth and raised.value.reason == "REFRESH_UNAVAILABLE"
    account = account_row(tiktok)
    assert account.healthy and "token_error" not in account.meta
    assert account.refresh_lease_until is None  # released for the next try


def test_the_proactive_refresh_rule_reads_each_platform_spec() -> None:
    """TikTok (a refresh token) refreshes before the refresh token lapses; Instagram (a
    self-renewing long-lived token) before the access token lapses, once it is a day old."""
    now = clock.now()
    tiktok, instagram = specs.SPECS["tiktok"], specs.SPECS["instagram"]
    due = tokens._proactive_refresh_due
    assert due(
        tiktok,
        now=now,
        access_expires_at=now + timedelta(hours=2),
        refresh_expires_at=now + timedelta(days=29),
        refreshed_at=now - timedelta(hours=1),
    )
    assert not due(
        tiktok,
        now=now,
        access_expires_at=now + timedelta(hours=2),
        refresh_expires_at=now + timedelta(days=200),
        refreshed_at=None,
    )
    assert due(
        tiktok,
        now=now,
        access_expires_at=now - timedelta(minutes=1),
        refresh_expires_at=now + timedelta(days=200),
        refreshed_at=None,
    )
    lapsing = now + instagram.refresh_window - timedelta(days=1)
    assert due(
        instagram,
        now=now,
        access_expires_at=lapsing,
        refresh_expires_at=None,
        refreshed_at=now - instagram.refresh_min_age,
    )
    assert not due(
        instagram,
        now=now,
        access_expires_at=lapsing,
        refresh_expires_at=None,
        refreshed_at=now - instagram.refresh_min_age + timedelta(minutes=5),
    )
    assert not due(
        instagram,
        now=now,
        access_expires_at=now + instagram.refresh_window + timedelta(days=1),
        refresh_expires_at=None,
        refreshed_at=None,
    )
