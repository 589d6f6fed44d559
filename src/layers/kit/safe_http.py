"""Fetching a URL someone else gave us, without letting them reach what they should not (SSRF).

The guard, in order, for the URL and for every redirect it leads to:

1. Syntax: an allowed scheme (``https`` only by default), no credentials, no whitespace,
   backslashes or control characters, a host that is a DNS name of at least two labels (not
   ``localhost``, ``*.internal``, ``*.local``) or a canonical IP literal. Odd IPv4 spellings
   that resolvers read as addresses (``2130706433``, ``0x7f.1``, ``0177.0.0.1``, ``127.1``) and
   IPv6 zone ids are refused outright.
2. Addresses: the host is resolved once and *every* address must be public (not private,
   loopback, link-local, cloud metadata, CGNAT, unique-local, multicast, reserved, benchmark,
   documentation …); IPv6 forms that embed an IPv4 address (mapped, 6to4, NAT64, Teredo) are
   judged by the address they embed.
3. Connection: we connect to the address we checked (the URL is rewritten to the IP, the
   ``Host`` header and TLS SNI/certificate check keep the name), so a second DNS answer cannot
   swap in an internal address (DNS rebinding).
4. Redirects are followed by hand, at most `FetchPolicy.max_redirects`, each one through 1–3.
5. The body is streamed: a declared ``Content-Length`` over the cap is refused before any of
   the body is read, a body that grows past the cap is cut off there, and the type is sniffed
   from the first bytes (a wrong type stops the download too).

Everything refused raises a `LayersError` with a stable code (422), never a 500.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from layers.kit.errors import MediaFetchFailed, MediaTooLarge, SsrfBlocked, UnsupportedMediaType
from layers.kit.sniff import SNIFF_BYTES, sniff

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]


# Not covered (or not reliably covered across Python versions) by `is_global`.
_BLOCKED_NETWORKS = tuple(
    ipaddress.ip_network(net)
    for net in (
        "0.0.0.0/8",  # "this network"
        "10.0.0.0/8",
        "100.64.0.0/10",  # CGNAT (also Alibaba's metadata at 100.100.100.200)
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local, cloud metadata at 169.254.169.254
        "172.16.0.0/12",
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation
        "192.88.99.0/24",  # 6to4 relay anycast
        "192.168.0.0/16",
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, broadcast
        "::/128",
        "::1/128",
        "::/96",  # IPv4-compatible (deprecated)
        "100::/64",  # discard
        "2001:db8::/32",  # documentation
        "fc00::/7",  # unique local (fd00::/8 includes AWS's metadata fd00:ec2::254)
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated)
        "ff00::/8",  # multicast
    )
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_BLOCKED_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain", ".home.arpa", ".lan")
_BAD_CHARS = re.compile(r"[\s\\\x00-\x1f\x7f]")
_IPV4_LIKE = re.compile(r"^[0-9a-fx.]+$", re.IGNORECASE)
_DNS_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def is_public_address(ip: IPAddress) -> bool:
    """True only for globally routable unicast addresses."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            return all(is_public_address(inner) for inner in embedded)
    if any(ip in net for net in _BLOCKED_NETWORKS if net.version == ip.version):
        return False
    return bool(
        ip.is_global
        and not ip.is_multicast
        and not ip.is_private
        and not ip.is_reserved
        and not ip.is_loopback
        and not ip.is_link_local
        and not ip.is_unspecified
    )


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address] | None:
    if ip.ipv4_mapped is not None:
        return [ip.ipv4_mapped]
    if ip.sixtofour is not None:
        return [ip.sixtofour]
    if ip.teredo is not None:
        return list(ip.teredo)
    if ip in _NAT64 or ip in _NAT64_LOCAL:
        return [ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)]
    return None


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


@dataclass(frozen=True)
class FetchPolicy:
    """What the guard allows. The default is the strict one every live fetch uses; tests
    inject a resolver or an address rule to reach a local server."""

    schemes: frozenset[str] = frozenset({"https"})
    max_redirects: int = 3
    connect_timeout: float = 5.0
    read_timeout: float = 20.0
    total_timeout: float = 180.0
    address_allowed: Callable[[IPAddress], bool] = is_public_address
    resolver: Resolver = system_resolver


DEFAULT_POLICY = FetchPolicy()


