"""Operator commands that work on the database directly (no API key needed)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from layers.kit import db as kit_db

# The database imports happen inside the commands, so that the remote commands of the same
# `layers` program start fast.

keys_app = typer.Typer(help="API keys.", no_args_is_help=True)
orgs_app = typer.Typer(help="Organizations.", no_args_is_help=True)


def _database() -> kit_db.Database:
    # Imported here, not at the top: keeps the database out of the remote commands' start-up.
    from layers.kit import db as kit_db
    from layers.kit.migrate import migrate
    from layers.kit.settings import get_settings

    settings = get_settings()
    migrate(settings)
    return kit_db.configure(settings.resolved_database_url)


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=2)


@keys_app.command("create")
def create_key(
    org: Annotated[
        str | None, typer.Option(help="Organization id (optional when there is only one).")
    ] = None,
    test: Annotated[bool, typer.Option("--test", help="A test-mode (sandbox) key.")] = False,
    scope: Annotated[
        list[str] | None, typer.Option(help="A scope to grant (repeatable); default '*'.")
    ] = None,
    allow_return_domain: Annotated[
        list[str] | None, typer.Option(help="An OAuth return domain to allow (repeatable).")
    ] = None,
    name: Annotated[str, typer.Option(help="A label for the key.")] = "cli",
) -> None:
    """Create an API key and print it (alone on its line, shown only this once)."""
    # Imported here, not at the top: keeps the database out of the remote commands' start-up.
    import sqlalchemy as sa

    from layers.kit.errors import LayersError
    from layers.models.orgs import Organization
    from layers.orgs import service

    with _database().transaction() as session:
        if org is None:
            orgs = list(session.scalars(sa.select(Organization).limit(2)))
            if len(orgs) != 1:
                raise _fail("several organizations exist; pass --org org_…")
            organization = orgs[0]
        else:
            found = session.get(Organization, org)
            if found is None:
                raise _fail(f"no organization {org}")
            organization = found
        try:
            key, token = service.create_api_key(
                session,
                organization,
                livemode=not test,
                name=name,
                scopes=scope or ["*"],
                allowed_return_domains=allow_return_domain or [],
            )
        except LayersError as exc:
            raise _fail(exc.message) from exc
    typer.echo(f"created {key.id} for {organization.id} ({'test' if test else 'live'})", err=True)
    typer.echo(token)


@orgs_app.command("create")
def create_org(
    name: str,
    parent: Annotated[str | None, typer.Option(help="Parent organization id.")] = None,
) -> None:
    """Create an organization and print its id."""
    # Imported here, not at the top: keeps the database out of the remote commands' start-up.
    from layers.kit.errors import LayersError
    from layers.orgs import service

    with _database().transaction() as session:
        try:
            org = service.create_organization(session, name, parent)
        except LayersError as exc:
            raise _fail(exc.message) from exc
    typer.echo(org.id)


def list_orgs() -> None:
    """Every organization in the local database (``layers orgs list --local``, `cli.orgs`)."""
    # Imported here, not at the top: keeps the database out of the remote commands' start-up.
    import sqlalchemy as sa

    from layers.models.orgs import Organization

    with _database().transaction(write=False) as session:
        for org in session.scalars(sa.select(Organization).order_by(Organization.id)):
            parent = f" (child of {org.parent_id})" if org.parent_id else ""
            typer.echo(f"{org.id}\t{org.name}{parent}")
