"""The sandbox `AdsPlatform` (test mode): Meta or TikTok as `sandbox_market` simulates them.

Decisions:

* **The market is a pure function** of (platform, ad account, seed, epoch, the mutations
  applied, ``as_of``) — see `layers.ads.platforms.sandbox_market`. ``as_of`` is always
  `layers.kit.clock.now()`: "advance the market ten days" is advancing the clock ten days.
* **Mutations live outside our database**, so the platform layer stays free of it: each ad
  account has one small JSON document ``{epoch, revoked, mutations: [...]}`` in a
  `SandboxStore`. The default store is a file per account under
  ``settings.data_dir / "sandbox-ads" / "<platform>-<account>.json"``, rewritten atomically
  (a temporary file, then ``os.replace``) under an exclusive ``flock`` so concurrent writers
  (threads or processes) never lose a mutation. Tests may pass a `MemoryStore`.
* **The epoch** is the first time the account is touched (its OAuth exchange, normally),
  floored to the hour; the market's history reaches 30 days before it.
* **OAuth consents at once**: `oauth_url` is the redirect URI itself with a signed ``code``
  and the ``state``. The code names an account derived from the state (every connection
  attempt gets its own market, so tenants and tests never share one); `code_for(name)`
  makes a code for a chosen name (reconnecting the same account). Tokens are
  ``sbxads.<platform>.<name>.<nonce>.<signature>`` (signed with the session secret) and name
  the one account they may manage.
* **Revocation**: `revoke(account_id)` marks the account's grant revoked: every call with
  any token for it then raises `AdsAuthFailed` (as a revoked token does on the real
  platforms), until a new code exchange for the same name reconnects it.
* Writes obey the platform's facts: no more than ``spec.max_ads_per_adset`` ads in an ad set,
  positive budgets, only known ids (else `AdsRejected`).
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import hmac
import json
import os
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit, urlunsplit

from layers.ads.platforms import meta, tiktok
from layers.ads.platforms.base import (
    Ad,
    AdAccount,
    AdCreativeInput,
    AdDayMetrics,
    AdsAuthFailed,
    Adset,
    AdsGrant,
    AdsPlatformSpec,
    AdsRejected,
    Campaign,
    CampaignInput,
    SettableStatus,
)
from layers.ads.platforms.sandbox_market import (
    CAMPAIGN_CREATED_DAYS,
    DEFAULT_SEED,
    Identity,
    Market,
    Snapshot,
    digits,
)
from layers.kit import clock
from layers.kit.settings import Settings
from layers.social.vault import Secret

SPECS: dict[str, AdsPlatformSpec] = {"meta": meta.SPEC, "tiktok": tiktok.SPEC}
NAME_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
AUTH_CODE = {"meta": "190", "tiktok": "40105"}

State = dict[str, Any]


class SandboxStore(Protocol):
    """Where the sandbox keeps each account's document (see the module docstring)."""

    def load(self, key: str) -> State | None: ...

    def update(self, key: str, change: Callable[[State | None], State]) -> State:
        """Apply `change` to the current document (None: none yet) atomically; store and
        return its result."""
        ...


class MemoryStore:
    def __init__(self) -> None:
        self._docs: dict[str, str] = {}
        self._lock = threading.Lock()

    def load(self, key: str) -> State | None:
        with self._lock:
            raw = self._docs.get(key)
        return json.loads(raw) if raw is not None else None

    def update(self, key: str, change: Callable[[State | None], State]) -> State:
        with self._lock:
            raw = self._docs.get(key)
            state = change(json.loads(raw) if raw is not None else None)
            self._docs[key] = json.dumps(state)
            return state


