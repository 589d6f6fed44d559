"""``meta-ad-manager`` end to end through HTTP on the sandbox ads market (the story is in
`tests.ads.e2e`, shared with the other ad manager)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.ads.e2e import story
from tests.social.conftest import Contents, contents, quick_protocol
from tests.support import Tenant

__all__ = ["contents", "quick_protocol"]


def test_meta_ad_manager_end_to_end(client: TestClient, tenant: Tenant, contents: Contents) -> None:
    story(client, tenant, "meta")
