"""Where the rate-limit counters live, chosen once per process from the settings:

* ``LAYERS_RATE_LIMIT_STORAGE_URL`` set: that `limits` storage (e.g. ``redis://host:6379``),
  shared by every process that names it;
* else on PostgreSQL: `PostgresStorage`, fixed-window counters in the database every API
  process already shares (one upsert per counted request, on an UNLOGGED table);
* else (SQLite, one process): `LocalStorage`, fixed-window counters in this process's memory;
  no database write per request.

Why not `limits`' own ``MemoryStorage`` for the last: it expires keys with a 10 ms
``threading.Timer`` and starts a new one on any hit that finds the last one finished, so under
steady traffic nearly every request starts a thread. Measured in-process, that was most of the
limiter's cost per GET on a loaded machine (a thread start waits to be scheduled).
"""

from __future__ import annotations

import threading
import time

import sqlalchemy as sa
from limits.storage import Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter

from layers.kit.db import get_database
from layers.kit.settings import get_settings

# Windows run on the database's clock: extract(epoch from clock_timestamp()).
_INCR = sa.text(
    """
    INSERT INTO rate_limit_counters (key, count, expires_at)
    VALUES (:key, :amount, extract(epoch from clock_timestamp()) + :expiry)
    ON CONFLICT (key) DO UPDATE SET
      count = CASE WHEN rate_limit_counters.expires_at <= extract(epoch from clock_timestamp())
                   THEN :amount ELSE rate_limit_counters.count + :amount END,
      expires_at = CASE WHEN rate_limit_counters.expires_at <= extract(epoch from clock_timestamp())
                        THEN excluded.expires_at ELSE rate_limit_counters.expires_at END
    RETURNING count, expires_at
    """
)


class PostgresStorage(Storage):
    """A `limits` storage for fixed windows in PostgreSQL: every API process counts in the
    same rows, and the windows run on the database's clock (one clock for all processes).
    An incr is one atomic upsert (two concurrent first hits cannot both start a window);
    `incr_window` also returns when the window ends, so a counted request is one round trip
    (not the three of `limits`' hit + window stats)."""

    STORAGE_SCHEME = None

    def __init__(self, engine: sa.Engine) -> None:
        super().__init__(None)
        self.engine = engine

    @property
    def base_exceptions(self) -> type[Exception]:
        return sa.exc.SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        return self.incr_window(key, expiry, amount)[0]

    def incr_window(self, key: str, expiry: int, amount: int = 1) -> tuple[int, float]:
        """Add `amount` to `key`'s counter (a new window of `expiry` seconds if none is
        running): the count after it, and when its window ends (epoch seconds)."""
        with self.engine.begin() as conn:
            params = {"key": key, "amount": amount, "expiry": float(expiry)}
            count, expires_at = conn.execute(_INCR, params).one()
        return int(count), float(expires_at)

    def _row(self, key: str) -> tuple[int, float] | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.text(
                    "SELECT count, expires_at FROM rate_limit_counters "
                    "WHERE key = :key AND expires_at > extract(epoch from clock_timestamp())"
                ),
                {"key": key},
            ).one_or_none()
        return (int(row[0]), float(row[1])) if row is not None else None

    def get(self, key: str) -> int:
        row = self._row(key)
        return row[0] if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._row(key)
        return row[1] if row else time.time()

    def check(self) -> bool:
        with self.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        return True

    def reset(self) -> int | None:
        with self.engine.begin() as conn:
            return int(conn.execute(sa.text("DELETE FROM rate_limit_counters")).rowcount)

    def clear(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM rate_limit_counters WHERE key = :key"), {"key": key})

    def purge_expired(self) -> int:
        """Drop windows that ended (the maintenance may call it; stale rows are harmless)."""
        with self.engine.begin() as conn:
            result = conn.execute(
                sa.text(
                    "DELETE FROM rate_limit_counters "
                    "WHERE expires_at <= extract(epoch from clock_timestamp())"
                )
            )
            return int(result.rowcount)


class LocalStorage(Storage):
    """Fixed-window counters in this process, expired when read: no thread, one lock (one
    acquisition per counted request with `incr_window`).

    A window's key lives until its expiry; ended windows are dropped on access and, so that
    keys of keys no longer used do not accumulate, in a sweep every `SWEEP_EVERY` increments."""

    STORAGE_SCHEME = None
    SWEEP_EVERY = 4096

    def __init__(self) -> None:
        super().__init__(None)
        self._counts: dict[str, tuple[int, float]] = {}  # key → (count, expires_at)
        self._guard = threading.Lock()
        self._incrs = 0

    @property
    def base_exceptions(self) -> type[Exception]:
        return ValueError

    def _live(self, key: str, now: float) -> tuple[int, float] | None:
        entry = self._counts.get(key)
        if entry is not None and entry[1] <= now:
            del self._counts[key]
            return None
        return entry

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        return self.incr_window(key, expiry, amount)[0]

    def incr_window(self, key: str, expiry: int, amount: int = 1) -> tuple[int, float]:
        """Add `amount` to `key`'s counter (a new window of `expiry` seconds if none is
        running): the count after it, and when its window ends (epoch seconds)."""
        now = time.time()
        with self._guard:
            self._incrs += 1
            if self._incrs % self.SWEEP_EVERY == 0:
                self._counts = {k: v for k, v in self._counts.items() if v[1] > now}
            entry = self._live(key, now)
            count, expires_at = entry if entry is not None else (0, now + expiry)
            self._counts[key] = (count + amount, expires_at)
            return count + amount, expires_at

    def get(self, key: str) -> int:
        with self._guard:
            entry = self._live(key, time.time())
        return entry[0] if entry is not None else 0

    def get_expiry(self, key: str) -> float:
        now = time.time()
        with self._guard:
            entry = self._live(key, now)
        return entry[1] if entry is not None else now

    def check(self) -> bool:
        return True

    def reset(self) -> int | None:
        with self._guard:
            dropped = len(self._counts)
            self._counts.clear()
        return dropped

    def clear(self, key: str) -> None:
        with self._guard:
            self._counts.pop(key, None)


# The storages that count a hit and report its window in one call (`incr_window`).
COUNTS_WINDOWS = (PostgresStorage, LocalStorage)

_lock = threading.Lock()
_limiter: tuple[tuple[str | None, str], FixedWindowRateLimiter] | None = None


def _storage(url: str | None, database_url: str) -> Storage:
    if url:
        shared = storage_from_string(url)
        if not isinstance(shared, Storage):
            raise ValueError(f"LAYERS_RATE_LIMIT_STORAGE_URL: {url!r} names an async storage")
        return shared
    if not database_url.startswith("sqlite"):
        return PostgresStorage(get_database().engine)
    return LocalStorage()


def limiter() -> FixedWindowRateLimiter:
    """The process's limiter over the configured storage (rebuilt if the settings change)."""
    global _limiter
    settings = get_settings()
    wanted = (settings.rate_limit_storage_url, settings.resolved_database_url)
    current = _limiter
    if current is not None and current[0] == wanted:
        return current[1]
    with _lock:
        if _limiter is None or _limiter[0] != wanted:
            _limiter = (wanted, FixedWindowRateLimiter(_storage(*wanted)))
        return _limiter[1]


def reset() -> None:
    """Forget every counter (tests)."""
    limiter().storage.reset()
