"""The steps of an ad manager command, as plain functions (each owns its transactions and is
safe to run again); `layers.ads.workflows` makes each one a recorded activity.

sync metrics → classify → propose (the optimizer's plan, with its guardrails and authority,
recorded as decisions) → guardrails (their verdicts, read back) → authority (draft decisions
become pending actions) → dispatch (approved pending actions first, then the run's ``auto``
decisions) → record (the run's summary, ``ads.optimizer.run.completed``, the job).

Re-running a step finds its own work: decisions are unique per (run, seq), a pending action is
created once per decision (and a decision whose action already waits reuses that pending
action), dispatch skips what is dispatched.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from layers.ads import ad_layers, dispatch, facts, repository, sync
from layers.ads.optimizer import OptimizerInputs, Plan, classify_all, optimize, refresh, watchdog
from layers.ads.optimizer.types import Decision, as_json
from layers.ads.platforms.base import AdsCallError, body_name
from layers.events import service as events
from layers.jobs import service as jobs
from layers.kit import clock
from layers.kit.db import get_database
from layers.kit.ids import new_id
from layers.models.ads import Ad, AdDecision, AdOptimizerRun, AdPendingAction
from layers.models.engine import ProjectLayer

AD_OPTIMIZE = "ad-optimize"
CONTENT_REFRESH = "content-refresh"
WATCHDOG = "ad-optimize-watchdog"
PASSES = {AD_OPTIMIZE: optimize, CONTENT_REFRESH: refresh, WATCHDOG: watchdog}


def _layer(session: Session, layer_id: str) -> ProjectLayer:
    layer = session.get(ProjectLayer, layer_id)
    assert layer is not None, layer_id
    return layer


BUSY_FOR = timedelta(hours=1)
"""A pass still ``running`` after this long is taken as crashed: it no longer holds the layer."""


class LayerBusy(Exception):
    """Another pass of the layer is running (retryable: `begin` waits for it)."""


def begin(
    run_id: str,
    layer_id: str,
    kind: str,
    dry_run: bool,
    job_id: str | None,
    *,
    skip_if_busy: bool = True,
) -> dict[str, Any]:
    """The run's row (once) and the time the whole run reasons at.

    One pass at a time per layer: content-refresh, ad-optimize and the watchdog are all due at
    00:00, and two passes deciding on the same ads would both replace the same one. The layer
    row is locked while this checks (PostgreSQL ``FOR UPDATE``; SQLite writers are serial), and
    a pass that finds another one running raises `LayerBusy` (the activity waits and tries
    again), or with `skip_if_busy` is ``skipped`` (the next tick runs it)."""
    now = clock.now()
    with get_database().transaction() as session:
        layer = session.get(ProjectLayer, layer_id, with_for_update=True)
        assert layer is not None, layer_id
        row = session.get(AdOptimizerRun, run_id)
        if row is not None and row.status not in ("queued", "running"):
            at = None if row.status == "skipped" else row.started_at.isoformat()
            return {"at": at, "busyWith": None, "status": row.status}
        busy = session.scalar(
            sa.select(AdOptimizerRun.run_id).where(
                AdOptimizerRun.layer_id == layer_id,
                AdOptimizerRun.status == "running",
                AdOptimizerRun.run_id != run_id,
                AdOptimizerRun.started_at >= now - BUSY_FOR,
            )
        )
        if busy is not None and not skip_if_busy:
            raise LayerBusy(f"pass {busy} of layer {layer_id} is still running")
        if row is None:
            row = AdOptimizerRun(
                run_id=run_id,
                org_id=layer.org_id,
                livemode=layer.livemode,
                project_id=layer.project_id,
                layer_id=layer.id,
                platform=ad_layers.platform_of(layer) or "meta",
                kind=kind,
                dry_run=dry_run,
                job_id=job_id,
                status="running",
                started_at=now,
            )
            session.add(row)
        if busy is not None:
            row.status, row.finished_at = "skipped", now
            row.summary = {"skipped": True, "busyWith": busy}
            job_id = row.job_id
        else:
            row.status = "running"
            return {"at": row.started_at.isoformat(), "busyWith": None, "status": "running"}
    if job_id:
        jobs.finish(job_id, {"runId": run_id, "skipped": True, "busyWith": busy})
    return {"at": None, "busyWith": busy, "status": "skipped"}


def sync_metrics(layer_id: str) -> dict[str, Any]:
    """Mirrors and 30 days of metrics; a refused token marks the account unhealthy (what is
    already stored is still classified, and dispatch refuses)."""
    try:
        counts = sync.sync_layer(layer_id)
    except sync.AccountUnusable as exc:
        return {"ok": False, "error": {"code": "AD_ACCOUNT_UNHEALTHY", "message": exc.message}}
    except AdsCallError as exc:  # throttled or down: decide on what was stored last time
        return {"ok": False, "error": {"code": exc.code, "message": exc.message}}
    return {"ok": True, **counts}


def _inputs(
    session: Session, layer: ProjectLayer, at: datetime, max_new: int | None
) -> OptimizerInputs:
    return facts.inputs_of(session, layer, at, max_new=max_new)


def classify(layer_id: str, at: str) -> dict[str, Any]:
    """Every ad's class and reason, written on the ad (the class of the last run)."""
    when = datetime.fromisoformat(at)
    with get_database().transaction() as session:
        layer = _layer(session, layer_id)
        inputs = _inputs(session, layer, when, None)
        classes = classify_all(inputs)
        for ad in session.scalars(sa.select(Ad).where(Ad.id.in_(list(classes)))):
            found = classes[ad.id]
            ad.last_class, ad.last_reason = found.klass.value, found.reason[:512]
            ad.classified_at = when
    counts = Counter(c.klass.value for c in classes.values())
    return {
        "classes": dict(sorted(counts.items())),
        "ads": [
            {"adId": c.ad_id, "class": c.klass.value, "score": c.score, "reason": c.reason}
            for c in classes.values()
        ],
    }


