"""View models: what each console screen shows, read through the same service functions (and
output models) as the Partner API's twins of those screens."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from layers.console import forms, publish_notes, twins
from layers.content import service as content
from layers.engine.catalog import registry
from layers.engine.catalog import service as catalog
from layers.engine.catalog.schemas import TemplateOut
from layers.engine.project_layers import outputs as layer_outputs
from layers.engine.project_layers import service as layers
from layers.engine.project_layers.schemas import LayerOut
from layers.engine.runs import outputs as run_outputs
from layers.engine.runs import service as runs
from layers.engine.runs.schemas import RunDetail, RunOut
from layers.jobs import service as jobs
from layers.kit import clock
from layers.kit.errors import LayersError
from layers.models.content import ContentContainer
from layers.orgs.service import Principal
from layers.projects import service as projects
from layers.projects.influencers import service as influencers
from layers.projects.keywords import service as keywords
from layers.projects.media import service as media
from layers.projects.schemas import ProjectOut
from layers.publishing.scheduling import service as scheduling
from layers.publishing.scheduling.schemas import ScheduledPostOut
from layers.social import service as social

TERMINAL_RUN = frozenset({"completed", "failed", "canceled"})
GENERATING = frozenset({"queued", "processing"})
EARLIEST_DAY, LATEST_DAY = date(1000, 1, 1), date(9000, 12, 31)  # calendar anchors


def project_list(
    session: Session, principal: Principal, search: str | None, status: str | None = None
) -> list[ProjectOut]:
    rows, _ = projects.page(
        session,
        principal,
        cursor=None,
        limit=200,
        customer_external_id=None,
        status=status,
        search=search or None,
    )
    return [projects.to_out(p) for p in rows]


def project_count(session: Session, principal: Principal, status: str) -> int:
    return projects.count(session, principal, status=status)


def project(session: Session, principal: Principal, project_id: str) -> ProjectOut:
    return projects.to_out(projects.get(session, principal, project_id))


def project_overview(session: Session, principal: Principal, project_id: str) -> dict[str, Any]:
    row = projects.get(session, principal, project_id)
    people, _ = influencers.page(session, row, status=None, cursor=None, limit=24)
    assets, _ = media.page(session, principal, project_id, kind=None, cursor=None, limit=50)
    installed, _ = layers.page(session, principal, cursor=None, limit=200, project_id=row.id)
    accounts, _ = social.page(
        session, row, platform=None, status=None, leased=None, cursor=None, limit=200
    )
    return {
        "project": projects.to_out(row),
        "keywords": keywords.bank(session, row),
        "influencers": [influencers.summary(i) for i in people],
        "media": [media.to_out(m) for m in assets],
        "layer_count": len([layer for layer in installed if layer.status != "uninstalled"]),
        "account_count": len([a for a in accounts if a.status != "disconnected"]),
    }


def project_layers(session: Session, principal: Principal, project_id: str) -> list[LayerOut]:
    row = projects.get(session, principal, project_id)
    rows, _ = layers.page(session, principal, cursor=None, limit=200, project_id=row.id)
    return layer_outputs.to_outs(session, rows)


def account_options(
    session: Session, principal: Principal, project_id: str
) -> list[tuple[str, str]] | None:
    """The project's connected accounts for a select, or None when the key may not list them."""
    if not twins.allows(principal, "GET /v1/projects/{project_id}/social-accounts"):
        return None
    row = projects.get(session, principal, project_id)
    rows, _ = social.page(
        session, row, platform=None, status="connected", leased=None, cursor=None, limit=200
    )
    return [(a.id, f"{a.platform} · @{a.handle or a.id}") for a in rows]


def layer_options(
    session: Session, principal: Principal, project_id: str, exclude: str | None = None
) -> list[tuple[str, str]]:
    """The project's other layers for a list to tick (a config's layer references)."""
    return [
        (layer.id, f"{layer.name} · {layer.status}")
        for layer in project_layers(session, principal, project_id)
        if layer.id != exclude and layer.status != "uninstalled"
    ]


