"""Publishing reads each platform's facts from its `PlatformSpec`."""

from __future__ import annotations

import re
import typing
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from layers.publishing import rules
from layers.publishing.protocol import publish_post
from layers.publishing.scheduling.schemas import TikTokPostSettings
from layers.social.platforms.registry import SPECS
from tests.social.conftest import Contents
from tests.social.fake_platforms import FakePlatforms
from tests.social.helpers import attempts_of, connect_live, new_post, new_project, set_posting_mode
from tests.support import Tenant

SRC = Path(__file__).resolve().parents[2] / "src" / "layers"
NAME_BRANCH = re.compile(r"""(==|!=)\s*["'](tiktok|instagram)["']|platform\s*(==|!=)\s*["']""")


def test_the_schema_offers_what_the_tiktok_spec_says() -> None:
    option = SPECS["tiktok"].option("tiktokPostSettings")
    assert option is not None
    fields = TikTokPostSettings.model_fields
    assert {info.alias or name for name, info in fields.items()} == set(option.fields)
    privacy = typing.get_args(fields["privacy_level"].annotation)[0]
    assert set(typing.get_args(privacy)) == set(SPECS["tiktok"].privacy_levels)


def test_diversions_follow_the_specs() -> None:
    for name, spec in SPECS.items():
        manual = rules.diversion(name, "manual", "publish")
        assert manual is not None and manual.outcome == spec.manual_outcome
        assert spec.display_name in manual.message
        draft = rules.diversion(name, "automatic", "draft")
        assert (draft is None) == spec.drafts_inbox
    unknown = rules.diversion("myspace", "manual", "publish")
    assert unknown is not None and unknown.outcome == "pending_manual"


def test_publishing_does_not_branch_on_platform_names() -> None:
    """Only a platform's own package (``social/platforms/<name>/``) may compare its name."""
    own = {SRC / "social" / "platforms" / name for name in SPECS}
    roots = [SRC / "publishing", SRC / "social" / "platforms"]
    found = [
        f"{path.relative_to(SRC)}:{number}: {line.strip()}"
        for root in roots
        for path in root.rglob("*.py")
        if not any(path.is_relative_to(d) for d in own)
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if NAME_BRANCH.search(line)
    ]
    assert found == []


@pytest.fixture
def tiktok(client: TestClient, tenant: Tenant, fake: FakePlatforms) -> str:
    project_id = new_project(client, tenant)
    account_id, _ = connect_live(client, tenant, project_id, "tiktok")
    set_posting_mode(client, tenant, account_id, "automatic")
    return account_id


def test_tiktok_post_settings_reach_tiktok(
    tiktok: str, fake: FakePlatforms, contents: Contents
) -> None:
    settings = {
        "privacyLevel": "SELF_ONLY",
        "disableComment": True,
        "autoAddMusic": False,
        "brandContentToggle": False,
    }
    # The shape scheduling stores (test_scheduling's fan-out test checks it).
    post_id = new_post(tiktok, options={"tiktokPostSettings": settings})
    assert publish_post(post_id).status == "posted"
    info = attempts_of(post_id)[0].ref["body"]["post_info"]
    assert info["privacy_level"] == "SELF_ONLY"
    assert info["disable_comment"] is True and info["auto_add_music"] is False
    assert info["brand_content_toggle"] is False and "brand_organic_toggle" not in info


def test_a_lifted_cap_is_read_at_publish_time(
    tiktok: str, fake: FakePlatforms, contents: Contents
) -> None:
    saved = SPECS["tiktok"]
    SPECS["tiktok"] = replace(saved, daily_post_cap=1)
    try:
        first, second = new_post(tiktok), new_post(tiktok)
        assert publish_post(first).status == "posted"
        held = publish_post(second)
        assert held.status == "ready" and held.hold_reason == "platform_quota"
    finally:
        SPECS["tiktok"] = saved
