"""Plain helper functions for tests: factories, waiting, processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa

from layers.kit import clock
from layers.kit import db as kit_db
from layers.kit.clock import ManualClock
from layers.orgs import service as orgs

T = TypeVar("T")
REPO = Path(__file__).resolve().parents[1]

ACME = {
    "name": "Acme Coffee",
    "customerExternalId": "acme-coffee",
    "timezone": "America/Los_Angeles",
    "primaryLanguage": "en",
    "appName": "Acme Coffee",
    "appDescription": (
        "Daily ritual coffee subscriptions for runners and night-shift workers. Single-origin "
        "beans from named farms, roasted weekly, and shipped on a cadence that matches how you "
        "actually drink coffee — so the bag never goes stale and you never run out before a "
        "hard workout."
    ),
    "tagline": "Coffee that shows up before you run out.",
    "brandVoice": "warm",
    "targetGender": "all",
}


@dataclass(frozen=True)
class Tenant:
    org_id: str
    live: str
    test: str

    def headers(self, *, test: bool = False, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.test if test else self.live}", **extra}


def new_tenant(name: str = "Test org", scopes: list[str] | None = None) -> Tenant:
    with kit_db.get_database().transaction() as session:
        org = orgs.create_organization(session, name)
        _, live = orgs.create_api_key(
            session,
            org,
            livemode=True,
            name="live",
            scopes=scopes or ["*"],
            allowed_return_domains=["localhost"],
        )
        _, test = orgs.create_api_key(
            session,
            org,
            livemode=False,
            name="test",
            scopes=scopes or ["*"],
            allowed_return_domains=["localhost"],
        )
        return Tenant(org.id, live, test)


def key_with_scopes(tenant: Tenant, scopes: list[str], *, test: bool = False) -> str:
    with kit_db.get_database().transaction() as session:
        org = session.get(orgs.Organization, tenant.org_id)
        assert org is not None
        _, token = orgs.create_api_key(
            session, org, livemode=not test, name="scoped", scopes=scopes
        )
        return token


def idempotency_key() -> str:
    return str(uuid.uuid4())


def wait_for(predicate: Callable[[], T | None], timeout: float = 20.0, every: float = 0.05) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(every)


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert error["code"] == code, error
    assert error["requestId"] == response.headers["x-request-id"]
    assert error["requestId"].startswith("req_")
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["details"], dict)
    return error


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def scratch_postgres_database(base_url: str) -> Iterator[str]:
    url = sa.make_url(kit_db.normalize_url(base_url))
    name = f"layers_scratch_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
                ),
                {"n": name},
            )
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@dataclass
class ServerProcess:
    process: subprocess.Popen[str]
    port: int
    output: list[str]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            self.process.wait(timeout=30)

    def keys(self) -> tuple[str, str]:
        live = next(line for line in self.output if line.startswith("lp_live_"))
        test = next(line for line in self.output if line.startswith("lp_test_"))
        return live, test


@contextmanager
def manual_time(start: datetime) -> Iterator[ManualClock]:
    """A manual clock for the whole process, with the background scheduler ticks held (so the
    wall-clock tick does not race a test that calls `layers.engine.scheduler.tick` itself)."""
    from layers.engine import scheduler

    manual = ManualClock(start)
    previous = clock.use_clock(manual)
    try:
        with scheduler.background_paused():
            yield manual
    finally:
        clock.use_clock(previous)


def start_server(
    command: list[str], env: dict[str, str], port: int, *, cwd: Path = REPO
) -> ServerProcess:
    """Start a server in its own process group and wait until /healthz answers."""
    import threading

    import httpx

    full_env = {**os.environ, **env, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output: list[str] = []

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line.rstrip("\n"))

    threading.Thread(target=pump, daemon=True).start()
    server = ServerProcess(process, port, output)

    def healthy() -> bool:
        if process.poll() is not None:
            raise AssertionError("server exited:\n" + "\n".join(output[-40:]))
        try:
            return httpx.get(f"{server.base_url}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    wait_for(healthy, timeout=90, every=0.2)
    return server


@contextmanager
def layers_up(data_dir: Path, database_url: str, **env: str) -> Iterator[ServerProcess]:
    """A real ``layers up`` on a free port with a data dir and database of its own (media URLs
    signed for that port, quiet logs; `env` adds or overrides ``LAYERS_*`` settings), killed
    when the block ends."""
    port = free_port()
    base = {
        "LAYERS_DATA_DIR": str(data_dir),
        "LAYERS_DATABASE_URL": database_url,
        "LAYERS_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "LAYERS_LOG_LEVEL": "WARNING",
    }
    process = start_server(layers_command("up", "--port", str(port)), {**base, **env}, port)
    try:
        yield process
    finally:
        process.kill()


def artifacts_dir(tmp_path: Path, name: str) -> Path:
    """Where a browser test saves its screenshots: ``$LAYERS_TEST_ARTIFACTS/<name>``, else the
    test's tmp dir."""
    base = os.environ.get("LAYERS_TEST_ARTIFACTS")
    path = Path(base) / name if base else tmp_path / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