def catalog_view(session: Session, principal: Principal, project_id: str | None) -> dict[str, Any]:
    templates: list[TemplateOut] = [catalog.to_out(t) for t in registry.latest()]
    all_projects = (
        project_list(session, principal, None)
        if twins.allows(principal, "GET /v1/projects")
        else []
    )
    selected = next((p for p in all_projects if p.id == project_id), None)
    accounts = account_options(session, principal, selected.id) if selected else None
    installs = []
    for template in templates:
        installs.append(
            {
                "template": template,
                "fields": forms.fields(
                    template.config_schema,
                    template.default_config,
                    "cfg",
                    accounts=accounts,
                    layers=layer_options(session, principal, selected.id) if selected else None,
                ),
                "commands": [
                    (cid, cmd)
                    for cid, cmd in template.commands.items()
                    if cmd.trigger != "internal"
                ],
                "internal": [
                    cid for cid, cmd in template.commands.items() if cmd.trigger == "internal"
                ],
                "default_json": json.dumps(template.default_config, indent=2),
            }
        )
    return {"installs": installs, "projects": all_projects, "selected": selected}


def layer_view(session: Session, principal: Principal, layer_id: str) -> dict[str, Any]:
    row = layers.get(session, principal, layer_id)
    out = layer_outputs.to_out(session, row)
    template = registry.for_layer(row)
    schema = template.published_config_schema() if template else {}
    return {
        "layer": out,
        "project": projects.to_out(projects.get(session, principal, row.project_id)),
        "schema": schema,
        "row": row,
    }


def config_tab(
    session: Session, principal: Principal, layer_id: str, data: dict[str, Any]
) -> dict[str, Any]:
    row = data["row"]
    history, _ = layers.history_page(session, row, cursor=None, limit=50)
    accounts = account_options(session, principal, row.project_id)
    return {
        "fields": forms.fields(
            data["schema"],
            row.config,
            "cfg",
            accounts=accounts,
            layers=layer_options(session, principal, row.project_id, exclude=row.id),
        ),
        "config_json": json.dumps(row.config, indent=2, sort_keys=True),
        "history": [layer_outputs.version_out(v) for v in history],
    }


def commands_tab(data: dict[str, Any]) -> dict[str, Any]:
    layer: LayerOut = data["layer"]
    rows = []
    for command_id, command in layer.commands.items():
        schema = command.parameters_schema
        has_form = bool(schema and schema.get("properties"))
        rows.append(
            {
                "id": command_id,
                "command": command,
                "executable": command.trigger == "executable",
                "fields": forms.fields(schema, {}, "param") if has_form else [],
                "json": not has_form,
            }
        )
    return {"commands": rows}


def runs_tab(
    session: Session, principal: Principal, layer_id: str, selected: str | None
) -> dict[str, Any]:
    rows, _ = runs.page(
        session,
        principal,
        cursor=None,
        limit=30,
        layer_id=layer_id,
        command_id=None,
        status=None,
        trigger=None,
    )
    items: list[RunOut] = [run_outputs.to_out(r) for r in rows]
    run_id = selected or (items[0].id if items else None)
    panel = run_panel(session, principal, run_id) if run_id else None
    live = any(r.status not in TERMINAL_RUN for r in items)
    return {"runs": items, "selected": run_id, "panel": panel, "runs_live": live}


def run_panel(session: Session, principal: Principal, run_id: str) -> dict[str, Any]:
    row = runs.get(session, principal, run_id)
    detail: RunDetail = run_outputs.detail(session, row)
    now = clock.now()
    beats = {}
    for activity in detail.activities:
        if activity.status == "running" and activity.last_heartbeat_at is not None:
            beats[activity.id] = int((now - activity.last_heartbeat_at).total_seconds())
    return {
        "run": detail,
        "live": detail.status not in TERMINAL_RUN,
        "heartbeat_age": beats,
        "retryable": detail.status in ("failed", "canceled"),
        "cancelable": detail.status in ("queued", "running"),
    }


