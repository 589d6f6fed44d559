"""``layers content generate|show|list`` (and ``layers jobs show``)."""

from __future__ import annotations

import time
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from layers.cli.client import Client, CliError, q
from layers.cli.output import (
    AllOption,
    CursorOption,
    JsonOption,
    LimitOption,
    client,
    err,
    fetch,
    fetch_page,
    out,
    print_json,
    print_object,
    print_page,
    short_time,
    status,
)

content_app = typer.Typer(help="Generated content: generate, list, show.", no_args_is_help=True)
jobs_app = typer.Typer(help="Async jobs (content generation, research, influencers).")

EXIT_FOR_JOB = {"completed": 0, "failed": 1, "canceled": 3}
POLL_SECONDS = 0.5
WAIT_TIMEOUT = 30 * 60.0


class Format(StrEnum):
    slideshow_remix = "slideshow-remix"
    video_remix = "video-remix"
    slideshow_builder = "slideshow-builder"
    ugc_remix = "ugc-remix"


def show_container(container: dict[str, Any]) -> None:
    out.print(f"{container['id']}  {container.get('format')}  {status(container.get('status'))}")
    facts = [
        ("project", container.get("projectId")),
        ("hook", container.get("hook")),
        ("caption", container.get("caption")),
        ("hashtags", " ".join(container.get("hashtags") or [])),
        ("influencer", container.get("influencerId")),
        ("source", container.get("sourceTiktokId")),
        ("job", container.get("jobId")),
        ("created", short_time(container.get("createdAt"))),
        ("completed", short_time(container.get("completedAt"))),
    ]
    for label, value in facts:
        if value:
            out.print(f"{label:<11} {value}", markup=False)
    preview = container.get("preview")
    if preview:
        out.print(f"{'preview':<11} {preview.get('primaryUrl')}", markup=False)
        if preview.get("kind") == "slideshow":
            out.print(f"{'slides':<11} {len(preview.get('imageUrls') or [])}", markup=False)
    error = container.get("lastError")
    if error:
        out.print(f"[red]error[/]       {error.get('code')}: ", end="")
        out.print(str(error.get("message")), markup=False)


def task_done(job: dict[str, Any]) -> float:
    return float(job.get("progress") or 0) * 100


def wait_for_job(api: Client, job: dict[str, Any]) -> dict[str, Any]:
    """Poll the job (with its ETag) under a progress bar on stderr until it is final."""
    etag: str | None = None
    deadline = time.monotonic() + WAIT_TIMEOUT
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=False) as progress:
        task = progress.add_task(str(job.get("stage") or "queued"), total=100)
        while job.get("status") == "running":
            if time.monotonic() > deadline:
                raise CliError(f"{job['jobId']} is still running; check `layers jobs show`")
            progress.update(
                task,
                completed=task_done(job),
                description=str(job.get("stage") or ""),
            )
            time.sleep(POLL_SECONDS)
            fresh, etag = api.get_if_changed(f"/v1/jobs/{q(job['jobId'])}", etag)
            if fresh is not None:
                job = fresh
        progress.update(
            task,
            completed=100 if job.get("status") == "completed" else task_done(job),
            description=str(job.get("stage") or job.get("status")),
        )
    return job


