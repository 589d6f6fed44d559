"""Which media fetcher serves a mode: a plain dict, test mode → sandbox. Tests that drive the
real fetcher against a local origin replace the live entry with one holding their policy."""

from __future__ import annotations

from collections.abc import Callable

from layers.kit.settings import Settings, get_settings
from layers.projects.media.fetch.base import MediaFetcher
from layers.projects.media.fetch.http import GuardedFetcher
from layers.projects.media.fetch.sandbox import SandboxFetcher

LIVE, TEST = "live", "test"

FETCHERS: dict[str, Callable[[Settings], MediaFetcher]] = {
    LIVE: lambda settings: GuardedFetcher(),
    TEST: lambda settings: SandboxFetcher(),
}


def media_fetcher(livemode: bool, settings: Settings | None = None) -> MediaFetcher:
    return FETCHERS[LIVE if livemode else TEST](settings or get_settings())
