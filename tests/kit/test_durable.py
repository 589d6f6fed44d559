"""The work classes (`layers.kit.durable`) on the session's real DBOS.

Each kind of durable work has a queue of its own: these tests fail if the queues are not
registered as configured, if publishing or interactive work waits behind renders, or if one
organization can take more render slots than its partition cap.

The workflows here are test-only: `hold` runs until the test releases it (or 8 s pass), and
records when it started and ended, so the tests observe concurrency directly instead of
inferring it from timings.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
import sqlalchemy as sa
from dbos import DBOS
from sqlalchemy.orm import Session

from layers.content import service as content
from layers.kit import clock, durable
from layers.kit import db as kit_db
from layers.kit.ids import new_id
from layers.kit.settings import Settings
from layers.models.publishing import ScheduledPost
from layers.orgs import service as orgs
from layers.projects import service as projects
from layers.projects.schemas import ProjectCreate
from layers.publishing import protocol as publishing
from layers.publishing import workflows as publishing_workflows
from layers.social import service as social
from layers.social.platforms.base import Connection, PlatformProfile, TokenGrant
from layers.social.vault import Secret
from tests.support import ACME, wait_for

HOLD = "tests.kit.durable.hold"
HOLD_LIMIT_S = 8.0  # a held workflow never outlives a failed test for long


@dataclass
class Held:
    release: threading.Event = field(default_factory=threading.Event)
    started: float | None = None
    ended: float | None = None


_held: dict[str, Held] = {}


@DBOS.workflow(name=HOLD)
def hold(key: str) -> str:
    held = _held[key]
    held.started = time.monotonic()
    held.release.wait(HOLD_LIMIT_S)
    held.ended = time.monotonic()
    return key


class Holds:
    """Enqueue `hold` workflows and watch them."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.keys: list[str] = []

    def enqueue(self, queue: durable.WorkQueue, partition: str | None = None) -> str:
        # Sortable: on SQLite (Python < 3.12) DBOS stamps created_at in whole seconds, and a
        # partition's queue then runs the workflows of one second in workflow-id order.
        key = f"hold-{time.time_ns()}-{uuid.uuid4().hex[:6]}"
        _held[key] = Held()
        self.keys.append(key)
        with kit_db.get_database().transaction() as session:
            durable.enqueue(
                session,
                self.settings,
                HOLD,
                key,
                workflow_id=key,
                queue=queue.name,
                partition_key=partition,
            )
        return key

    def running(self, *keys: str) -> list[str]:
        return [k for k in keys if _held[k].started is not None and _held[k].ended is None]

    def started(self, key: str) -> bool:
        return _held[key].started is not None

    def release(self, *keys: str) -> None:
        for key in keys or tuple(self.keys):
            _held[key].release.set()

    def wait_done(self, *keys: str, timeout: float = HOLD_LIMIT_S + 2) -> None:
        wait_for(lambda: all(_held[k].ended is not None for k in keys), timeout=timeout)


@pytest.fixture
def holds(settings: Settings) -> Iterator[Holds]:
    watcher = Holds(settings)
    try:
        yield watcher
    finally:
        # Let every hold finish (one still queued starts and returns at once), so that the
        # next test starts with every slot free; cancel only what never got to run.
        watcher.release()
        try:
            wait_for(lambda: all(_finished(k) for k in watcher.keys), timeout=10)
        finally:
            for key in watcher.keys:
                if not _finished(key):
                    with suppress(Exception):
                        DBOS.cancel_workflow(key)


def _finished(workflow_id: str) -> bool:
    status = DBOS.get_workflow_status(workflow_id)
    return status is not None and status.status in ("SUCCESS", "ERROR", "CANCELLED")


@contextmanager
def render_queue(settings: Settings, slots: int, per_org: int) -> Iterator[Settings]:
    """The rendering queue registered (as `launch` does) with `slots` renders per worker and
    `per_org` per organization, whatever this machine's cores; restored afterwards."""
    configured = settings.model_copy(
        update={"render_concurrency": slots, "generation_concurrency_per_org": per_org}
    )
    # Start from an idle rendering queue: a render another test left running would hold a slot.
    wait_for(lambda: _in_flight("rendering") == 0, timeout=60, every=0.1)
    durable._register_queue(configured, durable.RENDERING)
    try:
        # The queue's worker thread reloads its row before each poll: let it see this one.
        time.sleep(settings.queue_polling_interval * 4)
        yield configured
    finally:
        durable._register_queue(settings, durable.RENDERING)


@pytest.fixture
def rendering(settings: Settings) -> Iterator[Settings]:
    """Two render slots and a cap of one per organization: what a 2-core worker gets."""
    with render_queue(settings, slots=2, per_org=1) as configured:
        yield configured