def _row(run: AdOptimizerRun, seq: int, d: Decision, dry_run: bool) -> AdDecision:
    params: dict[str, Any] = {
        "proposed": d.proposed.value if d.proposed else None,
        "score": d.score,
        "amountCents": d.amount_cents,
        "previousAmountCents": d.previous_amount_cents,
        "authoritySource": d.authority_source,
        "denialCode": d.denial_code,
        "flagged": d.flagged,
        "guardrailDetails": [
            {"name": g.name, "passed": g.passed, "detail": g.detail} for g in d.guardrail_details
        ],
    }
    outcome = d.authority.value if d.authority is not None else "none"
    if dry_run and outcome in ("dispatch", "pending"):
        params["wouldBe"] = outcome
        outcome = "dry_run"
    replacement = None
    if d.replacement is not None:
        replacement = {
            "containerId": d.replacement.content_id,
            "pool": d.replacement.pool.value,
            "organicScore": d.replacement.organic_score,
            "override": d.replacement.override.value if d.replacement.override else None,
        }
    is_ad = d.subject_kind.value == "ad"
    return AdDecision(
        id=new_id("dec"),
        run_id=run.run_id,
        seq=seq,
        org_id=run.org_id,
        livemode=run.livemode,
        project_id=run.project_id,
        layer_id=run.layer_id,
        platform=run.platform,
        subject_type=d.subject_kind.value,
        subject_id=d.subject_id,
        ad_id=d.subject_id if is_ad else None,
        adset_id=d.adset_id,
        campaign_id=d.campaign_id,
        action=d.action.value,
        klass=d.klass.value if d.klass else None,
        reason=d.reason[:512],
        inputs=as_json(dict(d.inputs)),
        params=params,
        axis=d.axis.value if d.axis else None,
        guardrails_passed=list(d.guardrails_passed),
        guardrails_blocked=[d.guardrail_blocked] if d.guardrail_blocked else [],
        replacement=replacement,
        authority=outcome,
        created_at=clock.now(),
    )


def propose(run_id: str, layer_id: str, at: str, kind: str, max_new: int | None) -> dict[str, Any]:
    """The optimizer's plan for the layer, recorded as decisions (once per run)."""
    when = datetime.fromisoformat(at)
    with get_database().transaction() as session:
        run = session.get(AdOptimizerRun, run_id)
        assert run is not None
        if not repository.decisions_of(session, run_id):
            layer = _layer(session, layer_id)
            plan: Plan = PASSES[kind](_inputs(session, layer, when, max_new))
            for seq, decision in enumerate(plan.decisions, start=1):
                session.add(_row(run, seq, decision, run.dry_run))
            session.flush()
        rows = repository.decisions_of(session, run_id)
        return {
            "decisions": len(rows),
            "actions": dict(sorted(Counter(r.action for r in rows).items())),
            "proposals": [
                {
                    "decisionId": r.id,
                    "subjectId": r.subject_id,
                    "action": r.action,
                    "proposed": r.params.get("proposed"),
                    "class": r.klass,
                    "reason": r.reason,
                    "replacement": r.replacement,
                }
                for r in rows
            ],
        }


