"""Which source catalog serves a mode: a plain dict, test mode → sandbox.

The live catalog is built from settings at the call, so a deployment without Research API
credentials fails there (503 ``UNAVAILABLE``), never at start-up.
"""

from __future__ import annotations

from collections.abc import Callable

from layers.kit.settings import Settings, get_settings
from layers.kit.storage import MediaStorage, get_storage
from layers.sources.base import SourceCatalog
from layers.sources.sandbox import SandboxCatalog
from layers.sources.tiktok_research import ResearchCatalog, UnconfiguredCatalog, research_client

LIVE, TEST = "live", "test"

_sandboxes: dict[int, SandboxCatalog] = {}


def _live(settings: Settings) -> SourceCatalog:
    client = research_client(settings)
    return ResearchCatalog(client) if client else UnconfiguredCatalog()


def _sandbox(settings: Settings) -> SourceCatalog:
    """One per storage: its lock keeps two requests from drawing the same file at once."""
    storage: MediaStorage = get_storage(settings)
    catalog = _sandboxes.get(id(storage))
    if catalog is None:
        catalog = _sandboxes[id(storage)] = SandboxCatalog(storage, settings.sandbox_latency_ms)
    return catalog


CATALOGS: dict[str, Callable[[Settings], SourceCatalog]] = {LIVE: _live, TEST: _sandbox}


def source_catalog(livemode: bool, settings: Settings | None = None) -> SourceCatalog:
    return CATALOGS[LIVE if livemode else TEST](settings or get_settings())
