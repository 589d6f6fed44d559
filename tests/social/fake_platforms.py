"""A fake TikTok and Instagram, one ASGI app, built to the platforms' documented shapes.

It keeps real state (tokens with expiry, rotating TikTok refresh tokens, single-use codes,
publishes, containers published at most once, the posts that went live) so tests can count
what actually reached "the platform", and it injects faults: error answers (5xx, 401, 429,
quota), hangs before or after the effect (the client times out), and holds (the effect
happens, then the answer waits until the test lets it go or kills the client).

Served over real TCP by uvicorn in a thread (`serve`), so the real httpx clients meet real
timeouts and dropped connections.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

GRAPH_VERSION = "v22.0"
CLIENT_KEY, CLIENT_SECRET = "fake-tiktok-client", "fake-tiktok-secret-value"
IG_APP_ID, IG_APP_SECRET = "1234567890", "fake-instagram-secret-value"


@dataclass
class Fault:
    """What to do to the next request(s) whose path contains `match`.

    * ``status``: answer this error (with a platform-shaped ``code``) and do nothing;
    * ``hang``: wait this long first; with ``accept`` the effect happens before the wait;
    * ``hold``: with ``accept``, do the effect, set ``arrived``, then wait for ``release``.
    """

    match: str
    status: int | None = None
    code: str | int | None = None
    subcode: int | None = None
    hang: float = 0.0
    accept: bool = False
    hold: bool = False
    times: int | None = 1
    retry_after: str | None = None
    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    hits: int = 0


@dataclass
class Token:
    platform: str
    account: str
    expires: float
    kind: str


@dataclass
class LivePost:
    platform: str
    account: str
    text: str
    media: list[str]
    kind: str
    draft: bool
    publish_id: str
    post_id: str | None
    created: float


@dataclass
class Container:
    id: str
    account: str
    form: dict[str, str]
    status: str
    polls_left: int
    published_media: str | None = None


class FakePlatforms:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.base_url = ""
        self.issued: list[str] = []  # every token and code handed out
        self.tokens: dict[str, Token] = {}
        self.codes: dict[str, tuple[str, str, str]] = {}  # code → platform, account, redirect
        self.refresh_tokens: dict[str, str] = {}  # TikTok refresh token → account
        self.accounts = {
            "tiktok": {"handle": "acme.coffee", "open_id": "tt-open-1"},
            "instagram": {"handle": "acme.coffee.ig", "user_id": "17841400000000001"},
        }
        self.posts: list[LivePost] = []
        self.publishes: dict[str, dict[str, Any]] = {}
        self.containers: dict[str, Container] = {}
        self.faults: list[Fault] = []
        self.calls: list[str] = []
        self.counter = itertools.count(1)
        self.access_ttl = {"tiktok": 86_400, "instagram": 5_184_000}
        self.refresh_ttl = 31_536_000
        self.empty_refresh_token = False  # a TikTok refresh answering "refresh_token": ""
        self.refuse_refresh = False
        self.processing_polls = 0  # TikTok status fetches answering PROCESSING_UPLOAD first
        self.publish_failures: list[str] = []  # TikTok fail_reasons for the next publishes
        self.container_polls = 0  # Instagram container polls answering IN_PROGRESS first
        self.quota_total, self.quota_used_extra = 100, 0
        self.followers = 1234
        self.stats: dict[str, dict[str, int]] = {}  # post id → counters (metrics read-back)
        self.creator = {
            "privacy_level_options": ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"],
            "comment_disabled": False,
            "duet_disabled": False,
            "stitch_disabled": True,
            "max_video_post_duration_sec": 600,
        }
        self.app = Starlette(
            routes=[
                Route("/media/{name}", self.media),
                Route("/v2/auth/authorize/", self.tiktok_authorize),
                Route("/v2/oauth/token/", self.tiktok_token, methods=["POST"]),
                Route("/v2/user/info/", self.tiktok_user),
                Route(
                    "/v2/post/publish/creator_info/query/", self.tiktok_creator, methods=["POST"]
                ),
                Route("/v2/post/publish/video/init/", self.tiktok_init, methods=["POST"]),
                Route("/v2/post/publish/content/init/", self.tiktok_init, methods=["POST"]),
                Route("/v2/post/publish/inbox/video/init/", self.tiktok_init, methods=["POST"]),
                Route("/v2/post/publish/status/fetch/", self.tiktok_status, methods=["POST"]),
                Route("/v2/video/list/", self.tiktok_videos, methods=["POST"]),
                Route("/v2/video/query/", self.tiktok_video_query, methods=["POST"]),
                Route("/oauth/authorize", self.ig_authorize),
                Route("/oauth/access_token", self.ig_code_exchange, methods=["POST"]),
                Route("/access_token", self.ig_long_lived),
                Route("/refresh_access_token", self.ig_refresh),
                Route("/{version}/{path:path}", self.ig_graph, methods=["GET", "POST"]),
            ]
        )

    # ---- test helpers ----

    def reset(self) -> None:
        with self.lock:
            for fault in self.faults:
                fault.release.set()  # let held and hanging answers go
            self.faults.clear()
            self.calls.clear()
            self.empty_refresh_token = False
            self.refuse_refresh = False
            self.processing_polls = 0
            self.publish_failures = []
            self.container_polls = 0
            self.quota_used_extra = 0
            self.followers = 1234
            self.stats = {}
            # Each test connects accounts of its own.
            n = next(self.counter)
            self.accounts = {
                "tiktok": {"handle": "acme.coffee", "open_id": f"tt-open-{n}"},
                "instagram": {"handle": "acme.coffee.ig", "user_id": f"1784140000{n:07d}"},
            }

    def clear_faults(self) -> None:
        with self.lock:
            for fault in self.faults:
                fault.release.set()
            self.faults.clear()

    def add(self, fault: Fault) -> Fault:
        with self.lock:
            self.faults.append(fault)
        return fault

    def fail(self, match: str, status: int, **kw: Any) -> Fault:
        return self.add(Fault(match, status=status, **kw))

    def media_url(self, name: str) -> str:
        return f"{self.base_url}/media/{name}"

    def live_posts(self, account: str | None = None) -> list[LivePost]:
        with self.lock:
            return [p for p in self.posts if account is None or p.account == account]

    def count_calls(self, fragment: str) -> int:
        with self.lock:
            return sum(1 for call in self.calls if fragment in call)

    def set_account(self, platform: str, **values: str) -> None:
        with self.lock:
            self.accounts[platform] = {**self.accounts[platform], **values}

    def expire_token(self, value: str) -> None:
        with self.lock:
            if value in self.tokens:
                self.tokens[value].expires = 0

    # ---- plumbing ----

    def _secret(self, prefix: str) -> str:
        value = f"{prefix}{secrets.token_urlsafe(18)}"
        self.issued.append(value)
        return value

    def _fault(self, path: str) -> Fault | None:
        with self.lock:
            self.calls.append(path)
            for fault in self.faults:
                if fault.match in path and (fault.times is None or fault.hits < fault.times):
                    fault.hits += 1
                    return fault
        return None

    async def _before(self, fault: Fault | None, platform: str) -> Response | None:
        """Apply a fault that acts before the effect (an error answer or a plain hang)."""
        if fault is None or fault.accept:
            return None
        if fault.hang:
            await asyncio.to_thread(fault.release.wait, fault.hang)
        if fault.status is not None:
            return self._error(platform, fault.status, fault.code, fault.subcode, fault.retry_after)
        return None

    async def _after(self, fault: Fault | None) -> None:
        """Apply a fault that acts after the effect (the answer is late or never comes)."""
        if fault is None or not fault.accept:
            return
        fault.arrived.set()
        if fault.hold:
            await asyncio.to_thread(fault.release.wait, 120)
        elif fault.hang:
            await asyncio.to_thread(fault.release.wait, fault.hang)

    def _error(
        self,
        platform: str,
        status: int,
        code: str | int | None,
        subcode: int | None = None,
        retry_after: str | None = None,
    ) -> Response:
        headers = {"Retry-After": retry_after} if retry_after else None
        if platform == "tiktok-oauth":
            oauth = {"error": code or "server_error", "error_description": "fake", "log_id": "x"}
            return JSONResponse(oauth, status_code=status, headers=headers)
        if platform == "tiktok":
            default = {401: "access_token_invalid", 429: "rate_limit_exceeded"}.get(
                status, "internal_error" if status >= 500 else "invalid_params"
            )
            body: dict[str, Any] = {
                "data": {},
                "error": {"code": code or default, "message": f"fake {status}", "log_id": "x"},
            }
        else:
            default_code = {401: 190, 429: 4}.get(status, 2 if status >= 500 else 100)
            body = {
                "error": {
                    "message": f"fake {status}",
                    "type": "OAuthException",
                    "code": code if code is not None else default_code,
                    "fbtrace_id": "x",
                }
            }
            if subcode:
                body["error"]["error_subcode"] = subcode
        return JSONResponse(body, status_code=status, headers=headers)

    def _bearer(self, request: Request, platform: str) -> Token | None:
        header = request.headers.get("authorization", "")
        value = header.removeprefix("Bearer ").strip()
        return self._valid(value, platform)

    def _valid(self, value: str | None, platform: str) -> Token | None:
        with self.lock:
            token = self.tokens.get(value or "")
        if token is None or token.platform != platform or token.expires < time.time():
            return None
        return token

    def _issue_access(self, platform: str, account: str, kind: str = "access") -> str:
        value = self._secret("act." if platform == "tiktok" else "IGQV")
        with self.lock:
            self.tokens[value] = Token(
                platform, account, time.time() + self.access_ttl[platform], kind
            )
        return value

    @staticmethod
    def _ok(data: dict[str, Any]) -> JSONResponse:
        return JSONResponse({"data": data, "error": {"code": "ok", "message": "", "log_id": "x"}})

    async def media(self, request: Request) -> Response:
        return Response(b"\xff\xd8\xff\xe0fake-jpeg", media_type="image/jpeg")

    # ---- TikTok ----

    async def tiktok_authorize(self, request: Request) -> Response:
        q = request.query_params
        if q.get("client_key") != CLIENT_KEY or q.get("response_type") != "code":
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        code = self._secret("ttcode.")
        with self.lock:
            self.codes[code] = ("tiktok", self.accounts["tiktok"]["open_id"], q["redirect_uri"])
        query = urlencode({"code": code, "scopes": q.get("scope", ""), "state": q["state"]})
        return RedirectResponse(f"{q['redirect_uri']}?{query}", status_code=302)

    async def tiktok_token(self, request: Request) -> Response:
        fault = self._fault(request.url.path)
        early = await self._before(fault, "tiktok-oauth")
        if early is not None:
            return early
        form = await request.form()
        if form.get("client_key") != CLIENT_KEY or form.get("client_secret") != CLIENT_SECRET:
            return self._oauth_error("invalid_client")
        grant = form.get("grant_type")
        if grant == "authorization_code":
            with self.lock:
                found = self.codes.pop(str(form.get("code")), None)
            if found is None or found[2] != form.get("redirect_uri"):
                return self._oauth_error("invalid_grant")
            account = found[1]
        elif grant == "refresh_token":
            with self.lock:
                account_or_none = self.refresh_tokens.pop(str(form.get("refresh_token")), None)
            if account_or_none is None or self.refuse_refresh:
                return self._oauth_error("invalid_grant")
            account = account_or_none
        else:
            return self._oauth_error("unsupported_grant_type")
        access = self._issue_access("tiktok", account)
        refresh = self._secret("rft.")
        with self.lock:
            self.refresh_tokens[refresh] = account
        body = {
            "open_id": account,
            "scope": "user.info.basic,user.info.profile,video.publish,video.upload,video.list",
            "access_token": access,
            "expires_in": self.access_ttl["tiktok"],
            "refresh_token": "" if (grant == "refresh_token" and self.empty_refresh_token)
            else refresh,
            "refresh_expires_in": self.refresh_ttl,
            "token_type": "Bearer",
        }  # fmt: skip
        if grant == "refresh_token" and self.empty_refresh_token:
            with self.lock:
                self.refresh_tokens.pop(refresh, None)
        await self._after(fault)
        return JSONResponse(body)

    def _oauth_error(self, code: str) -> Response:
        body = {"error": code, "error_description": f"fake {code}", "log_id": "x"}
        return JSONResponse(body, status_code=400)

    async def tiktok_user(self, request: Request) -> Response:
        token = self._bearer(request, "tiktok")
        if token is None:
            return self._error("tiktok", 401, "access_token_invalid")
        account = self.accounts["tiktok"]
        fields = request.query_params.get("fields", "").split(",")
        user = {
            "open_id": token.account,
            "union_id": "union-1",
            "avatar_url": "https://p16.example/avatar.jpg",
            "display_name": "Acme Coffee",
            "username": account["handle"],
            "follower_count": self.followers,
        }
        return self._ok({"user": {k: v for k, v in user.items() if k in fields}})

    async def tiktok_creator(self, request: Request) -> Response:
        fault = self._fault(request.url.path)
        early = await self._before(fault, "tiktok")
        if early is not None:
            return early
        token = self._bearer(request, "tiktok")
        if token is None:
            return self._error("tiktok", 401, "access_token_invalid")
        handle = self.accounts["tiktok"]["handle"]
        data = {
            "creator_avatar_url": "https://p16.example/avatar.jpg",
            "creator_username": handle,
            "creator_nickname": "Acme Coffee",
            **self.creator,
        }
        await self._after(fault)
        return self._ok(data)

    async def tiktok_init(self, request: Request) -> Response:
        path = request.url.path
        fault = self._fault(path)
        early = await self._before(fault, "tiktok")
        if early is not None:
            return early
        token = self._bearer(request, "tiktok")
        if token is None:
            return self._error("tiktok", 401, "access_token_invalid")
        body = await request.json()
        source = body.get("source_info") or {}
        inbox = "inbox" in path or body.get("post_mode") == "MEDIA_UPLOAD"
        if source.get("source") != "PULL_FROM_URL":
            return self._error("tiktok", 400, "invalid_params")
        urls = source.get("photo_images") or [source.get("video_url")]
        if not all(isinstance(u, str) and u.startswith(self.base_url) for u in urls):
            return self._error("tiktok", 403, "url_ownership_unverified")
        info = body.get("post_info") or {}
        if not inbox and info.get("privacy_level") not in self.creator["privacy_level_options"]:
            return self._error("tiktok", 403, "privacy_level_option_mismatch")
        if "content/init" in path and body.get("media_type") != "PHOTO":
            return self._error("tiktok", 400, "invalid_params")
        number = next(self.counter)
        publish_id = f"v_pub_url~v2-1.{number}"
        kind = "photo" if "content/init" in path else "video"
        text = str(info.get("description") if kind == "photo" else info.get("title") or "")
        with self.lock:
            post = LivePost(
                "tiktok", token.account, text, list(urls), kind, inbox, publish_id,
                None if inbox else str(7_300_000_000_000_000_000 + number), time.time(),
            )  # fmt: skip
            failure = self.publish_failures.pop(0) if self.publish_failures else None
            if failure is None:
                self.posts.append(post)
            self.publishes[publish_id] = {
                "post": post, "polls": self.processing_polls, "failure": failure,
            }  # fmt: skip
        await self._after(fault)
        return self._ok({"publish_id": publish_id})

    async def tiktok_status(self, request: Request) -> Response:
        fault = self._fault(request.url.path)
        early = await self._before(fault, "tiktok")
        if early is not None:
            return early
        token = self._bearer(request, "tiktok")
        if token is None:
            return self._error("tiktok", 401, "access_token_invalid")
        body = await request.json()
        with self.lock:
            entry = self.publishes.get(str(body.get("publish_id")))
            if entry is None or entry["post"].account != token.account:
                return self._error("tiktok", 400, "invalid_publish_id")
            post: LivePost = entry["post"]
            if entry["polls"] > 0:
                entry["polls"] -= 1
                return self._ok({"status": "PROCESSING_UPLOAD", "uploaded_bytes": 1})
        if entry["failure"]:
            return self._ok({"status": "FAILED", "fail_reason": entry["failure"]})
        if post.draft:
            return self._ok({"status": "SEND_TO_USER_INBOX"})
        return self._ok(
            {"status": "PUBLISH_COMPLETE", "publicaly_available_post_id": [int(post.post_id or 0)]}
        )

    async def tiktok_videos(self, request: Request) -> Response:
        fault = self._fault(request.url.path)
        early = await self._before(fault, "tiktok")
        if early is not None:
            return early
        token = self._bearer(request, "tiktok")
        if token is None:
            return self._error("tiktok", 401, "access_token_invalid")
        handle = self.accounts["tiktok"]["handle"]
        videos = [
            {
                "id": p.post_id,
                "title": p.text,
                "video_description": p.text,
                "create_time": int(p.created),
                "share_url": f"https://www.tiktok.com/@{handle}/video/{p.post_id}",
            }
            for p in reversed(self.live_posts(token.account))
            if p.platform == "tiktok" and not p.draft
        ]
        return self._ok({"videos": videos[:20], "cursor": 0, "has_more": False})

    def counters(self, post_id: str) -> dict[str, int]:
        """A live post's counters: set by the test, else made up from its id's position."""
        with self.lock:
            if post_id in self.stats:
                return dict(self.stats[post_id])
            rank = next((i for i, p in enumerate(self.posts) if p.post_id == post_id), 0) + 1
        views = 100 * rank
        return {"views": views, "likes": views // 10, "comments": rank, "shares": rank, "saves": 1}

    async def tiktok_video_query(self, request: Request) -> Response:
        """Display API video query: up to 20 ids; the creator's videos among them."""
        fault = self._fault(request.url.path)
        early = await self._before(fault, "tiktok")
        if early is not None:
            return early
        token = self._bearer(request, "tiktok")
        if token is None:
            return self._error("tiktok", 401, "access_token_invalid")
        body = await request.json()
        ids = (body.get("filters") or {}).get("video_ids") or []
        if not isinstance(ids, list) or not 1 <= len(ids) <= 20:
            return self._error("tiktok", 400, "invalid_params")
        fields = request.query_params.get("fields", "").split(",")
        mine = {p.post_id for p in self.live_posts(token.account) if p.platform == "tiktok"}
        videos = []
        for video_id in ids:
            if video_id not in mine:
                continue
            c = self.counters(video_id)
            video = {
                "id": video_id,
                "view_count": c["views"],
                "like_count": c["likes"],
                "comment_count": c["comments"],
                "share_count": c["shares"],
            }
            videos.append({k: v for k, v in video.items() if k in fields})
        return self._ok({"videos": videos, "cursor": 0, "has_more": False})

    # ---- Instagram ----

    async def ig_authorize(self, request: Request) -> Response:
        q = request.query_params
        if q.get("client_id") != IG_APP_ID or q.get("response_type") != "code":
            return JSONResponse({"error_message": "Invalid client_id"}, status_code=400)
        code = self._secret("igcode.")
        with self.lock:
            self.codes[code] = (
                "instagram",
                self.accounts["instagram"]["user_id"],
                q["redirect_uri"],
            )
        query = urlencode({"code": code, "state": q["state"]})
        return RedirectResponse(f"{q['redirect_uri']}?{query}", status_code=302)

    async def ig_code_exchange(self, request: Request) -> Response:
        form = await request.form()
        if form.get("client_id") != IG_APP_ID or form.get("client_secret") != IG_APP_SECRET:
            return JSONResponse(
                {"error_type": "OAuthException", "code": 400, "error_message": "bad client"},
                status_code=400,
            )
        with self.lock:
            found = self.codes.pop(str(form.get("code")), None)
        if found is None or found[2] != form.get("redirect_uri"):
            return JSONResponse(
                {"error_type": "OAuthException", "code": 400, "error_message": "Invalid code"},
                status_code=400,
            )
        short = self._issue_access("instagram", found[1], kind="short")
        with self.lock:
            self.tokens[short].expires = time.time() + 3600
        permissions = ["instagram_business_basic", "instagram_business_content_publish"]
        return JSONResponse(
            {"data": [{"access_token": short, "user_id": found[1], "permissions": permissions}]}
        )

    async def ig_long_lived(self, request: Request) -> Response:
        q = request.query_params
        token = self._valid(q.get("access_token"), "instagram")
        if q.get("grant_type") != "ig_exchange_token" or q.get("client_secret") != IG_APP_SECRET:
            return self._error("instagram", 400, 100)
        if token is None or token.kind != "short":
            return self._error("instagram", 400, 190)
        value = self._issue_access("instagram", token.account, kind="long")
        return JSONResponse(
            {
                "access_token": value,
                "token_type": "bearer",
                "expires_in": self.access_ttl["instagram"],
            }
        )

    async def ig_refresh(self, request: Request) -> Response:
        fault = self._fault(request.url.path)
        early = await self._before(fault, "instagram")
        if early is not None:
            return early
        q = request.query_params
        token = self._valid(q.get("access_token"), "instagram")
        if q.get("grant_type") != "ig_refresh_token" or token is None or token.kind != "long":
            return self._error("instagram", 400, 190)
        if self.refuse_refresh:
            return self._error("instagram", 400, 190)
        value = self._issue_access("instagram", token.account, kind="long")
        return JSONResponse(
            {
                "access_token": value,
                "token_type": "bearer",
                "expires_in": self.access_ttl["instagram"],
            }
        )

    async def ig_graph(self, request: Request) -> Response:
        if request.path_params["version"] != GRAPH_VERSION:
            return JSONResponse({"error": {"message": "unknown version", "code": 2500}}, 400)
        path = request.url.path
        fault = self._fault(f"{request.method} {path}")
        early = await self._before(fault, "instagram")
        if early is not None:
            return early
        params: dict[str, Any] = dict(request.query_params)
        if request.method == "POST":
            params.update({k: str(v) for k, v in (await request.form()).items()})
        token = self._valid(params.get("access_token"), "instagram")
        if token is None or token.kind != "long":
            return self._error("instagram", 400, 190)
        parts = request.path_params["path"].strip("/").split("/")
        response = self._graph(request.method, parts, params, token)
        await self._after(fault)
        return response

    def _graph(
        self, method: str, parts: list[str], params: dict[str, Any], token: Token
    ) -> Response:
        account = self.accounts["instagram"]
        if parts == ["me"]:
            return JSONResponse(
                {
                    "user_id": token.account,
                    "id": "app-scoped-1",
                    "username": account["handle"],
                    "name": "Acme Coffee",
                    "profile_picture_url": "https://scontent.example/pic.jpg",
                    "account_type": "BUSINESS",
                }
            )
        if len(parts) == 2 and parts[1] == "insights":
            return self._insights(parts[0], params, token)
        if len(parts) == 2 and parts[0] != token.account:
            return self._error("instagram", 400, 100)
        if parts[1:] == ["content_publishing_limit"]:
            with self.lock:
                used = (
                    sum(
                        1
                        for p in self.posts
                        if p.platform == "instagram" and p.account == token.account
                    )
                    + self.quota_used_extra
                )
            return JSONResponse(
                {"data": [{"quota_usage": used,
                           "config": {"quota_total": self.quota_total, "quota_duration": 86400}}]}
            )  # fmt: skip
        if parts[1:] == ["media"] and method == "POST":
            return self._create_container(token, params)
        if parts[1:] == ["media"]:
            with self.lock:
                media = [
                    {
                        "id": p.post_id,
                        "caption": p.text,
                        "permalink": f"https://www.instagram.com/p/{p.post_id}/",
                        "timestamp": time.strftime(
                            "%Y-%m-%dT%H:%M:%S+0000", time.gmtime(p.created)
                        ),
                    }
                    for p in reversed(self.posts)
                    if p.platform == "instagram" and p.account == token.account
                ]
            return JSONResponse({"data": media})
        if parts[1:] == ["media_publish"] and method == "POST":
            return self._publish_container(token, str(params.get("creation_id")))
        if len(parts) == 1:
            return self._node(parts[0], token)
        return self._error("instagram", 400, 100)

    def _create_container(self, token: Token, params: dict[str, Any]) -> Response:
        url = params.get("image_url") or params.get("video_url")
        children = [c for c in str(params.get("children") or "").split(",") if c]
        if params.get("media_type") == "CAROUSEL":
            with self.lock:
                if not 2 <= len(children) <= 10 or any(c not in self.containers for c in children):
                    return self._error("instagram", 400, 100)
        elif not isinstance(url, str) or not url.startswith(self.base_url):
            return self._error("instagram", 400, 9004)
        if params.get("media_type") == "REELS" and not params.get("video_url"):
            return self._error("instagram", 400, 100)
        container = Container(
            id=str(18_000_000_000_000_000 + next(self.counter)),
            account=token.account,
            form={k: str(v) for k, v in params.items() if k != "access_token"},
            status="IN_PROGRESS" if self.container_polls else "FINISHED",
            polls_left=self.container_polls,
        )
        with self.lock:
            self.containers[container.id] = container
        return JSONResponse({"id": container.id})

    def _publish_container(self, token: Token, creation_id: str) -> Response:
        with self.lock:
            container = self.containers.get(creation_id)
            if container is None or container.account != token.account:
                return self._error("instagram", 400, 100)
            if container.status == "PUBLISHED":
                return self._error("instagram", 400, 9, 2207008)
            if container.status != "FINISHED" or container.form.get("is_carousel_item"):
                return self._error("instagram", 400, 9007)
            used = sum(1 for p in self.posts if p.platform == "instagram")
            if used + self.quota_used_extra >= self.quota_total:
                return self._error("instagram", 400, 9, 2207042)
            media_id = str(17_900_000_000_000_000 + next(self.counter))
            container.status, container.published_media = "PUBLISHED", media_id
            form = container.form
            if form.get("media_type") == "CAROUSEL":
                media = [
                    self.containers[c].form.get("image_url", "")
                    for c in form["children"].split(",")
                ]
                kind = "carousel"
            else:
                media = [form.get("image_url") or form.get("video_url") or ""]
                kind = "reel" if form.get("media_type") == "REELS" else "image"
            self.posts.append(
                LivePost("instagram", token.account, form.get("caption", ""), media, kind, False,
                         creation_id, media_id, time.time())
            )  # fmt: skip
        return JSONResponse({"id": media_id})

    def _insights(self, media_id: str, params: dict[str, Any], token: Token) -> Response:
        mine = {p.post_id for p in self.live_posts(token.account) if p.platform == "instagram"}
        if media_id not in mine:
            return self._error("instagram", 400, 100, 33)
        c = self.counters(media_id)
        values = {**c, "reach": c["views"] * 8 // 10, "saved": c["saves"]}
        wanted = str(params.get("metric") or "").split(",")
        data = [
            {"name": name, "period": "lifetime", "values": [{"value": values[name]}]}
            for name in wanted
            if name in values
        ]
        return JSONResponse({"data": data})

    def _node(self, node: str, token: Token) -> Response:
        if node == token.account:
            return JSONResponse({"id": node, "followers_count": self.followers})
        with self.lock:
            container = self.containers.get(node)
            if container is not None:
                if container.status == "IN_PROGRESS":
                    container.polls_left -= 1
                    if container.polls_left <= 0:
                        container.status = "FINISHED"
                    return JSONResponse({"id": node, "status_code": "IN_PROGRESS"})
                return JSONResponse({"id": node, "status_code": container.status})
            for post in self.posts:
                if post.platform == "instagram" and post.post_id == node:
                    return JSONResponse(
                        {"id": node, "permalink": f"https://www.instagram.com/p/{node}/"}
                    )
        return self._error("instagram", 400, 100)


# ---- serving ----


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(fake: FakePlatforms) -> Iterator[FakePlatforms]:
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
            raise RuntimeError("the fake platform server did not start")
        time.sleep(0.02)
    try:
        yield fake
    finally:
        for fault in fake.faults:
            fault.release.set()
        server.should_exit = True
        thread.join(timeout=10)
