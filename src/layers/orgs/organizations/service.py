"""The lifecycle of child organizations (fact sheet §20), driven by a parent's ``org:admin``
key. One level deep: a child making a child → 422.

* create: ``active``, an empty wallet, in the mode of the calling key (a test key makes a
  sandbox child whose keys are test keys).
* suspend / resume (idempotent by state): a suspended child's own keys get 503 KILL_SWITCH;
  its parent still acts in it (``X-Layers-Organization``) except to generate, publish or
  execute (`layers.orgs.dependencies`); its due scheduled posts hold and go out after resume
  (`layers.publishing.protocol.holds`). An archived child → 409.
* archive (``DELETE``, idempotent, terminal): every key of the child revoked, its unspent
  credits swept back to the parent (`layers.orgs.wallet.service.reclaim`).

Each change writes ``organization.*`` audit rows in the parent's log and the child's.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from layers.kit import clock
from layers.kit.errors import Conflict, NotFound, Validation
from layers.kit.ids import has_prefix, new_id
from layers.models.orgs import Organization
from layers.orgs.audit import service as audit
from layers.orgs.organizations import repository
from layers.orgs.organizations.schemas import (
    CreditSummary,
    OrganizationArchived,
    OrganizationCreate,
    OrganizationDetail,
    OrganizationOut,
    OrganizationStatus,
    OrganizationUpdate,
    ProjectSummary,
    metadata_of,
)
from layers.orgs.service import Principal
from layers.orgs.wallet import service as wallet


def to_out(org: Organization) -> OrganizationOut:
    return OrganizationOut(
        id=org.id,
        parent_organization_id=org.parent_id,
        name=org.name,
        status=OrganizationStatus(org.status),
        livemode=org.livemode,
        metadata=metadata_of(org.metadata_),
        billing_email=org.billing_email,
        suspended_at=org.suspended_at,
        archived_at=org.archived_at,
        created_at=org.created_at,
        updated_at=org.updated_at,
    )


def credit_summary(session: Session, org: Organization) -> CreditSummary:
    """The child's wallet, as `GET /v1/organizations/{id}/credits` reads it."""
    found = wallet.view(session, org.id)
    return CreditSummary(
        balance=found.balance,
        available=max(found.balance - found.reserved, 0),
        reserved_credits=found.reserved,
    )


def reclaim_credits(session: Session, parent: Organization, child: Organization) -> int:
    """Sweep the child's unspent, unreserved credits back to the parent (both ledgers, in
    this transaction); returns how many moved."""
    return wallet.reclaim(session, parent.id, child.id)


def own_organization(session: Session, principal: Principal) -> Organization:
    """The calling key's own organization (a parent acting in a child included)."""
    org = session.get(Organization, principal.key_org_id)
    if org is None:
        raise NotFound.of("organization", principal.key_org_id)
    return org


def get_child(session: Session, principal: Principal, org_id: str) -> Organization:
    """A direct child of the caller's organization, in the caller's mode; 404 otherwise."""
    if not has_prefix(org_id, "org"):
        raise Validation.field("orgId", "must be an organization id (org_…)", "id_malformed")
    org = session.get(Organization, org_id)
    if (
        org is None
        or org.parent_id is None
        or org.parent_id != principal.key_org_id
        or org.livemode != principal.livemode
    ):
        raise NotFound.of("organization", org_id)
    return org


def create(session: Session, principal: Principal, body: OrganizationCreate) -> Organization:
    parent = own_organization(session, principal)
    if parent.parent_id is not None:
        raise Validation.field(
            "parentOrganizationId",
            "sub-organizations are one level deep: a child cannot have children",
            "hierarchy_depth",
        )
    child = Organization(
        id=new_id("org"),
        name=body.name,
        parent_id=parent.id,
        livemode=principal.livemode,
        metadata_=dict(body.metadata or {}),
        billing_email=body.billing_email,
    )
    session.add(child)
    session.flush()
    _audit(session, principal, child, "organization.created", {"name": child.name})
    return child


