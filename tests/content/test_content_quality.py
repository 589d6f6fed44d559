"""Content worth posting, read as a social manager would (issue 18's "must show").

Two brands, the four formats, 20 generations of each format per brand. Each container is
checked for what makes a post unpostable:

* a sentence said twice in one container (slides and caption together);
* captions that end the same way: at most 2 of any 10 consecutive captions of a project
  may share their last sentence;
* a hashtag that is not in the project's bank at the curation floor (score ≥ 70), or fewer
  than 3 of them;
* a caption that opens with a label ("Filed under: …"), a piece of a sentence as a topic;
* a slide over the text budget (`MAX_SLIDE_CHARS`), or cut with an ellipsis;
* a remix that keeps a line of its source.

A few generations go through the real pipeline (API → workflow → rendered media); the rest
drive the workflow's ``write`` step directly, in the order the feed would hold them (each
caption stored before the next is written), which is what the checks are about and keeps
the test fast. Run with ``-s`` to read a sample.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import imageio_ffmpeg
import pytest
from fastapi.testclient import TestClient

from layers.content import repository, service, workflows
from layers.content.inputs import GenerateInput
from layers.content.text import hashtags_for
from layers.content.writers.base import MAX_SLIDE_CHARS
from layers.jobs import service as jobs
from layers.kit import clock
from layers.kit import db as kit_db
from layers.kit.ids import new_id
from layers.models.content import ContentContainer
from layers.models.projects import Project
from layers.projects.keywords.research import CURATION_FLOOR
from layers.sources.registry import source_catalog
from tests.support import ACME, new_tenant, ready_influencer, wait_for, wait_for_job

PENNY = {
    "name": "Penny Pal",
    "customerExternalId": "penny-pal",
    "timezone": "Europe/London",
    "primaryLanguage": "en",
    "appName": "Penny Pal",
    "appDescription": (
        "A budgeting app for students that sorts every card payment into categories "
        "automatically. Set a weekly allowance, get a nudge before you overspend, and see "
        "exactly where your money went at the end of the month — so rent day stops being "
        "scary."
    ),
    "tagline": "Know where every penny goes.",
    "brandVoice": "casual",
    "targetGender": "all",
}
FORMATS = ("slideshow-builder", "slideshow-remix", "video-remix", "ugc-remix")
PER_FORMAT = 20
WINDOW, SHARED_ENDINGS = 10, 2
# Pieces of the briefs' sentences that once filled a topic slot ("The small roasted weekly
# habit…"), as the test's `sentences` spells them (no case, no punctuation).
FRAGMENTS = ("roasted weekly", "students that", "set a weekly", "categories automatically",
             "stops being scary", "drink coffee", "day stops", "sorts every")  # fmt: skip

_SPLIT = re.compile(r"(?<=[.!?])\s+|\n|\\n")


def sentences(text: str) -> list[str]:
    """A reader's sentences: split at sentence ends and line breaks; numbering, case and
    punctuation do not make two sentences different."""
    out = []
    for piece in _SPLIT.split(text):
        bare = re.sub(r"^\s*\d+[.)]\s*", "", piece).lower()
        bare = " ".join(re.sub(r"[^\w\s]", " ", bare).split())
        if bare:
            out.append(bare)
    return out


def check_container(texts: dict[str, Any], bank: dict[str, int], source: list[str]) -> None:
    slides = [texts["hook"], *texts["body"], texts["end"]]
    said = [s for text in [*slides, texts["caption"]] for s in sentences(text)]
    repeated = [s for s, n in Counter(said).items() if n > 1]
    assert not repeated, f"said twice: {repeated} in {slides} / {texts['caption']}"
    for text in slides:
        assert "…" not in text and len(text.replace("\\n", "\n")) <= MAX_SLIDE_CHARS, text
    assert len(texts["hashtags"]) >= 3, f"a post carries a useful set of hashtags: {bank}"
    for tag in texts["hashtags"]:
        assert bank.get(tag, 0) >= CURATION_FLOOR, f"#{tag} is not a curated tag: {bank}"
    # Read as a social manager would (tests/content/writers/test_postable.py has the rest):
    # a caption opens with a sentence, not a label; a topic is never a piece of a sentence.
    assert not texts["caption"].lower().startswith("filed under"), texts["caption"]
    for text in [*sentences(texts["hook"]), sentences(texts["caption"])[0]]:  # topics' places
        assert not any(f in text for f in FRAGMENTS), f"a fragment as a topic: {text}"
    kept = {sentences(line)[0] for line in source if sentences(line)} & set(said)
    assert not kept, f"the remix kept source lines: {kept}"


def check_endings(captions: list[str]) -> None:
    endings = [sentences(c)[-1] for c in captions]
    for start in range(max(1, len(endings) - WINDOW + 1)):
        window = Counter(endings[start : start + WINDOW])
        ending, count = window.most_common(1)[0]
        assert count <= SHARED_ENDINGS, f"{count} of {WINDOW} captions end with {ending!r}"


# ---- media (the real pipeline) ---------------------------------------------------------------


def video_streams(data: bytes) -> list[str]:
    """The stream kinds of an MP4 (``video``, ``audio`` …), as ffmpeg's probe reports them."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "v.mp4"
        path.write_bytes(data)
        probe = subprocess.run(
            [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
    return [kind.lower() for kind in re.findall(r"Stream #\d+:\d+.*?: (\w+):", probe.stderr)]


def check_media(client: TestClient, container: dict[str, Any]) -> None:
    """Media checks of a container made by the real pipeline."""
    preview = container["preview"]
    assert preview is not None
    if preview["kind"] == "video":
        url = httpx.URL(preview["videoUrl"])
        response = client.get(f"{url.path}?{url.query.decode()}")
        assert response.status_code == 200
        streams = video_streams(response.content)
        assert "video" in streams
        assert "audio" in streams, "every video has a soundtrack"
        assert container["providers"].get("speech") in ("espeak-ng", "music-bed")


# ---- the world -------------------------------------------------------------------------------


def make_project(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    tenant = new_tenant(f"Quality {body['name']}")
    headers = tenant.headers(test=True)
    project = client.post("/v1/projects", json=body, headers=headers).json()
    pid = project["id"]

    def banked() -> dict[str, Any] | None:
        found = client.get(f"/v1/projects/{pid}/keywords", headers=headers).json()
        return found if found["refreshedAt"] else None

    bank = wait_for(banked, timeout=60)
    return {
        "headers": headers,
        "project": project,
        "bank": {h["hashtag"]: h["score"] for h in bank["hashtags"]},
        "influencer": ready_influencer(client, pid, headers),
    }


def new_container(project_id: str, fmt: str) -> tuple[str, str]:
    """A container row and its job, as the API makes them (no workflow runs it)."""
    with kit_db.get_database().transaction() as session:
        project = session.get(Project, project_id)
        assert project is not None
        container = ContentContainer(
            id=new_id("cnt"),
            org_id=project.org_id,
            livemode=False,
            project_id=project.id,
            format=fmt,
            status="processing",
            media_kind=service.MEDIA_KIND[fmt],
            hashtags=[],
            slide_texts=[],
            generation=0,
        )
        session.add(container)
        session.flush()
        job = jobs.create(
            session,
            org_id=project.org_id,
            livemode=False,
            kind=service.JOB_KIND,
            project_id=project.id,
            subject_id=container.id,
        )
        container.job_id = job.id
        return container.id, job.id


def plan_for(project_id: str, container_id: str, fmt: str, source: Any) -> dict[str, Any]:
    """What the workflow's ``prepare`` step hands ``write`` (without fetching media)."""
    with kit_db.get_database().transaction(write=False) as session:
        project = session.get(Project, project_id)
        assert project is not None
        brief = service.brief_for(session, project)
        bank = repository.best_hashtags(session, project.id, 8)
    return {
        "format": fmt,
        "livemode": False,
        "seed": f"{container_id}:1",
        "brief": brief.__dict__,
        "hashtags": hashtags_for(bank, project.app_name),
        "hook": None,
        "app_name": project.app_name,
        "source": None
        if source is None
        else {"texts": source.slide_texts, "keyword": source.keyword or ""},
    }


def write_one(project_id: str, fmt: str, source: Any) -> dict[str, Any]:
    container_id, job_id = new_container(project_id, fmt)
    texts: dict[str, Any] = workflows.write(
        GenerateInput(job_id, container_id, 1), plan_for(project_id, container_id, fmt, source)
    )
    with kit_db.get_database().transaction() as session:
        assert repository.complete(session, container_id, job_id, 1, texts, clock.now())
    return texts


@pytest.mark.parametrize("brand", [ACME, PENNY], ids=["acme-warm", "penny-casual"])
def test_twenty_generations_per_format_are_postable(
    client: TestClient, brand: dict[str, Any]
) -> None:
    world = make_project(client, brand)
    pid, headers = world["project"]["id"], world["headers"]
    assert world["bank"] and all(tag.isalnum() for tag in world["bank"])

    # A few full generations through the real pipeline, one per format (started together: the
    # renders share the machine's render slots).
    client.post(
        f"/v1/projects/{pid}/app-media",
        json={"kind": "demo-video", "url": "https://cdn.acmecoffee.com/demo.mp4"},
        headers=headers,
    )
    captions: list[str] = []
    started: list[tuple[str, str]] = []  # (job, container)
    for fmt in FORMATS:
        body: dict[str, Any] = {"influencerId": world["influencer"]}
        if fmt in service.REMIX_SOURCE_KIND:
            kind = service.REMIX_SOURCE_KIND[fmt]
            items = client.get(
                f"/v1/projects/{pid}/content/source-recommendations?kind={kind}", headers=headers
            ).json()["items"]
            body["tiktokVideoId"] = items[0]["tiktokId"]
        if fmt == "slideshow-builder":
            hooks = client.get(f"/v1/projects/{pid}/content/hooks?limit=1", headers=headers)
            body = {"hook": hooks.json()["hooks"][0]}
        accepted = client.post(f"/v1/projects/{pid}/content/{fmt}", json=body, headers=headers)
        assert accepted.status_code == 202, accepted.text
        started.append((accepted.json()["jobId"], accepted.json()["containerId"]))
    for job_id, container_id in started:
        assert wait_for_job(client, job_id, headers, 600)["status"] == "completed"
        container = client.get(f"/v1/content/{container_id}", headers=headers)
        made = container.json()
        assert made["providers"]["text"] == "offline-en"
        assert all(world["bank"].get(t, 0) >= CURATION_FLOOR for t in made["hashtags"])
        check_media(client, made)
        captions.append(made["caption"])

    # Twenty of each format, in feed order, through the write step.
    catalog = source_catalog(False)
    keywords = [k for k in world["bank"] if k != world["project"]["appName"]][:4]
    sources = {
        fmt: catalog.search(keywords, kind, PER_FORMAT)
        for fmt, kind in service.REMIX_SOURCE_KIND.items()
    }
    sample: dict[str, dict[str, Any]] = {}
    for fmt in FORMATS:
        for index in range(PER_FORMAT):
            source = sources[fmt][index] if fmt in sources else None
            texts = write_one(pid, fmt, source)
            check_container(texts, world["bank"], source.slide_texts[1:-1] if source else [])
            assert texts["providers"] == {"text": "offline-en", "hashtags": "offline-en+bank"}
            if fmt in ("video-remix", "ugc-remix"):
                assert len(texts["body"]) == workflows.VIDEO_BEATS
            captions.append(texts["caption"])
            sample.setdefault(fmt, texts)
    check_endings(captions)
    assert len(captions) == len(FORMATS) * (PER_FORMAT + 1)

    print(f"\n===== {brand['name']} ({brand['brandVoice']}) — bank {world['bank']}")
    for fmt, texts in sample.items():
        print(f"--- {fmt}")
        for line in [texts["hook"], *texts["body"], texts["end"]]:
            print("   ", line.replace("\\n", " / ").replace("\n", " / "))
        print("    caption:", texts["caption"], " ".join(f"#{t}" for t in texts["hashtags"]))


def test_a_spanish_project_without_a_model_says_its_text_is_english(client: TestClient) -> None:
    tenant = new_tenant("Quality es")
    headers = tenant.headers(test=True)
    body = {**ACME, "name": "Acme Café", "primaryLanguage": "es-MX"}
    pid = client.post("/v1/projects", json=body, headers=headers).json()["id"]
    hooks = client.get(f"/v1/projects/{pid}/content/hooks?limit=2", headers=headers).json()
    assert hooks["language"] == "en"  # what was written, not what was asked
    accepted = client.post(
        f"/v1/projects/{pid}/content/slideshow-builder",
        json={"hook": hooks["hooks"][0]},
        headers=headers,
    )
    assert wait_for_job(client, accepted.json()["jobId"], headers, 600)["status"] == "completed"
    made = client.get(f"/v1/content/{accepted.json()['containerId']}", headers=headers).json()
    assert made["providers"]["text"] == "offline-en"
