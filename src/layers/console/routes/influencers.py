"""A project's influencers: each with its avatar, creating another persona, and its training
followed live (the card polls its creation job's stage until it is ready or failed)."""

from __future__ import annotations

from fastapi.responses import HTMLResponse, Response

from layers.console import manage_views, project_form, twins
from layers.console.routes import router
from layers.console.twins import admit, admit_console
from layers.console.web import Console, Ctx, Post, form_of, partial, redirect, render, text, unit
from layers.kit.errors import LayersError
from layers.projects import service as projects
from layers.projects.influencers import service as influencers
from layers.projects.influencers.persona import default_gender
from layers.projects.influencers.schemas import AgeRange, Gender, InfluencerCreate

GENDERS = (("", "Project default"), ("female", "Female"), ("male", "Male"),
           ("non_binary", "Non-binary"))  # fmt: skip
AGES = (
    ("teen", "Teen"),
    ("young_adult", "Young adult"),
    ("adult", "Adult"),
    ("mid_adult", "Mid adult"),
    ("mature", "Mature"),
    ("senior", "Senior"),
)
assert {v for v, _ in GENDERS if v} == {g.value for g in Gender}
assert {v for v, _ in AGES} == {a.value for a in AgeRange}


def _page(
    ctx: Ctx, project_id: str, form: project_form.BriefForm | None = None, status: int = 200
) -> HTMLResponse:
    for op in twins.READ_TWINS["GET /console/projects/{project_id}/influencers"]:
        admit(ctx.principal, op)
    with unit(write=False) as db:
        data = manage_views.influencers_view(db, ctx.principal, project_id)
    return render(
        ctx,
        "project_influencers.html",
        status=status,
        nav="projects",
        sub="influencers",
        form=form or project_form.BriefForm(values={"gender": "", "ageRange": "young_adult"}),
        genders=GENDERS,
        ages=AGES,
        can_write=twins.allows(ctx.principal, "POST /v1/projects/{project_id}/influencers"),
        default_gender=default_gender(data["project"].target_gender).replace("_", "-"),
        **data,
    )


@router.get("/console/projects/{project_id}/influencers")
def influencers_page(project_id: str, ctx: Ctx = Console) -> HTMLResponse:
    return _page(ctx, project_id)


@router.post("/console/projects/{project_id}/influencers", response_model=None)
def create_influencer(project_id: str, ctx: Ctx = Post) -> Response:
    admit_console(ctx.principal, "POST /console/projects/{project_id}/influencers")
    form = form_of(ctx)
    values = {name: text(form, name) for name in ("gender", "ageRange", "prompt")}
    body, checked = project_form.read(InfluencerCreate, values, clear_empty=False)
    if body is None:
        return _page(ctx, project_id, checked, status=422)
    try:
        with unit(write=True) as db:
            project = projects.get(db, ctx.principal, project_id)
            influencer, _ = influencers.create(db, project, body)
            influencer_id = influencer.id
    except LayersError as exc:
        if exc.status == 404:
            raise
        checked.message = exc.message
        return _page(ctx, project_id, checked, status=422)
    return redirect(
        f"/console/projects/{project_id}/influencers#inf-{influencer_id}",
        flash="A new influencer is training: the card shows each stage until it is ready.",
    )


@router.get("/console/influencers/{influencer_id}/card")
def influencer_card(influencer_id: str, ctx: Ctx = Console) -> HTMLResponse:
    """One card, for the page's polling while the influencer trains."""
    for op in twins.READ_TWINS["GET /console/influencers/{influencer_id}/card"]:
        admit(ctx.principal, op)
    with unit(write=False) as db:
        card = manage_views.one_influencer(db, ctx.principal, influencer_id)
    return partial(ctx, "_influencer_card.html", card=card)
