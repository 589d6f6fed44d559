"""One ad-optimize over 1,000 ads in 100 adsets: its time and its database writes.

The sandbox ads market plants a fixed small account (12 ads in 4 adsets); for the bench its
planted structure (`layers.ads.platforms.sandbox_market.CAMPAIGNS / ADSETS / ADS`) is sized up
to `--campaigns` campaigns, `--adsets` adsets and `--ads` ads, made of the same kinds of ad as
the planted ones (top performer, healthy, underperforming, fatigued, critical, young,
learning…, cycled), so every class occurs at scale. Everything else is the production path
through HTTP on the session's app with its durable workers: connect a sandbox ad account
(OAuth), install ``meta-ad-manager`` (authority ``auto`` on every axis, so decisions
dispatch), move a manual clock ten days, then ``POST …/ads/optimizer/run`` and wait for the run.

Measured from the POST to the run's ``completed``: wall time, and the statements the app's
engine executed (a SQLAlchemy ``before_cursor_execute`` listener): writes (INSERT / UPDATE /
DELETE, an executemany counted once, with the rows it carried) and reads. The DBOS system
database (its own engine) is not counted.

    .venv/bin/python bench/ad_optimize.py [--ads 1000] [--adsets 100] [--campaigns 10]
    .venv/bin/python bench/ad_optimize.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test_c
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import traceback
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import sqlalchemy as sa
from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from _scratch import scratch_postgres  # noqa: E402

from layers import wiring  # noqa: E402
from layers.ads.platforms import sandbox_market as market  # noqa: E402
from layers.app import create_app  # noqa: E402
from layers.kit import clock  # noqa: E402
from layers.kit import db as kit_db  # noqa: E402
from layers.kit.migrate import migrate  # noqa: E402
from layers.kit.settings import Settings, set_settings  # noqa: E402
from layers.orgs import service as orgs  # noqa: E402

KINDS = [ad for ad in market.ADS if ad.adset in ("evergreen", "scaling")]
"""The planted ads of the old adsets: their latents and ages make every class."""


def size_up(campaigns: int, adsets: int, ads: int) -> None:
    """Replace the market's planted structure (read when a market is built) with a big one."""
    market.CAMPAIGNS = tuple(
        market.PlantedCampaign(f"c{i}", f"Campaign {i:03d}", "app_installs")
        for i in range(campaigns)
    )
    market.ADSETS = tuple(
        market.PlantedAdset(f"s{j}", f"c{j % campaigns}", f"Adset {j:03d}", -30, 20_000)
        for j in range(adsets)
    )
    planted = []
    for k in range(ads):
        kind = KINDS[k % len(KINDS)]
        planted.append(
            market.PlantedAd(
                f"{kind.role}-{k}",
                f"s{k % adsets}",
                f"{kind.name} #{k}",
                kind.created_days,
                kind.latents,
            )
        )
    market.ADS = tuple(planted)


