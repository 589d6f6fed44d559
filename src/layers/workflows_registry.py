"""Every module that declares DBOS workflows or steps, imported before DBOS launches, and
the seams between domains, wired once per process.

Recovery can only resume a workflow whose function is registered; add new modules here.
"""

from __future__ import annotations

import importlib

WORKFLOW_MODULES = (
    "layers.content.jobs.workflows",
    "layers.engine.maintenance",
    "layers.engine.workflows",
    "layers.projects.keywords.workflows",
    "layers.projects.influencers.workflows",
    "layers.publishing.workflows",
    "layers.social.workflows",
    "layers.content.workflows",
    "layers.catalog.social_distribution.workflows",
)


def import_all() -> None:
    for module in WORKFLOW_MODULES:
        importlib.import_module(module)
    wire_seams()


def wire_seams() -> None:
    """Connect the domains that meet through a registry rather than an import."""
    from layers.content.resolver import resolve_container
    from layers.publishing.content import register_content_resolver

    register_content_resolver(resolve_container, default=True)
