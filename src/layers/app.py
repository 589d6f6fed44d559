"""The FastAPI application factory."""

from __future__ import annotations

import hmac
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import fastapi_offline
import sqlalchemy as sa
from fastapi import FastAPI, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.concurrency import run_in_threadpool

from layers import __version__, openapi, wiring
from layers.kit import db as kit_db
from layers.kit import durable, metrics
from layers.kit.http import RequestContextMiddleware, error_response, install_error_handlers
from layers.kit.settings import Settings, get_settings, set_settings
from layers.orgs.limits import gate as rate_limits

log = logging.getLogger("layers.app")

API_ROUTERS = wiring.API_ROUTERS


def _openapi(app: FastAPI) -> Callable[[], dict[str, Any]]:
    def build() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title="Layers API",
            version=__version__,
            description="Partner API. Authenticate with `Authorization: Bearer lp_…`.",
            routes=app.routes,
        )
        app.openapi_schema = openapi.shape(schema)  # ids, tags, Idempotency-Key, errors
        return app.openapi_schema

    return build


# Swagger UI's assets as the fastapi-offline package ships them (a maintained Swagger UI 5
# bundle, which reads OpenAPI 3.1): /docs works on a machine with no internet access.
DOCS_ASSETS = Path(fastapi_offline.__file__).parent / "static"


def _serve_api_docs(app: FastAPI) -> None:
    app.mount("/docs/assets", StaticFiles(directory=DOCS_ASSETS), name="api-docs-assets")

    @app.get("/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="Layers API",
            swagger_js_url="/docs/assets/swagger-ui-bundle.js",
            swagger_css_url="/docs/assets/swagger-ui.css",
            swagger_favicon_url="/docs/assets/favicon.png",
        )


def create_app(settings: Settings | None = None, *, run_workers: bool = False) -> FastAPI:
    """The API (and console). With `run_workers`, DBOS runs in this process too."""
    settings = settings or get_settings()
    set_settings(settings)
    if not kit_db.is_configured():
        kit_db.configure(settings.resolved_database_url)
    wiring.wire()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if run_workers:
            await run_in_threadpool(wiring.launch_workers, settings)
        yield
        if run_workers:
            await run_in_threadpool(durable.shutdown)

    app = FastAPI(
        title="Layers API",
        version=__version__,
        lifespan=lifespan,
        generate_unique_id_function=openapi.operation_id,
        docs_url=None,  # served below from local assets, never a CDN
        redoc_url=None,
    )
    app.add_middleware(
        RequestContextMiddleware,
        on_response_start=(rate_limits.response_started,),
        on_finish=(rate_limits.finished,),
    )
    install_error_handlers(app)
    for router in API_ROUTERS:
        app.include_router(router)
    app.state.api_routers = API_ROUTERS
    for router in wiring.PUBLIC_ROUTERS:
        app.include_router(router)
    wiring.mount_console(
        app, API_ROUTERS
    )  # the web console: HTML under /console, not in the OpenAPI document

    _serve_api_docs(app)

    @app.get("/healthz", tags=["operations"])
    def healthz() -> JSONResponse:
        """Ready when the database answers (and, in a worker process, the runtime runs)."""
        with kit_db.get_database().engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        body = {"status": "ok", "version": __version__, "workers": durable.is_launched()}
        return JSONResponse(body)

    @app.get("/metrics", tags=["operations"], include_in_schema=False)
    def prometheus_metrics(request: Request) -> Response:
        """Prometheus text format; behind a bearer token when LAYERS_METRICS_TOKEN is set."""
        token = settings.metrics_token
        if token and not hmac.compare_digest(
            request.headers.get("authorization", ""), f"Bearer {token}"
        ):
            return error_response(401, "UNAUTHENTICATED", "The metrics token is required.")
        return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)

    app.openapi = _openapi(app)  # type: ignore[method-assign]
    return app


def openapi_document() -> dict[str, Any]:
    """The Partner API's OpenAPI document, built without touching any database."""
    app = FastAPI(
        title="Layers API", version=__version__, generate_unique_id_function=openapi.operation_id
    )
    for router in API_ROUTERS:
        app.include_router(router)
    return _openapi(app)()
