"""The layer engine's tables: project layers, their config history and schedules, runs, the
activities and log lines of each run.

Table names avoid DBOS's own (``kit.db.DBOS_SQLITE_TABLES``): DBOS shares the SQLite file.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from layers.kit import clock
from layers.kit.db import Base, JSONType, UTCDateTime
from layers.models.base import Tenant, Timestamps

LAYER_STATUSES = ("installing", "active", "paused", "failed", "uninstalled")
RUN_STATUSES = ("queued", "running", "completed", "failed", "canceled")
RUN_TERMINAL = frozenset({"completed", "failed", "canceled"})
RUN_TRIGGERS = ("console", "cli", "api", "schedule", "config_change", "install", "system")
ACTIVITY_STATUSES = ("running", "completed", "failed", "canceled")


class ProjectLayer(Tenant, Timestamps, Base):
    """A template installed on a project, with its concrete config.

    ``status``: ``installing → active ⇄ paused``, ``installing → failed``, any →
    ``uninstalled`` (soft; the row and its runs stay readable). ``config`` is the current
    version (``config_version``) of `LayerConfigVersion`; every change adds a version.
    """

    __tablename__ = "project_layers"
    __table_args__ = (
        sa.Index("ix_project_layers_tenant", "org_id", "livemode", "id"),
        sa.Index("ix_project_layers_project", "project_id", "id"),
    )

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    project_id: Mapped[str] = mapped_column(
        sa.String(40), sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False
    )
    template_id: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    template_version: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    config: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)
    config_version: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    install_run_id: Mapped[str | None] = mapped_column(sa.String(40))
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    uninstalled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LayerConfigVersion(Base):
    """One version of a layer's config (append-only; a rollback adds a version)."""

    __tablename__ = "layer_config_versions"
    __table_args__ = (sa.UniqueConstraint("layer_id", "version"),)

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    layer_id: Mapped[str] = mapped_column(
        sa.String(40), sa.ForeignKey("project_layers.id", ondelete="CASCADE"), nullable=False
    )
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    config: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)
    changed_keys: Mapped[list[str]] = mapped_column(JSONType, nullable=False)
    source: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    rolled_back_to: Mapped[int | None] = mapped_column(sa.Integer)
    actor_key_id: Mapped[str | None] = mapped_column(sa.String(40))
    request_id: Mapped[str | None] = mapped_column(sa.String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, nullable=False)


class LayerSchedule(Base):
    """When a scheduled command of a layer runs next. ``next_run_at`` is NULL while the layer
    is not active; the tick reads only rows with ``next_run_at <= now`` (indexed)."""

    __tablename__ = "layer_schedules"
    __table_args__ = (sa.UniqueConstraint("layer_id", "command_id"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    layer_id: Mapped[str] = mapped_column(
        sa.String(40), sa.ForeignKey("project_layers.id", ondelete="CASCADE"), nullable=False
    )
    command_id: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    cron: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_run_id: Mapped[str | None] = mapped_column(sa.String(40))


class Run(Tenant, Base):
    """One invocation of a command: a DBOS workflow whose id is this row's id.

    A cross-layer parent run has no layer and no workflow; its children point at it with
    ``parent_run_id`` and the last child to finish settles it.
    """

    __tablename__ = "layer_runs"
    __table_args__ = (
        sa.Index("ix_layer_runs_tenant", "org_id", "livemode", "id"),
        sa.Index("ix_layer_runs_layer", "layer_id", "id"),
        # a command's last run: one index seek per (layer, command), see runs.service.last_runs
        sa.Index("ix_layer_runs_layer_command", "layer_id", "command_id", "created_at", "id"),
        sa.Index("ix_layer_runs_parent", "parent_run_id", "id"),
        sa.Index("ix_layer_runs_retry_of", "retry_of"),
    )

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    layer_id: Mapped[str | None] = mapped_column(
        sa.String(40), sa.ForeignKey("project_layers.id", ondelete="CASCADE")
    )
    project_id: Mapped[str | None] = mapped_column(
        sa.String(40), sa.ForeignKey("projects.id", ondelete="CASCADE")
    )
    parent_run_id: Mapped[str | None] = mapped_column(sa.String(40))
    retry_of: Mapped[str | None] = mapped_column(sa.String(40))
    command_id: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    workflow_name: Mapped[str | None] = mapped_column(sa.String(128))
    workflow_version: Mapped[int | None] = mapped_column(sa.Integer)
    template_id: Mapped[str | None] = mapped_column(sa.String(64))
    config_version: Mapped[int | None] = mapped_column(sa.Integer)
    trigger: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)
    filters: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    output: Mapped[Any | None] = mapped_column(JSONType)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    scheduled_for: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, nullable=False)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=clock.now, onupdate=clock.now, nullable=False
    )


class RunActivity(Base):
    """One activity of a run, keyed by the DBOS step that executes it."""

    __tablename__ = "run_activities"
    __table_args__ = (sa.UniqueConstraint("run_id", "step_id"),)

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    run_id: Mapped[str] = mapped_column(
        sa.String(40), sa.ForeignKey("layer_runs.id", ondelete="CASCADE"), nullable=False
    )
    step_id: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(128), nullable=False)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    input: Mapped[Any | None] = mapped_column(JSONType)
    output: Mapped[Any | None] = mapped_column(JSONType)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    attempt_history: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, nullable=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_details: Mapped[Any | None] = mapped_column(JSONType)
    kept_from: Mapped[str | None] = mapped_column(sa.String(40))


class RunLog(Base):
    """A log line of a run. The integer id orders lines and is the SSE event id.

    ``dedupe_key`` makes a line written from a (replayed) workflow body land once.
    """

    __tablename__ = "run_logs"
    __table_args__ = (
        sa.Index("ix_run_logs_run", "run_id", "id"),
        sa.UniqueConstraint("run_id", "dedupe_key"),
    )

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    run_id: Mapped[str] = mapped_column(
        sa.String(40), sa.ForeignKey("layer_runs.id", ondelete="CASCADE"), nullable=False
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    level: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    activity_id: Mapped[str | None] = mapped_column(sa.String(40))
    activity_name: Mapped[str | None] = mapped_column(sa.String(128))
    message: Mapped[str] = mapped_column(sa.Text, nullable=False)
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(64))
