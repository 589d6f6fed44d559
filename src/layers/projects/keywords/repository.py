"""Keyword queries that are more than a lookup: the research run in flight, the ranked bank."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from layers.models.jobs import Job
from layers.models.projects import ProjectHashtag


def running_job(session: Session, project_id: str, kind: str) -> Job | None:
    """The project's newest running job of `kind`."""
    return session.scalar(
        sa.select(Job)
        .where(Job.project_id == project_id, Job.kind == kind, Job.status == "running")
        .order_by(Job.id.desc())
        .limit(1)
    )


def ranked_bank(session: Session, project_id: str) -> list[ProjectHashtag]:
    """The project's hashtag bank, best first (score, then measured views, then name)."""
    return list(
        session.scalars(
            sa.select(ProjectHashtag)
            .where(ProjectHashtag.project_id == project_id)
            .order_by(
                ProjectHashtag.score.desc(),
                ProjectHashtag.view_count.desc().nulls_last(),
                ProjectHashtag.hashtag,
            )
        )
    )
