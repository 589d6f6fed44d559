"""The web console: thin HTML routes under ``/console`` (Jinja2 + htmx, no build step).

Every route re-admits the session's API key, reads through the same service functions as
the Partner API, and every mutating route names its API twin (`layers.console.twins`) whose
scope it checks and whose service it calls. The routes live in `layers.console.routes`, one
module per screen, sharing `layers.console.web`; importing them here puts every route on
`router`, which `mount` serves.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import ModuleType

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from layers.console import twins
from layers.console.routes import (
    accounts,
    ads,
    analytics,
    content,
    generate,
    influencers,
    media,
    organizations,
    project_layers,
    projects,
    review,
    router,
    runs,
    schedule,
    sign_in,
    wallet,
    webhooks,
)
from layers.console.web import HERE

SCREENS: tuple[ModuleType, ...] = (
    sign_in,
    projects,
    media,
    influencers,
    project_layers,
    content,
    generate,
    review,
    schedule,
    analytics,
    ads,
    accounts,
    runs,
    webhooks,
    wallet,
    organizations,
)
"""The screens whose routes are on `router` (imported for that)."""

__all__ = ["SCREENS", "mount", "router"]


def mount(app: FastAPI, api_routers: Iterable[APIRouter]) -> None:
    """Serve the console (and its static files) from `app`; none of it is in the OpenAPI.
    `api_routers` are the API the console's actions are twins of (`twins`)."""
    twins.learn_api_scopes(api_routers)
    app.include_router(router)
    app.mount("/console/static", StaticFiles(directory=HERE / "static"), name="console-static")
