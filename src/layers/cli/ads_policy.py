"""``layers ads authority show|set``: the ad layer's authority per axis (``off | draft |
auto``), a campaign's own block, and the kill switch, over the Ads API."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer

from layers.cli.client import UsageError, q
from layers.cli.output import JsonOption, client, out, print_object, table

authority_app = typer.Typer(help="Authority per axis and the kill switch.", no_args_is_help=True)


class Platform(StrEnum):
    meta = "meta"
    tiktok = "tiktok"


class Mode(StrEnum):
    off = "off"
    draft = "draft"
    auto = "auto"


ProjectArg = Annotated[str, typer.Argument(help="The project (prj_…).")]
PlatformOption = Annotated[Platform, typer.Option(help="meta or tiktok.")]


def _show_authority(d: dict[str, Any]) -> None:
    axes = d.get("defaults") or d.get("authority") or {}
    table(("Axis", "Mode"), [(axis, mode) for axis, mode in axes.items()])
    where = f"campaign {d['campaignId']} ({d['source']})" if "campaignId" in d else "defaults"
    kill = "[red]ON: every write is denied[/]" if d["killSwitchActive"] else "off"
    out.print(f"layer {d['layerId']} · {where} · kill switch {kill}")


@authority_app.command("show")
def authority_show(
    project_id: ProjectArg,
    platform: PlatformOption = Platform.meta,
    layer: Annotated[str | None, typer.Option("--layer", help="The ad layer (lyr_…).")] = None,
    campaign: Annotated[str | None, typer.Option(help="A campaign's own authority.")] = None,
    json_output: JsonOption = False,
) -> None:
    """The layer's defaults (or a campaign's authority) and the kill switch."""
    base = f"/v1/projects/{q(project_id)}/ads/{platform.value}"
    with client() as api:
        if campaign:
            data = api.get(f"{base}/campaigns/{q(campaign)}/authority")
        else:
            data = api.get(f"{base}/defaults", layerId=layer)
    print_object(data, json_output, _show_authority)


@authority_app.command("set")
def authority_set(
    project_id: ProjectArg,
    platform: PlatformOption = Platform.meta,
    layer: Annotated[str | None, typer.Option("--layer", help="The ad layer (lyr_…).")] = None,
    campaign: Annotated[str | None, typer.Option(help="Set a campaign's own block.")] = None,
    creative: Annotated[Mode | None, typer.Option(help="off, draft or auto.")] = None,
    tactical: Annotated[Mode | None, typer.Option(help="off, draft or auto.")] = None,
    structural: Annotated[Mode | None, typer.Option(help="off, draft or auto.")] = None,
    kill_switch: Annotated[
        bool | None,
        typer.Option("--kill-switch/--no-kill-switch", help="Deny every write of the layer."),
    ] = None,
    use_defaults: Annotated[
        bool, typer.Option("--use-defaults", help="A campaign: back to the layer's defaults.")
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """Change the authority per axis (``off | draft | auto``) or the kill switch."""
    axes = {
        name: mode.value
        for name, mode in (
            ("creative", creative),
            ("tactical", tactical),
            ("structural", structural),
        )
        if mode is not None
    }
    base = f"/v1/projects/{q(project_id)}/ads/{platform.value}"
    with client() as api:
        if campaign:
            if kill_switch is not None:
                raise UsageError("The kill switch is the layer's: leave --campaign out.")
            body: dict[str, Any] = (
                {"useLayerDefaults": True} if use_defaults else {"authority": axes}
            )
            data = api.patch(f"{base}/campaigns/{q(campaign)}/authority", body)
        else:
            if not axes and kill_switch is None:
                raise UsageError("Nothing to change: give an axis or --kill-switch.")
            body = {"layerId": layer} if layer else {}
            if axes:
                body["defaults"] = axes
            if kill_switch is not None:
                body["killSwitchActive"] = kill_switch
            data = api.patch(f"{base}/defaults", body)
    print_object(data, json_output, _show_authority)
