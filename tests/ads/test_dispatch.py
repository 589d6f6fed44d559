"""Dispatch and sync are safe to run again: a launch retried after a crash finds its ad, a
second sync stores the same rows, and an unhealthy account dispatches nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from layers.ads import accounts, dispatch, platform_access, sync
from layers.kit import clock
from layers.kit.clock import ManualClock
from layers.kit.db import get_database
from layers.models.ads import Ad, AdAccount, AdDailyMetric, AdsContent, AdSet
from layers.social.vault import Secret
from tests.ads.helpers import (
    ads_by_role,
    completed_container,
    connect_ad_account,
    install_ad_layer,
    new_project,
    quiet_other_layers,
)
from tests.ads.schedules import _no_ad_schedules_left_behind
from tests.support import Tenant, manual_time

__all__ = ["_no_ad_schedules_left_behind"]  # autouse: ad layers' schedules go after each test


@pytest.fixture
def market() -> Iterator[ManualClock]:
    start = clock.now().replace(minute=0, second=0, microsecond=0) + timedelta(minutes=1)
    with manual_time(start) as manual:
        yield manual


def _setup(client: TestClient, tenant: Tenant, manual: ManualClock) -> tuple[str, str, str]:
    project_id = new_project(client, tenant)
    account_id = connect_ad_account(client, tenant, project_id, "meta")
    layer = install_ad_layer(client, tenant, project_id, "meta", adAccountId=account_id)
    quiet_other_layers(layer["id"])
    manual.advance(timedelta(days=3))
    sync.sync_layer(layer["id"])
    return project_id, account_id, layer["id"]


def _count(model: type, *where: object) -> int:
    with get_database().transaction(write=False) as session:
        return int(session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0)


def test_a_retried_launch_finds_its_ad(
    client: TestClient, tenant: Tenant, market: ManualClock
) -> None:
    project_id, account_id, _ = _setup(client, tenant, market)
    container_id = completed_container(project_id)
    healthy = ads_by_role("meta", account_id)["healthy"]
    with get_database().transaction(write=False) as session:
        ad = session.get(Ad, healthy)
        assert ad is not None
        adset_id = ad.adset_id
    op = dispatch.Operation(
        key="dec_01J00000000000000000000000",
        action="create_ad",
        subject_id=adset_id,
        adset_id=adset_id,
        params={},
        replacement={"containerId": container_id, "pool": "generated", "organicScore": 6.1},
    )
    first = dispatch.execute(op)
    again = dispatch.execute(op)  # as after a crash between the platform call and the record
    assert first["launchedAdId"] == again["launchedAdId"]
    assert _count(Ad, Ad.container_id == container_id) == 1
    assert _count(AdsContent, AdsContent.container_id == container_id) == 1
    assert len(
        platform_access.platform("meta", False).list_ads(
            _token(account_id), _platform_id(account_id), adset_id=_platform_adset(adset_id)
        )
    ) == _count(Ad, Ad.adset_id == adset_id)


def test_a_second_sync_stores_the_same(
    client: TestClient, tenant: Tenant, market: ManualClock
) -> None:
    _, account_id, layer_id = _setup(client, tenant, market)
    ads = _count(Ad, Ad.ad_account_id == account_id)
    days = _count(AdDailyMetric)
    again = sync.sync_layer(layer_id)
    assert again["daysChanged"] == 0
    assert _count(Ad, Ad.ad_account_id == account_id) == ads
    assert _count(AdDailyMetric) == days


def test_an_unhealthy_account_dispatches_nothing(
    client: TestClient, tenant: Tenant, market: ManualClock
) -> None:
    _, account_id, _ = _setup(client, tenant, market)
    critical = ads_by_role("meta", account_id)["critical"]
    with get_database().transaction() as session:
        account = session.get(AdAccount, account_id)
        assert account is not None
        account.healthy = False
    op = dispatch.Operation(
        key="dec_01J00000000000000000000001",
        action="pause",
        subject_id=critical,
        adset_id=None,
        params={},
        replacement=None,
    )
    with pytest.raises(dispatch.DispatchRefused) as refused:
        dispatch.execute(op)
    assert refused.value.code == "AD_ACCOUNT_UNHEALTHY"
    with get_database().transaction(write=False) as session:
        ad = session.get(Ad, critical)
        assert ad is not None and ad.status == "active"


def _token(account_id: str) -> Secret:
    with get_database().transaction(write=False) as session:
        account = session.get(AdAccount, account_id)
        assert account is not None
        return accounts.token_of(session, account)


def _platform_id(account_id: str) -> str:
    with get_database().transaction(write=False) as session:
        account = session.get(AdAccount, account_id)
        assert account is not None
        return account.platform_account_id


def _platform_adset(adset_id: str) -> str:
    with get_database().transaction(write=False) as session:
        adset = session.get(AdSet, adset_id)
        assert adset is not None
        return adset.platform_adset_id
