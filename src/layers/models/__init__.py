"""All ORM models, imported together so that relationships and Alembic see every table."""

from layers.kit.db import Base
from layers.kit.idempotency import IdempotencyRecord
from layers.models.content import AppMedia, ContainerAsset, ContentContainer, ContentSource
from layers.models.engine import (
    LayerConfigVersion,
    LayerSchedule,
    ProjectLayer,
    Run,
    RunActivity,
    RunLog,
)
from layers.models.events import Event
from layers.models.jobs import Job
from layers.models.orgs import ApiKey, Organization
from layers.models.projects import Influencer, Project, ProjectHashtag
from layers.models.publishing import PublishAttempt, ScheduledPost
from layers.models.social import AccountHealthSnapshot, OAuthState, SocialAccount
from layers.models.vault import VaultSecret

__all__ = [
    "AccountHealthSnapshot",
    "ApiKey",
    "AppMedia",
    "Base",
    "ContainerAsset",
    "ContentContainer",
    "ContentSource",
    "Event",
    "IdempotencyRecord",
    "Influencer",
    "Job",
    "LayerConfigVersion",
    "LayerSchedule",
    "OAuthState",
    "Organization",
    "Project",
    "ProjectHashtag",
    "ProjectLayer",
    "PublishAttempt",
    "Run",
    "RunActivity",
    "RunLog",
    "ScheduledPost",
    "SocialAccount",
    "VaultSecret",
]