class Statements:
    """Counts the statements the app's engine runs while `on`."""

    def __init__(self, engine: sa.Engine) -> None:
        self.on = False
        self.kinds: Counter[str] = Counter()
        self.tables: Counter[str] = Counter()
        self.rows = 0
        sa.event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(
        self, conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        if not self.on:
            return
        verb = statement.lstrip().split(None, 1)[0].upper()
        self.kinds[verb] += 1
        if verb in ("INSERT", "UPDATE", "DELETE"):
            self.rows += len(params) if many and isinstance(params, list | tuple) else 1
            words = statement.split(None, 4)
            table = words[2] if verb in ("INSERT", "DELETE") else words[1]
            self.tables[verb + " " + table.strip('"')] += 1

    @property
    def writes(self) -> int:
        return sum(self.kinds[v] for v in ("INSERT", "UPDATE", "DELETE"))


def run(args: argparse.Namespace, database_url: str | None) -> None:
    settings = Settings(
        data_dir=Path(tempfile.mkdtemp(prefix="layers-bench-")),
        database_url=database_url,
        public_base_url="http://testserver",
        api_key_pepper="bench",
        session_secret="bench",
        queue_polling_interval=0.05,
    )
    set_settings(settings)
    migrate(settings)
    kit_db.configure(settings.resolved_database_url)
    size_up(args.campaigns, args.adsets, args.ads)
    manual = clock.ManualClock(datetime.now(UTC).replace(second=0, microsecond=0))
    clock.use_clock(manual)
    wiring.launch_workers(settings)
    database = kit_db.get_database()
    counter = Statements(database.engine)
    with database.transaction() as session:
        org = orgs.create_organization(session, "Bench")
        _, token = orgs.create_api_key(
            session, org, livemode=False, name="bench", scopes=["*"],
            allowed_return_domains=["localhost"],
        )  # fmt: skip
    headers = {"Authorization": f"Bearer {token}"}
    client = TestClient(create_app(settings))
    project = client.post(
        "/v1/projects", json={"name": "Ads bench", "timezone": "UTC"}, headers=headers
    ).json()["id"]
    started = client.post(
        f"/v1/projects/{project}/ads/ad-accounts/oauth-url",
        json={"platform": "meta_ads", "returnUrl": "http://localhost/connected"},
        headers=headers,
    ).json()
    url = urlsplit(started["authorizeUrl"])
    back = client.get(f"{url.path}?{url.query}", follow_redirects=False)
    account = parse_qs(urlsplit(back.headers["location"]).query)["accountId"][0]
    layer = client.post(
        f"/v1/projects/{project}/layers",
        json={
            "templateId": "meta-ad-manager",
            "config": {
                "adAccountId": account,
                "targetCpaCents": 400,
                "authority": {"creative": "auto", "tactical": "auto", "structural": "auto"},
            },
        },
        headers=headers,
    ).json()
    assert "id" in layer, layer
    layer_id = layer["id"]
    install_started = time.perf_counter()
    while (
        client.get(f"/v1/layers/{layer_id}", headers=headers).json().get("status") == "installing"
    ):
        time.sleep(1.0)  # the read-light rate limit: 120 a minute
    install_s = time.perf_counter() - install_started
    installed = client.get(f"/v1/layers/{layer_id}", headers=headers).json()
    assert installed.get("status") == "active", installed
    manual.advance(timedelta(days=10))
    print(f"database: {database.dialect}; {args.ads} ads in {args.adsets} adsets, "
          f"{args.campaigns} campaigns (install + first sync {install_s:.1f} s)")  # fmt: skip

    counter.on = True
    began = time.perf_counter()
    accepted = client.post(
        f"/v1/projects/{project}/ads/optimizer/run",
        json={"layerId": layer_id, "platform": "meta_ads", "dryRun": args.dry_run},
        headers=headers,
    ).json()
    # Polled on an engine of its own, so the counter sees the run's statements only.
    watcher = sa.create_engine(kit_db.normalize_url(settings.resolved_database_url))
    query = sa.text("SELECT status FROM ad_optimizer_runs WHERE run_id = :id")
    while True:
        with watcher.connect() as conn:
            state = conn.scalar(query, {"id": accepted["runId"]})
        if state in ("completed", "failed"):
            break
        time.sleep(0.05)
    elapsed = time.perf_counter() - began
    counter.on = False
    watcher.dispose()
    path = f"/v1/projects/{project}/ads/optimizer/runs/{accepted['runId']}"
    body = client.get(path, headers=headers).json()
    decisions = body["decisions"]
    actions = Counter(d["action"] for d in decisions)
    classes = Counter(d["class"] for d in decisions if d["class"] and d["subjectType"] == "ad")
    print(f"ad-optimize {body['status']} in {elapsed:.2f} s; {len(decisions)} decisions "
          f"({', '.join(f'{k} {v}' for k, v in sorted(actions.items()))})")  # fmt: skip
    print("classes: " + ", ".join(f"{k} {v}" for k, v in sorted(classes.items())))
    print(f"database writes: {counter.writes} statements ({counter.rows} rows) — "
          + ", ".join(f"{v} {counter.kinds[v]}" for v in ("INSERT", "UPDATE", "DELETE"))
          + f"; reads: {counter.kinds['SELECT']}")  # fmt: skip
    print("writes by table: " + ", ".join(f"{k} {v}" for k, v in counter.tables.most_common(8)))
    print(f"summary: {body['summary']}")
    os._exit(0)  # DBOS's threads would keep the process alive


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ads", type=int, default=1000)
    parser.add_argument("--adsets", type=int, default=100)
    parser.add_argument("--campaigns", type=int, default=10)
    parser.add_argument("--dry-run", action="store_true", help="decide and record only")
    parser.add_argument("--postgres", help="run on a scratch database next to this one")
    args = parser.parse_args()
    try:
        if args.postgres:
            with scratch_postgres(args.postgres, "adopt") as url:
                run(args, url)
        else:
            run(args, os.environ.get("LAYERS_DATABASE_URL"))
    except BaseException:
        traceback.print_exc()
        os._exit(1)  # DBOS's threads would keep the process alive


if __name__ == "__main__":
    main()
