"""Completed 3-activity command runs per second through the execute API path.

For each database (SQLite, and PostgreSQL with ``--postgres``), on a fresh database:

* Layers: ``layers up`` (API and worker in one process) with a template of one command made of
  three small activities; ``--concurrency`` clients POST ``/api/project-layers/{id}/execute``
  (each with its Idempotency-Key) until ``--runs`` runs were accepted; the rate is runs / time
  from the first request until the last run completed. Every run is recorded: the run row,
  its three activities (input, output, attempts), its log lines.
* Baseline, measured in the same run: a bare DBOS workflow of three trivial steps enqueued
  from as many threads on a queue of the same concurrency, in one process, on a fresh database
  of the same kind with the same settings (``_bare_dbos.py``).

    .venv/bin/python bench/engine_throughput.py [--runs 300] [--concurrency 8]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test_c]

On PostgreSQL each measurement gets a scratch database next to the one given
(``test_c`` → ``test_c_bench_<hex>``), dropped afterwards.
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
from pathlib import Path

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
sys.path.insert(0, str(BENCH))

from _scratch import fresh_database  # noqa: E402

WORKER_CONCURRENCY = 16


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.time() + 90
    while time.time() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} never answered")


def completed_runs(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                sa.text(
                    "SELECT count(*) FROM layer_runs "
                    "WHERE status = 'completed' AND command_id = 'go'"
                )
            ).scalar_one()
        )


async def drive(url: str, key: str, runs: int, concurrency: int) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors = 0
    remaining = runs
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def client_loop(client: httpx.AsyncClient) -> None:
        nonlocal remaining, errors
        while remaining > 0:
            remaining -= 1
            headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": str(uuid.uuid4())}
            started = time.perf_counter()
            response = await client.post(url, json={"commandId": "go"}, headers=headers)
            latencies.append(time.perf_counter() - started)
            if response.status_code != 202:
                errors += 1

    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        await asyncio.gather(*(client_loop(client) for _ in range(concurrency)))
    return latencies, errors


def measure_layers(url: str, runs: int, concurrency: int) -> tuple[float, float, int]:
    data_dir = Path(tempfile.mkdtemp(prefix="layers-bench-data-"))
    env = {
        **os.environ,
        "LAYERS_DATA_DIR": str(data_dir),
        "LAYERS_DATABASE_URL": url,
        "LAYERS_LOG_LEVEL": "WARNING",
        "LAYERS_EXTRA_TEMPLATES": "_engine_template",
        "LAYERS_WORKER_CONCURRENCY": str(WORKER_CONCURRENCY),
        "PYTHONPATH": os.pathsep.join([str(BENCH), os.environ.get("PYTHONPATH", "")]),
    }
    python = sys.executable
    cli = [python, "-m", "layers.cli.main"]
    subprocess.run([*cli, "migrate"], env=env, check=True, capture_output=True)
    subprocess.run([*cli, "orgs", "create", "Bench"], env=env, check=True, capture_output=True)
    key = subprocess.run(
        [*cli, "keys", "create", "--test"], env=env, check=True, capture_output=True, text=True
    ).stdout.strip()
    port = free_port()
    server = subprocess.Popen(
        [*cli, "up", "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    engine = sa.create_engine(url)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_healthy(f"{base}/healthz", server)
        auth = {"Authorization": f"Bearer {key}"}
        project = httpx.post(
            f"{base}/v1/projects", json={"name": "Bench", "timezone": "UTC"}, headers=auth
        ).json()
        layer = httpx.post(
            f"{base}/v1/projects/{project['id']}/layers",
            json={"templateId": "bench-three"},
            headers=auth,
        ).json()
        execute_url = f"{base}/api/project-layers/{layer['id']}/execute"
        httpx.post(execute_url, json={"commandId": "go"}, headers=auth)  # warm up
        while completed_runs(engine) < 1:
            time.sleep(0.05)
        started = time.perf_counter()
        latencies, errors = asyncio.run(drive(execute_url, key, runs, concurrency))
        accepted = time.perf_counter() - started
        print(f"  {kind_of(url)}: {runs} executes accepted in {accepted:.1f}s", file=sys.stderr)
        while completed_runs(engine) < runs + 1 - errors:
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        return (runs - errors) / elapsed, statistics.median(latencies) * 1000, errors
    finally:
        engine.dispose()
        server.terminate()
        server.wait(timeout=30)


def kind_of(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def measure_bare(url: str, runs: int, concurrency: int) -> float:
    output = subprocess.run(
        [sys.executable, str(BENCH / "_bare_dbos.py"), url, str(runs), str(concurrency),
         str(WORKER_CONCURRENCY)],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return float(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--postgres", help="a database URL; scratch databases are made next to it")
    args = parser.parse_args()
    kinds = ["sqlite"] + (["postgresql"] if args.postgres else [])
    print(f"{args.runs} runs, {args.concurrency} clients, worker concurrency {WORKER_CONCURRENCY}")
    print(
        f"{'database':<12}{'layers runs/s':>15}{'bare wf/s':>12}{'ratio':>8}{'execute p50 ms':>16}"
    )
    for kind in kinds:
        with fresh_database(kind, args.postgres) as url:
            layers_rate, p50, errors = measure_layers(url, args.runs, args.concurrency)
        with fresh_database(kind, args.postgres) as url:
            bare_rate = measure_bare(url, args.runs, args.concurrency)
        note = f"   ({errors} errors)" if errors else ""
        print(
            f"{kind:<12}{layers_rate:>15.1f}{bare_rate:>12.1f}{layers_rate / bare_rate:>8.2f}"
            f"{p50:>16.1f}{note}"
        )


if __name__ == "__main__":
    main()
