"""Every platform's facts by its name: one `PlatformSpec` per platform, from ``<name>/spec.py``.

Read it (through `layers.social.platforms.registry`, which re-exports it, or here from inside
``platforms/``) wherever something differs by platform, instead of comparing the platform's
name: adding a platform is a package with its client and its spec, and a line here.
"""

from __future__ import annotations

from layers.social.platforms.base import PLATFORMS, PlatformSpec
from layers.social.platforms.instagram.spec import SPEC as INSTAGRAM
from layers.social.platforms.tiktok.spec import SPEC as TIKTOK

# A plain dict: a benchmark may swap in a spec with a lifted cap
# (``SPECS[name] = dataclasses.replace(SPECS[name], daily_post_cap=...)``).
SPECS: dict[str, PlatformSpec] = {spec.name: spec for spec in (TIKTOK, INSTAGRAM)}
assert tuple(SPECS) == PLATFORMS, "base.PLATFORMS lists the platforms of SPECS, in order"


def spec_of(platform: str) -> PlatformSpec | None:
    """The facts of `platform`, or None for a platform we do not serve."""
    return SPECS.get(platform)
