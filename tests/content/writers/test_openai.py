"""The OpenAI-compatible writer against a stub of ``/chat/completions`` (respx): the JSON
schema it asks for, what it does with the answers."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import respx

from layers.content.writers.base import MAX_SLIDE_CHARS, Brief, CaptionContext
from layers.content.writers.openai import OpenAIWriter
from layers.kit.errors import PlatformError

URL = "https://llm.example.com/v1/chat/completions"
BRIEF = Brief("Acme Coffee", "Coffee subscriptions.", "Never run out.", brand_voice="witty")


def completion(payload: dict[str, Any]) -> httpx.Response:
    return httpx.Response(
        200, json={"choices": [{"message": {"role": "assistant", "content": json.dumps(payload)}}]}
    )


def sent(route: respx.Route, index: int = -1) -> dict[str, Any]:
    return dict(json.loads(route.calls[index].request.content))


def writer() -> OpenAIWriter:
    return OpenAIWriter("https://llm.example.com/v1", "sk-test", "tiny-model")


@respx.mock
def test_slides_are_asked_with_a_strict_schema_of_the_exact_count() -> None:
    route = respx.post(URL).mock(return_value=completion({"slides": ["a", "b", "c", "Go"]}))
    text = writer()
    assert text.provider == "openai:tiny-model"
    assert text.build_slides(BRIEF, "Hook", 5, "s") == ["a", "b", "c", "Go"]
    body = sent(route)
    schema = body["response_format"]["json_schema"]
    assert body["response_format"]["type"] == "json_schema" and schema["strict"] is True
    slides = schema["schema"]["properties"]["slides"]
    assert slides["minItems"] == slides["maxItems"] == 4
    assert schema["schema"]["additionalProperties"] is False


@respx.mock
def test_a_remix_tells_the_model_the_source_structure() -> None:
    route = respx.post(URL).mock(return_value=completion({"slides": ["h", "1. x", "2. y", "cta"]}))
    source = [
        "3 sleep tips",
        "1. Dim the lights",
        "2. A very long line about keeping the phone out of the bedroom",
        "s",
    ]
    assert writer().adapt_slides(BRIEF, source, "sleep", "s") == ["h", "1. x", "2. y", "cta"]
    prompt = sent(route)["messages"][1]["content"]
    assert "a numbered list" in prompt and "(short, long)" in prompt
    assert "keep none of its lines" in prompt


@respx.mock
def test_a_slide_over_budget_goes_back_to_be_rewritten_not_cut() -> None:
    long = "word " * 40
    route = respx.post(URL)
    route.side_effect = [
        completion({"slides": ["ok", long, "Go"]}),
        completion({"slides": ["short again"]}),
    ]
    assert writer().build_slides(BRIEF, "Hook", 4, "s") == ["ok", "short again", "Go"]
    assert long.strip() in sent(route, 1)["messages"][1]["content"]
    route.side_effect = [completion({"slides": [long]}), completion({"slides": [long]})]
    with pytest.raises(PlatformError):
        writer().build_slides(BRIEF, "Hook", 2, "s")
    assert len(long) > MAX_SLIDE_CHARS


@respx.mock
def test_a_caption_avoids_the_recent_endings() -> None:
    route = respx.post(URL).mock(return_value=completion({"caption": " Fresh. Try it. "}))
    context = CaptionContext(3, ["A. Save this for later.", "B. Link in bio."])
    assert writer().caption(BRIEF, "Hook", "s", slides=["x"], context=context) == "Fresh. Try it."
    prompt = sent(route)["messages"][1]["content"]
    assert "Save this for later." in prompt and "Link in bio." in prompt


@respx.mock
def test_hashtags_are_an_enum_of_the_bank_and_outsiders_are_dropped() -> None:
    bank = ["acmecoffee", "coffee", "coffeetok"]
    route = respx.post(URL).mock(
        return_value=completion({"hashtags": ["coffee", "madeuptag", "coffee", "acmecoffee"]})
    )
    assert writer().hashtags(BRIEF, bank, "Hook", "s") == ["coffee", "acmecoffee"]
    tags = sent(route)["response_format"]["json_schema"]["schema"]["properties"]["hashtags"]
    assert tags["items"]["enum"] == bank and tags["maxItems"] == 5
    assert writer().hashtags(BRIEF, [], "Hook", "s") == [] and len(route.calls) == 1


@respx.mock
@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(429, json={"error": "slow down"}),
        httpx.Response(
            200, json={"choices": [{"message": {"content": None, "refusal": "I can't."}}]}
        ),
        completion({"slides": ["only one"]}),
        completion({"wrong": []}),
    ],
)
def test_unusable_answers_are_platform_errors(response: httpx.Response) -> None:
    respx.post(URL).mock(return_value=response)
    with pytest.raises(PlatformError):
        writer().build_slides(BRIEF, "Hook", 4, "s")


@respx.mock
def test_an_unreachable_model_is_a_platform_error() -> None:
    respx.post(URL).mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(PlatformError):
        writer().caption(BRIEF, "Hook", "s")
