"""Where the rate-limit counters live, chosen once per process from the settings:

* ``LAYERS_RATE_LIMIT_STORAGE_URL`` set: that `limits` storage (e.g. ``redis://host:6379``),
  shared by every process that names it;
* else on PostgreSQL: `PostgresStorage`, fixed-window counters in the database every API
  process already shares (one upsert per counted request, on an UNLOGGED table);
* else (SQLite, one process): `limits`' in-memory storage; no database write per request.
"""

from __future__ import annotations

import threading
import time

import sqlalchemy as sa
from limits.storage import MemoryStorage, Storage, storage_from_string
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
    RETURNING count
    """
)


class PostgresStorage(Storage):
    """A `limits` storage for fixed windows in PostgreSQL: every API process counts in the
    same rows, and the windows run on the database's clock (one clock for all processes).
    An incr is one atomic upsert (two concurrent first hits cannot both start a window)."""

    STORAGE_SCHEME = None

    def __init__(self, engine: sa.Engine) -> None:
        super().__init__(None)
        self.engine = engine

    @property
    def base_exceptions(self) -> type[Exception]:
        return sa.exc.SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        with self.engine.begin() as conn:
            params = {"key": key, "amount": amount, "expiry": float(expiry)}
            return int(conn.execute(_INCR, params).scalar_one())

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
    return MemoryStorage()


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
