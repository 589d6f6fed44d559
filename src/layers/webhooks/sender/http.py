"""The httpx sender: through the SSRF guard, pinned to the checked address, bounded in time
and in how much of the answer it reads."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import httpx

from layers.kit.errors import LayersError
from layers.kit.safe_http import FetchPolicy, IPAddress, Target, parse_target, resolve
from layers.webhooks import urls
from layers.webhooks.sender.base import RESPONSE_CAP, SendResult

USER_AGENT = "Layers-Webhooks/1.0"


class HttpSender:
    """Sends for one mode (`livemode`): live endpoints are public HTTPS only."""

    def __init__(
        self,
        *,
        livemode: bool,
        connect_timeout: float,
        read_timeout: float,
        policy: FetchPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        response_cap: int = RESPONSE_CAP,
    ) -> None:
        base = policy or FetchPolicy()
        self.livemode = livemode
        self.policy = FetchPolicy(
            schemes=base.schemes,
            max_redirects=0,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            total_timeout=connect_timeout + read_timeout,
            address_allowed=base.address_allowed,
            resolver=base.resolver,
        )
        self.transport = transport
        self.response_cap = response_cap

    def send(self, url: str, body: bytes, headers: Mapping[str, str]) -> SendResult:
        started = time.monotonic()
        try:
            route = urls.route(url, self.livemode, self.policy)
            target = parse_target(route.url, route.policy)
            address = resolve(target, route.policy)
        except LayersError as exc:
            refused = exc.code == "URL_NOT_ALLOWED"
            return SendResult(None, error=exc.message, refused=refused)
        timeout = httpx.Timeout(
            self.policy.read_timeout, connect=self.policy.connect_timeout, pool=1.0
        )
        deadline = started + self.policy.total_timeout
        with httpx.Client(timeout=timeout, follow_redirects=False, transport=self.transport) as c:
            request = _pinned_post(c, target, address, body, headers)
            try:
                response = c.send(request, stream=True)
            except httpx.TimeoutException as exc:
                return self._error(started, f"timeout ({type(exc).__name__})")
            except httpx.HTTPError as exc:
                return self._error(started, f"network error ({type(exc).__name__})")
            try:
                text = self._read(response, deadline)
            except httpx.HTTPError:
                text = ""  # the status is what counts; the body broke off
            finally:
                response.close()
        return SendResult(response.status_code, body=text, elapsed_ms=_ms(started))

    def _read(self, response: httpx.Response, deadline: float) -> str:
        """The first `response_cap` bytes of the answer, read until the deadline at most."""
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_raw():
            chunks.append(chunk)
            size += len(chunk)
            if size >= self.response_cap or time.monotonic() > deadline:
                break
        return b"".join(chunks)[: self.response_cap].decode("utf-8", "replace")

    @staticmethod
    def _error(started: float, message: str) -> SendResult:
        return SendResult(None, error=message, elapsed_ms=_ms(started))


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _pinned_post(
    client: httpx.Client,
    target: Target,
    address: IPAddress,
    body: bytes,
    headers: Mapping[str, str],
) -> httpx.Request:
    """A POST to the checked address; the Host header and TLS SNI keep the name."""
    netloc = f"[{address}]" if address.version == 6 else str(address)
    default_port = 443 if target.scheme == "https" else 80
    port = "" if target.port == default_port else f":{target.port}"
    host_header = target.host if target.ip is None else netloc
    extensions: dict[str, Any] = {}
    if target.scheme == "https" and target.ip is None:
        extensions["sni_hostname"] = target.host
    return client.build_request(
        "POST",
        f"{target.scheme}://{netloc}{port}{target.path}",
        content=body,
        headers={
            **headers,
            "Host": host_header + port,
            "User-Agent": USER_AGENT,
            "Content-Type": "application/json",
            "Accept-Encoding": "identity",
        },
        extensions=extensions,
    )
