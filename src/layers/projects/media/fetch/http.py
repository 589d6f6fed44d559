"""The live fetcher: the real download, through the SSRF guard (`kit.safe_http`)."""

from __future__ import annotations

from layers.kit import safe_http


class GuardedFetcher:
    """A GET through the guard: every redirect re-checked, the connection pinned to the
    checked address, the body streamed under the cap and sniffed."""

    def __init__(self, policy: safe_http.FetchPolicy = safe_http.DEFAULT_POLICY) -> None:
        self.policy = policy

    def fetch(
        self,
        url: str,
        *,
        kind: str,
        label: str,
        allowed_types: frozenset[str],
        max_bytes: int,
    ) -> safe_http.Fetched:
        return safe_http.fetch(
            url, max_bytes=max_bytes, allowed_types=allowed_types, policy=self.policy
        )