def layers_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "layers.cli.main", *args]


def start_worker(executor_id: str, env: dict[str, str], *, cwd: Path = REPO) -> ServerProcess:
    """Start `layers worker` (no HTTP) in its own process group; wait until it runs."""
    import threading

    full_env = {**os.environ, **env, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        layers_command("worker", "--executor-id", executor_id),
        cwd=cwd,
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output: list[str] = []

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line.rstrip("\n"))

    threading.Thread(target=pump, daemon=True).start()

    def running() -> bool:
        if process.poll() is not None:
            raise AssertionError("worker exited:\n" + "\n".join(output[-40:]))
        return any(line.startswith(f"worker {executor_id} running") for line in output)

    wait_for(running, timeout=90, every=0.2)
    return ServerProcess(process, 0, output)


def new_social_account(
    project_id: str,
    *,
    platform: str = "tiktok",
    status: str = "connected",
    handle: str = "acme.coffee",
) -> str:
    """A connected social account of the project, through the real connect service with a
    made-up grant (no OAuth dance), posting automatically."""
    from layers.models.social import SocialAccount
    from tests.social.helpers import make_account

    account_id = make_account(
        project_id, platform=platform, handle=handle, posting_mode="automatic"
    )
    if status != "connected":
        with kit_db.get_database().transaction() as session:
            account = session.get(SocialAccount, account_id)
            assert account is not None
            account.status = status
    return account_id


def wait_for_job(client: Any, job_id: str, headers: dict[str, str], timeout: float = 60) -> Any:
    """The job once it is no longer running."""

    def done() -> Any:
        body = client.get(f"/v1/jobs/{job_id}", headers=headers).json()
        return body if body["status"] != "running" else None

    return wait_for(done, timeout=timeout, every=0.1)


def ready_influencer(client: Any, project_id: str, headers: dict[str, str]) -> str:
    def ready() -> str | None:
        items = client.get(f"/v1/projects/{project_id}/influencers", headers=headers).json()
        found = [i for i in items["items"] if i["status"] == "ready"]
        return found[0]["influencerId"] if found else None

    return wait_for(ready, timeout=60)


@dataclass
class Served:
    """One canned response of `FakeOrigin`: a body, sent in chunks, with a pause after each."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] | None = None
    chunk: int = 64 * 1024
    pause: float = 0.0
    content_length: bool = True


class FakeOrigin:
    """A local HTTP server standing in for a partner's CDN: serves canned responses by path,
    records each request's Host header, and counts the body bytes it managed to send."""

    def __init__(self) -> None:
        import http.server
        import threading

        self.routes: dict[str, Served] = {}
        self.sent: dict[str, int] = {}
        self.hosts: list[str] = []
        origin = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                origin.hosts.append(self.headers.get("Host", ""))
                served = origin.routes.get(self.path.split("?")[0]) or Served(b"nope", 404)
                self.send_response(served.status)
                for name, value in (served.headers or {}).items():
                    self.send_header(name, value)
                if served.content_length:
                    self.send_header("Content-Length", str(len(served.body)))
                else:
                    self.send_header("Connection", "close")
                self.end_headers()
                sent = 0
                try:
                    for start in range(0, len(served.body), served.chunk):
                        self.wfile.write(served.body[start : start + served.chunk])
                        self.wfile.flush()
                        sent += len(served.body[start : start + served.chunk])
                        origin.sent[self.path] = sent
                        if served.pause:
                            time.sleep(served.pause)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                finally:
                    origin.sent[self.path] = sent
                if not served.content_length:
                    self.close_connection = True

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str, host: str = "cdn.partner.example") -> str:
        return f"http://{host}:{self.port}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def png_bytes(size: tuple[int, int] = (64, 64), color: str = "orange") -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()
