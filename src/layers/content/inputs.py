"""The content pipeline's durable inputs: what `service` enqueues and `workflows` runs, kept
apart so that the service need not import the workflows (which import the service)."""

from __future__ import annotations

from dataclasses import dataclass

WORKFLOW = "content.generate"


@dataclass(frozen=True)
class GenerateInput:
    job_id: str
    container_id: str
    generation: int
