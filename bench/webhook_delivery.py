"""Webhook delivery: 1,000 events to one endpoint whose receiver takes 50 ms to answer.

Events are recorded by `layers.events.service.record` in committed transactions from several
threads at once (each subject's events from one thread, so their commit order is known); the
outbox turns each into a delivery whose first attempt is a DBOS workflow enqueued in the same
transaction, and the in-process worker delivers them over real HTTP to a receiver on
127.0.0.1. The receiver checks every signature, that no event id arrives twice, and that each
subject's events arrive in commit order.

The baseline is what a sender without durability needs at least to do the same work in the
same order: one lane per subject posting that subject's signed bodies one after another,
with the same receiver. The ratio is the durable pipeline's time over the baseline's.

    .venv/bin/python bench/webhook_delivery.py [--events 1000] [--subjects 50] [--latency-ms 50]
    .venv/bin/python bench/webhook_delivery.py --postgres postgresql+psycopg://…/test_a
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from _scratch import scratch_postgres  # noqa: E402

from layers import wiring  # noqa: E402
from layers.events import service as events  # noqa: E402
from layers.kit import db as kit_db  # noqa: E402
from layers.kit import durable  # noqa: E402
from layers.kit.ids import new_id  # noqa: E402
from layers.kit.migrate import migrate  # noqa: E402
from layers.kit.settings import Settings, set_settings  # noqa: E402
from layers.models.webhooks import WebhookDelivery  # noqa: E402
from layers.orgs import service as orgs  # noqa: E402
from layers.webhooks import service as webhooks  # noqa: E402
from layers.webhooks import signing  # noqa: E402
from layers.webhooks.schemas import EndpointCreate  # noqa: E402


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512  # the listen backlog (the default, 5, resets a burst)


class Receiver:
    """A threaded HTTP receiver with a fixed latency that checks what it gets."""

    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.secret = ""
        self.lock = threading.Lock()
        self.arrivals: dict[str, float] = {}
        self.order: dict[str, list[int]] = defaultdict(list)
        self.duplicates = 0
        self.bad_signatures = 0
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                time.sleep(receiver.latency)
                body = json.loads(raw)
                ok = signing.verify(receiver.secret, self.headers["x-layers-signature"], raw)
                with receiver.lock:
                    event_id = self.headers["x-layers-event-id"]
                    if event_id in receiver.arrivals:
                        receiver.duplicates += 1
                    receiver.arrivals[event_id] = time.perf_counter()
                    receiver.order[body["data"]["subject"]].append(body["data"]["n"])
                    receiver.bad_signatures += 0 if ok else 1
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self.server = _Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def reset(self) -> None:
        with self.lock:
            self.arrivals.clear()
            self.order.clear()
            self.duplicates = self.bad_signatures = 0

    def in_order(self) -> bool:
        return self.out_of_order() == 0

    def out_of_order(self) -> int:
        """Subjects whose events did not arrive in commit order."""
        return sum(1 for ns in self.order.values() if ns != sorted(ns))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--subjects", type=int, default=50)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--writers", type=int, default=4, help="threads recording events")
    parser.add_argument("--postgres", help="run on a scratch database next to this one")
    args = parser.parse_args()
    if args.postgres:
        with scratch_postgres(args.postgres, "hooks") as url:
            run(args, url)
    else:
        run(args, os.environ.get("LAYERS_DATABASE_URL"))


def run(args: argparse.Namespace, database_url: str | None) -> None:
    settings = Settings(
        data_dir=Path(tempfile.mkdtemp(prefix="layers-bench-")),
        database_url=database_url,
        api_key_pepper="bench",
        session_secret="bench",
        queue_polling_interval=0.05,
    )
    set_settings(settings)
    migrate(settings)
    kit_db.configure(settings.resolved_database_url)
    wiring.launch_workers(settings)
    receiver = Receiver(args.latency_ms / 1000)
    try:
        with kit_db.get_database().transaction() as session:
            org = orgs.create_organization(session, "Bench org")
            tenant = orgs.Principal(
                key_id="bench", key_org_id=org.id, org_id=org.id, livemode=False,
                scopes=frozenset({"*"}), allowed_return_domains=(), rate_limit_tier="standard",
            )  # fmt: skip
            body = EndpointCreate.model_validate({"url": receiver.url, "events": ["job.completed"]})
            _, receiver.secret = webhooks.create(session, tenant, body)
        plan = _plan(args.events, args.subjects)

        durable_s, latencies = _durable(org.id, plan, receiver, args.writers, args.events)
        durable_ok = (receiver.duplicates, receiver.bad_signatures, receiver.in_order())
        retried, unordered = _retried(), receiver.out_of_order()
        bodies = _bodies(plan)
        receiver.reset()
        bare_s = _bare(bodies, receiver)
        bare_ok = (receiver.duplicates, receiver.bad_signatures, receiver.in_order())
    finally:
        durable.shutdown()
        receiver.server.shutdown()

    dialect = kit_db.get_database().dialect
    print(
        f"{dialect}, {args.events} events, {args.subjects} subjects, receiver "
        f"{args.latency_ms} ms, delivery concurrency {settings.delivery_concurrency}"
    )
    print(f"{'':30}{'seconds':>9}{'events/s':>10}{'p50 ms':>9}{'p99 ms':>9}")
    p50 = statistics.median(latencies) * 1000
    p99 = statistics.quantiles(latencies, n=100)[98] * 1000
    print(
        f"{'durable (commit → receipt)':30}{durable_s:>9.2f}"
        f"{args.events / durable_s:>10.0f}{p50:>9.0f}{p99:>9.0f}"
    )
    print(f"{'bare lanes (baseline)':30}{bare_s:>9.2f}{args.events / bare_s:>10.0f}")
    print(f"ratio durable / bare: {durable_s / bare_s:.2f}")
    duplicates, bad, ordered = durable_ok
    print(
        f"durable: duplicates {duplicates}, bad signatures {bad}, "
        f"per-subject commit order {'kept' if ordered else f'BROKEN for {unordered} subjects'}, "
        f"deliveries that needed a retry {retried}"
    )
    if durable_ok != (0, 0, True) or bare_ok != (0, 0, True):
        raise SystemExit("delivery check failed")


def _retried() -> int:
    """Deliveries that needed more than one attempt (a retry may overtake nothing: it goes
    after the subject's later events, see docs/webhooks.md)."""
    with kit_db.get_database().transaction(write=False) as session:
        rows = session.scalars(sa.select(WebhookDelivery.attempts)).all()
    return sum(1 for attempts in rows if attempts > 1)


def _plan(total: int, subjects: int) -> list[list[tuple[str, int]]]:
    """Per subject, its events in order: (subject id, n)."""
    ids = [new_id("job") for _ in range(subjects)]
    lanes: list[list[tuple[str, int]]] = [[] for _ in ids]
    for i in range(total):
        lane = i % subjects
        lanes[lane].append((ids[lane], len(lanes[lane])))
    return lanes


def _durable(
    org_id: str,
    plan: list[list[tuple[str, int]]],
    receiver: Receiver,
    writers: int,
    total: int,
) -> tuple[float, list[float]]:
    committed: dict[str, float] = {}
    lock = threading.Lock()

    def write(lanes: list[list[tuple[str, int]]]) -> None:
        # Round-robin over this writer's subjects: each subject's events commit in order.
        for step in range(max(len(lane) for lane in lanes)):
            for lane in lanes:
                if step < len(lane):
                    subject, n = lane[step]
                    with kit_db.get_database().transaction() as session:
                        event = events.record(
                            session, "job.completed", org_id=org_id, livemode=False,
                            project_id=None, subject_id=subject,
                            data={"jobId": subject, "subject": subject, "n": n},
                        )  # fmt: skip
                        event_id = event.id
                    with lock:
                        committed[event_id] = time.perf_counter()

    started = time.perf_counter()
    with ThreadPoolExecutor(writers) as pool:
        list(pool.map(write, [plan[i::writers] for i in range(writers)]))
    print(f"recorded {total} events in {time.perf_counter() - started:.2f} s ({writers} writers)")
    deadline = time.monotonic() + 600
    while len(receiver.arrivals) < total:
        if time.monotonic() > deadline:
            raise SystemExit(f"only {len(receiver.arrivals)} of {total} delivered in 10 min")
        time.sleep(0.05)
    elapsed = max(receiver.arrivals.values()) - started
    latencies = [receiver.arrivals[e] - committed[e] for e in committed]
    return elapsed, latencies


def _bodies(plan: list[list[tuple[str, int]]]) -> list[list[tuple[str, bytes]]]:
    return [
        [
            (
                new_id("evt"),
                json.dumps(
                    {"type": "job.completed", "data": {"subject": subject, "n": n}}
                ).encode(),
            )
            for subject, n in lane
        ]
        for lane in plan
    ]


def _bare(lanes: list[list[tuple[str, bytes]]], receiver: Receiver) -> float:
    def post(lane: list[tuple[str, bytes]]) -> None:
        with httpx.Client(timeout=10) as http:
            for event_id, raw in lane:
                stamp = int(time.time())
                http.post(
                    receiver.url,
                    content=raw,
                    headers={
                        "X-Layers-Event-Id": event_id,
                        "X-Layers-Signature": signing.header([receiver.secret], stamp, raw),
                        "Content-Type": "application/json",
                    },
                )

    started = time.perf_counter()
    with ThreadPoolExecutor(len(lanes)) as pool:
        list(pool.map(post, lanes))
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
