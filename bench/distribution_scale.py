"""Social Distribution at scale: planning time per layer, and process-due against the ideal.

1. **Planning.** 1,000 layers (each bound to its own account, 3 custom times a day) are
   planned in-process, one transaction each, exactly as the ``sd.plan`` activity does
   (`social_distribution.service.plan`): the first plan creates the slots, the second finds
   them in place. Baseline, in the same run: a bare insert of the same slot rows per layer
   (one executemany in one transaction, nothing read or checked).
2. **process-due.** Three slots of every layer hold content and are due (3,000 posts);
   ``willPublish`` is on. Each layer's process-due (`service.dispatch`, what the scheduled
   command's activity calls) claims its posts and enqueues their durable publish workflows on
   the publish queue. The platform is a sandbox publisher whose publish call takes 200 ms.
   The time until every post is ``posted`` is compared with the ideal
   ``posts × latency ÷ concurrency`` (concurrency: the publish queue's worker concurrency).

    .venv/bin/python bench/distribution_scale.py [--layers 1000] [--latency-ms 200]
    LAYERS_DATABASE_URL=postgresql+psycopg://… .venv/bin/python bench/distribution_scale.py
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from layers import wiring  # noqa: E402
from layers.catalog.social_distribution import planner  # noqa: E402
from layers.catalog.social_distribution import service as distribution  # noqa: E402
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
                template_id=distribution.TEMPLATE_ID,
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
            distribution.plan(session, layer_id, config)
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
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="layers-bench-"))
    settings = Settings(
        data_dir=data_dir,
        database_url=os.environ.get("LAYERS_DATABASE_URL"),
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
        concurrency = max(4, settings.worker_concurrency // 2)
        ideal = len(due) * SlowSandbox.latency_s / concurrency
        started = time.perf_counter()
        claimed = 0
        for layer_id, _config in layers:
            claimed += int(distribution.dispatch(layer_id)["claimed"])
        dispatched = time.perf_counter() - started
        assert claimed == len(due), (claimed, len(due))
        deadline = time.monotonic() + ideal * 10 + 120
        while True:
            with kit_db.get_database().transaction(write=False) as session:
                left = session.scalar(
                    sa.select(sa.func.count())
                    .select_from(ScheduledPost)
                    .where(ScheduledPost.id.in_(due), ScheduledPost.status != "posted")
                )
            if not left:
                break
            if time.monotonic() > deadline:
                raise SystemExit(f"{left} posts still not posted")
            time.sleep(0.1)
        elapsed = time.perf_counter() - started
    print(
        f"process-due: {len(due)} due posts, {args.latency_ms} ms publish latency, publish "
        f"queue concurrency {concurrency}: claimed and enqueued in {dispatched:.1f} s, all "
        f"posted in {elapsed:.1f} s; ideal {ideal:.1f} s; ratio {elapsed / ideal:.2f}"
    )
    durable.shutdown()


if __name__ == "__main__":
    main()
