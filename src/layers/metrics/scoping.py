"""What a metrics scope covers (a post, an account, a layer, the project, the organization),
as filters on the snapshot and post tables: the queries of `layers.metrics.analytics`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from layers.kit.repository import TenantScope
from layers.metrics.schemas import MetricScope
from layers.models.engine import ProjectLayer
from layers.models.metrics import AccountMetricSnapshot, PostMetricSnapshot
from layers.models.publishing import ScheduledPost
from layers.models.social import SocialAccount


@dataclass(frozen=True)
class Selection:
    org_id: str
    livemode: bool
    project_id: str | None = None
    account_id: str | None = None
    layer_id: str | None = None
    post_id: str | None = None

    def where(self, model: Any) -> list[sa.ColumnElement[bool]]:
        """Filters on a table with the tenant columns and those of the scope it has."""
        clauses = [model.org_id == self.org_id, model.livemode == self.livemode]
        if self.project_id is not None:
            clauses.append(model.project_id == self.project_id)
        if self.account_id is not None:
            clauses.append(model.social_account_id == self.account_id)
        if self.layer_id is not None:
            clauses.append(model.layer_id == self.layer_id)
        if self.post_id is not None:
            column = model.id if model is ScheduledPost else model.scheduled_post_id
            clauses.append(column == self.post_id)
        return clauses


def resolve(
    session: Session, tenant: TenantScope, project_id: str, scope: MetricScope, scope_id: str
) -> Selection | None:
    """The selection of `scope_id` inside `project_id`, or None when it is not there."""
    base = Selection(tenant.org_id, tenant.livemode, project_id=project_id)
    owned = {"org_id": tenant.org_id, "livemode": tenant.livemode, "project_id": project_id}
    if scope is MetricScope.project:
        return base if scope_id == project_id else None
    if scope is MetricScope.organization:
        return Selection(tenant.org_id, tenant.livemode) if scope_id == tenant.org_id else None
    model: Any = {
        MetricScope.platform_post: ScheduledPost,
        MetricScope.social_account: SocialAccount,
        MetricScope.project_layer: ProjectLayer,
    }[scope]
    row = session.get(model, scope_id)
    if row is None or any(getattr(row, key) != value for key, value in owned.items()):
        return None
    if scope is MetricScope.platform_post:
        return Selection(tenant.org_id, tenant.livemode, project_id, post_id=scope_id)
    if scope is MetricScope.social_account:
        return Selection(tenant.org_id, tenant.livemode, project_id, account_id=scope_id)
    return Selection(tenant.org_id, tenant.livemode, project_id, layer_id=scope_id)


def post_snapshots(
    session: Session, selection: Selection, since: datetime, until: datetime
) -> list[PostMetricSnapshot]:
    return list(
        session.scalars(
            sa.select(PostMetricSnapshot)
            .where(
                *selection.where(PostMetricSnapshot),
                PostMetricSnapshot.captured_at >= since,
                PostMetricSnapshot.captured_at < until,
            )
            .order_by(PostMetricSnapshot.captured_at, PostMetricSnapshot.id)
        )
    )


def post_baselines(
    session: Session, selection: Selection, since: datetime
) -> dict[str, PostMetricSnapshot]:
    """Each post's last snapshot before `since`: what the window's first snapshot adds to."""
    last = (
        sa.select(
            PostMetricSnapshot.scheduled_post_id.label("post_id"),
            sa.func.max(PostMetricSnapshot.captured_at).label("at"),
        )
        .where(*selection.where(PostMetricSnapshot), PostMetricSnapshot.captured_at < since)
        .group_by(PostMetricSnapshot.scheduled_post_id)
        .subquery()
    )
    rows = session.scalars(
        sa.select(PostMetricSnapshot).join(
            last,
            sa.and_(
                last.c.post_id == PostMetricSnapshot.scheduled_post_id,
                last.c.at == PostMetricSnapshot.captured_at,
            ),
        )
    )
    return {row.scheduled_post_id: row for row in rows}


def published_times(
    session: Session, selection: Selection, since: datetime, until: datetime
) -> list[datetime]:
    return list(
        session.scalars(
            sa.select(ScheduledPost.posted_at).where(
                *selection.where(ScheduledPost),
                ScheduledPost.status == "posted",
                ScheduledPost.posted_at >= since,
                ScheduledPost.posted_at < until,
            )
        )
    )


def account_snapshots(
    session: Session, selection: Selection, until: datetime
) -> list[AccountMetricSnapshot]:
    """Follower snapshots of the accounts in scope (a post's or a layer's: their accounts)."""
    accounts: list[str] | None = None
    if selection.post_id is not None or selection.layer_id is not None:
        accounts = list(
            session.scalars(
                sa.select(ScheduledPost.social_account_id)
                .where(*selection.where(ScheduledPost))
                .distinct()
            )
        )
    scoped = Selection(
        selection.org_id, selection.livemode, selection.project_id, selection.account_id
    )
    query = sa.select(AccountMetricSnapshot).where(
        *scoped.where(AccountMetricSnapshot), AccountMetricSnapshot.captured_at < until
    )
    if accounts is not None:
        query = query.where(AccountMetricSnapshot.social_account_id.in_(accounts))
    return list(
        session.scalars(
            query.order_by(
                AccountMetricSnapshot.social_account_id, AccountMetricSnapshot.captured_at
            )
        )
    )
