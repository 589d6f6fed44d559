"""A real webhook receiver on 127.0.0.1: a threaded HTTP server that checks every signature
with the documented algorithm (`verify` below is written from docs/webhooks.md, not imported
from the server) and answers from a script."""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


def verify(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    """The receiver's check, as docs/webhooks.md tells partners to write it."""
    items = [part.split("=", 1) for part in header.split(",") if "=" in part]
    stamps = [value for key, value in items if key == "t"]
    signatures = [value for key, value in items if key == "v1"]
    if len(stamps) != 1 or not signatures:
        return False
    if abs(time.time() - int(stamps[0])) > tolerance:
        return False
    expected = hmac.new(
        secret.encode(), stamps[0].encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return any(hmac.compare_digest(expected, signature) for signature in signatures)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the listen backlog (the default, 5, resets a burst)


@dataclass
class Received:
    event_id: str
    body: dict[str, Any]
    raw: bytes
    signature: str
    verified: bool
    answered: int
    at: float


@dataclass
class Receiver:
    """`answer(n, received)` gives the status of the n-th request (0-based); `latency`
    seconds are spent before answering; `hold` keeps requests unanswered until released."""

    answer: Callable[[int, dict[str, Any]], int] = lambda _n, _body: 200
    latency: float = 0.0
    secrets: list[str] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    hold: threading.Event | None = None
    arrived: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    port: int = 0
    server: http.server.ThreadingHTTPServer | None = None

    def start(self) -> Receiver:
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                receiver.arrived.set()
                if receiver.hold is not None:
                    receiver.hold.wait(120)
                    return  # never answered
                if receiver.latency:
                    time.sleep(receiver.latency)
                body = json.loads(raw)
                signature = self.headers.get("x-layers-signature", "")
                verified = any(verify(s, signature, raw) for s in receiver.secrets)
                with receiver.lock:
                    status = receiver.answer(len(receiver.received), body)
                    receiver.received.append(
                        Received(
                            self.headers.get("x-layers-event-id", ""),
                            body,
                            raw,
                            signature,
                            verified,
                            status,
                            time.monotonic(),
                        )
                    )
                payload = b'{"ok": true}' if status < 300 else b'{"error": "nope"}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = _Server(("127.0.0.1", self.port), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def of_type(self, type_: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.body["type"] == type_]

    def close(self) -> None:
        if self.hold is not None:
            self.hold.set()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
