"""One settings object for the whole service, read from INTAKE_* environment variables.

Nothing reads it at import time: the API, the worker and the CLI each build it once at start-up
(``get_settings()``) and pass it down, so tests can inject their own.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_var_dir() -> Path:
    """Where the installation keeps its files when INTAKE_VAR_DIR is not set — never the current folder (a command
    run from another folder used to make an empty var/intake.db there): the checkout's var/ when run from source,
    else the user's data folder."""
    root = Path(__file__).resolve().parent.parent
    if (root / "pyproject.toml").exists():
        return root / "var"
    return Path.home() / ".local" / "share" / "intake"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INTAKE_", env_file=None, extra="ignore")

    # The language of every message a person reads (intake.messages); the API follows Accept-Language per request.
    lang: Literal["ja", "en"] = "ja"
    # Storage. A SQLite file under var/ is the default; production sets a PostgreSQL URL.
    var_dir: Path = Field(default_factory=default_var_dir)
    database_url: str = ""
    # The database password from a file (a Docker secret), so it is in no environment or compose file: inserted
    # into database_url, which then carries the user and host only.
    database_password_file: Path | None = None
    redis_url: str = "redis://127.0.0.1:6379/0"
    queue_name: str = "pages"

    # Ward identity printed on and checked against every form (the code: 全国地方公共団体コード with its check digit).
    municipality_code: str = "131202"
    municipality_name: str = "練馬区"
    # The issuance registry (intake.services.issuance): the first 予診票番号 serial it issues — above every number
    # printed before it (old stock) — and the department named on what the command line issues.
    form_no_start: int = Field(default=1_000_000, ge=1, le=9_000_000_000)
    issuing_department: str = "健康推進課"
    # check: a number the registry could have issued must be on record (and not voided, this resident's, not received
    # before); older numbers read as before. enforce: a number not on record always goes to a reviewer.
    form_registry: Literal["check", "enforce"] = "check"

    # Upload limits (hostile-input defences; see ocr.decode).
    max_upload_bytes: int = 200 * 1024 * 1024
    max_pages_per_file: int = 500
    max_pixels_per_page: int = 60_000_000
    page_timeout_seconds: int = 120
    # How long a worker's claim on a page lasts (0: twice the page time limit). Past it the reconciler may give the
    # page to another worker, and the first one's result, should it still come, is discarded.
    page_lease_seconds: int = 0
    job_max_attempts: int = 3
    # How long Redis keeps a page job's record after it ran: a finished one briefly (the database holds the page's
    # outcome), a failed one for a day, for the operator reading rq's failed registry.
    job_result_ttl_seconds: int = 600
    job_failure_ttl_seconds: int = 86400
    # False (default): one long-lived work process per worker, watched by a parent that kills it when a page
    # freezes it past page_timeout_seconds + page_kill_grace_seconds (intake.supervisor). True: rq's classic
    # fork of a work horse per page, ~55–75 ms a page dearer (measure with `python -m tools.dev bench-queue`).
    worker_fork: bool = False
    # the page reader's CPU niceness (0–19): reviewers' screens on the same machine keep their latency while it reads
    worker_nice: int = Field(default=10, ge=0, le=19)
    page_kill_grace_seconds: int = 10

    @property
    def lease_seconds(self) -> int:
        return self.page_lease_seconds or 2 * self.page_timeout_seconds

    # Audit chain: the HMAC key (a secret outside the database: this variable, or a file readable by the service
    # only; default var/secrets/audit.key, created 0600 on first use) and the checkpoint file (append-only, outside
    # the database; ship it off the host). A checkpoint after every commit that wrote this many audit rows.
    audit_key: str = ""
    audit_key_file: Path | None = None
    audit_checkpoint_file: Path | None = None
    audit_checkpoint_every: int = 1

    # 個人番号 at rest: the encryption key (Fernet), outside the database.
    my_number_key: str = ""
    my_number_key_file: Path | None = None

    # Recognition.
    template_version: str = "yoshin-v1"
    # (The auto-accept threshold is no setting: it is calibrated with the digit model, ocr.fields.AUTO_CONFIDENCE,
    # and the precision figures hold for that value only.)

    # Sessions (see intake.services.auth).
    session_idle_minutes: int = 15
    session_max_hours: int = 10
    login_max_failures: int = 5
    login_lockout_minutes: int = 15  # an account locked after login_max_failures wrong passwords, this long

    # Verification (see intake.services.qa and intake.services.double_entry).
    qa_sample_rate: float = Field(default=0.05, ge=0, le=1, description="share of machine-sure forms reviewed as QA")
    auto_commit: bool = False  # commit machine-sure forms without review (the rest of the QA sample); off: all reviewed
    double_entry: bool = True  # critical fields the machine was unsure of are keyed twice, blind

    # Review locks expire so an abandoned form returns to the queue.
    review_lock_seconds: int = 600

    api_url: str = Field(default="http://127.0.0.1:8000", description="where review_ui finds the API (intake ui)")
    # The API's interactive documentation (/api/docs), served from the swagger-ui-bundle wheel: no CDN.
    api_docs: bool = True

    # Logs (intake.logs): one JSON object per line on standard error, or a file rotated by size.
    log_format: Literal["json", "text"] = "json"
    log_level: str = "INFO"
    log_file: Path | None = None
    log_max_bytes: int = 20 * 1024 * 1024
    log_backups: int = 5
    # A worker's own Prometheus endpoint (page seconds by stage, pages read); 0: none. The API's /metrics has
    # the rest (pages by state, queue depth, commits, review latency, auth failures).
    worker_metrics_port: int = 0
    worker_metrics_host: str = "127.0.0.1"

    # Routine jobs (`intake scheduler`): reconcile, daily backup (kept backup_keep days), daily audit verify.
    reconcile_every_minutes: float = 5
    reconcile_older_than_minutes: float = 10
    backup_dir: Path | None = None  # default var_dir/backups
    backup_at: str = "02:00"  # local time, HH:MM
    backup_keep: int = 14
    audit_verify_at: str = "03:00"

    @property
    def store_dir(self) -> Path:
        return self.var_dir / "store"

    @property
    def effective_database_url(self) -> str:
        url = self.database_url or f"sqlite:///{self.var_dir / 'intake.db'}"
        if self.database_password_file is not None and not url.startswith("sqlite"):
            from sqlalchemy.engine import make_url

            url = make_url(url).set(password=_secret_file(self.database_password_file)).render_as_string(hide_password=False)
        return url

    @property
    def backups_dir(self) -> Path:
        return self.backup_dir or self.var_dir / "backups"


@lru_cache(maxsize=4)
def _secret_file(path: Path) -> str:
    """Read once per process: effective_database_url is asked for on every session (each page, each request)."""
    return path.read_text(encoding="utf-8").strip()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
