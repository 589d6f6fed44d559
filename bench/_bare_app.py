"""The baseline: a bare FastAPI app with endpoints shaped like ours, no database, no auth."""

from __future__ import annotations

from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI()

PROJECT = {
    "id": "prj_01M8280PVY7Z0H6EGQDSHSH3ND",
    "organizationId": "org_01M8280HMSCBAVQHK72JX9WY49",
    "livemode": False,
    "name": "Acme Coffee",
    "status": "active",
    "timezone": "America/Los_Angeles",
    "primaryLanguage": "en",
    "brandVoice": "warm",
    "targetGender": "all",
}


class ProjectIn(BaseModel):
    name: str
    timezone: str


@app.get("/v1/projects/{project_id}")
def get_project(project_id: str) -> dict[str, object]:
    return {**PROJECT, "id": project_id}


@app.post("/v1/projects", status_code=201)
def create_project(body: ProjectIn) -> dict[str, object]:
    return {**PROJECT, "name": body.name, "timezone": body.timezone}
