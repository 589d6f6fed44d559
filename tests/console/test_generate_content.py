"""Generate, a content's page (slides, caption, source, jobs; regenerate, schedule, attach),
and a layer's config form (words for bad values, typed values kept, mode switches) through a
browser-like client; the API shows what the console did."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from tests.catalog.social_distribution.helpers import install_layer
from tests.console.helpers import browser, follow, post, sign_in
from tests.engine.helpers import wait_for_run
from tests.support import ACME, Tenant, new_social_account, ready_influencer, wait_for, wait_for_job

SOURCE_RE = re.compile(r'name="tiktokVideoId" value="(\d+)"')


def _project(client: TestClient, headers: dict[str, str]) -> str:
    response = client.post("/v1/projects", json=ACME, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _generated(client: TestClient, headers: dict[str, str], project_id: str) -> str:
    job = client.post(
        f"/v1/projects/{project_id}/content/slideshow-builder",
        json={"hook": "Your coffee\\nnever runs out"},
        headers=headers,
    ).json()
    assert wait_for_job(client, job["jobId"], headers)["status"] == "completed"
    return str(job["containerId"])


def test_generate_from_a_live_search_lands_on_the_result(
    client: TestClient, app: Any, tenant: Tenant
) -> None:
    headers = tenant.headers(test=True)
    project_id = _project(client, headers)
    influencer = ready_influencer(client, project_id, headers)
    web = browser(app)
    csrf = sign_in(web, tenant.test)

    page = web.get(f"/console/projects/{project_id}/generate")
    assert page.status_code == 200
    for words in ("Slideshow remix", "Video remix", "Slideshow from a hook", "Source post"):
        assert words in page.text
    assert f'value="{influencer}"' in page.text

    portfolio = web.get(f"/console/projects/{project_id}/generate/sources?format=slideshow-remix")
    assert "Your portfolio" in portfolio.text and "<img src=" in portfolio.text
    empty = web.get(
        f"/console/projects/{project_id}/generate/sources?format=slideshow-remix&source=search"
    )
    assert "Type a keyword" in empty.text
    found = web.get(
        f"/console/projects/{project_id}/generate/sources",
        params={"format": "slideshow-remix", "source": "search", "keyword": "latte art"},
    )
    assert "Live TikTok search for" in found.text and "latte art" in found.text
    thumbnails = [html.unescape(u) for u in re.findall(r'<img src="([^"]+)"', found.text)]
    assert thumbnails and web.get(thumbnails[0]).status_code == 200
    source_id = SOURCE_RE.findall(found.text)[0]

    # Nothing picked: refused in words, what was typed is kept.
    refused = post(
        web,
        f"/console/projects/{project_id}/generate",
        csrf,
        format="slideshow-remix",
        influencerId=influencer,
        keyword="latte art",
        source="search",
    )
    assert refused.status_code == 422
    assert "pick a source post first" in refused.text
    assert 'value="latte art"' in refused.text

    started = post(
        web,
        f"/console/projects/{project_id}/generate",
        csrf,
        format="slideshow-remix",
        tiktokVideoId=source_id,
        influencerId=influencer,
    )
    assert started.status_code == 303, started.text
    container_id = started.headers["location"].rsplit("/", 1)[-1]
    assert container_id.startswith("cnt_")
    api = client.get(f"/v1/content/{container_id}", headers=headers).json()
    assert api["format"] == "slideshow-remix" and api["sourceTiktokId"] == source_id
    first = follow(web, started)
    assert "Generation started." in first.text
    assert wait_for_job(client, api["jobId"], headers)["status"] == "completed"

    done = web.get(f"/console/content/{container_id}").text
    assert 'hx-trigger="every 1s"' not in done  # no more polling once it is done
    slides = re.findall(r'<img src="([^"]+)" alt="Slide \d+" class="slide-img">', done)
    result = client.get(f"/v1/content/{container_id}", headers=headers).json()
    slides = [html.unescape(u) for u in slides]
    # The same media (each signed URL is minted on its own, so compare without the signature).
    assert [u.split("?")[0] for u in slides] == [
        u.split("?")[0] for u in result["preview"]["imageUrls"]
    ]
    assert all(web.get(url).status_code == 200 for url in slides)
    assert result["caption"] and result["caption"][:20] in done
    assert all(f"#{h.lstrip('#')}" in done for h in result["hashtags"])
    assert "found by searching “latte art”" in done
    assert "completed" in done and "Jobs" in done


def test_a_generating_content_shows_its_stage_and_polls(
    client: TestClient, app: Any, tenant: Tenant
) -> None:
    headers = tenant.headers(test=True)
    project_id = _project(client, headers)
    container_id = _generated(client, headers, project_id)
    web = browser(app)
    csrf = sign_in(web, tenant.test)
    again = post(web, f"/console/content/{container_id}/regenerate", csrf, hook="Fresh beans")
    assert again.status_code == 303
    page = web.get(f"/console/content/{container_id}").text
    body = client.get(f"/v1/content/{container_id}", headers=headers).json()
    if body["status"] in ("queued", "processing"):  # the render may already be over
        assert 'hx-trigger="every 1s"' in page and 'class="stages"' in page
    assert wait_for_job(client, body["jobId"], headers)["status"] == "completed"
    final = client.get(f"/v1/content/{container_id}", headers=headers).json()
    assert final["generation"] == 2 and final["hook"] == "Fresh beans"
    assert web.get(f"/console/content/{container_id}").text.count('<tr><td><span class="pill') == 2


def test_schedule_and_attach_from_the_content_page(
    client: TestClient, app: Any, tenant: Tenant
) -> None:
    headers = tenant.headers(test=True)
    project_id = _project(client, headers)
    container_id = _generated(client, headers, project_id)
    account_id = new_social_account(project_id, handle="acme.sched")
    web = browser(app)
    csrf = sign_in(web, tenant.test)
    page = web.get(f"/console/content/{container_id}").text
    assert "@acme.sched" in page and "No active distribution layer" in page

    zone = ZoneInfo(ACME["timezone"]) if "timezone" in ACME else UTC
    when = (
        (datetime.now(UTC) + timedelta(days=2))
        .astimezone(zone)
        .replace(hour=10, minute=30, second=0, microsecond=0)
    )
    scheduled = post(
        web,
        f"/console/content/{container_id}/schedule",
        csrf,
        scheduledFor=when.strftime("%Y-%m-%dT%H:%M"),
        socialAccountId=account_id,
        mode="draft",
    )
    assert scheduled.status_code == 303, scheduled.text
    assert "/schedule?start=" in scheduled.headers["location"]
    calendar = follow(web, scheduled).text
    assert "Scheduled on 1 account" in calendar
    posts = client.get(f"/v1/projects/{project_id}/scheduled-posts", headers=headers).json()
    [sent] = [p for p in posts["items"] if p["containerId"] == container_id]
    assert sent["mode"] == "draft" and sent["socialAccountId"] == account_id
    instant = datetime.fromisoformat(sent["scheduledFor"].replace("Z", "+00:00"))
    assert instant == when.astimezone(UTC)

    past = post(
        web,
        f"/console/content/{container_id}/schedule",
        csrf,
        scheduledFor="2020-01-01T10:00",
        socialAccountId=account_id,
        back=f"/console/content/{container_id}",
    )
    assert past.status_code == 303 and "must be in the future" in follow(web, past).text

    # Attach: a distribution layer of another account, picked from a list with its next slot.
    other = new_social_account(project_id, handle="acme.slots")
    layer = install_layer(
        client,
        tenant,
        project_id,
        other,
        distributionMode="custom",
        schedule={"times": ["09:00", "18:00"]},
    )
    page = web.get(f"/console/content/{container_id}").text
    assert f'<option value="{layer["id"]}"' in page and "next empty slot" in page
    attached = post(web, f"/console/content/{container_id}/attach", csrf, layerId=layer["id"])
    assert attached.status_code == 303
    run_id = attached.headers["location"].split("run=")[-1]
    assert wait_for_run(client, headers, run_id)["status"] == "completed"
    slot = wait_for(
        lambda: [
            p
            for p in client.get(
                f"/v1/projects/{project_id}/scheduled-posts",
                params={"layerId": layer["id"]},
                headers=headers,
            ).json()["items"]
            if p["containerId"] == container_id
        ]
    )
    assert slot[0]["internalStatus"] == "ready"
    detail = web.get(f"/console/content/{container_id}").text
    assert detail.count('class="pill ready"') >= 1
