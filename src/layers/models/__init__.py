"""All ORM models, imported together so that relationships and Alembic see every table."""

from layers.kit.db import Base
from layers.kit.idempotency import IdempotencyRecord
from layers.models.ads import (
    Ad,
    AdAccount,
    AdAuthority,
    AdCampaign,
    AdDailyMetric,
    AdDecision,
    AdOptimizerRun,
    AdPendingAction,
    AdsContent,
    AdSet,
)
from layers.models.audit import AuditEvent
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
from layers.models.metrics import (
    AccountMetricSnapshot,
    CreativeOverride,
    PostMetricSnapshot,
    PostMetricSync,
)
from layers.models.orgs import ApiKey, Organization
from layers.models.projects import Influencer, Project, ProjectHashtag
from layers.models.publishing import PublishAttempt, ScheduledPost
from layers.models.review import ContentReviewPolicy
from layers.models.social import AccountHealthSnapshot, OAuthState, SocialAccount
from layers.models.vault import VaultSecret
from layers.models.wallet import (
    CreditEvent,
    CreditReservation,
    CreditTransfer,
    CreditWallet,
    RateLimitCounter,
)
from layers.models.webhooks import WebhookDelivery, WebhookEndpoint

__all__ = [
    "AccountHealthSnapshot",
    "AccountMetricSnapshot",
    "Ad",
    "AdAccount",
    "AdAuthority",
    "AdCampaign",
    "AdDailyMetric",
    "AdDecision",
    "AdOptimizerRun",
    "AdPendingAction",
    "AdSet",
    "AdsContent",
    "ApiKey",
    "AppMedia",
    "AuditEvent",
    "Base",
    "ContainerAsset",
    "ContentContainer",
    "ContentReviewPolicy",
    "ContentSource",
    "CreativeOverride",
    "CreditEvent",
    "CreditReservation",
    "CreditTransfer",
    "CreditWallet",
    "Event",
    "IdempotencyRecord",
    "Influencer",
    "Job",
    "LayerConfigVersion",
    "LayerSchedule",
    "OAuthState",
    "Organization",
    "PostMetricSnapshot",
    "PostMetricSync",
    "Project",
    "ProjectHashtag",
    "ProjectLayer",
    "PublishAttempt",
    "RateLimitCounter",
    "Run",
    "RunActivity",
    "RunLog",
    "ScheduledPost",
    "SocialAccount",
    "VaultSecret",
    "WebhookDelivery",
    "WebhookEndpoint",
]
