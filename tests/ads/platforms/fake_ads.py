"""A fake Meta Marketing API and a fake TikTok API for Business, one ASGI app built to the
platforms' documented shapes, served over real TCP by uvicorn in a thread.

It keeps real state (tokens, a revoked set, campaigns / ad sets / ads, insights rows,
uploads, creatives) so the clients' writes are visible to their next reads, pages every list
with the platform's own scheme (Meta cursors, TikTok page numbers), and injects faults: the
next N requests whose path contains a string answer a throttling / auth error.
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.support import free_port

META_APP_ID, META_APP_SECRET = "meta-app-1", "meta-secret-value"
TT_APP_ID, TT_SECRET = "tt-app-1", "tt-secret-value"
META_TOKEN, TT_TOKEN = "meta-long-token", "tt-token"
META_ACCOUNT, TT_ACCOUNT = "act_1001", "7001"


@dataclass
class Fault:
    """The next `times` requests whose path contains `match` answer this error instead."""

    match: str
    status: int = 400
    code: int = 17
    subcode: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1
    hits: int = 0


@dataclass
class Call:
    method: str
    path: str
    params: dict[str, str]
    body: dict[str, Any]
    at: float
    token: str | None  # TikTok's Access-Token header


class FakeAds:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.base_url = ""
        self.faults: list[Fault] = []
        self.calls: list[Call] = []
        self.ids = itertools.count(900001)
        self.revoked: set[str] = set()
        self.meta: dict[str, dict[str, dict[str, Any]]] = {}
        self.meta_insights: list[dict[str, Any]] = []
        self.tt: dict[str, dict[str, dict[str, Any]]] = {}
        self.tt_report: list[dict[str, Any]] = []
        self.reset()
        self.app = Starlette(
            routes=[
                Route("/open_api/v1.3/{path:path}", self.tiktok, methods=["GET", "POST"]),
                Route("/{version}/{path:path}", self.graph, methods=["GET", "POST"]),
            ]
        )

    # ---- test helpers ----

    def reset(self) -> None:
        with self.lock:
            self.faults.clear()
            self.calls.clear()
            self.revoked.clear()
            self.meta = {"campaigns": {}, "adsets": {}, "ads": {}, "creatives": {}, "videos": {}}
            self.meta_insights = []
            self.tt = {"campaigns": {}, "adgroups": {}, "ads": {}, "videos": {}, "images": {}}
            self.tt_report = []

    def fault(self, match: str, **kw: Any) -> Fault:
        fault = Fault(match, **kw)
        with self.lock:
            self.faults.append(fault)
        return fault

    def new_id(self) -> str:
        return str(next(self.ids))

    def calls_to(self, fragment: str, method: str | None = None) -> list[Call]:
        return [
            c for c in self.calls if fragment in c.path and (method is None or c.method == method)
        ]

    def _take_fault(self, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.match in path and fault.hits < fault.times:
                    fault.hits += 1
                    return fault
        return None

    async def _record(self, request: Request) -> Call:
        body: dict[str, Any] = {}
        raw = await request.body()
        if raw:
            if request.headers.get("content-type", "").startswith("application/json"):
                body = json.loads(raw)
            else:
                body = dict((await request.form()).items())  # type: ignore[arg-type]
        call = Call(
            request.method,
            request.url.path,
            dict(request.query_params),
            body,
            time.monotonic(),
            request.headers.get("access-token"),
        )
        with self.lock:
            self.calls.append(call)
        return call

    # ---- Meta Graph ----

    async def graph(self, request: Request) -> JSONResponse:
        call = await self._record(request)
        path = request.path_params["path"].strip("/")
        fault = self._take_fault(path)
        if fault is not None:
            error = {"message": "Fault", "type": "OAuthException", "code": fault.code}
            if fault.subcode:
                error["error_subcode"] = fault.subcode
            return JSONResponse({"error": error}, fault.status, headers=fault.headers)
        args = {**call.params, **call.body}
        if path == "oauth/access_token":
            return self._meta_oauth(args)
        token = args.get("access_token")
        if token != META_TOKEN or token in self.revoked:
            error = {"message": "Error validating access token", "code": 190, "error_subcode": 460}
            return JSONResponse({"error": {**error, "type": "OAuthException"}}, 400)
        parts = path.split("/")
        if request.method == "GET":
            return self._meta_get(parts, args)
        return self._meta_post(parts, args)

    def _meta_oauth(self, args: dict[str, Any]) -> JSONResponse:
        if args.get("client_id") != META_APP_ID or args.get("client_secret") != META_APP_SECRET:
            return JSONResponse({"error": {"message": "bad client", "code": 101}}, 400)
        if args.get("grant_type") == "fb_exchange_token":
            if args.get("fb_exchange_token") != "meta-short-token":
                return JSONResponse({"error": {"message": "bad token", "code": 190}}, 400)
            return JSONResponse({"access_token": META_TOKEN, "expires_in": 5183944})
        if args.get("code") != "meta-code":
            return JSONResponse({"error": {"message": "code used", "code": 100}}, 400)
        return JSONResponse({"access_token": "meta-short-token", "expires_in": 3600})

    def _page(self, items: list[dict[str, Any]], args: dict[str, Any]) -> JSONResponse:
        limit = int(args.get("limit") or 25)
        start = int(base64.b64decode(args["after"]).decode()) if args.get("after") else 0
        chunk = items[start : start + limit]
        body: dict[str, Any] = {"data": chunk}
        if chunk:
            after = base64.b64encode(str(start + len(chunk)).encode()).decode()
            body["paging"] = {"cursors": {"before": "MA==", "after": after}}
            if start + limit < len(items):
                body["paging"]["next"] = f"{self.base_url}/v22.0/next?after={after}"
        return JSONResponse(body)

    def _meta_get(self, parts: list[str], args: dict[str, Any]) -> JSONResponse:
        m = self.meta
        if parts == ["me", "adaccounts"]:
            return self._page(
                [
                    {
                        "id": META_ACCOUNT,
                        "account_id": META_ACCOUNT.removeprefix("act_"),
                        "name": "Acme ads",
                        "currency": "EUR",
                        "timezone_name": "Europe/Paris",
                        "account_status": 1,
                        "created_time": "2025-01-02T03:04:05+0000",
                    }
                ],
                args,
            )
        if len(parts) == 2 and parts[0] == META_ACCOUNT:
            edge = parts[1]
            if edge == "insights":
                assert args.get("level") == "ad" and args.get("time_increment") == "1"
                window = json.loads(args["time_range"])
                rows = [
                    r
                    for r in self.meta_insights
                    if window["since"] <= r["date_start"] <= window["until"]
                ]
                return self._page(rows, args)
            if edge == "ads":
                return self._page([self._ad_view(a) for a in m["ads"].values()], args)
            if edge in ("campaigns", "adsets"):
                return self._page(list(m[edge].values()), args)
        if len(parts) == 2 and parts[1] == "adsets" and parts[0] in m["campaigns"]:
            adsets = [s for s in m["adsets"].values() if s["campaign_id"] == parts[0]]
            return self._page(adsets, args)
        if len(parts) == 2 and parts[1] == "ads" and parts[0] in m["adsets"]:
            ads = [self._ad_view(a) for a in m["ads"].values() if a["adset_id"] == parts[0]]
            return self._page(ads, args)
        if len(parts) == 1 and parts[0] in m["ads"]:
            return JSONResponse(self._ad_view(m["ads"][parts[0]]))
        if len(parts) == 1:
            for table in ("campaigns", "videos"):
                if parts[0] in m[table]:
                    return JSONResponse(m[table][parts[0]])
        return JSONResponse({"error": {"message": "Unsupported get request", "code": 100}}, 400)

    def _ad_view(self, ad: dict[str, Any]) -> dict[str, Any]:
        creative = self.meta["creatives"].get(str(ad.get("creative", {}).get("id")), {})
        adset = self.meta["adsets"].get(ad["adset_id"], {})
        expanded = {"id": ad["adset_id"], "learning_stage_info": adset.get("learning_stage_info")}
        return {**ad, "creative": creative or ad.get("creative"), "adset": expanded}

    def _meta_post(self, parts: list[str], args: dict[str, Any]) -> JSONResponse:
        m = self.meta
        if len(parts) == 1:
            target = m["ads"].get(parts[0]) or m["adsets"].get(parts[0])
            if target is None:
                return JSONResponse({"error": {"message": "no object", "code": 100}}, 400)
            if "status" in args:
                target["status"] = target["effective_status"] = args["status"]
            if "daily_budget" in args:
                target["daily_budget"] = args["daily_budget"]
            return JSONResponse({"success": True})
        if len(parts) == 2 and parts[0] == META_ACCOUNT:
            new = self.new_id()
            if parts[1] == "advideos":
                m["videos"][new] = {"id": new, "picture": f"https://cdn.example/{new}.jpg"}
                m["videos"][new]["source"] = args["file_url"]
            elif parts[1] == "adcreatives":
                m["creatives"][new] = {
                    "id": new,
                    "name": args["name"],
                    "object_story_spec": json.loads(args["object_story_spec"]),
                }
            elif parts[1] == "ads":
                creative = json.loads(args["creative"])
                adset = m["adsets"][args["adset_id"]]
                m["ads"][new] = {
                    "id": new,
                    "name": args["name"],
                    "adset_id": args["adset_id"],
                    "campaign_id": adset["campaign_id"],
                    "status": args["status"],
                    "effective_status": "PENDING_REVIEW",
                    "created_time": "2026-12-01T10:00:00+0000",
                    "creative": {"id": creative["creative_id"]},
                }
            elif parts[1] == "campaigns":
                m["campaigns"][new] = {
                    "id": new,
                    "name": args["name"],
                    "objective": args["objective"],
                    "status": args["status"],
                    "effective_status": args["status"],
                    "daily_budget": args.get("daily_budget"),
                    "lifetime_budget": args.get("lifetime_budget"),
                    "created_time": "2026-12-01T10:00:00+0000",
                }
            return JSONResponse({"id": new})
        return JSONResponse({"error": {"message": "Unsupported post request", "code": 100}}, 400)

    # ---- TikTok API for Business ----

    async def tiktok(self, request: Request) -> JSONResponse:
        call = await self._record(request)
        path = request.path_params["path"].strip("/")
        fault = self._take_fault(path)
        if fault is not None:
            body = {"code": fault.code, "message": "Fault", "request_id": "r", "data": {}}
            return JSONResponse(body, fault.status, headers=fault.headers)
        args = {**call.params, **call.body}
        if path == "oauth2/access_token":
            if args.get("app_id") != TT_APP_ID or args.get("secret") != TT_SECRET:
                return self._tt(None, 40101, "invalid app")
            if args.get("auth_code") != "tt-code":
                return self._tt(None, 40110, "auth code invalid")
            data = {"access_token": TT_TOKEN, "advertiser_ids": [TT_ACCOUNT], "scope": [4, 5]}
            return self._tt(data)
        token = request.headers.get("access-token")
        if token != TT_TOKEN or token in self.revoked:
            return self._tt(None, 40105, "Access token is incorrect or has been revoked.")
        handler = getattr(self, "_tt_" + path.replace("/", "_"), None)
        if handler is None:
            return self._tt(None, 40002, f"unknown path {path}")
        result: JSONResponse = handler(args)
        return result

    def _tt(self, data: Any, code: int = 0, message: str = "OK") -> JSONResponse:
        return JSONResponse({"code": code, "message": message, "request_id": "req", "data": data})

    def _tt_page(self, items: list[dict[str, Any]], args: dict[str, Any]) -> JSONResponse:
        page, size = int(args.get("page") or 1), int(args.get("page_size") or 10)
        total_pages = max(1, -(-len(items) // size))
        info = {
            "page": page,
            "page_size": size,
            "total_number": len(items),
            "total_page": total_pages,
        }
        return self._tt({"list": items[(page - 1) * size : page * size], "page_info": info})

    def _filtered(self, table: str, args: dict[str, Any]) -> list[dict[str, Any]]:
        rows = list(self.tt[table].values())
        filtering = json.loads(args["filtering"]) if args.get("filtering") else {}
        for key, field_name in (
            ("campaign_ids", "campaign_id"),
            ("adgroup_ids", "adgroup_id"),
            ("ad_ids", "ad_id"),
        ):
            if key in filtering:
                rows = [r for r in rows if r[field_name] in filtering[key]]
        return rows

    def _tt_oauth2_advertiser_get(self, args: dict[str, Any]) -> JSONResponse:
        assert args.get("app_id") == TT_APP_ID and args.get("secret") == TT_SECRET
        return self._tt({"list": [{"advertiser_id": TT_ACCOUNT, "advertiser_name": "Acme TT"}]})

    def _tt_advertiser_info(self, args: dict[str, Any]) -> JSONResponse:
        assert json.loads(args["advertiser_ids"]) == [TT_ACCOUNT]
        info = {
            "advertiser_id": TT_ACCOUNT,
            "name": "Acme TikTok",
            "currency": "USD",
            "timezone": "Etc/GMT",
            "status": "STATUS_ENABLE",
            "create_time": 1735787045,
        }
        return self._tt({"list": [info]})

    def _tt_campaign_get(self, args: dict[str, Any]) -> JSONResponse:
        return self._tt_page(self._filtered("campaigns", args), args)

    def _tt_adgroup_get(self, args: dict[str, Any]) -> JSONResponse:
        return self._tt_page(self._filtered("adgroups", args), args)

    def _tt_ad_get(self, args: dict[str, Any]) -> JSONResponse:
        return self._tt_page(self._filtered("ads", args), args)

    def _tt_report_integrated_get(self, args: dict[str, Any]) -> JSONResponse:
        assert args["report_type"] == "BASIC" and args["data_level"] == "AUCTION_AD"
        assert json.loads(args["dimensions"]) == ["ad_id", "stat_time_day"]
        start, end = args["start_date"], args["end_date"]
        rows = [r for r in self.tt_report if start <= r["dimensions"]["stat_time_day"][:10] <= end]
        return self._tt_page(rows, args)

    def _tt_ad_status_update(self, args: dict[str, Any]) -> JSONResponse:
        for ad_id in args["ad_ids"]:
            self.tt["ads"][ad_id]["operation_status"] = args["operation_status"]
        return self._tt({"ad_ids": args["ad_ids"], "status": args["operation_status"]})

    def _tt_adgroup_budget_update(self, args: dict[str, Any]) -> JSONResponse:
        for entry in args["budget"]:
            self.tt["adgroups"][entry["adgroup_id"]]["budget"] = entry["budget"]
        return self._tt({})

    def _tt_file_video_ad_upload(self, args: dict[str, Any]) -> JSONResponse:
        assert args["upload_type"] == "UPLOAD_BY_URL"
        video_id = "v" + self.new_id()
        video = {"video_id": video_id, "video_cover_url": f"https://cdn.example/{video_id}.jpg"}
        self.tt["videos"][video_id] = {**video, "url": args["video_url"]}
        return self._tt([video])

    def _tt_file_image_ad_upload(self, args: dict[str, Any]) -> JSONResponse:
        assert args["upload_type"] == "UPLOAD_BY_URL"
        image_id = "i" + self.new_id()
        self.tt["images"][image_id] = {"image_id": image_id, "url": args["image_url"]}
        return self._tt({"image_id": image_id})

    def _tt_ad_create(self, args: dict[str, Any]) -> JSONResponse:
        group = self.tt["adgroups"][args["adgroup_id"]]
        ids = []
        for creative in args["creatives"]:
            ad_id = self.new_id()
            self.tt["ads"][ad_id] = {
                **creative,
                "ad_id": ad_id,
                "adgroup_id": args["adgroup_id"],
                "campaign_id": group["campaign_id"],
                "operation_status": "ENABLE",
                "secondary_status": "AD_STATUS_CAMPAIGN_DISABLE",
                "create_time": "2026-12-01 10:00:00",
            }
            ids.append(ad_id)
        return self._tt({"ad_ids": ids})

    def _tt_campaign_create(self, args: dict[str, Any]) -> JSONResponse:
        campaign_id = self.new_id()
        self.tt["campaigns"][campaign_id] = {
            "campaign_id": campaign_id,
            "campaign_name": args["campaign_name"],
            "objective_type": args["objective_type"],
            "budget_mode": args["budget_mode"],
            "budget": args["budget"],
            "operation_status": args["operation_status"],
            "create_time": "2026-12-01 10:00:00",
        }
        return self._tt({"campaign_id": campaign_id})


@contextmanager
def serve(fake: FakeAds) -> Iterator[FakeAds]:
    port = free_port()
    fake.base_url = f"http://127.0.0.1:{port}"
    config = uvicorn.Config(
        fake.app,
        host="127.0.0.1",
        port=port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=1,
        lifespan="off",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the fake ads server did not start")
        time.sleep(0.02)
    try:
        yield fake
    finally:
        server.should_exit = True
        thread.join(timeout=10)
