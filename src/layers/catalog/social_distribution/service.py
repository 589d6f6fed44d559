"""Social Distribution: the database side of planning, attaching, dispatching and recovering.

Every function takes the session of its caller's unit of work (an activity's transaction) and
never commits, except `generate_for_empty_slots`, which gives each generation a transaction of
its own. Slot rows are ``scheduled_posts`` with ``origin='slot'`` and the layer's id; an empty
slot is ``status='pending'`` with no container.

Race-freedom:

* attaching takes the earliest empty slot with ONE conditional UPDATE whose target is chosen by
  a sub-select (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so concurrent attachers pick
  different rows; SQLite serializes writers). An UPDATE that matched nothing lost a race and
  tries the next slot; with no empty slot left it is ``409 CONFLICT``.
* planning inserts slots with ``INSERT … ON CONFLICT DO NOTHING`` on (layer, scheduled_at),
  so two plans at once never duplicate a slot, and deletes only rows still empty.
* publishing claims through `layers.publishing.service.claim_ready`, the one claim path.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from layers.catalog.social_distribution import planner
from layers.content import service as content
from layers.engine.templates import ConfigCheck
from layers.kit import clock
from layers.kit.db import get_database
from layers.kit.errors import Conflict, LayersError, NotFound, SocialAccountNotConnected, Validation
from layers.kit.ids import has_prefix, new_id
from layers.kit.localtime import local_isoformat
from layers.models.content import ContentContainer
from layers.models.engine import ProjectLayer
from layers.models.projects import Influencer, Project
from layers.models.publishing import ScheduledPost
from layers.models.social import SocialAccount
from layers.publishing import service as publishing
from layers.publishing.scheduling import service as scheduling
from layers.social import health

log = logging.getLogger("layers.distribution")

TEMPLATE_ID = "social-distribution"
BINDING_STATUSES = ("installing", "active", "paused")
ELIGIBLE_APPROVAL = ("not_required", "approved")
OVERDUE_GRACE = timedelta(minutes=10)
DISPATCH_BATCH = publishing.DISPATCH_BATCH
MAX_GENERATE = 25  # generations one plan may start
ACCOUNT_FIELD = "config.social.socialAccountId"
TIMES_FIELD = "config.schedule.times"


# ---- config ----


def account_id_of(config: Mapping[str, Any]) -> str | None:
    social = config.get("social")
    if isinstance(social, Mapping):
        value = social.get("socialAccountId")
        if isinstance(value, str) and value:
            return value
    return None


def _times_of(config: Mapping[str, Any]) -> list[str] | None:
    schedule = config.get("schedule")
    if isinstance(schedule, Mapping) and "times" in schedule:
        return list(schedule.get("times") or [])
    return None


def bound_elsewhere(
    session: Session, project_id: str, account_id: str, layer_id: str
) -> str | None:
    """The other live distribution layer of the project bound to `account_id`, if any."""
    rows = session.execute(
        sa.select(ProjectLayer.id, ProjectLayer.config).where(
            ProjectLayer.project_id == project_id,
            ProjectLayer.template_id == TEMPLATE_ID,
            ProjectLayer.status.in_(BINDING_STATUSES),
            ProjectLayer.id != layer_id,
        )
    ).all()
    for other_id, config in rows:
        if account_id_of(config or {}) == account_id:
            return str(other_id)
    return None


def check_config(session: Session, check: ConfigCheck) -> None:
    """The template's validation hook (install, config change, rollback; project locked)."""
    config = check.config
    mode = config.get("distributionMode", "automatic")
    times = _times_of(config)
    if mode == "custom" and not times:
        raise Validation.field(TIMES_FIELD, "is required in custom mode (1–5 HH:MM)", "missing")
    if mode != "custom" and times is not None:
        raise Validation.field(
            TIMES_FIELD,
            f"is only allowed in custom mode (distributionMode is {mode})",
            "not_allowed",
        )
    per_day = config.get("postsPerDay")
    if mode == "custom" and per_day is not None and times is not None and per_day != len(times):
        raise Validation.field(
            "config.postsPerDay",
            f"equals the number of schedule.times in custom mode ({len(times)})",
            "mismatch",
        )
    account_id = account_id_of(config)
    if account_id is None:
        raise Validation.field(ACCOUNT_FIELD, "is required", "missing")
    account = session.get(SocialAccount, account_id) if has_prefix(account_id, "sa") else None
    project = check.project
    if (
        account is None
        or account.project_id != project.id
        or account.org_id != project.org_id
        or account.livemode != project.livemode
    ):
        raise Validation.field(
            ACCOUNT_FIELD, "no social account with this id is connected to the project", "not_found"
        )
    previous = account_id_of(check.previous or {})
    if previous != account_id and account.status == "disconnected":
        raise SocialAccountNotConnected(
            f"Social account {account.id} is disconnected; reconnect it first.",
            field=ACCOUNT_FIELD,
            socialAccountId=account.id,
        )
    other = bound_elsewhere(session, project.id, account_id, check.layer.id)
    if other is not None:
        raise Conflict(
            f"Social account {account_id} is already bound to distribution layer {other}; "
            "one layer per account.",
            field=ACCOUNT_FIELD,
            layerId=other,
            socialAccountId=account_id,
        )


