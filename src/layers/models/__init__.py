"""All ORM models, imported together so that relationships and Alembic see every table."""

from layers.kit.db import Base
from layers.models.engine import (
    LayerConfigVersion,
    LayerSchedule,
    ProjectLayer,
    Run,
    RunActivity,
    RunLog,
)
from layers.models.jobs import Job
from layers.models.orgs import ApiKey, IdempotencyRecord, Organization
from layers.models.projects import Influencer, Project, ProjectHashtag
from layers.models.publishing import ScheduledPost
from layers.models.social import SocialAccount

__all__ = [
    "ApiKey",
    "Base",
    "IdempotencyRecord",
    "Influencer",
    "Job",
    "LayerConfigVersion",
    "LayerSchedule",
    "Organization",
    "Project",
    "ProjectHashtag",
    "ProjectLayer",
    "Run",
    "RunActivity",
    "RunLog",
    "ScheduledPost",
    "SocialAccount",
]
