"""Structured logs: every line carries the request id and run id; no secret reaches a line.

Redaction is a filter on the handler, so it covers our loggers and every library's
(uvicorn, httpx, DBOS) alike.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from typing import Any

from layers.kit.clock import isoformat_z
from layers.kit.context import request_id_var, run_id_var

_SECRET_PATTERNS = [
    re.compile(r"lp_(?:live|test)_[A-Za-z0-9]+_[A-Za-z0-9_\-]+"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._\-~+/=]{8,}"),
    re.compile(
        r"(?i)((?:access|refresh|id)_token|client_secret|token|secret|password|api_key)"
        r"([\"']?\s*[=:]\s*[\"']?)[^\s\"'&,}]+"
    ),
    re.compile(r"([?&](?:code|state)=)[^&\s]+"),
]


def redact(text: str) -> str:
    text = _SECRET_PATTERNS[0].sub("lp_[redacted]", text)
    text = _SECRET_PATTERNS[1].sub(r"\1[redacted]", text)
    text = _SECRET_PATTERNS[2].sub(r"\1\2[redacted]", text)
    return _SECRET_PATTERNS[3].sub(r"\1[redacted]", text)


class _ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get() or "-"
        record.run_id = run_id_var.get() or "-"
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        from datetime import UTC, datetime

        entry: dict[str, Any] = {
            "time": isoformat_z(datetime.fromtimestamp(record.created, UTC)),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "requestId": getattr(record, "request_id", "-"),
            "runId": getattr(record, "run_id", "-"),
        }
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry)


class _TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__(
            "%(asctime)s %(levelname)-5s %(name)s [req=%(request_id)s run=%(run_id)s] %(message)s"
        )

    def formatException(self, ei: Any) -> str:  # noqa: N802 (logging's API)
        return redact(super().formatException(ei))


def configure_logging(level: str = "INFO", fmt: str = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_ContextFilter())
    handler.setFormatter(_JsonFormatter() if fmt == "json" else _TextFormatter())
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for noisy in ("dbos", "httpx", "httpcore", "uvicorn.access", "multipart"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    for name in ("uvicorn", "uvicorn.error", "dbos"):
        logger = logging.getLogger(name)
        logger.handlers = []
        logger.propagate = True