@content_app.command("generate")
def generate(
    project: Annotated[str, typer.Option("--project", help="The project (prj_…).")],
    fmt: Annotated[Format, typer.Option("--format", help="What to make.")],
    hook: Annotated[
        str | None,
        typer.Option(help="The hook (slideshow-builder needs one; ugc-remix may take one)."),
    ] = None,
    influencer: Annotated[
        str | None, typer.Option("--influencer", help="A ready influencer (inf_…).")
    ] = None,
    social_account: Annotated[
        str | None, typer.Option("--social-account", help="Use this account's influencer.")
    ] = None,
    tiktok_video: Annotated[
        str | None, typer.Option("--tiktok-video", help="The source to remix (remix formats).")
    ] = None,
    media: Annotated[
        str | None, typer.Option("--media", help="A demo-video app media (ugc-remix).")
    ] = None,
    wait: Annotated[
        bool, typer.Option("--wait", help="Show progress until the job ends; exit with it.")
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """Generate content; --wait shows a progress bar until it is done.

    Prints the container id (or, with --json, the job). With --wait, prints the container when
    the job ends, and exits 1 if the job failed, 3 if it was canceled.
    """
    fields = {
        "hook": hook,
        "influencerId": influencer,
        "socialAccountId": social_account,
        "tiktokVideoId": tiktok_video,
        "mediaId": media,
    }
    body = {k: v for k, v in fields.items() if v is not None}
    with client() as api:
        job = api.post(f"/v1/projects/{q(project)}/content/{fmt.value}", body)
        if not wait:
            if json_output:
                print_json(job)
            else:
                out.print(job["containerId"])
                err.print(
                    f"Job {job['jobId']} started; follow it with: layers jobs show {job['jobId']}",
                    markup=False,
                )
            return
        container_id = job["containerId"]
        err.print(f"Generating {container_id} (job {job['jobId']}).", markup=False)
        try:
            job = wait_for_job(api, job)
        except KeyboardInterrupt:
            err.print(f"\nStopped waiting; job {job['jobId']} goes on.", markup=False)
            raise typer.Exit(130) from None
        container = api.get(f"/v1/content/{q(container_id)}")
    print_object(container, json_output, show_container)
    state = job.get("status", "")
    if state == "failed":
        error = job.get("error") or {}
        err.print(f"[red]job {job['jobId']} failed[/]: ", end="")
        err.print(f"{error.get('code')}: {error.get('message')}", markup=False)
    elif state == "canceled":
        err.print(f"job {job['jobId']} canceled", markup=False)
    raise typer.Exit(EXIT_FOR_JOB.get(state, 1))


@content_app.command("show")
def show(container_id: str, json_output: JsonOption = False) -> None:
    """A content container: status, text, preview URLs."""
    print_object(fetch(f"/v1/content/{q(container_id)}"), json_output, show_container)


@content_app.command("list")
def list_content(
    project: Annotated[str, typer.Option("--project", help="The project (prj_…).")],
    state: Annotated[
        list[str] | None,
        typer.Option("--status", help="queued, processing, completed, failed, canceled."),
    ] = None,
    fmt: Annotated[list[Format] | None, typer.Option("--format", help="A format.")] = None,
    limit: LimitOption = 25,
    all_pages: AllOption = False,
    cursor: CursorOption = None,
    json_output: JsonOption = False,
) -> None:
    """A project's content, newest first."""
    page = fetch_page(
        f"/v1/projects/{q(project)}/content",
        limit=limit,
        all_pages=all_pages,
        cursor=cursor,
        status=state or None,
        format=[f.value for f in fmt] if fmt else None,
    )
    print_page(
        page,
        json_output,
        ["id", "format", "status", "hook", "created"],
        lambda c: (
            c["id"],
            c.get("format"),
            status(c.get("status")),
            (c.get("hook") or "").replace("\\n", " / ").replace("\n", " / ")[:40],
            short_time(c.get("createdAt")),
        ),
    )


@jobs_app.command("show")
def show_job(
    job_id: str,
    wait: Annotated[bool, typer.Option("--wait", help="Show progress until it ends.")] = False,
    json_output: JsonOption = False,
) -> None:
    """A job's status, stage and progress."""
    with client() as api:
        job = api.get(f"/v1/jobs/{q(job_id)}")
        if wait:
            try:
                job = wait_for_job(api, job)
            except KeyboardInterrupt:
                raise typer.Exit(130) from None
    if json_output:
        print_json(job)
    else:
        out.print(
            f"{job['jobId']}  {job['kind']}  {status(job['status'])}  "
            f"{job.get('stage')}  {round(float(job.get('progress') or 0) * 100)}%"
        )
        if job.get("error"):
            out.print(f"{job['error'].get('code')}: {job['error'].get('message')}", markup=False)
    if wait:
        raise typer.Exit(EXIT_FOR_JOB.get(job.get("status", ""), 1))


class SourceKind(StrEnum):
    slideshow = "slideshow"
    video = "video"
    mixed = "mixed"


@content_app.command("sources")
def sources(
    project: Annotated[str, typer.Option("--project", help="The project (prj_…).")],
    keyword: Annotated[
        str | None,
        typer.Option("--keyword", "-k", help="Search TikTok live for this (else the portfolio)."),
    ] = None,
    kind: Annotated[SourceKind, typer.Option("--kind", help="What to find.")] = SourceKind.mixed,
    limit: Annotated[int, typer.Option("--limit", min=1, max=20, help="At most this many.")] = 20,
    json_output: JsonOption = False,
) -> None:
    """TikTok posts to remix: a live keyword search, or the project's portfolio.

    Pass an id to `content generate --format slideshow-remix --tiktok-video …`.
    """
    found = fetch_page(
        f"/v1/projects/{q(project)}/content/source-recommendations",
        limit=limit,
        all_pages=False,
        cursor=None,
        kind=kind.value,
        keyword=keyword,
    )
    if json_output:
        print_json(found)
        return
    origin = "live search" if found.get("source") == "live_search" else "portfolio"
    err.print(f"{origin}: {', '.join(found.get('keywords') or [])}", markup=False)
    print_page(
        found,
        False,
        ["tiktok id", "kind", "slides", "author", "views", "caption"],
        lambda s: (
            s["tiktokId"],
            s.get("kind"),
            s.get("imageCount"),
            f"@{(s.get('author') or {}).get('username') or '?'}",
            (s.get("stats") or {}).get("viewCount"),
            (s.get("caption") or "")[:50],
        ),
        more=False,
    )
