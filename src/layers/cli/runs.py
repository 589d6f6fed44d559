"""``layers run`` and ``layers runs list|show|logs|retry|cancel``.

Following a run (``run --watch``, ``runs logs --follow``, ``runs retry --watch``) reads the run's
Server-Sent Events stream (``GET /v1/runs/{id}/logs/stream``): log lines as they are written and
each activity as it finishes, reconnecting with ``Last-Event-ID`` when the stream drops or times
out. When it ends, ``GET /v1/runs/{id}`` gives the final state (activities not yet reported, the
error and stack trace). The exit status comes from the run: 0 completed, 1 failed, 3 canceled,
130 when interrupted (the run goes on).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from layers.cli.client import ApiError, Client, ConnectionFailed, Event, q
from layers.cli.output import (
    AllOption,
    CursorOption,
    JsonOption,
    LimitOption,
    client,
    duration,
    err,
    fetch,
    fetch_page,
    out,
    parse_assignments,
    parse_json_object,
    print_json,
    print_object,
    print_page,
    short_time,
    status,
    table,
)

runs_app = typer.Typer(help="Runs of layer commands: list, inspect, follow, retry.")

EXIT_FOR_STATUS = {"completed": 0, "failed": 1, "canceled": 3}
EXIT_INTERRUPTED = 130
TERMINAL = frozenset(EXIT_FOR_STATUS)
ACTIVITY_DONE = frozenset({"completed", "failed", "canceled"})
MAX_RECONNECTS = 5
# Errors that a retry (same parameters, same config version) would meet again: the CLI does not
# suggest `runs retry` for them.
DETERMINISTIC = frozenset(
    {
        "VALIDATION",
        "NOT_FOUND",
        "COMMAND_NOT_EXECUTABLE",
        "CREDENTIAL_INVALID",
        "SOCIAL_ACCOUNT_NOT_CONNECTED",
        "SOURCE_NOT_FOUND",
        "DEMO_VIDEO_REQUIRED",
        "UNSUPPORTED_MEDIA_TYPE",
        "URL_NOT_ALLOWED",
    }
)
FLUSH_MARGIN = timedelta(seconds=1)

WatchOption = Annotated[
    bool,
    typer.Option(
        "--watch", "-w", help="Follow the run: activities, live logs; exit with its status."
    ),
]


# ---- following a run ----


@dataclass
class Follower:
    """Reports a run's progress on ``sink``; ``logs_as_json`` prints log lines as JSON Lines
    on stdout instead (``runs logs --follow --json``)."""

    api: Client
    run_id: str
    sink: Console
    activities: bool = True
    logs_as_json: bool = False
    reported: set[str] = field(default_factory=set)
    pending: list[dict[str, Any]] = field(default_factory=list)
    last_status: str | None = None
    last_log_id: str | None = None
    received: int = 0

    def log(self, line: dict[str, Any]) -> None:
        self.flush(str(line.get("at") or ""), owner=line.get("activityId"))
        if self.logs_as_json:
            print(json.dumps(line, ensure_ascii=False), flush=True)  # noqa: T201
            return
        at = str(line.get("at") or "")[11:23]
        where = " " + escape(f"[{line['activity']}]") if line.get("activity") else ""
        level = str(line.get("level", "info"))
        style = {"error": "red", "warning": "yellow", "debug": "dim"}.get(level, "")
        head = f"[{style}]{level:<7}[/]" if style else f"{level:<7}"
        self.sink.print(f"[dim]{at}[/] {head}{where} ", end="")
        self.sink.print(str(line.get("message", "")), markup=False, highlight=False)

    def activity(self, activity: dict[str, Any]) -> None:
        """Report an activity once it is over, in time order with the log lines: it waits
        until a later line or activity arrives (or the run ends)."""
        if not self.activities:
            return
        # Activities arrive before the log lines of the same moment: an activity that started
        # a while after a pending one finished means no earlier line is still to come.
        self.flush(_earlier(activity.get("startedAt"), FLUSH_MARGIN))
        if activity.get("status") in ACTIVITY_DONE and activity["id"] not in self.reported:
            self.reported.add(activity["id"])
            self.pending.append(activity)

    def flush(self, until: str | None = None, owner: str | None = None) -> None:
        """Print the pending activities that finished before ``until`` (all without it); one
        that finished in the same millisecond as a line of its own waits for that line."""
        keep = []
        for activity in self.pending:
            finished = str(activity.get("finishedAt") or "")
            if until is None or finished < until or (finished == until and activity["id"] != owner):
                self.print_activity(activity)
            else:
                keep.append(activity)
        self.pending = keep

    def print_activity(self, activity: dict[str, Any]) -> None:
        state = activity.get("status")
        name = escape(str(activity.get("name")))
        took = duration(activity.get("durationMs"))
        attempts = activity.get("attempts") or 1
        tries = f", {attempts} attempts" if attempts > 1 else ""
        if activity.get("kept"):
            self.sink.print(f"[green]✓[/] {name} kept from {activity.get('keptFrom')} (not re-run)")
        elif state == "completed":
            self.sink.print(f"[green]✓[/] {name} completed in {took}{tries}")
        elif state == "failed":
            error = activity.get("error") or {}
            self.sink.print(f"[red]✗[/] {name} failed after {took}{tries}: ", end="")
            self.sink.print(f"{error.get('code')}: {error.get('message')}", markup=False)
        else:
            self.sink.print(f"[yellow]-[/] {name} canceled after {took}")

    def run_state(self, state: dict[str, Any]) -> None:
        current = state.get("status")
        if current != self.last_status and current in ("queued", "running"):
            err.print(f"{self.run_id} {current}…", markup=False)
        self.last_status = current

    def follow(self) -> dict[str, Any]:
        """Follow until the run is over; the final run (``GET /v1/runs/{id}``)."""
        path = f"/v1/runs/{q(self.run_id)}/logs/stream"
        failures = 0
        while True:
            received = self.received
            try:
                with closing(self.api.events(path, last_event_id=self.last_log_id)) as events:
                    ended = self._consume(events)
            except ConnectionFailed:
                failures = 1 if self.received > received else failures + 1
                if failures > MAX_RECONNECTS:
                    raise
                time.sleep(min(5.0, 0.5 * 2**failures))
                continue
            failures = 0
            run: dict[str, Any] = self.api.get(f"/v1/runs/{q(self.run_id)}")
            if ended or run.get("status") in TERMINAL:
                for activity in run.get("activities") or []:
                    self.activity(activity)
                self.flush()
                return run
            # The stream timed out (or was closed early) while the run goes on: reconnect.

    def _consume(self, events: Iterator[Event]) -> bool:
        """Report the events of one connection; ``True`` once the run's ``end`` arrived."""
        for event in events:
            self.received += 1
            if event.event == "log" and isinstance(event.data, dict):
                self.log(event.data)
                self.last_log_id = event.id or str(event.data.get("id"))
            elif event.event == "activity" and isinstance(event.data, dict):
                self.activity(event.data)
            elif event.event == "run" and isinstance(event.data, dict):
                self.run_state(event.data)
            elif event.event == "end":
                return True
        return False


