from __future__ import annotations

from typing import Any

import pytest

from layers.engine.authoring import (
    NonRetryableError,
    RetryPolicy,
    activity,
    attempt,
    describe_error,
    heartbeat,
    last_heartbeat_details,
    log,
)
from layers.engine.catalog import registry
from layers.engine.templates import Command, ConfigTrigger, Template, Workflow
from layers.kit.errors import Conflict, Unavailable


def test_an_activity_outside_a_run_is_a_plain_call() -> None:
    calls: list[int] = []

    @activity("test.plain")
    def plain(value: int) -> int:
        heartbeat({"at": value})  # no run: nothing recorded, nothing raised
        log("info", "outside any run")
        calls.append(value)
        assert last_heartbeat_details() is None and attempt() == 1
        return value + 1

    assert plain(1) == 2 and calls == [1]
    assert plain.activity_name == "test.plain"  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="log level"):
        log("loud", "nope")  # type: ignore[arg-type]


def test_retry_policy() -> None:
    policy = RetryPolicy(max_attempts=5, initial_interval=0.5, backoff=3, max_interval=4)
    assert [policy.delay(n) for n in (1, 2, 3, 4)] == [0.5, 1.5, 4.0, 4.0]
    assert policy.retryable(RuntimeError("flaky"))
    assert policy.retryable(Unavailable("try later"))
    assert not policy.retryable(Conflict("will never work"))
    assert not policy.retryable(NonRetryableError("no"))
    assert not policy.retryable(KeyboardInterrupt())
    assert not RetryPolicy(non_retryable=(KeyError,)).retryable(KeyError("k"))


def test_errors_are_described_with_a_redacted_stack_trace() -> None:
    token = "lp_live_ABCDEFGHIJKLMNOP_" + "s" * 43
    try:
        raise RuntimeError(f"upstream said no to {token}")
    except RuntimeError as exc:
        error = describe_error(exc)
    assert error["code"] == "ACTIVITY_FAILED" and error["type"] == "builtins.RuntimeError"
    assert token not in error["message"] and token not in error["stackTrace"]
    assert "test_errors_are_described_with_a_redacted_stack_trace" in error["stackTrace"]
    conflict = describe_error(Conflict("taken", layerId="lyr_x"), with_trace=False)
    assert conflict == {
        "code": "CONFLICT",
        "message": "taken",
        "type": "layers.kit.errors.Conflict",
        "details": {"layerId": "lyr_x"},
    }


def _noop(_ctx: Any) -> None:
    return None


def _template(**overrides: Any) -> Template:
    base: dict[str, Any] = {
        "id": "test-broken",
        "name": "Broken",
        "version": "0.0.1",
        "config_schema": {"type": "object", "properties": {"n": {"type": "integer"}}},
        "default_config": {},
        "workflows": (Workflow("test-broken-wf", 1, _noop),),
        "commands": {"go": Command("executable", "test-broken-wf", 1)},
    }
    return Template(**{**base, **overrides})


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"id": "Bad_Id"}, "id must be"),
        ({"config_schema": {"type": "nope"}}, "not valid JSON Schema"),
        ({"default_config": {"n": "x"}}, "default_config does not satisfy"),
        ({"commands": {}}, "at least one command"),
        ({"commands": {"go": Command("executable", "missing", 1)}}, "is not registered"),
        (
            {"commands": {"go": Command("scheduled", "test-broken-wf", 1, default_cron="nope")}},
            "default_cron",
        ),
        (
            {
                "commands": {
                    "go": Command("executable", "test-broken-wf", 1, default_cron="* * * * *")
                }
            },
            "only scheduled commands",
        ),
        (
            {"commands": {"initialize": Command("executable", "test-broken-wf", 1)}},
            "initialize must be an internal",
        ),
        ({"config_change_triggers": (ConfigTrigger("nope", ("n",)),)}, "not a startable"),
        (
            {"workflows": (Workflow("test-three", 1, _noop),)},
            "already another function",
        ),
    ],
)
def test_the_registry_refuses_broken_templates(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(registry.TemplateError, match=message):
        registry.register(_template(**overrides))
    assert registry.get("test-broken") is None


def test_registering_is_idempotent_and_versions_stay() -> None:
    first = _template(id="test-versions", version="1")
    second = _template(id="test-versions", version="2")
    assert registry.register(first) is first
    assert registry.register(first) is first
    registry.register(second)
    assert registry.get("test-versions") is second
    assert registry.get("test-versions", "1") is first
    with pytest.raises(registry.TemplateError, match="already registered"):
        registry.register(_template(id="test-versions", version="1"))
