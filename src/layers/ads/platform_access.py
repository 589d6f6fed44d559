"""The one place the ads services get an `AdsPlatform` from: the registry's client for a
platform and a mode (live: the real Meta / TikTok clients; test: the sandbox market)."""

from __future__ import annotations

from layers.ads.platforms import registry
from layers.ads.platforms.base import AdsPlatform, AdsPlatformSpec


def platform(name: str, livemode: bool) -> AdsPlatform:
    return registry.platform_for(name, livemode)


def spec(name: str) -> AdsPlatformSpec:
    return registry.spec_for(name)
