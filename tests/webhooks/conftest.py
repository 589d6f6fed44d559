from __future__ import annotations

from collections.abc import Iterator

import pytest

from layers.kit.settings import Settings
from tests.webhooks.receiver import Receiver

SHORT_LADDER = "0,0.2,0.2,0.2,0.2,0.2,0.2,0.2"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.close()


@pytest.fixture
def short_ladder(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """The production ladder's eight attempts, a fraction of a second apart."""
    monkeypatch.setattr(settings, "webhook_retry_ladder", SHORT_LADDER)
