"""The wallet through the API: reservations by generations, settlement and refunds, 402
BILLING_EXHAUSTED, allocation to a child, credit config, and the ledger invariant under a
burst of concurrent generations (run on SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from layers.kit import db as kit_db
from layers.kit.settings import Settings
from layers.models.orgs import Organization
from layers.models.wallet import CreditWallet
from layers.orgs import service as orgs
from layers.orgs.wallet import service as wallet
from tests.support import ACME, Tenant, assert_error, idempotency_key, wait_for_job


@pytest.fixture
def metered(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Top-level organizations pay for what they generate (the production default)."""
    monkeypatch.setattr(settings, "unmetered_root_orgs", False)
    return settings


def grant(org_id: str, credits: int) -> None:
    with kit_db.get_database().transaction() as session:
        wallet.grant(session, org_id, credits, description="test grant")


def new_project(client: TestClient, headers: dict[str, str]) -> str:
    response = client.post(
        "/v1/projects", json=ACME, headers={**headers, "Idempotency-Key": idempotency_key()}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def build(client: TestClient, project_id: str, headers: dict[str, str]) -> httpx.Response:
    return client.post(
        f"/v1/projects/{project_id}/content/slideshow-builder",
        json={"hook": "Coffee before the run"},
        headers=headers,
    )


def stored(org_id: str) -> tuple[int, int, int]:
    """(balance, reserved, ledger sum) as stored."""
    with kit_db.get_database().transaction(write=False) as session:
        row = session.get(CreditWallet, org_id)
        assert row is not None
        return row.balance, row.reserved, wallet.ledger_sum(session, org_id)


def new_child(parent_id: str, name: str = "Child") -> Tenant:
    with kit_db.get_database().transaction() as session:
        org = orgs.create_organization(session, name, parent_id)
        _, live = orgs.create_api_key(
            session, org, livemode=True, name="child", scopes=["*"], allowed_return_domains=[]
        )
        _, test = orgs.create_api_key(
            session, org, livemode=False, name="child", scopes=["*"], allowed_return_domains=[]
        )
        return Tenant(org.id, live, test)


def test_a_new_organization_has_an_empty_wallet(client: TestClient, tenant: Tenant) -> None:
    body = client.get("/v1/credits", headers=tenant.headers()).json()
    assert body["organizationId"] == tenant.org_id
    assert (body["balance"], body["available"], body["reservedCredits"]) == (0, 0, 0)
    assert body["estimatedCreditsPerFormat"] == {
        "slideshow_builder": 50,
        "slideshow_remix": 50,
        "video_remix": 120,
        "ugc_remix": 120,
        "auto": 120,
    }
    assert client.get("/v1/credits/events", headers=tenant.headers()).json() == {
        "items": [],
        "nextCursor": None,
    }


def test_a_generation_reserves_then_settles(
    client: TestClient, tenant: Tenant, metered: Settings
) -> None:
    grant(tenant.org_id, 120)
    project_id = new_project(client, tenant.headers())
    response = build(client, project_id, tenant.headers())
    assert response.status_code == 202, response.text
    job_id = response.json()["jobId"]
    container_id = response.json()["containerId"]

    job = wait_for_job(client, job_id, tenant.headers(), timeout=120)
    assert job["status"] == "completed", job
    credits = client.get("/v1/credits", headers=tenant.headers()).json()
    assert (credits["balance"], credits["available"], credits["reservedCredits"]) == (70, 70, 0)
    assert credits["usedThisPeriod"] == 50
    events = client.get("/v1/credits/events", headers=tenant.headers()).json()["items"]
    usage, granted = events
    assert usage["eventType"] == "usage" and usage["credits"] == -50
    assert usage["format"] == "slideshow_builder" and usage["containerId"] == container_id
    assert usage["workflowId"] == job_id and usage["projectId"] == project_id
    assert usage["reservationStatus"] == "settled"
    assert usage["balanceAfterPrepaid"] == 70 and usage["usageAfterPeriod"] == 50
    assert granted["eventType"] == "grant" and granted["credits"] == 120
    assert granted["description"] == "test grant"
    assert stored(tenant.org_id) == (70, 0, 70)
    only_grants = client.get("/v1/credits/events?eventType=grant", headers=tenant.headers()).json()[
        "items"
    ]
    assert [e["eventType"] for e in only_grants] == ["grant"]


def test_a_short_wallet_is_402_and_test_mode_is_never_charged(
    client: TestClient, tenant: Tenant, metered: Settings
) -> None:
    grant(tenant.org_id, 49)
    project_id = new_project(client, tenant.headers())
    error = assert_error(build(client, project_id, tenant.headers()), 402, "BILLING_EXHAUSTED")
    assert error["details"]["required"] == 50 and error["details"]["available"] == 49
    listed = client.get(f"/v1/projects/{project_id}/content", headers=tenant.headers()).json()
    assert listed["items"] == []  # the refused generation left nothing behind

    test_project = new_project(client, tenant.headers(test=True))
    response = build(client, test_project, tenant.headers(test=True))
    assert response.status_code == 202, response.text
    assert stored(tenant.org_id) == (49, 0, 49)


def test_a_failed_or_canceled_generation_is_refunded(
    client: TestClient, tenant: Tenant, metered: Settings
) -> None:
    grant(tenant.org_id, 100)
    project_id = new_project(client, tenant.headers())
    with kit_db.get_database().transaction() as session:
        wallet.reserve_generation(
            session,
            org_id=tenant.org_id,
            livemode=True,
            content_format="slideshow-remix",
            job_id="job_fake_failure",
            container_id="cnt_fake",
            project_id=project_id,
        )
    assert stored(tenant.org_id) == (50, 50, 50)
    with kit_db.get_database().transaction() as session:
        wallet.refund_generation(session, "job_fake_failure", "failed")
        wallet.refund_generation(session, "job_fake_failure", "failed")  # idempotent
        wallet.settle_generation(session, "job_fake_failure")  # too late: already refunded
    assert stored(tenant.org_id) == (100, 0, 100)
    events = client.get("/v1/credits/events", headers=tenant.headers()).json()["items"]
    assert [(e["eventType"], e["credits"]) for e in events] == [
        ("refund", 50),
        ("usage", -50),
        ("grant", 100),
    ]
    assert events[1]["reservationStatus"] == "refunded"
    assert events[0]["workflowId"] == "job_fake_failure"


def test_an_unmetered_root_org_generates_but_its_usage_is_recorded(
    client: TestClient, tenant: Tenant, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "unmetered_root_orgs", True)
    project_id = new_project(client, tenant.headers())
    response = build(client, project_id, tenant.headers())
    assert response.status_code == 202, response.text
    credits = client.get("/v1/credits", headers=tenant.headers()).json()
    assert credits["metered"] is False and credits["balance"] == 0
    assert credits["usedThisPeriod"] == 50
    (usage,) = client.get("/v1/credits/events", headers=tenant.headers()).json()["items"]
    assert usage["eventType"] == "usage" and usage["credits"] == 0
    assert usage["metadata"] == {"unmetered": True, "estimatedCredits": 50}
    # A child is always metered, whatever the setting.
    child = new_child(tenant.org_id)
    child_project = new_project(client, child.headers())
    assert_error(build(client, child_project, child.headers()), 402, "BILLING_EXHAUSTED")


def test_fifty_concurrent_generations_get_exactly_what_the_wallet_affords(
    app: Any, client: TestClient, tenant: Tenant, metered: Settings
) -> None:
    grant(tenant.org_id, 10 * 50)
    project_id = new_project(client, tenant.headers())
    seen: list[int] = []
    stop = threading.Event()

    def sample() -> None:  # the stored balance, as often as it can be read, during the burst
        engine = kit_db.get_database().engine
        while not stop.is_set():
            with engine.connect() as conn:
                seen.append(
                    conn.execute(
                        sa.select(CreditWallet.balance).where(CreditWallet.org_id == tenant.org_id)
                    ).scalar_one()
                )

    async def burst() -> list[int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            responses = await asyncio.gather(
                *(
                    http.post(
                        f"/v1/projects/{project_id}/content/slideshow-builder",
                        json={"hook": f"Run {n}"},
                        headers=tenant.headers(),
                        timeout=120,
                    )
                    for n in range(50)
                )
            )
        return [r.status_code for r in responses]

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        statuses = asyncio.run(burst())
    finally:
        stop.set()
        sampler.join()
    assert sorted(statuses) == [202] * 10 + [402] * 40
    assert seen and min(seen) >= 0
    balance, _reserved, ledger = stored(tenant.org_id)
    assert balance >= 0 and ledger == balance
    credits = client.get("/v1/credits", headers=tenant.headers()).json()
    assert credits["available"] == 0 == balance
    assert credits["balance"] == credits["reservedCredits"] <= 500  # some may have settled
    events = client.get("/v1/credits/events?limit=100", headers=tenant.headers()).json()["items"]
    assert sum(e["credits"] for e in events) == balance
    usage = [e for e in events if e["eventType"] == "usage"]
    assert len(usage) == 10
    for event in usage:  # every accepted generation completes and settles its reservation
        job = wait_for_job(client, event["workflowId"], tenant.headers(), timeout=180)
        assert job["status"] == "completed", job
    assert stored(tenant.org_id) == (0, 0, 0)
    events = client.get("/v1/credits/events?limit=100", headers=tenant.headers()).json()["items"]
    assert {e["reservationStatus"] for e in events if e["eventType"] == "usage"} == {"settled"}


def test_a_parent_allocates_to_its_child_in_both_ledgers(
    client: TestClient, tenant: Tenant, other_tenant: Tenant, metered: Settings
) -> None:
    grant(tenant.org_id, 1000)
    child = new_child(tenant.org_id)
    path = f"/v1/organizations/{child.org_id}/credits/allocate"
    body = {
        "credits": 300,
        "description": "Pilot budget",
        "metadata": {"direction": "x", "po": "7"},
    }
    assert_error(
        client.post(path, json=body, headers=tenant.headers()), 400, "IDEMPOTENCY_REQUIRED"
    )

    key = idempotency_key()
    first = client.post(path, json=body, headers=tenant.headers(**{"Idempotency-Key": key}))
    assert first.status_code == 201, first.text
    transfer = first.json()
    assert transfer["id"].startswith("txn_") and transfer["allocated"] == 300
    assert (transfer["balance"], transfer["available"], transfer["replayed"]) == (300, 300, False)
    assert transfer["metadata"]["direction"] == "parent_to_child"
    assert transfer["metadata"]["counterpartyOrgId"] == child.org_id
    assert transfer["metadata"]["po"] == "7"
    again = client.post(path, json=body, headers=tenant.headers(**{"Idempotency-Key": key}))
    assert again.json()["id"] == transfer["id"]
    assert stored(tenant.org_id) == (700, 0, 700) and stored(child.org_id) == (300, 0, 300)

    parent_events = client.get("/v1/credits/events", headers=tenant.headers()).json()["items"]
    assert (parent_events[0]["eventType"], parent_events[0]["credits"]) == ("allocation", -300)
    assert parent_events[0]["transferId"] == transfer["id"]
    child_events = client.get(
        f"/v1/organizations/{child.org_id}/credits/events", headers=tenant.headers()
    ).json()["items"]
    assert [(e["eventType"], e["credits"]) for e in child_events] == [("allocation", 300)]
    own = client.get("/v1/credits/events", headers=child.headers()).json()["items"]
    assert own == child_events
    child_credits = client.get(
        f"/v1/organizations/{child.org_id}/credits", headers=tenant.headers()
    ).json()
    assert child_credits == client.get("/v1/credits", headers=child.headers()).json()

    too_much = {"credits": 701}
    assert_error(
        client.post(path, json=too_much, headers=tenant.headers(**{"Idempotency-Key": "k2"})),
        402,
        "BILLING_EXHAUSTED",
    )
    assert_error(
        client.post(path, json={"credits": 0}, headers=tenant.headers(**{"Idempotency-Key": "k3"})),
        422,
        "VALIDATION",
    )
    # Another organization, or the child itself, cannot reach this child's wallet.
    for headers in (other_tenant.headers(), child.headers()):
        assert_error(
            client.get(f"/v1/organizations/{child.org_id}/credits", headers=headers),
            404,
            "NOT_FOUND",
        )
        assert_error(
            client.post(path, json=body, headers={**headers, "Idempotency-Key": "k4"}),
            404,
            "NOT_FOUND",
        )


def test_credit_config_caps_and_refills_a_child(
    client: TestClient, tenant: Tenant, metered: Settings
) -> None:
    grant(tenant.org_id, 1000)
    child = new_child(tenant.org_id)
    path = f"/v1/organizations/{child.org_id}/credit-config"
    config = client.get(path, headers=tenant.headers()).json()
    assert config == {
        "organizationId": child.org_id,
        "monthlyCreditCap": None,
        "refillThreshold": None,
        "refillAmount": None,
        "autoRefillEnabled": False,
        "balance": 0,
        "available": 0,
    }
    assert_error(
        client.patch(path, json={"refillThreshold": 10}, headers=tenant.headers()),
        422,
        "VALIDATION",
    )
    assert_error(
        client.patch(path, json={"autoRefillEnabled": True}, headers=tenant.headers()),
        422,
        "VALIDATION",
    )
    assert_error(client.get(path, headers=child.headers()), 404, "NOT_FOUND")
    updated = client.patch(
        path,
        json={
            "monthlyCreditCap": 100,
            "refillThreshold": 100,
            "refillAmount": 200,
            "autoRefillEnabled": True,
        },
        headers=tenant.headers(),
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["monthlyCreditCap"] == 100

    project_id = new_project(client, child.headers())
    # Empty child wallet: auto-refill tops it up from the parent before the reservation.
    assert build(client, project_id, child.headers()).status_code == 202
    assert stored(child.org_id)[0] == 150 and stored(tenant.org_id)[0] == 800
    assert build(client, project_id, child.headers()).status_code == 202
    # The monthly cap (100) is reached: the third is refused though credits remain.
    error = assert_error(build(client, project_id, child.headers()), 402, "BILLING_EXHAUSTED")
    assert error["details"]["monthlyCreditCap"] == 100
    assert "monthly cap" in error["message"]
    events = client.get("/v1/credits/events", headers=child.headers()).json()["items"]
    assert [e["eventType"] for e in events].count("allocation") == 1  # the refused one rolled back
    balance, _reserved, ledger = stored(child.org_id)
    assert ledger == balance and balance >= 0


def test_archived_orgs_and_test_keys_do_not_move_credits(
    client: TestClient, tenant: Tenant, metered: Settings
) -> None:
    grant(tenant.org_id, 100)
    child = new_child(tenant.org_id)
    path = f"/v1/organizations/{child.org_id}/credits/allocate"
    response = client.post(
        path, json={"credits": 10}, headers=tenant.headers(test=True, **{"Idempotency-Key": "t"})
    )
    assert_error(response, 404, "NOT_FOUND")  # a live child does not exist for a test key
    with kit_db.get_database().transaction() as session:
        org = session.get(Organization, child.org_id)
        assert org is not None
        org.status = "archived"
    response = client.post(
        path, json={"credits": 10}, headers=tenant.headers(**{"Idempotency-Key": "a"})
    )
    assert_error(response, 409, "CONFLICT")
    assert stored(tenant.org_id) == (100, 0, 100)


def test_reclaim_sweeps_what_a_child_has_not_spent_or_reserved(
    client: TestClient, tenant: Tenant, metered: Settings
) -> None:
    grant(tenant.org_id, 500)
    child = new_child(tenant.org_id)
    with kit_db.get_database().transaction() as session:
        wallet.allocate(session, tenant.org_id, child.org_id, 200, idempotency_key="r1")
        wallet.reserve_generation(
            session, org_id=child.org_id, livemode=True, content_format="slideshow-remix",
            job_id="job_reclaim_test", container_id="cnt_x", project_id=None,
        )  # fmt: skip
    with kit_db.get_database().transaction() as session:
        assert wallet.reclaim(session, tenant.org_id, child.org_id) == 150
        assert wallet.reclaim(session, tenant.org_id, child.org_id) == 0
    assert stored(child.org_id) == (0, 50, 0)
    assert stored(tenant.org_id) == (450, 0, 450)
    credits = client.get(f"/v1/organizations/{child.org_id}/credits", headers=tenant.headers())
    assert (credits.json()["balance"], credits.json()["available"]) == (50, 0)
