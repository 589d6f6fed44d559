"""``layers projects list|create|show``."""

from __future__ import annotations

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
    parse_json_object,
    print_json,
    print_object,
    print_page,
    short_time,
    status,
)

projects_app = typer.Typer(help="Projects (brands).", no_args_is_help=True)


def show_project(project: dict[str, Any]) -> None:
    rows = [
        ("id", project.get("id")),
        ("name", project.get("name")),
        ("status", status(project.get("status"))),
        ("mode", "live" if project.get("livemode") else "test"),
        ("timezone", project.get("timezone")),
        ("language", project.get("primaryLanguage")),
        ("app name", project.get("appName")),
        ("tagline", project.get("tagline")),
        ("brand voice", project.get("brandVoice")),
        ("target gender", project.get("targetGender")),
        ("external id", project.get("customerExternalId")),
        ("owner email", project.get("ownerEmail")),
        ("keywords refreshed", short_time(project.get("keywordsRefreshedAt")) or "not yet"),
        ("created", short_time(project.get("createdAt"))),
    ]
    for label, value in rows:
        if value not in (None, ""):
            out.print(f"{label:<19} {value}")
    if project.get("appDescription"):
        out.print(f"{'app description':<19} {project['appDescription']}", markup=False)


@projects_app.command("list")
def list_projects(
    search: Annotated[str | None, typer.Option(help="Names containing this text.")] = None,
    state: Annotated[str | None, typer.Option("--status", help="active or archived.")] = None,
    external_id: Annotated[
        str | None, typer.Option("--external-id", help="Your customerExternalId.")
    ] = None,
    limit: LimitOption = 25,
    all_pages: AllOption = False,
    cursor: CursorOption = None,
    json_output: JsonOption = False,
) -> None:
    """The organization's projects, newest first."""
    page = fetch_page(
        "/v1/projects",
        limit=limit,
        all_pages=all_pages,
        cursor=cursor,
        search=search,
        status=state,
        customerExternalId=external_id,
    )
    print_page(
        page,
        json_output,
        ["id", "name", "status", "timezone", "app", "created"],
        lambda p: (
            p["id"],
            p["name"],
            status(p["status"]),
            p["timezone"],
            p.get("appName"),
            short_time(p.get("createdAt")),
        ),
    )


@projects_app.command("create")
def create_project(
    name: Annotated[str, typer.Argument(help="3–30 characters.")],
    timezone: Annotated[
        str, typer.Option("--timezone", "-z", help="IANA timezone, e.g. America/Los_Angeles.")
    ],
    app_name: Annotated[str | None, typer.Option(help="The app's name (3–30).")] = None,
    app_description: Annotated[
        str | None,
        typer.Option(help="100–1000 characters; starts keyword research and an influencer."),
    ] = None,
    tagline: Annotated[str | None, typer.Option(help="Up to 80 characters.")] = None,
    brand_voice: Annotated[
        str | None,
        typer.Option(help="authentic, witty, professional, warm, casual or educational."),
    ] = None,
    target_gender: Annotated[str | None, typer.Option(help="all, female or male.")] = None,
    language: Annotated[str | None, typer.Option(help="BCP 47 (default en).")] = None,
    external_id: Annotated[
        str | None, typer.Option("--external-id", help="Your own id for it.")
    ] = None,
    owner_email: Annotated[str | None, typer.Option(help="Who owns it.")] = None,
    data: Annotated[
        str | None,
        typer.Option("--data", help="More fields as a JSON object (or @file.json); options win."),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Create a project."""
    body: dict[str, Any] = parse_json_object(data, "--data") if data else {}
    fields = {
        "name": name,
        "timezone": timezone,
        "appName": app_name,
        "appDescription": app_description,
        "tagline": tagline,
        "brandVoice": brand_voice,
        "targetGender": target_gender,
        "primaryLanguage": language,
        "customerExternalId": external_id,
        "ownerEmail": owner_email,
    }
    body.update({k: v for k, v in fields.items() if v is not None})
    with client() as api:
        project = api.post("/v1/projects", body)
    if json_output:
        print_json(project)
        return
    err.print(f"Created project {project['id']}.", markup=False)
    show_project(project)


@projects_app.command("show")
def show(project_id: str, json_output: JsonOption = False) -> None:
    """One project."""
    print_object(fetch(f"/v1/projects/{q(project_id)}"), json_output, show_project)
