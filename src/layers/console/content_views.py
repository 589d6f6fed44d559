"""View models of the Generate screen and a content's page, read through the same service
functions (and output models) as their Partner API twins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from layers.console import publish_notes, twins
from layers.content import service as content
from layers.content.schemas import ContainerOut
from layers.content.sources import service as sources
from layers.content.sources.schemas import SourceList
from layers.engine.catalog import registry
from layers.engine.project_layers import service as layers
from layers.jobs import service as jobs
from layers.jobs.schemas import JobOut
from layers.kit import clock
from layers.kit.errors import LayersError, MissingFields
from layers.models.projects import Project
from layers.orgs.service import Principal
from layers.projects import service as projects
from layers.projects.influencers import service as influencers
from layers.projects.influencers.schemas import InfluencerSummary
from layers.projects.media import service as media
from layers.projects.schemas import ProjectOut
from layers.publishing.scheduling import service as scheduling
from layers.publishing.scheduling.schemas import ScheduledPostOut
from layers.social import service as social

GENERATING = content.GENERATING
STAGES = (
    ("queued", "Queued"),
    ("sourcing", "Reading the source"),
    ("writing", "Writing the text"),
    ("generating_visuals", "Rendering"),
    ("finalizing", "Finishing"),
)
ATTACH_COMMAND = "attach-to-schedule"
SLOT_LOOKAHEAD = timedelta(days=120)


@dataclass(frozen=True)
class Format:
    id: str
    label: str
    help: str
    source_kind: str | None  # the kind of TikTok source a remix needs; None: takes a hook
    needs_demo_video: bool = False


FORMATS = (
    Format(
        "slideshow-remix",
        "Slideshow remix",
        "A TikTok slideshow, its text rewritten in your brand's voice and re-rendered with "
        "your influencer, screenshots and logo.",
        "slideshow",
    ),
    Format(
        "video-remix",
        "Video remix",
        "A TikTok video's overlay text rewritten over your demo video (or the source's "
        "footage), opened by your influencer and closed by your logo.",
        "video",
    ),
    Format(
        "slideshow-builder",
        "Slideshow from a hook",
        "A slideshow built around a hook you choose (used word for word on the first slide).",
        None,
    ),
    Format(
        "ugc-remix",
        "UGC video",
        "A creator-style video built on your demo video, around a hook you choose.",
        None,
        needs_demo_video=True,
    ),
)
FORMAT_BY_ID = {f.id: f for f in FORMATS}


def hook_from_lines(typed: str) -> str:
    """A hook typed on two lines (setup, payoff) in the API's form: the two characters
    ``\\n`` between them."""
    lines = [line.strip() for line in typed.replace("\r\n", "\n").split("\n")]
    return "\\n".join(line for line in lines if line)


def format_of(value: str) -> Format:
    return FORMAT_BY_ID.get(value, FORMATS[0])


# ---- Generate ----


def _hooks(session: Session, principal: Principal, project_id: str) -> tuple[list[str], str]:
    """Suggested hooks, or (when the brief is too thin for them) why there are none."""
    try:
        return content.hooks(session, principal, project_id, 8).hooks, ""
    except MissingFields as exc:
        missing = exc.details.get("missingFields") or []
        return [], "Hook ideas appear once the project's brief has " + " and ".join(
            "an app name" if m == "appName" else "an app description" for m in missing
        ) + "."
    except LayersError as exc:
        return [], exc.message


def generate_view(session: Session, principal: Principal, project_id: str) -> dict[str, Any]:
    row = projects.get(session, principal, project_id)
    people, _ = influencers.page(session, row, status=None, cursor=None, limit=50)
    demo, _ = media.page(session, principal, row.id, kind="demo-video", cursor=None, limit=1)
    hooks, hooks_note = _hooks(session, principal, row.id)
    summaries: list[InfluencerSummary] = [influencers.summary(i) for i in people]
    return {
        "project": projects.to_out(row),
        "formats": FORMATS,
        "influencers": summaries,
        "ready_influencers": [i for i in summaries if i.status == "ready"],
        "has_demo_video": bool(demo),
        "hooks": hooks,
        "hooks_note": hooks_note,
    }


def source_list(
    session: Session, principal: Principal, project_id: str, *, kind: str, keyword: str | None
) -> SourceList:
    """TikTok posts to remix: the project's portfolio, or a live search for `keyword`."""
    row: Project = projects.get(session, principal, project_id)
    return sources.recommendations(session, row, kind=kind, keyword=keyword, limit=12)


# ---- a content's page ----


def _jobs(session: Session, principal: Principal, container_id: str) -> list[JobOut]:
    if not twins.allows(principal, "GET /v1/jobs/{job_id}"):
        return []
    rows = jobs.of_subject(
        session, org_id=principal.org_id, livemode=principal.livemode, subject_id=container_id
    )
    return [jobs.to_out(j) for j in rows]


