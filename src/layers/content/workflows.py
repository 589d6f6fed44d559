"""Generating a container as a durable workflow: prepare → write → render → finalize.

Stages (the job's ``stage``): ``queued → sourcing → writing → generating_visuals →
finalizing → finalized``; progress only moves forward. Each step is idempotent: render writes
to keys named by container and generation, finalize replaces that generation's asset rows, so
a step re-run after a crash converges on the same result.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any

from dbos import DBOS
from sqlalchemy.orm import Session

from layers.content import backgrounds as scenes
from layers.content import repository, service
from layers.content.inputs import WORKFLOW, GenerateInput
from layers.content.sources import service as sources
from layers.content.speech.base import SpeechUnavailable
from layers.content.speech.registry import fallback as speech_fallback
from layers.content.speech.registry import speech_writer
from layers.content.text import hashtags_for
from layers.content.writers.base import Brief, CaptionContext
from layers.content.writers.registry import text_writer
from layers.events import service as events
from layers.jobs import service as jobs
from layers.jobs.workflows import application_error, describe, reported_failure
from layers.kit import clock
from layers.kit.db import get_database
from layers.kit.errors import NotFound, RenderFailed
from layers.kit.ids import new_id
from layers.kit.settings import get_settings
from layers.kit.storage import get_storage
from layers.models.content import ContainerAsset, ContentContainer
from layers.models.projects import Influencer, Project
from layers.orgs.wallet import service as wallet
from layers.projects.media.service import live_media
from layers.render import audio, clip, compose, drawing
from layers.render.video import RenderError
from layers.sources.registry import source_catalog

SLIDESHOW_BUILDER_SLIDES = 6
VIDEO_BEATS = 3
RASTER = ("image/png", "image/jpeg", "image/webp")

_log = logging.getLogger("layers.content")


def _keys(media: list[Any], limit: int) -> list[str]:
    return [m.storage_key for m in media if m.mime_type in RASTER][:limit]


@DBOS.step(name="content.prepare")
def prepare(inp: GenerateInput) -> dict[str, Any]:
    """Gather everything the generation needs (and pick a source when none was given)."""
    jobs.advance(inp.job_id, stage="sourcing", progress=0.05)
    with get_database().transaction() as session:
        container = session.get(ContentContainer, inp.container_id)
        if container is None:
            raise NotFound.of("content", inp.container_id)
        repository.start_processing(session, inp.container_id, inp.job_id, clock.now())
        project = session.get(Project, container.project_id)
        assert project is not None
        influencer = session.get(Influencer, container.influencer_id or "")
        media = live_media(session, project.id)
        bank = repository.best_hashtags(session, project.id, 8)
        brief = service.brief_for(session, project, influencer.name if influencer else None)
        used = repository.remixed_sources(session, project.id)
        source_kind = service.REMIX_SOURCE_KIND.get(container.format)
        tiktok_id = container.source_tiktok_id
        demo = next((m for m in media["demo-video"] if m.id == container.media_id), None)
        demo = demo or (media["demo-video"][0] if media["demo-video"] else None)
        plan: dict[str, Any] = {
            "format": container.format,
            "livemode": container.livemode,
            "seed": f"{container.id}:{inp.generation}",
            "palette_seed": project.id,
            "brief": brief.__dict__,
            "hashtags": hashtags_for(bank, project.app_name),
            "hook": container.hook,
            "app_name": project.app_name or project.name,
            "tagline": project.tagline,
            "influencer": (
                {"name": influencer.name, "image_key": influencer.image_key}
                if influencer is not None
                else None
            ),
            "logo_key": next(iter(_keys(media["logo"], 1)), None),
            "end_card_key": next(iter(_keys(media["end-card"], 1)), None),
            "screenshot_keys": _keys(media["screenshot"], 4),
            "demo_key": demo.storage_key if demo is not None else None,
            "source": None,
        }
        keywords = (
            sources.portfolio_keywords(session, project) if source_kind and not tiktok_id else []
        )
    if source_kind:
        # Outside the transaction above: the catalog may go to the network, and remembering
        # what it found is a write transaction of its own.
        if tiktok_id:
            post = sources.resolve(plan["livemode"], tiktok_id, source_kind)
        else:
            post = sources.pick(plan["livemode"], keywords, source_kind, used)
            with get_database().transaction() as session:
                repository.record_source(session, inp.container_id, post.tiktok_id)
        files = source_catalog(plan["livemode"]).media(post, full=True)
        plan["source"] = {
            "id": post.tiktok_id,
            "kind": post.kind,
            "texts": post.slide_texts,
            "keyword": post.keyword or "",
            "slide_keys": files.slides,
            "clip_key": files.video,
        }
    return plan


@DBOS.step(name="content.write", retries_allowed=True, max_attempts=3, interval_seconds=2.0)
def write(inp: GenerateInput, plan: dict[str, Any]) -> dict[str, Any]:
    """Every text of the container, and which provider wrote it (``providers``): slides,
    caption (varied against the project's recent captions), hashtags chosen from the
    curated bank only (whatever a model answers, a tag outside the bank is dropped)."""
    jobs.advance(inp.job_id, stage="writing", progress=0.2)
    brief = Brief(**plan["brief"])
    writer = text_writer(plan["livemode"])
    seed = plan["seed"]
    source = plan["source"]
    fmt = plan["format"]
    if fmt in ("slideshow-remix", "video-remix"):
        texts = list(source["texts"])
        while len(texts) < (3 if fmt == "slideshow-remix" else VIDEO_BEATS + 2):
            texts.append(texts[-1] if texts else plan["app_name"])
        adapted = writer.adapt_slides(brief, texts, source["keyword"], seed)
        hook = adapted[0]
        body = adapted[1:-1]
        end = adapted[-1]
    else:
        hook = plan["hook"] or writer.hooks(brief, 1, seed)[0]
        count = SLIDESHOW_BUILDER_SLIDES if fmt == "slideshow-builder" else VIDEO_BEATS + 2
        rest = writer.build_slides(brief, hook, count, seed)
        body, end = rest[:-1], rest[-1]
    if _is_video(fmt):
        body = body[:VIDEO_BEATS]
    with get_database().transaction(write=False) as session:
        position, recent = repository.caption_history(session, inp.container_id, 9)
    context = CaptionContext(position=position, recent=recent)
    caption = writer.caption(brief, hook, seed, slides=[*body, end], context=context)
    bank = list(plan["hashtags"])
    hashtags = [tag for tag in writer.hashtags(brief, bank, hook, seed) if tag in bank]
    return {
        "hook": hook,
        "body": body,
        "end": end,
        "caption": caption,
        "hashtags": list(dict.fromkeys(hashtags)),
        "providers": {"text": writer.provider, "hashtags": f"{writer.provider}+bank"},
    }


def _is_video(fmt: str) -> bool:
    return service.MEDIA_KIND[fmt] == "video"


def _visuals(plan: dict[str, Any], storage: Any) -> compose.Visuals:
    def load(key: str | None, at_least: tuple[int, int] | None = None) -> Any:
        if not key or not storage.exists(key):
            return None
        return drawing.open_image(storage.path(key).read_bytes(), at_least=at_least)

    influencer = plan["influencer"] or {}
    source = plan["source"] or {}
    brief = plan["brief"]
    return compose.Visuals(
        palette=drawing.palette_for(brief["brand_voice"], plan["palette_seed"]),
        app_name=plan["app_name"],
        tagline=plan["tagline"],
        logo=load(plan["logo_key"]),
        end_card=load(plan["end_card_key"]),
        screenshots=[img for img in (load(k) for k in plan["screenshot_keys"]) if img],
        avatar=load(influencer.get("image_key")),
        persona_name=influencer.get("name"),
        backgrounds=[
            img
            for img in (load(k, drawing.BACKDROP_SOURCE) for k in source.get("slide_keys") or [])
            if img
        ],
        scene=load(plan.get("scene_key")),
    )


@DBOS.step(name="content.backgrounds", retries_allowed=True, max_attempts=3, interval_seconds=2.0)
def backgrounds(inp: GenerateInput, plan: dict[str, Any]) -> dict[str, str | None]:
    """The generated background of a slideshow without source pictures (live mode with an
    image model; nothing otherwise) — a step of its own: a slow network call, retried."""
    storage = get_storage(get_settings())
    prefix = f"content/{inp.container_id}/g{inp.generation}"
    return scenes.make_scene(plan, prefix, storage, seed=plan["seed"])


def _spoken_language(plan: dict[str, Any], texts: dict[str, Any]) -> str:
    """The language the script is written in: an offline writer says which
    (``offline-en``), a model writes in the brief's."""
    provider = str((texts.get("providers") or {}).get("text") or "")
    if provider.startswith("offline-"):
        return provider.removeprefix("offline-")
    return str(plan["brief"].get("language") or "en")


@DBOS.step(name="content.speak")
def speak(inp: GenerateInput, plan: dict[str, Any], texts: dict[str, Any]) -> dict[str, Any]:
    """A video's voice-over (or music bed), stored next to the container's media: which
    engine made it, and one slot per scene (the scenes' durations). A failing live engine
    falls back to the offline one, and the container records which spoke."""
    if not _is_video(plan["format"]):
        return {}
    language = _spoken_language(plan, texts)
    parts = [texts["hook"], *texts["body"], texts["end"]]
    writer = speech_writer(plan["livemode"], language, plan["palette_seed"])
    storage = get_storage(get_settings())
    with tempfile.TemporaryDirectory(prefix="layers-speech-") as tmp:
        try:
            try:
                speech = writer.speak(parts, Path(tmp), language=language)
            except SpeechUnavailable as exc:
                _log.warning("speech by %s failed (%s); speaking offline", writer.provider, exc)
                speech = speech_fallback(writer, language, plan["palette_seed"]).speak(
                    parts, Path(tmp), language=language
                )
        except (RenderError, SpeechUnavailable) as exc:
            raise RenderFailed(f"no soundtrack: {exc}") from exc
        key = f"content/{inp.container_id}/g{inp.generation}/{speech.path.name}"
        storage.put(key, speech.path.read_bytes(), "audio/wav")
    return {
        "key": key,
        "provider": speech.provider,
        "voiced": speech.voiced,
        "slots": list(speech.slots),
    }


@DBOS.step(name="content.render")
def render(inp: GenerateInput, plan: dict[str, Any], texts: dict[str, Any]) -> list[dict[str, Any]]:
    jobs.advance(inp.job_id, stage="generating_visuals", progress=0.3)
    settings = get_settings()
    storage = get_storage(settings)
    visuals = _visuals(plan, storage)

    def progress(fraction: float) -> None:
        jobs.advance(inp.job_id, stage="generating_visuals", progress=0.3 + 0.55 * fraction)

    with tempfile.TemporaryDirectory(prefix="layers-render-") as tmp:
        out_dir = Path(tmp)
        if _is_video(plan["format"]):
            base_key = plan["demo_key"] or (plan["source"] or {}).get("clip_key")
            if base_key and storage.exists(base_key):
                visuals.base_video = storage.path(base_key)
            voice = plan.get("speech") or {}
            soundtrack = None
            if voice.get("key") and storage.exists(voice["key"]):
                soundtrack = audio.Soundtrack(
                    storage.path(voice["key"]), bool(voice["voiced"]), tuple(voice["slots"])
                )
            try:
                rendered = clip.video_clip(
                    visuals,
                    texts["hook"],
                    texts["body"],
                    texts["end"],
                    out_dir,
                    soundtrack=soundtrack,
                    # The source's own footage carries its caption: never under ours.
                    footage_is_source=not plan["demo_key"],
                    seed=plan["palette_seed"],
                    preset=settings.render_preset,
                    progress=progress,
                )
            except RenderError as exc:
                raise RenderFailed(str(exc)) from exc
        else:
            slides = [texts["hook"], *texts["body"], texts["end"]]
            rendered = compose.slideshow(visuals, slides, out_dir, progress=progress)
        assets = []
        prefix = f"content/{inp.container_id}/g{inp.generation}"
        for item in rendered:
            key = f"{prefix}/{item.path.name}"
            data = item.path.read_bytes()
            storage.put(key, data, item.mime_type)
            assets.append(
                {
                    "role": item.role,
                    "position": item.position,
                    "key": key,
                    "mime_type": item.mime_type,
                    "width": item.width,
                    "height": item.height,
                    "byte_size": len(data),
                    "duration_ms": item.duration_ms,
                }
            )
    return assets


@DBOS.step(name="content.finalize")
def finalize(inp: GenerateInput, texts: dict[str, Any], assets: list[dict[str, Any]]) -> None:
    jobs.advance(inp.job_id, stage="finalizing", progress=0.9)
    now = clock.now()
    ids: list[dict[str, Any]] = []
    with get_database().transaction() as session:
        completed = repository.complete(
            session, inp.container_id, inp.job_id, inp.generation, texts, now
        )
        if not completed:
            container = session.get(ContentContainer, inp.container_id)
            finished_before = (
                container is not None
                and container.job_id == inp.job_id
                and container.status == "completed"
                and container.generation == inp.generation
            )
            if not finished_before:
                return  # canceled (or replaced) while rendering: keep nothing
        repository.delete_assets(session, inp.container_id, inp.generation)
        for asset in assets:
            asset_id = new_id("ast")
            ids.append({"assetId": asset_id, "kind": asset["role"], "mimeType": asset["mime_type"]})
            session.add(
                ContainerAsset(
                    id=asset_id,
                    container_id=inp.container_id,
                    generation=inp.generation,
                    role=asset["role"],
                    position=asset["position"],
                    storage_key=asset["key"],
                    mime_type=asset["mime_type"],
                    width=asset["width"],
                    height=asset["height"],
                    byte_size=asset["byte_size"],
                    duration_ms=asset["duration_ms"],
                    created_at=now,
                )
            )
        repository.posts_ready(session, inp.container_id, now)
        wallet.settle_generation(session, inp.job_id)
        if completed:
            _record_generated(session, inp, ids)
    jobs.finish(
        inp.job_id,
        {"containerId": inp.container_id, "containerIds": [inp.container_id], "assets": ids},
    )


def _record_generated(session: Session, inp: GenerateInput, assets: list[dict[str, Any]]) -> None:
    """``content.generated``, in the transaction that completes the container (once: a
    re-run of the step finds the container already completed and records nothing)."""
    container = session.get(ContentContainer, inp.container_id)
    if container is None:
        return
    events.record(
        session,
        "content.generated",
        org_id=container.org_id,
        livemode=container.livemode,
        project_id=container.project_id,
        subject_id=container.id,
        data={
            "id": container.id,
            "projectId": container.project_id,
            "jobId": inp.job_id,
            "generation": inp.generation,
            "assets": assets,
        },
    )


@DBOS.step(name="content.mark_failed")
def mark_failed(inp: GenerateInput, code: str, message: str) -> None:
    with get_database().transaction() as session:
        error = {"code": code, "message": message}
        service.end_without_media(session, inp.container_id, inp.job_id, "failed", error)


@DBOS.workflow(name=WORKFLOW)
def generate(inp: GenerateInput) -> str:
    try:
        with reported_failure(inp.job_id):
            plan = prepare(inp)
            texts = write(inp, plan)
            scene = backgrounds(inp, plan)
            plan = {**plan, "scene_key": scene["key"]}
            providers = {**(texts.get("providers") or {}), "images": scene["provider"]}
            texts = {**texts, "providers": providers}
            voice = speak(inp, plan, texts)
            if voice:
                plan = {**plan, "speech": voice}
                providers = {**(texts.get("providers") or {}), "speech": voice["provider"]}
                texts = {**texts, "providers": providers}
            assets = render(inp, plan, texts)
            finalize(inp, texts, assets)
    except BaseException as exc:
        cause = application_error(exc)
        if cause is not None:
            mark_failed(inp, *describe(cause))
        raise
    return inp.container_id
