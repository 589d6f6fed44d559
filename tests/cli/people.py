"""What the CLI tests do in place of a person: run `layers` as a subprocess, and consent on the
sandbox OAuth page when a command asks for it."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.support import REPO, layers_command

SANDBOX_CONSENT = "/sandbox/oauth/"


@dataclass
class Result:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    consented: list[str] = field(default_factory=list)  # where the "person" landed

    def json(self) -> Any:
        assert self.returncode == 0, self.describe()
        return json.loads(self.stdout)

    def describe(self) -> str:
        return f"$ {' '.join(self.args)}\nexit {self.returncode}\n{self.stdout}\n{self.stderr}"


def consent(url: str, handle: str, decision: str = "allow") -> str:
    """The person on the sandbox consent page clicks Allow (as `handle`) or Deny; the browser
    follows the redirects to the server's callback and then to the return page. Where it
    landed."""
    query = f"&decision={decision}&handle={handle}"
    landed = httpx.get(url + query, follow_redirects=True, timeout=30)
    assert landed.status_code == 200, landed.text
    return str(landed.url)


def run(
    *args: str,
    env: dict[str, str],
    handle: str = "acme.runs",
    decision: str = "allow",
    timeout: float = 300,
) -> Result:
    """`layers *args`; when it prints a sandbox consent URL on stderr, consent on it."""
    clean = {k: v for k, v in os.environ.items() if k not in ("LAYERS_API_KEY", "LAYERS_BASE_URL")}
    clean.pop("DISPLAY", None)  # never open a browser from a test
    clean.pop("WAYLAND_DISPLAY", None)
    process = subprocess.Popen(
        layers_command(*args), cwd=REPO, env={**clean, **env, "PYTHONUNBUFFERED": "1"},
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout is not None and process.stderr is not None
    stdout: list[str] = []
    pipe = process.stdout
    reader = threading.Thread(target=lambda: stdout.append(pipe.read()), daemon=True)
    reader.start()
    stderr: list[str] = []
    landed: list[str] = []
    timer = threading.Timer(timeout, process.kill)
    timer.start()
    try:
        for line in process.stderr:
            stderr.append(line)
            text = line.strip()
            if text.startswith("http") and SANDBOX_CONSENT in text:
                landed.append(consent(text, handle, decision))
        process.wait()
    finally:
        timer.cancel()
    reader.join(timeout=10)
    return Result(list(args), process.returncode, "".join(stdout), "".join(stderr), landed)


def ok(result: Result) -> Result:
    assert result.returncode == 0, result.describe()
    return result
