"""What an account's lifecycle asks of the posts scheduled on it, without social knowing
publishing (which sits above it): the composition root plugs publishing's functions in.
Likewise a change of temperature asks the layers planning on the account to re-plan.

Both run in the caller's transaction, so the account's change and its posts' change commit
together. Unplugged (a process that never called `layers.wiring.wire`), they raise rather
than let an account change leave its posts behind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

OnDisconnect = Callable[..., int]
"""``fn(session, account_id, *, reason) -> posts canceled``."""
OnReconnect = Callable[[Session, str], int]
"""``fn(session, account_id) -> posts released``."""
OnTemperatureChange = Callable[[Session, str], int]
"""``fn(session, account_id) -> layers asked to re-plan``."""


@dataclass
class _Plugged:
    on_disconnect: OnDisconnect | None = None
    on_reconnect: OnReconnect | None = None
    on_temperature_change: OnTemperatureChange | None = None


_plugged = _Plugged()


def plug(
    *,
    on_disconnect: OnDisconnect,
    on_reconnect: OnReconnect,
    on_temperature_change: OnTemperatureChange,
) -> None:
    _plugged.on_disconnect = on_disconnect
    _plugged.on_reconnect = on_reconnect
    _plugged.on_temperature_change = on_temperature_change


def account_disconnected(session: Session, account_id: str, *, reason: str) -> int:
    """Cancel the account's queued posts (a post in flight finishes); how many."""
    if _plugged.on_disconnect is None:
        raise RuntimeError("social.hooks is not plugged: call layers.wiring.wire() first")
    return _plugged.on_disconnect(session, account_id, reason=reason)


def account_reconnected(session: Session, account_id: str) -> int:
    """Release the posts held for the account's token; how many."""
    if _plugged.on_reconnect is None:
        raise RuntimeError("social.hooks is not plugged: call layers.wiring.wire() first")
    return _plugged.on_reconnect(session, account_id)


def temperature_changed(session: Session, account_id: str) -> int:
    """Ask the layers that plan by the account's temperature to re-plan; how many."""
    if _plugged.on_temperature_change is None:
        raise RuntimeError("social.hooks is not plugged: call layers.wiring.wire() first")
    return _plugged.on_temperature_change(session, account_id)
