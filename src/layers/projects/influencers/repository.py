"""Influencer queries of more than a lookup."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from layers.models.content import ContentContainer
from layers.models.jobs import Job
from layers.models.projects import Influencer
from layers.models.publishing import ScheduledPost

# A post in one of these still has to go out: its content's influencer must stay.
UPCOMING = ("pending_assets", "ready", "posting")


def upcoming_posts_using(session: Session, influencer_id: str) -> int:
    """How many posts still to publish carry content made with the influencer."""
    return int(
        session.scalar(
            sa.select(sa.func.count())
            .select_from(ScheduledPost)
            .join(ContentContainer, ContentContainer.id == ScheduledPost.container_id)
            .where(
                ContentContainer.influencer_id == influencer_id,
                ScheduledPost.status.in_(UPCOMING),
            )
        )
        or 0
    )


def training_job(session: Session, influencer: Influencer, kind: str) -> Job | None:
    """The latest job of `kind` that creates `influencer` (its stage and progress)."""
    return session.scalar(
        sa.select(Job)
        .where(
            Job.org_id == influencer.org_id,
            Job.livemode == influencer.livemode,
            Job.subject_id == influencer.id,
            Job.kind == kind,
        )
        .order_by(Job.id.desc())
        .limit(1)
    )
