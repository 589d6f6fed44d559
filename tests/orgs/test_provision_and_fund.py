"""The provision-and-fund flow of §20, through HTTP and in live mode, as a partner runs it:
create a child → mint its key → allocate 5,000 credits → set its credit config → subscribe
the parent's firehose → the child's key generates → the parent's firehose receives the signed
``job.completed`` tagged with the child, and the child's ledger shows the reservation held,
then settled.

A live endpoint must be public HTTPS, so the parent subscribes a public name; the sender is
given a resolver that answers that name with this machine and a transport that carries the
pinned HTTPS request to the local receiver in plain HTTP (the only part not exercised is TLS).
Everything else — the guard, the pinned address, the signature — is the production path.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from layers.kit import db as kit_db
from layers.kit.safe_http import FetchPolicy, IPAddress, is_public_address
from layers.kit.settings import Settings
from layers.orgs.wallet import service as wallet
from layers.webhooks.sender import registry as senders
from layers.webhooks.sender.http import HttpSender
from tests.orgs.helpers import bearer
from tests.support import ACME, Tenant, idempotency_key, wait_for, wait_for_job
from tests.webhooks.receiver import Receiver

PARTNER_HOST = "hooks.partner.example"
CHILD_SCOPES = ["projects:read", "projects:write", "content:read", "content:write", "jobs:read"]


class _ToReceiver(httpx.BaseTransport):
    """Carries a request pinned to this machine on port 443 to the receiver's port, in HTTP."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.inner = httpx.HTTPTransport()
        self.hosts: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        assert request.url.scheme == "https" and request.url.host == "127.0.0.1"
        self.hosts.append(request.headers["host"])
        request.url = request.url.copy_with(scheme="http", port=self.port)
        return self.inner.handle_request(request)


@pytest.fixture
def partner_receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Receiver, _ToReceiver]]:
    receiver = Receiver().start()
    transport = _ToReceiver(receiver.port)

    def resolve(host: str, _port: int) -> list[str]:
        assert host == PARTNER_HOST, host
        return ["127.0.0.1"]

    def loopback_for_the_partner(ip: IPAddress) -> bool:
        return is_public_address(ip) or ip.is_loopback

    def live_sender(settings: Settings) -> HttpSender:
        return HttpSender(
            livemode=True,
            connect_timeout=settings.webhook_connect_timeout,
            read_timeout=settings.webhook_read_timeout,
            policy=FetchPolicy(resolver=resolve, address_allowed=loopback_for_the_partner),
            transport=transport,
        )

    monkeypatch.setitem(senders.SENDERS, senders.LIVE, live_sender)
    yield receiver, transport
    receiver.close()


@pytest.fixture
def metered(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setattr(settings, "unmetered_root_orgs", False)
    return settings


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def test_a_partner_provisions_funds_and_watches_a_child_generate(
    client: TestClient,
    tenant: Tenant,
    metered: Settings,
    partner_receiver: tuple[Receiver, _ToReceiver],
) -> None:
    receiver, transport = partner_receiver
    parent = tenant.headers()
    with kit_db.get_database().transaction() as session:  # the operator funds the partner
        wallet.grant(session, tenant.org_id, 10_000, description="partner plan")

    child = _ok(
        client.post(
            "/v1/organizations",
            json={"name": "Acme Coffee (customer)"},
            headers={**parent, "Idempotency-Key": idempotency_key()},
        ),
        201,
    )
    child_id = child["id"]
    minted = _ok(
        client.post(
            f"/v1/organizations/{child_id}/api-keys",
            json={"name": "acme backend", "scopes": CHILD_SCOPES},
            headers={**parent, "Idempotency-Key": idempotency_key()},
        ),
        201,
    )
    child_key = bearer(minted["key"])
    assert minted["key"].startswith("lp_live_")

    allocated = _ok(
        client.post(
            f"/v1/organizations/{child_id}/credits/allocate",
            json={"credits": 5000, "description": "December budget"},
            headers={**parent, "Idempotency-Key": idempotency_key()},
        ),
        201,
    )
    assert (allocated["allocated"], allocated["balance"]) == (5000, 5000)
    config = _ok(
        client.patch(
            f"/v1/organizations/{child_id}/credit-config",
            json={"monthlyCreditCap": 4000},
            headers=parent,
        )
    )
    assert config["monthlyCreditCap"] == 4000

    subscribed = _ok(
        client.post(
            "/v1/webhook-endpoints",
            json={
                "url": f"https://{PARTNER_HOST}/layers",
                "events": ["job.completed"],
                "scope": "all_children",
            },
            headers=parent,
        ),
        201,
    )
    receiver.secrets.append(subscribed["signingSecret"])

    project = _ok(
        client.post(
            "/v1/projects",
            json=ACME,
            headers={**child_key, "Idempotency-Key": idempotency_key()},
        ),
        201,
    )
    started = _ok(
        client.post(
            f"/v1/projects/{project['id']}/content/slideshow-builder",
            json={"hook": "Coffee before the run"},
            headers=child_key,
        ),
        202,
    )
    job_id = started["jobId"]
    (held,) = _ok(client.get("/v1/credits/events?eventType=usage", headers=child_key))["items"]
    assert (held["reservationStatus"], held["credits"]) == ("held", -50)
    assert held["workflowId"] == job_id
    during = _ok(client.get("/v1/credits", headers=child_key))
    assert (during["reservedCredits"], during["available"]) == (50, 4950)

    job = wait_for_job(client, job_id, child_key, timeout=180)
    assert job["status"] == "completed", job

    def completed() -> list[Any] | None:
        found = [r for r in receiver.of_type("job.completed") if r.body["data"]["jobId"] == job_id]
        return found or None

    (delivered,) = wait_for(completed, timeout=60)
    assert delivered.verified, "the firehose delivery is signed with the parent's secret"
    assert delivered.body["data"]["organizationId"] == child_id
    assert delivered.body["livemode"] is True
    # Every send kept the partner's name while the address was pinned (the project's own
    # background jobs, keyword research among them, complete and reach the firehose too).
    assert transport.hosts and set(transport.hosts) == {PARTNER_HOST}

    events = _ok(client.get("/v1/credits/events", headers=child_key))["items"]
    usage, allocation = events
    assert (usage["eventType"], usage["reservationStatus"], usage["credits"]) == (
        "usage",
        "settled",
        -50,
    )
    assert usage["eventId"] == held["eventId"] and usage["containerId"] == started["containerId"]
    assert (allocation["eventType"], allocation["credits"]) == ("allocation", 5000)
    after = _ok(client.get(f"/v1/organizations/{child_id}/credits", headers=parent))
    assert (after["balance"], after["available"], after["reservedCredits"]) == (4950, 4950, 0)
    parent_credits = _ok(client.get("/v1/credits", headers=parent))
    assert parent_credits["balance"] == 5000
    time.sleep(0.5)  # nothing else reaches the partner: it subscribed to job.completed only
    assert {r.body["type"] for r in receiver.received} == {"job.completed"}
