"""The sender by mode. Both modes send for real (a test-mode endpoint is the partner's own
development receiver); they differ in which URLs the guard lets through (`urls`). A test may
replace an entry of `SENDERS` to add a resolver or a transport."""

from __future__ import annotations

from collections.abc import Callable

from layers.kit.settings import Settings, get_settings
from layers.webhooks.sender.base import WebhookSender
from layers.webhooks.sender.http import HttpSender

LIVE, TEST = True, False


def _http(livemode: bool) -> Callable[[Settings], WebhookSender]:
    def build(settings: Settings) -> WebhookSender:
        return HttpSender(
            livemode=livemode,
            connect_timeout=settings.webhook_connect_timeout,
            read_timeout=settings.webhook_read_timeout,
        )

    return build


SENDERS: dict[bool, Callable[[Settings], WebhookSender]] = {LIVE: _http(LIVE), TEST: _http(TEST)}


def webhook_sender(livemode: bool, settings: Settings | None = None) -> WebhookSender:
    return SENDERS[livemode](settings or get_settings())
