"""The real providers against stubs of their HTTP APIs, and the offline writer."""

from __future__ import annotations

import json

import httpx
import pytest
import respx

from layers.content.writers.base import Brief
from layers.content.writers.offline import OfflineWriter
from layers.content.writers.openai import OpenAIWriter
from layers.kit.errors import PlatformError
from layers.kit.settings import Settings
from layers.kit.storage import LocalStorage
from layers.projects.keywords.stats.registry import hashtag_stats
from layers.projects.keywords.stats.tiktok_research import ResearchHashtagStats
from layers.sources.sandbox import SandboxCatalog
from layers.sources.tiktok_research import ResearchCatalog, ResearchClient

BRIEF = Brief(
    app_name="Acme Coffee",
    app_description="Daily ritual coffee subscriptions for runners and night-shift workers. "
    "Single-origin beans from named farms, roasted weekly.",
    tagline="Coffee that shows up before you run out.",
    brand_voice="witty",
    phrases=["night shift workers", "coffee subscription", "acme coffee"],
)


def test_offline_writer_is_deterministic_and_on_brief() -> None:
    writer = OfflineWriter()
    assert writer.hooks(BRIEF, 5, "s") == writer.hooks(BRIEF, 5, "s")
    hooks = writer.hooks(BRIEF, 5, "s")
    assert len(set(hooks)) == 5 and all("\\n" in h for h in hooks)
    source = ["3 tips", "1. Sleep early", "2. Drink water", "3. Walk more", "save"]
    slides = writer.adapt_slides(BRIEF, source, "sleep", "s")
    assert len(slides) == 5 and "Acme Coffee" in slides[-1]
    # The source's structure (a numbered list), none of its lines.
    assert [s[:3] for s in slides[1:4]] == ["1. ", "2. ", "3. "]
    assert not {"Sleep early", "Drink water", "Walk more"} & {s[3:].rstrip(".") for s in slides}
    built = writer.build_slides(BRIEF, "Hook", 6, "s")
    assert len(built) == 5 and "Acme Coffee" in built[-1]
    caption = writer.caption(BRIEF, "Hook\\nPayoff", "s", slides=built)
    assert caption and caption == writer.caption(BRIEF, "Hook\\nPayoff", "s", slides=built)


def completion(payload: dict[str, object]) -> httpx.Response:
    return httpx.Response(
        200, json={"choices": [{"message": {"role": "assistant", "content": json.dumps(payload)}}]}
    )


@respx.mock
def test_openai_writer_speaks_chat_completions() -> None:
    route = respx.post("https://llm.example.com/v1/chat/completions").mock(
        return_value=completion({"hooks": ["Setup\nPayoff", "Two\\nThree"]})
    )
    writer = OpenAIWriter("https://llm.example.com/v1", "sk-test", "tiny-model")
    assert writer.hooks(BRIEF, 2, "s") == ["Setup\\nPayoff", "Two\\nThree"]
    sent = json.loads(route.calls[0].request.content)
    assert route.calls[0].request.headers["Authorization"] == "Bearer sk-test"
    assert sent["model"] == "tiny-model"
    assert sent["response_format"]["type"] == "json_schema"
    assert sent["response_format"]["json_schema"]["strict"] is True
    assert sent["response_format"]["json_schema"]["schema"]["required"] == ["hooks"]
    assert (
        "witty" in sent["messages"][0]["content"]
        and "Acme Coffee" in sent["messages"][0]["content"]
    )

    route.mock(return_value=completion({"slides": ["a", "b", "c", "d"]}))
    assert writer.adapt_slides(BRIEF, ["1", "2", "3"], "t", "s") == ["a", "b", "c"]
    route.mock(return_value=completion({"caption": "  Nice.  "}))
    assert writer.caption(BRIEF, "h", "s") == "Nice."


@respx.mock
@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(500, json={"error": "boom"}),
        httpx.Response(200, json={"choices": []}),
        completion({"hooks": "not a list"}),
        completion({"hooks": ["only one"]}),
    ],
)
def test_openai_writer_failures_are_platform_errors(response: httpx.Response) -> None:
    respx.post("https://llm.example.com/v1/chat/completions").mock(return_value=response)
    writer = OpenAIWriter("https://llm.example.com/v1", None, "m")
    with pytest.raises(PlatformError):
        writer.hooks(BRIEF, 2, "s")


RESEARCH = "https://open.tiktokapis.com"


def research_videos() -> dict[str, object]:
    return {
        "data": {
            "videos": [
                {"id": 7301234567890123456, "video_description": "Morning fuel #coffee",
                 "username": "brewer", "view_count": 5000, "like_count": 300,
                 "comment_count": 4, "share_count": 9, "video_duration": 21,
                 "voice_to_text": "Grind fresh. Brew hot. Drink slowly."},
                {"id": 7301234567890123000, "video_description": "5 coffee tips",
                 "username": "photos", "view_count": 90000, "like_count": 10,
                 "comment_count": 1, "share_count": 2},
            ],
            "cursor": 2,
            "has_more": False,
        },
        "error": {"code": "ok", "message": ""},
    }  # fmt: skip


