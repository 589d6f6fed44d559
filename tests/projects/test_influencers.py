from __future__ import annotations

import io

import httpx
from fastapi.testclient import TestClient
from PIL import Image

from layers.projects.influencers import persona
from tests.support import ACME, Tenant, assert_error, wait_for


def test_personas_are_deterministic_and_follow_the_prompt() -> None:
    kwargs = dict(
        seed="inf_1",
        gender="male",
        age_range="senior",
        brand_voice="witty",
        language="es-MX",
        app_name="Acme",
        prompt="red hair and glasses, curly",
    )
    one, two = persona.generate(**kwargs), persona.generate(**kwargs)  # type: ignore[arg-type]
    assert one == two
    assert one.hair_color_name == "red" and one.hair_style == "curly"
    assert "glasses" in one.accessories
    assert one.name.split()[0] in persona.MALE_NAMES["es"]
    assert 60 <= one.age <= 72


def test_default_gender_follows_target_gender() -> None:
    assert persona.default_gender("male") == "male"
    assert persona.default_gender("female") == "female"
    assert persona.default_gender("all") == "female"


def test_first_influencer_goes_pending_to_ready_with_an_avatar(
    client: TestClient, tenant: Tenant
) -> None:
    headers = tenant.headers(test=True)
    project = client.post(
        "/v1/projects", json={**ACME, "targetGender": "male"}, headers=headers
    ).json()
    items = client.get(f"/v1/projects/{project['id']}/influencers", headers=headers).json()["items"]
    assert len(items) == 1 and items[0]["status"] in ("pending", "training", "ready")
    influencer_id = items[0]["influencerId"]

    def ready() -> dict | None:  # type: ignore[type-arg]
        body = client.get(f"/v1/influencers/{influencer_id}", headers=headers).json()
        return body if body["status"] == "ready" else None

    body = wait_for(ready)
    assert (
        body["gender"] == "male"
        and body["name"]
        and body["persona"]["hairStyle" if False else "hair_style"]
    )
    assert body["brandVoice"] == "warm" and body["language"] == "en"
    # the avatar URL resolves to a real PNG without an API key
    path = httpx.URL(body["imageUrl"])
    image_response = client.get(f"{path.path}?{path.query.decode()}")
    assert image_response.status_code == 200
    image = Image.open(io.BytesIO(image_response.content))
    assert image.format == "PNG" and image.size == (1024, 1024)
    tampered = client.get(f"{path.path}?{path.query.decode().replace('sig=', 'sig=0')}")
    assert_error(tampered, 404, "NOT_FOUND")


def test_create_more_influencers(client: TestClient, tenant: Tenant) -> None:
    headers = tenant.headers(test=True)
    project = client.post(
        "/v1/projects", json={"name": "No brief", "timezone": "UTC"}, headers=headers
    ).json()
    assert (
        client.get(f"/v1/projects/{project['id']}/influencers", headers=headers).json()["items"]
        == []
    )
    response = client.post(
        f"/v1/projects/{project['id']}/influencers",
        json={"gender": "non_binary", "ageRange": "adult", "prompt": "pink hair"},
        headers=headers,
    )
    assert response.status_code == 202
    accepted = response.json()
    assert accepted["influencerId"].startswith("inf_") and accepted["kind"] == "influencer_create"
    done = wait_for(
        lambda: (
            (j := client.get(accepted["locationUrl"], headers=headers).json())["status"]
            == "completed"
            and j
        )
    )
    assert done["result"] == {"influencerId": accepted["influencerId"]}
    body = client.get(f"/v1/influencers/{accepted['influencerId']}", headers=headers).json()
    assert body["status"] == "ready" and body["gender"] == "non_binary"
    assert body["persona"]["hair_color_name"] == "pink"
    for bad in ({"gender": "robot"}, {"ageRange": "ancient"}, {"prompt": ""}, {"name": "Bob"}):
        assert_error(
            client.post(f"/v1/projects/{project['id']}/influencers", json=bad, headers=headers),
            422,
            "VALIDATION",
        )
