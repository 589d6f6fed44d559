"""An autouse fixture for the ads tests: once a test is done, its ad layers' schedules go."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from layers.ads.ad_layers import TEMPLATE_IDS
from layers.kit.db import get_database
from layers.kit.settings import Settings
from layers.models.engine import LayerSchedule, ProjectLayer


@pytest.fixture(autouse=True)
def _no_ad_schedules_left_behind(settings: Settings) -> Iterator[None]:
    """The scheduler's tick is global: later tests ticking a manual clock must not start (and
    wait on) the passes of ad layers a finished test installed."""
    yield
    with get_database().transaction() as session:
        mine = sa.select(ProjectLayer.id).where(
            ProjectLayer.template_id.in_(list(TEMPLATE_IDS.values()))
        )
        session.execute(sa.delete(LayerSchedule).where(LayerSchedule.layer_id.in_(mine)))
