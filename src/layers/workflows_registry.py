"""Every module that declares DBOS workflows or steps, imported before DBOS launches.

Recovery can only resume a workflow whose function is registered; add new modules here.
"""

from __future__ import annotations

import importlib

WORKFLOW_MODULES = (
    "layers.content.jobs.workflows",
    "layers.engine.maintenance",
    "layers.projects.keywords.workflows",
    "layers.projects.influencers.workflows",
    "layers.content.workflows",
)


def import_all() -> None:
    for module in WORKFLOW_MODULES:
        importlib.import_module(module)
