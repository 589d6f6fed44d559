"""Where the remote commands find their server and key.

``layers login`` stores ``{"base_url", "api_key"}`` in ``config.json`` in the user's config
directory: ``$LAYERS_CONFIG_DIR``, else ``$XDG_CONFIG_HOME/layers``, else ``~/.config/layers``.
The file is written atomically with mode 0600 (its directory 0700). For each command,
``--api-key`` / ``--base-url`` win over ``LAYERS_API_KEY`` / ``LAYERS_BASE_URL``, which win over
the file.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
FILE_NAME = "config.json"


@dataclass(frozen=True)
class Profile:
    base_url: str
    api_key: str | None


def config_dir() -> Path:
    explicit = os.environ.get("LAYERS_CONFIG_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CONFIG_HOME")
    if xdg:
        return Path(xdg).expanduser() / "layers"
    return Path.home() / ".config" / "layers"


def config_path() -> Path:
    return config_dir() / FILE_NAME


def load_file() -> dict[str, Any]:
    """The stored config, or ``{}`` when there is none (or it is not a JSON object)."""
    try:
        data = json.loads(config_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save(base_url: str, api_key: str) -> Path:
    """Write the config atomically: a private temp file in the same directory, then rename."""
    directory = config_dir()
    if not directory.is_dir():
        directory.mkdir(parents=True, mode=0o700)
        directory.chmod(0o700)  # whatever the umask; a directory that existed keeps its mode
    target = directory / FILE_NAME
    payload = json.dumps({"base_url": base_url, "api_key": api_key}, indent=2) + "\n"
    fd, temp = tempfile.mkstemp(prefix=".config-", suffix=".json", dir=directory)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        Path(temp).replace(target)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(temp).unlink()
        raise
    return target


def remove() -> bool:
    """Delete the stored config; ``True`` if there was one."""
    try:
        config_path().unlink()
    except FileNotFoundError:
        return False
    return True


def normalize_base_url(url: str) -> str:
    url = url.strip().rstrip("/")
    if "://" not in url:
        url = f"http://{url}"
    return url


def resolve(api_key: str | None = None, base_url: str | None = None) -> Profile:
    """Options, then environment variables, then the stored file."""
    stored = load_file()
    key = api_key or os.environ.get("LAYERS_API_KEY") or stored.get("api_key")
    url = (
        base_url or os.environ.get("LAYERS_BASE_URL") or stored.get("base_url") or DEFAULT_BASE_URL
    )
    return Profile(
        base_url=normalize_base_url(str(url)),
        api_key=str(key).strip() if key else None,
    )
