"""View models of the screens where a person manages a project's inputs: its app media and
its influencers (with their training jobs), read through the API's service functions."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from layers.jobs import service as jobs
from layers.jobs.schemas import JobOut
from layers.models.projects import Influencer
from layers.orgs.service import Principal
from layers.projects import service as projects
from layers.projects.influencers import service as influencers
from layers.projects.media import service as media

TRAINING = frozenset({"pending", "training"})


def media_view(session: Session, principal: Principal, project_id: str) -> dict[str, Any]:
    """The project and its live media, grouped by kind (in the order of `media.KINDS`)."""
    project = projects.get(session, principal, project_id)
    rows, _ = media.page(session, principal, project.id, kind=None, cursor=None, limit=100)
    groups: dict[str, list[Any]] = {kind: [] for kind in media.KINDS}
    for row in sorted(rows, key=lambda r: r.id):
        groups.setdefault(row.kind, []).append(media.to_out(row))
    return {"project": projects.to_out(project), "groups": groups, "total": len(rows)}


def influencer_card(session: Session, influencer: Influencer) -> dict[str, Any]:
    """One influencer with, while it trains, its creation job (stage and progress)."""
    job = influencers.training_job(session, influencer)
    out: JobOut | None = jobs.to_out(job) if job is not None else None
    return {
        "influencer": influencers.to_out(influencer),
        "job": out,
        "training": influencer.status in TRAINING,
    }


def influencers_view(session: Session, principal: Principal, project_id: str) -> dict[str, Any]:
    project = projects.get(session, principal, project_id)
    rows, _ = influencers.page(session, project, status=None, cursor=None, limit=100)
    return {
        "project": projects.to_out(project),
        "cards": [influencer_card(session, row) for row in rows],
    }


def one_influencer(session: Session, principal: Principal, influencer_id: str) -> dict[str, Any]:
    return influencer_card(session, influencers.get(session, principal, influencer_id))
