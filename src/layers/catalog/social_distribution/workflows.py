"""The Social Distribution workflows: deterministic orchestration of recorded activities.

Each activity owns its transaction(s) and is safe to run again (conditional UPDATEs, inserts
that ignore existing slots, claims fenced on status). See docs/distribution.md.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from layers.catalog.social_distribution import attaching, dispatch, generation, planning, recovery
from layers.engine.authoring import RetryPolicy, RunContext, activity, log
from layers.kit.db import get_database

QUICK = RetryPolicy(max_attempts=3, initial_interval=0.5)


@activity("sd.plan", retry=QUICK)
def plan_slots(
    layer_id: str, config: dict[str, Any], min_horizon_days: int | None
) -> dict[str, Any]:
    with get_database().transaction() as session:
        result = planning.plan(session, layer_id, config, min_horizon_days=min_horizon_days)
    log(
        "info",
        f"planned {result.slots} slots over {result.horizon_days} days "
        f"({', '.join(result.times) or 'no times'} {result.timezone}): {result.created} new, "
        f"{result.removed} removed, {result.attached} attached, {result.missing_slots} missing",
    )
    return result.to_dict()


@activity("sd.generate", retry=QUICK)
def generate_content(layer_id: str, until: str, limit: int) -> dict[str, Any]:
    result = generation.generate_for_empty_slots(layer_id, datetime.fromisoformat(until), limit)
    log("info", f"started {len(result['started'])} generations for empty slots")
    for error in result["errors"]:
        log("warning", f"generation refused: {error['code']}: {error['message']}")
    return result


@activity("sd.attach", retry=QUICK)
def attach_container(layer_id: str, container_id: str) -> dict[str, Any]:
    with get_database().transaction() as session:
        result = attaching.attach(session, layer_id, container_id)
    log("info", f"{container_id} → slot {result['scheduledPostId']} at {result['scheduledFor']}")
    return result


@activity("sd.dispatch_due", retry=QUICK)
def dispatch_due(layer_id: str) -> dict[str, Any]:
    result = dispatch.dispatch(layer_id)
    if not result["willPublish"]:
        log("info", "willPublish is false: nothing is published")
    elif result["claimed"] or result["held"]:
        log("info", f"publishing {result['claimed']} due posts; {result['held']} held")
    return result


@activity("sd.recover_overdue", retry=QUICK)
def recover_overdue(layer_id: str) -> dict[str, Any]:
    result = recovery.recover(layer_id)
    if result["overdue"]:
        log("info", f"{result['overdue']} overdue posts, {result['moved']} moved to empty slots")
    return result


def _layer_id(ctx: RunContext) -> str:
    assert ctx.layer_id is not None
    return ctx.layer_id


def plan_v1(ctx: RunContext) -> dict[str, Any]:
    """social-distribution-plan v1: plan the slots, attach ready content, and in automatic
    generation mode generate for the slots still empty."""
    horizon = ctx.parameters.get("horizonDays")
    result = plan_slots(_layer_id(ctx), dict(ctx.config), int(horizon) if horizon else None)
    if result["generationMode"] == "automatic" and result["generateCount"] > 0:
        result["generated"] = generate_content(
            _layer_id(ctx), result["horizonEnd"], int(result["generateCount"])
        )
    return result


def attach_v1(ctx: RunContext) -> dict[str, Any]:
    return attach_container(_layer_id(ctx), str(ctx.parameters["containerId"]))


def publish_due_v1(ctx: RunContext) -> dict[str, Any]:
    return dispatch_due(_layer_id(ctx))


def recover_overdue_v1(ctx: RunContext) -> dict[str, Any]:
    return recover_overdue(_layer_id(ctx))
