"""The ``layers`` command."""

from __future__ import annotations

import typer

from layers.cli import admin, server, vault

app = typer.Typer(
    name="layers",
    help="Layers: run the platform, and drive it from a terminal.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.command("up")(server.up)
app.command("api")(server.api)
app.command("worker")(server.worker)
app.command("migrate")(server.migrate_command)
app.add_typer(admin.keys_app, name="keys")
app.add_typer(admin.orgs_app, name="orgs")
app.add_typer(vault.vault_app, name="vault")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
