from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from layers.projects.keywords import research
from layers.projects.keywords.stats.base import HashtagStat
from layers.projects.keywords.stats.sandbox import SandboxHashtagStats
from tests.support import ACME, Tenant, assert_error, wait_for


def test_extraction_and_expansion_on_the_acme_brief() -> None:
    text = research.brief_text(ACME["appName"], ACME["appDescription"], ACME["tagline"])
    phrases = research.extract_phrases(text, "en")
    assert phrases and all(0 < rel <= 1 for _, rel in phrases)
    assert [rel for _, rel in phrases] == sorted((rel for _, rel in phrases), reverse=True)
    tags = {c.hashtag for c in research.expand(phrases, ACME["appName"])}
    assert {"coffee", "acmecoffee"} <= tags
    assert any(tag.endswith("tok") for tag in tags)
    assert all(tag == research.to_hashtag(tag) for tag in tags)


def test_to_hashtag_folds_accents_and_punctuation() -> None:
    assert research.to_hashtag("Café  au-lait!") == "cafeaulait"
    assert research.to_hashtag("Night-Shift Workers") == "nightshiftworkers"


def test_rank_blends_relevance_with_popularity() -> None:
    candidates = [
        research.Candidate("alpha", "alpha", 0.9),
        research.Candidate("beta", "beta", 0.9),
    ]
    stats = {"alpha": HashtagStat(10, 1), "beta": HashtagStat(10**9, 10**5)}
    ranked = research.rank(candidates, stats)
    assert [h.hashtag for h in ranked] == ["beta", "alpha"]
    assert all(0 <= h.score <= 100 for h in ranked)
    unmeasured = research.rank(candidates, {})
    assert all(h.view_count is None for h in unmeasured)


def test_sandbox_stats_are_deterministic() -> None:
    stats = SandboxHashtagStats()
    assert stats.measure(["coffeetok"]) == stats.measure(["coffeetok"])


def bank(client: TestClient, tenant: Tenant, project_id: str) -> Any:
    response = client.get(f"/v1/projects/{project_id}/keywords", headers=tenant.headers(test=True))
    assert response.status_code == 200
    return response.json()


def test_research_runs_on_create_and_lands(client: TestClient, tenant: Tenant) -> None:
    project = client.post("/v1/projects", json=ACME, headers=tenant.headers(test=True)).json()
    landed = wait_for(lambda: (b := bank(client, tenant, project["id"]))["refreshedAt"] and b)
    hashtags = landed["hashtags"]
    assert 5 <= len(hashtags) <= research.BANK_SIZE
    scores = [(h["score"], h["viewCount"] or 0) for h in hashtags]
    assert scores == sorted(scores, reverse=True)
    assert all(not h["hashtag"].startswith("#") for h in hashtags)
    assert landed["refreshedAt"].endswith("Z")


def test_refresh_returns_a_job_and_needs_a_description(client: TestClient, tenant: Tenant) -> None:
    bare = client.post(
        "/v1/projects", json={"name": "Bare", "timezone": "UTC"}, headers=tenant.headers(test=True)
    ).json()
    assert bank(client, tenant, bare["id"]) == {
        "projectId": bare["id"],
        "hashtags": [],
        "refreshedAt": None,
    }
    error = assert_error(
        client.post(
            f"/v1/projects/{bare['id']}/keywords/refresh", headers=tenant.headers(test=True)
        ),
        422,
        "VALIDATION",
    )
    assert error["details"]["missingFields"] == ["appDescription"]
    patched = client.patch(
        f"/v1/projects/{bare['id']}",
        json={"appDescription": ACME["appDescription"]},
        headers=tenant.headers(test=True),
    )
    assert patched.status_code == 200
    first = wait_for(lambda: bank(client, tenant, bare["id"])["refreshedAt"])
    response = client.post(
        f"/v1/projects/{bare['id']}/keywords/refresh", headers=tenant.headers(test=True)
    )
    assert response.status_code == 202
    job = response.json()
    assert job["kind"] == "keyword_research" and job["locationUrl"] == f"/v1/jobs/{job['jobId']}"
    done = wait_for(
        lambda: (
            (j := client.get(job["locationUrl"], headers=tenant.headers(test=True)).json())[
                "status"
            ]
            == "completed"
            and j
        )
    )
    assert done["progress"] == 1.0 and done["result"]["hashtags"] > 0
    assert bank(client, tenant, bare["id"])["refreshedAt"] > first