# ---- reading ----


def _layer(session: Session, layer_id: str) -> ProjectLayer:
    layer = session.get(ProjectLayer, layer_id)
    if layer is None:
        raise NotFound.of("layer", layer_id)
    return layer


def _account(session: Session, layer: ProjectLayer, config: Mapping[str, Any]) -> SocialAccount:
    account_id = account_id_of(config)
    account = session.get(SocialAccount, account_id) if account_id else None
    if account is None or account.project_id != layer.project_id:
        raise Validation.field(ACCOUNT_FIELD, "the bound social account is gone", "not_found")
    if account.status == "disconnected":
        raise SocialAccountNotConnected(
            f"Social account {account.id} is disconnected; reconnect it or bind another.",
            field=ACCOUNT_FIELD,
            socialAccountId=account.id,
        )
    return account


def _empty_slot() -> sa.ColumnElement[bool]:
    return sa.and_(ScheduledPost.status == "pending", ScheduledPost.container_id.is_(None))


def _earliest_empty_slot(
    layer_id: str, after: datetime, until: datetime | None = None
) -> sa.Select[ScheduledPost]:
    """The layer's earliest empty slot after `after` (and up to `until`), row-locked and
    skipped by concurrent lockers on PostgreSQL (SQLite has one writer anyway)."""
    window = [ScheduledPost.scheduled_at > after]
    if until is not None:
        window.append(ScheduledPost.scheduled_at <= until)
    return (
        sa.select(ScheduledPost)
        .where(ScheduledPost.layer_id == layer_id, _empty_slot(), *window)
        .order_by(ScheduledPost.scheduled_at, ScheduledPost.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )


def _eligible_container_ids(
    session: Session, project_id: str, account_id: str, limit: int
) -> list[str]:
    """Completed, approved (or ungated) content of the project, made for this account or for
    none, that no live post of the account holds yet: oldest first."""
    on_account = (
        sa.select(ScheduledPost.container_id)
        .where(
            ScheduledPost.social_account_id == account_id,
            ScheduledPost.container_id.is_not(None),
            ScheduledPost.status != "canceled",
        )
        .scalar_subquery()
    )
    return list(
        session.scalars(
            sa.select(ContentContainer.id)
            .where(
                ContentContainer.project_id == project_id,
                ContentContainer.status == "completed",
                ContentContainer.generation >= 1,
                ContentContainer.approval_status.in_(ELIGIBLE_APPROVAL),
                sa.or_(
                    ContentContainer.social_account_id.is_(None),
                    ContentContainer.social_account_id == account_id,
                ),
                ContentContainer.id.not_in(on_account),
            )
            .order_by(ContentContainer.completed_at, ContentContainer.id)
            .limit(limit)
        )
    )


# ---- attaching ----


def _claim_earliest(
    session: Session, layer_id: str, container_id: str, status: str, now: datetime
) -> str | None:
    """ONE conditional UPDATE: the earliest empty future slot of the layer gets the content.
    Returns the slot's id, or None when this statement lost every candidate."""
    target = (
        _earliest_empty_slot(layer_id, now).with_only_columns(ScheduledPost.id).scalar_subquery()
    )
    row = session.execute(
        sa.update(ScheduledPost)
        .where(ScheduledPost.id == target, _empty_slot())
        .values(container_id=container_id, status=status, updated_at=now)
        .returning(ScheduledPost.id)
    ).first()
    return str(row[0]) if row is not None else None


def _has_empty_slot(session: Session, layer_id: str, now: datetime) -> bool:
    return (
        session.scalar(
            sa.select(ScheduledPost.id)
            .where(
                ScheduledPost.layer_id == layer_id, _empty_slot(), ScheduledPost.scheduled_at > now
            )
            .limit(1)
        )
        is not None
    )


def attach_container(
    session: Session, layer: ProjectLayer, container: ContentContainer, now: datetime
) -> tuple[ScheduledPost, bool]:
    """Put `container` in the layer's earliest empty future slot. Returns the slot and whether
    it was attached now (False: the container already holds a slot of the layer: idempotent)."""
    existing = session.scalar(
        sa.select(ScheduledPost).where(
            ScheduledPost.layer_id == layer.id,
            ScheduledPost.container_id == container.id,
            ScheduledPost.status != "canceled",
        )
    )
    if existing is not None:
        return existing, False
    status = scheduling.initial_post_status(container)
    for _ in range(200):
        slot_id = _claim_earliest(session, layer.id, container.id, status, now)
        if slot_id is not None:
            post = session.get(ScheduledPost, slot_id)
            assert post is not None
            session.refresh(post)
            return post, True
        if not _has_empty_slot(session, layer.id, now):
            break
        time.sleep(0.01)  # every candidate is locked by another attach that may roll back
    raise Conflict(
        f"Layer {layer.id} has no empty slot left; refresh the schedule or widen it.",
        layerId=layer.id,
        containerId=container.id,
    )


def attach(session: Session, layer_id: str, container_id: str) -> dict[str, Any]:
    """attach-to-schedule: the container → the earliest empty slot (409 when none is left)."""
    now = clock.now()
    layer = _layer(session, layer_id)
    container = (
        session.get(ContentContainer, container_id) if has_prefix(container_id, "cnt") else None
    )
    if (
        container is None
        or container.project_id != layer.project_id
        or container.livemode != layer.livemode
    ):
        raise Validation.field(
            "parameters.containerId", "no content with this id in the project", "not_found"
        )
    if container.approval_status not in ELIGIBLE_APPROVAL:
        raise Conflict(
            f"Content {container.id} is {container.approval_status}; approve it first.",
            containerId=container.id,
            approvalStatus=container.approval_status,
        )
    post, attached = attach_container(session, layer, container, now)
    return {
        "scheduledPostId": post.id,
        "scheduledFor": clock.isoformat_z(post.scheduled_at),
        "status": post.status,
        "attached": attached,
    }


# ---- planning ----


@dataclass(frozen=True)
class PlanResult:
    times: list[str]
    temperature: str | None
    timezone: str
    horizon_days: int
    horizon_end: datetime
    created: int
    removed: int
    attached: int
    slots: int
    missing_slots: int
    in_flight: int
    generate_count: int
    generation_mode: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "times": self.times,
            "temperature": self.temperature,
            "timezone": self.timezone,
            "horizonDays": self.horizon_days,
            "horizonEnd": clock.isoformat_z(self.horizon_end),
            "created": self.created,
            "removed": self.removed,
            "attached": self.attached,
            "slots": self.slots,
            "missingSlots": self.missing_slots,
            "inFlight": self.in_flight,
            "generateCount": self.generate_count,
            "generationMode": self.generation_mode,
        }


