"""No back door: every console route names the Partner API operation it mirrors.

The console calls the same service functions as its API twin and admits the key with the
twin's own scope (read off the API route's ``requires(scope)`` dependency), so nothing a key
can do in the console is out of reach of, or beyond, what the API lets it do.
"""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import APIRouter
from fastapi.routing import APIRoute

from layers.kit.errors import ForbiddenScope
from layers.orgs.service import Principal

API_TWINS: dict[str, str] = {
    "POST /console/projects/{project_id}/creatives/{container_id}/override": (
        "PUT /v1/projects/{project_id}/top-performers/{container_id}/override"
    ),
    "POST /console/projects/{project_id}/layers": "POST /v1/projects/{project_id}/layers",
    "POST /console/layers/{layer_id}/config": "PATCH /v1/layers/{layer_id}",
    "POST /console/layers/{layer_id}/config-json": "PATCH /v1/layers/{layer_id}",
    "POST /console/layers/{layer_id}/rollback": "POST /v1/layers/{layer_id}/rollback",
    "POST /console/layers/{layer_id}/pause": "POST /v1/layers/{layer_id}/pause",
    "POST /console/layers/{layer_id}/resume": "POST /v1/layers/{layer_id}/resume",
    "POST /console/layers/{layer_id}/execute": (
        "POST /api/project-layers/{project_layer_id}/execute"
    ),
    "POST /console/runs/{run_id}/retry": "POST /v1/runs/{run_id}/retry",
    "POST /console/runs/{run_id}/cancel": "POST /v1/runs/{run_id}/cancel",
    "POST /console/scheduled-posts/{post_id}/reschedule": (
        "POST /v1/scheduled-posts/{scheduled_post_id}/reschedule"
    ),
    "POST /console/scheduled-posts/{post_id}/cancel": (
        "DELETE /v1/scheduled-posts/{scheduled_post_id}"
    ),
    "POST /console/scheduled-posts/{post_id}/retry": (
        "POST /v1/scheduled-posts/{scheduled_post_id}/retry"
    ),
    "POST /console/projects/{project_id}/social/connect": (
        "POST /v1/projects/{project_id}/social/oauth-url"
    ),
    "POST /console/projects/{project_id}/social/{account_id}/reconnect": (
        "POST /v1/projects/{project_id}/social/reauth-url"
    ),
    "POST /console/projects/{project_id}/generate": (
        "POST /v1/projects/{project_id}/content/slideshow-remix"
    ),  # the chosen format's operation (slideshow-remix, video-remix, …): one scope
    "POST /console/content/{container_id}/regenerate": (
        "POST /v1/content/{container_id}/regenerate"
    ),
    "POST /console/content/{container_id}/schedule": "POST /v1/content/{container_id}/schedule",
    "POST /console/content/{container_id}/attach": (
        "POST /api/project-layers/{project_layer_id}/execute"
    ),
    # projects, app media, influencers, posting mode (console item 1, 2, 3, 6)
    "POST /console/projects": "POST /v1/projects",
    "POST /console/projects/{project_id}/brief": "PATCH /v1/projects/{project_id}",
    "POST /console/projects/{project_id}/archive": "DELETE /v1/projects/{project_id}",
    "POST /console/projects/{project_id}/restore": "PATCH /v1/projects/{project_id}",
    "POST /console/projects/{project_id}/media": "POST /v1/projects/{project_id}/app-media",
    "POST /console/projects/{project_id}/media/upload": (
        "POST /v1/projects/{project_id}/media/upload"
    ),
    "POST /console/projects/{project_id}/media/{media_id}/delete": (
        "DELETE /v1/projects/{project_id}/app-media/{media_id}"
    ),
    "POST /console/projects/{project_id}/influencers": (
        "POST /v1/projects/{project_id}/influencers"
    ),
    "POST /console/social-accounts/{account_id}/posting-mode": (
        "PATCH /v1/social-accounts/{social_account_id}"
    ),
    # content review and publish-now (issue 14)
    "POST /console/projects/{project_id}/review-policy": (
        "PATCH /v1/projects/{project_id}/content-review-policy"
    ),
    "POST /console/content/{container_id}/approve": "POST /v1/content/{container_id}/approve",
    "POST /console/content/{container_id}/reject": "POST /v1/content/{container_id}/reject",
    "POST /console/content/{container_id}/publish": "POST /v1/content/{container_id}/publish",
    # the wallet (issue 15)
    "POST /console/billing/allocate": "POST /v1/organizations/{org_id}/credits/allocate",
    # sub-organizations and their keys (issue 15)
    "POST /console/organizations": "POST /v1/organizations",
    "POST /console/organizations/{org_id}/suspend": "POST /v1/organizations/{org_id}/suspend",
    "POST /console/organizations/{org_id}/resume": "POST /v1/organizations/{org_id}/resume",
    "POST /console/organizations/{org_id}/archive": "DELETE /v1/organizations/{org_id}",
    "POST /console/organizations/{org_id}/keys": "POST /v1/organizations/{org_id}/api-keys",
    "POST /console/organizations/{org_id}/keys/{key_id}/rotate": (
        "POST /v1/organizations/{org_id}/api-keys/{key_id}/rotate"
    ),
    "POST /console/organizations/{org_id}/keys/{key_id}/delete": (
        "DELETE /v1/organizations/{org_id}/api-keys/{key_id}"
    ),
    # webhooks (issue 14)
    "POST /console/webhooks": "POST /v1/webhook-endpoints",
    "POST /console/webhooks/{endpoint_id}/test": "POST /v1/webhook-endpoints/{endpoint_id}/test",
    "POST /console/webhooks/{endpoint_id}/rotate-secret": (
        "POST /v1/webhook-endpoints/{endpoint_id}/rotate-secret"
    ),
    "POST /console/webhooks/{endpoint_id}/status": "PATCH /v1/webhook-endpoints/{endpoint_id}",
    "POST /console/webhooks/{endpoint_id}/delete": "DELETE /v1/webhook-endpoints/{endpoint_id}",
    "POST /console/webhook-deliveries/{delivery_id}/replay": (
        "POST /v1/webhook-deliveries/{delivery_id}/replay"
    ),
    # ads (issue 17)
    "POST /console/projects/{project_id}/ads/connect": (
        "POST /v1/projects/{project_id}/ads/ad-accounts/oauth-url"
    ),
    "POST /console/layers/{layer_id}/ads/optimize": (
        "POST /v1/projects/{project_id}/ads/optimizer/run"
    ),
    "POST /console/layers/{layer_id}/ads/refresh": (
        "POST /v1/projects/{project_id}/ads/{platform}/content-refresh"
    ),
    "POST /console/layers/{layer_id}/ads/authority": (
        "PATCH /v1/projects/{project_id}/ads/{platform}/defaults"
    ),
    "POST /console/layers/{layer_id}/ads/pending/{pending_id}/approve": (
        "POST /v1/projects/{project_id}/ads/{platform}/pending/{pending_id}/approve"
    ),
    "POST /console/layers/{layer_id}/ads/pending/{pending_id}/reject": (
        "POST /v1/projects/{project_id}/ads/{platform}/pending/{pending_id}/reject"
    ),
}
"""Mutating console routes → their Partner API twin."""

