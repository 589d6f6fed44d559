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
    with pytest.raises(UsageError, match="nested too deeply"):
        parse_json_object("[" * 100_000, "--x")
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


# ---- following, against a scripted server (states the real one cannot be driven into on cue) ----


def scripted(routes: dict[str, list[httpx.Response]], seen: list[httpx.Request]) -> Client:
    """A client whose server answers each path with the next of its canned responses."""

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answers = routes[f"{request.method} {request.url.path}"]
        return answers.pop(0) if len(answers) > 1 else answers[0]

    return Client(
        config.Profile("http://api.test", "lp_test_x"), transport=httpx.MockTransport(handler)
    )


def sse(*events: tuple[str, dict[str, object], int | None]) -> httpx.Response:
    body = ""
    for name, data, event_id in events:
        head = f"id: {event_id}\n" if event_id is not None else ""
        body += f"{head}event: {name}\ndata: {json.dumps(data)}\n\n"
    return httpx.Response(200, text=body, headers={"content-type": "text/event-stream"})


def test_a_dropped_stream_is_resumed_after_the_last_line_seen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from typer.testing import CliRunner

    from layers.cli import runs
    from layers.cli.main import app

    activity = {
        "id": "act_1", "name": "test.load", "status": "completed", "attempts": 1,
        "durationMs": 12, "startedAt": "2026-01-01T00:00:00.000Z",
        "finishedAt": "2026-01-01T00:00:00.012Z", "kept": False,
    }  # fmt: skip
    line = {"id": 41, "at": "2026-01-01T00:00:00.005Z", "level": "info", "activity": "test.load",
            "activityId": "act_1", "message": "loading"}  # fmt: skip
    later = {**line, "id": 42, "at": "2026-01-01T00:00:01.000Z", "message": "almost",
             "activity": None, "activityId": None}  # fmt: skip
    running = {"id": "run_1", "status": "running", "activities": [activity]}
    failed = {
        "id": "run_1", "status": "failed", "durationMs": 1000, "activities": [activity],
        "error": {"code": "ACTIVITY_FAILED", "message": "boom", "activity": "test.save",
                  "stackTrace": "Traceback (most recent call last):\n  …\nRuntimeError: boom\n"},
    }  # fmt: skip
    seen: list[httpx.Request] = []
    routes = {
        "POST /api/project-layers/lyr_1/execute": [
            httpx.Response(202, json={"runId": "run_1", "status": "queued"})
        ],
        "GET /v1/runs/run_1/logs/stream": [
            sse(
                ("run", {"status": "running"}, None),
                ("activity", activity, None),
                ("log", line, 41),
                ("timeout", {"lastEventId": 41}, None),
            ),
            sse(("log", later, 42), ("end", {"status": "failed"}, None)),
        ],
        "GET /v1/runs/run_1": [httpx.Response(200, json=running), httpx.Response(200, json=failed)],
    }
    api = scripted(routes, seen)
    monkeypatch.setattr(runs, "client", lambda: api)
    result = CliRunner().invoke(app, ["run", "lyr_1", "three-steps", "-p", "n=1", "--watch"])

    assert result.exit_code == 1, result.output
    streams = [r for r in seen if r.url.path.endswith("/stream")]
    assert [r.headers.get("last-event-id") for r in streams] == [None, "41"]
    body = json.loads(seen[0].content)
    assert body == {"commandId": "three-steps", "parameters": {"n": 1}, "trigger": "cli"}
    out = result.stdout
    # the activity is reported after its own line, once, with its duration
    assert out.index("loading") < out.index("✓ test.load completed in 12 ms") < out.index("almost")
    assert out.count("test.load completed") == 1
    assert "run_1 failed in test.save: ACTIVITY_FAILED: boom" in out
    assert "RuntimeError: boom" in out


def test_content_generate_wait_exits_1_when_the_job_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from layers.cli import content
    from layers.cli.main import app

    job = {"jobId": "job_1", "containerId": "cnt_1", "kind": "content_generate",
           "status": "running", "stage": "queued", "progress": 0.0}  # fmt: skip
    writing = {**job, "stage": "writing", "progress": 0.4}
    failed = {**writing, "status": "failed", "error": {"code": "RENDER_FAILED", "message": "no"}}
    seen: list[httpx.Request] = []
    routes = {
        "POST /v1/projects/prj_1/content/slideshow-builder": [httpx.Response(202, json=job)],
        "GET /v1/jobs/job_1": [
            httpx.Response(200, json=writing, headers={"etag": '"a"'}),
            httpx.Response(304, headers={"etag": '"a"'}),
            httpx.Response(200, json=failed, headers={"etag": '"b"'}),
        ],
        "GET /v1/content/cnt_1": [
            httpx.Response(
                200, json={"id": "cnt_1", "status": "failed", "format": "slideshow-builder"}
            )
        ],
    }
    api = scripted(routes, seen)
    monkeypatch.setattr(content, "client", lambda: api)
    monkeypatch.setattr(content, "POLL_SECONDS", 0.01)
    result = CliRunner().invoke(
        app, ["content", "generate", "--project", "prj_1", "--format", "slideshow-builder",
              "--hook", "Hi", "--wait", "--json"],
    )  # fmt: skip

    assert result.exit_code == 1
    assert json.loads(result.stdout)["id"] == "cnt_1"
    assert "RENDER_FAILED: no" in result.stderr
    polls = [r for r in seen if r.url.path == "/v1/jobs/job_1"]
    assert [r.headers.get("if-none-match") for r in polls] == [None, '"a"', '"a"']
