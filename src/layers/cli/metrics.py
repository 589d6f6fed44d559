"""``layers metrics show|top|override``: what the posts did, read through the metrics API.

``show`` prints each metric's total and a one-line sparkline of its series; ``top`` the
ranked creatives with their organic score and ad eligibility; ``override`` includes or
excludes a creative from ads whatever its score (``clear`` goes back to the score).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer

from layers.cli.client import q
from layers.cli.output import JsonOption, client, out, print_json, print_object, table

metrics_app = typer.Typer(
    help="Post metrics: totals and series, top performers, ad overrides.", no_args_is_help=True
)

BARS = "▁▂▃▄▅▆▇█"


class Scope(StrEnum):
    project = "project"
    social_account = "social_account"
    project_layer = "project_layer"
    platform_post = "platform_post"
    organization = "organization"


class Choice(StrEnum):
    include = "include"
    exclude = "exclude"
    clear = "clear"


def sparkline(values: list[float]) -> str:
    """``[0, 2, 5, 3]`` → ``▁▄█▅`` (an empty line for no values)."""
    if not values:
        return ""
    top = max(values)
    if top <= 0:
        return BARS[0] * len(values)
    return "".join(BARS[min(len(BARS) - 1, int(v / top * (len(BARS) - 1) + 0.5))] for v in values)


def _shown(metric: str, value: float) -> str:
    if metric == "engagement_rate":
        return f"{value * 100:.1f} %"
    return f"{value:,.0f}"


@metrics_app.command("show")
def show(
    project_id: Annotated[str, typer.Argument(help="The project (prj_…).")],
    scope: Annotated[Scope, typer.Option(help="What to measure.")] = Scope.project,
    id_: Annotated[
        str | None, typer.Option("--id", help="The scoped object's id (default: the project).")
    ] = None,
    metric: Annotated[
        list[str] | None, typer.Option("--metric", help="A metric (repeatable); default bundle.")
    ] = None,
    since: Annotated[str | None, typer.Option(help="ISO 8601; default 30 days ago.")] = None,
    until: Annotated[str | None, typer.Option(help="ISO 8601; default now.")] = None,
    granularity: Annotated[str, typer.Option(help="hour, day or week.")] = "day",
    json_output: JsonOption = False,
) -> None:
    """Totals and a sparkline of each metric over the window."""
    with client() as api:
        data = api.get(
            f"/v1/projects/{q(project_id)}/metrics",
            scope=scope.value,
            id=id_ or (project_id if scope is Scope.project else None),
            metrics=metric or None,
            since=since,
            until=until,
            granularity=granularity,
        )

    def render(body: dict[str, Any]) -> None:
        rows = []
        for series in body["series"]:
            name = series["metric"]
            values = [point["value"] for point in series["points"]]
            rows.append((name, _shown(name, body["totals"].get(name, 0.0)), sparkline(values)))
        table(("Metric", "Total", f"By {body['granularity']}"), rows)
        out.print(f"{body['since'][:10]} → {body['until'][:10]}", style="dim", markup=False)

    print_object(data, json_output, render)


@metrics_app.command("top")
def top(
    project_id: Annotated[str, typer.Argument(help="The project (prj_…).")],
    metric: Annotated[str, typer.Option(help="views, engagement_rate or watch_time_ms.")] = "views",
    window: Annotated[str, typer.Option(help="7d, 30d or 90d.")] = "30d",
    limit: Annotated[int, typer.Option(min=1, max=100)] = 10,
    all_: Annotated[
        bool, typer.Option("--all", help="Include creatives not eligible for ads.")
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """The best creatives, ranked, with their organic score (0–10) and ad eligibility."""
    with client() as api:
        data = api.get(
            f"/v1/projects/{q(project_id)}/top-performers",
            metric=metric,
            window=window,
            limit=limit,
            includeIneligible="true" if all_ else None,
        )
    if json_output:
        print_json(data)
        return
    table(
        ("#", "Creative", "Views", "Engagement", "Posts", "Score", "Ads"),
        [
            (
                row["rank"],
                row["sourceId"],
                f"{row['views']:,}",
                f"{row['engagementRate'] * 100:.1f} %",
                row["posts"],
                "—" if row["organicScore"] is None else row["organicScore"],
                ("eligible" if row["eligible"] else "not eligible")
                + (f" ({row['override']})" if row["override"] else ""),
            )
            for row in data["items"]
        ],
    )
    if not data["items"]:
        out.print("No published post has been read back yet.", style="dim")


@metrics_app.command("override")
def override(
    project_id: Annotated[str, typer.Argument(help="The project (prj_…).")],
    container_id: Annotated[str, typer.Argument(help="The creative (cnt_…).")],
    choice: Annotated[Choice, typer.Argument(help="include, exclude or clear.")],
    json_output: JsonOption = False,
) -> None:
    """Include a creative in ads whatever its score, exclude it, or go back to its score."""
    body = {"override": None if choice is Choice.clear else choice.value}
    with client() as api:
        data = api.request(
            "PUT",
            f"/v1/projects/{q(project_id)}/top-performers/{q(container_id)}/override",
            body=body,
        ).json()
    print_object(
        data, json_output, lambda d: out.print(f"{d['containerId']}: {d['override'] or 'by score'}")
    )