def guardrail_verdicts(run_id: str) -> dict[str, Any]:
    with get_database().transaction(write=False) as session:
        rows = repository.decisions_of(session, run_id)
        blocked = [r for r in rows if r.guardrails_blocked]
        return {
            "checked": len(rows),
            "blocked": len(blocked),
            "verdicts": [
                {
                    "decisionId": r.id,
                    "subjectId": r.subject_id,
                    "passed": r.guardrails_passed,
                    "blocked": r.guardrails_blocked,
                }
                for r in rows
                if r.guardrails_passed or r.guardrails_blocked
            ],
        }


REJECTION_MEMORY = timedelta(days=7)


def authority(run_id: str) -> dict[str, Any]:
    """Draft decisions become pending actions (one per decision). An identical action already
    waiting is reused, so a later run does not queue it twice; one a person rejected in the
    last 7 days is not asked again (the decision points at that rejection)."""
    with get_database().transaction() as session:
        rows = repository.decisions_of(session, run_id)
        created = 0
        since = clock.now() - REJECTION_MEMORY
        for r in rows:
            if r.authority != "pending" or r.pending_action_id:
                continue
            waiting = session.scalar(
                sa.select(AdPendingAction)
                .where(
                    AdPendingAction.layer_id == r.layer_id,
                    AdPendingAction.subject_id == r.subject_id,
                    AdPendingAction.action == r.action,
                    sa.or_(
                        AdPendingAction.status.in_(("pending", "approved")),
                        sa.and_(
                            AdPendingAction.status == "rejected",
                            AdPendingAction.decided_at >= since,
                        ),
                    ),
                )
                .order_by(AdPendingAction.id.desc())
                .limit(1)
            )
            if waiting is None:
                waiting = AdPendingAction(
                    id=new_id("pa"),
                    org_id=r.org_id,
                    livemode=r.livemode,
                    project_id=r.project_id,
                    layer_id=r.layer_id,
                    platform=r.platform,
                    decision_id=r.id,
                    campaign_id=r.campaign_id,
                    subject_id=r.subject_id,
                    action=r.action,
                    axis=r.axis or "structural",
                    params={
                        "adsetId": r.adset_id,
                        "amountCents": r.params.get("amountCents"),
                        "replacement": r.replacement,
                    },
                    reason=r.reason,
                    status="pending",
                    created_at=clock.now(),
                )
                session.add(waiting)
                created += 1
            elif waiting.status == "rejected":
                r.params = {**r.params, "rejectedRecently": waiting.id}
            r.pending_action_id = waiting.id
        return {
            "outcomes": dict(sorted(Counter(r.authority for r in rows).items())),
            "pendingCreated": created,
        }


def _fail_decision(decision_id: str, code: str, message: str) -> None:
    with get_database().transaction() as session:
        row = session.get(AdDecision, decision_id)
        if row is not None:
            row.dispatch_error = {"code": code, "message": message[:500]}


def dispatch_approved(layer_id: str) -> dict[str, Any]:
    """Approved pending actions of the layer reach the platform (``approval.dispatched``)."""
    with get_database().transaction(write=False) as session:
        approved = [
            (p.id, p.decision_id, p.action, p.subject_id, dict(p.params))
            for p in repository.pending_of_layer(session, layer_id, ("approved",))
        ]
    done, failed = [], []
    for pending_id, decision_id, action, subject_id, params in approved:
        op = dispatch.Operation(
            key=decision_id,
            action=action,
            subject_id=subject_id,
            adset_id=params.get("adsetId"),
            params=params,
            replacement=params.get("replacement"),
        )
        try:
            dispatch.execute(op)
        except (dispatch.DispatchRefused, AdsCallError) as exc:
            code = getattr(exc, "code", "DISPATCH_FAILED")
            with get_database().transaction() as session:
                session.execute(
                    sa.update(AdPendingAction)
                    .where(AdPendingAction.id == pending_id)
                    .values(dispatch_error={"code": code, "message": str(exc)[:500]})
                )
            failed.append(pending_id)
            if code == "AD_ACCOUNT_UNHEALTHY" or code == "AD_ACCOUNT_AUTH_FAILED":
                break
            continue
        now = clock.now()
        with get_database().transaction() as session:
            if not repository.claim_pending(
                session, pending_id, "approved", status="dispatched", dispatched_at=now
            ):
                continue
            pending = session.get(AdPendingAction, pending_id)
            assert pending is not None
            session.execute(
                sa.update(AdDecision).where(AdDecision.id == decision_id).values(dispatched_at=now)
            )
            events.record(
                session,
                "approval.dispatched",
                org_id=pending.org_id,
                livemode=pending.livemode,
                project_id=pending.project_id,
                subject_id=pending.id,
                data={
                    "pendingId": pending.id,
                    "verdictId": pending.verdict_id,
                    "layerId": pending.layer_id,
                    "platform": body_name(pending.platform),
                    "action": pending.action,
                    "subjectId": pending.subject_id,
                    "dispatchedAt": now.isoformat().replace("+00:00", "Z"),
                },
            )
        done.append(pending_id)
    return {"approvedDispatched": done, "approvedFailed": failed}