def _earlier(value: Any, margin: timedelta) -> str:
    """The time ``margin`` before the API time ``value``, in the API's format (``…T…:…:….mmmZ``,
    which sorts as text), or ``""`` when ``value`` is not a time."""
    try:
        moment = datetime.fromisoformat(str(value)) - margin
    except ValueError:
        return ""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def report_end(run: dict[str, Any], sink: Console) -> int:
    """Print how the run ended; the exit status for it."""
    state = run.get("status", "")
    took = duration(run.get("durationMs"))
    if state == "completed":
        sink.print(f"[green]{run['id']} completed[/] in {took}")
        output = run.get("output")
        if output is not None:
            text = json.dumps(output, ensure_ascii=False)
            sink.print("output: " + (text if len(text) <= 400 else text[:400] + "…"), markup=False)
    elif state == "failed":
        error = run.get("error") or {}
        where = f" in {error['activity']}" if error.get("activity") else ""
        sink.print(f"[red]{run['id']} failed[/]{where}: ", end="")
        sink.print(f"{error.get('code')}: {error.get('message')}", markup=False)
        trace = [ln for ln in str(error.get("stackTrace") or "").splitlines() if ln.strip()]
        if trace:
            sink.print(f"  {trace[-1].strip()}", markup=False)
        if error.get("code") in DETERMINISTIC:
            sink.print(
                "the same input fails the same way: fix it (the parameters, or the layer's "
                "config with `layers layers config`) and run the command again",
                markup=False,
            )
        else:
            sink.print(f"retry with: layers runs retry {run['id']} --watch", markup=False)
    elif state == "canceled":
        sink.print(f"[yellow]{run['id']} canceled[/]")
    return EXIT_FOR_STATUS.get(state, 1)