def page(
    session: Session,
    principal: Principal,
    *,
    status: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[Sequence[Organization], str | None]:
    return repository.children_page(
        session,
        principal.key_org_id,
        principal.livemode,
        status=status,
        cursor=cursor,
        limit=limit,
    )


def detail(session: Session, principal: Principal, org: Organization) -> OrganizationDetail:
    counts = repository.project_counts(session, org.id, principal.livemode)
    return OrganizationDetail(
        **to_out(org).model_dump(),
        projects=ProjectSummary(
            total=sum(counts.values()),
            active=counts.get("active", 0),
            archived=counts.get("archived", 0),
        ),
        credits=credit_summary(session, org),
        api_keys=repository.active_key_count(session, org.id),
    )


def update(
    session: Session, principal: Principal, org: Organization, body: OrganizationUpdate
) -> Organization:
    sent = body.model_fields_set
    if not sent:
        raise Validation.field("body", "send at least one of name, metadata, billingEmail")
    if org.status == "archived":
        raise Conflict("An archived organization cannot be changed.", status=org.status)
    if "name" in sent:
        if body.name is None:
            raise Validation.field("name", "cannot be null")
        org.name = body.name
    if "metadata" in sent:
        if body.metadata is None:
            org.metadata_ = {}
        else:
            merged = dict(org.metadata_ or {})
            for key, value in body.metadata.items():
                if value:
                    merged[key] = value
                else:
                    merged.pop(key, None)
            if len(merged) > 50:
                raise Validation.field("metadata", "at most 50 keys after the merge")
            org.metadata_ = merged
    if "billing_email" in sent:
        org.billing_email = body.billing_email
    session.flush()
    _audit(session, principal, org, "organization.updated", {"fields": sorted(sent)})
    return org


def suspend(session: Session, principal: Principal, org: Organization) -> Organization:
    if org.status == "archived":
        raise Conflict("An archived organization cannot be suspended.", status=org.status)
    if org.status != "suspended":
        org.status = "suspended"
        org.suspended_at = clock.now()
        session.flush()
        _audit(session, principal, org, "organization.suspended", {})
    return org


def resume(session: Session, principal: Principal, org: Organization) -> Organization:
    if org.status == "archived":
        raise Conflict("Archiving is terminal: the organization cannot resume.", status=org.status)
    if org.status != "active":
        org.status = "active"
        org.suspended_at = None
        session.flush()
        _audit(session, principal, org, "organization.resumed", {})
    return org


def archive(session: Session, principal: Principal, org: Organization) -> OrganizationArchived:
    """Archive (idempotent): revoke every key, sweep the credits back. Terminal."""
    revoked = reclaimed = 0
    if org.status != "archived":
        now = clock.now()
        revoked = repository.revoke_active_keys(session, org.id, now)
        reclaimed = reclaim_credits(session, own_organization(session, principal), org)
        org.status = "archived"
        org.archived_at = now
        session.flush()
        _audit(
            session,
            principal,
            org,
            "organization.archived",
            {"revokedApiKeys": revoked, "reclaimedCredits": reclaimed},
        )
    assert org.archived_at is not None
    return OrganizationArchived(
        id=org.id,
        status=OrganizationStatus.archived,
        archived_at=org.archived_at,
        reclaimed_credits=reclaimed,
        revoked_api_keys=revoked,
    )


def _audit(
    session: Session,
    principal: Principal,
    child: Organization,
    event_type: str,
    data: dict[str, object],
) -> None:
    payload = {"organizationId": child.id, **data}
    for org_id in (principal.key_org_id, child.id):
        audit.record(
            session,
            org_id=org_id,
            livemode=principal.livemode,
            event_type=event_type,
            api_key_id=principal.key_id,
            data=payload,
        )