def dispatch_run(run_id: str) -> dict[str, Any]:
    """The run's ``auto`` decisions reach the platform. An unhealthy account stops dispatch:
    the rest is recorded as refused."""
    with get_database().transaction(write=False) as session:
        todo = [
            (r.id, r.action, r.subject_id, r.adset_id, dict(r.params), r.replacement)
            for r in repository.undispatched(session, run_id)
        ]
    done, failed = 0, 0
    stop: tuple[str, str] | None = None
    for decision_id, action, subject_id, adset_id, params, replacement in todo:
        if stop is not None:
            _fail_decision(decision_id, *stop)
            failed += 1
            continue
        op = dispatch.Operation(
            key=decision_id,
            action=action,
            subject_id=subject_id,
            adset_id=adset_id,
            params=params,
            replacement=replacement,
        )
        try:
            dispatch.execute(op)
        except (dispatch.DispatchRefused, AdsCallError) as exc:
            code = getattr(exc, "code", "DISPATCH_FAILED")
            _fail_decision(decision_id, code, str(exc))
            failed += 1
            if code in ("AD_ACCOUNT_UNHEALTHY", "AD_ACCOUNT_AUTH_FAILED"):
                stop = ("AD_ACCOUNT_UNHEALTHY", "the ad account is unhealthy: dispatch stopped")
            continue
        with get_database().transaction() as session:
            session.execute(
                sa.update(AdDecision)
                .where(AdDecision.id == decision_id)
                .values(dispatched_at=clock.now())
            )
        done += 1
    return {"dispatched": done, "failed": failed, "stopped": stop is not None}


def record(run_id: str) -> dict[str, Any]:
    """Close the run: its summary, ``ads.optimizer.run.completed``, and the job (if any)."""
    with get_database().transaction() as session:
        run = session.get(AdOptimizerRun, run_id)
        assert run is not None
        rows = repository.decisions_of(session, run_id)
        summary = {
            "decisions": len(rows),
            "byAction": dict(sorted(Counter(r.action for r in rows).items())),
            "byAuthority": dict(sorted(Counter(r.authority for r in rows).items())),
            "dispatched": sum(1 for r in rows if r.dispatched_at is not None),
            "dispatchFailed": sum(1 for r in rows if r.dispatch_error),
            "flagged": sum(1 for r in rows if r.params.get("flagged")),
        }
        job_id = run.job_id
        if run.status != "completed":
            run.status, run.summary, run.finished_at = "completed", summary, clock.now()
            events.record(
                session,
                "ads.optimizer.run.completed",
                org_id=run.org_id,
                livemode=run.livemode,
                project_id=run.project_id,
                subject_id=run.run_id,
                data={
                    "runId": run.run_id,
                    "layerId": run.layer_id,
                    "platform": body_name(run.platform),
                    "kind": run.kind,
                    "dryRun": run.dry_run,
                    "jobId": run.job_id,
                    "summary": summary,
                },
            )
    if job_id:
        jobs.finish(job_id, {"runId": run_id, "summary": summary})
    return summary


def fail(run_id: str, code: str, message: str) -> None:
    with get_database().transaction() as session:
        run = session.get(AdOptimizerRun, run_id)
        if run is None or run.status == "completed":
            return
        run.status, run.finished_at = "failed", clock.now()
        run.summary = {"error": {"code": code, "message": message[:500]}}
        job_id = run.job_id
    if job_id:
        jobs.fail(job_id, code, message)
