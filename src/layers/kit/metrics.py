"""Prometheus metrics at ``GET /metrics``.

Request counts and latencies are counted in-process by the HTTP middleware (labelled by route
template, never by raw path, so the label set stays small). Everything that lives in the
database — runs by status, publish outcomes, scheduled posts by status, queue depth — is read
at scrape time, so every API or worker process reports the same totals.

Set ``LAYERS_METRICS_TOKEN`` to require ``Authorization: Bearer <token>`` on the endpoint.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, MutableMapping
from typing import Any

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from layers.kit.db import get_database

REGISTRY = CollectorRegistry(auto_describe=True)
REQUESTS = Counter(
    "layers_http_requests_total",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "layers_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template.",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)


def observe_request(scope: MutableMapping[str, Any], status: int, seconds: float) -> None:
    route = scope.get("route")
    template = getattr(route, "path", None) or "unmatched"
    REQUESTS.labels(scope.get("method", "?"), template, str(status)).inc()
    LATENCY.labels(template).observe(seconds)


def _counts(session: Any, table: str, column: str) -> list[tuple[str, int]]:
    rows = session.execute(
        sa.text(f"SELECT {column}, COUNT(*) FROM {table} GROUP BY {column}")  # noqa: S608
    ).all()
    return [(str(value), int(count)) for value, count in rows]


class DatabaseCollector(Collector):
    """Gauges read from the database at scrape time (one read transaction per scrape)."""

    GAUGES = (
        ("layers_runs", "Layer runs by status.", "layer_runs", "status"),
        ("layers_publish_attempts", "Publish attempts by outcome.", "publish_attempts",
         "status"),
        ("layers_scheduled_posts", "Scheduled posts by status.", "scheduled_posts", "status"),
        ("layers_jobs", "Async jobs by status.", "jobs", "status"),
    )  # fmt: skip

    def describe(self) -> list[GaugeMetricFamily]:
        return []  # nothing to read at registration; the families appear at scrape time

    def collect(self) -> Iterator[GaugeMetricFamily]:
        database = get_database()
        queue_table = "dbos.workflow_status" if database.dialect == "postgresql" else (
            "workflow_status")  # fmt: skip
        with database.transaction(write=False) as session:
            for name, help_text, table, column in self.GAUGES:
                family = GaugeMetricFamily(name, help_text, labels=["status"])
                for value, count in _counts(session, table, column):
                    family.add_metric([value], count)
                yield family
            depth = GaugeMetricFamily(
                "layers_queue_depth", "Workflows waiting or running, by queue.", labels=["queue"]
            )
            rows = session.execute(
                sa.text(
                    f"SELECT queue_name, COUNT(*) FROM {queue_table} "  # noqa: S608
                    "WHERE status IN ('ENQUEUED', 'PENDING') AND queue_name IS NOT NULL "
                    "GROUP BY queue_name"
                )
            ).all()
            for queue, count in rows:
                depth.add_metric([str(queue)], int(count))
            yield depth


REGISTRY.register(DatabaseCollector())


def render() -> bytes:
    started = time.perf_counter()
    body = generate_latest(REGISTRY)
    took = f"# scrape took {time.perf_counter() - started:.4f}s\n".encode()
    return body + took
