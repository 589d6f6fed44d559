"""Social Distribution at scale: planning time per layer, and process-due against the ideal.

1. **Planning.** 1,000 layers (each bound to its own account, 3 custom times a day) are
   planned in-process, one transaction each, exactly as the ``sd.plan`` activity does
   (`social_distribution.planning.plan`): the first plan creates the slots, the second finds
   them in place. Baseline, in the same run: a bare insert of the same slot rows per layer
   (one executemany in one transaction, nothing read or checked).
2. **process-due.** Three slots of every layer hold content and are due (3,000 posts);
   ``willPublish`` is on. Each layer's process-due (`service.dispatch`, what the scheduled
   command's activity calls) claims its posts and enqueues their durable publish workflows on
   the publish queue. The platform is a sandbox publisher whose publish call takes 200 ms.
   The time until every post is ``posted`` is compared with the ideal
   ``posts × latency ÷ concurrency``, where the concurrency is the publishing work class's
   (`layers.kit.durable.PUBLISHING`: ``LAYERS_PUBLISH_CONCURRENCY``, 64 by default, read back
   from the queue DBOS runs). The report splits the time into the claim-and-enqueue phase
   (1,000 process-dues, one after another, as the scheduler's commands would run them) and
   the drain after it, and also gives the ratio of the drain alone to the ideal.

   Target: every post ``posted`` within 60 s (SQLite; the README has both databases).
   The queues poll every 50 ms here (the default is 200 ms).

Diagnostics: ``--enqueue-first`` runs every process-due before the workers start, then times
the drain alone, with the CPU this process and the rest of the machine used; ``--profile``
samples where the dispatching thread, the publish workflows and the queue pollers spend their
wall time, and on SQLite how long the app's write lock is waited for and held.

    .venv/bin/python bench/distribution_scale.py [--layers 1000] [--latency-ms 200] [--profile]
        [--enqueue-first]
    .venv/bin/python bench/distribution_scale.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test_c
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from dbos import DBOS

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from _sampler import CpuMeter, Sampler, WriterLockMeter  # noqa: E402
from _scratch import scratch_postgres  # noqa: E402

from layers import wiring  # noqa: E402
from layers.catalog.social_distribution import planner  # noqa: E402
from layers.catalog.social_distribution.binding import TEMPLATE_ID  # noqa: E402
from layers.catalog.social_distribution.dispatch import dispatch  # noqa: E402
from layers.catalog.social_distribution.planning import plan  # noqa: E402
from layers.engine import scheduler  # noqa: E402
from layers.kit import clock, durable  # noqa: E402
from layers.kit import db as kit_db  # noqa: E402
from layers.kit.ids import new_id  # noqa: E402
from layers.kit.migrate import migrate  # noqa: E402
from layers.kit.settings import Settings, set_settings  # noqa: E402
from layers.models.content import ContentContainer  # noqa: E402
from layers.models.engine import ProjectLayer  # noqa: E402
from layers.models.publishing import ScheduledPost  # noqa: E402
from layers.orgs import service as orgs  # noqa: E402
from layers.projects import service as projects  # noqa: E402
from layers.projects.schemas import ProjectCreate  # noqa: E402
from layers.publishing.content import PublishableContent, register_content_resolver  # noqa: E402
from layers.social import service as social  # noqa: E402
from layers.social.platforms import registry  # noqa: E402
from layers.social.platforms.base import (  # noqa: E402
    AccountRef,
    Connection,
    Outcome,
    PlatformProfile,
    Prepared,
    TokenGrant,
)
from layers.social.platforms.sandbox.publisher import SandboxPublisher  # noqa: E402
from layers.social.vault import Secret  # noqa: E402

TIMES = ["09:00", "13:00", "18:00"]
ACCOUNTS_PER_PROJECT = 10


class SlowSandbox(SandboxPublisher):
    """The sandbox publisher with a fixed latency on the one call that publishes."""

    latency_s = 0.2

    def commit(self, token: Secret, account: AccountRef, prepared: Prepared) -> Outcome:
        time.sleep(self.latency_s)
        return self._outcome(account, prepared.ref)


def content(_session: Any, post: ScheduledPost) -> PublishableContent:
    return PublishableContent(
        kind="photo",
        media_urls=[f"https://media.example/{post.id}/{i}.jpg" for i in range(3)],
        caption=f"Bench post {post.id}",
        hashtags=["coffeetok"],
    )


def setup(layers: int) -> list[tuple[str, dict[str, Any]]]:
    """Projects of 10 accounts each, one active distribution layer per account."""
    created: list[tuple[str, dict[str, Any]]] = []
    with kit_db.get_database().transaction() as session:
        org = orgs.create_organization(session, "Bench")
        tenant = type("T", (), {"org_id": org.id, "livemode": False})()
        project = None
        for index in range(layers):
            if index % ACCOUNTS_PER_PROJECT == 0:
                project, _ = projects.create(
                    session,
                    tenant,
                    ProjectCreate(name=f"Bench {index}", timezone="America/Los_Angeles"),
                )
            assert project is not None
            grant = TokenGrant(Secret(f"sbx.act.{index}"), Secret(f"sbx.rft.{index}"), 86_400, None)
            profile = PlatformProfile(uuid.uuid4().hex, f"bench{index}", "Bench", None)
            account = social.connect_account(
                session,
                org_id=org.id,
                livemode=False,
                project_id=project.id,
                platform="tiktok",
                connection=Connection(grant, profile),
            )
            account.posting_mode = "automatic"
            config = {
                "social": {"socialAccountId": account.id},
                "distributionMode": "custom",
                "schedule": {"times": TIMES},
                "generationMode": "manual",
                "willPublish": True,
                "contentLayerSourceIds": [],
            }
            now = clock.now()
            layer = ProjectLayer(
                id=new_id("lyr"),
                org_id=org.id,
                livemode=False,
                project_id=project.id,
                template_id=TEMPLATE_ID,
                template_version="1.0.0",
                status="active",
                config=config,
                config_version=1,
                created_at=now,
                updated_at=now,
            )
            session.add(layer)
            created.append((layer.id, config))
    return created


def plan_all(layers: list[tuple[str, dict[str, Any]]]) -> list[float]:
    times = []
    for layer_id, config in layers:
        started = time.perf_counter()
        with kit_db.get_database().transaction() as session:
            plan(session, layer_id, config)
        times.append(time.perf_counter() - started)
    return times


def bare_insert_all(layers: list[tuple[str, dict[str, Any]]]) -> list[float]:
    """The baseline: the same slot rows, inserted blind (into a scratch layer id)."""
    with kit_db.get_database().transaction(write=False) as session:
        owners = {
            row.id: (row.org_id, row.project_id, row.config["social"]["socialAccountId"])
            for row in session.scalars(sa.select(ProjectLayer))
        }
    times = []
    now = clock.now()
    for layer_id, _config in layers:
        org_id, project_id, account_id = owners[layer_id]
        planned = planner.slots(TIMES, "America/Los_Angeles", now, 3)
        started = time.perf_counter()
        with kit_db.get_database().transaction() as session:
            session.execute(
                sa.insert(ScheduledPost),
                [
                    {
                        "id": new_id("sp"),
                        "org_id": org_id,
                        "livemode": False,
                        "project_id": project_id,
                        "social_account_id": account_id,
                        "layer_id": f"bare_{layer_id}",
                        "origin": "bare",
                        "mode": "publish",
                        "status": "pending",
                        "scheduled_at": slot.at,
                        "attempt_count": 0,
                        "claim_count": 0,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for slot in planned
                ],
            )
        times.append(time.perf_counter() - started)
    with kit_db.get_database().transaction() as session:
        session.execute(sa.delete(ScheduledPost).where(ScheduledPost.origin == "bare"))
    return times


def make_due(layers: list[tuple[str, dict[str, Any]]], per_layer: int) -> list[str]:
    """Give the first `per_layer` slots of every layer content, and move them into the past."""
    due: list[str] = []
    past = clock.now() - timedelta(seconds=30)
    with kit_db.get_database().transaction() as session:
        for layer_id, _config in layers:
            rows = list(
                session.scalars(
                    sa.select(ScheduledPost)
                    .where(ScheduledPost.layer_id == layer_id)
                    .order_by(ScheduledPost.scheduled_at)
                    .limit(per_layer)
                )
            )
            for offset, row in enumerate(rows):
                container = ContentContainer(
                    id=new_id("cnt"),
                    org_id=row.org_id,
                    livemode=False,
                    project_id=row.project_id,
                    format="slideshow-builder",
                    status="completed",
                    media_kind="slideshow",
                    hashtags=[],
                    slide_texts=[],
                    generation=1,
                    completed_at=past,
                )
                session.add(container)
                row.container_id = container.id
                row.status = "ready"
                row.scheduled_at = past - timedelta(minutes=offset)
                due.append(row.id)
    return due


def summary(values: list[float]) -> str:
    ordered = sorted(values)
    p99 = ordered[max(0, int(len(ordered) * 0.99) - 1)]
    return (
        f"mean {statistics.mean(values) * 1000:.1f} ms, p50 {statistics.median(values) * 1000:.1f}"
        f" ms, p99 {p99 * 1000:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--layers", type=int, default=1000)
    parser.add_argument("--due-per-layer", type=int, default=3)
    parser.add_argument("--latency-ms", type=int, default=200)
    parser.add_argument(
        "--profile", action="store_true", help="sample where the threads spend their time"
    )
    parser.add_argument(
        "--enqueue-first",
        action="store_true",
        help="diagnostic: claim and enqueue everything before the workers start",
    )
    parser.add_argument(
        "--postgres", help="run on a scratch database next to this one (test_c → test_c_dist_…)"
    )
    args = parser.parse_args()
    if args.postgres:
        with scratch_postgres(args.postgres, "dist") as url:
            run(args, url)
    else:
        run(args, os.environ.get("LAYERS_DATABASE_URL"))


def run(args: argparse.Namespace, database_url: str | None) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="layers-bench-"))
    settings = Settings(
        data_dir=data_dir,
        database_url=database_url,
        api_key_pepper="bench",
        session_secret="bench",
        queue_polling_interval=0.05,
    )
    set_settings(settings)
    migrate(settings)
    kit_db.configure(settings.resolved_database_url)
    register_content_resolver(content)
    SlowSandbox.latency_s = args.latency_ms / 1000
    registry.PUBLISHERS[registry.TEST]["tiktok"] = lambda s: SlowSandbox("tiktok", s)
    if not args.enqueue_first:
        wiring.launch_workers(settings)
    dialect = kit_db.get_database().dialect
    print(f"database: {dialect}; {args.layers} layers × {len(TIMES)} slots a day")

    with scheduler.background_paused():
        layers = setup(args.layers)
        first = plan_all(layers)
        again = plan_all(layers)
        bare = bare_insert_all(layers)
        print(f"plan (creates 9 slots): {summary(first)}")
        print(f"plan again (all in place): {summary(again)}")
        print(f"bare insert of the same rows: {summary(bare)}")
        ratio = statistics.mean(first) / statistics.mean(bare)
        print(f"planning / bare insert: {ratio:.2f}")

        due = make_due(layers, args.due_per_layer)
        if args.enqueue_first:
            enqueue_first(settings, layers, due, args.profile)
            return
        concurrency = publish_concurrency(settings)
        ideal = len(due) * SlowSandbox.latency_s / concurrency
        meter = None
        if args.profile and dialect == "sqlite":
            meter = WriterLockMeter(kit_db.get_database().engine)
        started = time.perf_counter()
        claimed = 0
        with profiled(args.profile) as during_dispatch:
            for layer_id, _config in layers:
                claimed += int(dispatch(layer_id)["claimed"])
        dispatched = time.perf_counter() - started
        assert claimed == len(due), (claimed, len(due))
        posted_at_dispatch = count_posted(due)
        deadline = time.monotonic() + ideal * 10 + 120
        with profiled(args.profile) as during_drain:
            while True:
                left = len(due) - count_posted(due)
                if not left:
                    break
                if time.monotonic() > deadline:
                    raise SystemExit(f"{left} posts still not posted")
                time.sleep(0.1)
        elapsed = time.perf_counter() - started
        if meter is not None:
            meter.stop()
    drain = elapsed - dispatched
    left_after_dispatch = len(due) - posted_at_dispatch
    drain_ideal = left_after_dispatch * SlowSandbox.latency_s / concurrency
    print(
        f"process-due: {len(due)} due posts, {args.latency_ms} ms publish latency, publish "
        f"queue concurrency {concurrency} (settings.publish_concurrency)"
    )
    print(
        f"  claimed and enqueued in {dispatched:.1f} s ({len(due) / dispatched:.0f} posts/s; "
        f"{posted_at_dispatch} already posted by then)"
    )
    print(
        f"  all posted in {elapsed:.1f} s (target 60 s: {'pass' if elapsed <= 60 else 'FAIL'});"
        f" ideal {ideal:.1f} s; ratio {elapsed / ideal:.2f}"
    )
    if left_after_dispatch:
        print(
            f"  the last {left_after_dispatch} drained in {drain:.1f} s after the enqueue; "
            f"ideal {drain_ideal:.1f} s; ratio {drain / drain_ideal:.2f}"
        )
    if meter is not None:
        print(meter.report(len(due), "post"))
    for title, sampler in (("claim and enqueue", during_dispatch), ("drain", during_drain)):
        if sampler is not None:
            print(f"where the wall time went during {title} (sampled):")
            for group in ("dispatch", "publish workflows", "queue pollers"):
                print(sampler.report(group))
    durable.shutdown()
    kit_db.get_database().engine.dispose()


def enqueue_first(
    settings: Settings, layers: list[tuple[str, dict[str, Any]]], due: list[str], profile: bool
) -> None:
    """Diagnostic: the two parts of process-due without each other. Every layer's
    process-due claims and enqueues with no worker running; then the workers start and drain
    the publish queue with nothing else to do."""
    cpu = CpuMeter()
    started = time.perf_counter()
    claimed = sum(int(dispatch(layer_id)["claimed"]) for layer_id, _ in layers)
    dispatched = time.perf_counter() - started
    dispatch_cpu = cpu.report(len(due), "post")
    assert claimed == len(due), (claimed, len(due))
    wiring.launch_workers(settings)
    concurrency = publish_concurrency(settings)
    launched = time.perf_counter()
    cpu = CpuMeter()
    with profiled(profile) as sampler:
        while count_posted(due) < len(due):
            time.sleep(0.1)
    drained = time.perf_counter() - launched
    drain_cpu = cpu.report(len(due), "post")
    ideal = len(due) * SlowSandbox.latency_s / concurrency
    print(
        f"enqueue first (diagnostic): {len(due)} posts claimed and enqueued alone in "
        f"{dispatched:.1f} s ({len(due) / dispatched:.0f} posts/s, "
        f"{dispatched / len(layers) * 1000:.1f} ms a layer); then drained by the publish queue "
        f"(concurrency {concurrency}) alone in {drained:.1f} s; ideal {ideal:.1f} s; ratio "
        f"{drained / ideal:.2f}"
    )
    print(f"claim and enqueue:\n{dispatch_cpu}\ndrain:\n{drain_cpu}")
    if sampler is not None:
        print("where the wall time went during the drain (sampled):")
        for group in ("publish workflows", "queue pollers"):
            print(sampler.report(group))
    durable.shutdown()
    kit_db.get_database().engine.dispose()


def _thread_group(thread: threading.Thread) -> str | None:
    if thread is threading.main_thread():
        return "dispatch"
    if thread.name.startswith("queue-worker"):
        return "queue pollers"
    if thread.name.startswith("dbos-executor"):
        return "publish workflows"
    return None


@contextmanager
def profiled(enabled: bool) -> Iterator[Sampler | None]:
    if not enabled:
        yield None
        return
    with Sampler(_thread_group) as sampler:
        yield sampler


def publish_concurrency(settings: Settings) -> int:
    """The publishing queue's per-worker concurrency, as DBOS runs it (and as configured)."""
    configured = durable.PUBLISHING.concurrency(settings)
    queue = DBOS.retrieve_queue(durable.PUBLISHING.name)
    assert queue is not None
    assert queue.worker_concurrency == configured, (queue.worker_concurrency, configured)
    return configured


def count_posted(due: list[str]) -> int:
    with kit_db.get_database().transaction(write=False) as session:
        return int(
            session.scalar(
                sa.select(sa.func.count())
                .select_from(ScheduledPost)
                .where(ScheduledPost.id.in_(due), ScheduledPost.status == "posted")
            )
            or 0
        )


if __name__ == "__main__":
    main()
