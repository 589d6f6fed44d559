"""The rate-limit storages: the in-process one (SQLite, one API process) keeps fixed windows
that end on time, counted under concurrency, with no thread of its own; ours count a hit and
report its window in one call, as `limits`' strategy does in three."""

from __future__ import annotations

import threading
import time

import pytest
from fastapi.testclient import TestClient
from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter

from layers.kit.db import get_database
from layers.kit.settings import Settings
from layers.orgs.limits import service
from layers.orgs.limits.storage import LocalStorage, PostgresStorage
from tests.support import Tenant, assert_error


def test_a_window_counts_then_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1_000.0]
    monkeypatch.setattr(time, "time", lambda: now[0])
    storage = LocalStorage()
    limiter = FixedWindowRateLimiter(storage)
    item = RateLimitItemPerSecond(3, 60)
    assert [limiter.hit(item, "key_a") for _ in range(4)] == [True, True, True, False]
    assert limiter.hit(item, "key_b")  # another key has its own window
    stats = limiter.get_window_stats(item, "key_a")
    assert (stats.remaining, stats.reset_time) == (0, 1_060.0)
    now[0] = 1_059.9
    assert not limiter.hit(item, "key_a")
    now[0] = 1_060.0  # the window ended: a fresh one starts at this hit
    assert limiter.hit(item, "key_a")
    assert limiter.get_window_stats(item, "key_a").reset_time == 1_120.0


def test_one_call_counts_as_the_strategy_does(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(time, "time", lambda: 1_000.0)
    item = RateLimitItemPerSecond(3, 60)
    ours = FixedWindowRateLimiter(LocalStorage())  # incr_window: one call
    theirs = FixedWindowRateLimiter(MemoryStorage())  # the strategy's hit + window stats
    counted = [service._count(ours, item, "key_a", "read") for _ in range(4)]
    assert counted == [service._count(theirs, item, "key_a", "read") for _ in range(4)]
    assert counted == [(True, 2, 1_060.0), (True, 1, 1_060.0), (True, 0, 1_060.0),
                       (False, 0, 1_060.0)]  # fmt: skip


def test_postgres_counts_and_reports_its_window_in_one_round_trip(settings: Settings) -> None:
    engine = get_database().engine
    if engine.dialect.name != "postgresql":
        pytest.skip("the PostgreSQL storage")
    storage = PostgresStorage(engine)
    storage.clear("key_pg")
    first, second = storage.incr_window("key_pg", 60), storage.incr_window("key_pg", 60)
    assert (first[0], second[0]) == (1, 2)
    assert second[1] == first[1] == storage.get_expiry("key_pg")
    assert abs(first[1] - time.time() - 60) < 5  # the database's clock, near this one
    assert storage.get("key_pg") == 2
    storage.clear("key_pg")


def test_ended_windows_are_swept(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [0.0]
    monkeypatch.setattr(time, "time", lambda: now[0])
    storage = LocalStorage()
    storage.SWEEP_EVERY = 10
    for i in range(9):
        storage.incr(f"key_{i}", 5)
    now[0] = 6.0
    storage.incr("key_new", 5)  # the 10th increment sweeps what ended
    assert storage.reset() == 1


def test_concurrent_hits_are_all_counted_and_start_no_thread() -> None:
    storage = LocalStorage()
    before = threading.active_count()
    threads = [
        threading.Thread(target=lambda: [storage.incr("key_x", 60) for _ in range(500)])
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert storage.get("key_x") == 4000
    # No thread of the storage's is left (another test's background thread may have ended).
    assert threading.active_count() <= before


def test_an_unreachable_store_refuses_with_503_not_500(
    client: TestClient, tenant: Tenant, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "rate_limit_storage_url", "redis://127.0.0.1:1/0")
    response = client.get("/v1/projects", headers=tenant.headers())
    assert_error(response, 503, "UNAVAILABLE")
    assert response.json()["error"]["details"] == {"component": "rate_limit_store"}
    monkeypatch.undo()  # the configured store again: requests are counted and served
    assert client.get("/v1/projects", headers=tenant.headers()).status_code == 200