def watch(api: Client, run_id: str, json_output: bool) -> None:
    """Follow a run to its end, print it, and exit with its status."""
    sink = err if json_output else out
    try:
        final = Follower(api, run_id, sink).follow()
    except KeyboardInterrupt:
        err.print(f"\nStopped following; {run_id} goes on (layers runs show {run_id}).")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    code = report_end(final, sink)
    if json_output:
        print_json(final)
    raise typer.Exit(code)


def started(
    api: Client,
    accepted: dict[str, Any],
    why: str,
    watch_run: bool,
    json_output: bool,
    *,
    follow_hint: bool = False,
) -> None:
    """A run was accepted: follow it with ``--watch`` (exiting with its status), else print
    its id (or, with ``--json``, the accepted document)."""
    run_id = accepted["runId"]
    if watch_run:
        err.print(f"Started {run_id} ({why}).", markup=False)
        watch(api, run_id, json_output)
    if json_output:
        print_json(accepted)
        return
    out.print(run_id)
    if follow_hint:
        err.print(f"Follow it with: layers runs logs {run_id} --follow", markup=False)


# ---- commands ----


def run_command(
    layer_id: Annotated[str, typer.Argument(help="The project layer (lyr_…).")],
    command_id: Annotated[str, typer.Argument(help="The command (see `layers layers show`).")],
    params: Annotated[
        list[str] | None,
        typer.Option(
            "--param",
            "-p",
            help="A parameter, key=value; the value is JSON when it parses (numbers, booleans, "
            "objects), else a string. Repeatable.",
        ),
    ] = None,
    params_json: Annotated[
        str | None,
        typer.Option("--params-json", help="The parameters as a JSON object (or @file.json)."),
    ] = None,
    watch_run: WatchOption = False,
    json_output: JsonOption = False,
) -> None:
    """Run a layer's command; --watch follows it to its end.

    With --watch the exit status is the run's: 0 completed, 1 failed, 3 canceled.
    """
    parameters = parse_json_object(params_json, "--params-json") if params_json else {}
    parameters.update(parse_assignments(params or [], "--param"))
    with client() as api:
        try:
            accepted = api.post(
                f"/api/project-layers/{q(layer_id)}/execute",
                {"commandId": command_id, "parameters": parameters, "trigger": "cli"},
            )
        except ApiError as exc:
            if _not_a_command(exc):
                err.print(exc.render(), markup=False)
                list_commands(api.get(f"/v1/layers/{q(layer_id)}"))
                raise typer.Exit(1) from None
            raise
        started(api, accepted, command_id, watch_run, json_output, follow_hint=True)


def _not_a_command(exc: ApiError) -> bool:
    """The layer has no such command, or it cannot be run by hand."""
    if exc.code == "COMMAND_NOT_EXECUTABLE":
        return True
    fields = exc.details.get("fields") if exc.code == "VALIDATION" else None
    return isinstance(fields, list) and any(
        isinstance(f, dict) and f.get("type") == "unknown_command" for f in fields
    )


def list_commands(layer: dict[str, Any]) -> None:
    """The commands a person can run on the layer (on stderr: the command failed)."""
    every = layer.get("commands") or {}
    commands = {name: c for name, c in every.items() if c.get("trigger") == "executable"}
    err.print(
        f"{layer['id']} ({layer.get('templateId')}) runs these commands with `layers run`:",
        markup=False,
    )
    width = max((len(name) for name in commands), default=0)
    for name, command in sorted(commands.items()):
        params = sorted((command.get("parametersSchema") or {}).get("properties") or {})
        hint = f"  [-p {' -p '.join(p + '=…' for p in params)}]" if params else ""
        err.print(f"  {name:<{width}}  {command.get('description') or ''}{hint}", markup=False)


