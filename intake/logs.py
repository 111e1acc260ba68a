"""One log format for every process (API, worker, UI, scheduler, CLI): a JSON object per line.

An operator's collector (journald, Docker's log driver, Loki, …) reads one format. Under compose, logs go to
standard error and Docker rotates them (the compose file's `logging` options); on a host without a collector,
`INTAKE_LOG_FILE` writes to a file rotated by size (`log_max_bytes`, `log_backups`). `INTAKE_LOG_FORMAT=text`
gives the old one-line text for a person at a terminal.

Fields: time (UTC, ISO 8601), level, logger, component (api|worker|ui|scheduler|cli), pid, message; anything
passed as `extra={...}` (page, batch, stage_timings_ms, …); and `traceback` when an exception is attached.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import os
import sys
import traceback
from datetime import UTC, datetime
from typing import Any

from intake.settings import Settings

# the attributes every LogRecord has: anything else on a record came from `extra=` and is logged as a field
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    def __init__(self, component: str) -> None:
        super().__init__()
        self.component = component

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "component": self.component,
            "pid": record.process,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                out[key] = value if isinstance(value, str | int | float | bool | None | dict | list) else str(value)
        if record.exc_info:
            out["traceback"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        elif record.stack_info:
            out["traceback"] = record.stack_info
        return json.dumps(out, ensure_ascii=False, default=str)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def handler_for(settings: Settings) -> logging.Handler:
    if settings.log_file is not None:
        settings.log_file.parent.mkdir(parents=True, exist_ok=True)
        return logging.handlers.RotatingFileHandler(
            settings.log_file, maxBytes=settings.log_max_bytes, backupCount=settings.log_backups, encoding="utf-8"
        )
    return logging.StreamHandler(sys.stderr)


def formatter_for(settings: Settings, component: str) -> logging.Formatter:
    return JsonFormatter(component) if settings.log_format == "json" else logging.Formatter(TEXT_FORMAT)


def configure_logging(settings: Settings, component: str) -> None:
    """The root logger (and uvicorn's and rq's, which install their own handlers) write through one handler in
    the configured format. Idempotent: calling it again replaces the handler (Streamlit re-runs its script)."""
    handler = handler_for(settings)
    handler.setFormatter(formatter_for(settings, component))
    handler.set_name("intake")
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if h.get_name() != "intake"] + [handler]
    root.setLevel(settings.log_level.upper())
    own = ("uvicorn", "rq", "streamlit")  # libraries that install handlers of their own: theirs go to ours
    names = [n for n in logging.Logger.manager.loggerDict if n.split(".")[0] in own]
    for name in {*own, *names}:
        other = logging.getLogger(name)
        other.handlers = []
        other.propagate = True
    logging.getLogger("alembic").setLevel(logging.WARNING)  # its plugin set-up, at every start
    os.environ.setdefault("INTAKE_LOG_COMPONENT", component)


def as_log_line(settings: Settings, component: str, line: str) -> str:
    """A line a child process printed itself (Streamlit's banner), in the configured format: JSON lines pass as
    they are, others are wrapped; blank lines are dropped."""
    text = line.rstrip()
    if not text.strip() or settings.log_format != "json" or text.lstrip().startswith("{"):
        return text if text.strip() else ""
    record = logging.LogRecord(f"{component}.stdout", logging.INFO, "", 0, text.strip(), None, None)
    return JsonFormatter(component).format(record)


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's dictConfig: its loggers hand their records to the root logger (configure_logging's handler)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "loggers": {name: {"handlers": [], "propagate": True} for name in ("uvicorn", "uvicorn.error", "uvicorn.access")},
    }
