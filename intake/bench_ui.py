"""`intake bench-ui`: from Enter on one form to the next form ready for input, measured in headless Debian
Chromium through the real UI and API (the verification station's latency target). A benchmark command."""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from intake.browser import FORM_TITLE, complete_missing, free_port, open_as, wait_until_up

ROOT = Path(__file__).resolve().parent.parent


def run(forms: int = 20) -> dict[str, Any]:

    var = Path(tempfile.mkdtemp(prefix="bench-ui-"))
    api_port, ui_port = free_port(), free_port()
    env = {
        **os.environ,
        "INTAKE_VAR_DIR": str(var),
        "INTAKE_QUEUE_NAME": f"bench-ui-{os.getpid()}",
        "INTAKE_DATABASE_URL": "",
        "INTAKE_API_URL": f"http://127.0.0.1:{api_port}",
    }
    cli = [sys.executable, "-c", "from intake.cli import main; main()"]
    subprocess.run([*cli, "demo-setup"], env=env, check=True, capture_output=True)
    procs = [
        subprocess.Popen(
            [*cli, "serve", "--port", str(api_port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        ),
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(ROOT / "review_ui" / "app.py"),
                "--server.port",
                str(ui_port),
                "--server.headless",
                "true",
                "--browser.gatherUsageStats",
                "false",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
    ]
    try:
        wait_until_up(f"http://127.0.0.1:{api_port}/api/v1/health")
        wait_until_up(f"http://127.0.0.1:{ui_port}/_stcore/health")
        for b in sorted((ROOT / "scans_sample" / "batches").glob("batch_*.*[ft]")):
            subprocess.run(
                [
                    *cli,
                    "upload",
                    str(b),
                    "--clinic",
                    "1310001",
                    "--api-url",
                    env["INTAKE_API_URL"],
                    "--api-key",
                    "demo-scanner-key-not-for-production",
                ],
                env=env,
                check=True,
                capture_output=True,
            )
        subprocess.run([*cli, "worker", "--burst"], env=env, check=True, capture_output=True)
        return _measure(f"http://127.0.0.1:{ui_port}", forms)
    finally:
        for p in procs:
            p.terminate()
            p.wait(10)


def _measure(url: str, forms: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    samples: list[float] = []
    title = FORM_TITLE
    with sync_playwright() as pw:
        browser, page = open_as(pw, url, "reviewer1", "review-demo-pass")
        for _ in range(forms):
            heading = page.get_by_text(title).first
            try:
                heading.wait_for(timeout=15000)
            except Exception:
                break  # the queue is empty
            current = heading.inner_text()
            page.get_by_label(re.compile("医師名")).wait_for(timeout=30000)
            complete_missing(page, "n/a")
            ack = page.get_by_label(re.compile("確認して登録"))
            if ack.count():
                ack.check()
            doctor = page.get_by_label(re.compile("医師名"))
            t = time.perf_counter()
            doctor.press("Enter")
            try:  # the next form is ready when its title changed and its first field accepts input
                page.wait_for_function(
                    "t => document.body.innerText.includes('予診票 #') && !document.body.innerText.includes(t)",
                    arg=current,
                    timeout=30000,
                )
                page.get_by_label(re.compile("医師名")).wait_for(timeout=30000)
            except Exception:
                if os.environ.get("INTAKE_BENCH_UI_SHOT"):
                    page.screenshot(path=os.environ["INTAKE_BENCH_UI_SHOT"])
                break  # the queue ran out or the form was refused: stop measuring
            samples.append(time.perf_counter() - t)
        browser.close()
    if len(samples) < 2:
        return {"forms": len(samples), "note": "too few forms accepted to measure"}
    return {
        "forms": len(samples),
        "median_ms": round(statistics.median(samples) * 1000),
        "p95_ms": round(sorted(samples)[max(0, int(len(samples) * 0.95) - 1)] * 1000),
        "max_ms": round(max(samples) * 1000),
    }