def run_logs(session: Session, principal: Principal, run_id: str, after: int) -> dict[str, Any]:
    row = runs.get(session, principal, run_id)
    lines = runs.logs_after(session, row.id, after, limit=500)
    last = lines[-1].id if lines else after
    return {
        "lines": [run_outputs.log_out(line) for line in lines],
        "after": last,
        "live": row.status not in TERMINAL_RUN or len(lines) == 500,
        "run_id": row.id,
    }


# ---- calendar ----


@dataclass
class Day:
    date: date
    posts: list[ScheduledPostOut]
    today: bool


def calendar(
    session: Session,
    principal: Principal,
    project_id: str,
    *,
    layer_id: str | None,
    start: str | None,
    view: str,
) -> dict[str, Any]:
    """Seven days (or one) from `start` in the project's timezone, with their scheduled posts."""
    row = projects.get(session, principal, project_id)
    zone = ZoneInfo(row.timezone)
    today = clock.now().astimezone(zone).date()
    try:
        anchor = date.fromisoformat(start) if start else today
    except ValueError:
        anchor = today
    if not EARLIEST_DAY <= anchor <= LATEST_DAY:  # the week around it must stay a real date
        anchor = today
    # A rolling week from the anchor (today by default): what is coming up, not what was.
    count = 1 if view == "day" else 7
    first, step = anchor, timedelta(days=count)
    since = datetime.combine(first, time.min, zone).astimezone(UTC)
    until = datetime.combine(first + timedelta(days=count), time.min, zone).astimezone(UTC)
    rows, _ = scheduling.page(
        session,
        principal,
        row.id,
        statuses=[],
        social_account_id=None,
        layer_id=layer_id,
        since=since,
        until=until - timedelta(microseconds=1),
        cursor=None,
        limit=2000,
    )
    accounts = scheduling.accounts(session, rows)
    outs = sorted(
        (scheduling.to_out(p, accounts.get(p.social_account_id)) for p in rows),
        key=lambda p: p.scheduled_for,
    )
    contents: dict[str, Any] = {}
    shown = twins.allows(principal, "GET /v1/content/{container_id}")
    for container_id in {p.container_id for p in outs if p.container_id and shown}:
        try:
            contents[container_id] = content.to_out(
                session, content.get(session, principal, container_id)
            )
        except LayersError:
            continue
    days = []
    for offset in range(count):
        day = first + timedelta(days=offset)
        posts = [p for p in outs if p.scheduled_for.astimezone(zone).date() == day]
        days.append(Day(day, posts, day == today))
    counts: dict[str, int] = {}
    for post in outs:
        counts[post.internal_status] = counts.get(post.internal_status, 0) + 1
    return {
        "days": days,
        "zone": row.timezone,
        "view": view,
        "first": first,
        "prev": (first - step).isoformat(),
        "next": (first + step).isoformat(),
        "today": today.isoformat(),
        "counts": counts,
        "total": len(outs),
        "contents": contents,
        "notes": publish_notes.for_posts(session, principal, outs),
    }


# ---- content, accounts ----


def content_library(session: Session, principal: Principal, project_id: str) -> dict[str, Any]:
    rows, _ = content.page(
        session, principal, project_id, statuses=[], formats=[], cursor=None, limit=60
    )
    items = []
    generating = False
    for container in rows:
        out = content.to_out(session, container)
        job = _job_of(session, principal, container)
        if out.status.value in GENERATING:
            generating = True
        items.append({"content": out, "job": job})
    return {"items": items, "generating": generating}


def _job_of(session: Session, principal: Principal, container: ContentContainer) -> Any:
    if not container.job_id or not twins.allows(principal, "GET /v1/jobs/{job_id}"):
        return None
    try:
        job = jobs.get(
            session, org_id=principal.org_id, livemode=principal.livemode, job_id=container.job_id
        )
    except LayersError:
        return None
    return jobs.to_out(job)


def accounts_view(session: Session, principal: Principal, project_id: str) -> list[dict[str, Any]]:
    row = projects.get(session, principal, project_id)
    rows, _ = social.page(
        session, row, platform=None, status=None, leased=None, cursor=None, limit=200
    )
    return [
        {"account": social.to_out(a), "health": social.health_of(session, a)}
        for a in rows
        if a.status != "disconnected"
    ]
