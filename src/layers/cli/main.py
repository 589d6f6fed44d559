"""The ``layers`` command."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from layers.cli import (
    account,
    admin,
    ads,
    content,
    credits,
    layers_cmd,
    media,
    metrics,
    orgs,
    output,
    posts,
    projects,
    review,
    runs,
    server,
    social,
    vault,
    webhooks,
)
from layers.cli.client import CliError

app = typer.Typer(
    name="layers",
    help="Layers: run the platform, and drive it from a terminal.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def options(
    api_key: Annotated[
        str | None,
        typer.Option(
            "--api-key",
            help="API key for remote commands (else LAYERS_API_KEY, else `layers login`).",
            show_default=False,
        ),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            help="Server URL for remote commands (else LAYERS_BASE_URL, else `layers login`).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Layers: run the platform, and drive it from a terminal."""
    output.GLOBAL_OPTIONS.update(api_key=api_key, base_url=base_url)


# Running the platform (these work on the database directly).
app.command("up")(server.up)
app.command("api")(server.api)
app.command("worker")(server.worker)
app.command("migrate")(server.migrate_command)
app.add_typer(admin.keys_app, name="keys")
app.add_typer(admin.orgs_app, name="orgs")
app.add_typer(vault.vault_app, name="vault")

# Remote commands: they talk to the HTTP API only.
app.command("login")(account.login)
app.command("logout")(account.logout)
app.command("whoami")(account.whoami)
app.add_typer(projects.projects_app, name="projects")
app.add_typer(layers_cmd.layers_app, name="layers")
app.command("run")(runs.run_command)
app.add_typer(runs.runs_app, name="runs")
app.add_typer(content.content_app, name="content")
app.add_typer(content.jobs_app, name="jobs")
content.content_app.command("schedule")(posts.schedule)
content.content_app.command("approve")(review.approve)
content.content_app.command("reject")(review.reject)
content.content_app.command("publish")(review.publish)
content.content_app.command("upload")(review.upload)
projects.projects_app.command("review-policy")(review.review_policy)
app.add_typer(media.media_app, name="media")
app.add_typer(media.influencers_app, name="influencers")
app.add_typer(social.social_app, name="social")
app.add_typer(posts.posts_app, name="posts")
app.add_typer(metrics.metrics_app, name="metrics")
app.add_typer(ads.ads_app, name="ads")
app.add_typer(webhooks.webhooks_app, name="webhooks")
app.add_typer(credits.credits_app, name="credits")
admin.orgs_app.add_typer(credits.credits_admin_app, name="credits")  # operator: on the database
admin.keys_app.command("tier")(credits.set_tier)
orgs.install(admin.orgs_app)  # over the API: children, keys, audit


def main() -> None:
    try:
        app()
    except CliError as exc:
        typer.echo(exc.render(), err=True)
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