def _in_flight(queue: str) -> int:
    """Workflows enqueued or running on `queue`, by any executor."""
    db = kit_db.get_database()
    table = "dbos.workflow_status" if db.dialect == "postgresql" else "workflow_status"
    with db.engine.connect() as conn:
        return int(
            conn.execute(
                sa.text(
                    f"SELECT count(*) FROM {table} WHERE queue_name = :queue "
                    "AND status IN ('ENQUEUED', 'PENDING')"
                ),
                {"queue": queue},
            ).scalar_one()
        )


def _queue_row(name: str) -> dict[str, object]:
    db = kit_db.get_database()
    table = "dbos.queues" if db.dialect == "postgresql" else "queues"
    with db.engine.connect() as conn:
        row = (
            conn.execute(
                sa.text(
                    "SELECT worker_concurrency, concurrency, partition_concurrency, "
                    f"partition_worker_concurrency, polling_interval_sec FROM {table} "
                    "WHERE name = :name"
                ),
                {"name": name},
            )
            .mappings()
            .one()
        )
    return dict(row)


# ---- the settings ----


def test_work_class_settings_defaults_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "WORKER_CONCURRENCY",
        "PUBLISH_CONCURRENCY",
        "RENDER_CONCURRENCY",
        "GENERATION_CONCURRENCY_PER_ORG",
    ):
        monkeypatch.delenv(f"LAYERS_{name}", raising=False)
    monkeypatch.setattr("os.cpu_count", lambda: 4)
    defaults = Settings(_env_file=None)
    assert (defaults.worker_concurrency, defaults.publish_concurrency) == (16, 64)
    assert defaults.resolved_render_concurrency == 4
    assert defaults.resolved_generation_concurrency_per_org == 3

    monkeypatch.setattr("os.cpu_count", lambda: 1)
    single = Settings(_env_file=None)
    assert single.resolved_render_concurrency == 1
    assert single.resolved_generation_concurrency_per_org == 1  # never 0

    monkeypatch.setenv("LAYERS_WORKER_CONCURRENCY", "5")
    monkeypatch.setenv("LAYERS_PUBLISH_CONCURRENCY", "7")
    monkeypatch.setenv("LAYERS_RENDER_CONCURRENCY", "3")
    monkeypatch.setenv("LAYERS_GENERATION_CONCURRENCY_PER_ORG", "2")
    monkeypatch.setenv("LAYERS_DELIVERY_CONCURRENCY", "9")
    configured = Settings(_env_file=None)
    assert [q.concurrency(configured) for q in durable.WORK_CLASSES] == [5, 7, 3, 9]
    assert durable.RENDERING.partition_concurrency is not None
    assert durable.RENDERING.partition_concurrency(configured) == 2


# ---- (a) the queues DBOS runs are the configured ones ----


def test_the_session_queues_are_registered_with_the_configured_concurrency(
    settings: Settings,
) -> None:
    assert [q.name for q in durable.WORK_CLASSES] == [
        "interactive",
        "publishing",
        "rendering",
        "delivery",
    ]
    expected = {
        "interactive": (settings.worker_concurrency, None),
        "publishing": (settings.publish_concurrency, None),
        "rendering": (
            settings.resolved_render_concurrency,
            settings.resolved_generation_concurrency_per_org,
        ),
        "delivery": (settings.delivery_concurrency, 1),
    }
    for name, (worker, partition) in expected.items():
        queue = DBOS.retrieve_queue(name)
        assert queue is not None, name
        assert queue.worker_concurrency == worker, name
        assert queue.partition_concurrency == partition, name
        row = _queue_row(name)
        assert row["worker_concurrency"] == worker, name
        assert row["partition_concurrency"] == partition, name
        assert row["concurrency"] is None, name  # no global cap: each worker adds its share
        assert row["polling_interval_sec"] == pytest.approx(settings.queue_polling_interval)


def test_registering_again_applies_changed_settings(settings: Settings) -> None:
    """A worker restarted with other settings updates the queue (``always_update``)."""
    changed = settings.model_copy(
        update={
            "publish_concurrency": 5,
            "render_concurrency": 3,
            "generation_concurrency_per_org": 2,
        }
    )
    try:
        durable._register_queue(changed, durable.PUBLISHING)
        durable._register_queue(changed, durable.RENDERING)
        assert _queue_row("publishing")["worker_concurrency"] == 5
        rendering = _queue_row("rendering")
        assert (rendering["worker_concurrency"], rendering["partition_concurrency"]) == (3, 2)
    finally:
        durable._register_queue(settings, durable.PUBLISHING)
        durable._register_queue(settings, durable.RENDERING)
    assert _queue_row("publishing")["worker_concurrency"] == settings.publish_concurrency


