"""Scheduling a container, moving and canceling posts, reading them back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from layers.kit import db as kit_db
from layers.models.publishing import ScheduledPost
from tests.support import (
    ACME,
    assert_error,
    new_social_account,
    new_tenant,
    ready_influencer,
    wait_for_job,
)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def set_status(post_id: str, status: str) -> None:
    with kit_db.get_database().transaction() as session:
        session.execute(
            sa.update(ScheduledPost).where(ScheduledPost.id == post_id).values(status=status)
        )


@pytest.fixture(scope="module")
def world(client: TestClient) -> dict[str, Any]:
    tenant = new_tenant("Scheduler")
    headers = tenant.headers(test=True)
    project = client.post("/v1/projects", json=ACME, headers=headers).json()
    other = client.post("/v1/projects", json={**ACME, "name": "Other brand"}, headers=headers)
    response = client.post(
        f"/v1/projects/{project['id']}/content/slideshow-builder",
        json={"hook": "Never run out again"},
        headers=headers,
    ).json()
    assert wait_for_job(client, response["jobId"], headers)["status"] == "completed"
    return {
        "tenant": tenant,
        "headers": headers,
        "project": project,
        "container": response["containerId"],
        "tiktok": new_social_account(project["id"]),
        "instagram": new_social_account(project["id"], platform="instagram", handle="acme.ig"),
        "disconnected": new_social_account(project["id"], status="reauth_required"),
        "foreign": new_social_account(other.json()["id"]),
    }


def schedule(
    client: TestClient,
    world: dict[str, Any],
    scheduled_for: str,
    targets: list[dict[str, Any]],
    container: str | None = None,
) -> Any:
    return client.post(
        f"/v1/content/{container or world['container']}/schedule",
        json={"scheduledFor": scheduled_for, "targets": targets},
        headers=world["headers"],
    )


def test_quickstart_step_5(client: TestClient, world: dict[str, Any]) -> None:
    response = schedule(
        client,
        world,
        "2031-05-15T09:00:00-07:00",
        [{"socialAccountId": world["tiktok"], "mode": "publish"}],
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["gateStatus"] == "queued" and body["scheduledFor"] == "2031-05-15T16:00:00.000Z"
    [post_id] = body["scheduledPostIds"]
    assert post_id.startswith("sp_")
    post = client.get(f"/v1/scheduled-posts/{post_id}", headers=world["headers"]).json()
    assert post["status"] == "queued" and post["internalStatus"] == "ready"
    assert post["origin"] == "api" and post["layerId"] is None and post["platform"] == "tiktok"
    assert post["containerId"] == world["container"] and post["mode"] == "publish"
    assert post["localTime"] == "2031-05-15T09:00:00"  # the project is in Los Angeles


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2031-05-15T17:00:00Z", "2031-05-15T17:00:00.000Z"),
        ("2031-05-15T19:00:00+02:00", "2031-05-15T17:00:00.000Z"),
        ("2031-05-15T10:00:00", "2031-05-15T17:00:00.000Z"),  # PDT, naive local
        ("2031-01-15T10:00:00", "2031-01-15T18:00:00.000Z"),  # PST
        ("2031-11-02T01:30:00", "2031-11-02T08:30:00.000Z"),  # repeated hour: the first one
        ("2031-05-15T17:00", "2031-05-16T00:00:00.000Z"),  # minutes only, naive: local
    ],
)
def test_scheduled_for_forms(
    client: TestClient, world: dict[str, Any], value: str, expected: str
) -> None:
    response = schedule(
        client, world, value, [{"socialAccountId": world["tiktok"], "mode": "publish"}]
    )
    assert response.status_code == 201, response.text
    assert response.json()["scheduledFor"] == expected


@pytest.mark.parametrize(
    ("value", "type_"),
    [
        ("2031-03-09T02:30:00", "nonexistent_local_time"),  # spring forward in Los Angeles
        ("2020-01-01T00:00:00Z", "datetime_past"),
        ("2031-02-30T10:00:00Z", "datetime_invalid"),
    ],
)
def test_bad_scheduled_for_names_the_field(
    client: TestClient, world: dict[str, Any], value: str, type_: str
) -> None:
    response = schedule(
        client, world, value, [{"socialAccountId": world["tiktok"], "mode": "publish"}]
    )
    error = assert_error(response, 422, "VALIDATION")
    assert error["details"]["fields"] == [
        {
            "field": "scheduledFor",
            "message": error["details"]["fields"][0]["message"],
            "type": type_,
        }
    ]


def test_clock_skew_is_tolerated(client: TestClient, world: dict[str, Any]) -> None:
    target = [{"socialAccountId": world["tiktok"], "mode": "publish"}]
    just_now = iso(datetime.now(UTC) - timedelta(seconds=10))
    assert schedule(client, world, just_now, target).status_code == 201
    too_late = iso(datetime.now(UTC) - timedelta(seconds=90))
    assert_error(schedule(client, world, too_late, target), 422, "VALIDATION")


def count_posts(client: TestClient, world: dict[str, Any]) -> int:
    url = f"/v1/projects/{world['project']['id']}/scheduled-posts?limit=100"
    return len(client.get(url, headers=world["headers"]).json()["items"])


@pytest.mark.parametrize(
    ("bad_target", "code"),
    [
        ({"socialAccountId": "foreign", "mode": "publish"}, "VALIDATION"),
        ({"socialAccountId": "sa_01J00000000000000000000000", "mode": "publish"}, "VALIDATION"),
        ({"socialAccountId": "disconnected", "mode": "publish"}, "SOCIAL_ACCOUNT_NOT_CONNECTED"),
        ({"socialAccountId": "instagram", "mode": "managed"}, "MANAGED_PROVIDER_NOT_CONNECTED"),
        ({"socialAccountId": "instagram", "mode": "draft"}, "VALIDATION"),
        (
            {"socialAccountId": "instagram", "mode": "publish", "shareReelToFeed": True},
            "VALIDATION",
        ),  # a slideshow is not a reel
        ({"socialAccountId": "tiktok", "mode": "publish"}, "VALIDATION"),  # duplicate
    ],
)
def test_targets_are_all_or_nothing(
    client: TestClient, world: dict[str, Any], bad_target: dict[str, Any], code: str
) -> None:
    before = count_posts(client, world)
    bad = dict(bad_target)
    bad["socialAccountId"] = world.get(bad["socialAccountId"], bad["socialAccountId"])
    targets = [{"socialAccountId": world["tiktok"], "mode": "draft"}, bad]
    response = schedule(client, world, "2031-06-01T12:00:00Z", targets)
    error = assert_error(response, 422, code)
    assert "targets[1]" in str(error["details"])
    assert count_posts(client, world) == before


def test_fan_out_to_two_accounts_with_platform_settings(
    client: TestClient, world: dict[str, Any]
) -> None:
    targets = [
        {
            "socialAccountId": world["tiktok"],
            "mode": "draft",
            "captionOverride": "Hi TikTok",
            "tiktokPostSettings": {"privacyLevel": "SELF_ONLY", "disableComment": True},
        },
        {
            "socialAccountId": world["instagram"],
            "mode": "publish",
            "tiktokPostSettings": {"privacyLevel": "PUBLIC_TO_EVERYONE"},
        },
    ]
    response = schedule(client, world, "2031-07-01T12:00:00Z", targets)
    assert response.status_code == 201, response.text
    ids = response.json()["scheduledPostIds"]
    assert len(ids) == 2
    with kit_db.get_database().transaction(write=False) as session:
        tiktok, instagram = (session.get(ScheduledPost, i) for i in ids)
        assert tiktok is not None and instagram is not None
        assert tiktok.platform_options == {
            "tiktokPostSettings": {"privacyLevel": "SELF_ONLY", "disableComment": True}
        }
        assert tiktok.caption_override == "Hi TikTok" and tiktok.mode == "draft"
        assert instagram.platform_options is None  # TikTok settings are ignored on Instagram
    too_many = [{"socialAccountId": world["tiktok"], "mode": "publish"}] * 51
    assert_error(schedule(client, world, "2031-07-01T12:00:00Z", too_many), 422, "VALIDATION")


TIKTOK_BOOLEANS = [
    "disableComment",
    "disableDuet",
    "disableStitch",
    "autoAddMusic",
    "brandContentToggle",
    "brandOrganicToggle",
]


@pytest.mark.parametrize("value", [0, 1, "true", "false", "yes", "0", 1.0])
def test_booleans_are_strict(client: TestClient, world: dict[str, Any], value: Any) -> None:
    """Found by the fuzz run: `brandOrganicToggle: 0` was read as false (201) though the
    document says boolean; only JSON true and false (and null) are booleans."""
    before = count_posts(client, world)
    tiktok = {"socialAccountId": world["tiktok"], "mode": "publish"}
    for name in TIKTOK_BOOLEANS:
        target = {**tiktok, "tiktokPostSettings": {name: value}}
        error = assert_error(
            schedule(client, world, "2031-06-02T12:00:00Z", [target]), 422, "VALIDATION"
        )
        [field] = error["details"]["fields"]
        assert field["field"] == f"targets.0.tiktokPostSettings.{name}", field
        assert field["type"] == "bool_type"
    reel = {"socialAccountId": world["instagram"], "mode": "publish", "shareReelToFeed": value}
    error = assert_error(schedule(client, world, "2031-06-02T12:00:00Z", [reel]), 422, "VALIDATION")
    assert [(f["field"], f["type"]) for f in error["details"]["fields"]] == [
        ("targets.0.shareReelToFeed", "bool_type")
    ]
    assert count_posts(client, world) == before


def test_strict_booleans_still_take_true_false_and_null(
    client: TestClient, world: dict[str, Any]
) -> None:
    settings = {name: index % 2 == 0 for index, name in enumerate(TIKTOK_BOOLEANS)}
    target = {
        "socialAccountId": world["tiktok"],
        "mode": "publish",
        "tiktokPostSettings": {**settings, "brandOrganicToggle": None},
        "shareReelToFeed": None,
    }
    response = schedule(client, world, "2031-06-03T12:00:00Z", [target])
    assert response.status_code == 201, response.text


def test_reschedule_before_publishing_only(client: TestClient, world: dict[str, Any]) -> None:
    headers = world["headers"]
    [post_id] = schedule(
        client,
        world,
        "2031-08-01T12:00:00Z",
        [{"socialAccountId": world["tiktok"], "mode": "publish"}],
    ).json()["scheduledPostIds"]
    url = f"/v1/scheduled-posts/{post_id}/reschedule"
    moved = client.post(url, json={"scheduledFor": "2031-08-02T09:30:00"}, headers=headers)
    assert moved.status_code == 200, moved.text
    body = moved.json()
    assert body["id"] == post_id and body["status"] == "queued"
    assert body["scheduledFor"] == "2031-08-02T16:30:00.000Z"
    assert body["localTime"] == "2031-08-02T09:30:00"
    past = client.post(url, json={"scheduledFor": "2001-01-01T00:00:00Z"}, headers=headers)
    assert_error(past, 422, "VALIDATION")
    set_status(post_id, "failed")
    retried = client.post(url, json={"scheduledFor": "2031-08-03T10:00:00Z"}, headers=headers)
    assert retried.json()["internalStatus"] == "ready"
    for status in ("posting", "posted", "draft", "canceled", "pending_manual"):
        set_status(post_id, status)
        refused = client.post(url, json={"scheduledFor": "2031-08-04T10:00:00Z"}, headers=headers)
        assert_error(refused, 409, "CONFLICT")


def test_cancel(client: TestClient, world: dict[str, Any]) -> None:
    headers = world["headers"]
    ids = schedule(
        client,
        world,
        "2031-09-01T12:00:00Z",
        [
            {"socialAccountId": world["tiktok"], "mode": "publish"},
            {"socialAccountId": world["instagram"], "mode": "publish"},
        ],
    ).json()["scheduledPostIds"]
    canceled = client.delete(f"/v1/scheduled-posts/{ids[0]}", headers=headers)
    assert canceled.status_code == 200
    assert canceled.json()["status"] == "canceled" and canceled.json()["canceledAt"]
    again = client.delete(f"/v1/scheduled-posts/{ids[0]}", headers=headers)
    assert again.status_code == 200 and again.json()["canceledAt"] == canceled.json()["canceledAt"]
    for status in ("posting", "posted"):
        set_status(ids[1], status)
        assert_error(
            client.delete(f"/v1/scheduled-posts/{ids[1]}", headers=headers), 409, "CONFLICT"
        )


def test_list_filters_and_order(client: TestClient, world: dict[str, Any]) -> None:
    headers = world["headers"]
    tenant = new_tenant("Lister")
    h = tenant.headers(test=True)
    project = client.post("/v1/projects", json=ACME, headers=h).json()
    job = client.post(
        f"/v1/projects/{project['id']}/content/slideshow-builder", json={"hook": "Hi"}, headers=h
    ).json()
    wait_for_job(client, job["jobId"], h)
    tiktok = new_social_account(project["id"])
    instagram = new_social_account(project["id"], platform="instagram")
    times = ["2031-01-01T10:00:00Z", "2031-03-01T10:00:00Z", "2031-02-01T10:00:00Z"]
    ids = []
    for when in times:
        response = client.post(
            f"/v1/content/{job['containerId']}/schedule",
            json={
                "scheduledFor": when,
                "targets": [
                    {"socialAccountId": tiktok, "mode": "publish"},
                    {"socialAccountId": instagram, "mode": "publish"},
                ],
            },
            headers=h,
        )
        ids += response.json()["scheduledPostIds"]
    client.delete(f"/v1/scheduled-posts/{ids[0]}", headers=h)
    url = f"/v1/projects/{project['id']}/scheduled-posts"
    page = client.get(f"{url}?limit=4", headers=h).json()
    rest = client.get(f"{url}?limit=4&cursor={page['nextCursor']}", headers=h).json()
    items = page["items"] + rest["items"]
    assert rest["nextCursor"] is None and len(items) == 6
    stamps = [i["scheduledFor"] for i in items]
    assert stamps == sorted(stamps, reverse=True)
    canceled = client.get(f"{url}?status=canceled", headers=h).json()["items"]
    assert [i["id"] for i in canceled] == [ids[0]]
    queued = client.get(f"{url}?status=queued&socialAccountId={instagram}", headers=h).json()
    assert {i["platform"] for i in queued["items"]} == {"instagram"} and len(queued["items"]) == 3
    window = client.get(
        f"{url}?since=2031-02-01T10:00:00Z&until=2031-03-01T10:00:00Z", headers=h
    ).json()["items"]
    assert len(window) == 4
    assert_error(client.get(f"{url}?cursor=bogus!", headers=h), 422, "VALIDATION")
    # other tenants see nothing
    assert_error(client.get(url, headers=headers), 404, "NOT_FOUND")


@pytest.mark.parametrize("name", ["since", "until"])
@pytest.mark.parametrize("value", ["0.5", "0", "1700000000", "-1", "+1", "1.5e9"])
def test_list_bounds_are_iso_8601_text_not_numbers(
    client: TestClient, world: dict[str, Any], name: str, value: str
) -> None:
    """Found by the fuzz run: `until=0.5` was read as a Unix timestamp (200) though the
    document says date-time."""
    url = f"/v1/projects/{world['project']['id']}/scheduled-posts"
    response = client.get(url, params={name: value}, headers=world["headers"])
    error = assert_error(response, 422, "VALIDATION")
    assert [f["field"] for f in error["details"]["fields"]] == [name]


@pytest.mark.parametrize(
    "value",
    [
        "2031-02-01T10:00:00Z",
        "2031-02-01T02:00:00-08:00",
        "2031-02-01T10:00:00.5Z",
        "2031-02-01T10:00",
    ],
)
def test_list_bounds_take_iso_8601_text(
    client: TestClient, world: dict[str, Any], value: str
) -> None:
    url = f"/v1/projects/{world['project']['id']}/scheduled-posts"
    for name in ("since", "until"):
        response = client.get(url, params={name: value}, headers=world["headers"])
        assert response.status_code == 200, response.text


def test_the_document_pins_the_list_bounds_to_date_time_text() -> None:
    from layers.app import openapi_document

    operation = openapi_document()["paths"]["/v1/projects/{project_id}/scheduled-posts"]["get"]
    for parameter in operation["parameters"]:
        if parameter["name"] in ("since", "until"):
            [text, none] = parameter["schema"]["anyOf"]
            assert none == {"type": "null"}
            assert text["type"] == "string" and text["format"] == "date-time"
            assert text["pattern"].startswith("^")


def test_archiving_the_project_cancels_its_posts(client: TestClient) -> None:
    tenant = new_tenant("Archiver")
    h = tenant.headers(test=True)
    project = client.post("/v1/projects", json=ACME, headers=h).json()
    job = client.post(
        f"/v1/projects/{project['id']}/content/slideshow-builder", json={"hook": "Hi"}, headers=h
    ).json()
    wait_for_job(client, job["jobId"], h)
    account = new_social_account(project["id"])
    [post_id] = client.post(
        f"/v1/content/{job['containerId']}/schedule",
        json={
            "scheduledFor": "2031-01-01T10:00:00Z",
            "targets": [{"socialAccountId": account, "mode": "publish"}],
        },
        headers=h,
    ).json()["scheduledPostIds"]
    archived = client.delete(f"/v1/projects/{project['id']}", headers=h).json()
    assert archived["canceledScheduledPosts"] == 1
    post = client.get(f"/v1/scheduled-posts/{post_id}", headers=h).json()
    assert post["status"] == "canceled"
    influencer = ready_influencer(client, project["id"], h)
    refused = client.post(
        f"/v1/projects/{project['id']}/content/slideshow-builder",
        json={"hook": "Hi", "influencerId": influencer},
        headers=h,
    )
    assert_error(refused, 409, "CONFLICT")


def test_retry_puts_a_post_needing_a_person_back_in_line(
    client: TestClient, world: dict[str, Any]
) -> None:
    headers = world["headers"]
    future = "2031-10-01T12:00:00Z"
    (post_id,) = schedule(
        client, world, future, [{"socialAccountId": world["tiktok"], "mode": "publish"}]
    ).json()["scheduledPostIds"]
    assert_error(
        client.post(f"/v1/scheduled-posts/{post_id}/retry", headers=headers), 409, "CONFLICT"
    )  # a queued post: nothing to retry
    with kit_db.get_database().transaction() as session:
        session.execute(
            sa.update(ScheduledPost)
            .where(ScheduledPost.id == post_id)
            .values(status="pending_manual", last_error={"code": "PLATFORM_ERROR"})
        )
    retried = client.post(f"/v1/scheduled-posts/{post_id}/retry", headers=headers)
    assert retried.status_code == 200, retried.text
    body = retried.json()
    assert body["internalStatus"] == "ready" and body["lastError"] is None
    assert body["scheduledFor"] == "2031-10-01T12:00:00.000Z"  # still in the future: kept

    past = datetime.now(UTC) - timedelta(hours=2)
    with kit_db.get_database().transaction() as session:
        session.execute(
            sa.update(ScheduledPost)
            .where(ScheduledPost.id == post_id)
            .values(status="failed", scheduled_at=past)
        )
    moved = client.post(f"/v1/scheduled-posts/{post_id}/retry", headers=headers).json()
    assert datetime.fromisoformat(moved["scheduledFor"]) >= datetime.now(UTC) - timedelta(minutes=1)

    with kit_db.get_database().transaction() as session:
        session.execute(
            sa.update(ScheduledPost)
            .where(ScheduledPost.id == post_id)
            .values(status="pending_manual", last_error={"code": "OUTCOME_UNKNOWN"})
        )
    assert_error(client.post(f"/v1/scheduled-posts/{post_id}/retry", headers=headers), 409,
                 "OUTCOME_UNKNOWN")  # fmt: skip


# ---- a publish that will not (or did not) go out publicly says why ----


def manual_account(world: dict[str, Any], platform: str) -> str:
    from tests.social.helpers import make_account

    return make_account(
        world["project"]["id"],
        platform=platform,
        handle=f"manual.{platform}",
        posting_mode="manual",
    )


def test_publish_to_a_manual_account_says_it_will_not_publish(
    client: TestClient, world: dict[str, Any]
) -> None:
    headers = world["headers"]
    tiktok, instagram = manual_account(world, "tiktok"), manual_account(world, "instagram")
    response = schedule(
        client,
        world,
        "2031-11-01T12:00:00Z",
        [
            {"socialAccountId": tiktok, "mode": "publish"},
            {"socialAccountId": instagram, "mode": "publish"},
            {"socialAccountId": world["tiktok"], "mode": "publish"},  # automatic: publishes
        ],
    )
    assert response.status_code == 201, response.text
    body = response.json()
    ids = body["scheduledPostIds"]
    assert body["gateStatus"] == "queued"
    warnings = body["warnings"]
    assert [
        (w["scheduledPostId"], w["socialAccountId"], w["code"], w["outcome"]) for w in warnings
    ] == [
        (ids[0], tiktok, "ACCOUNT_POSTING_MODE_MANUAL", "draft"),
        (ids[1], instagram, "ACCOUNT_POSTING_MODE_MANUAL", "pending_manual"),
    ]
    assert "posting mode is manual" in warnings[0]["message"]
    assert "drafts" in warnings[0]["message"]

    got = client.get(f"/v1/scheduled-posts/{ids[0]}", headers=headers).json()
    assert got["status"] == "queued" and got["internalStatus"] == "ready"
    assert [(w["code"], w["outcome"]) for w in got["warnings"]] == [
        ("ACCOUNT_POSTING_MODE_MANUAL", "draft")
    ]
    assert got["warnings"][0]["message"] == warnings[0]["message"]
    assert client.get(f"/v1/scheduled-posts/{ids[2]}", headers=headers).json()["warnings"] == []
    listed = client.get(
        f"/v1/projects/{world['project']['id']}/scheduled-posts?socialAccountId={instagram}",
        headers=headers,
    ).json()["items"]
    assert [(i["id"], [w["code"] for w in i["warnings"]]) for i in listed] == [
        (ids[1], ["ACCOUNT_POSTING_MODE_MANUAL"])
    ]

    # A draft asked for is no surprise: nothing to say.
    drafted = schedule(
        client, world, "2031-11-02T12:00:00Z", [{"socialAccountId": tiktok, "mode": "draft"}]
    ).json()
    assert drafted["warnings"] == []
    got = client.get(f"/v1/scheduled-posts/{drafted['scheduledPostIds'][0]}", headers=headers)
    assert got.json()["warnings"] == []

    # A queued post follows the account: switched to automatic, it will publish.
    patched = client.patch(
        f"/v1/social-accounts/{instagram}", json={"postingMode": "automatic"}, headers=headers
    )
    assert patched.status_code == 200, patched.text
    assert client.get(f"/v1/scheduled-posts/{ids[1]}", headers=headers).json()["warnings"] == []


def test_a_publish_sent_to_drafts_keeps_the_reason(
    client: TestClient, world: dict[str, Any]
) -> None:
    from layers.publishing.protocol import publish_post

    headers = world["headers"]
    tiktok, instagram = manual_account(world, "tiktok"), manual_account(world, "instagram")
    just_now = iso(datetime.now(UTC))
    ids = schedule(
        client,
        world,
        just_now,
        [
            {"socialAccountId": tiktok, "mode": "publish"},
            {"socialAccountId": instagram, "mode": "publish"},
        ],
    ).json()["scheduledPostIds"]
    assert publish_post(ids[0]).status == "draft"
    assert publish_post(ids[1]).status == "pending_manual"

    drafted = client.get(f"/v1/scheduled-posts/{ids[0]}", headers=headers).json()
    assert drafted["status"] == "draft" and drafted["internalStatus"] == "draft"
    assert drafted["lastError"]["code"] == "ACCOUNT_POSTING_MODE_MANUAL"
    assert [(w["code"], w["outcome"]) for w in drafted["warnings"]] == [
        ("ACCOUNT_POSTING_MODE_MANUAL", "draft")
    ]
    waiting = client.get(f"/v1/scheduled-posts/{ids[1]}", headers=headers).json()
    assert waiting["internalStatus"] == "pending_manual"
    assert waiting["lastError"]["code"] == "ACCOUNT_POSTING_MODE_MANUAL"
    assert [(w["code"], w["outcome"]) for w in waiting["warnings"]] == [
        ("ACCOUNT_POSTING_MODE_MANUAL", "pending_manual")
    ]
    # The reason is the post's own record: it stays when the account changes later.
    client.patch(
        f"/v1/social-accounts/{tiktok}", json={"postingMode": "automatic"}, headers=headers
    )
    again = client.get(f"/v1/scheduled-posts/{ids[0]}", headers=headers).json()
    assert [w["code"] for w in again["warnings"]] == ["ACCOUNT_POSTING_MODE_MANUAL"]


def test_a_post_diverted_by_an_earlier_version_still_says_why(
    client: TestClient, world: dict[str, Any]
) -> None:
    (post_id,) = schedule(
        client,
        world,
        "2031-11-03T12:00:00Z",
        [{"socialAccountId": world["instagram"], "mode": "publish"}],
    ).json()["scheduledPostIds"]
    with kit_db.get_database().transaction() as session:
        session.execute(
            sa.update(ScheduledPost)
            .where(ScheduledPost.id == post_id)
            .values(
                status="pending_manual",
                last_error={"code": "MANUAL_POSTING", "message": "Published by a person."},
            )
        )
    got = client.get(f"/v1/scheduled-posts/{post_id}", headers=world["headers"]).json()
    assert got["warnings"] == [
        {
            "code": "ACCOUNT_POSTING_MODE_MANUAL",
            "message": "Published by a person.",
            "outcome": "pending_manual",
        }
    ]
