"""``layers media add|list|delete`` (a project's app media) and ``layers influencers
list|show``."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer

from layers.cli.client import q
from layers.cli.output import (
    AllOption,
    CursorOption,
    JsonOption,
    LimitOption,
    client,
    err,
    fetch,
    fetch_page,
    out,
    print_json,
    print_object,
    print_page,
    short_time,
    status,
)

media_app = typer.Typer(
    help="App media: the logo, screenshots, demo videos and end-card content is made from.",
    no_args_is_help=True,
)
influencers_app = typer.Typer(help="A project's influencers (AI personas).", no_args_is_help=True)

ProjectOption = Annotated[str, typer.Option("--project", help="The project (prj_…).")]


class Kind(StrEnum):
    logo = "logo"
    screenshot = "screenshot"
    demo_video = "demo-video"
    end_card = "end-card"


def size_text(byte_size: int | None) -> str:
    if byte_size is None:
        return ""
    if byte_size < 1024:
        return f"{byte_size} B"
    if byte_size < 1024 * 1024:
        return f"{byte_size / 1024:.1f} KB"
    return f"{byte_size / 1024 / 1024:.1f} MB"


def dimensions(media: dict[str, Any]) -> str:
    if media.get("width") and media.get("height"):
        return f"{media['width']}×{media['height']}"
    return ""


def show_media(media: dict[str, Any]) -> None:
    out.print(
        f"{media['id']}  {media.get('kind')}  {media.get('mimeType')}  {dimensions(media)}  "
        f"{size_text(media.get('byteSize'))}",
        markup=False,
    )
    out.print(f"from  {media.get('url')}", markup=False)
    out.print(f"file  {media.get('fileUrl')}", markup=False)


@media_app.command("add")
def add(
    project: ProjectOption,
    kind: Annotated[Kind, typer.Option("--kind", help="What it is.")],
    url: Annotated[str, typer.Option("--url", help="A public https URL Layers downloads.")],
    json_output: JsonOption = False,
) -> None:
    """Add app media from a URL (a logo or end-card replaces the previous one).

    The server downloads it (public addresses only), checks its type from the bytes, and keeps
    its own copy. Prints the media id (med_…).
    """
    with client() as api:
        media = api.post(f"/v1/projects/{q(project)}/app-media", {"kind": kind.value, "url": url})
    if json_output:
        print_json(media)
        return
    err.print(
        f"Added {media['kind']}: {media['mimeType']} {dimensions(media)} "
        f"{size_text(media.get('byteSize'))}.",
        markup=False,
    )
    out.print(media["id"])


@media_app.command("list")
def list_media(
    project: ProjectOption,
    kind: Annotated[Kind | None, typer.Option("--kind", help="Only this kind.")] = None,
    limit: LimitOption = 50,
    all_pages: AllOption = False,
    cursor: CursorOption = None,
    json_output: JsonOption = False,
) -> None:
    """A project's app media, with their real type, dimensions and size."""
    page = fetch_page(
        f"/v1/projects/{q(project)}/app-media",
        limit=min(limit, 100),
        all_pages=all_pages,
        cursor=cursor,
        kind=kind.value if kind else None,
    )
    print_page(
        page,
        json_output,
        ["id", "kind", "type", "pixels", "size", "added"],
        lambda m: (
            m["id"],
            m.get("kind"),
            m.get("mimeType"),
            dimensions(m),
            size_text(m.get("byteSize")),
            short_time(m.get("createdAt")),
        ),
    )


@media_app.command("delete")
def delete(media_id: str, project: ProjectOption, json_output: JsonOption = False) -> None:
    """Remove app media from the project (content already made keeps its own copy)."""
    with client() as api:
        result = api.delete(f"/v1/projects/{q(project)}/app-media/{q(media_id)}")
    if json_output:
        print_json(result)
    else:
        err.print(f"Deleted {result['id']}.", markup=False)


# ---- influencers ----


@influencers_app.command("list")
def list_influencers(
    project: ProjectOption,
    state: Annotated[
        str | None, typer.Option("--status", help="pending, training, ready or failed.")
    ] = None,
    limit: LimitOption = 25,
    all_pages: AllOption = False,
    cursor: CursorOption = None,
    json_output: JsonOption = False,
) -> None:
    """A project's influencers; content needs a ready one."""
    page = fetch_page(
        f"/v1/projects/{q(project)}/influencers",
        limit=min(limit, 100),
        all_pages=all_pages,
        cursor=cursor,
        status=state,
    )
    print_page(
        page,
        json_output,
        ["id", "name", "status", "gender", "age", "created"],
        lambda i: (
            i["influencerId"],
            i.get("name"),
            status(i.get("status")),
            i.get("gender"),
            i.get("ageRange"),
            short_time(i.get("createdAt")),
        ),
    )


def show_influencer(influencer: dict[str, Any]) -> None:
    out.print(
        f"{influencer['influencerId']}  {influencer.get('name') or ''}  "
        f"{status(influencer.get('status'))}"
    )
    for label, key in (
        ("gender", "gender"),
        ("age", "ageRange"),
        ("voice", "brandVoice"),
        ("language", "language"),
        ("image", "imageUrl"),
        ("error", "errorMessage"),
    ):
        if influencer.get(key):
            out.print(f"{label:<9} {influencer[key]}", markup=False)


@influencers_app.command("show")
def show_one(influencer_id: str, json_output: JsonOption = False) -> None:
    """One influencer, with its status and image."""
    print_object(fetch(f"/v1/influencers/{q(influencer_id)}"), json_output, show_influencer)
