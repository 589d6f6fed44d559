"""Requests/s and p50/p99 latency of GET /v1/projects/:id and POST /v1/projects.

Both the Layers API (`layers api` on SQLite, authenticated, one transaction per request) and
a bare FastAPI app with endpoints of the same shape are started as uvicorn processes and
driven by the same load generator in the same run; the ratio is Layers / bare.

    .venv/bin/python bench/api_latency.py [--seconds 10] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.time() + 60
    while time.time() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} never answered")


async def drive(
    method: str,
    url: str,
    headers: Callable[[], dict[str, str]],
    body: dict[str, str] | None,
    seconds: float,
    concurrency: int,
) -> Result:
    """`concurrency` clients sending back to back for `seconds`; headers made per request."""
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            response = await client.request(method, url, headers=headers(), json=body)
            latencies.append(time.perf_counter() - started)
            if response.status_code >= 400:
                errors += 1

    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        await client.request(method, url, headers=headers(), json=body)  # warm up
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return Result(
        rps=len(latencies) / elapsed,
        p50_ms=statistics.median(latencies) * 1000,
        p99_ms=latencies[int(len(latencies) * 0.99) - 1] * 1000,
        errors=errors,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="layers-bench-"))
    env = {**os.environ, "LAYERS_DATA_DIR": str(data_dir), "LAYERS_LOG_LEVEL": "WARNING"}
    env.pop("LAYERS_DATABASE_URL", None)
    # Limits and audit stay on: every request takes its bucket hit and its audit decision. The
    # buckets are scaled so a 10 s run of 16 clients measures the check, not its 429 answers.
    env["LAYERS_RATE_LIMIT_SCALE"] = "1000"
    python = sys.executable
    # Keys and a project to read, made through the CLI and the API like a user would.
    subprocess.run([python, "-m", "layers.cli.main", "migrate"], env=env, check=True,
                   capture_output=True)  # fmt: skip
    subprocess.run([python, "-m", "layers.cli.main", "orgs", "create", "Bench"], env=env,
                   check=True, capture_output=True)  # fmt: skip
    key = subprocess.run(
        [python, "-m", "layers.cli.main", "keys", "create", "--test"], env=env, check=True,
        capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip

    layers_port, bare_port = free_port(), free_port()
    layers = subprocess.Popen(
        [python, "-m", "layers.cli.main", "api", "--port", str(layers_port)], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    bare = subprocess.Popen(
        [python, "-m", "uvicorn", "_bare_app:app", "--port", str(bare_port), "--log-level",
         "warning", "--no-access-log"], cwd=ROOT / "bench", stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        layers_url, bare_url = f"http://127.0.0.1:{layers_port}", f"http://127.0.0.1:{bare_port}"
        wait_healthy(f"{layers_url}/healthz", layers)
        wait_healthy(f"{bare_url}/docs", bare)
        auth = {"Authorization": f"Bearer {key}"}
        body = {"name": "Bench Project", "timezone": "America/Los_Angeles"}
        project = httpx.post(f"{layers_url}/v1/projects", json=body, headers=auth).json()
        cases = [
            ("GET /v1/projects/:id", "GET", f"/v1/projects/{project['id']}", None),
            ("POST /v1/projects", "POST", "/v1/projects", body),
        ]
        print(f"{args.seconds:.0f}s per case, concurrency {args.concurrency}, SQLite, test key")
        print(f"{'case':<24}{'server':<8}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
        for label, method, path, payload in cases:
            results = {}
            for name, base, auth_headers in (("bare", bare_url, {}), ("layers", layers_url, auth)):

                def headers(
                    auth_headers: dict[str, str] = auth_headers, method: str = method
                ) -> dict[str, str]:
                    # a fresh Idempotency-Key on every POST, as clients should send
                    if method == "POST":
                        return {**auth_headers, "Idempotency-Key": str(uuid.uuid4())}
                    return auth_headers

                results[name] = asyncio.run(
                    drive(method, base + path, headers, payload, args.seconds, args.concurrency)
                )
                r = results[name]
                print(
                    f"{label:<24}{name:<8}{r.rps:>9.0f}{r.p50_ms:>9.1f}{r.p99_ms:>9.1f}"
                    f"{r.errors:>8}"
                )
            ratio_rps = results["layers"].rps / results["bare"].rps
            ratio_p50 = results["layers"].p50_ms / results["bare"].p50_ms
            ratio_p99 = results["layers"].p99_ms / results["bare"].p99_ms
            print(f"{label:<24}{'ratio':<8}{ratio_rps:>9.2f}{ratio_p50:>9.2f}{ratio_p99:>9.2f}"
                  "   (layers / bare)")  # fmt: skip
    finally:
        for process in (layers, bare):
            process.terminate()
            process.wait(timeout=10)


if __name__ == "__main__":
    main()
