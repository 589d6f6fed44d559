"""``layers ads …``: the Ad Manager layers over the Ads API.

``accounts list|connect``, ``list`` (ads with their class), ``optimize`` (``--dry-run``,
``--wait`` shows the decisions), ``runs show``, ``pending list|approve|reject``,
``authority show|set``, ``refresh`` and ``metrics``. Money is integer cents in the API and
shown as money here. Where a command needs an ad layer and ``--layer`` is not given, the
project's only ad layer of the platform is used (several: name one).
"""

from __future__ import annotations

import time
from enum import StrEnum
from typing import Annotated, Any
from urllib.parse import parse_qs, urlsplit

import httpx
import typer

from layers.cli import ads_policy
from layers.cli.client import Client, UsageError, q
from layers.cli.output import (
    AllOption,
    CursorOption,
    JsonOption,
    LimitOption,
    client,
    fetch_page,
    out,
    print_json,
    print_object,
    print_page,
    short_time,
    status,
    table,
)

ads_app = typer.Typer(
    help="Ad Manager layers: ad accounts, ads and their class, the optimizer, approvals.",
    no_args_is_help=True,
)
accounts_app = typer.Typer(help="Meta and TikTok ad accounts.", no_args_is_help=True)
runs_app = typer.Typer(help="Optimizer runs and their decisions.", no_args_is_help=True)
pending_app = typer.Typer(help="Actions waiting for approval (draft).", no_args_is_help=True)
ads_app.add_typer(accounts_app, name="accounts")
ads_app.add_typer(runs_app, name="runs")
ads_app.add_typer(pending_app, name="pending")
ads_app.add_typer(ads_policy.authority_app, name="authority")

TEMPLATES = {"meta": "meta-ad-manager", "tiktok": "tiktok-ad-manager"}
BODY = {"meta": "meta_ads", "tiktok": "tiktok_ads"}
RUN_DONE = frozenset({"completed", "failed", "canceled"})
RETURN_URL = "http://localhost/ads/connected"


class Platform(StrEnum):
    meta = "meta"
    tiktok = "tiktok"


ProjectArg = Annotated[str, typer.Argument(help="The project (prj_…).")]
PlatformOption = Annotated[Platform, typer.Option(help="meta or tiktok.")]
LayerOption = Annotated[
    str | None, typer.Option("--layer", help="The ad layer (lyr_…); default: the only one.")
]


def money(cents: int | float | None) -> str:
    """Integer cents as money: ``123456`` → ``$1,234.56`` (``—`` for none)."""
    if cents is None:
        return "—"
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(int(cents)), 100)
    return f"{sign}${whole:,}.{part:02d}"


