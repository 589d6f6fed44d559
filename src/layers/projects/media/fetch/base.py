"""Fetching a partner's media URL: the `MediaFetcher` Protocol and what it returns.

`Fetched` is `kit.safe_http`'s: the guard is plumbing every live download goes through, and
the sandbox answers in the same terms.
"""

from __future__ import annotations

from typing import Protocol

from layers.kit.safe_http import Fetched

__all__ = ["Fetched", "MediaFetcher"]


class MediaFetcher(Protocol):
    """Turns a partner's URL into checked bytes of an allowed type and size.

    The contract every implementation keeps:

    * The URL passes the SSRF guard's checks (`kit.safe_http`) before anything else, in every
      mode, so a URL a test key may send is one a live key may send.
    * The type is sniffed from the bytes (never the sender's ``Content-Type``) and must be one
      of `allowed_types`; the body is at most `max_bytes`. Anything refused raises a
      `LayersError` with a stable code (422), never a 500.
    * It goes to the network: callers fetch before their transaction touches the database.
    """

    def fetch(
        self,
        url: str,
        *,
        kind: str,
        label: str,
        allowed_types: frozenset[str],
        max_bytes: int,
    ) -> Fetched:
        """The file at `url`, an app media of `kind` (logo, screenshot, demo-video, end-card)
        for the app named `label`."""
        ...
