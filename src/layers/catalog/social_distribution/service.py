"""Kept for the callers outside the package (bench/distribution_scale.py): the names they use,
from the modules that now hold them. New code imports those modules directly: `binding`
(config and bound account), `planning`, `attaching`, `generation`, `dispatch`, `recovery`,
and `repository` (the queries)."""

from __future__ import annotations

from layers.catalog.social_distribution.binding import TEMPLATE_ID
from layers.catalog.social_distribution.dispatch import dispatch
from layers.catalog.social_distribution.planning import plan

__all__ = ["TEMPLATE_ID", "dispatch", "plan"]
