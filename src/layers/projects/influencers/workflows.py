"""Creating an influencer: ``pending → training`` (persona, avatar) ``→ ready``."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from dbos import DBOS

from layers.jobs import service as jobs
from layers.jobs.workflows import application_error, describe, reported_failure
from layers.kit.db import get_database
from layers.kit.errors import NotFound
from layers.kit.settings import get_settings
from layers.kit.storage import get_storage
from layers.models.projects import Influencer, Project
from layers.projects.influencers import avatar, persona
from layers.render.images.registry import image_generator

WORKFLOW = "projects.create_influencer"


@dataclass(frozen=True)
class CreateInfluencerInput:
    job_id: str
    influencer_id: str


def image_key(influencer_id: str, variant: str) -> str:
    return f"influencers/{influencer_id}/{variant}.png"


@DBOS.step(name="influencers.design_persona")
def design_persona(inp: CreateInfluencerInput) -> dict[str, object]:
    with get_database().transaction() as session:
        influencer = session.get(Influencer, inp.influencer_id)
        if influencer is None:
            raise NotFound.of("influencer", inp.influencer_id)
        project = session.get(Project, influencer.project_id)
        assert project is not None
        if influencer.persona:
            # A clone arrives with its source's persona (restyled): the same face.
            designed = persona.Persona(**influencer.persona)
        else:
            designed = persona.generate(
                seed=influencer.id,
                gender=influencer.gender,
                age_range=influencer.age_range,
                brand_voice=influencer.brand_voice,
                language=influencer.language,
                app_name=project.app_name,
                prompt=influencer.prompt,
            )
        # Conditional: a cancel that already failed the influencer must stay failed.
        session.execute(
            sa.update(Influencer)
            .where(
                Influencer.id == inp.influencer_id, Influencer.status.in_(["pending", "training"])
            )
            .values(status="training", persona=designed.to_dict())
        )
    jobs.advance(inp.job_id, stage="rendering", progress=0.3)
    return designed.to_dict()


@DBOS.step(
    name="influencers.render_avatar", retries_allowed=True, max_attempts=3, interval_seconds=2.0
)
def render_avatar(inp: CreateInfluencerInput, designed: dict[str, object]) -> None:
    with get_database().transaction(write=False) as session:
        influencer = session.get(Influencer, inp.influencer_id)
        livemode = influencer.livemode if influencer is not None else False
    image = avatar.portrait(
        persona.Persona(**designed),  # type: ignore[arg-type]
        image_generator(livemode),
        seed=inp.influencer_id,
    )
    storage = get_storage(get_settings())
    storage.put(image_key(inp.influencer_id, "avatar"), avatar.encode_png(image), "image/png")
    storage.put(
        image_key(inp.influencer_id, "thumbnail"),
        avatar.encode_png(image, avatar.THUMB),
        "image/png",
    )
    jobs.advance(inp.job_id, stage="finalizing", progress=0.85)


@DBOS.step(name="influencers.mark_ready")
def mark_ready(inp: CreateInfluencerInput, name: str) -> None:
    with get_database().transaction() as session:
        session.execute(
            sa.update(Influencer)
            .where(Influencer.id == inp.influencer_id, Influencer.status == "training")
            .values(
                status="ready",
                # A name given before it was ready (a clone's, a PATCH) wins over the persona's.
                name=sa.func.coalesce(Influencer.name, name),
                image_key=image_key(inp.influencer_id, "avatar"),
            )
        )
    jobs.finish(inp.job_id, {"influencerId": inp.influencer_id})


@DBOS.step(name="influencers.mark_failed")
def mark_failed(influencer_id: str, message: str) -> None:
    with get_database().transaction() as session:
        session.execute(
            sa.update(Influencer)
            .where(Influencer.id == influencer_id, Influencer.status.in_(["pending", "training"]))
            .values(status="failed", error_message=message[:1000])
        )


@DBOS.workflow(name=WORKFLOW)
def create_influencer(inp: CreateInfluencerInput) -> str:
    try:
        with reported_failure(inp.job_id):
            designed = design_persona(inp)
            render_avatar(inp, designed)
            mark_ready(inp, str(designed["name"]))
    except BaseException as exc:
        cause = application_error(exc)
        if cause is not None:
            mark_failed(inp.influencer_id, describe(cause)[1])
        raise
    return inp.influencer_id
