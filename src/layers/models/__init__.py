"""All ORM models, imported together so that relationships and Alembic see every table."""

from layers.kit.db import Base
from layers.models.jobs import Job
from layers.models.orgs import ApiKey, IdempotencyRecord, Organization
from layers.models.projects import Influencer, Project, ProjectHashtag

__all__ = [
    "ApiKey",
    "Base",
    "IdempotencyRecord",
    "Influencer",
    "Job",
    "Organization",
    "Project",
    "ProjectHashtag",
]