class FileStore:
    """One JSON file per key, replaced atomically under an exclusive lock."""

    _thread_lock = threading.Lock()

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / f"{key}.json"

    def load(self, key: str) -> State | None:
        try:
            loaded = json.loads(self._path(key).read_text())
        except FileNotFoundError:
            return None
        return loaded if isinstance(loaded, dict) else None

    @contextlib.contextmanager
    def _locked(self, key: str) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        with self._thread_lock, open(self.root / f"{key}.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def update(self, key: str, change: Callable[[State | None], State]) -> State:
        with self._locked(key):
            state = change(self.load(key))
            path = self._path(key)
            temporary = path.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_text(json.dumps(state, indent=1))
            os.replace(temporary, path)
            return state


def file_store(settings: Settings) -> FileStore:
    return FileStore(settings.data_dir / "sandbox-ads")


def account_id_for(platform: str, name: str) -> str:
    """The sandbox ad account a connection name stands for."""
    number = digits("sandbox-account", platform, name.lower(), length=15)
    return f"act_{number}" if platform == "meta" else f"7{number}"


class SandboxAds:
    def __init__(
        self,
        platform: str,
        settings: Settings,
        *,
        store: SandboxStore | None = None,
        seed: str = DEFAULT_SEED,
    ) -> None:
        self.platform = platform
        self.spec = SPECS[platform]
        self.store: SandboxStore = store or file_store(settings)
        self.seed = seed
        self._secret = settings.resolved_session_secret.encode()
        self.latency = settings.sandbox_latency_ms / 1000

    # ---- identity and state ----

    def _sign(self, *parts: str) -> str:
        message = "\x1f".join(("sandbox-ads", self.platform, *parts)).encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()[:32]

    def code_for(self, name: str) -> str:
        """An authorization code that connects the account named `name`."""
        if not NAME_RE.match(name):
            raise ValueError("a sandbox account name is 1–64 letters, digits, '.', '_' or '-'")
        return f"sbxads_{name}.{self._sign('code', name)}"

    def _key(self, account_id: str) -> str:
        return f"{self.platform}-{account_id}"

    def _touch(self, account_id: str, *, reconnect: bool = False) -> State:
        def change(state: State | None) -> State:
            if state is None:
                now = clock.now().astimezone(UTC).replace(minute=0, second=0, microsecond=0)
                return {"epoch": now.isoformat(), "revoked": False, "mutations": [], "seq": 0}
            if reconnect:
                state["revoked"] = False
            return state

        current = self.store.load(self._key(account_id))
        if current is not None and not reconnect:
            return current
        return self.store.update(self._key(account_id), change)

    def _name_of(self, token: Secret) -> str:
        parts = token.reveal().split(".")
        if len(parts) != 5 or parts[0] != "sbxads" or parts[1] != self.platform:
            raise AdsAuthFailed(
                "The sandbox does not know this token.", platform_code=AUTH_CODE[self.platform]
            )
        name = _unb64(parts[2])
        if not _same(parts[4], self._sign("token", name, parts[3])):
            raise AdsAuthFailed(
                "The sandbox does not know this token.", platform_code=AUTH_CODE[self.platform]
            )
        return name

    def _open(self, token: Secret, account_id: str) -> tuple[State, Market]:
        if self.latency:
            time.sleep(self.latency)
        name = self._name_of(token)
        if account_id_for(self.platform, name) != account_id:
            raise AdsAuthFailed(
                f"This token may not manage ad account {account_id}.",
                platform_code=AUTH_CODE[self.platform],
            )
        state = self._touch(account_id)
        if state.get("revoked"):
            raise AdsAuthFailed(
                "The ad account's authorization was revoked.",
                platform_code=AUTH_CODE[self.platform],
            )
        return state, self._market(account_id, state)

    def _market(self, account_id: str, state: State) -> Market:
        identity = Identity(self.platform, account_id, self.seed)
        epoch = datetime.fromisoformat(state["epoch"])
        return Market(
            identity, epoch, state["mutations"], reports_frequency=self.spec.reports_frequency
        )

    def _snapshot(self, token: Secret, account_id: str) -> Snapshot:
        _, market = self._open(token, account_id)
        return market.snapshot(clock.now())

    def _mutate(self, account_id: str, build: Callable[[int], dict[str, Any]]) -> dict[str, Any]:
        """Record the mutation ``build(seq)`` makes of its sequence number (1, 2, …), stamped
        now, atomically (two writers never share a number); returns it."""
        at = clock.now().astimezone(UTC).isoformat()
        made: dict[str, Any] = {}

        def change(state: State | None) -> State:
            assert state is not None  # `_open` created it
            state["seq"] = int(state.get("seq", 0)) + 1
            made.clear()
            made.update(build(state["seq"]), at=at, seq=state["seq"])
            state["mutations"].append(dict(made))
            return state

        self.store.update(self._key(account_id), change)
        return made

    # ---- test helpers ----

    def planted_ads(self, account_id: str) -> dict[str, str]:
        """``{role: ad id}`` of the account's planted ads (see `sandbox_market`)."""
        return Identity(self.platform, account_id, self.seed).planted_ads()

    def revoke(self, account_id: str) -> None:
        """Revoke the account's grant (every later call raises `AdsAuthFailed`)."""
        self._touch(account_id)

        def change(state: State | None) -> State:
            assert state is not None
            state["revoked"] = True
            return state

        self.store.update(self._key(account_id), change)

    # ---- OAuth ----

    def oauth_url(self, *, state: str, redirect_uri: str) -> str:
        name = "acct-" + hashlib.sha256(state.encode()).hexdigest()[:12]
        scheme, netloc, path, query, fragment = urlsplit(redirect_uri)
        extra = urlencode({"code": self.code_for(name), "state": state})
        return urlunsplit((scheme, netloc, path, f"{query}&{extra}" if query else extra, fragment))

    def exchange_code(self, *, code: str, redirect_uri: str) -> AdsGrant:
        body, _, signature = code.removeprefix("sbxads_").rpartition(".")
        if (
            not code.startswith("sbxads_")
            or not NAME_RE.match(body)
            or not _same(signature, self._sign("code", body))
        ):
            raise AdsRejected("This sandbox authorization code is not valid.")
        account_id = account_id_for(self.platform, body)
        self._touch(account_id, reconnect=True)
        nonce = secrets.token_urlsafe(12).replace(".", "_")
        token = f"sbxads.{self.platform}.{_b64(body)}.{nonce}.{self._sign('token', body, nonce)}"
        return AdsGrant(
            access_token=Secret(token),
            expires_in=60 * 24 * 3600 if self.platform == "meta" else None,
            scopes=self.spec.oauth_scopes,
            account_ids=(account_id,),
        )

    # ---- reads ----

    def list_ad_accounts(self, token: Secret) -> list[AdAccount]:
        account_id = account_id_for(self.platform, self._name_of(token))
        _, market = self._open(token, account_id)
        return [
            AdAccount(
                account_id=account_id,
                name=f"Sandbox {self.spec.display_name} ads ({self._name_of(token)})",
                currency="USD",
                timezone="Etc/UTC",
                status="active",
                created_at=market.epoch - timedelta(days=-CAMPAIGN_CREATED_DAYS),
            )
        ]

    def list_campaigns(self, token: Secret, account_id: str) -> list[Campaign]:
        return self._snapshot(token, account_id).campaigns

    def list_adsets(
        self, token: Secret, account_id: str, *, campaign_id: str | None = None
    ) -> list[Adset]:
        adsets = self._snapshot(token, account_id).adsets
        return [a for a in adsets if campaign_id is None or a.campaign_id == campaign_id]

    def list_ads(self, token: Secret, account_id: str, *, adset_id: str | None = None) -> list[Ad]:
        ads = self._snapshot(token, account_id).ads
        return [a for a in ads if adset_id is None or a.adset_id == adset_id]

    def ad_daily_metrics(
        self, token: Secret, account_id: str, *, since: date, until: date
    ) -> list[AdDayMetrics]:
        rows = self._snapshot(token, account_id).metrics
        return [row for row in rows if since <= row.day <= until]

    # ---- writes ----

    def set_ad_status(
        self, token: Secret, account_id: str, ad_id: str, status: SettableStatus
    ) -> None:
        _, market = self._open(token, account_id)
        ad = market.ads.get(ad_id)
        if ad is None or ad.created > clock.now() or ad.status_at(clock.now()) == "deleted":
            raise AdsRejected(f"No ad {ad_id} in ad account {account_id}.")
        if status not in ("active", "paused"):
            raise AdsRejected(f"Unknown status {status!r}.")
        self._mutate(account_id, lambda _: {"kind": "status", "ad_id": ad_id, "status": status})

    def set_adset_budget(
        self, token: Secret, account_id: str, adset_id: str, daily_budget_cents: int
    ) -> None:
        _, market = self._open(token, account_id)
        adset = market.adsets.get(adset_id)
        if adset is None or adset.created > clock.now():
            raise AdsRejected(f"No {self.spec.adset_word} {adset_id} in ad account {account_id}.")
        if daily_budget_cents < self.spec.min_daily_budget_cents:
            raise AdsRejected(
                f"A daily budget is at least {self.spec.min_daily_budget_cents} cents here."
            )
        cents = int(daily_budget_cents)
        self._mutate(
            account_id,
            lambda _: {"kind": "budget", "adset_id": adset_id, "daily_budget_cents": cents},
        )

    def create_ad(
        self, token: Secret, account_id: str, adset_id: str, creative: AdCreativeInput
    ) -> Ad:
        _, market = self._open(token, account_id)
        now = clock.now()
        adset = market.adsets.get(adset_id)
        if adset is None or adset.created > now:
            raise AdsRejected(f"No {self.spec.adset_word} {adset_id} in ad account {account_id}.")
        if len(market.ads_in(adset_id, now)) >= self.spec.max_ads_per_adset:
            raise AdsRejected(
                f"This {self.spec.adset_word} already has {self.spec.max_ads_per_adset} ads."
            )
        made = self._mutate(
            account_id,
            lambda seq: {
                "kind": "ad",
                "ad_id": market.identity.object_id("ad", f"created-{seq}"),
                "adset_id": adset_id,
                "name": creative.name,
                "media_url": creative.media_url,
                "media_kind": creative.kind,
                "caption": creative.caption,
            },
        )
        return next(a for a in self.list_ads(token, account_id) if a.ad_id == made["ad_id"])

    def create_campaign(self, token: Secret, account_id: str, campaign: CampaignInput) -> Campaign:
        _, market = self._open(token, account_id)
        made = self._mutate(
            account_id,
            lambda seq: {
                "kind": "campaign",
                "campaign_id": market.identity.object_id("campaign", f"created-{seq}"),
                "name": campaign.name,
                "outcome": campaign.outcome,
                "daily_budget_cents": campaign.daily_budget_cents,
                "lifetime_budget_cents": campaign.lifetime_budget_cents,
                "status": campaign.status,
            },
        )
        created = made["campaign_id"]
        return next(c for c in self.list_campaigns(token, account_id) if c.campaign_id == created)


def _same(given: str, expected: str) -> bool:
    """A constant-time comparison that any text may be given to (codes come from URLs)."""
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode())


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _unb64(text: str) -> str:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return ""
