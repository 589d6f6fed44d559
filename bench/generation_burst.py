"""A burst of video remixes against a real `layers up`, with a post due in the middle of it.

For each arm, a fresh ``layers up`` (SQLite in a temporary data dir) and, with one test key:

1. a test-mode project with a brief (its first influencer is drawn on the rendering queue),
   a sandbox TikTok account connected through the sandbox OAuth flow (posting
   automatically), and one slideshow generated and completed;
2. that slideshow scheduled to publish on the account during the burst;
3. ``--remixes`` video-remix requests (sources from the project's sandbox recommendations),
   sent by 8 clients at once.

While the burst runs the bench samples, every 200 ms from ``/proc``: the RSS of the server's
whole process tree (the server and every descendant: ffmpeg), and how many ffmpeg processes
are alive under it. When every remix has finished it reads how late the post was published.

The arms: the work classes as configured by default (``LAYERS_RENDER_CONCURRENCY`` unset: the
cores; one organization at most cores − 1), and the baseline ``LAYERS_RENDER_CONCURRENCY=16``
(what the old shared queue of 16 let one tenant start at once).

Targets (the default arm): peak RSS ≤ 1.5 GB, ffmpeg processes at once ≤ the render
concurrency, the post published within 60 s of its time.

**When the post is due.** Due posts are claimed by the dispatch tick
(``publishing.dispatch_due``, every ``LAYERS_PUBLISH_DISPATCH_SECONDS``, 10 s by default). The
bench schedules the post at the worst second: 1 s after a tick, at least ``--due-after``
seconds ahead, so its lateness counts the wait for the next tick (about 9 s) plus what the
burst adds (the claim, the publish queue, the publish).

    .venv/bin/python bench/generation_burst.py [--remixes 40] [--due-after 20] [--arms default,16]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

ROOT = Path(__file__).resolve().parents[1]
PAGE = os.sysconf("SC_PAGE_SIZE")
BRIEF = {
    "name": "Acme Coffee",
    "timezone": "UTC",
    "primaryLanguage": "en",
    "appName": "Acme Coffee",
    "appDescription": (
        "Daily ritual coffee subscriptions for runners and night-shift workers. Single-origin "
        "beans from named farms, roasted weekly, and shipped on a cadence that matches how you "
        "actually drink coffee."
    ),
    "tagline": "Coffee that shows up before you run out.",
    "brandVoice": "warm",
    "targetGender": "all",
}


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ---- the process tree, from /proc ----


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                stat = handle.read()
        except OSError:
            continue
        # The command name is in parentheses and may contain spaces: the ppid follows it.
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    return children


def tree(root: int) -> list[int]:
    children = _children_map()
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, []))
    return found


def rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as handle:
            return int(handle.read().split()[1]) * PAGE
    except OSError:
        return 0


def is_ffmpeg(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return b"ffmpeg" in handle.read()
    except OSError:
        return False


@dataclass
class TreeSampler:
    """Samples the tree under `root` every `interval` seconds until stopped."""

    root: int
    interval: float = 0.2
    peak_rss: int = 0
    peak_server_rss: int = 0
    peak_ffmpeg: int = 0
    samples: int = 0
    ffmpeg_samples: list[int] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            pids = tree(self.root)
            self.peak_rss = max(self.peak_rss, sum(rss_bytes(p) for p in pids))
            self.peak_server_rss = max(self.peak_server_rss, rss_bytes(self.root))
            ffmpeg = sum(1 for p in pids if is_ffmpeg(p))
            self.peak_ffmpeg = max(self.peak_ffmpeg, ffmpeg)
            self.ffmpeg_samples.append(ffmpeg)
            self.samples += 1


# ---- the server ----


@dataclass
class Server:
    base: str
    key: str
    process: subprocess.Popen[bytes]
    data_dir: Path

    def headers(self, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}", **extra}


def start_server(render_concurrency: int | None) -> Server:
    data_dir = Path(tempfile.mkdtemp(prefix="layers-burst-"))
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("LAYERS_RENDER_CONCURRENCY", "LAYERS_GENERATION_CONCURRENCY_PER_ORG")
    }
    port = free_port()
    env.update(
        {
            "LAYERS_DATA_DIR": str(data_dir),
            "LAYERS_LOG_LEVEL": "WARNING",
            "LAYERS_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
            "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
        }
    )
    env.pop("LAYERS_DATABASE_URL", None)  # SQLite in the data dir
    if render_concurrency is not None:
        env["LAYERS_RENDER_CONCURRENCY"] = str(render_concurrency)
    cli = [sys.executable, "-m", "layers.cli.main"]
    subprocess.run([*cli, "migrate"], env=env, check=True, capture_output=True)
    subprocess.run([*cli, "orgs", "create", "Burst"], env=env, check=True, capture_output=True)
    key = subprocess.run(
        [*cli, "keys", "create", "--test", "--allow-return-domain", "localhost"],
        env=env, check=True, capture_output=True, text=True,
    ).stdout.strip().splitlines()[-1]  # fmt: skip
    log = (data_dir / "server.log").open("wb")
    process = subprocess.Popen(
        [*cli, "up", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        if process.poll() is not None:
            raise SystemExit(f"server exited; see {data_dir / 'server.log'}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit("the server never answered")
        time.sleep(0.2)
    return Server(base, key, process, data_dir)


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


def wait_for(predicate: Any, timeout: float, every: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out after {timeout} s")
        time.sleep(every)


def ok(response: httpx.Response, status: int) -> Any:
    if response.status_code != status:
        raise SystemExit(f"{response.request.method} {response.request.url}: {response.text}")
    return response.json()


def prepare(server: Server, http: httpx.Client) -> dict[str, str]:
    """Project, ready influencer, connected sandbox account, one completed slideshow."""
    project = ok(http.post("/v1/projects", json=BRIEF, headers=server.headers()), 201)
    pid = project["id"]

    def ready_influencer() -> str | None:
        items = http.get(f"/v1/projects/{pid}/influencers", headers=server.headers()).json()
        found = [i for i in items["items"] if i["status"] == "ready"]
        return found[0]["influencerId"] if found else None

    influencer = wait_for(ready_influencer, 120)

    started = ok(
        http.post(
            f"/v1/projects/{pid}/social/oauth-url",
            json={"platform": "tiktok", "returnUrl": "http://localhost:5173/connected"},
            headers=server.headers(),
        ),
        200,
    )
    parts = urlsplit(started["authorizeUrl"])
    allowed = http.get(f"{parts.path}?{parts.query}&decision=allow", follow_redirects=False)
    assert allowed.status_code == 302, allowed.text
    back_url = urlsplit(allowed.headers["location"])
    back = http.get(f"{back_url.path}?{back_url.query}", follow_redirects=False)
    assert back.status_code == 302, back.text
    status = ok(
        http.get(
            f"/v1/projects/{pid}/social/oauth-status",
            params={"state": started["state"]},
            headers=server.headers(),
        ),
        200,
    )
    account = status["socialAccountId"]
    ok(
        http.patch(
            f"/v1/social-accounts/{account}",
            json={"postingMode": "automatic"},
            headers=server.headers(),
        ),
        200,
    )
    accepted = ok(
        http.post(
            f"/v1/projects/{pid}/content/slideshow-builder",
            json={"hook": "Coffee before the run\\nnot after"},
            headers=server.headers(),
        ),
        202,
    )
    wait_for(lambda: job_done(server, http, accepted["jobId"]), 120)
    sources = ok(
        http.get(
            f"/v1/projects/{pid}/content/source-recommendations",
            params={"kind": "video", "limit": 20},
            headers=server.headers(),
        ),
        200,
    )["items"]
    return {
        "project": pid,
        "influencer": influencer,
        "account": account,
        "container": accepted["containerId"],
        "sources": ",".join(item["tiktokId"] for item in sources),
    }


def job_done(server: Server, http: httpx.Client, job_id: str) -> dict[str, Any] | None:
    job = http.get(f"/v1/jobs/{job_id}", headers=server.headers()).json()
    return job if job["status"] != "running" else None


DISPATCH_SECONDS = 10  # the default dispatch tick


def due_time(after: float) -> datetime:
    """1 s after the first dispatch tick at least `after` seconds from now (the worst time)."""
    earliest = datetime.now(UTC) + timedelta(seconds=after)
    tick = earliest.replace(
        second=earliest.second - earliest.second % DISPATCH_SECONDS, microsecond=0
    )
    if tick < earliest:
        tick += timedelta(seconds=DISPATCH_SECONDS)
    return tick + timedelta(seconds=1)


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@dataclass
class Result:
    render_concurrency: str
    peak_rss_mb: float
    peak_ffmpeg: int
    lateness_s: float
    burst_s: float
    completed: int
    failed: int


def run_arm(render_concurrency: int | None, remixes: int, due_after: float) -> Result:
    server = start_server(render_concurrency)
    try:
        with httpx.Client(base_url=server.base, timeout=60) as http:
            made = prepare(server, http)
            scheduled_for = due_time(due_after)
            scheduled = ok(
                http.post(
                    f"/v1/content/{made['container']}/schedule",
                    json={
                        "scheduledFor": scheduled_for.isoformat().replace("+00:00", "Z"),
                        "targets": [{"socialAccountId": made["account"], "mode": "publish"}],
                    },
                    headers=server.headers(),
                ),
                201,
            )
            post_id = scheduled["scheduledPostIds"][0]
            sampler = TreeSampler(server.process.pid)
            sampler.start()
            sources = made["sources"].split(",")
            started = time.perf_counter()
            burst_began = datetime.now(UTC)

            def remix(index: int) -> str:
                body = {"tiktokVideoId": sources[index % len(sources)],
                        "influencerId": made["influencer"]}  # fmt: skip
                response = http.post(
                    f"/v1/projects/{made['project']}/content/video-remix",
                    json=body,
                    headers=server.headers(**{"Idempotency-Key": str(uuid.uuid4())}),
                )
                return str(ok(response, 202)["jobId"])

            with ThreadPoolExecutor(max_workers=8) as pool:
                jobs = list(pool.map(remix, range(remixes)))
            accepted_s = time.perf_counter() - started
            finished: dict[str, dict[str, Any]] = {}
            published: dict[str, Any] = {}

            def all_done() -> bool:
                for job_id in jobs:
                    if job_id not in finished:
                        job = job_done(server, http, job_id)
                        if job is not None:
                            finished[job_id] = job
                post = http.get(f"/v1/scheduled-posts/{post_id}", headers=server.headers())
                body = post.json()
                if body["status"] in ("published", "failed", "canceled") and not published:
                    published.update(body)
                return len(finished) == len(jobs) and bool(published)

            wait_for(all_done, 1800, every=1.0)
            burst_s = time.perf_counter() - started
            sampler.stop()
        if published["status"] != "published":
            raise SystemExit(f"the post was not published: {published}")
        lateness = (parse_time(published["publishedAt"]) - scheduled_for).total_seconds()
        due_into = (scheduled_for - burst_began).total_seconds()
        completed = sum(1 for job in finished.values() if job["status"] == "completed")
        label = str(render_concurrency) if render_concurrency else f"default ({os.cpu_count()})"
        print(
            f"  render concurrency {label}: {remixes} remixes accepted in {accepted_s:.1f} s, "
            f"all finished in {burst_s:.0f} s ({completed} completed); peak RSS of the tree "
            f"{sampler.peak_rss / 2**20:.0f} MB (the server process alone "
            f"{sampler.peak_server_rss / 2**20:.0f} MB); ffmpeg at once max "
            f"{sampler.peak_ffmpeg}; the post, due {due_into:.0f} s into the burst, published "
            f"{lateness:.1f} s after its time",
            flush=True,
        )
        return Result(
            label,
            sampler.peak_rss / 2**20,
            sampler.peak_ffmpeg,
            lateness,
            burst_s,
            completed,
            len(jobs) - completed,
        )
    finally:
        stop_server(server)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--remixes", type=int, default=40)
    parser.add_argument("--due-after", type=float, default=20.0)
    parser.add_argument("--arms", default="default,16", help="render concurrencies to compare")
    args = parser.parse_args()
    cores = os.cpu_count() or 2
    print(f"{args.remixes} video remixes from one test key, SQLite, {cores} cores")
    results = []
    for arm in args.arms.split(","):
        concurrency = None if arm == "default" else int(arm)
        results.append(run_arm(concurrency, args.remixes, args.due_after))
    if len(results) == 2:
        new, old = results
        print(
            f"default / baseline: peak RSS {new.peak_rss_mb:.0f} / {old.peak_rss_mb:.0f} MB "
            f"(ratio {new.peak_rss_mb / old.peak_rss_mb:.2f}); ffmpeg at once {new.peak_ffmpeg}"
            f" / {old.peak_ffmpeg}; post late {new.lateness_s:.1f} / {old.lateness_s:.1f} s; "
            f"burst {new.burst_s:.0f} / {old.burst_s:.0f} s (ratio {new.burst_s / old.burst_s:.2f})"
        )
    first = results[0]
    if first.render_concurrency.startswith("default"):
        checks = [
            ("peak RSS ≤ 1.5 GB", first.peak_rss_mb <= 1536),
            (f"ffmpeg at once ≤ render concurrency ({cores})", first.peak_ffmpeg <= cores),
            ("post published within 60 s", first.lateness_s <= 60),
        ]
        for name, passed in checks:
            print(f"  {name}: {'pass' if passed else 'FAIL'}")


if __name__ == "__main__":
    main()
