"""The webhook sender: POST one signed body to one endpoint URL, and say what happened.

Contract of every implementation:

* It never raises for what the receiver or the network did: the outcome is a `SendResult`
  (an HTTP status, or none and an error for DNS, connection, TLS, timeout or a refused
  address).
* It connects only to an address the SSRF guard allows for the endpoint's mode, checked at
  send time (a name that now resolves to a private address is refused, not retried).
* It cannot be held by a receiver: connect and read timeouts, a total deadline, and only the
  first `RESPONSE_CAP` bytes of the answer are read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

RESPONSE_CAP = 64 * 1024
"""Bytes of a receiver's answer we read at most (the rest is dropped, the call ends)."""


@dataclass(frozen=True)
class SendResult:
    """What one attempt got: `status` (None without an HTTP answer), the start of the
    answer's body, and an error message when there was no usable answer. `refused` means the
    URL itself is not allowed (retrying cannot help)."""

    status: int | None
    body: str = ""
    error: str | None = None
    refused: bool = False
    elapsed_ms: int = 0


class WebhookSender(Protocol):
    """POSTs a delivery; see the module docstring for the contract."""

    def send(self, url: str, body: bytes, headers: Mapping[str, str]) -> SendResult: ...
