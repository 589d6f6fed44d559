"""Which endpoint URLs are allowed: the SSRF guard of app media (`layers.kit.safe_http`).

Live endpoints: public HTTPS only (a DNS name whose every address is public, or a public IP
literal). Test-mode endpoints may also be a loopback receiver on this machine
(``http://localhost:3000/hooks``, ``http://127.0.0.1:…``, ``http://[::1]:…``), for
development. The check runs when an endpoint is created or changed (syntax) and again at
every send (addresses, with the connection pinned to the checked address).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, replace
from urllib.parse import urlsplit, urlunsplit

from layers.kit.errors import SsrfBlocked
from layers.kit.safe_http import DEFAULT_POLICY, FetchPolicy, IPAddress, is_public_address
from layers.kit.safe_http import parse_target as _parse_target

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def _public_or_loopback(ip: IPAddress) -> bool:
    return is_public_address(ip) or ip.is_loopback


@dataclass(frozen=True)
class Route:
    """Where a send goes: the URL to give the guard and the guard's policy."""

    url: str
    policy: FetchPolicy


def _loopback(url: str) -> str | None:
    """`url` with ``localhost`` spelled 127.0.0.1 when it names this machine, else None."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host not in LOOPBACK_NAMES or parts.scheme.lower() not in ("http", "https"):
        return None
    if host == "localhost":
        netloc = "127.0.0.1" + (f":{parts.port}" if parts.port else "")
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return url


def route(url: str, livemode: bool, policy: FetchPolicy = DEFAULT_POLICY) -> Route:
    """The guard's view of an endpoint URL; raises `SsrfBlocked` (422) when it is refused."""
    if not livemode:
        try:
            local = _loopback(url)
        except ValueError:  # a port that is not a number: the guard says so below
            local = None
        if local is not None:
            loop_policy = replace(
                policy, schemes=frozenset({"http", "https"}), address_allowed=_public_or_loopback
            )
            target = _parse_target(local, loop_policy)
            if target.ip is None or not ipaddress.ip_address(target.ip).is_loopback:
                _parse_target(url, policy)  # refuses with the guard's own message
            return Route(local, loop_policy)
    _parse_target(url, policy)
    return Route(url, policy)


def check(url: str, livemode: bool) -> str:
    """Validate an endpoint URL for its mode (syntax and IP literals; names resolve at send)."""
    try:
        route(url, livemode)
    except SsrfBlocked as exc:
        if not livemode:
            exc.message += " Test mode also accepts a receiver on this machine (http://localhost)."
        raise
    return url