def _insert_slots(
    session: Session,
    layer: ProjectLayer,
    account: SocialAccount,
    planned: list[planner.Slot],
    zone: str,
    now: datetime,
) -> int:
    if not planned:
        return 0
    rows = [
        {
            "id": new_id("sp"),
            "org_id": layer.org_id,
            "livemode": layer.livemode,
            "project_id": layer.project_id,
            "social_account_id": account.id,
            "layer_id": layer.id,
            "container_id": None,
            "origin": "slot",
            "mode": "publish",
            "status": "pending",
            "scheduled_at": slot.at,
            "local_time": local_isoformat(slot.at, zone),
            "attempt_count": 0,
            "claim_count": 0,
            "created_at": now,
            "updated_at": now,
        }
        for slot in planned
    ]
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    inserted = session.execute(
        insert(ScheduledPost)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["layer_id", "scheduled_at"])
        .returning(ScheduledPost.id)
    ).all()
    return len(inserted)  # (the driver's rowcount is -1 for this statement on psycopg)


def plan(
    session: Session,
    layer_id: str,
    config: Mapping[str, Any],
    *,
    min_horizon_days: int | None = None,
    now: datetime | None = None,
) -> PlanResult:
    """social-distribution-plan, steps 1–6 and the count of step 7 (DESIGN §6)."""
    now = now or clock.now()
    layer = _layer(session, layer_id)
    project = session.get(Project, layer.project_id)
    assert project is not None
    zone = project.timezone
    account = _account(session, layer, config)
    mode = str(config.get("distributionMode", "automatic"))
    temperature = health.temperature(session, account.id) if mode == "automatic" else None
    times = planner.slot_times(config, temperature or "cold")
    per_day = len(times)
    # The horizon depends on the config, the clock and the content waiting for a slot, never
    # on the content already in slots: counting that (generated content included) widened
    # the horizon at every plan, and the new empty slots asked for more generation.
    unattached = _eligible_container_ids(
        session, layer.project_id, account.id, planner.MAX_HORIZON_DAYS * 5
    )
    days = planner.horizon_days(len(unattached), per_day, min_horizon_days)
    planned = planner.slots(times, zone, now, days)
    end = now + timedelta(days=days)
    wanted = {slot.at for slot in planned}
    empty = session.execute(
        sa.select(
            ScheduledPost.id, ScheduledPost.scheduled_at, ScheduledPost.social_account_id
        ).where(ScheduledPost.layer_id == layer.id, _empty_slot())
    ).all()
    stale = [
        post_id
        for post_id, at, slot_account in empty
        if at not in wanted or at <= now or slot_account != account.id
    ]
    removed = 0
    for start in range(0, len(stale), 500):
        chunk = stale[start : start + 500]
        removed += int(
            session.execute(
                sa.delete(ScheduledPost).where(ScheduledPost.id.in_(chunk), _empty_slot())
            ).rowcount  # type: ignore[attr-defined]
            or 0
        )
    created = _insert_slots(session, layer, account, planned, zone, now)
    attached = 0
    for container_id in unattached:
        slot_id = _claim_earliest(session, layer.id, container_id, "ready", now)
        if slot_id is None:
            break
        attached += 1
    counts = dict(
        session.execute(
            sa.select(ScheduledPost.status, sa.func.count())
            .where(
                ScheduledPost.layer_id == layer.id,
                ScheduledPost.scheduled_at > now,
                ScheduledPost.scheduled_at <= end,
                ScheduledPost.status.in_(("pending", "pending_assets", "ready")),
            )
            .group_by(ScheduledPost.status)
        ).all()
    )
    pending, in_flight = int(counts.get("pending", 0)), int(counts.get("pending_assets", 0))
    missing = pending + in_flight
    generation_mode = str(config.get("generationMode", "manual"))
    count = planner.generation_count(missing, in_flight) if generation_mode == "automatic" else 0
    return PlanResult(
        times=times,
        temperature=temperature,
        timezone=zone,
        horizon_days=days,
        horizon_end=end,
        created=created,
        removed=removed,
        attached=attached,
        slots=sum(int(v) for v in counts.values()),
        missing_slots=missing,
        in_flight=in_flight,
        generate_count=min(count, MAX_GENERATE),
        generation_mode=generation_mode,
    )


