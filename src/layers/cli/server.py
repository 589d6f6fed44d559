"""Server-side commands: run the platform, its parts, and its migrations."""

from __future__ import annotations

import signal
import sys
import threading
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from layers.kit.settings import Settings

# The heavy imports (the database, the server) happen inside the commands, so that the remote
# commands of the same `layers` program start fast.

HostOption = Annotated[str, typer.Option(help="Interface to listen on.")]
PortOption = Annotated[int, typer.Option(help="TCP port to listen on.")]


def _prepare(host: str | None = None, port: int | None = None) -> Settings:
    # Imported here, not at the top: keeps the database out of the remote commands' start-up.
    from layers.kit import db as kit_db
    from layers.kit.logging import configure_logging
    from layers.kit.migrate import migrate
    from layers.kit.settings import get_settings, set_settings

    settings = get_settings()
    if host is not None and port is not None and "public_base_url" not in settings.model_fields_set:
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104
        settings.public_base_url = f"http://{shown}:{port}"
    set_settings(settings)
    configure_logging(settings.log_level, settings.log_format)
    migrate(settings)
    kit_db.configure(settings.resolved_database_url)
    return settings


def _bootstrap_banner(settings: Settings) -> None:
    # Imported here, not at the top: keeps the database out of the remote commands' start-up.
    from layers.kit import db as kit_db
    from layers.orgs import service

    with kit_db.get_database().transaction() as session:
        created = service.bootstrap(session)
    base = settings.public_base_url.rstrip("/")
    typer.echo(f"Layers is starting at {base}")
    typer.echo(f"Console: {base}/console")
    typer.echo(f"API:     {base}/v1   (OpenAPI at {base}/docs)")
    if created is not None:
        typer.echo(f"Bootstrap organization {created.org.id}. API keys, shown only once:")
        typer.echo(created.live_token)
        typer.echo(created.test_token)
    else:
        typer.echo("Create more API keys with: layers keys create --org <org_id>")
    sys.stdout.flush()


def _serve(settings: Settings, host: str, port: int, *, run_workers: bool) -> None:
    # Imported here, not at the top: keeps the server out of the remote commands' start-up.
    import uvicorn

    from layers.app import create_app

    app = create_app(settings, run_workers=run_workers)
    config = uvicorn.Config(
        app, host=host, port=port, log_config=None, access_log=False, timeout_graceful_shutdown=5
    )
    uvicorn.Server(config).run()


def up(host: HostOption = "127.0.0.1", port: PortOption = 8000) -> None:
    """Run everything in one process: API, console, workers and the scheduler."""
    settings = _prepare(host, port)
    _bootstrap_banner(settings)
    _serve(settings, host, port, run_workers=True)


def api(host: HostOption = "127.0.0.1", port: PortOption = 8000) -> None:
    """Run the API and console only; workflows run in `layers worker` processes."""
    settings = _prepare(host, port)
    _serve(settings, host, port, run_workers=False)


def worker(
    executor_id: Annotated[
        str | None, typer.Option(help="Stable id of this worker (default LAYERS_EXECUTOR_ID).")
    ] = None,
) -> None:
    """Run workflows and the scheduler only (scale out with several, each its own id)."""
    # Imported here, not at the top: keeps the server out of the remote commands' start-up.
    from layers import wiring
    from layers.kit import durable
    from layers.kit.settings import get_settings

    settings = get_settings()
    if executor_id:
        settings.executor_id = executor_id
    settings = _prepare()
    wiring.launch_workers(settings)
    typer.echo(f"worker {settings.executor_id} running; Ctrl-C to stop")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    durable.shutdown()


def migrate_command() -> None:
    """Create or upgrade the database (also done by up, api and worker on start)."""
    # Imported here, not at the top: keeps the database out of the remote commands' start-up.
    from layers.kit.logging import configure_logging
    from layers.kit.migrate import migrate
    from layers.kit.settings import get_settings

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    migrate(settings)
    typer.echo("database is up to date")