READ_TWINS: dict[str, tuple[str, ...]] = {
    "GET /console/projects/{project_id}/analytics": (
        "GET /v1/projects/{project_id}/metrics",
        "GET /v1/projects/{project_id}/top-performers",
    ),
    "GET /console/projects": ("GET /v1/projects",),
    "GET /console/projects/{project_id}": (
        "GET /v1/projects/{project_id}",
        "GET /v1/projects/{project_id}/keywords",
        "GET /v1/projects/{project_id}/influencers",
        "GET /v1/projects/{project_id}/app-media",
    ),
    "GET /console/projects/{project_id}/layers": ("GET /v1/projects/{project_id}/layers",),
    "GET /console/projects/{project_id}/content": ("GET /v1/projects/{project_id}/content",),
    "GET /console/projects/{project_id}/schedule": (
        "GET /v1/projects/{project_id}/scheduled-posts",
    ),
    "GET /console/projects/{project_id}/settings": (
        "GET /v1/projects/{project_id}/social-accounts",
        "GET /v1/social-accounts/{social_account_id}/health",
    ),
    "GET /console/catalog": ("GET /v1/layer-templates",),
    "GET /console/layers/{layer_id}": (
        "GET /v1/layers/{layer_id}",
        "GET /v1/projects/{project_id}",
        "GET /v1/layers/{layer_id}/config-history",
        "GET /v1/layers/{layer_id}/runs",
    ),
    "GET /console/runs/{run_id}/panel": ("GET /v1/runs/{run_id}",),
    "GET /console/runs/{run_id}/logs": ("GET /v1/runs/{run_id}/logs",),
    "GET /console/projects/{project_id}/generate": (
        "GET /v1/projects/{project_id}/influencers",
        "GET /v1/projects/{project_id}/content/hooks",
    ),
    "GET /console/projects/{project_id}/generate/sources": (
        "GET /v1/projects/{project_id}/content/source-recommendations",
    ),
    "GET /console/content/{container_id}": (
        "GET /v1/content/{container_id}",
        "GET /v1/projects/{project_id}",
    ),
    "GET /console/projects/new": ("GET /v1/projects",),
    "GET /console/projects/{project_id}/media": (
        "GET /v1/projects/{project_id}",
        "GET /v1/projects/{project_id}/app-media",
    ),
    "GET /console/projects/{project_id}/influencers": (
        "GET /v1/projects/{project_id}",
        "GET /v1/projects/{project_id}/influencers",
        "GET /v1/jobs/{job_id}",
    ),
    "GET /console/influencers/{influencer_id}/card": (
        "GET /v1/influencers/{influencer_id}",
        "GET /v1/jobs/{job_id}",
    ),
    "GET /console/layers/{layer_id}/head": ("GET /v1/layers/{layer_id}",),
    "GET /console/projects/{project_id}/review": (
        "GET /v1/projects/{project_id}/content/review-queue",
        "GET /v1/projects/{project_id}/content-review-policy",
    ),
    "GET /console/projects/{project_id}/review-policy": (
        "GET /v1/projects/{project_id}/content-review-policy",
    ),
    "GET /console/billing": ("GET /v1/credits", "GET /v1/credits/events"),
    "GET /console/organizations": ("GET /v1/organizations",),
    "GET /console/organizations/{org_id}": (
        "GET /v1/organizations/{org_id}",
        "GET /v1/organizations/{org_id}/api-keys",
    ),
    "GET /console/audit-log": ("GET /v1/audit-log",),
    "GET /console/webhooks": ("GET /v1/webhook-endpoints",),
    "GET /console/webhooks/{endpoint_id}": (
        "GET /v1/webhook-endpoints/{endpoint_id}",
        "GET /v1/webhook-endpoints/{endpoint_id}/deliveries",
    ),
    "GET /console/projects/{project_id}/ads": (
        "GET /v1/projects/{project_id}/ads/ad-accounts",
        "GET /v1/projects/{project_id}/layers",
    ),
    "GET /console/layers/{layer_id}/ads": (
        "GET /v1/layers/{layer_id}",
        "GET /v1/projects/{project_id}/ads/ad-accounts",
        "GET /v1/projects/{project_id}/ads/ads",
        "GET /v1/projects/{project_id}/ads/{platform}/defaults",
        "GET /v1/projects/{project_id}/ads/{platform}/pending",
        "GET /v1/projects/{project_id}/ads/optimizer/runs/{run_id}",
    ),
}
"""Console pages → the API reads that show the same data."""


