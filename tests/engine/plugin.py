"""Templates the engine tests install (also loaded by server processes through
``LAYERS_EXTRA_TEMPLATES=tests.engine.plugin``).

Side effects are counted in `EFFECTS` (in-process tests) and, for the process tests, appended
to a file named by the run's parameters.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from layers.engine.authoring import (
    NO_RETRY,
    RetryPolicy,
    RunContext,
    activity,
    attempt,
    heartbeat,
    last_heartbeat_details,
    log,
)
from layers.engine.templates import Command, ConfigCheck, ConfigTrigger, Template, Workflow
from layers.kit.errors import Conflict
from layers.models.engine import ProjectLayer

EFFECTS: Counter[str] = Counter()
FAILING: set[str] = set()  # markers whose "test.transform" activity fails
BLOCKED: dict[str, threading.Event] = {}  # markers whose "test.load" waits for an event
_lock = threading.Lock()


def effect(key: str) -> None:
    with _lock:
        EFFECTS[key] += 1


# ---- activities ----


@activity("test.load")
def load(marker: str, size: int) -> dict[str, Any]:
    effect(f"{marker}:load")
    gate = BLOCKED.get(marker)
    if gate is not None:
        gate.wait(timeout=30)
    log("info", f"loaded {size} items for {marker}")
    return {"items": list(range(size))}


@activity("test.transform", retry=RetryPolicy(max_attempts=2, initial_interval=0.05))
def transform(marker: str, items: list[int]) -> list[int]:
    effect(f"{marker}:transform")
    if marker in FAILING:
        raise RuntimeError(f"transform refused {marker} (attempt {attempt()})")
    return [item * 2 for item in items]


@activity("test.save")
def save(marker: str, items: list[int]) -> dict[str, int]:
    effect(f"{marker}:save")
    log("info", f"saved {len(items)} items")
    return {"saved": len(items), "total": sum(items)}


@activity("test.conflict")
def conflicting(marker: str) -> None:
    effect(f"{marker}:conflict")
    raise Conflict("this activity always conflicts")


@activity("test.crunch", heartbeat_interval=0.0, retry=NO_RETRY)
def crunch(items: int, delay: float, effects_file: str | None) -> dict[str, Any]:
    """A long activity that resumes from its last heartbeat."""
    resumed_from = last_heartbeat_details()
    start = resumed_from["done"] if isinstance(resumed_from, dict) else 0
    for index in range(start, items):
        time.sleep(delay)
        if effects_file:
            with Path(effects_file).open("a") as handle:
                handle.write(f"{index}\n")
        log("info", f"crunched item {index}")
        heartbeat({"done": index + 1})
    return {"resumedFrom": resumed_from, "attempt": attempt(), "done": items}


@activity("test.touch", retry=NO_RETRY)
def touch(marker: str) -> str:
    effect(f"{marker}:touch")
    gate = BLOCKED.get(marker)
    if gate is not None:
        gate.wait(timeout=30)
    return marker


# ---- workflows ----


def _marker(ctx: RunContext) -> str:
    marker = str(ctx.parameters.get("marker", ctx.run_id))
    if ctx.parameters.get("byGreeting"):
        marker = f"{marker}-{ctx.config.get('greeting')}"
    return marker


def three_steps_v1(ctx: RunContext) -> dict[str, Any]:
    marker = _marker(ctx)
    loaded = load(marker, int(ctx.parameters.get("size", 3)))
    doubled = transform(marker, loaded["items"])
    result = save(marker, doubled)
    ctx.log("info", f"three steps done for {marker}")
    return {**result, "workflowVersion": 1}


def three_steps_v2(ctx: RunContext) -> dict[str, Any]:
    marker = _marker(ctx)
    loaded = load(marker, int(ctx.parameters.get("size", 3)))
    doubled = transform(marker, loaded["items"])
    result = save(marker, doubled)
    return {**result, "workflowVersion": 2, "greeting": ctx.config.get("greeting")}


@activity("test.gate", retry=NO_RETRY)
def gate(key: str) -> None:
    if key in FAILING:
        raise RuntimeError(f"{key} is failing")


def initialize(ctx: RunContext) -> dict[str, Any]:
    marker = f"init:{ctx.layer_id}"
    if ctx.config.get("failInstall"):
        conflicting(marker)
    gate(str(ctx.config.get("greeting")))
    touch(marker)
    return {"initialized": ctx.layer_id}


def long_running(ctx: RunContext) -> dict[str, Any]:
    return crunch(
        int(ctx.parameters.get("items", 10)),
        float(ctx.parameters.get("delay", 0.1)),
        ctx.parameters.get("effectsFile"),
    )


def touch_once(ctx: RunContext) -> str:
    return touch(f"{ctx.command_id}:{ctx.layer_id}")


def body_fails(ctx: RunContext) -> None:
    touch(f"body:{ctx.run_id}")
    ctx.log("warning", "about to fail outside any activity")
    raise ValueError("the workflow body gave up")


# ---- hooks ----


def has_work(_session: Session, layer: ProjectLayer, _now: datetime) -> bool:
    return bool(layer.config.get("work"))


def check_config(_session: Session, check: ConfigCheck) -> None:
    if check.config.get("greeting") == "forbidden":
        raise Conflict("This greeting is taken by another layer.", field="greeting")


CONFIG_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "greeting": {"type": "string", "maxLength": 40},
        "size": {"type": "integer", "minimum": 1, "maximum": 50},
        "work": {"type": "boolean"},
        "failInstall": {"type": "boolean"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "social": {
            "type": "object",
            "properties": {"socialAccountId": {"type": "string"}, "platform": {"type": "string"}},
        },
        "schedule": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"times": {"type": "array", "items": {"type": "string"}}},
        },
    },
    "required": ["greeting"],
}

PIPELINE = Template(
    id="test-pipeline",
    name="Test pipeline",
    version="1.0.0",
    description="Three activities, a long one, and schedules: the engine's test bed.",
    config_schema=CONFIG_SCHEMA,
    default_config={"greeting": "hello", "size": 3, "work": False},
    workflows=(
        Workflow("test-three", 1, three_steps_v1),
        Workflow("test-three", 2, three_steps_v2),
        Workflow("test-init", 1, initialize),
        Workflow("test-long", 1, long_running),
        Workflow("test-touch", 1, touch_once),
        Workflow("test-body-fails", 1, body_fails),
    ),
    commands={
        "initialize": Command("internal", "test-init", 1),
        "three-steps": Command(
            "executable",
            "test-three",
            2,
            description="load, transform, save",
            parameters_schema={
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "marker": {"type": "string", "maxLength": 80},
                    "size": {"type": "integer", "minimum": 1, "maximum": 100},
                    "byGreeting": {"type": "boolean"},
                },
            },
        ),
        "three-steps-v1": Command("executable", "test-three", 1),
        "crunch": Command(
            "executable",
            "test-long",
            1,
            parameters_schema={
                "type": "object",
                "properties": {
                    "items": {"type": "integer", "minimum": 1, "maximum": 1000},
                    "delay": {"type": "number", "minimum": 0, "maximum": 5},
                    "effectsFile": {"type": "string"},
                },
            },
        ),
        "body-fails": Command("executable", "test-body-fails", 1),
        "refresh": Command("executable", "test-touch", 1),
        "nightly": Command(
            "scheduled", "test-touch", 1, default_cron="0 3 * * *", cron_override=True
        ),
        "every-minute": Command(
            "scheduled", "test-touch", 1, default_cron="* * * * *", probe=has_work
        ),
    },
    config_change_triggers=(ConfigTrigger("refresh", ("greeting", "schedule.times")),),
    validate=check_config,
)

SINGLE = Template(
    id="test-single",
    name="Test singleton",
    version="1.0.0",
    config_schema={"type": "object", "properties": {"note": {"type": "string"}}},
    default_config={},
    workflows=(Workflow("test-touch", 1, touch_once),),
    commands={"refresh": Command("executable", "test-touch", 1)},
    singleton=True,
)

TEMPLATES = [PIPELINE, SINGLE]