@dataclass(frozen=True)
class Target:
    """A URL that passed the syntax checks."""

    url: str
    scheme: str
    host: str  # lower-case; IDNA-encoded name, or the IP literal without brackets
    port: int
    path: str  # path and query
    ip: IPAddress | None  # set when the host is an IP literal


def _blocked(url: str, reason: str) -> SsrfBlocked:
    shown = url if len(url) <= 200 else url[:200] + "…"
    return SsrfBlocked(f"URL not allowed: {reason}.", url=shown, reason=reason)


def parse_target(url: str, policy: FetchPolicy = DEFAULT_POLICY) -> Target:
    """Check everything about `url` that needs no network; raise `SsrfBlocked` otherwise."""
    if not url or len(url) > 2048 or _BAD_CHARS.search(url):
        raise _blocked(url, "malformed URL")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in policy.schemes:
        allowed = ", ".join(sorted(policy.schemes))
        raise _blocked(url, f"scheme '{scheme or '(none)'}' is not allowed (only {allowed})")
    if "@" in parts.netloc or parts.username is not None or parts.password is not None:
        raise _blocked(url, "credentials in URLs are not allowed")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as exc:
        raise _blocked(url, "invalid port") from exc
    raw_host = parts.hostname or ""
    if not raw_host:
        raise _blocked(url, "no host")
    if "%" in raw_host:
        raise _blocked(url, "IPv6 zone ids are not allowed")
    ip: IPAddress | None = None
    if parts.netloc.split("@")[-1].startswith("["):
        try:
            ip = ipaddress.IPv6Address(raw_host)
        except ValueError as exc:
            raise _blocked(url, "invalid IPv6 literal") from exc
        host = str(ip)
    else:
        host = raw_host.rstrip(".").lower()
        ip = _ipv4_literal(url, host)
        if ip is None:
            host = _dns_name(url, host)
    if ip is not None and not policy.address_allowed(ip):
        raise _blocked(url, f"address {ip} is not public")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(url=url, scheme=scheme, host=host, port=port, path=path, ip=ip)


def _ipv4_literal(url: str, host: str) -> ipaddress.IPv4Address | None:
    labels = host.split(".")
    if _IPV4_LIKE.match(host):
        try:
            packed = socket.inet_aton(host)
        except OSError:
            packed = None
        if packed is not None:
            ip = ipaddress.IPv4Address(packed)
            if str(ip) != host:
                raise _blocked(url, f"ambiguous IP address spelling '{host}' (means {ip})")
            return ip
    if labels[-1].isdigit():
        # WHATWG URL parsing reads a host ending in a number as IPv4; no real name does.
        raise _blocked(url, f"'{host}' is neither a DNS name nor an IP address")
    return None


def _dns_name(url: str, host: str) -> str:
    try:
        encoded = host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise _blocked(url, "invalid host name") from exc
    labels = encoded.split(".")
    if len(labels) < 2 or not all(_DNS_LABEL.match(label) for label in labels):
        raise _blocked(url, f"'{host}' is not a public DNS name")
    if encoded == "localhost" or encoded.endswith(_BLOCKED_SUFFIXES):
        raise _blocked(url, f"'{host}' is a local name")
    return encoded


def resolve(target: Target, policy: FetchPolicy = DEFAULT_POLICY) -> IPAddress:
    """The address to connect to: every address the name resolves to must be allowed."""
    if target.ip is not None:
        return target.ip
    try:
        answers = policy.resolver(target.host, target.port)
    except (OSError, UnicodeError) as exc:
        raise MediaFetchFailed(
            f"Could not resolve '{target.host}'.", url=target.url, reason="dns"
        ) from exc
    addresses: list[IPAddress] = []
    for answer in answers:
        try:
            addresses.append(ipaddress.ip_address(answer.split("%")[0]))
        except ValueError as exc:
            raise _blocked(target.url, "unparseable DNS answer") from exc
    if not addresses:
        raise MediaFetchFailed(f"'{target.host}' has no address.", url=target.url, reason="dns")
    for address in addresses:
        if not policy.address_allowed(address):
            raise _blocked(
                target.url, f"'{target.host}' resolves to {address}, which is not public"
            )
    return addresses[0]


@dataclass(frozen=True)
class Fetched:
    url: str  # the final URL, after redirects
    content: bytes
    mime_type: str
    byte_size: int
    redirects: list[str] = field(default_factory=list)