@runs_app.command("list")
def list_runs(
    layer: Annotated[str | None, typer.Option("--layer", help="One layer's runs.")] = None,
    project: Annotated[str | None, typer.Option("--project", help="One project's runs.")] = None,
    command: Annotated[str | None, typer.Option("--command", help="A command id.")] = None,
    state: Annotated[
        str | None,
        typer.Option("--status", help="queued, running, completed, failed or canceled."),
    ] = None,
    trigger: Annotated[
        str | None, typer.Option(help="cli, api, console, schedule, config_change, …")
    ] = None,
    parent: Annotated[
        str | None, typer.Option("--parent", help="A cross-layer run's children.")
    ] = None,
    limit: LimitOption = 25,
    all_pages: AllOption = False,
    cursor: CursorOption = None,
    json_output: JsonOption = False,
) -> None:
    """Runs, newest first."""
    page = fetch_page(
        "/v1/runs",
        limit=limit,
        all_pages=all_pages,
        cursor=cursor,
        layerId=layer,
        projectId=project,
        commandId=command,
        status=state,
        trigger=trigger,
        parentRunId=parent,
    )
    print_page(
        page,
        json_output,
        ["id", "command", "status", "trigger", "layer", "created", "took"],
        lambda r: (
            r["id"],
            r["commandId"],
            status(r["status"]),
            r["trigger"],
            r.get("layerId"),
            short_time(r.get("createdAt")),
            duration(r.get("durationMs")),
        ),
    )


def show_run(run: dict[str, Any]) -> None:
    out.print(f"{run['id']}  {run['commandId']}  {status(run['status'])}")
    facts = [
        ("layer", run.get("layerId")),
        ("project", run.get("projectId")),
        ("workflow", f"{run.get('workflow')} v{run.get('workflowVersion')}"),
        ("trigger", run.get("trigger")),
        ("parameters", json.dumps(run.get("parameters") or {})),
        ("retry of", run.get("retryOf")),
        ("retried by", ", ".join(run.get("retriedBy") or [])),
        ("created", short_time(run.get("createdAt"))),
        ("finished", short_time(run.get("finishedAt"))),
        ("took", duration(run.get("durationMs"))),
    ]
    for label, value in facts:
        if value:
            out.print(f"{label:<11} {value}", markup=False)
    if run.get("activities"):
        table(
            ["#", "activity", "status", "attempts", "took", "note"],
            [
                (
                    a["position"],
                    a["name"],
                    status(a["status"]),
                    a["attempts"],
                    duration(a.get("durationMs")),
                    f"kept from {a['keptFrom']}" if a.get("kept") else "",
                )
                for a in run["activities"]
            ],
        )
    if run.get("output") is not None:
        out.print("output: " + json.dumps(run["output"], ensure_ascii=False), markup=False)
    error = run.get("error")
    if error:
        out.print(f"[red]error[/] {error.get('code')}: ", end="")
        out.print(str(error.get("message")), markup=False)
        if error.get("stackTrace"):
            out.print(str(error["stackTrace"]).rstrip(), markup=False)


@runs_app.command("show")
def show(run_id: str, json_output: JsonOption = False) -> None:
    """A run with its activities in order, and its error and stack trace if it failed."""
    print_object(fetch(f"/v1/runs/{q(run_id)}"), json_output, show_run)


@runs_app.command("logs")
def logs(
    run_id: str,
    follow: Annotated[
        bool,
        typer.Option("--follow", "-f", help="Keep printing lines until the run ends."),
    ] = False,
    json_output: Annotated[
        bool,
        typer.Option(
            "--json",
            help="The API's log page (every line); with --follow one JSON object per line.",
        ),
    ] = False,
) -> None:
    """A run's log lines, oldest first."""
    with client() as api:
        if follow:
            follower = Follower(api, run_id, out, activities=False, logs_as_json=json_output)
            try:
                final = follower.follow()
            except KeyboardInterrupt:
                raise typer.Exit(EXIT_INTERRUPTED) from None
            state = final.get("status", "")
            err.print(f"{run_id} {state}", markup=False)
            raise typer.Exit(EXIT_FOR_STATUS.get(state, 1))
        page = api.page(f"/v1/runs/{q(run_id)}/logs", limit=1000, follow=True)
    if json_output:
        print_json(page)
        return
    printer = Follower(api, run_id, out)
    for line in page["items"]:
        printer.log(line)


@runs_app.command("retry")
def retry(run_id: str, watch_run: WatchOption = False, json_output: JsonOption = False) -> None:
    """Retry a failed or canceled run from its failed activity (the completed ones are kept)."""
    with client() as api:
        accepted = api.post(f"/v1/runs/{q(run_id)}/retry", {}, trigger="cli")
        started(api, accepted, f"retry of {run_id}", watch_run, json_output)


@runs_app.command("cancel")
def cancel(run_id: str, json_output: JsonOption = False) -> None:
    """Cancel a queued or running run (idempotent)."""
    with client() as api:
        run = api.post(f"/v1/runs/{q(run_id)}/cancel", {})
    if json_output:
        print_json(run)
    else:
        err.print(f"{run['id']} {run['status']}", markup=False)
