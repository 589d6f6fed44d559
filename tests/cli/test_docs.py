"""Every example in docs/cli.md runs, in the order of the page, against a real `layers up`
server with a test key.

The examples are the fenced ```console blocks; in them, a line starting with ``$ layers`` is a
command (a trailing ``\\`` continues it on the next line) and every other line is sample output.
Before a command runs:

- ``lp_test_…`` becomes the server's test key and ``http://127.0.0.1:8000`` its address;
- an id written as its prefix and an ellipsis (``prj_…``, ``sa_…``, ``cnt_…``, ``run_…``, …)
  becomes the first id of that kind printed by the latest command that printed one (its stdout
  first, then its stderr); ``7…`` likewise stands for a TikTok video id (19 digits);
- a trailing ``# exit N`` says the command is expected to exit with status N; every other
  command must exit 0.

When a command prints a sandbox consent URL (``layers social connect``), the test clicks Allow
on it, as the person would in their browser.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.cli.people import Result, run
from tests.support import REPO, layers_up

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

DOC = REPO / "docs" / "cli.md"
DOC_BASE_URL = "http://127.0.0.1:8000"
PREFIXES = ("prj", "med", "inf", "sa", "lyr", "run", "cnt", "job", "sp", "st", "org", "key")
PLACEHOLDER = re.compile(r"\b(" + "|".join(PREFIXES) + r")_…")
TIKTOK_PLACEHOLDER = re.compile(r"(?<![\w.])7…")
TIKTOK_ID = re.compile(r"\b7\d{18}\b")
EXIT = re.compile(r"\s+#\s*exit\s+(\d+)\s*$")
# What the page must show at least once (the remote commands a person needs for the job).
REQUIRED = (
    "login", "whoami", "projects create", "projects list", "projects show", "media add",
    "media list", "influencers list", "social connect", "social list", "social health",
    "social mode", "social disconnect", "layers templates", "layers install", "layers show",
    "layers config", "run", "runs list", "runs show", "runs logs", "content sources",
    "content generate", "content list", "content show", "jobs show", "content schedule",
    "posts list", "posts show", "posts reschedule", "posts cancel", "logout",
)  # fmt: skip


@dataclass(frozen=True)
class Example:
    line: int  # where it is in the page
    command: str  # as written, without the `$ `
    exit_code: int


def examples(text: str) -> list[Example]:
    found: list[Example] = []
    in_console = False
    pending: list[str] = []
    start = 0
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("```"):
            in_console = line.strip() == "```console"
            continue
        if not in_console:
            continue
        if pending:
            pending.append(line.strip())
        elif line.startswith("$ "):
            pending, start = [line[2:].strip()], number
        else:
            continue  # sample output
        if pending[-1].endswith("\\"):
            pending[-1] = pending[-1][:-1].rstrip()
            continue
        command = " ".join(pending)
        pending = []
        expected = EXIT.search(command)
        if expected:
            command = command[: expected.start()]
        found.append(Example(start, command, int(expected.group(1)) if expected else 0))
    return found


class Ids:
    """The ids the examples printed, latest first per kind."""

    def __init__(self) -> None:
        self.latest: dict[str, str] = {}

    def learn(self, result: Result) -> None:
        for prefix in (*PREFIXES, "7"):
            for text in (result.stdout, result.stderr):
                if prefix == "7":
                    match = TIKTOK_ID.search(text)
                else:
                    match = re.search(rf"\b{prefix}_[0-9A-Z]{{26}}\b", text)
                if match:
                    self.latest[prefix] = match.group(0)
                    break

    def fill(self, command: str) -> str:
        def known(prefix: str) -> str:
            assert prefix in self.latest, f"no {prefix} id printed before: {command}"
            return self.latest[prefix]

        command = PLACEHOLDER.sub(lambda m: known(m.group(1)), command)
        return TIKTOK_PLACEHOLDER.sub(lambda m: known("7"), command)


def test_the_page_has_examples_of_every_command() -> None:
    commands = [e.command for e in examples(DOC.read_text())]
    assert all(c.startswith("layers ") for c in commands), "examples run `layers` only"
    missing = [
        name for name in REQUIRED if not any(c.startswith(f"layers {name} ") or
                                             c == f"layers {name}" for c in commands)
    ]  # fmt: skip
    assert not missing, f"docs/cli.md has no example of: {missing}"


def test_parsing_examples() -> None:
    text = (
        "```sh\n$ layers not-this\n```\n"
        "```console\n$ layers a \\\n    --b c  # exit 1\noutput line\n$ layers d\n```\n"
    )
    assert examples(text) == [Example(5, "layers a --b c", 1), Example(8, "layers d", 0)]
    ids = Ids()
    ids.learn(Result([], 0, "prj_01M8Y2KTFN8HWERMEWQK5YCPP6 7122381433041198894\n", "x"))
    assert ids.fill("layers x prj_… --tiktok-video 7… sa_ok") == (
        "layers x prj_01M8Y2KTFN8HWERMEWQK5YCPP6 --tiktok-video 7122381433041198894 sa_ok"
    )


@pytest.fixture
def server(tmp_path: Path, isolated_database_url: str) -> Iterator[tuple[str, str]]:
    with layers_up(tmp_path / "data", isolated_database_url) as process:
        yield process.base_url, process.keys()[1]


def test_every_example_of_the_page_runs(server: tuple[str, str], tmp_path: Path) -> None:
    base_url, key = server
    env = {"LAYERS_CONFIG_DIR": str(tmp_path / "config"), "COLUMNS": "200"}
    ids = Ids()
    ran = examples(DOC.read_text())
    assert len(ran) >= len(REQUIRED)
    for example in ran:
        command = ids.fill(example.command.replace("lp_test_…", key)).replace(
            DOC_BASE_URL, base_url
        )
        args = shlex.split(command, comments=True)
        result = run(*args[1:], env=env)
        where = f"docs/cli.md line {example.line}: {example.command}\n{result.describe()}"
        assert result.returncode == example.exit_code, where
        ids.learn(result)
