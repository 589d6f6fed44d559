"""Scale-out of publishing: a burst of 3,000 due posts drained by two workers against one.

The burst is the one of ``bench/distribution_scale.py``: 1,000 TikTok accounts (100 projects
of 10), three due posts each, every post holding a completed slideshow (3 slides and a
thumbnail, published through the real content resolver), on PostgreSQL. For each arm, on a
fresh scratch database next to ``--postgres`` (``test_c`` → ``test_c_scaleout_<hex>``, dropped
afterwards):

1. One ``layers worker`` process, or two, start (``--executor-id worker-N`` each), with
   ``LAYERS_PUBLISH_CONCURRENCY`` = ``--concurrency`` (per worker: the same in both arms) and
   ``LAYERS_SANDBOX_LATENCY_MS`` = half of ``--latency-ms``: the sandbox publisher sleeps that
   long on each of its calls, and a publish makes two (``prepare``, then ``commit``), so a
   publish takes ``--latency-ms`` on the platform side, as in distribution_scale's in-process
   publisher.
2. Once they listen, the bench claims all 3,000 posts and enqueues their publish workflows in
   one transaction, through the claim path every dispatcher uses
   (`publishing.protocol.claim_ready`); the clock starts when it commits. (The posts belong
   to no layer, so no scheduled command of the workers claims them first.)
3. The clock stops when every post is ``posted``.

The ratio is the one-worker time over the two-worker time (target ≥ 1.8).

**Why 8 per worker.** The ratio measures scale-out only if one worker is bound by its own
concurrency, not by the database or the machine. At 8 slots a worker publishes at most
8 ÷ 0.2 s = 40 posts/s; measured, one worker makes 19 posts/s, 47 % of that, and two make
37.5: each slot waits for the queue's next poll (``LAYERS_QUEUE_POLLING_INTERVAL``, 0.2 s)
after its publish (0.2 s plus the protocol's writes), so a slot publishes every other poll,
in both arms alike. The machine (2 cores: both workers, PostgreSQL and the bench) tops out
near 57 posts/s: at 16 per worker two workers were 1.62× one, at 32 only 1.20× (900 posts,
one run each), because there one worker already uses most of the machine.

    .venv/bin/python bench/scale_out.py [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test_c]
        [--concurrency 8] [--latency-ms 200] [--accounts 1000] [--per-account 3] [--rounds 1]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from _scratch import scratch_postgres  # noqa: E402

from layers.kit import clock, durable  # noqa: E402
from layers.kit import db as kit_db  # noqa: E402
from layers.kit.ids import new_id  # noqa: E402
from layers.kit.migrate import migrate  # noqa: E402
from layers.kit.settings import Settings, set_settings  # noqa: E402
from layers.models.content import ContainerAsset, ContentContainer  # noqa: E402
from layers.models.publishing import ScheduledPost  # noqa: E402
from layers.orgs import service as orgs  # noqa: E402
from layers.projects import service as projects  # noqa: E402
from layers.projects.schemas import ProjectCreate  # noqa: E402
from layers.publishing import protocol as publishing  # noqa: E402
from layers.social import service as social  # noqa: E402
from layers.social.platforms.base import Connection, PlatformProfile, TokenGrant  # noqa: E402
from layers.social.vault import Secret  # noqa: E402

ACCOUNTS_PER_PROJECT = 10
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test_c"


def setup(accounts: int, per_account: int) -> int:
    """Accounts, and `per_account` due ``ready`` posts each with a completed slideshow."""
    past = clock.now() - timedelta(seconds=30)
    account_rows: list[tuple[str, str, str]] = []  # (org, project, account)
    with kit_db.get_database().transaction() as session:
        org = orgs.create_organization(session, "Scale-out bench")
        tenant = type("T", (), {"org_id": org.id, "livemode": False})()
        project = None
        for index in range(accounts):
            if index % ACCOUNTS_PER_PROJECT == 0:
                project, _ = projects.create(
                    session, tenant, ProjectCreate(name=f"Bench {index}", timezone="UTC")
                )
            assert project is not None
            grant = TokenGrant(
                Secret(f"sbx.act.{index}"), Secret(f"sbx.rft.{index}"), 86_400, 31_536_000
            )
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
            account_rows.append((org.id, project.id, account.id))
    containers, assets, posts = [], [], []
    for index, (org_id, project_id, account_id) in enumerate(account_rows):
        for slot in range(per_account):
            container_id = new_id("cnt")
            containers.append(
                {
                    "id": container_id,
                    "org_id": org_id,
                    "livemode": False,
                    "project_id": project_id,
                    "format": "slideshow-builder",
                    "status": "completed",
                    "media_kind": "slideshow",
                    "hook": "Bench hook",
                    "caption": f"Bench post {index}.{slot}",
                    "hashtags": ["coffeetok"],
                    "slide_texts": [],
                    "generation": 1,
                    "completed_at": past,
                    "created_at": past,
                    "updated_at": past,
                }
            )
            for role, position in (("slide", 0), ("slide", 1), ("slide", 2), ("thumbnail", 0)):
                assets.append(
                    {
                        "id": new_id("ast"),
                        "container_id": container_id,
                        "generation": 1,
                        "role": role,
                        "position": position,
                        "storage_key": f"bench/{container_id}/{role}-{position}.jpg",
                        "mime_type": "image/jpeg",
                        "width": 1080 if role == "slide" else 360,
                        "height": 1920 if role == "slide" else 640,
                        "byte_size": 150_000,
                        "created_at": past,
                    }
                )
            posts.append(
                {
                    "id": new_id("sp"),
                    "org_id": org_id,
                    "livemode": False,
                    "project_id": project_id,
                    "social_account_id": account_id,
                    "layer_id": f"lyr_bench_{index}",  # no such layer: no scheduler touches it
                    "container_id": container_id,
                    "origin": "slot",
                    "mode": "publish",
                    "status": "ready",
                    "scheduled_at": past - timedelta(minutes=slot),
                    "attempt_count": 0,
                    "claim_count": 0,
                    "created_at": past,
                    "updated_at": past,
                }
            )
    with kit_db.get_database().transaction() as session:
        session.execute(sa.insert(ContentContainer), containers)
        session.execute(sa.insert(ContainerAsset), assets)
        session.execute(sa.insert(ScheduledPost), posts)
    return len(posts)


@dataclass
class Worker:
    executor_id: str
    process: subprocess.Popen[str]
    log: Path


def start_worker(executor_id: str, env: dict[str, str], logs: Path) -> Worker:
    log = logs / f"{executor_id}.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "layers.cli.main", "worker", "--executor-id", executor_id],
        env=env,
        stdout=subprocess.PIPE,
        stderr=log.open("w"),
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()  # "worker … running" once DBOS has launched
    if "running" not in line:
        process.kill()
        raise SystemExit(f"worker {executor_id} did not start: {line!r}; see {log}")
    return Worker(executor_id, process, log)


def stop(workers: list[Worker]) -> None:
    for worker in workers:
        worker.process.terminate()
    for worker in workers:
        try:
            worker.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.process.kill()
            worker.process.wait()


def count(status: str) -> int:
    with kit_db.get_database().transaction(write=False) as session:
        return int(
            session.scalar(
                sa.select(sa.func.count())
                .select_from(ScheduledPost)
                .where(ScheduledPost.origin == "slot", ScheduledPost.status == status)
            )
            or 0
        )


def statuses() -> dict[str, int]:
    with kit_db.get_database().transaction(write=False) as session:
        rows = session.execute(
            sa.select(ScheduledPost.status, sa.func.count()).group_by(ScheduledPost.status)
        ).all()
    return {status: int(n) for status, n in rows}


def per_executor() -> dict[str, int]:
    with kit_db.get_database().transaction(write=False) as session:
        rows = session.execute(
            sa.text(
                "SELECT executor_id, count(*) FROM dbos.workflow_status "
                "WHERE name = :name AND status = 'SUCCESS' GROUP BY executor_id"
            ),
            {"name": publishing.PUBLISH_WORKFLOW},
        ).all()
    return {str(executor): int(n) for executor, n in rows}


def run_arm(args: argparse.Namespace, workers: int) -> dict[str, float]:
    with scratch_postgres(args.postgres, "scaleout") as url:
        data_dir = Path(tempfile.mkdtemp(prefix="layers-scaleout-"))
        settings = Settings(
            data_dir=data_dir, database_url=url, api_key_pepper="bench", session_secret="bench"
        )
        set_settings(settings)
        migrate(settings)
        kit_db.configure(url)
        total = setup(args.accounts, args.per_account)
        env = {
            **os.environ,
            "LAYERS_DATA_DIR": str(data_dir),  # the same vault keys as the bench's
            "LAYERS_DATABASE_URL": url,
            "LAYERS_API_KEY_PEPPER": "bench",
            "LAYERS_SESSION_SECRET": "bench",
            "LAYERS_LOG_LEVEL": "WARNING",
            "LAYERS_PUBLISH_CONCURRENCY": str(args.concurrency),
            "LAYERS_SANDBOX_LATENCY_MS": str(args.latency_ms // 2),
            "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
        }
        running: list[Worker] = []
        try:
            for index in range(workers):
                running.append(start_worker(f"worker-{index + 1}", env, data_dir))
            time.sleep(2.5)  # DBOS picks up newly registered queues within a second
            enqueue_started = time.perf_counter()
            with kit_db.get_database().transaction() as session:
                claimed, held = publishing.claim_ready(
                    session, clock.now(), ScheduledPost.origin == "slot", limit=total
                )
            started = time.perf_counter()  # committed: the workers see every workflow now
            assert len(claimed) == total, (len(claimed), total)
            assert not held
            deadline = time.monotonic() + 600
            while count("posted") < total:
                if time.monotonic() > deadline:
                    raise SystemExit(f"not all posted: {statuses()}")
                if any(w.process.poll() is not None for w in running):
                    raise SystemExit(f"a worker exited; see {data_dir}")
                time.sleep(0.1)
            elapsed = time.perf_counter() - started
            # A post is posted just before its workflow records its end: let them all end.
            settle = time.monotonic() + 10
            while sum(per_executor().values()) < total and time.monotonic() < settle:
                time.sleep(0.1)
            split = per_executor()
        finally:
            stop(running)
            kit_db.get_database().engine.dispose()
            durable.shutdown()  # the enqueue client's engine
    rate = total / elapsed
    bound = workers * args.concurrency / (args.latency_ms / 1000)
    print(
        f"  {workers} worker{'s' if workers > 1 else ''}: {total} posts in {elapsed:.1f} s "
        f"({rate:.1f} posts/s; concurrency bound {bound:.0f}/s, reached {rate / bound:.0%}); "
        f"claim+enqueue transaction {started - enqueue_started:.1f} s; by worker {split}",
        flush=True,
    )
    return {"elapsed": elapsed, "rate": rate}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--concurrency", type=int, default=8, help="publish slots per worker")
    parser.add_argument("--latency-ms", type=int, default=200, help="one publish, both calls")
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--per-account", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    print(
        f"PostgreSQL; {args.accounts * args.per_account} due posts; publish latency "
        f"{args.latency_ms} ms; LAYERS_PUBLISH_CONCURRENCY={args.concurrency} per worker",
        flush=True,
    )
    one: list[float] = []
    two: list[float] = []
    for round_ in range(args.rounds):
        order = (1, 2) if round_ % 2 == 0 else (2, 1)
        for workers in order:
            result = run_arm(args, workers)
            (one if workers == 1 else two).append(result["elapsed"])
    t1, t2 = statistics.median(one), statistics.median(two)
    ratios = ", ".join(f"{a / b:.2f}" for a, b in zip(one, two, strict=True))
    print(
        f"one worker {t1:.1f} s, two workers {t2:.1f} s (medians of {args.rounds}): "
        f"scale-out ratio {t1 / t2:.2f} (target ≥ 1.8: {'pass' if t1 / t2 >= 1.8 else 'FAIL'})"
        f"; per round {ratios}"
    )


if __name__ == "__main__":
    main()