def _cpa(spend: int, installs: int) -> str:
    return money((spend + installs // 2) // installs) if installs else "—"


def ad_layer(api: Client, project_id: str, platform: Platform, layer_id: str | None) -> str:
    """`layer_id`, or the project's only ad layer of `platform`."""
    if layer_id:
        return layer_id
    page = api.page(f"/v1/projects/{q(project_id)}/layers", limit=200, follow=True)
    found = [
        item["id"]
        for item in page["items"]
        if item.get("templateId") == TEMPLATES[platform.value]
        and item.get("status") != "uninstalled"
    ]
    if len(found) != 1:
        raise UsageError(
            f"The project has {len(found) or 'no'} {TEMPLATES[platform.value]} layer"
            f"{'s' if len(found) > 1 else ''}: "
            + ("name one with --layer." if found else "install one first.")
        )
    return str(found[0])


# ---- accounts ----


@accounts_app.command("list")
def accounts_list(
    project_id: ProjectArg,
    platform: Annotated[Platform | None, typer.Option(help="meta or tiktok.")] = None,
    limit: LimitOption = 100,
    all_pages: AllOption = False,
    cursor: CursorOption = None,
    json_output: JsonOption = False,
) -> None:
    """The project's ad accounts with their health."""
    page = fetch_page(
        f"/v1/projects/{q(project_id)}/ads/ad-accounts",
        limit=limit,
        all_pages=all_pages,
        cursor=cursor,
        platform=BODY[platform.value] if platform else None,
    )
    print_page(
        page,
        json_output,
        ("Account", "Platform", "Name", "Currency", "Health", "Last sync"),
        lambda a: (
            a["id"],
            a["platform"],
            a.get("name") or a["platformAccountId"],
            a["currency"],
            status("healthy" if a["healthy"] else "unhealthy"),
            short_time(a.get("lastSyncedAt")),
        ),
    )


@accounts_app.command("connect")
def accounts_connect(
    project_id: ProjectArg,
    platform: PlatformOption = Platform.meta,
    return_url: Annotated[
        str, typer.Option(help="Where the person lands after consenting.")
    ] = RETURN_URL,
    follow: Annotated[
        bool,
        typer.Option(
            "--follow",
            help="Open the consent URL here (test keys: the sandbox consents at once).",
        ),
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """Start connecting an ad account: prints the URL to open; with ``--follow`` (test mode)
    the sandbox consents at once and the new account's id is printed."""
    with client() as api:
        started = api.post(
            f"/v1/projects/{q(project_id)}/ads/ad-accounts/oauth-url",
            {"platform": BODY[platform.value], "returnUrl": return_url},
        )
    if not follow:
        print_object(started, json_output, lambda d: out.print(d["authorizeUrl"], markup=False))
        return
    landed = httpx.get(started["authorizeUrl"], follow_redirects=False, timeout=30)
    query = parse_qs(urlsplit(landed.headers.get("location", "")).query)
    if query.get("status") != ["connected"]:
        raise UsageError(f"Not connected: {query.get('error', ['unknown'])[0]}")
    result = {"status": "connected", "accountId": query["accountId"][0]}
    print_object(result, json_output, lambda d: out.print(f"connected {d['accountId']}"))


# ---- ads ----


@ads_app.command("list")
def list_ads(
    project_id: ProjectArg,
    campaign: Annotated[str | None, typer.Option(help="A campaign (cmp_…).")] = None,
    adset: Annotated[str | None, typer.Option(help="An adset (ads_…).")] = None,
    state: Annotated[str | None, typer.Option("--status", help="active, paused, archived…")] = None,
    platform: Annotated[Platform | None, typer.Option(help="meta or tiktok.")] = None,
    limit: LimitOption = 100,
    all_pages: AllOption = False,
    cursor: CursorOption = None,
    json_output: JsonOption = False,
) -> None:
    """Ads with their class from the last optimizer run and their 7-day spend and installs."""
    page = fetch_page(
        f"/v1/projects/{q(project_id)}/ads/ads",
        limit=limit,
        all_pages=all_pages,
        cursor=cursor,
        campaignId=campaign,
        adsetId=adset,
        status=state,
        platforms=[BODY[platform.value]] if platform else None,
    )
    print_page(
        page,
        json_output,
        ("Ad", "Name", "Status", "Class", "Spend 7d", "Installs 7d", "CPA"),
        lambda a: (
            a["id"],
            a["name"],
            status(a["status"]),
            a.get("lastClass") or "—",
            money(a["spendCents7D"]),
            a["installs7D"],
            _cpa(a["spendCents7D"], a["installs7D"]),
        ),
    )


# ---- optimizer runs ----


def _wait(api: Client, project_id: str, run_id: str, timeout: float = 300.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        run: dict[str, Any] = api.get(
            f"/v1/projects/{q(project_id)}/ads/optimizer/runs/{q(run_id)}"
        )
        if run["status"] in RUN_DONE or time.monotonic() > deadline:
            return run
        time.sleep(0.5)


def show_decisions(run: dict[str, Any]) -> None:
    summary = run.get("summary") or {}
    out.print(
        f"{run['runId']}  {run['kind']}{' (dry run)' if run['dryRun'] else ''}  "
        f"{status(run['status'])}"
    )
    if summary:
        numbers = ", ".join(f"{k} {v}" for k, v in summary.items() if isinstance(v, int | float))
        out.print(numbers, style="dim", markup=False)
    table(
        ("Action", "Subject", "Class", "Authority", "Reason", "Guardrails", "Replacement"),
        [
            (
                d["action"],
                d["subjectId"],
                d.get("class") or "",
                d["authority"] + (" ✓" if d.get("dispatchedAt") else ""),
                d["reason"],
                " ".join(
                    [f"✓{g}" for g in d["guardrailsPassed"]]
                    + [f"✗{g}" for g in d["guardrailsBlocked"]]
                ),
                _replacement(d.get("replacement")),
            )
            for d in run["decisions"]
        ],
    )


def _replacement(value: dict[str, Any] | None) -> str:
    if not value:
        return ""
    score = value.get("organicScore")
    return f"{value.get('containerId')}" + (f" (score {score})" if score is not None else "")


@ads_app.command("optimize")
def optimize(
    project_id: ProjectArg,
    platform: PlatformOption = Platform.meta,
    layer: LayerOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Decide and record, change nothing.")
    ] = False,
    wait: Annotated[
        bool, typer.Option("--wait", help="Wait for the run and show its decisions.")
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """Run ad-optimize on the ad layer now."""
    with client() as api:
        layer_id = ad_layer(api, project_id, platform, layer)
        accepted = api.post(
            f"/v1/projects/{q(project_id)}/ads/optimizer/run",
            {"layerId": layer_id, "platform": BODY[platform.value], "dryRun": dry_run},
        )
        _started_or_waited(api, project_id, accepted, wait=wait, json_output=json_output)


def _started_or_waited(
    api: Client, project_id: str, accepted: dict[str, Any], *, wait: bool, json_output: bool
) -> None:
    """A started pass: its id, or with ``--wait`` its decisions once it ends."""
    if not wait:
        print_object(
            accepted,
            json_output,
            lambda d: out.print(f"started {d['runId']} ({d['status']})", markup=False),
        )
        return
    print_object(_wait(api, project_id, accepted["runId"]), json_output, show_decisions)


@ads_app.command("refresh")
def refresh(
    project_id: ProjectArg,
    platform: PlatformOption = Platform.meta,
    layer: LayerOption = None,
    max_new: Annotated[
        int, typer.Option("--max-new", min=1, max=50, help="New creatives per adset.")
    ] = 3,
    wait: Annotated[bool, typer.Option("--wait", help="Wait and show the decisions.")] = False,
    json_output: JsonOption = False,
) -> None:
    """Run content-refresh now: disable underperformers, add fresh eligible creatives."""
    with client() as api:
        layer_id = ad_layer(api, project_id, platform, layer)
        accepted = api.post(
            f"/v1/projects/{q(project_id)}/ads/{platform.value}/content-refresh",
            {"layerId": layer_id, "maxNewCreatives": max_new},
        )
        _started_or_waited(api, project_id, accepted, wait=wait, json_output=json_output)


@runs_app.command("show")
def runs_show(
    run_id: Annotated[str, typer.Argument(help="The optimizer run (run_…).")],
    project: Annotated[
        str | None, typer.Option(help="The project (read from the run when not given).")
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """An optimizer pass with every decision: class, reason, guardrails, authority."""
    with client() as api:
        project_id = project or api.get(f"/v1/runs/{q(run_id)}")["projectId"]
        run = api.get(f"/v1/projects/{q(project_id)}/ads/optimizer/runs/{q(run_id)}")
    print_object(run, json_output, show_decisions)


# ---- pending ----


@pending_app.command("list")
def pending_list(
    project_id: ProjectArg,
    platform: PlatformOption = Platform.meta,
    state: Annotated[
        str | None, typer.Option("--status", help="pending, approved, rejected, dispatched…")
    ] = "pending",
    layer: Annotated[str | None, typer.Option("--layer", help="The ad layer (lyr_…).")] = None,
    limit: LimitOption = 100,
    all_pages: AllOption = False,
    cursor: CursorOption = None,
    json_output: JsonOption = False,
) -> None:
    """Actions drafted under ``draft`` authority, newest first."""
    page = fetch_page(
        f"/v1/projects/{q(project_id)}/ads/{platform.value}/pending",
        limit=limit,
        all_pages=all_pages,
        cursor=cursor,
        status=state or None,
        layerId=layer,
    )
    print_page(
        page,
        json_output,
        ("Pending", "Action", "Subject", "Axis", "Status", "Reason"),
        lambda p: (
            p["pendingId"],
            p["action"]
            + (f" → {money(p['params']['amountCents'])}" if p["params"].get("amountCents") else ""),
            p["subjectId"],
            p["axis"],
            status(p["status"]),
            p["reason"],
        ),
    )


def _verdict(d: dict[str, Any]) -> None:
    out.print(f"{d['pendingId']}: {d['status']} ({d['verdictId']})", markup=False)


@pending_app.command("approve")
def pending_approve(
    project_id: ProjectArg,
    pending_id: Annotated[str, typer.Argument(help="The pending action (pa_…).")],
    platform: PlatformOption = Platform.meta,
    comment: Annotated[str | None, typer.Option(help="Kept with the verdict.")] = None,
    json_output: JsonOption = False,
) -> None:
    """Approve: it dispatches on the layer's next tick."""
    body = {"comment": comment} if comment else {}
    with client() as api:
        data = api.post(
            f"/v1/projects/{q(project_id)}/ads/{platform.value}/pending/{q(pending_id)}/approve",
            body,
        )
    print_object(data, json_output, _verdict)


@pending_app.command("reject")
def pending_reject(
    project_id: ProjectArg,
    pending_id: Annotated[str, typer.Argument(help="The pending action.")],
    reason: Annotated[str, typer.Option(help="Why (required).")],
    platform: PlatformOption = Platform.meta,
    json_output: JsonOption = False,
) -> None:
    """Reject with a reason."""
    with client() as api:
        data = api.post(
            f"/v1/projects/{q(project_id)}/ads/{platform.value}/pending/{q(pending_id)}/reject",
            {"reason": reason},
        )
    print_object(data, json_output, _verdict)


# ---- metrics ----


@ads_app.command("metrics")
def metrics(
    project_id: ProjectArg,
    scope: Annotated[
        str, typer.Option(help="project, ad_account, campaign, adset or ad.")
    ] = "project",
    id_: Annotated[
        str | None, typer.Option("--id", help="The scoped object (default: the project).")
    ] = None,
    metric: Annotated[
        list[str] | None, typer.Option("--metric", help="A metric (repeatable); default all.")
    ] = None,
    since: Annotated[str | None, typer.Option(help="ISO 8601.")] = None,
    until: Annotated[str | None, typer.Option(help="ISO 8601.")] = None,
    granularity: Annotated[str, typer.Option(help="day or week.")] = "day",
    json_output: JsonOption = False,
) -> None:
    """What the ads did: totals of spend, installs (conversions), CPA… over the window."""
    with client() as api:
        data = api.get(
            f"/v1/projects/{q(project_id)}/ads-metrics",
            scope=scope,
            id=id_ or project_id,
            metrics=metric or None,
            since=since,
            until=until,
            granularity=granularity,
        )
    if json_output:
        print_json(data)
        return
    cents = {"spend", "cpa", "cpc", "cpm"}
    rows = []
    for name, value in data["totals"].items():
        if name in cents:
            shown = money(value)
        elif name == "ctr" and value is not None:
            shown = f"{float(value) * 100:.2f} %"
        elif isinstance(value, float):
            shown = f"{value:,.2f}"
        else:
            shown = "—" if value is None else f"{value:,}"
        rows.append((name, shown))
    table(("Metric", "Total"), rows)
    out.print(
        f"{data['since'][:10]} → {data['until'][:10]} · {data['currency']}",
        style="dim",
        markup=False,
    )
