"""The composition root: the only module that imports every domain.

It knows three things no domain may know of the others:

* **The durable work**: every module that declares DBOS workflows or steps is imported here,
  before DBOS launches (recovery can only resume a workflow whose function is registered), and
  each domain's crons are collected here. The queues are the work classes of
  `layers.kit.durable`.
* **The catalog**: the built-in layer templates are registered with the engine here; the
  engine never imports a template package.
* **The seams**: where a lower domain calls back into a higher one (publishing resolving a
  post's content; social accounts asking publishing to hold or cancel their posts), the higher
  one's function is plugged in here.

`layers.app` builds the HTTP app from `API_ROUTERS` and `PUBLIC_ROUTERS`; the CLI's server
commands and the app's worker lifespan call `launch_workers`.
"""

from __future__ import annotations

import threading

from fastapi import APIRouter

from layers.ads import public_router as ads_public_api
from layers.ads import router as ads_api
from layers.ads import workflows as ads_workflows
from layers.catalog import meta_ad_manager, social_distribution, tiktok_ad_manager
from layers.catalog.social_distribution import replanning as social_distribution_replanning
from layers.catalog.social_distribution import workflows as social_distribution_workflows
from layers.console.router import mount as mount_console
from layers.content import resolver
from layers.content import router as content_api
from layers.content import workflows as content_workflows
from layers.content.progress import router as progress_api
from layers.content.review import router as review_api
from layers.content.review import service as review
from layers.content.uploads import router as uploads_api
from layers.engine import maintenance
from layers.engine import workflows as engine_workflows
from layers.engine.catalog import registry
from layers.engine.catalog import router as catalog_api
from layers.engine.project_layers import router as layers_api
from layers.engine.runs import router as runs_api
from layers.events import service as events
from layers.jobs import router as jobs_api
from layers.jobs import workflows as jobs_workflows
from layers.kit import durable
from layers.kit import media_router as kit_media_api
from layers.kit.settings import Settings
from layers.metrics import router as metrics_api
from layers.metrics import workflows as metrics_workflows
from layers.orgs import router as orgs_api
from layers.orgs.audit import router as audit_api
from layers.orgs.limits import classes as rate_limit_classes
from layers.orgs.organizations import router as organizations_api
from layers.orgs.wallet import router as wallet_api
from layers.projects import router as projects_api
from layers.projects.influencers import router as influencers_api
from layers.projects.influencers import workflows as influencer_workflows
from layers.projects.keywords import workflows as keyword_workflows
from layers.projects.media import router as media_api
from layers.publishing import content as publishing_content
from layers.publishing import protocol as publishing
from layers.publishing import workflows as publishing_workflows
from layers.publishing.now import router as publish_now_api
from layers.publishing.scheduling import promotion as schedule_promotion
from layers.publishing.scheduling import router as scheduling_api
from layers.social import hooks as social_hooks
from layers.social import public_router as social_public_api
from layers.social import router as social_api
from layers.social import workflows as social_workflows
from layers.webhooks import outbox as webhooks_outbox
from layers.webhooks import router as webhooks_api
from layers.webhooks import workflows as webhooks_workflows

# The Partner API, in the order the OpenAPI document lists it.
API_ROUTERS: tuple[APIRouter, ...] = (
    orgs_api.router,
    wallet_api.router,
    organizations_api.router,
    audit_api.router,
    projects_api.router,
    influencers_api.router,
    jobs_api.router,
    catalog_api.router,
    layers_api.router,
    runs_api.router,
    social_api.router,
    media_api.router,
    content_api.router,
    uploads_api.router,
    progress_api.router,
    review_api.router,
    scheduling_api.router,
    publish_now_api.router,
    webhooks_api.router,
    metrics_api.router,
    ads_api.router,
)
rate_limit_classes.annotate(API_ROUTERS)  # each route's bucket, in the OpenAPI document
# Routes outside the Partner API's document: signed media and the OAuth callback.
PUBLIC_ROUTERS: tuple[APIRouter, ...] = (
    kit_media_api.router,
    social_public_api.router,
    ads_public_api.router,
)

# Every module that declares workflows or steps (imported above; named here so that adding
# one is a visible line, and so that no import is "unused").
WORKFLOW_MODULES = (
    jobs_workflows,
    maintenance,
    engine_workflows,
    keyword_workflows,
    influencer_workflows,
    publishing_workflows,
    social_workflows,
    content_workflows,
    social_distribution_workflows,
    webhooks_workflows,
    metrics_workflows,
    ads_workflows,
)

CRONS: tuple[durable.Cron, ...] = (
    *maintenance.CRONS,
    *engine_workflows.CRONS,
    *publishing_workflows.CRONS,
    *social_workflows.CRONS,
    *metrics_workflows.CRONS,
)

_wired = threading.Lock()
_done = False


def wire() -> None:
    """Register the catalog and plug the seams (once per process; idempotent)."""
    global _done
    with _wired:
        if _done:
            return
        for template in (
            *social_distribution.TEMPLATES,
            *meta_ad_manager.TEMPLATES,
            *tiktok_ad_manager.TEMPLATES,
        ):
            registry.register(template)
        publishing_content.register_content_resolver(resolver.resolve_container, default=True)
        review.plug_schedule_promoter(schedule_promotion.promote)
        social_hooks.plug(
            on_disconnect=publishing.cancel_account_posts,
            on_reconnect=publishing.release_account_holds,
            on_temperature_change=social_distribution_replanning.replan_for_account,
        )
        events.add_listener(webhooks_outbox.on_event)
        _done = True


def launch_workers(settings: Settings) -> None:
    """Run the durable work in this process: the work-class queues and every domain's crons."""
    wire()
    durable.launch(settings, queues=durable.WORK_CLASSES, crons=CRONS)


__all__ = [
    "API_ROUTERS",
    "CRONS",
    "PUBLIC_ROUTERS",
    "WORKFLOW_MODULES",
    "launch_workers",
    "mount_console",
    "wire",
]
