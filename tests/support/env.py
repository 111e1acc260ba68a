"""Where the tests run: the checkout, the committed sample, and the real services (Redis, PostgreSQL) with names of
this process's own, so parallel runs (a developer and CI) never collide."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "scans_sample"
BATCH = SAMPLE / "batches" / "batch_00.pdf"
REDIS_URL = os.environ.get("INTAKE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
PG_ADMIN_URL = os.environ.get("INTAKE_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PG_DB = f"intake_test_{os.getpid()}"  # per process: parallel runs (a developer and CI) never collide
QUEUE = f"test-pages-{os.getpid()}"