@respx.mock
def test_research_catalog_queries_the_research_api() -> None:
    token = respx.post(f"{RESEARCH}/v2/oauth/token/").mock(
        return_value=httpx.Response(200, json={"access_token": "clt.abc", "expires_in": 7200})
    )
    query = respx.post(f"{RESEARCH}/v2/research/video/query/").mock(
        return_value=httpx.Response(200, json=research_videos())
    )
    catalog = ResearchCatalog(ResearchClient("key", "secret"))
    posts = catalog.search(["coffee tips"], "mixed", 10)
    assert [p.tiktok_id for p in posts] == ["7301234567890123000", "7301234567890123456"]
    assert posts[0].kind == "slideshow" and posts[1].kind == "video"
    assert posts[1].slide_texts == ["Grind fresh.", "Brew hot.", "Drink slowly."]
    assert catalog.search(["coffee tips"], "video", 10)[0].stats["viewCount"] == 5000
    form = dict(httpx.QueryParams(token.calls[0].request.content.decode()))
    assert form == {
        "client_key": "key",
        "client_secret": "secret",
        "grant_type": "client_credentials",
    }
    assert token.call_count == 1  # cached
    request = query.calls[0].request
    assert request.headers["Authorization"] == "Bearer clt.abc"
    assert "view_count" in request.url.params["fields"]
    body = json.loads(request.content)
    conditions = body["query"]["or"]
    assert {
        "operation": "IN",
        "field_name": "hashtag_name",
        "field_values": ["coffeetips"],
    } in conditions
    assert {
        "operation": "EQ",
        "field_name": "keyword",
        "field_values": ["coffee tips"],
    } in conditions
    assert len(body["start_date"]) == 8 and body["max_count"] == 100


@respx.mock
def test_research_lookup_skips_a_video_without_an_id() -> None:
    respx.post(f"{RESEARCH}/v2/oauth/token/").mock(
        return_value=httpx.Response(200, json={"access_token": "t", "expires_in": 7200})
    )
    respx.post(f"{RESEARCH}/v2/research/video/query/").mock(
        return_value=httpx.Response(
            200, json={"data": {"videos": [{"view_count": 3}]}, "error": {"code": "ok"}}
        )
    )
    assert ResearchCatalog(ResearchClient("key", "secret")).lookup("7301234567890123456") is None


@respx.mock
def test_research_errors_are_platform_errors() -> None:
    respx.post(f"{RESEARCH}/v2/oauth/token/").mock(
        return_value=httpx.Response(401, json={"error": "invalid_client"})
    )
    with pytest.raises(PlatformError) as caught:
        ResearchCatalog(ResearchClient("key", "bad")).search(["x"], "video", 5)
    assert caught.value.details["platformCode"] == "invalid_client"


@respx.mock
def test_live_hashtag_stats_come_from_the_research_api() -> None:
    respx.post(f"{RESEARCH}/v2/oauth/token/").mock(
        return_value=httpx.Response(200, json={"access_token": "t", "expires_in": 7200})
    )
    respx.post(f"{RESEARCH}/v2/research/video/query/").mock(
        return_value=httpx.Response(200, json=research_videos())
    )
    settings = Settings(tiktok_research_client_key="k", tiktok_research_client_secret="s")
    stats = hashtag_stats(livemode=True, settings=settings)
    assert isinstance(stats, ResearchHashtagStats)
    measured = stats.measure(["coffee"])["coffee"]
    assert measured is not None and (measured.view_count, measured.use_count) == (95000, 2)
    assert not isinstance(hashtag_stats(livemode=True, settings=Settings()), ResearchHashtagStats)


def test_sandbox_catalog_is_deterministic_with_real_media(tmp_path: object) -> None:
    from pathlib import Path

    storage = LocalStorage(Path(str(tmp_path)))
    catalog = SandboxCatalog(storage)
    first = catalog.search(["coffee", "running"], "mixed", 6)
    assert first == SandboxCatalog(storage).search(["coffee", "running"], "mixed", 6)
    assert [p.kind for p in first] == ["slideshow", "video"] * 3
    assert catalog.lookup(first[0].tiktok_id) is not None and catalog.lookup("123") is None
    media = catalog.media(first[0], full=True)
    assert len(media.slides) == first[0].image_count
    from PIL import Image

    assert Image.open(storage.path(media.slides[0])).size == (1080, 1920)
    clip = catalog.media(first[1], full=True)
    assert clip.video and storage.path(clip.video).read_bytes()[4:8] == b"ftyp"
