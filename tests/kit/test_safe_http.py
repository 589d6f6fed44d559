"""The SSRF guard: hostile URLs, redirects, pinned connections, size caps, sniffed types."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

import httpx
import pytest

from layers.kit import safe_http
from layers.kit.errors import MediaFetchFailed, MediaTooLarge, SsrfBlocked, UnsupportedMediaType
from layers.kit.safe_http import FetchPolicy, is_public_address, parse_target, resolve
from layers.kit.sniff import UnsafeSvg, check_svg, sniff
from tests.support import FakeOrigin, Served, png_bytes

IMAGES = frozenset({"image/png", "image/jpeg", "image/webp", "image/svg+xml"})
MB = 1024 * 1024
LOGO_CAP = 5 * MB

# Names the injected resolver knows (nothing here touches real DNS).
ZONE = {
    "cdn.acmecoffee.com": ["93.184.216.34"],
    "evil.example.com": ["10.1.2.3"],
    "rebind.example.com": ["93.184.216.34", "127.0.0.1"],
    "v6.example.com": ["2606:2800:220:1:248:1893:25c8:1946"],
    "mapped.example.com": ["::ffff:169.254.169.254"],
    "cgnat.example.com": ["100.64.12.34"],
}


def zone_resolver(host: str, port: int) -> list[str]:
    if host not in ZONE:
        raise OSError("NXDOMAIN")
    return ZONE[host]


STRICT = FetchPolicy(resolver=zone_resolver)

HOSTILE_URLS = [
    "http://cdn.acmecoffee.com/logo.png",  # plain http in live mode
    "file:///etc/passwd",
    "gopher://cdn.acmecoffee.com/_x",
    "ftp://cdn.acmecoffee.com/logo.png",
    "data:image/png;base64,iVBORw0KGgo=",
    "https://user:secret@cdn.acmecoffee.com/logo.png",  # credentials
    "https://cdn.acmecoffee.com@127.0.0.1/logo.png",
    "https://cdn.acmecoffee.com\\@127.0.0.1/",  # backslash confusion
    "https://127.0.0.1/",
    "https://127.1/",  # short form
    "https://2130706433/",  # decimal
    "https://0x7f000001/",  # hex
    "https://0x7f.0.0.1/",
    "https://0177.0.0.1/",  # octal
    "https://017700000001/",
    "https://1.2.3/",  # three-part form
    "https://0/",
    "https://0.0.0.0/",
    "https://10.0.0.1/",
    "https://172.16.5.4/",
    "https://192.168.1.1/",
    "https://169.254.169.254/latest/meta-data/iam/",  # cloud metadata
    "https://100.64.0.1/",  # CGNAT
    "https://100.100.100.200/latest/meta-data/",  # Alibaba metadata (CGNAT)
    "https://198.18.0.1/",  # benchmarking
    "https://224.0.0.1/",  # multicast
    "https://255.255.255.255/",
    "https://[::1]/",
    "https://[::]/",
    "https://[::ffff:127.0.0.1]/",  # IPv4-mapped
    "https://[::ffff:7f00:1]/",
    "https://[::ffff:a9fe:a9fe]/",  # mapped metadata
    "https://[::127.0.0.1]/",  # IPv4-compatible
    "https://[fd00::1]/",  # unique local
    "https://[fd00:ec2::254]/",  # AWS IPv6 metadata
    "https://[fc00::1]/",
    "https://[fe80::1]/",  # link-local
    "https://[fe80::1%25eth0]/",  # zone id
    "https://[2002:7f00:1::]/",  # 6to4 wrapping 127.0.0.1
    "https://[64:ff9b::a9fe:a9fe]/",  # NAT64 wrapping 169.254.169.254
    "https://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/",  # Teredo wrapping 10.0.0.1
    "https://localhost/",
    "https://api.localhost/",
    "https://metadata.google.internal/computeMetadata/v1/",
    "https://printer.local/",
    "https://intranet/",  # single label: a search-domain lookup
    "https://example.123/",
    "https://evil.example.com/logo.png",  # resolves to 10.1.2.3
    "https://rebind.example.com/logo.png",  # one public and one loopback answer
    "https://mapped.example.com/logo.png",  # resolves to a mapped metadata address
    "https://cgnat.example.com/logo.png",
]


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_hostile_urls_are_refused_with_a_stable_code(url: str) -> None:
    with pytest.raises(SsrfBlocked) as caught:
        resolve(parse_target(url, STRICT), STRICT)
    assert caught.value.code == "URL_NOT_ALLOWED" and caught.value.status == 422
    assert caught.value.details["reason"]


def test_there_are_at_least_fifteen_hostile_urls() -> None:
    assert len(HOSTILE_URLS) >= 15


@pytest.mark.parametrize(
    "url",
    [
        "https://cdn.acmecoffee.com/brand/logo-512.png",
        "https://CDN.AcmeCoffee.com./brand/logo-512.png?v=2",
        "https://v6.example.com/logo.png",
        "https://93.184.216.34/logo.png",
        "https://[2606:2800:220:1:248:1893:25c8:1946]/logo.png",
    ],
)
def test_public_destinations_pass(url: str) -> None:
    address = resolve(parse_target(url, STRICT), STRICT)
    assert is_public_address(address)


def test_unknown_names_are_a_fetch_failure_not_a_crash() -> None:
    with pytest.raises(MediaFetchFailed):
        resolve(parse_target("https://nowhere.example.org/x.png", STRICT), STRICT)


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("1.1.1.1", True),
        ("2a00:1450:4001:80b::200e", True),
        ("127.0.0.53", False),
        ("169.254.0.1", False),
        ("100.127.255.255", False),
        ("::ffff:8.8.8.8", True),
        ("::ffff:10.0.0.1", False),
        ("2002:0808:0808::", True),
        ("2002:0a00:0001::", False),
        ("192.0.2.10", False),
    ],
)
def test_address_policy(address: str, public: bool) -> None:
    assert is_public_address(ipaddress.ip_address(address)) is public


# ---- fetching from a local origin (the policy lets this test reach 127.0.0.1) -----------


@pytest.fixture
def origin() -> Iterator[FakeOrigin]:
    server = FakeOrigin()
    yield server
    server.close()


class CountingResolver:
    def __init__(self, zone: dict[str, list[str]]) -> None:
        self.zone = zone
        self.calls: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        if host not in self.zone:
            raise OSError("NXDOMAIN")
        return self.zone[host]


LOOPBACK = ipaddress.ip_address("127.0.0.1")


def local_policy(resolver: CountingResolver) -> FetchPolicy:
    """http allowed, and 127.0.0.1 (only) counts as public: everything else stays strict."""
    return FetchPolicy(
        schemes=frozenset({"http", "https"}),
        resolver=resolver,
        address_allowed=lambda ip: ip == LOOPBACK or is_public_address(ip),
    )


def test_fetch_pins_the_checked_address_keeps_the_host_and_sniffs_the_type(
    origin: FakeOrigin,
) -> None:
    body = png_bytes((40, 30))
    origin.routes["/logo.png"] = Served(body, headers={"Content-Type": "text/plain"})
    resolver = CountingResolver({"cdn.partner.example": ["127.0.0.1"]})
    fetched = safe_http.fetch(
        origin.url("/logo.png"),
        max_bytes=LOGO_CAP,
        allowed_types=IMAGES,
        policy=local_policy(resolver),
    )
    assert fetched.content == body and fetched.mime_type == "image/png"
    assert resolver.calls == ["cdn.partner.example"]  # one lookup; the connection used it
    assert origin.hosts == [f"cdn.partner.example:{origin.port}"]


def test_redirects_are_followed_and_each_one_is_checked(origin: FakeOrigin) -> None:
    origin.routes["/old.png"] = Served(status=302, headers={"Location": "/new.png"})
    origin.routes["/new.png"] = Served(png_bytes())
    resolver = CountingResolver({"cdn.partner.example": ["127.0.0.1"]})
    fetched = safe_http.fetch(
        origin.url("/old.png"),
        max_bytes=LOGO_CAP,
        allowed_types=IMAGES,
        policy=local_policy(resolver),
    )
    assert fetched.mime_type == "image/png" and fetched.redirects == [origin.url("/new.png")]
    assert resolver.calls == ["cdn.partner.example", "cdn.partner.example"]


@pytest.mark.parametrize(
    "location",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://2130706433/",
        "http://[::ffff:10.0.0.1]/",
        "http://localhost/admin",
        "http://internal.partner.example/secret",  # resolves to 10.0.0.8
        "http://[fd00::5]/",
        "http://100.64.1.1/",
        "file:///etc/passwd",
    ],
)
def test_a_redirect_to_a_private_destination_is_refused(origin: FakeOrigin, location: str) -> None:
    origin.routes["/hop.png"] = Served(status=302, headers={"Location": location})
    resolver = CountingResolver(
        {"cdn.partner.example": ["127.0.0.1"], "internal.partner.example": ["10.0.0.8"]}
    )
    with pytest.raises(SsrfBlocked):
        safe_http.fetch(
            origin.url("/hop.png"),
            max_bytes=LOGO_CAP,
            allowed_types=IMAGES,
            policy=local_policy(resolver),
        )


def test_redirect_loops_stop_after_three(origin: FakeOrigin) -> None:
    origin.routes["/loop"] = Served(status=301, headers={"Location": "/loop"})
    resolver = CountingResolver({"cdn.partner.example": ["127.0.0.1"]})
    with pytest.raises(SsrfBlocked) as caught:
        safe_http.fetch(
            origin.url("/loop"),
            max_bytes=LOGO_CAP,
            allowed_types=IMAGES,
            policy=local_policy(resolver),
        )
    assert "redirects" in caught.value.message
    assert len(resolver.calls) == 4


def six_mb_png() -> bytes:
    """A real PNG header followed by 6 MB: what a too-big logo looks like on the wire."""
    head = png_bytes((8, 8))
    return head + b"\0" * (6 * MB - len(head))


def test_a_6mb_logo_is_cut_off_before_6mb_are_read(origin: FakeOrigin) -> None:
    # No Content-Length: the cap must hold while streaming.
    origin.routes["/big.png"] = Served(six_mb_png(), content_length=False, pause=0.004)
    resolver = CountingResolver({"cdn.partner.example": ["127.0.0.1"]})
    with pytest.raises(MediaTooLarge) as caught:
        safe_http.fetch(
            origin.url("/big.png"),
            max_bytes=LOGO_CAP,
            allowed_types=IMAGES,
            policy=local_policy(resolver),
        )
    assert caught.value.code == "MEDIA_TOO_LARGE" and caught.value.status == 422
    from tests.support import wait_for

    wait_for(lambda: "/big.png" in origin.sent)
    assert origin.sent["/big.png"] < 6 * MB


def test_a_declared_oversize_is_refused_before_the_body(origin: FakeOrigin) -> None:
    origin.routes["/big.png"] = Served(six_mb_png(), pause=0.004)
    resolver = CountingResolver({"cdn.partner.example": ["127.0.0.1"]})
    with pytest.raises(MediaTooLarge) as caught:
        safe_http.fetch(
            origin.url("/big.png"),
            max_bytes=LOGO_CAP,
            allowed_types=IMAGES,
            policy=local_policy(resolver),
        )
    assert caught.value.details["declaredBytes"] == 6 * MB
    from tests.support import wait_for

    wait_for(lambda: "/big.png" in origin.sent)
    assert origin.sent["/big.png"] < 6 * MB


def test_a_wrong_type_stops_the_download_early(origin: FakeOrigin) -> None:
    page = b"<!doctype html><html><body>" + b"x" * (3 * MB) + b"</body></html>"
    origin.routes["/logo.png"] = Served(
        page, headers={"Content-Type": "image/png"}, content_length=False, pause=0.004
    )
    resolver = CountingResolver({"cdn.partner.example": ["127.0.0.1"]})
    with pytest.raises(UnsupportedMediaType) as caught:
        safe_http.fetch(
            origin.url("/logo.png"),
            max_bytes=LOGO_CAP,
            allowed_types=IMAGES,
            policy=local_policy(resolver),
        )
    assert caught.value.details["detectedType"] is None
    from tests.support import wait_for

    wait_for(lambda: "/logo.png" in origin.sent)
    assert origin.sent["/logo.png"] < 3 * MB


def test_http_errors_are_fetch_failures(origin: FakeOrigin) -> None:
    resolver = CountingResolver({"cdn.partner.example": ["127.0.0.1"]})
    with pytest.raises(MediaFetchFailed) as caught:
        safe_http.fetch(
            origin.url("/missing.png"),
            max_bytes=LOGO_CAP,
            allowed_types=IMAGES,
            policy=local_policy(resolver),
        )
    assert caught.value.details["httpStatus"] == 404


# ---- sniffing ------------------------------------------------------------------------------


def test_sniffing_reads_the_bytes_not_the_name() -> None:
    assert sniff(png_bytes()) == "image/png"
    assert sniff(b"\xff\xd8\xff\xe0" + b"\0" * 20) == "image/jpeg"
    assert sniff(b"RIFF\0\0\0\0WEBPVP8 ") == "image/webp"
    assert sniff(b"\0\0\0\x18ftypisom\0\0\0\0") == "video/mp4"
    assert sniff(b"\0\0\0\x14ftypqt  \0\0\0\0") == "video/quicktime"
    assert sniff(b"\0\0\0\x18ftypheic\0\0\0\0") == "image/heic"
    assert sniff(b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01webm") == "video/webm"
    assert sniff(b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>') == (
        "image/svg+xml"
    )
    assert sniff(b"<html><body>hi</body></html>") is None
    assert sniff(b"GIF89a....") == "image/gif"


@pytest.mark.parametrize(
    "svg",
    [
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        b'<svg xmlns="http://www.w3.org/2000/svg"><foreignObject/></svg>',
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:x="http://www.w3.org/1999/xlink">'
        b'<image x:href="https://evil.example/x.png"/></svg>',
        b'<!DOCTYPE svg [<!ENTITY a "aaaa">]><svg xmlns="http://www.w3.org/2000/svg">&a;</svg>',
        b'<svg xmlns="http://www.w3.org/2000/svg"><a href="javascript:alert(1)"/></svg>',
        b"<svg",
    ],
)
def test_unsafe_svg_is_refused(svg: bytes) -> None:
    with pytest.raises(UnsafeSvg):
        check_svg(svg)


def test_a_plain_svg_logo_is_accepted() -> None:
    check_svg(
        b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
        b'<rect width="10" height="10" fill="#c60"/><use href="#r"/></svg>'
    )


class _BrokenBody(httpx.SyncByteStream):
    """A body that stalls after its first bytes (what a read timeout looks like)."""

    def __iter__(self) -> Iterator[bytes]:
        yield png_bytes()[:16]
        raise httpx.ReadTimeout("timed out")


def test_a_body_that_breaks_off_is_a_fetch_failure() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, stream=_BrokenBody()))
    resolver = CountingResolver({"cdn.partner.example": ["93.184.216.34"]})
    with pytest.raises(MediaFetchFailed) as caught:
        safe_http.fetch(
            "https://cdn.partner.example/logo.png",
            max_bytes=LOGO_CAP,
            allowed_types=IMAGES,
            policy=FetchPolicy(resolver=resolver),
            transport=transport,
        )
    assert caught.value.details["reason"] == "network"
