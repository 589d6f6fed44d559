"""Sandbox publishing: deterministic, instantaneous, and never leaves the machine.

It validates content the way the platforms do (media counts and caption length from the
platform's `PlatformSpec`) so that test-mode integrations meet the same refusals, then
"publishes" with ids derived from a nonce chosen in `prepare` and recorded with the attempt.
A lookup derives the same ids from the recorded nonce: the sandbox's commit cannot fail once
it has been called, so an attempt whose answer was lost (a crash) resolves as published,
which keeps exactly-once in test mode too.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import datetime
from typing import Any

from layers.kit.settings import Settings
from layers.social.platforms.base import (
    AccountRef,
    Outcome,
    Prepared,
    PublishRequest,
    Quota,
    Rejected,
)
from layers.social.platforms.specs import SPECS
from layers.social.vault import Secret


class SandboxPublisher:
    def __init__(self, platform: str, settings: Settings) -> None:
        self.platform = platform
        self.spec = SPECS[platform]
        self.latency = settings.sandbox_latency_ms / 1000

    def _wait(self) -> None:
        if self.latency:
            time.sleep(self.latency)

    def quota(self, token: Secret, account: AccountRef) -> Quota:
        return Quota(remaining=None)

    def prepare(self, token: Secret, account: AccountRef, request: PublishRequest) -> Prepared:
        self._wait()
        content = request.content
        max_images, max_caption = self.spec.media.max_images, self.spec.media.max_caption
        if content.kind == "photo" and len(content.media_urls) > max_images:
            raise Rejected(f"The sandbox {self.platform} takes at most {max_images} images.")
        if len(content.text()) > max_caption:
            raise Rejected(f"The sandbox {self.platform} caption is at most {max_caption} chars.")
        ref = {
            "operation": "sandbox_publish",
            "nonce": secrets.token_hex(8),
            "kind": content.kind,
            "draft": request.draft,
        }
        return Prepared("sandbox_publish", ref)

    def commit(self, token: Secret, account: AccountRef, prepared: Prepared) -> Outcome:
        self._wait()
        return self._outcome(account, prepared.ref)

    def lookup(
        self,
        token: Secret,
        account: AccountRef,
        ref: dict[str, Any],
        *,
        publish_id: str | None,
        post_id: str | None = None,
        since: datetime,
    ) -> Outcome:
        self._wait()
        if not ref.get("nonce"):
            return Outcome(state="unknown")
        return self._outcome(account, ref)

    def _outcome(self, account: AccountRef, ref: dict[str, Any]) -> Outcome:
        digest = hashlib.sha256(f"{account.platform_account_id}:{ref['nonce']}".encode())
        number = str(int(digest.hexdigest()[:17], 16))
        publish_id = f"sbx_pub_{digest.hexdigest()[:20]}"
        if ref.get("draft"):
            return Outcome(state="inbox", publish_id=publish_id)
        url = self.spec.url(
            handle=account.handle or "sandbox",
            kind=str(ref.get("kind") or "video"),
            post_id=number,
            code=f"SBX{digest.hexdigest()[:8].upper()}",
        )
        return Outcome(state="published", publish_id=publish_id, post_id=number, url=url)
