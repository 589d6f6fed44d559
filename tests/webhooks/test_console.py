"""The Webhooks screen through a browser-like client: create with the event picker (the
secret shown once), the deliveries with their last answer, send test, replay, pause / resume,
rotate, delete; a read-only key sees no forms."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient

from tests.console.helpers import browser, follow, post, sign_in
from tests.support import Tenant, key_with_scopes, wait_for
from tests.webhooks.receiver import Receiver

LIVE_TABLE = 'hx-select="#deliveries"'
SECRET_RE = re.compile(r"data-secret>(whsec_[A-Za-z0-9_-]+)<")


def test_the_webhooks_screen(app: object, tenant: Tenant, receiver: Receiver) -> None:
    web = browser(app)
    csrf = sign_in(web, tenant.test)
    page = web.get("/console/webhooks")
    assert page.status_code == 200 and "No webhook endpoints yet" in page.text
    assert 'href="/console/webhooks" class="active"' in page.text  # the nav link

    refused = web.post(
        "/console/webhooks",
        data={"csrf": csrf, "url": "http://10.0.0.8/hooks", "events": ["post.published"]},
    )
    assert refused.status_code == 422 and "not allowed" in refused.text
    assert 'value="http://10.0.0.8/hooks"' in refused.text  # what was typed stays
    none = web.post("/console/webhooks", data={"csrf": csrf, "url": receiver.url})
    assert none.status_code == 422 and "events" in none.text

    created = web.post(
        "/console/webhooks",
        data={
            "csrf": csrf,
            "url": receiver.url,
            "description": "My laptop",
            "events": ["post.published", "job.failed"],
        },
    )
    assert created.status_code == 200, created.text
    secret = SECRET_RE.search(created.text)
    assert secret, "the signing secret is shown once"
    receiver.secrets.append(secret.group(1))
    endpoint_id = re.search(r'href="/console/webhooks/(whe_[0-9A-Z]+)"', created.text)
    assert endpoint_id
    detail_url = f"/console/webhooks/{endpoint_id.group(1)}"
    listing = web.get("/console/webhooks").text
    assert receiver.url in listing and "My laptop" in listing
    assert secret.group(1) not in listing  # never again

    receiver.latency = 1.0  # the receiver answers late: the page shows the send in flight
    sent = follow(web, post(web, f"{detail_url}/test", csrf))
    assert "Sent a test.ping" in sent.text
    assert LIVE_TABLE in sent.text, "an unanswered delivery keeps the table refreshing"
    wait_for(lambda: 'class="pill delivered"' in web.get(detail_url).text, timeout=30)
    receiver.latency = 0.0
    detail = web.get(detail_url).text
    assert 'id="deliveries"' in detail and LIVE_TABLE not in detail  # settled: no polling
    assert "test.ping" in detail and "HTTP 200" in detail
    assert "{&#34;ok&#34;: true}" in detail
    assert receiver.received[0].verified

    delivery_id = re.search(r"/console/webhook-deliveries/(whd_[0-9A-Z]+)/replay", detail)
    assert delivery_id
    replayed = follow(
        web, post(web, f"/console/webhook-deliveries/{delivery_id.group(1)}/replay", csrf)
    )
    assert "Replaying" in replayed.text and "replay of" in replayed.text
    wait_for(lambda: len(receiver.received) == 2, timeout=30)
    assert receiver.received[1].body["replayOf"] == delivery_id.group(1)

    paused = follow(web, post(web, f"{detail_url}/status", csrf, status="paused"))
    assert "Paused." in paused.text and ">Resume<" in paused.text
    resumed = follow(web, post(web, f"{detail_url}/status", csrf, status="active"))
    assert "Resumed" in resumed.text

    rotated = post(web, f"{detail_url}/rotate-secret", csrf)
    assert rotated.status_code == 200 and "New signing secret" in rotated.text
    new_secret = SECRET_RE.search(rotated.text)
    assert new_secret and new_secret.group(1) != secret.group(1)

    reader = browser(app)
    sign_in(reader, key_with_scopes(tenant, ["webhooks:read", "projects:read"], test=True))
    read_only = reader.get(detail_url)
    assert read_only.status_code == 200 and "Send test event" not in read_only.text
    assert "Add an endpoint" not in reader.get("/console/webhooks").text

    gone = follow(web, post(web, f"{detail_url}/delete", csrf))
    assert "Deleted webhook endpoint" in gone.text and receiver.url not in gone.text
    assert web.get(detail_url).status_code == 404


def test_other_tenants_endpoints_are_not_found(
    app: object, tenant: Tenant, other_tenant: Tenant, client: TestClient, receiver: Receiver
) -> None:
    from tests.webhooks.helpers import create_endpoint

    endpoint = create_endpoint(client, tenant, receiver)
    web = browser(app)
    sign_in(web, other_tenant.test)
    assert web.get(f"/console/webhooks/{endpoint['id']}").status_code == 404


def test_the_deliveries_table_polls_only_while_something_is_about_to_be_sent() -> None:
    from layers.console.routes.webhooks import LIVE_RETRY_WINDOW, _in_flight
    from layers.kit.clock import now
    from layers.webhooks.schemas import DeliveryOut, DeliveryStatus

    def delivery(status: DeliveryStatus, retry_in: timedelta | None = None) -> DeliveryOut:
        at = now()
        return DeliveryOut(
            id="whd_1", endpoint_id="whe_1", event_id="evt_1", event_type="test.ping",
            status=status, attempts=1, next_retry_at=at + retry_in if retry_in else None,
            delivered_at=None, abandoned_at=None, last_response_status=None,
            last_response_at=None, last_error_message=None, replay_of=None, created_at=at,
        )  # fmt: skip

    settled = [delivery(DeliveryStatus.delivered), delivery(DeliveryStatus.abandoned)]
    assert not _in_flight(settled)
    assert _in_flight([*settled, delivery(DeliveryStatus.delivering)])
    assert _in_flight([*settled, delivery(DeliveryStatus.pending)])  # queued, not tried yet
    soon = LIVE_RETRY_WINDOW - timedelta(seconds=5)
    assert _in_flight([*settled, delivery(DeliveryStatus.pending, retry_in=soon)])
    later = LIVE_RETRY_WINDOW + timedelta(minutes=5)
    assert not _in_flight([*settled, delivery(DeliveryStatus.pending, retry_in=later)])