def _generation_choice(session: Session, project_id: str) -> tuple[str, str | None]:
    """The format and influencer a generated post uses, chosen from the project: a
    slideshow built from the brand, led by the project's oldest ready influencer if any."""
    influencer = session.scalar(
        sa.select(Influencer.id)
        .where(
            Influencer.project_id == project_id,
            Influencer.status == "ready",
            Influencer.archived_at.is_(None),
        )
        .order_by(Influencer.id)
        .limit(1)
    )
    return "slideshow-builder", influencer


def generate_for_empty_slots(layer_id: str, until: datetime, limit: int) -> dict[str, Any]:
    """Generate-and-attach for up to `limit` empty slots of the layer before `until`, earliest
    first, one transaction each. Idempotent: a re-execution only finds the slots still empty."""
    started: list[dict[str, str]] = []
    errors: list[dict[str, Any]] = []
    for _ in range(limit):
        now = clock.now()
        try:
            with get_database().transaction() as session:
                slot = session.scalar(_earliest_empty_slot(layer_id, now, until))
                if slot is None:
                    break
                content_format, influencer_id = _generation_choice(session, slot.project_id)
                container, job = content.generate_and_attach(
                    session, slot, content_format, influencer_id=influencer_id
                )
                started.append(
                    {"scheduledPostId": slot.id, "containerId": container.id, "jobId": job.id}
                )
        except Conflict:
            continue  # another attach won this slot: take the next one
        except LayersError as exc:
            errors.append({"code": exc.code, "message": exc.message})
            break
    return {"started": started, "errors": errors}


# ---- publishing ----


def layer_config(session: Session, layer_id: str) -> dict[str, Any]:
    return dict(_layer(session, layer_id).config or {})


