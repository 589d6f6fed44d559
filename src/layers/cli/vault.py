"""``layers vault``: the credential vault's keys, operated on the database directly."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from layers.cli.admin import _database, _fail

if TYPE_CHECKING:
    from layers.social.vault import Vault

vault_app = typer.Typer(
    help="The credential vault (OAuth tokens and other secrets).", no_args_is_help=True
)


def _vault() -> Vault:
    # Imported here, not at the top: keeps the vault out of the remote commands' start-up.
    from layers.kit.settings import get_settings
    from layers.social.vault import Vault

    try:
        return Vault(get_settings().resolved_vault_keys)
    except ValueError as exc:
        raise _fail(f"LAYERS_VAULT_KEYS: {exc}") from exc


@vault_app.command("status")
def status() -> None:
    """How many secrets each key version seals."""
    vault = _vault()
    with _database().transaction(write=False) as session:
        pending = vault.pending_rotation(session)
    typer.echo(f"newest key version: {vault.newest}")
    if not pending:
        typer.echo("every secret is sealed with the newest key")
    for version, count in sorted(pending.items()):
        typer.echo(f"key version {version}: {count} secret(s) to re-encrypt")


@vault_app.command("rotate")
def rotate() -> None:
    """Re-encrypt every secret under the newest key in LAYERS_VAULT_KEYS.

    Add the new key with a higher version (``LAYERS_VAULT_KEYS="1:old,2:new"``), restart the
    processes, run this, then drop the old key. Ids do not change; a rotation interrupted
    halfway leaves every secret readable, and running it again finishes it.
    """
    # Imported here, not at the top: keeps the vault out of the remote commands' start-up.
    from layers.social.vault import VaultError

    vault = _vault()
    db = _database()
    try:
        done = vault.rotate(db)
    except VaultError as exc:
        raise _fail(str(exc)) from exc
    typer.echo(f"re-encrypted {done} secret(s) under key version {vault.newest}")
