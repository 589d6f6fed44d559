"""Requests/s and p50/p99 latency of GET /v1/projects/:id and POST /v1/projects.

Both the Layers API (`layers api` on SQLite, authenticated, one transaction per request) and
a bare FastAPI app with endpoints of the same shape are started as uvicorn processes and
driven by the same load generator in the same run; the ratio is Layers / bare.

    .venv/bin/python bench/api_latency.py [--seconds 10] [--concurrency 16]

With ``--before SRC`` (the ``src`` directory of another checkout, e.g. a ``git worktree`` of an
earlier commit), it compares GET throughput before and after a change instead: a server from
each tree and the bare app, driven in turn in short bursts for ``--rounds`` rounds (the order
reversed every other round), so a machine whose speed drifts during the run slows all three
alike. It prints each one's median and the per-round ratio after / before, and the same for
the server process's CPU time per request (read from /proc: what a request costs, however
busy the machine is).

    .venv/bin/python bench/api_latency.py --before /tmp/before/src [--rounds 24]
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
    requests: int


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system, all threads) a process has used so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


BODY = {"name": "Bench Project", "timezone": "America/Los_Angeles"}


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
        requests=len(latencies) + 1,
    )


Server = tuple[subprocess.Popen[bytes], str, str, dict[str, str]]


def start_bare() -> Server:
    """The bare app: the process, its URL, a project's path, no auth."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "_bare_app:app", "--port", str(port), "--log-level",
         "warning", "--no-access-log"], cwd=ROOT / "bench", stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    wait_healthy(f"{url}/docs", process)
    return process, url, "/v1/projects/prj_1", {}


def start_layers(src: Path | None) -> Server:
    """A `layers api` on a fresh SQLite database (its code from `src` when given), a test key
    and a project: the process, its URL, the project's path and the auth header."""
    data_dir = Path(tempfile.mkdtemp(prefix="layers-bench-"))
    env = {**os.environ, "LAYERS_DATA_DIR": str(data_dir), "LAYERS_LOG_LEVEL": "WARNING"}
    env.pop("LAYERS_DATABASE_URL", None)
    env["LAYERS_RATE_LIMIT_SCALE"] = "1000"
    if src is not None:
        env["PYTHONPATH"] = str(src)
    python = sys.executable
    for command in (["migrate"], ["orgs", "create", "Bench"]):
        subprocess.run([python, "-m", "layers.cli.main", *command], env=env, check=True,
                       capture_output=True)  # fmt: skip
    key = subprocess.run(
        [python, "-m", "layers.cli.main", "keys", "create", "--test"], env=env, check=True,
        capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    port = free_port()
    process = subprocess.Popen(
        [python, "-m", "layers.cli.main", "api", "--port", str(port)], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    wait_healthy(f"{url}/healthz", process)
    auth = {"Authorization": f"Bearer {key}"}
    project = httpx.post(f"{url}/v1/projects", json=BODY, headers={**auth, "Idempotency-Key": "1"})
    return process, url, f"/v1/projects/{project.json()['id']}", auth


def compare(before: Path, rounds: int, concurrency: int) -> None:
    """GET throughput of this tree against `before`'s, in interleaved bursts of 3 s."""
    servers = {"before": start_layers(before), "after": start_layers(None), "bare": start_bare()}
    rps: dict[str, list[float]] = {name: [] for name in servers}
    cpu_us: dict[str, list[float]] = {name: [] for name in servers}
    try:
        for number in range(rounds):
            names = list(servers) if number % 2 == 0 else list(reversed(servers))
            for name in names:
                process, url, path, auth = servers[name]

                def headers(auth: dict[str, str] = auth) -> dict[str, str]:
                    return auth

                spent = cpu_seconds(process.pid)
                result = asyncio.run(drive("GET", url + path, headers, None, 3.0, concurrency))
                spent = cpu_seconds(process.pid) - spent
                rps[name].append(result.rps)
                cpu_us[name].append(spent / result.requests * 1e6)
            print(f"round {number + 1}/{rounds}", file=sys.stderr)
    finally:
        for process, *_ in servers.values():
            process.terminate()
            process.wait(timeout=10)
    print(f"GET /v1/projects/:id, {rounds} rounds of 3 s each, concurrency {concurrency}")
    for name, values in rps.items():
        spread = f"({min(values):.0f}–{max(values):.0f})"
        print(f"{name:<8}{statistics.median(values):>8.0f} req/s  {spread}")
    after_before = [a / b for a, b in zip(rps["after"], rps["before"], strict=True)]
    to_bare = {
        name: statistics.median([v / b for v, b in zip(rps[name], rps["bare"], strict=True)])
        for name in ("before", "after")
    }
    print(f"after / before, per round: median {statistics.median(after_before):.3f}")
    # The server's own CPU per request: what a request costs, whatever else the machine does.
    print("server CPU per request (µs): " + ", ".join(
        f"{name} {statistics.median(values):.0f}" for name, values in cpu_us.items()
    ))  # fmt: skip
    per_round = [a / b for a, b in zip(cpu_us["after"], cpu_us["before"], strict=True)]
    print(f"CPU per request, after / before, per round: median {statistics.median(per_round):.3f}")
    print(f"ratio to bare: before {to_bare['before']:.3f}, after {to_bare['after']:.3f} "
          f"({to_bare['after'] / to_bare['before']:.3f} of before)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--before", type=Path, help="the src/ of a checkout to compare with")
    parser.add_argument("--rounds", type=int, default=24)
    args = parser.parse_args()
    if args.before is not None:
        compare(args.before, args.rounds, args.concurrency)
        return

    # Limits and audit stay on (`start_layers`): every request takes its bucket hit and its
    # audit decision. The buckets are scaled so a 10 s run of 16 clients measures the check,
    # not its 429 answers.
    layers, layers_url, project_path, auth = start_layers(None)
    bare, bare_url, _, _ = start_bare()
    try:
        cases = [
            ("GET /v1/projects/:id", "GET", project_path, None),
            ("POST /v1/projects", "POST", "/v1/projects", BODY),
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
