"""All ORM models, imported together so that relationships and Alembic see every table."""

from layers.kit.db import Base
from layers.models.content import AppMedia, ContainerAsset, ContentContainer, ContentSource
from layers.models.jobs import Job
from layers.models.orgs import ApiKey, IdempotencyRecord, Organization
from layers.models.projects import Influencer, Project, ProjectHashtag
from layers.models.publishing import ScheduledPost
from layers.models.social import SocialAccount

__all__ = [
    "ApiKey",
    "AppMedia",
    "Base",
    "ContainerAsset",
    "ContentContainer",
    "ContentSource",
    "IdempotencyRecord",
    "Influencer",
    "Job",
    "Organization",
    "Project",
    "ProjectHashtag",
    "ScheduledPost",
    "SocialAccount",
]
