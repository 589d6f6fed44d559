"""The ad manager commands as durable workflows: short stories of recorded activities.

* ``initialize``: sync the account → write the authority defaults.
* ``ad-optimize`` (every 6 h), ``content-refresh`` (every 15 min), ``ad-optimize-watchdog``
  (every 2 h): sync metrics → classify → propose → guardrails → authority → dispatch →
  record. Each activity's input and output are in the run (console Runs tab, ``GET
  /v1/runs/{id}``), and every decision is in ``GET …/ads/optimizer/runs/{runId}``.

A run started through the Ads API carries ``jobId`` (and ``dryRun``) in its parameters: the
record step finishes the job. A dry run proposes and records but queues and dispatches
nothing. Both templates (Meta and TikTok) use these workflows; the platform comes from the
layer's template.
"""

from __future__ import annotations

from typing import Any

from layers.ads import authority_service, story, sync
from layers.engine.authoring import RetryPolicy, RunContext, activity, attempt, log
from layers.kit.db import get_database
from layers.kit.errors import LayersError
from layers.models.engine import ProjectLayer

QUICK = RetryPolicy(max_attempts=3, initial_interval=0.5)

INITIALIZE = "ad-manager-initialize"
OPTIMIZE = "ad-manager-optimize"
REFRESH = "ad-manager-content-refresh"
WATCHDOG = "ad-manager-watchdog"


# One pass at a time per layer: a pass waits (about five minutes) for the one running, then
# gives up its turn (the next tick runs it).
WAIT_FOR_LAYER = RetryPolicy(max_attempts=40, initial_interval=0.5, backoff=1.5, max_interval=10)


@activity("ads.begin", retry=WAIT_FOR_LAYER)
def begin(
    run_id: str, layer_id: str, kind: str, dry_run: bool, job_id: str | None
) -> dict[str, Any]:
    last = attempt() >= WAIT_FOR_LAYER.max_attempts
    result = story.begin(run_id, layer_id, kind, dry_run, job_id, skip_if_busy=last)
    if result["busyWith"]:
        log("info", f"skipped: pass {result['busyWith']} of this layer is still running")
    return result


@activity("ads.sync_metrics", retry=QUICK)
def sync_metrics(layer_id: str) -> dict[str, Any]:
    result = story.sync_metrics(layer_id)
    if result["ok"]:
        log(
            "info",
            f"synced {result['campaigns']} campaigns, {result['adsets']} adsets, "
            f"{result['ads']} ads, {result['days']} ad-days ({result['daysChanged']} changed)",
        )
    else:
        log("warning", f"sync failed: {result['error']['message']} (deciding on stored data)")
    return result


@activity("ads.classify", retry=QUICK)
def classify(layer_id: str, at: str) -> dict[str, Any]:
    result = story.classify(layer_id, at)
    for ad in result["ads"]:
        log("info", f"{ad['adId']}: {ad['class']} — {ad['reason']}")
    return result


@activity("ads.propose", retry=QUICK)
def propose(run_id: str, layer_id: str, at: str, kind: str, max_new: int | None) -> dict[str, Any]:
    result = story.propose(run_id, layer_id, at, kind, max_new)
    for p in result["proposals"]:
        log("info", f"{p['action']} {p['subjectId']}: {p['reason']}")
    return result


@activity("ads.guardrails", retry=QUICK)
def guardrails(run_id: str) -> dict[str, Any]:
    result = story.guardrail_verdicts(run_id)
    log("info", f"guardrails checked {result['checked']} decisions, {result['blocked']} blocked")
    return result


@activity("ads.authority", retry=QUICK)
def authority(run_id: str) -> dict[str, Any]:
    result = story.authority(run_id)
    log("info", f"authority: {result['outcomes']}; {result['pendingCreated']} pending created")
    return result


@activity("ads.dispatch", retry=QUICK)
def dispatch(run_id: str, layer_id: str, dry_run: bool) -> dict[str, Any]:
    if dry_run:
        log("info", "dry run: nothing is dispatched")
        return {"dryRun": True}
    approved = story.dispatch_approved(layer_id)
    result = {**approved, **story.dispatch_run(run_id)}
    log(
        "info",
        f"dispatched {result['dispatched']} decisions and "
        f"{len(result['approvedDispatched'])} approved actions; {result['failed']} failed",
    )
    return result


@activity("ads.record", retry=QUICK)
def record(run_id: str) -> dict[str, Any]:
    return story.record(run_id)


@activity("ads.fail", retry=QUICK)
def fail(run_id: str, code: str, message: str) -> None:
    story.fail(run_id, code, message)


@activity("ads.initialize", retry=QUICK)
def initialize(layer_id: str) -> dict[str, Any]:
    synced = story.sync_metrics(layer_id)
    with get_database().transaction() as session:
        layer = session.get(ProjectLayer, layer_id)
        assert layer is not None
        defaults = authority_service.ensure_defaults(session, layer, actor="system")
        axes = {a: getattr(defaults, a) for a in ("creative", "tactical", "structural")}
    if not synced["ok"]:
        raise sync.AccountUnusable(synced["error"]["message"], layerId=layer_id)
    log("info", f"ad account synced; authority defaults {axes}")
    return {"sync": synced, "authority": axes}


def _layer_id(ctx: RunContext) -> str:
    assert ctx.layer_id is not None
    return ctx.layer_id


def _story(ctx: RunContext, kind: str) -> dict[str, Any]:
    layer_id = _layer_id(ctx)
    dry_run = bool(ctx.parameters.get("dryRun", False))
    job_id = ctx.parameters.get("jobId")
    max_new = ctx.parameters.get("maxNewCreatives")
    begun = begin(ctx.run_id, layer_id, kind, dry_run, job_id if isinstance(job_id, str) else None)
    if begun["at"] is None:
        return {"runId": ctx.run_id, "kind": kind, "skipped": True, "busyWith": begun["busyWith"]}
    at = str(begun["at"])
    try:
        synced = sync_metrics(layer_id)
        classes = classify(layer_id, at)
        proposed = propose(
            ctx.run_id, layer_id, at, kind, max_new if isinstance(max_new, int) else None
        )
        guardrails(ctx.run_id)
        outcomes = authority(ctx.run_id) if not dry_run else {"dryRun": True}
        dispatched = dispatch(ctx.run_id, layer_id, dry_run)
        summary = record(ctx.run_id)
    except Exception as exc:
        code = exc.code if isinstance(exc, LayersError) else "ACTIVITY_FAILED"
        fail(ctx.run_id, code, str(exc)[:500])
        raise
    return {
        "runId": ctx.run_id,
        "kind": kind,
        "dryRun": dry_run,
        "sync": {"ok": synced["ok"]},
        "classes": classes["classes"],
        "decisions": proposed["decisions"],
        "authority": outcomes,
        "dispatch": dispatched,
        "summary": summary,
    }


def initialize_v1(ctx: RunContext) -> dict[str, Any]:
    return initialize(_layer_id(ctx))


def ad_optimize_v1(ctx: RunContext) -> dict[str, Any]:
    return _story(ctx, story.AD_OPTIMIZE)


def content_refresh_v1(ctx: RunContext) -> dict[str, Any]:
    return _story(ctx, story.CONTENT_REFRESH)


def watchdog_v1(ctx: RunContext) -> dict[str, Any]:
    return _story(ctx, story.WATCHDOG)
