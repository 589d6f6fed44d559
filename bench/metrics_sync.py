"""Metrics read-back at scale: 10,000 published posts synced against a platform that takes
100 ms a call, compared with the ideal ``posts × latency ÷ concurrency``.

The platform is a local fake of the Instagram Graph API's media insights (one media a call,
as Instagram answers; 100 ms each, asyncio, so the fake is never the bottleneck). 64 live
Instagram accounts hold 10,000 posts published a day ago. One sync tick (`metrics.workflows.
plan`) enrolls them and starts one ``metrics.sync_account`` workflow per account on the
delivery work class (``LAYERS_DELIVERY_CONCURRENCY``, 64, one at a time per account); the
time is until every post has its first snapshot. Instagram's own pacing (3 calls a minute per
account, `PlatformSpec.metrics_calls_per_minute`) is lifted for the bench, as the publish
bench lifts TikTok's daily cap: it is the client and the sync that are measured here.

Baseline in the same run: the same 10,000 calls made by 64 plain threads with httpx against
the same fake (no database, no workflow), and the ideal. Target: ratio to the ideal ≤ 1.3.

    .venv/bin/python bench/metrics_sync.py [--posts 10000] [--accounts 64] [--latency-ms 100]
    .venv/bin/python bench/metrics_sync.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test_c
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import multiprocessing
import os
import socket
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import httpx
import sqlalchemy as sa
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from _scratch import scratch_postgres  # noqa: E402

from layers import wiring  # noqa: E402
from layers.kit import clock  # noqa: E402
from layers.kit import db as kit_db  # noqa: E402
from layers.kit.ids import new_id  # noqa: E402
from layers.kit.migrate import migrate  # noqa: E402
from layers.kit.settings import Settings, set_settings  # noqa: E402
from layers.metrics import workflows  # noqa: E402
from layers.models.metrics import PostMetricSync  # noqa: E402
from layers.models.publishing import ScheduledPost  # noqa: E402
from layers.orgs import service as orgs  # noqa: E402
from layers.projects import service as projects  # noqa: E402
from layers.projects.schemas import ProjectCreate  # noqa: E402
from layers.social import service as social  # noqa: E402
from layers.social.platforms import specs  # noqa: E402
from layers.social.platforms.base import Connection, PlatformProfile, TokenGrant  # noqa: E402
from layers.social.platforms.instagram.oauth import GRAPH_VERSION  # noqa: E402
from layers.social.vault import Secret  # noqa: E402


def fake_graph(latency_s: float) -> Starlette:
    async def insights(request: Request) -> JSONResponse:
        await asyncio.sleep(latency_s)
        n = sum(map(ord, request.path_params["media"])) % 997
        names = ("views", "reach", "likes", "comments", "shares", "saved")
        data = [
            {"name": k, "period": "lifetime", "values": [{"value": n + i}]}
            for i, k in enumerate(names)
        ]
        return JSONResponse({"data": data})

    return Starlette(routes=[Route("/{version}/{media}/insights", insights)])


def _serve_forever(port: int, latency_s: float) -> None:
    uvicorn.run(fake_graph(latency_s), host="127.0.0.1", port=port, log_level="error", backlog=4096)


def serve(latency_s: float) -> tuple[str, multiprocessing.Process]:
    """The fake in a process of its own: it must not share this process's GIL with the 64
    workflow threads it is answering."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    process = multiprocessing.get_context("spawn").Process(
        target=_serve_forever, args=(port, latency_s), daemon=True
    )
    process.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{base}/{GRAPH_VERSION}/1/insights", timeout=2)
            return base, process
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("the fake Graph API did not start")


def setup(posts: int, accounts: int) -> list[str]:
    """A live project with `accounts` Instagram accounts and `posts` published posts."""
    now = clock.now()
    with kit_db.get_database().transaction() as session:
        org = orgs.create_organization(session, "Bench")
        tenant = type("T", (), {"org_id": org.id, "livemode": True})()
        project, _ = projects.create(
            session, tenant, ProjectCreate(name="Metrics bench", timezone="UTC")
        )
        ids = []
        for index in range(accounts):
            grant = TokenGrant(Secret(f"IGQV.bench.{index}"), None, 86_400 * 50, None)
            profile = PlatformProfile(f"1784{index:011d}", f"bench{index}", "Bench", None)
            account = social.connect_account(
                session,
                org_id=org.id,
                livemode=True,
                project_id=project.id,
                platform="instagram",
                connection=Connection(grant, profile),
            )
            ids.append(account.id)
        rows = [
            {
                "id": new_id("sp"),
                "org_id": org.id,
                "livemode": True,
                "project_id": project.id,
                "social_account_id": ids[i % accounts],
                "origin": "api",
                "mode": "publish",
                "status": "posted",
                "scheduled_at": now - timedelta(days=1),
                "posted_at": now - timedelta(days=1),
                "platform_post_id": f"1790{i:011d}",
                "attempt_count": 1,
                "claim_count": 1,
                "created_at": now,
                "updated_at": now,
            }
            for i in range(posts)
        ]
        session.execute(sa.insert(ScheduledPost), rows)
    return ids


def progress() -> tuple[int, dict[str, int]]:
    """Posts read at least once, and the posts that are not yet but were answered with an error
    (deferred by the sync: counted by error code, so a run under load says what it met)."""
    with kit_db.get_database().transaction(write=False) as session:
        done = session.scalar(
            sa.select(sa.func.count()).select_from(PostMetricSync).where(PostMetricSync.syncs >= 1)
        )
        errors = session.scalars(
            sa.select(PostMetricSync.last_error).where(
                PostMetricSync.syncs == 0, PostMetricSync.last_error.is_not(None)
            )
        ).all()
    by_code: dict[str, int] = {}
    for error in errors:
        code = str((error or {}).get("code"))
        by_code[code] = by_code.get(code, 0) + 1
    return int(done or 0), by_code


def bare(base: str, posts: int, concurrency: int) -> float:
    """The same calls from `concurrency` plain threads: no database, no workflow."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    with httpx.Client(limits=limits, timeout=30) as client:

        def call(i: int) -> None:
            client.get(
                f"{base}/{GRAPH_VERSION}/1790{i:011d}/insights", params={"metric": "views"}
            ).raise_for_status()

        started = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(call, range(posts)))
        return time.perf_counter() - started


def run(args: argparse.Namespace, database_url: str | None) -> None:
    base, fake = serve(args.latency_ms / 1000)
    settings = Settings(
        data_dir=Path(tempfile.mkdtemp(prefix="layers-bench-")),
        database_url=database_url,
        api_key_pepper="bench",
        session_secret="bench",
        queue_polling_interval=0.05,
        instagram_graph_base=base,
        instagram_app_id="bench",
        instagram_app_secret="bench",
    )
    set_settings(settings)
    migrate(settings)
    kit_db.configure(settings.resolved_database_url)
    specs.SPECS["instagram"] = dataclasses.replace(
        specs.SPECS["instagram"], metrics_calls_per_minute=1_000_000
    )
    wiring.launch_workers(settings)
    concurrency = settings.delivery_concurrency
    dialect = kit_db.get_database().dialect
    print(f"database: {dialect}; {args.posts} posts on {args.accounts} accounts, "
          f"{args.latency_ms} ms a call, delivery concurrency {concurrency}")  # fmt: skip
    setup(args.posts, args.accounts)
    baseline = bare(base, args.posts, min(concurrency, args.accounts))
    started = time.perf_counter()
    workflows.plan(clock.now())
    shown = started
    done, errors = progress()
    while done + sum(errors.values()) < args.posts:
        time.sleep(0.25)
        done, errors = progress()
        if time.perf_counter() - shown >= 5:
            shown = time.perf_counter()
            print(f"  {shown - started:5.0f} s: {done} of {args.posts} posts synced", flush=True)
    elapsed = time.perf_counter() - started
    ideal = args.posts * args.latency_ms / 1000 / min(concurrency, args.accounts)
    print(f"synced {args.posts} posts in {elapsed:.1f} s; ideal {ideal:.1f} s; "
          f"bare threads {baseline:.1f} s")  # fmt: skip
    print(f"ratio to the ideal: {elapsed / ideal:.2f} (target ≤ 1.3); "
          f"to bare threads: {elapsed / baseline:.2f}")  # fmt: skip
    if errors:
        print(f"not read (deferred by an error answer, retried at a later tick): {errors}")
    fake.terminate()
    os._exit(0)  # DBOS's threads would keep the process alive


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--accounts", type=int, default=64)
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--postgres", help="run on a scratch database next to this one")
    args = parser.parse_args()
    if args.postgres:
        with scratch_postgres(args.postgres, "metrics") as url:
            run(args, url)
    else:
        run(args, os.environ.get("LAYERS_DATABASE_URL"))


if __name__ == "__main__":
    main()
