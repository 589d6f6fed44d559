"""Keyword research as a durable workflow: each stage a step, measuring in batches.

A crash between steps resumes after the last finished step; a crash inside a batch re-runs
only that batch. The bank is replaced in one transaction at the end, so readers see the old
bank or the new one, never half of each.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from dbos import DBOS

from layers.jobs import service as jobs
from layers.jobs.workflows import reported_failure
from layers.kit import clock
from layers.kit.db import get_database
from layers.kit.errors import NotFound
from layers.models.projects import Project, ProjectHashtag
from layers.projects.keywords import research
from layers.projects.keywords.stats.base import HashtagStat
from layers.projects.keywords.stats.registry import hashtag_stats

WORKFLOW = "projects.keyword_research"
BATCH = 6


@dataclass(frozen=True)
class ResearchInput:
    job_id: str
    project_id: str


@DBOS.step(name="keywords.load_brief")
def load_brief(inp: ResearchInput) -> dict[str, Any]:
    with get_database().transaction(write=False) as session:
        project = session.get(Project, inp.project_id)
        if project is None:
            raise NotFound.of("project", inp.project_id)
        brief = {
            "text": research.brief_text(project.app_name, project.app_description, project.tagline),
            "language": project.primary_language,
            "app_name": project.app_name,
            "livemode": project.livemode,
        }
    jobs.advance(inp.job_id, stage="extracting", progress=0.05)
    return brief


@DBOS.step(name="keywords.extract")
def extract(job_id: str, text: str, language: str, app_name: str | None) -> list[list[Any]]:
    phrases = research.extract_phrases(text, language, app_name)
    candidates = research.expand(phrases, app_name, language)
    jobs.advance(job_id, stage="measuring", progress=0.15)
    return [[c.hashtag, c.phrase, c.relevance] for c in candidates]


@DBOS.step(name="keywords.measure", retries_allowed=True, max_attempts=4, interval_seconds=1.0)
def measure(job_id: str, livemode: bool, tags: list[str], progress: float) -> dict[str, Any]:
    found = hashtag_stats(livemode).measure(tags)
    jobs.advance(job_id, stage="measuring", progress=progress)
    return {t: None if s is None else [s.view_count, s.use_count] for t, s in found.items()}


@DBOS.step(name="keywords.save")
def save(inp: ResearchInput, bank: list[list[Any]]) -> dict[str, Any]:
    now = clock.now()
    with get_database().transaction() as session:
        session.execute(
            sa.delete(ProjectHashtag).where(ProjectHashtag.project_id == inp.project_id)
        )
        session.add_all(
            ProjectHashtag(
                project_id=inp.project_id,
                hashtag=tag,
                phrase=phrase,
                score=score,
                view_count=views,
                use_count=uses,
            )
            for tag, phrase, score, views, uses in bank
        )
        session.execute(
            sa.update(Project).where(Project.id == inp.project_id).values(keywords_refreshed_at=now)
        )
    result = {
        "projectId": inp.project_id,
        "hashtags": len(bank),
        "refreshedAt": clock.isoformat_z(now),
    }
    jobs.finish(inp.job_id, result)
    return result


@DBOS.workflow(name=WORKFLOW)
def keyword_research(inp: ResearchInput) -> dict[str, Any]:
    with reported_failure(inp.job_id):
        brief = load_brief(inp)
        rows = extract(inp.job_id, brief["text"], brief["language"], brief["app_name"])
        candidates = [research.Candidate(tag, phrase, rel) for tag, phrase, rel in rows]
        tags = [c.hashtag for c in candidates]
        stats: dict[str, HashtagStat | None] = {}
        batches = [tags[i : i + BATCH] for i in range(0, len(tags), BATCH)]
        for index, batch in enumerate(batches, start=1):
            progress = 0.15 + 0.75 * index / len(batches)
            measured = measure(inp.job_id, brief["livemode"], batch, progress)
            for tag, value in measured.items():
                stats[tag] = None if value is None else HashtagStat(*value)
        curated = research.curate(
            candidates, stats, brief["app_name"], brief["language"], brief["text"]
        )
        ranked = research.rank(curated, stats)
        bank = [[h.hashtag, h.phrase, h.score, h.view_count, h.use_count] for h in ranked]
        return save(inp, bank)