def dispatch(layer_id: str, *, limit: int = DISPATCH_BATCH) -> dict[str, Any]:
    """process-due: nothing unless the layer's current config says ``willPublish``; else claim
    its due ready slots and enqueue their publish workflows, batch by batch."""
    claimed: list[str] = []
    held = 0
    with get_database().transaction(write=False) as session:
        config = layer_config(session, layer_id)
    if not config.get("willPublish"):
        return {"willPublish": False, "claimed": 0, "held": 0, "postIds": []}
    where = sa.and_(ScheduledPost.layer_id == layer_id, ScheduledPost.origin == "slot")
    while True:
        with get_database().transaction() as session:
            batch, newly_held = publishing.claim_ready(session, clock.now(), where, limit=limit)
        claimed.extend(batch)
        held += newly_held
        if len(batch) < limit:
            break
    return {"willPublish": True, "claimed": len(claimed), "held": held, "postIds": claimed[:50]}


def _ready_to_go(now: datetime) -> sa.ColumnElement[bool]:
    """A ``ready`` post whose retry time has come and that no reconnect is holding."""
    return sa.and_(
        ScheduledPost.status == "ready",
        sa.or_(ScheduledPost.retry_at.is_(None), ScheduledPost.retry_at <= now),
        sa.or_(
            ScheduledPost.hold_reason.is_(None),
            ScheduledPost.hold_reason != "account_unhealthy",
        ),
    )


def has_due(session: Session, layer: ProjectLayer, now: datetime) -> bool:
    """process-due's probe: publishing is on and a slot is due (not waiting on a reconnect)."""
    if not (layer.config or {}).get("willPublish"):
        return False
    return (
        session.scalar(
            sa.select(ScheduledPost.id)
            .where(
                ScheduledPost.layer_id == layer.id,
                ScheduledPost.scheduled_at <= now,
                _ready_to_go(now),
            )
            .limit(1)
        )
        is not None
    )


# ---- recovery ----


def _overdue(layer_id: str, now: datetime) -> sa.ColumnElement[bool]:
    missed_ready = sa.and_(ScheduledPost.scheduled_at < now - OVERDUE_GRACE, _ready_to_go(now))
    failed = sa.and_(ScheduledPost.status == "failed", ScheduledPost.scheduled_at <= now)
    return sa.and_(
        ScheduledPost.layer_id == layer_id,
        ScheduledPost.container_id.is_not(None),
        sa.or_(missed_ready, failed),
    )


def has_overdue(session: Session, layer: ProjectLayer, now: datetime) -> bool:
    """recover-overdue's probe: a post missed its window and an empty slot can take it."""
    return session.scalar(
        sa.select(ScheduledPost.id).where(_overdue(layer.id, now)).limit(1)
    ) is not None and _has_empty_slot(session, layer.id, now)


def recover(layer_id: str, *, limit: int = 500) -> dict[str, Any]:
    """recover-overdue: each ready or failed post that missed its window moves into the
    layer's next empty slot (its id, content and history kept; the empty slot row goes).
    Posts for which no empty slot is left stay where they are."""
    now = clock.now()
    with get_database().transaction(write=False) as session:
        overdue = list(
            session.scalars(
                sa.select(ScheduledPost.id)
                .where(_overdue(layer_id, now))
                .order_by(ScheduledPost.scheduled_at, ScheduledPost.id)
                .limit(limit)
            )
        )
    moved: list[dict[str, str]] = []
    for post_id in overdue:
        with get_database().transaction() as session:
            post = session.get(ScheduledPost, post_id)
            if post is None or post.status not in ("ready", "failed"):
                continue
            slot = session.scalar(_earliest_empty_slot(layer_id, now))
            if slot is None:
                break
            container = session.get(ContentContainer, post.container_id or "")
            if container is None:
                continue
            new_status = scheduling.initial_post_status(container)
            previous = post.status  # the UPDATE below syncs `post`: keep what it was
            at, local = slot.scheduled_at, slot.local_time
            gone = session.execute(
                sa.delete(ScheduledPost).where(ScheduledPost.id == slot.id, _empty_slot())
            ).rowcount  # type: ignore[attr-defined]
            if not gone:
                continue
            session.expunge(slot)
            updated = session.execute(
                sa.update(ScheduledPost)
                .where(ScheduledPost.id == post.id, ScheduledPost.status == previous)
                .values(
                    scheduled_at=at,
                    local_time=local,
                    status=new_status,
                    hold_reason=None,
                    retry_at=None,
                    last_error=None,
                    updated_at=now,
                )
            ).rowcount  # type: ignore[attr-defined]
            if not updated:
                session.rollback()
                continue
            moved.append(
                {"scheduledPostId": post.id, "from": previous, "to": clock.isoformat_z(at)}
            )
    return {"overdue": len(overdue), "moved": len(moved), "posts": moved[:50]}
