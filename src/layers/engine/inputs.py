"""The inputs of the engine's DBOS workflows (one frozen dataclass per workflow).

The run id is never part of an input: it is the workflow id, and a retry forks a workflow with
the same input under a new id.
"""

from __future__ import annotations

from dataclasses import dataclass

RUN_WORKFLOW = "layers.engine.run"
FORK_WORKFLOW = "layers.engine.fork_run"


@dataclass(frozen=True)
class RunInput:
    """Run template workflow ``workflow`` at ``version`` for the command ``command_id``."""

    command_id: str
    workflow: str
    version: int


@dataclass(frozen=True)
class ForkInput:
    """Fork ``original_run_id`` into ``new_run_id``, re-running from DBOS step ``start_step``."""

    original_run_id: str
    new_run_id: str
    start_step: int
