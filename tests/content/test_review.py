"""The content review (approval) gate through the API: the policy, approve / reject, the
schedule stash and its promotion, publish-now's gate, events, and distribution eligibility."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from layers.events.repository import for_subject
from layers.kit import db as kit_db
from layers.models.publishing import ScheduledPost
from layers.models.social import SocialAccount
from tests.support import (
    ACME,
    assert_error,
    key_with_scopes,
    new_social_account,
    new_tenant,
    wait_for,
    wait_for_job,
)

LATER = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")


def generate(client: TestClient, world: dict[str, Any], hook: str = "Never run out") -> str:
    response = client.post(
        f"/v1/projects/{world['project']}/content/slideshow-builder",
        json={"hook": hook},
        headers=world["headers"],
    )
    assert response.status_code == 202, response.text
    assert wait_for_job(client, response.json()["jobId"], world["headers"])["status"] == (
        "completed"
    )
    return str(response.json()["containerId"])


def set_policy(client: TestClient, world: dict[str, Any], **body: Any) -> Any:
    return client.patch(
        f"/v1/projects/{world['project']}/content-review-policy",
        json=body,
        headers=world["headers"],
    )


def content(client: TestClient, world: dict[str, Any], container_id: str) -> dict[str, Any]:
    response = client.get(f"/v1/content/{container_id}", headers=world["headers"])
    assert response.status_code == 200, response.text
    return dict(response.json())


@pytest.fixture
def world(client: TestClient) -> dict[str, Any]:
    tenant = new_tenant("Reviewer")
    headers = tenant.headers(test=True)
    project = client.post("/v1/projects", json=ACME, headers=headers).json()
    return {
        "tenant": tenant,
        "headers": headers,
        "project": project["id"],
        "tiktok": new_social_account(project["id"]),
    }


def test_the_policy_defaults_to_auto_approve_never_set(
    client: TestClient, world: dict[str, Any]
) -> None:
    body = client.get(
        f"/v1/projects/{world['project']}/content-review-policy", headers=world["headers"]
    ).json()
    assert body["policy"] == "auto_approve"
    assert body["firstN"] is None and body["updatedAt"] is None
    assert body["pendingCount"] == 0 and body["requiresReview"] is False
    cid = generate(client, world)
    assert content(client, world, cid)["approvalStatus"] == "not_required"


def test_policy_validation(client: TestClient, world: dict[str, Any]) -> None:
    error = assert_error(set_policy(client, world, policy="review_first_n"), 422, "VALIDATION")
    assert error["details"]["fields"][0]["field"] == "firstN"
    error = assert_error(
        set_policy(client, world, policy="review_all", firstN=3), 422, "VALIDATION"
    )
    assert error["details"]["fields"][0]["field"] == "firstN"
    assert_error(set_policy(client, world, policy="review_first_n", firstN=51), 422, "VALIDATION")
    assert_error(set_policy(client, world, policy="review_first_n", firstN=0), 422, "VALIDATION")
    assert_error(set_policy(client, world, policy="sometimes"), 422, "VALIDATION")
    assert_error(set_policy(client, world, policy="review_all", extra=1), 422, "VALIDATION")
    response = set_policy(client, world, policy="review_first_n", firstN=2)
    assert response.status_code == 200, response.text
    assert response.json()["firstN"] == 2 and response.json()["updatedAt"].endswith("Z")
    other = new_tenant("Someone else").headers(test=True)
    assert_error(
        client.get(f"/v1/projects/{world['project']}/content-review-policy", headers=other),
        404,
        "NOT_FOUND",
    )


def test_review_needs_the_approve_scope(client: TestClient, world: dict[str, Any]) -> None:
    token = key_with_scopes(world["tenant"], ["content:read", "content:write"], test=True)
    headers = {"Authorization": f"Bearer {token}"}
    response = client.patch(
        f"/v1/projects/{world['project']}/content-review-policy",
        json={"policy": "review_all"},
        headers=headers,
    )
    assert_error(response, 403, "FORBIDDEN_SCOPE")
    assert_error(
        client.post("/v1/content/cnt_01HZZZZZZZZZZZZZZZZZZZZZZZ/approve", json={}, headers=headers),
        403,
        "FORBIDDEN_SCOPE",
    )


def test_approve_promotes_the_stashed_schedule(client: TestClient, world: dict[str, Any]) -> None:
    assert set_policy(client, world, policy="review_all").status_code == 200
    cid = generate(client, world)
    assert content(client, world, cid)["approvalStatus"] == "pending"
    queue = client.get(
        f"/v1/projects/{world['project']}/content/review-queue", headers=world["headers"]
    ).json()
    assert [item["id"] for item in queue["items"]] == [cid]
    assert queue["items"][0]["preview"]["thumbnailUrl"]

    # Publishing pending content: 403, nothing kept.
    publish = client.post(
        f"/v1/content/{cid}/publish",
        json={"targets": [{"socialAccountId": world["tiktok"], "mode": "publish"}]},
        headers=world["headers"],
    )
    error = assert_error(publish, 403, "APPROVAL_REQUIRED")
    assert error["details"]["approvalStatus"] == "pending"

    # Scheduling pending content: 202, the request is stashed.
    target = {"socialAccountId": world["tiktok"], "mode": "publish"}
    response = client.post(
        f"/v1/content/{cid}/schedule",
        json={"scheduledFor": LATER, "targets": [target]},
        headers=world["headers"],
    )
    assert response.status_code == 202, response.text
    assert response.json()["gateStatus"] == "blocked_on_approval"
    assert response.json()["scheduledPostIds"] == []
    # A bad target is refused at once, not at approval.
    bad = client.post(
        f"/v1/content/{cid}/schedule",
        json={
            "scheduledFor": LATER,
            "targets": [{"socialAccountId": "sa_nope", "mode": "publish"}],
        },
        headers=world["headers"],
    )
    assert_error(bad, 422, "VALIDATION")
    assert content(client, world, cid)["pendingScheduleRequests"] == 1
    posts = client.get(
        f"/v1/projects/{world['project']}/scheduled-posts", headers=world["headers"]
    ).json()
    assert posts["items"] == []
    policy = client.get(
        f"/v1/projects/{world['project']}/content-review-policy", headers=world["headers"]
    ).json()
    assert policy["pendingCount"] == 1

    approved = client.post(
        f"/v1/content/{cid}/approve", json={"note": "on brand"}, headers=world["headers"]
    )
    assert approved.status_code == 200, approved.text
    body = approved.json()
    assert body["approvalStatus"] == "approved" and body["approvedBy"].startswith("key_")
    promotion = body["pendingSchedulePromotion"]
    assert promotion["status"] == "ok" and len(promotion["scheduledPostIds"]) == 1
    post = client.get(
        f"/v1/scheduled-posts/{promotion['scheduledPostIds'][0]}", headers=world["headers"]
    ).json()
    assert post["status"] == "queued" and post["scheduledFor"].startswith(LATER[:-1])
    shown = content(client, world, cid)
    assert shown["approvedAt"] and shown["pendingScheduleRequests"] == 0
    assert shown["pendingSchedulePromotion"]["status"] == "ok"

    # Deciding twice is a conflict; approved content is never rejected.
    assert_error(
        client.post(f"/v1/content/{cid}/approve", json={}, headers=world["headers"]),
        409,
        "CONFLICT",
    )
    assert_error(
        client.post(f"/v1/content/{cid}/reject", json={"reason": "no"}, headers=world["headers"]),
        409,
        "CONFLICT",
    )
    with kit_db.get_database().transaction(write=False) as session:
        events = for_subject(session, cid, "content.approved")
        assert len(events) == 1
        assert events[0].data["approvedBy"] == body["approvedBy"]


def test_a_promotion_that_no_longer_holds_leaves_the_approval(
    client: TestClient, world: dict[str, Any]
) -> None:
    set_policy(client, world, policy="review_all")
    cid = generate(client, world)
    target = {"socialAccountId": world["tiktok"], "mode": "publish"}
    response = client.post(
        f"/v1/content/{cid}/schedule",
        json={"scheduledFor": LATER, "targets": [target]},
        headers=world["headers"],
    )
    assert response.status_code == 202
    with kit_db.get_database().transaction() as session:
        account = session.get(SocialAccount, world["tiktok"])
        assert account is not None
        account.status = "reauth_required"
    body = client.post(f"/v1/content/{cid}/approve", json={}, headers=world["headers"]).json()
    assert body["approvalStatus"] == "approved"
    promotion = body["pendingSchedulePromotion"]
    assert promotion["status"] == "failed" and promotion["scheduledPostIds"] == []
    assert promotion["errors"][0]["code"] == "SOCIAL_ACCOUNT_NOT_CONNECTED"
    assert content(client, world, cid)["approvalStatus"] == "approved"


def test_rejected_content_is_never_scheduled_nor_published(
    client: TestClient, world: dict[str, Any]
) -> None:
    set_policy(client, world, policy="review_all")
    cid = generate(client, world)
    target = {"socialAccountId": world["tiktok"], "mode": "publish"}
    client.post(
        f"/v1/content/{cid}/schedule",
        json={"scheduledFor": LATER, "targets": [target]},
        headers=world["headers"],
    )
    no_reason = client.post(f"/v1/content/{cid}/reject", json={}, headers=world["headers"])
    assert_error(no_reason, 422, "VALIDATION")
    response = client.post(
        f"/v1/content/{cid}/reject", json={"reason": "Off brand"}, headers=world["headers"]
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["approvalStatus"] == "rejected" and body["reason"] == "Off brand"
    assert body["discardedScheduleRequests"] == 1
    schedule = client.post(
        f"/v1/content/{cid}/schedule",
        json={"scheduledFor": LATER, "targets": [target]},
        headers=world["headers"],
    )
    assert_error(schedule, 409, "CONTENT_REJECTED")
    publish = client.post(
        f"/v1/content/{cid}/publish", json={"targets": [target]}, headers=world["headers"]
    )
    assert_error(publish, 409, "CONTENT_REJECTED")
    assert_error(
        client.post(f"/v1/content/{cid}/approve", json={}, headers=world["headers"]),
        409,
        "CONFLICT",
    )
    shown = content(client, world, cid)
    assert shown["rejectionReason"] == "Off brand" and shown["rejectedBy"].startswith("key_")
    with kit_db.get_database().transaction(write=False) as session:
        assert len(for_subject(session, cid, "content.rejected")) == 1


def test_content_that_needs_no_review_cannot_be_decided(
    client: TestClient, world: dict[str, Any]
) -> None:
    cid = generate(client, world)
    error = assert_error(
        client.post(f"/v1/content/{cid}/approve", json={}, headers=world["headers"]),
        409,
        "CONFLICT",
    )
    assert error["details"]["approvalStatus"] == "not_required"
    assert_error(
        client.post("/v1/content/cnt_missing/approve", json={}, headers=world["headers"]),
        404,
        "NOT_FOUND",
    )


def test_review_first_n_counts_decisions(client: TestClient, world: dict[str, Any]) -> None:
    set_policy(client, world, policy="review_first_n", firstN=2)
    first, second = generate(client, world, "One"), generate(client, world, "Two")
    assert content(client, world, first)["approvalStatus"] == "pending"
    assert content(client, world, second)["approvalStatus"] == "pending"
    client.post(f"/v1/content/{first}/approve", json={}, headers=world["headers"])
    third = generate(client, world, "Three")
    assert content(client, world, third)["approvalStatus"] == "pending"  # 1 decided < 2
    client.post(f"/v1/content/{second}/reject", json={"reason": "meh"}, headers=world["headers"])
    fourth = generate(client, world, "Four")
    assert content(client, world, fourth)["approvalStatus"] == "not_required"  # 2 decided
    policy = client.get(
        f"/v1/projects/{world['project']}/content-review-policy", headers=world["headers"]
    ).json()
    assert policy["decidedCount"] == 2 and policy["pendingCount"] == 1
    assert policy["requiresReview"] is False


def test_publish_now_goes_out_through_the_protocol(
    client: TestClient, world: dict[str, Any]
) -> None:
    cid = generate(client, world)
    instagram = new_social_account(world["project"], platform="instagram", handle="acme.ig")
    targets = [
        {"socialAccountId": world["tiktok"], "mode": "publish"},
        {"socialAccountId": instagram, "mode": "publish"},
    ]
    response = client.post(
        f"/v1/content/{cid}/publish", json={"targets": targets}, headers=world["headers"]
    )
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["gateStatus"] == "publishing" and len(body["scheduledPostIds"]) == 2
    assert {p["status"] for p in body["posts"]} == {"publishing"}
    for post_id in body["scheduledPostIds"]:

        def published(post_id: str = post_id) -> dict[str, Any] | None:
            post = client.get(f"/v1/scheduled-posts/{post_id}", headers=world["headers"]).json()
            return dict(post) if post["status"] == "published" else None

        post = wait_for(published, timeout=30)
        assert post["externalUrl"] and post["attemptCount"] == 1
    with kit_db.get_database().transaction(write=False) as session:
        claims = session.scalars(
            sa.select(ScheduledPost.claim_count).where(
                ScheduledPost.id.in_(body["scheduledPostIds"])
            )
        ).all()
        assert claims == [1, 1]  # claimed once each: the dispatcher never took them again


def test_publish_now_refuses_bad_requests(client: TestClient, world: dict[str, Any]) -> None:
    cid = generate(client, world)
    target = {"socialAccountId": world["tiktok"], "mode": "publish"}
    assert_error(
        client.post(f"/v1/content/{cid}/publish", json={"targets": []}, headers=world["headers"]),
        422,
        "VALIDATION",
    )
    duplicate = client.post(
        f"/v1/content/{cid}/publish", json={"targets": [target, target]}, headers=world["headers"]
    )
    assert_error(duplicate, 422, "VALIDATION")
    with kit_db.get_database().transaction(write=False) as session:
        count = session.scalar(sa.select(sa.func.count()).where(ScheduledPost.container_id == cid))
        assert count == 0  # all or nothing
    assert_error(
        client.post(
            "/v1/content/cnt_missing/publish", json={"targets": [target]}, headers=world["headers"]
        ),
        404,
        "NOT_FOUND",
    )
    # Content still generating has no media to publish now.
    started = client.post(
        f"/v1/projects/{world['project']}/content/slideshow-builder",
        json={"hook": "Wait for it"},
        headers=world["headers"],
    ).json()
    early = client.post(
        f"/v1/content/{started['containerId']}/publish",
        json={"targets": [target]},
        headers=world["headers"],
    )
    if early.status_code != 202:  # (unless the render already finished)
        assert_error(early, 409, "CONFLICT")
    wait_for_job(client, started["jobId"], world["headers"])
