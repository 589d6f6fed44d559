"""The remote CLI's pure parts: argument parsing, the config file, SSE, the error line."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import httpx
import pytest

from layers.cli import config
from layers.cli.client import ApiError, Client, UsageError, _parse_sse, q
from layers.cli.output import merge, parse_assignments, parse_json_object, parse_value


def test_values_are_json_when_they_parse_else_strings() -> None:
    assert parse_value("3") == 3
    assert parse_value("2.5") == 2.5
    assert parse_value("true") is True
    assert parse_value("null") is None
    assert parse_value('{"a": [1]}') == {"a": [1]}
    assert parse_value('"007"') == "007"
    assert parse_value("007") == "007"  # not JSON (a leading zero): the text
    assert parse_value("hello world") == "hello world"
    assert parse_value("") == ""


def test_assignments_nest_dotted_keys_and_refuse_malformed_pairs() -> None:
    pairs = ["size=4", "schedule.cron=0 9 * * *", 'schedule.times=["09:00"]', "a=b=c"]
    assert parse_assignments(pairs, "-p") == {
        "size": 4,
        "schedule": {"cron": "0 9 * * *", "times": ["09:00"]},
        "a": "b=c",
    }
    with pytest.raises(UsageError, match="key=value"):
        parse_assignments(["novalue"], "-p")
    with pytest.raises(UsageError, match="key=value"):
        parse_assignments(["=1"], "-p")
    with pytest.raises(UsageError, match="conflicts"):
        parse_assignments(["a=1", "a.b=2"], "-p")


def test_json_objects_from_text_or_file(tmp_path: Path) -> None:
    assert parse_json_object('{"a": 1}', "--x") == {"a": 1}
    source = tmp_path / "params.json"
    source.write_text('{"b": true}')
    assert parse_json_object(f"@{source}", "--x") == {"b": True}
    with pytest.raises(UsageError, match="JSON object"):
        parse_json_object("[1]", "--x")
    with pytest.raises(UsageError, match="not valid JSON"):
        parse_json_object("{", "--x")
    with pytest.raises(UsageError, match="cannot read"):
        parse_json_object(f"@{tmp_path / 'missing.json'}", "--x")
    assert merge({"a": {"b": 1, "c": 2}}, {"a": {"c": 3}, "d": 4}) == {
        "a": {"b": 1, "c": 3},
        "d": 4,
    }


def test_config_file_is_private_and_options_beat_env_beat_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LAYERS_CONFIG_DIR", raising=False)
    monkeypatch.delenv("LAYERS_API_KEY", raising=False)
    monkeypatch.delenv("LAYERS_BASE_URL", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert config.config_dir() == tmp_path / "xdg" / "layers"
    monkeypatch.setenv("LAYERS_CONFIG_DIR", str(tmp_path / "cfg"))
    assert config.resolve() == config.Profile(config.DEFAULT_BASE_URL, None)

    path = config.save("http://files:1", "lp_test_file")
    assert path == tmp_path / "cfg" / "config.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert json.loads(path.read_text()) == {"base_url": "http://files:1", "api_key": "lp_test_file"}
    assert config.resolve() == config.Profile("http://files:1", "lp_test_file")

    monkeypatch.setenv("LAYERS_API_KEY", "lp_test_env")
    monkeypatch.setenv("LAYERS_BASE_URL", "env.example:8000/")
    assert config.resolve() == config.Profile("http://env.example:8000", "lp_test_env")
    assert config.resolve("lp_test_opt", "https://opt.example") == config.Profile(
        "https://opt.example", "lp_test_opt"
    )

    path.write_text("not json")
    monkeypatch.delenv("LAYERS_API_KEY")
    assert config.resolve().api_key is None, "a broken file is ignored"
    assert config.remove() and not config.remove()


def test_server_sent_events_are_parsed_across_lines() -> None:
    lines = [
        "retry: 2000",
        "",
        ": ping",
        "id: 7",
        "event: log",
        'data: {"id": 7, "message": "hi"}',
        "",
        "event: end",
        'data: {"status":',
        'data: "completed"}',
        "",
        "data: plain text",
        "",
    ]
    events = list(_parse_sse(iter(lines)))
    assert [(e.event, e.data, e.id) for e in events] == [
        ("log", {"id": 7, "message": "hi"}, "7"),
        ("end", {"status": "completed"}, None),
        ("message", "plain text", None),
    ]


def test_api_errors_render_code_fields_and_request_id() -> None:
    response = httpx.Response(
        422,
        json={
            "error": {
                "code": "VALIDATION",
                "message": "Invalid request: name",
                "requestId": "req_1",
                "details": {"fields": [{"field": "name", "message": "too short"}]},
            }
        },
    )
    error = ApiError.from_response(response)
    assert (error.code, error.status, error.request_id) == ("VALIDATION", 422, "req_1")
    assert error.render() == (
        "error: VALIDATION: Invalid request: name [name: too short] (request req_1)"
    )
    plain = ApiError.from_response(
        httpx.Response(502, text="Bad gateway\n", headers={"x-request-id": "req_2"})
    )
    assert plain.render() == "error: HTTP_502: Bad gateway (request req_2)"


def test_requests_carry_the_key_agent_and_a_fresh_idempotency_key() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"ok": True})

    profile = config.Profile("http://api.test", "lp_test_x")
    with Client(profile, transport=httpx.MockTransport(handler)) as api:
        api.post("/v1/projects", {"name": "x"})
        api.post("/v1/projects", {"name": "x"})
        api.get(f"/v1/projects/{q('../whoami')}", limit=None, status="active")
    first, second, read = seen
    assert first.headers["authorization"] == "Bearer lp_test_x"
    assert first.headers["user-agent"].startswith("layers-cli/")
    assert first.headers["idempotency-key"] != second.headers["idempotency-key"]
    assert "idempotency-key" not in read.headers
    assert read.url.raw_path == b"/v1/projects/..%2Fwhoami?status=active"
    with pytest.raises(UsageError, match="layers login"):
        Client(config.Profile("http://api.test", None))


def test_a_busy_idempotency_key_is_sent_again_after_retry_after() -> None:
    keys: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        keys.append(request.headers["idempotency-key"])
        if len(keys) == 1:
            body = {"error": {"code": "IDEMPOTENCY_IN_PROGRESS", "message": "busy"}}
            return httpx.Response(409, json=body, headers={"Retry-After": "0.1"})
        return httpx.Response(202, json={"runId": "run_1"})

    profile = config.Profile("http://api.test", "lp_test_x")
    with Client(profile, transport=httpx.MockTransport(handler)) as api:
        assert api.post("/v1/runs/run_0/retry") == {"runId": "run_1"}
    assert len(keys) == 2 and keys[0] == keys[1]