# ---- (b) publishing and interactive work never wait behind renders ----


@pytest.mark.parametrize("other", [durable.PUBLISHING, durable.INTERACTIVE], ids=lambda q: q.name)
def test_work_of_another_class_starts_while_rendering_is_saturated(
    rendering: Settings, holds: Holds, other: durable.WorkQueue
) -> None:
    slots = rendering.resolved_render_concurrency
    # One render per organization, so that the per-org cap is not what holds them back.
    renders = [holds.enqueue(durable.RENDERING, partition=f"org_{i}") for i in range(slots + 1)]
    wait_for(lambda: len(holds.running(*renders)) == slots, timeout=5)
    time.sleep(0.3)  # several polls: the extra render must still be waiting
    assert len(holds.running(*renders)) == slots
    waiting = [k for k in renders if not holds.started(k)]
    assert len(waiting) == 1, "the rendering queue is saturated: one render waits"

    enqueued = time.monotonic()
    quick = holds.enqueue(other)
    holds.release(quick)
    holds.wait_done(quick, timeout=3)
    started = _held[quick].started
    assert started is not None and started - enqueued < 2.0
    # ... and it ran while every render slot was still taken.
    assert len(holds.running(*renders)) == slots
    assert not holds.started(waiting[0])


# ---- (c) the per-organization cap ----


def test_one_organization_runs_one_render_at_a_time_while_another_runs_alongside(
    rendering: Settings, holds: Holds
) -> None:
    assert rendering.resolved_generation_concurrency_per_org == 1
    first = holds.enqueue(durable.RENDERING, partition="org_a")
    second = holds.enqueue(durable.RENDERING, partition="org_a")
    other = holds.enqueue(durable.RENDERING, partition="org_b")

    # org_a's first render and org_b's run together; org_a's second waits for its first.
    wait_for(lambda: holds.running(first, other) == [first, other], timeout=5)
    time.sleep(0.5)  # ten polls in which the cap could be broken
    assert not holds.started(second), "two renders of one organization ran at once"

    holds.release(first)
    wait_for(lambda: holds.started(second), timeout=5)
    first_ended, second_started = _held[first].ended, _held[second].started
    assert first_ended is not None and second_started is not None
    assert second_started >= first_ended
    assert holds.running(other) == [other], "org_b's render ran alongside throughout"
    holds.release()
    holds.wait_done(first, second, other)


def test_the_cap_counts_across_queued_workflows_of_many_organizations(
    rendering: Settings, holds: Holds
) -> None:
    """Three organizations with three renders each: at most one per organization runs at a
    time, and no more than the queue's two slots in all."""
    keys = {org: [holds.enqueue(durable.RENDERING, partition=org) for _ in range(3)]
            for org in ("org_x", "org_y", "org_z")}  # fmt: skip
    everything = [k for ks in keys.values() for k in ks]
    peak_total = 0
    deadline = time.monotonic() + 9
    while any(_held[k].ended is None for k in everything):
        assert time.monotonic() < deadline, "the renders did not drain"
        running = holds.running(*everything)
        peak_total = max(peak_total, len(running))
        for org_keys in keys.values():
            assert len(holds.running(*org_keys)) <= 1
        assert len(running) <= 2
        # Release the oldest running one; the next is picked up on the next poll.
        if running:
            oldest = min(running, key=lambda k: _held[k].started or 0)
            if time.monotonic() - (_held[oldest].started or 0) > 0.15:
                holds.release(oldest)
        time.sleep(0.01)
    assert peak_total == 2


def test_a_cap_above_one_holds_too(settings: Settings, holds: Holds) -> None:
    """Cap 2 of 3 slots (DBOS's per-partition path, not its cap-1 batch path): an organization
    with three renders runs two, and another organization takes the third slot."""
    with render_queue(settings, slots=3, per_org=2):
        mine = [holds.enqueue(durable.RENDERING, partition="org_c") for _ in range(3)]
        other = holds.enqueue(durable.RENDERING, partition="org_d")
        wait_for(lambda: len(holds.running(*mine)) == 2 and holds.running(other), timeout=5)
        time.sleep(0.5)
        assert len(holds.running(*mine)) == 2
        waiting = [k for k in mine if not holds.started(k)]
        assert len(waiting) == 1
        holds.release(other)
        holds.wait_done(other)
        time.sleep(0.5)  # a free slot, but org_c is at its cap
        assert not holds.started(waiting[0])
        holds.release(*holds.running(*mine))
        wait_for(lambda: holds.started(waiting[0]), timeout=5)
        holds.release()
        holds.wait_done(*mine)


