"""Fixtures for the ads platform tests: the fake APIs served once, settings pointing at them,
and a manual clock. These tests need no database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from layers.kit import clock
from layers.kit.settings import Settings
from tests.ads.platforms import fake_ads
from tests.ads.platforms.fake_ads import FakeAds

START = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="session")
def fake_ads_server() -> Iterator[FakeAds]:
    with fake_ads.serve(FakeAds()) as fake:
        yield fake


@pytest.fixture
def fake(fake_ads_server: FakeAds) -> Iterator[FakeAds]:
    fake_ads_server.reset()
    yield fake_ads_server
    fake_ads_server.reset()


@pytest.fixture
def ads_settings(fake_ads_server: FakeAds, tmp_path: Path) -> Settings:
    base = fake_ads_server.base_url
    return Settings(
        data_dir=tmp_path,
        session_secret="test-session-secret",
        public_base_url="http://testserver",
        meta_app_id=fake_ads.META_APP_ID,
        meta_app_secret=fake_ads.META_APP_SECRET,
        meta_graph_base=base,
        meta_auth_base="https://www.facebook.example",
        tiktok_business_app_id=fake_ads.TT_APP_ID,
        tiktok_business_secret=fake_ads.TT_SECRET,
        tiktok_business_api_base=base,
    )


@pytest.fixture
def manual_clock() -> Iterator[clock.ManualClock]:
    manual = clock.ManualClock(START)
    previous = clock.use_clock(manual)
    try:
        yield manual
    finally:
        clock.use_clock(previous)


class Sleeps:
    """An injectable sleep that records the waits instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()
