"""``layers login``, ``logout`` and ``whoami``."""

from __future__ import annotations

import os
from typing import Annotated, Any

import typer

from layers.cli import config
from layers.cli.client import Client, UsageError
from layers.cli.output import JsonOption, err, out, print_object
from layers.cli.output import client as make_client


def _describe(me: dict[str, Any]) -> str:
    mode = "live" if me.get("livemode") else "test"
    return f"{me.get('organizationName')} ({me.get('organizationId')}), {mode} mode"


def login(
    api_key: Annotated[
        str | None,
        typer.Option(
            "--api-key", help="The key (lp_live_… or lp_test_…); asked for when not given."
        ),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option("--base-url", help=f"The server (default {config.DEFAULT_BASE_URL})."),
    ] = None,
) -> None:
    """Check a key with GET /v1/whoami, then keep it and the server's URL in the config file."""
    stored = config.load_file()
    url = config.normalize_base_url(
        base_url
        or os.environ.get("LAYERS_BASE_URL")
        or stored.get("base_url")
        or config.DEFAULT_BASE_URL
    )
    key = api_key or os.environ.get("LAYERS_API_KEY")
    if not key:
        key = typer.prompt("API key", hide_input=True)
    key = key.strip()
    if not key:
        raise UsageError("an API key is required")
    with Client(config.Profile(base_url=url, api_key=key)) as api:
        me = api.get("/v1/whoami")
    path = config.save(url, key)
    err.print(f"Logged in to {url} as {_describe(me)}.", markup=False)
    err.print(f"Saved to {path}", markup=False)


def logout() -> None:
    """Forget the stored key (the key itself stays valid)."""
    if config.remove():
        err.print(f"Removed {config.config_path()}", markup=False)
    else:
        err.print("Not logged in.")


def whoami(json_output: JsonOption = False) -> None:
    """The organization, mode and scopes of the current key."""
    with make_client() as api:
        me = api.get("/v1/whoami")
        print_object(me, json_output, lambda doc: _show_me(doc, api.base_url))


def _show_me(me: dict[str, Any], server: str) -> None:
    out.print(f"organization  {me.get('organizationName')} ({me.get('organizationId')})")
    if me.get("parentOrganizationId"):
        out.print(f"parent        {me['parentOrganizationId']}")
    out.print(f"key           {me.get('apiKeyId')}")
    out.print(f"mode          {'live' if me.get('livemode') else 'test'}")
    out.print(f"scopes        {', '.join(me.get('scopes', []))}", markup=False)
    out.print(f"credits       {me.get('creditBalance')}")
    out.print(f"server        {server}")
