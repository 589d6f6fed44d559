"""Posts/s through the publish protocol, against a bare publisher in the same run.

Both publish the same sandbox posts (test mode: the sandbox publisher, no network) from the
same thread pool on the same database:

* **protocol**: `publishing.protocol.publish_post`: conditional claim, settle-first check,
  gates, quota count, the attempt row committed before the call, fenced final write with the
  event, the token read from the vault;
* **bare**: what a publisher without the protocol needs at least: claim with one conditional
  UPDATE, read the token, call the same sandbox publisher, write the result.

It also times `dispatch_due` (claim + enqueue of one durable workflow per due post, in one
transaction) against the same claims without the enqueue.

    .venv/bin/python bench/publish_throughput.py [--posts 300] [--concurrency 8]
    .venv/bin/python bench/publish_throughput.py --postgres postgresql+psycopg://…/test_c

(``--postgres``: a scratch database next to the one given, ``test_c_pub_<hex>``, dropped
afterwards.)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from _scratch import scratch_postgres  # noqa: E402

from layers.kit import clock  # noqa: E402
from layers.kit import db as kit_db  # noqa: E402
from layers.kit.ids import new_id  # noqa: E402
from layers.kit.migrate import migrate  # noqa: E402
from layers.kit.settings import Settings, set_settings  # noqa: E402
from layers.models.publishing import ScheduledPost  # noqa: E402
from layers.orgs import service as orgs  # noqa: E402
from layers.projects import service as projects  # noqa: E402
from layers.projects.schemas import ProjectCreate  # noqa: E402
from layers.publishing import protocol as publishing  # noqa: E402
from layers.publishing.content import PublishableContent, register_content_resolver  # noqa: E402
from layers.social import service as social  # noqa: E402
from layers.social import tokens  # noqa: E402
from layers.social.platforms import registry  # noqa: E402
from layers.social.platforms.base import (  # noqa: E402
    AccountRef,
    Connection,
    PlatformProfile,
    PublishRequest,
    TokenGrant,
)
from layers.social.platforms.registry import SPECS  # noqa: E402
from layers.social.vault import Secret  # noqa: E402


def content(_session: Any, post: ScheduledPost) -> PublishableContent:
    return PublishableContent(
        kind="photo",
        media_urls=[f"https://media.example/{post.id}/{i}.jpg" for i in range(3)],
        caption=f"Bench post {post.id}",
        hashtags=["coffeetok"],
    )


def setup() -> str:
    """A test-mode organization, project and automatic TikTok account; returns the account."""
    with kit_db.get_database().transaction() as session:
        org = orgs.create_organization(session, "Bench")
        tenant = type("T", (), {"org_id": org.id, "livemode": False})()
        project, _ = projects.create(
            session, tenant, ProjectCreate(name="Bench Coffee", timezone="UTC")
        )
        grant = TokenGrant(Secret("sbx.act.bench"), Secret("sbx.rft.bench"), 86_400, 31_536_000)
        profile = PlatformProfile(uuid.uuid4().hex, "bench", "Bench", None)
        account = social.connect_account(
            session,
            org_id=org.id,
            livemode=False,
            project_id=project.id,
            platform="tiktok",
            connection=Connection(grant, profile),
        )
        account.posting_mode = "automatic"
        return account.id


def make_posts(account_id: str, count: int, origin: str = "slot") -> list[str]:
    ids = []
    with kit_db.get_database().transaction() as session:
        account = session.get(social.SocialAccount, account_id)
        assert account is not None
        for _ in range(count):
            post = ScheduledPost(
                id=new_id("sp"),
                org_id=account.org_id,
                livemode=False,
                project_id=account.project_id,
                social_account_id=account_id,
                origin=origin,
                mode="publish",
                status="ready",
                scheduled_at=clock.now(),
                attempt_count=0,
                claim_count=0,
            )
            session.add(post)
            ids.append(post.id)
    return ids


def bare_publish(account_id: str) -> Callable[[str], str]:
    publisher = registry.publisher("tiktok", False)
    ref = AccountRef(account_id, "bench", "bench")

    def run(post_id: str) -> str:
        db = kit_db.get_database()
        with db.transaction() as session:
            won = session.execute(
                sa.update(ScheduledPost)
                .where(ScheduledPost.id == post_id, ScheduledPost.status == "ready")
                .values(status="posting")
            ).rowcount  # type: ignore[attr-defined]
            if not won:
                return "not_claimed"
            post = session.get(ScheduledPost, post_id)
            assert post is not None
            publishable = content(session, post)
        token = tokens.access_token(account_id).value
        prepared = publisher.prepare(token, ref, PublishRequest(publishable, draft=False))
        outcome = publisher.commit(token, ref, prepared)
        with db.transaction() as session:
            session.execute(
                sa.update(ScheduledPost)
                .where(ScheduledPost.id == post_id)
                .values(status="posted", platform_post_id=outcome.post_id, posted_at=clock.now())
            )
        return "posted"

    return run


def measure(fn: Callable[[str], str], posts: list[str], concurrency: int) -> dict[str, float]:
    latencies: list[float] = []

    def timed(post_id: str) -> str:
        started = time.perf_counter()
        result = fn(post_id)
        latencies.append(time.perf_counter() - started)
        return result

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        results = list(pool.map(timed, posts))
    elapsed = time.perf_counter() - started
    assert all(r == "posted" for r in results), set(results)
    latencies.sort()
    return {
        "per_s": len(posts) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--postgres", help="run on a scratch database next to this one")
    args = parser.parse_args()
    if args.postgres:
        with scratch_postgres(args.postgres, "pub") as url:
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
    )
    set_settings(settings)
    migrate(settings)
    kit_db.configure(settings.resolved_database_url)
    register_content_resolver(content)
    # One account publishes every post here: lift its daily cap (15 on TikTok) out of the way;
    # the quota count itself still runs on every post.
    SPECS["tiktok"] = replace(SPECS["tiktok"], daily_post_cap=10**9)
    account_id = setup()
    dialect = kit_db.get_database().dialect

    # Warm up both paths (imports, connection pool, statement caches).
    measure(lambda p: publishing.publish_post(p).result, make_posts(account_id, 20), 4)
    measure(bare_publish(account_id), make_posts(account_id, 20), 4)

    protocol = measure(
        lambda p: publishing.publish_post(p).result,
        make_posts(account_id, args.posts),
        args.concurrency,
    )
    bare = measure(bare_publish(account_id), make_posts(account_id, args.posts), args.concurrency)

    due = make_posts(account_id, args.posts, origin="api")
    started = time.perf_counter()
    report = publishing.dispatch_due(limit=args.posts)
    dispatch_s = time.perf_counter() - started
    assert len(report.claimed) == len(due)
    plain = make_posts(account_id, args.posts, origin="api")
    started = time.perf_counter()
    with kit_db.get_database().transaction() as session:
        for post_id in plain:
            session.execute(
                sa.update(ScheduledPost)
                .where(ScheduledPost.id == post_id, ScheduledPost.status == "ready")
                .values(status="posting", claim_count=ScheduledPost.claim_count + 1)
            )
    claim_s = time.perf_counter() - started

    print(f"{dialect}, {args.posts} posts, {args.concurrency} threads")
    print(f"{'':24}{'posts/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    for name, row in (("publish_post (protocol)", protocol), ("bare publisher", bare)):
        print(f"{name:24}{row['per_s']:>10.0f}{row['p50_ms']:>10.1f}{row['p99_ms']:>10.1f}")
    print(f"ratio protocol / bare: {protocol['per_s'] / bare['per_s']:.2f}")
    print(
        f"dispatch_due: {args.posts / dispatch_s:.0f} posts/s claimed and enqueued "
        f"(claims alone {args.posts / claim_s:.0f}/s, ratio {claim_s / dispatch_s:.2f})"
    )


if __name__ == "__main__":
    main()
