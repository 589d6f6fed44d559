"""PATCH, DELETE and clone of an influencer (fact sheet §13)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from layers.kit.settings import get_settings
from layers.kit.storage import get_storage
from layers.projects.influencers.workflows import image_key
from tests.support import (
    ACME,
    assert_error,
    new_social_account,
    new_tenant,
    ready_influencer,
    wait_for_job,
)


@pytest.fixture
def world(client: TestClient) -> dict[str, Any]:
    tenant = new_tenant("Casting")
    headers = tenant.headers(test=True)
    project = client.post("/v1/projects", json=ACME, headers=headers).json()
    influencer = ready_influencer(client, project["id"], headers)
    return {"headers": headers, "project": project["id"], "influencer": influencer}


def patch(client: TestClient, world: dict[str, Any], body: dict[str, Any]) -> Any:
    return client.patch(
        f"/v1/influencers/{world['influencer']}", json=body, headers=world["headers"]
    )


def test_patch_changes_fields_and_redraws_a_new_look(
    client: TestClient, world: dict[str, Any]
) -> None:
    storage = get_storage(get_settings())
    before = storage.path(image_key(world["influencer"], "avatar")).read_bytes()
    original = client.get(f"/v1/influencers/{world['influencer']}", headers=world["headers"])
    face = (
        {k: original.json()["persona"][k] for k in ("skinTone", "eyeColor", "hairColor")}
        if ("skinTone" in original.json()["persona"])
        else {k: original.json()["persona"][k] for k in ("skin_tone", "eye_color", "hair_color")}
    )
    response = patch(client, world, {"name": "Maria", "language": "es-MX"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["name"] == "Maria" and body["language"] == "es-MX"
    assert storage.path(image_key(world["influencer"], "avatar")).read_bytes() == before

    response = patch(client, world, {"brandVoice": "witty", "ageRange": "mature"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["brandVoice"] == "witty" and body["ageRange"] == "mature"
    assert body["name"] == "Maria"  # kept
    after = storage.path(image_key(world["influencer"], "avatar")).read_bytes()
    assert after != before  # redrawn…
    for key, value in face.items():  # …with the same face
        assert body["persona"][key] == value
    assert patch(client, world, {"ageRange": None}).json()["ageRange"] == "young_adult"


def test_patch_validation(client: TestClient, world: dict[str, Any]) -> None:
    assert_error(patch(client, world, {}), 422, "VALIDATION")
    assert_error(patch(client, world, {"name": None}), 422, "VALIDATION")
    assert_error(patch(client, world, {"gender": None}), 422, "VALIDATION")
    assert_error(patch(client, world, {"gender": "nonbinary"}), 422, "VALIDATION")
    assert_error(patch(client, world, {"brandVoice": "angry"}), 422, "VALIDATION")
    assert_error(patch(client, world, {"language": "not a tag"}), 422, "VALIDATION")
    assert_error(patch(client, world, {"name": ""}), 422, "VALIDATION")
    assert_error(patch(client, world, {"nickname": "x"}), 422, "VALIDATION")
    other = new_tenant("Other").headers(test=True)
    response = client.patch(
        f"/v1/influencers/{world['influencer']}", json={"name": "X"}, headers=other
    )
    assert_error(response, 404, "NOT_FOUND")


def test_clone_fans_out_languages_with_the_same_face(
    client: TestClient, world: dict[str, Any]
) -> None:
    source = client.get(f"/v1/influencers/{world['influencer']}", headers=world["headers"])
    clones = []
    for language, name in (("es-MX", "Maria ES"), ("pt-BR", "Maria PT")):
        response = client.post(
            f"/v1/influencers/{world['influencer']}/clone",
            json={"name": name, "overrides": {"language": language}},
            headers=world["headers"],
        )
        assert response.status_code == 202, response.text
        assert wait_for_job(client, response.json()["jobId"], world["headers"])["status"] == (
            "completed"
        )
        clones.append(response.json()["influencerId"])
    for clone_id, language, name in zip(
        clones, ("es-MX", "pt-BR"), ("Maria ES", "Maria PT"), strict=True
    ):
        clone = client.get(f"/v1/influencers/{clone_id}", headers=world["headers"]).json()
        assert clone["status"] == "ready" and clone["imageUrl"]
        assert clone["name"] == name and clone["language"] == language
        assert clone["clonedFrom"] == world["influencer"]
        assert clone["gender"] == source.json()["gender"]
        same = {k: v for k, v in clone["persona"].items() if k not in ("name", "bio")}
        assert same == {
            k: v for k, v in source.json()["persona"].items() if k not in ("name", "bio")
        }
    assert_error(
        client.post(
            f"/v1/influencers/{world['influencer']}/clone",
            json={"overrides": {"language": "fr"}},
            headers=world["headers"],
        ),
        422,
        "VALIDATION",
    )
    assert_error(
        client.post(
            f"/v1/influencers/{world['influencer']}/clone",
            json={"name": "X", "overrides": {"voice": "fr"}},
            headers=world["headers"],
        ),
        422,
        "VALIDATION",
    )


def test_delete_is_refused_while_scheduled_content_uses_it(
    client: TestClient, world: dict[str, Any]
) -> None:
    account = new_social_account(world["project"])
    started = client.post(
        f"/v1/projects/{world['project']}/content/slideshow-builder",
        json={"hook": "Fresh every week", "influencerId": world["influencer"]},
        headers=world["headers"],
    ).json()
    assert wait_for_job(client, started["jobId"], world["headers"])["status"] == "completed"
    later = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    scheduled = client.post(
        f"/v1/content/{started['containerId']}/schedule",
        json={"scheduledFor": later, "targets": [{"socialAccountId": account, "mode": "publish"}]},
        headers=world["headers"],
    ).json()
    refused = client.request(
        "DELETE", f"/v1/influencers/{world['influencer']}", headers=world["headers"]
    )
    error = assert_error(refused, 409, "CONFLICT")
    assert error["details"]["scheduledPosts"] == 1
    client.delete(
        f"/v1/scheduled-posts/{scheduled['scheduledPostIds'][0]}", headers=world["headers"]
    )
    response = client.request(
        "DELETE",
        f"/v1/influencers/{world['influencer']}",
        json={"reason": "Retired persona"},
        headers=world["headers"],
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "deleted" and response.json()["deletedAt"].endswith("Z")
    assert_error(
        client.get(f"/v1/influencers/{world['influencer']}", headers=world["headers"]),
        404,
        "NOT_FOUND",
    )
    listed = client.get(
        f"/v1/projects/{world['project']}/influencers", headers=world["headers"]
    ).json()
    assert world["influencer"] not in [i["influencerId"] for i in listed["items"]]
    assert_error(patch(client, world, {"name": "Back"}), 404, "NOT_FOUND")
    # Content made with it keeps working.
    content = client.get(f"/v1/content/{started['containerId']}", headers=world["headers"])
    assert content.status_code == 200 and content.json()["preview"]