_API_SCOPES: dict[str, str] = {}


def learn_api_scopes(routers: Iterable[APIRouter]) -> None:
    """Learn each API operation's scope from the routers the app serves (the console sits
    below the app, so the app hands them over when it mounts the console)."""
    for router in routers:
        for route in router.routes:
            if not isinstance(route, APIRoute):
                continue
            scope = next(
                (
                    getattr(dep.dependency, "__layers_scope__", None)
                    for dep in route.dependencies
                    if hasattr(dep.dependency, "__layers_scope__")
                ),
                None,
            )
            for method in route.methods or ():
                _API_SCOPES[f"{method} {route.path}"] = scope or ""


def api_scope(operation: str) -> str:
    """The scope the API operation ``"METHOD /path"`` requires ('' = any valid key)."""
    return _API_SCOPES[operation]


def admit(principal: Principal, operation: str) -> None:
    """Refuse exactly as the API would: the twin's scope, checked the same way."""
    scope = api_scope(operation)
    if scope and not principal.allows(scope):
        raise ForbiddenScope(f"This API key lacks the '{scope}' scope.", requiredScope=scope)


def allows(principal: Principal, operation: str) -> bool:
    """Whether the key may make this API read (for optional parts of a page)."""
    scope = api_scope(operation)
    return not scope or principal.allows(scope)


def admit_console(principal: Principal, console_route: str) -> None:
    admit(principal, API_TWINS[console_route])
