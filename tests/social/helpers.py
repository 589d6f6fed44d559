"""Plain helpers for social and publishing tests: connect accounts, make posts, read rows."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import sqlalchemy as sa
from fastapi.testclient import TestClient

from layers.events import service as events
from layers.kit import clock
from layers.kit import db as kit_db
from layers.kit.ids import new_id
from layers.models.events import Event
from layers.models.publishing import PublishAttempt, ScheduledPost
from layers.models.social import SocialAccount
from tests.support import ACME, Tenant

RETURN_URL = "http://localhost:5173/social/connected"


def new_project(client: TestClient, tenant: Tenant, *, test: bool = False) -> str:
    body = {"name": "Acme Coffee", "timezone": "America/Los_Angeles"}
    response = client.post("/v1/projects", json=body, headers=tenant.headers(test=test))
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def project_with_brief(client: TestClient, tenant: Tenant, *, test: bool = False) -> str:
    response = client.post("/v1/projects", json=ACME, headers=tenant.headers(test=test))
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def oauth_url(
    client: TestClient,
    tenant: Tenant,
    project_id: str,
    platform: str,
    *,
    test: bool = False,
    return_url: str = RETURN_URL,
) -> dict[str, Any]:
    response = client.post(
        f"/v1/projects/{project_id}/social/oauth-url",
        json={"platform": platform, "returnUrl": return_url},
        headers=tenant.headers(test=test),
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def local_path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def follow_platform_consent(client: TestClient, authorize_url: str) -> httpx.Response:
    """What the person's browser does on the fake platform: consent, come back to our callback."""
    consent = httpx.get(authorize_url, follow_redirects=False, timeout=10)
    assert consent.status_code == 302, consent.text
    return client.get(local_path(consent.headers["location"]), follow_redirects=False)


def connect_live(
    client: TestClient, tenant: Tenant, project_id: str, platform: str
) -> tuple[str, dict[str, Any]]:
    """Connect through the fake platform; returns the account id and the oauth-url answer."""
    started = oauth_url(client, tenant, project_id, platform)
    back = follow_platform_consent(client, started["authorizeUrl"])
    assert back.status_code == 302, back.text
    assert query_of(back.headers["location"])["status"] == "success", back.headers["location"]
    status = client.get(
        f"/v1/projects/{project_id}/social/oauth-status",
        params={"state": started["state"]},
        headers=tenant.headers(),
    ).json()
    assert status["status"] == "completed", status
    return str(status["socialAccountId"]), started


def connect_sandbox(
    client: TestClient, tenant: Tenant, project_id: str, platform: str, handle: str | None = None
) -> str:
    started = oauth_url(client, tenant, project_id, platform, test=True)
    path = local_path(started["authorizeUrl"])
    extra = f"&decision=allow{'&handle=' + handle if handle else ''}"
    allowed = client.get(path + extra, follow_redirects=False)
    assert allowed.status_code == 302, allowed.text
    back = client.get(local_path(allowed.headers["location"]), follow_redirects=False)
    assert query_of(back.headers["location"])["status"] == "success"
    status = client.get(
        f"/v1/projects/{project_id}/social/oauth-status",
        params={"state": started["state"]},
        headers=tenant.headers(test=True),
    ).json()
    assert status["status"] == "completed", status
    return str(status["socialAccountId"])


def set_posting_mode(
    client: TestClient, tenant: Tenant, account_id: str, mode: str, *, test: bool = False
) -> None:
    response = client.patch(
        f"/v1/social-accounts/{account_id}",
        json={"postingMode": mode},
        headers=tenant.headers(test=test),
    )
    assert response.status_code == 200, response.text


def new_post(
    account_id: str,
    *,
    mode: str = "publish",
    status: str = "ready",
    origin: str = "slot",
    scheduled_at: datetime | None = None,
    options: dict[str, Any] | None = None,
    caption_override: str | None = None,
) -> str:
    """A scheduled post row (scheduling through the API belongs to the content pipeline).

    ``origin='slot'`` by default: the per-minute dispatcher only picks up partner-scheduled
    (``'api'``) posts, so tests that call `publish_post` themselves own their posts."""
    with kit_db.get_database().transaction() as session:
        account = session.get(SocialAccount, account_id)
        assert account is not None
        post = ScheduledPost(
            id=new_id("sp"),
            org_id=account.org_id,
            livemode=account.livemode,
            project_id=account.project_id,
            social_account_id=account.id,
            origin=origin,
            mode=mode,
            status=status,
            scheduled_at=scheduled_at or clock.now() - timedelta(seconds=5),
            platform_options=options,
            caption_override=caption_override,
            attempt_count=0,
            claim_count=0,
        )
        session.add(post)
        return post.id


