"""Operational signals: Prometheus metrics and structured (JSON) logs with request ids."""

from __future__ import annotations

import contextvars
import json
import logging
import sys
from datetime import datetime, timezone

from prometheus_client import Counter, Gauge, Histogram

ITEMS_INGESTED = Counter("newsbridge_items_ingested_total", "Item versions stored", ["format"])
ITEMS_UNCHANGED = Counter("newsbridge_items_unchanged_total", "Resent identical item versions (idempotent)")
ITEMS_REJECTED = Counter("newsbridge_items_rejected_total", "Items refused, by error code", ["code"])
WEBHOOK_ATTEMPTS = Counter("newsbridge_webhook_attempts_total", "Webhook attempts by resulting state", ["state"])
SQLITE_CHECKPOINTS = Counter("newsbridge_sqlite_checkpoints_total",
                             "Passive WAL checkpoints of the SQLite database, by outcome", ["outcome"])
SQLITE_WAL_PAGES = Gauge("newsbridge_sqlite_wal_pages", "Pages in the SQLite WAL at the last checkpoint, by state",
                         ["state"])
REQUEST_LATENCY = Histogram("newsbridge_request_seconds", "HTTP request latency", ["method", "route", "status"])

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, request id and any ``extra`` fields."""

    _skip = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if rid := request_id.get():
            entry["request_id"] = rid
        entry.update({k: v for k, v in vars(record).items() if k not in self._skip})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(level: str = "INFO", fmt: str = "json") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger("newsbridge")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False
