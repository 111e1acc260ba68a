"""`python -m tools.dev bench-queue`: pages per second through the real queue and workers, against generic full-page
Tesseract OCR of the same pages. A benchmark command, not a test: quote its medians and ratios."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from sqlmodel import col, func, select

from intake.db import dispose_engines, session_scope
from intake.migrate import upgrade
from intake.queue import enqueue_pages
from intake.services import masters
from intake.services.ingest import UploadedFile, create_batch
from intake.settings import Settings
from intake.store import ContentStore
from models import Page
from models.enums import REQUEUEABLE

DATA = Path(__file__).resolve().parent.parent / "intake" / "data"


def _full_page_tesseract(path: str) -> float:
    os.environ["OMP_THREAD_LIMIT"] = "1"
    from ocr.engines import tesseract

    img = np.asarray(Image.open(path).convert("L"), dtype=np.uint8)
    t = time.perf_counter()
    tesseract("jpn").full_page(img)
    return time.perf_counter() - t


def bench_queue(corpus: Path, workers: int, baseline_pages: int, database_url: str = "") -> dict[str, Any]:
    from tools.synth.scan import page_images

    tmp = Path(tempfile.mkdtemp(prefix="bench-"))
    queue = f"bench-{os.getpid()}"
    settings = Settings(var_dir=tmp, database_url=database_url, queue_name=queue)
    env = {
        **os.environ,
        "INTAKE_VAR_DIR": str(tmp),
        "INTAKE_DATABASE_URL": database_url,
        "INTAKE_QUEUE_NAME": queue,
        "INTAKE_REDIS_URL": settings.redis_url,
        "OMP_THREAD_LIMIT": "1",
    }
    url = settings.effective_database_url
    upgrade(url)
    with session_scope(url) as s:
        masters.import_vaccines(s, DATA / "vaccines.csv")
        masters.import_clinics(s, DATA / "clinics.csv")
        masters.import_residents(s, corpus / "residents.csv")
        masters.import_lots(s, corpus / "lots.csv")
        batches = sorted((corpus / "batches").glob("*.pdf")) + sorted((corpus / "batches").glob("*.tif"))
        t0 = time.perf_counter()
        ids: list[int] = []
        for b in batches:
            ids += create_batch(
                s, ContentStore(settings.store_dir), settings, "1310001", [UploadedFile(b.name, b.read_bytes())], "bench"
            ).new_page_ids
        ingest_s = time.perf_counter() - t0
    enqueue_pages(settings, ids)
    dispose_engines()
    t0 = time.perf_counter()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", "from intake.cli import main; main()", "worker", "--burst"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(workers)
    ]
    first_done = None
    with session_scope(url) as s:
        while any(p.poll() is None for p in procs):
            time.sleep(0.2)
            done = s.exec(select(func.count()).select_from(Page).where(col(Page.status).not_in(REQUEUEABLE))).one()
            if first_done is None and done > 0:
                first_done = time.perf_counter() - t0  # model load and fork: the start-up cost
    wall = time.perf_counter() - t0
    with session_scope(url) as s:
        left = s.exec(select(func.count()).select_from(Page).where(col(Page.status).in_(REQUEUEABLE))).one()
        statuses = dict(s.exec(select(Page.status, func.count()).group_by(Page.status)).all())
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    images = [str(p) for p in page_images(corpus)[:baseline_pages]]
    t1 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        per_page = list(pool.map(_full_page_tesseract, images))
    base_wall = time.perf_counter() - t1
    ours = len(ids) / wall
    steady = (len(ids) / (wall - first_done)) if first_done else ours
    generic = len(images) / base_wall
    return {
        "pages": len(ids),
        "workers": workers,
        "ingest_seconds": round(ingest_s, 1),
        "wall_seconds": round(wall, 1),
        "startup_seconds": round(first_done or 0, 1),
        "pages_per_second": round(ours, 2),
        "pages_per_second_after_startup": round(steady, 2),
        "left_unprocessed": left,
        "statuses": {str(k): v for k, v in statuses.items()},
        "peak_worker_rss_mb": round(peak_mb, 1),
        "tesseract_full_page_pages": len(images),
        "tesseract_full_page_median_s": round(float(np.median(per_page)), 2),
        "tesseract_full_page_pages_per_second": round(generic, 3),
        "speedup_vs_full_page_tesseract": round(ours / generic, 1),
    }