# ---- the domains put their work in the right class ----


def _queued(session: Session, workflow_id: str) -> tuple[str, str | None]:
    table = (
        "dbos.workflow_status"
        if kit_db.get_database().dialect == "postgresql"
        else ("workflow_status")
    )
    row = session.execute(
        sa.text(f"SELECT queue_name, queue_partition_key FROM {table} WHERE workflow_uuid = :id"),
        {"id": workflow_id},
    ).one()
    return row[0], row[1]


def test_each_domain_enqueues_on_its_work_class(session: Session) -> None:
    """Inside one rolled-back transaction (nothing runs): keyword research is interactive,
    the first influencer and a generation render under the organization's partition, and a
    due post's publish workflow is on the publishing queue."""
    org = orgs.create_organization(session, "Work classes")
    tenant = type("Tenant", (), {"org_id": org.id, "livemode": False})()
    project, started = projects.create(
        session,
        tenant,
        ProjectCreate.model_validate(ACME),
    )
    assert started.keyword_research is not None and started.first_influencer is not None
    assert _queued(session, started.keyword_research.id) == ("interactive", None)
    assert _queued(session, started.first_influencer.id) == ("rendering", org.id)

    _container, job = content.create(
        session,
        project,
        content.GenerationRequest(format="slideshow-builder", hook="A hook"),
        influencer_id=None,
        social_account_id=None,
        media_id=None,
    )
    assert _queued(session, job.id) == ("rendering", org.id)

    grant = TokenGrant(Secret("sbx.act.wc"), Secret("sbx.rft.wc"), 86_400, None)
    account = social.connect_account(
        session,
        org_id=org.id,
        livemode=False,
        project_id=project.id,
        platform="tiktok",
        connection=Connection(grant, PlatformProfile(uuid.uuid4().hex, "wc", "WC", None)),
    )
    post = ScheduledPost(
        id=new_id("sp"),
        org_id=org.id,
        livemode=False,
        project_id=project.id,
        social_account_id=account.id,
        origin="api",
        mode="publish",
        status="ready",
        scheduled_at=clock.now(),
        attempt_count=0,
        claim_count=0,
    )
    session.add(post)
    session.flush()
    claimed, _held_count = publishing.claim_ready(
        session, clock.now(), ScheduledPost.id == post.id, limit=10
    )
    assert claimed == [post.id]
    assert _queued(session, publishing.workflow_id(post.id, 1)) == ("publishing", None)


TICK = "tests.kit.durable.tick"


@DBOS.workflow(name=TICK)
def tick(_scheduled_at: object, _context: object) -> None:
    return None


def test_a_schedule_every_few_seconds() -> None:
    assert durable.every_seconds(10) == "*/10 * * * * *"
    assert durable.every_seconds(60) == "* * * * *"
    for wrong in (0, 7, 45, 90):
        with pytest.raises(ValueError):
            durable.every_seconds(wrong)
    # The publish dispatch tick follows its setting (10 s by default: a post's publish starts
    # at most 10 s after its time, not up to a minute).
    (dispatch,) = publishing_workflows.CRONS
    assert dispatch.schedule(Settings()) == "*/10 * * * * *"
    assert dispatch.schedule(Settings(publish_dispatch_seconds=60)) == "* * * * *"
    with pytest.raises(ValueError, match="must divide 60"):
        Settings(publish_dispatch_seconds=7)


def test_finished_cron_runs_are_pruned(settings: Settings) -> None:
    name = f"tests.kit.tick.{uuid.uuid4().hex[:8]}"
    DBOS.create_schedule(schedule_name=name, workflow_fn=tick, schedule="* * * * * *")
    dbos = durable.client(settings)
    try:
        wait_for(
            lambda: len(dbos.list_workflows(schedule_name=name, status="SUCCESS")) >= 2,
            timeout=60,
        )
    finally:
        DBOS.delete_schedule(name)
    # Let a tick that started before the schedule went finish.
    wait_for(
        lambda: not dbos.list_workflows(schedule_name=name, status=["PENDING", "ENQUEUED"]),
        timeout=30,
    )
    kept = durable.prune_cron_history(settings, older_than=timedelta(days=1), names=[name])
    assert kept == 0  # nothing is a day old
    finished = len(dbos.list_workflows(schedule_name=name, status="SUCCESS"))
    pruned = durable.prune_cron_history(settings, older_than=timedelta(0), names=[name])
    assert pruned == finished >= 2
    assert dbos.list_workflows(schedule_name=name, status="SUCCESS") == []
