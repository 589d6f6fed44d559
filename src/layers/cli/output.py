"""What the remote commands share: the client from the global options, the `--json`
contract (a page or an object, as JSON or for people), tables, and parsing ``key=value``
arguments."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from layers.cli import config
from layers.cli.client import Client, UsageError

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)
if not out.is_terminal and "COLUMNS" not in os.environ:
    out.width = 160  # piped: keep ids on one line

JsonOption = Annotated[
    bool, typer.Option("--json", help="Print the API's JSON document only (nothing else).")
]
LimitOption = Annotated[
    int, typer.Option("--limit", min=1, max=200, help="Items per page (the API's limit).")
]
AllOption = Annotated[bool, typer.Option("--all", help="Follow the cursor through every page.")]
CursorOption = Annotated[
    str | None, typer.Option("--cursor", help="Start from this page (a previous nextCursor).")
]

STATUS_STYLE = {
    "completed": "green",
    "active": "green",
    "ready": "green",
    "connected": "green",
    "failed": "red",
    "canceled": "yellow",
    "paused": "yellow",
    "archived": "yellow",
    "uninstalled": "dim",
    "running": "cyan",
    "installing": "cyan",
    "queued": "cyan",
}


# The global options of this invocation (``layers --api-key … --base-url … <command>``).
GLOBAL_OPTIONS: dict[str, str | None] = {}


def client(*, require_key: bool = True) -> Client:
    """A client for the global ``--api-key`` / ``--base-url`` (else env, else `layers login`)."""
    profile = config.resolve(GLOBAL_OPTIONS.get("api_key"), GLOBAL_OPTIONS.get("base_url"))
    return Client(profile, require_key=require_key)


def print_json(data: Any) -> None:
    """The API's JSON document, alone on stdout."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def fetch(path: str) -> Any:
    """``GET path`` with the client of this invocation."""
    with client() as api:
        return api.get(path)


def fetch_page(
    path: str, *, limit: int, all_pages: bool, cursor: str | None, **filters: Any
) -> dict[str, Any]:
    """A list endpoint's page for the ``--limit`` / ``--all`` / ``--cursor`` options (filters
    that are ``None`` are left out)."""
    with client() as api:
        page: dict[str, Any] = api.page(
            path, limit=limit, follow=all_pages, cursor=cursor, **filters
        )
    return page


def print_object(data: Any, json_output: bool, render: Callable[[Any], None]) -> None:
    """With ``--json`` the API's document alone, else ``render(data)``."""
    if json_output:
        print_json(data)
    else:
        render(data)


def print_page(
    page: dict[str, Any],
    json_output: bool,
    columns: Sequence[str],
    row: Callable[[dict[str, Any]], Sequence[Any]],
    *,
    more: bool = True,
) -> None:
    """With ``--json`` the page document alone, else a table of its items (``row`` gives an
    item's cells) and, when ``more``, the hint for the next page."""
    if json_output:
        print_json(page)
        return
    table(columns, [row(item) for item in page["items"]])
    if more:
        more_hint(page)


def status(value: str | None) -> str:
    if not value:
        return ""
    style = STATUS_STYLE.get(value)
    return f"[{style}]{value}[/]" if style else value


def table(columns: Sequence[str], rows: Iterable[Sequence[Any]], title: str | None = None) -> None:
    grid = Table(title=title, header_style="bold", title_justify="left")
    for name in columns:
        grid.add_column(name, overflow="fold")
    for row in rows:
        grid.add_row(*("" if cell is None else str(cell) for cell in row))
    out.print(grid)


def more_hint(page: dict[str, Any]) -> None:
    cursor = page.get("nextCursor")
    if cursor:
        err.print(f"more: --cursor {cursor} (or --all)", markup=False)


def short_time(value: str | None) -> str:
    """``2026-05-15T09:00:00.123Z`` → ``2026-05-15 09:00:00``."""
    if not value:
        return ""
    return value.replace("T", " ")[:19]


def duration(ms: int | float | None) -> str:
    if ms is None:
        return ""
    if ms < 1000:
        return f"{int(ms)} ms"
    seconds = ms / 1000
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes} min {rest} s"


def parse_value(text: str) -> Any:
    """JSON when it parses (numbers, booleans, null, objects, arrays, quoted strings), else the
    text as a string."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_assignments(pairs: Sequence[str], option: str) -> dict[str, Any]:
    """``key=value`` pairs into an object; a dotted key nests (``schedule.cron=…``)."""
    result: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"{option} expects key=value, got {pair!r}")
        target = result
        parts = key.split(".")
        for part in parts[:-1]:
            nested = target.setdefault(part, {})
            if not isinstance(nested, dict):
                raise UsageError(f"{option}: {key!r} conflicts with an earlier value")
            target = nested
        target[parts[-1]] = parse_value(raw)
    return result


def parse_json_object(text: str, option: str) -> dict[str, Any]:
    """A JSON object from the option's text, or from a file with ``@path``."""
    if text.startswith("@"):
        try:
            with open(text[1:], encoding="utf-8") as handle:
                text = handle.read()
        except OSError as exc:
            raise UsageError(f"{option}: cannot read {text[1:]}: {exc.strerror}") from exc
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise UsageError(f"{option} is not valid JSON: {exc}") from exc
    except RecursionError:
        raise UsageError(f"{option} is nested too deeply") from None
    if not isinstance(value, dict):
        raise UsageError(f"{option} must be a JSON object")
    return value


def object_from_options(
    text: str | None, text_option: str, pairs: Sequence[str] | None, pairs_option: str
) -> dict[str, Any]:
    """An object given as JSON (``--x-json '{…}'`` or ``@file.json``) with ``key=value`` pairs
    merged over it (``--x key=value``, repeatable)."""
    base = parse_json_object(text, text_option) if text else {}
    return merge(base, parse_assignments(pairs or [], pairs_option))


def merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """``extra`` over ``base``, merging nested objects."""
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged
