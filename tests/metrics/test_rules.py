"""The rules of the metrics domain: the temperature's hysteresis, the organic score, the
simulator's determinism, the series arithmetic, and the API's answers to bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from layers.kit import clock
from layers.kit.settings import get_settings
from layers.metrics import performers
from layers.metrics.analytics import Granularity, bucket_start
from layers.metrics.sources.base import MetricsAccount, PostRef
from layers.metrics.sources.sandbox import SandboxMetrics, quality
from layers.social import health
from tests.social.helpers import new_project
from tests.support import Tenant, assert_error, key_with_scopes, manual_time


def test_temperature_moves_only_past_the_margin() -> None:
    assert health.temperature_for(27) == "warm"  # no history: the plain thresholds
    assert health.temperature_for(27, "cold") == "cold"  # not yet 30
    assert health.temperature_for(30, "cold") == "warm"
    assert health.temperature_for(21, "warm") == "warm"  # not yet below 20
    assert health.temperature_for(19, "warm") == "cold"
    assert (
        health.temperature_for(62, "warm") == "warm" and health.temperature_for(65, "warm") == "hot"
    )
    assert (
        health.temperature_for(56, "hot") == "hot" and health.temperature_for(54, "hot") == "warm"
    )
    assert health.temperature_for(70, "cold") == "hot"  # a big jump goes all the way


def test_engagement_counts_in_the_score() -> None:
    record = {"postsPublished": 10, "postsFailed": 0, "streakDays": 3}
    posting_only = health.score_of(record, True)
    with_reach = health.score_of(
        {**record, "postsMeasured": 10, "views": 30_000, "engagementRate": 0.09}, True
    )
    flopped = health.score_of(
        {**record, "postsMeasured": 10, "views": 100, "engagementRate": 0.01}, True
    )
    assert posting_only < with_reach and flopped < with_reach - 10
    assert health.temperature_for(flopped, "cold") == "cold"
    assert health.temperature_for(with_reach, "cold") == "warm"
    assert health.score_of({**record, "postsMeasured": 10, "views": 30_000}, False) == 0


def test_the_organic_score_and_the_gate() -> None:
    assert performers.organic_score(views=40, engaged=10, posts=1) is None  # noise
    strong = performers.organic_score(views=100_000, engaged=12_000, posts=1)
    weak = performers.organic_score(views=120, engaged=2, posts=1)
    assert strong == 10.0 and weak is not None and weak < 4.0
    assert performers.is_eligible(strong, None) and not performers.is_eligible(weak, None)
    assert performers.is_eligible(weak, "include") and not performers.is_eligible(strong, "exclude")
    assert not performers.is_eligible(None, None)


def test_the_simulator_is_deterministic_and_rises_then_flattens() -> None:
    source = SandboxMetrics("tiktok", get_settings())
    account = MetricsAccount("sa_sim", "open-1", "acme", None)
    posted = datetime(2026, 11, 1, 10, tzinfo=UTC)
    refs = [PostRef(f"sbx-{i}", posted) for i in range(30)]
    seen = []
    with manual_time(posted) as manual:
        for hours in (1, 12, 48, 240, 480):
            manual.set(posted + timedelta(hours=hours))
            first = source.post_stats(None, account, refs)  # type: ignore[arg-type]
            assert first == source.post_stats(None, account, refs)  # type: ignore[arg-type]
            seen.append(sum(s.views for s in first))
    assert seen == sorted(seen) and seen[0] < seen[2]
    assert seen[4] - seen[3] < (seen[2] - seen[1])  # it flattens
    qualities = sorted(quality(ref.platform_post_id) for ref in refs)
    assert qualities[-1] > 3 * qualities[len(qualities) // 2]  # some clearly outperform


def test_buckets() -> None:
    at = datetime(2026, 12, 3, 14, 37, tzinfo=UTC)  # a Thursday
    assert bucket_start(at, Granularity.hour) == datetime(2026, 12, 3, 14, tzinfo=UTC)
    assert bucket_start(at, Granularity.day) == datetime(2026, 12, 3, tzinfo=UTC)
    assert bucket_start(at, Granularity.week) == datetime(2026, 11, 30, tzinfo=UTC)


def test_bad_input_is_a_clear_error(
    client: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    project_id = new_project(client, tenant)
    url = f"/v1/projects/{project_id}/metrics"
    headers = tenant.headers()
    ok = client.get(url, params={"scope": "project", "id": project_id}, headers=headers)
    assert ok.status_code == 200 and ok.json()["totals"]["views"] == 0
    assert len(ok.json()["series"][0]["points"]) in (30, 31)
    assert_error(
        client.get(url, params={"scope": "project", "id": "prj_x"}, headers=headers),
        404,
        "NOT_FOUND",
    )
    assert_error(
        client.get(url, params={"scope": "galaxy", "id": project_id}, headers=headers),
        422,
        "VALIDATION",
    )
    assert_error(
        client.get(
            url, params={"scope": "project", "id": project_id, "metrics": "mood"}, headers=headers
        ),
        422,
        "VALIDATION",
    )
    now = clock.now()
    backwards = {
        "scope": "project",
        "id": project_id,
        "since": now.isoformat(),
        "until": (now - timedelta(days=1)).isoformat(),
    }
    assert_error(client.get(url, params=backwards, headers=headers), 422, "VALIDATION")
    too_fine = {
        "scope": "project",
        "id": project_id,
        "granularity": "hour",
        "since": (now - timedelta(days=90)).isoformat(),
    }
    assert_error(client.get(url, params=too_fine, headers=headers), 422, "VALIDATION")
    naive = {"scope": "project", "id": project_id, "since": "2026-11-01T00:00:00"}
    assert client.get(url, params=naive, headers=headers).status_code == 200
    # Another tenant's project is not there; a key without metrics:read is refused.
    assert_error(
        client.get(
            url, params={"scope": "project", "id": project_id}, headers=other_tenant.headers()
        ),
        404,
        "NOT_FOUND",
    )
    reader = key_with_scopes(tenant, ["projects:read"])
    assert_error(
        client.get(
            url,
            params={"scope": "project", "id": project_id},
            headers={"Authorization": f"Bearer {reader}"},
        ),
        403,
        "FORBIDDEN_SCOPE",
    )
    top = client.get(
        f"/v1/projects/{project_id}/top-performers", params={"metric": "views"}, headers=headers
    )
    assert top.status_code == 200 and top.json()["items"] == []
    assert_error(
        client.put(
            f"/v1/projects/{project_id}/top-performers/cnt_nope/override",
            json={"override": "include"},
            headers=headers,
        ),
        404,
        "NOT_FOUND",
    )
