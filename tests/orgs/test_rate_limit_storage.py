"""The in-process rate-limit storage (SQLite, one API process): fixed windows that end on
time, counted under concurrency, with no thread of its own."""

from __future__ import annotations

import threading
import time

import pytest
from fastapi.testclient import TestClient
from limits import RateLimitItemPerSecond
from limits.strategies import FixedWindowRateLimiter

from layers.kit.settings import Settings
from layers.orgs.limits.storage import LocalStorage
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