def fetch(
    url: str,
    *,
    max_bytes: int,
    allowed_types: frozenset[str],
    policy: FetchPolicy = DEFAULT_POLICY,
    transport: httpx.BaseTransport | None = None,
) -> Fetched:
    """GET `url` through the guard; the body must sniff as one of `allowed_types` and be at
    most `max_bytes` long."""
    deadline = time.monotonic() + policy.total_timeout
    timeout = httpx.Timeout(policy.read_timeout, connect=policy.connect_timeout)
    redirects: list[str] = []
    current = url
    with httpx.Client(timeout=timeout, follow_redirects=False, transport=transport) as client:
        for _ in range(policy.max_redirects + 1):
            target = parse_target(current, policy)
            address = resolve(target, policy)
            request = _pinned_request(client, target, address)
            try:
                response = client.send(request, stream=True)
            except httpx.HTTPError as exc:
                raise MediaFetchFailed(
                    f"Could not fetch the URL: {type(exc).__name__}.", url=url, reason="network"
                ) from exc
            try:
                if response.status_code in (301, 302, 303, 307, 308):
                    location = response.headers.get("location")
                    if not location:
                        raise MediaFetchFailed("Redirect without a Location.", url=url)
                    current = urljoin(current, location)
                    redirects.append(current)
                    continue
                if response.status_code != 200:
                    raise MediaFetchFailed(
                        f"The URL answered HTTP {response.status_code}.",
                        url=url,
                        reason="status",
                        httpStatus=response.status_code,
                    )
                content, mime = _read_body(response, url, max_bytes, allowed_types, deadline)
                return Fetched(current, content, mime, len(content), redirects)
            except httpx.HTTPError as exc:  # the body broke off, or stalled past the timeout
                raise MediaFetchFailed(
                    f"Could not fetch the URL: {type(exc).__name__}.", url=url, reason="network"
                ) from exc
            finally:
                response.close()
    raise _blocked(url, f"more than {policy.max_redirects} redirects")


def _pinned_request(client: httpx.Client, target: Target, address: IPAddress) -> httpx.Request:
    netloc = f"[{address}]" if address.version == 6 else str(address)
    default_port = 443 if target.scheme == "https" else 80
    port = "" if target.port == default_port else f":{target.port}"
    host_header = target.host if target.ip is None else netloc
    extensions: dict[str, Any] = {}
    if target.scheme == "https" and target.ip is None:
        extensions["sni_hostname"] = target.host
    return client.build_request(
        "GET",
        f"{target.scheme}://{netloc}{port}{target.path}",
        headers={
            "Host": host_header + port,
            "User-Agent": "Layers-MediaFetcher/1.0",
            "Accept": "*/*",
            "Accept-Encoding": "identity",
        },
        extensions=extensions,
    )


def _read_body(
    response: httpx.Response,
    url: str,
    max_bytes: int,
    allowed_types: frozenset[str],
    deadline: float,
) -> tuple[bytes, str]:
    declared = response.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise MediaTooLarge(
            f"The file is {int(declared)} bytes; the limit is {max_bytes}.",
            url=url,
            maxBytes=max_bytes,
            declaredBytes=int(declared),
        )
    chunks: list[bytes] = []
    total = 0
    mime: str | None = None
    for chunk in response.iter_raw(64 * 1024):
        total += len(chunk)
        if total > max_bytes:
            raise MediaTooLarge(
                f"The file is larger than the limit of {max_bytes} bytes.",
                url=url,
                maxBytes=max_bytes,
            )
        chunks.append(chunk)
        if mime is None and total >= SNIFF_BYTES:
            mime = _check_type(b"".join(chunks)[:SNIFF_BYTES], url, allowed_types)
        if time.monotonic() > deadline:
            raise MediaFetchFailed("The download took too long.", url=url, reason="timeout")
    content = b"".join(chunks)
    if mime is None:
        mime = _check_type(content[:SNIFF_BYTES], url, allowed_types)
    return content, mime


def _check_type(head: bytes, url: str, allowed_types: frozenset[str]) -> str:
    mime = sniff(head)
    if mime is None or mime not in allowed_types:
        raise UnsupportedMediaType(
            f"The file is {mime or 'of an unknown type'}; expected one of "
            f"{', '.join(sorted(allowed_types))}.",
            url=url,
            detectedType=mime,
            allowedTypes=sorted(allowed_types),
        )
    return mime