def post_row(post_id: str) -> ScheduledPost:
    with kit_db.get_database().transaction(write=False) as session:
        post = session.get(ScheduledPost, post_id)
        assert post is not None
        session.expunge(post)
        return post


def account_row(account_id: str) -> SocialAccount:
    with kit_db.get_database().transaction(write=False) as session:
        account = session.get(SocialAccount, account_id)
        assert account is not None
        session.expunge(account)
        return account


def attempts_of(post_id: str, kind: str | None = "publish") -> list[PublishAttempt]:
    with kit_db.get_database().transaction(write=False) as session:
        stmt = sa.select(PublishAttempt).where(PublishAttempt.scheduled_post_id == post_id)
        if kind is not None:
            stmt = stmt.where(PublishAttempt.kind == kind)
        rows = list(session.scalars(stmt.order_by(PublishAttempt.number)))
        for row in rows:
            session.expunge(row)
        return rows


def events_of(subject_id: str, type_: str | None = None) -> list[Event]:
    with kit_db.get_database().transaction(write=False) as session:
        rows = events.for_subject(session, subject_id, type_)
        for row in rows:
            session.expunge(row)
        return rows


def update_account(account_id: str, **values: Any) -> None:
    with kit_db.get_database().transaction() as session:
        session.execute(
            sa.update(SocialAccount).where(SocialAccount.id == account_id).values(**values)
        )


def update_post(post_id: str, **values: Any) -> None:
    with kit_db.get_database().transaction() as session:
        session.execute(
            sa.update(ScheduledPost).where(ScheduledPost.id == post_id).values(**values)
        )


def make_account(
    project_id: str,
    *,
    platform: str = "tiktok",
    handle: str = "acme.made",
    posting_mode: str = "manual",
) -> str:
    """An account connected through the real service with a made-up grant (no OAuth dance)."""
    from layers.models.projects import Project
    from layers.social import service
    from layers.social.platforms.base import Connection, PlatformProfile, TokenGrant
    from layers.social.vault import Secret

    grant = TokenGrant(
        Secret(f"made.{uuid.uuid4().hex}"), Secret(f"made.{uuid.uuid4().hex}"), 86_400, 31_536_000
    )
    profile = PlatformProfile(uuid.uuid4().hex, handle, handle.title(), None)
    with kit_db.get_database().transaction() as session:
        project = session.get(Project, project_id)
        assert project is not None
        account = service.connect_account(
            session,
            org_id=project.org_id,
            livemode=project.livemode,
            project_id=project.id,
            platform=platform,
            connection=Connection(grant, profile),
        )
        account.posting_mode = posting_mode
        return account.id


def make_state(project_id: str, api_key_id: str, *, platform: str = "tiktok") -> str:
    """A pending OAuth state row, as oauth-url would leave it."""
    from layers.models.projects import Project
    from layers.models.social import OAuthState

    now = clock.now()
    with kit_db.get_database().transaction() as session:
        project = session.get(Project, project_id)
        assert project is not None
        state = OAuthState(
            id=new_id("st"),
            org_id=project.org_id,
            livemode=project.livemode,
            project_id=project.id,
            api_key_id=api_key_id,
            platform=platform,
            return_url=RETURN_URL,
            redirect_uri=f"http://testserver/v1/social/oauth/callback/{platform}",
            scopes=["video.publish"],
            status="pending",
            expires_at=now + timedelta(minutes=10),
        )
        session.add(state)
        return state.id


def look_again(post_id: str, *, stale: bool = False) -> None:
    """Make the post due for another look now (its ``retry_at``, or with `stale` its claim,
    moved into the past) and run the dispatcher, as the next minute's tick would. Only this
    post's times move, so other tests' posts are not swept along."""
    from layers.publishing import protocol as publishing

    if stale:
        update_post(post_id, claimed_at=clock.now() - publishing.STALE_CLAIM - timedelta(minutes=1))
    else:
        update_post(post_id, retry_at=clock.now() - timedelta(seconds=1))
    publishing.dispatch_due()