def stage_steps(job: JobOut | None) -> list[dict[str, Any]]:
    """The generation's stages, each done, current or to come (for the progress strip)."""
    current = job.stage if job and job.status == "running" else None
    names = [name for name, _ in STAGES]
    at = (
        names.index(current)
        if current in names
        else (len(names) if job and job.status == "completed" else 0)
    )
    return [
        {"name": name, "label": label, "state": "done" if i < at else "now" if i == at else "todo"}
        for i, (name, label) in enumerate(STAGES)
    ]


def distribution_targets(
    session: Session, principal: Principal, project: Project
) -> list[dict[str, Any]]:
    """The project's active layers that can take content into their next empty slot, each
    with its bound account and that slot's time (None: no empty slot left)."""
    rows, _ = layers.page(session, principal, cursor=None, limit=200, project_id=project.id)
    now = clock.now()
    accounts = {a.id: a for a in _accounts(session, project)}
    out = []
    for layer in rows:
        template = registry.for_layer(layer)
        if layer.status != "active" or template is None or ATTACH_COMMAND not in template.commands:
            continue
        slots, _ = scheduling.page(
            session,
            principal,
            project.id,
            statuses=[],
            social_account_id=None,
            layer_id=layer.id,
            internal_statuses=["pending"],
            since=now,
            until=now + SLOT_LOOKAHEAD,
            cursor=None,
            limit=500,
        )
        empty = sorted(
            (s.scheduled_at for s in slots if s.container_id is None and s.origin == "slot"),
        )
        account_id = ((layer.config or {}).get("social") or {}).get("socialAccountId")
        account = accounts.get(account_id) if isinstance(account_id, str) else None
        out.append(
            {
                "layer": layer,
                "name": template.name,
                "account": f"{account.platform} · @{account.handle or account.id}"
                if account
                else None,
                "next_slot": empty[0] if empty else None,
            }
        )
    return out


def _accounts(session: Session, project: Project) -> list[Any]:
    rows, _ = social.page(
        session, project, platform=None, status="connected", leased=None, cursor=None, limit=200
    )
    return list(rows)


def _posts(
    session: Session, principal: Principal, project: Project, container_id: str
) -> list[ScheduledPostOut]:
    if not twins.allows(principal, "GET /v1/projects/{project_id}/scheduled-posts"):
        return []
    rows, _ = scheduling.page(
        session,
        principal,
        project.id,
        statuses=[],
        social_account_id=None,
        since=None,
        until=None,
        cursor=None,
        limit=100,
    )
    mine = [p for p in rows if p.container_id == container_id]
    accounts = scheduling.accounts(session, mine)
    return [scheduling.to_out(p, accounts.get(p.social_account_id)) for p in mine]


def _default_when(zone: str) -> str:
    """The schedule form's first proposal: the next full hour after an hour from now, in the
    project's timezone (a datetime-local value)."""
    local = (clock.now() + timedelta(hours=1)).astimezone(ZoneInfo(zone))
    return (local.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)).strftime(
        "%Y-%m-%dT%H:%M"
    )


def content_detail(session: Session, principal: Principal, container_id: str) -> dict[str, Any]:
    row = content.get(session, principal, container_id)
    out: ContainerOut = content.to_out(session, row)
    project = projects.get(session, principal, row.project_id)
    project_out: ProjectOut = projects.to_out(project)
    influencer = None
    if row.influencer_id:
        try:
            influencer = influencers.summary(influencers.get(session, principal, row.influencer_id))
        except LayersError:
            influencer = None
    source = (
        sources.cached(session, row.livemode, row.source_tiktok_id)
        if row.source_tiktok_id
        else None
    )
    job_list = _jobs(session, principal, row.id)
    current = next((j for j in job_list if j.job_id == row.job_id), None)
    accounts = _accounts(session, project)
    posts = _posts(session, principal, project, row.id)
    return {
        "c": out,
        "project": project_out,
        "influencer": influencer,
        "source": source[0] if source else None,
        "source_keyword": source[1] if source else None,
        "jobs": job_list,
        "job": current,
        "steps": stage_steps(current),
        "generating": out.status.value in GENERATING,
        "accounts": [
            {"id": a.id, "label": f"{a.platform} · @{a.handle or a.id}", "mode": a.posting_mode}
            for a in accounts
        ],
        "targets": distribution_targets(session, principal, project),
        "posts": posts,
        "post_notes": publish_notes.for_posts(session, principal, posts),
        "format": FORMAT_BY_ID.get(out.format.value),
        "default_when": _default_when(project.timezone),
        "takes_hook": out.format.value in ("slideshow-builder", "ugc-remix"),
    }
