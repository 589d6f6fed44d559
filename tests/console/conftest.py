from __future__ import annotations

import pytest

from layers.kit.settings import Settings
from tests.engine.helpers import register_test_templates


@pytest.fixture(autouse=True)
def _engine_templates(settings: Settings) -> None:
    register_test_templates()
