"""The template the engine benchmark executes: one command, three small activities.

Loaded into the benchmarked process with ``LAYERS_EXTRA_TEMPLATES=_engine_template``.
"""

from __future__ import annotations

from typing import Any

from layers.engine.authoring import RunContext, activity
from layers.engine.templates import Command, Template, Workflow


@activity("bench.fetch")
def fetch(size: int) -> list[int]:
    return list(range(size))


@activity("bench.score")
def score(items: list[int]) -> int:
    return sum(item * item for item in items)


@activity("bench.store")
def store(total: int) -> dict[str, int]:
    return {"total": total}


def three(ctx: RunContext) -> dict[str, Any]:
    return store(score(fetch(int(ctx.parameters.get("size", 8)))))


TEMPLATES = [
    Template(
        id="bench-three",
        name="Benchmark",
        version="1",
        config_schema={"type": "object"},
        default_config={},
        workflows=(Workflow("bench-three", 1, three),),
        commands={"go": Command("executable", "bench-three", 1)},
    )
]
