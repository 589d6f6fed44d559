from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from layers.kit.db import get_database
from layers.kit.settings import Settings
from layers.models.engine import LayerSchedule, ProjectLayer
from tests.social.conftest import contents, quick_protocol  # noqa: F401


@pytest.fixture(autouse=True)
def _no_schedules_left_behind(settings: Settings) -> Iterator[None]:
    """The scheduler's tick is global: once a test is done, its distribution layers' schedules
    go, so that later tests ticking a manual clock do not start (and wait on) their runs."""
    yield
    with get_database().transaction() as session:
        mine = sa.select(ProjectLayer.id).where(ProjectLayer.template_id == "social-distribution")
        session.execute(sa.delete(LayerSchedule).where(LayerSchedule.layer_id.in_(mine)))
