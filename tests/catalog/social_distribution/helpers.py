"""Plain helpers for the Social Distribution tests."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from layers.kit import clock
from layers.kit.db import get_database
from layers.kit.ids import new_id
from layers.kit.settings import Settings
from layers.models.content import ContentContainer
from layers.models.projects import Project
from layers.models.publishing import ScheduledPost
from layers.social.platforms import registry
from layers.social.platforms.base import Publisher
from tests.engine.helpers import install
from tests.social.helpers import make_account
from tests.support import Tenant

TEMPLATE = "social-distribution"


def project(client: TestClient, tenant: Tenant, timezone: str = "America/Los_Angeles") -> str:
    response = client.post(
        "/v1/projects",
        json={"name": "Distribution test", "timezone": timezone},
        headers=tenant.headers(test=True),
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def account(project_id: str, platform: str = "tiktok", posting_mode: str = "automatic") -> str:
    return make_account(project_id, platform=platform, posting_mode=posting_mode)


def install_layer(
    client: TestClient, tenant: Tenant, project_id: str, account_id: str, **config: Any
) -> dict[str, Any]:
    body = {"social": {"socialAccountId": account_id}, **config}
    layer = install(client, tenant.headers(test=True), project_id, body, template_id=TEMPLATE)
    assert layer["status"] == "active", layer
    return layer


def completed_container(project_id: str, **values: Any) -> str:
    with get_database().transaction() as session:
        found = session.get(Project, project_id)
        assert found is not None
        container = ContentContainer(
            id=new_id("cnt"),
            org_id=found.org_id,
            livemode=found.livemode,
            project_id=found.id,
            format="slideshow-builder",
            status="completed",
            media_kind="slideshow",
            hashtags=[],
            slide_texts=[],
            generation=1,
            completed_at=clock.now(),
            **values,
        )
        session.add(container)
        return container.id


def slots(layer_id: str) -> list[ScheduledPost]:
    with get_database().transaction(write=False) as session:
        rows = list(
            session.scalars(
                sa.select(ScheduledPost)
                .where(ScheduledPost.layer_id == layer_id)
                .order_by(ScheduledPost.scheduled_at)
            )
        )
        for row in rows:
            session.expunge(row)
        return rows


class CountingPublisher:
    """A publisher that counts every platform call, then delegates."""

    def __init__(self, inner: Publisher, calls: Counter[str]) -> None:
        self.inner = inner
        self.calls = calls

    def __getattr__(self, name: str) -> Any:
        target = getattr(self.inner, name)
        if not callable(target):
            return target

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            return target(*args, **kwargs)

        return counted


@contextmanager
def counting_platform_calls() -> Iterator[Counter[str]]:
    calls: Counter[str] = Counter()
    saved = dict(registry.PUBLISHERS[registry.TEST])

    def wrap(platform: str) -> Any:
        def build(settings: Settings) -> Publisher:
            return CountingPublisher(saved[platform](settings), calls)  # type: ignore[return-value]

        return build

    for platform in saved:
        registry.PUBLISHERS[registry.TEST][platform] = wrap(platform)
    try:
        yield calls
    finally:
        registry.PUBLISHERS[registry.TEST].update(saved)
