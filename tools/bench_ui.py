"""`python -m tools.dev bench-ui`: from Enter on one form to the next form ready for input, measured in headless Debian
Chromium through the real UI and API (the verification station's latency target). A benchmark command.

With `--load-pages N`, a worker reads N more synthetic pages on the same machine while the reviewer works (the
target is for a station beside a busy reader, not an idle machine); the corpus is made once and kept in /tmp."""

from __future__ import annotations

import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tools.browser import FORM_TITLE, complete_missing, free_port, open_as, take_form, wait_until_up

ROOT = Path(__file__).resolve().parent.parent


def _load_corpus(pages: int) -> Path:
    """Synthetic pages for the reader to chew on while the reviewer works (made once, kept for later runs)."""
    corpus = Path(tempfile.gettempdir()) / f"intake-bench-ui-load-{pages}"
    if not (corpus / ".done").exists():
        dev = [sys.executable, "-m", "tools.dev"]
        subprocess.run([*dev, "synth", str(corpus), "--n", str(pages), "--seed", "4242", "--degrade", "light",
                        "--batch-size", "25"], check=True, capture_output=True, cwd=ROOT)  # fmt: skip
        (corpus / ".done").touch()
    return corpus


def run(forms: int = 20, load_pages: int = 0) -> dict[str, Any]:

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
        if load_pages:  # a worker reads these while the reviewer works; their forms queue behind the sample's
            for b in sorted((_load_corpus(load_pages) / "batches").glob("batch_*.pdf")):
                subprocess.run(
                    [*cli, "upload", str(b), "--clinic", "1310001", "--api-url", env["INTAKE_API_URL"],
                     "--api-key", "demo-scanner-key-not-for-production"],
                    env=env, check=True, capture_output=True,
                )  # fmt: skip
            procs.append(
                subprocess.Popen([*cli, "worker", "--burst"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            )
        out = _measure(f"http://127.0.0.1:{ui_port}", forms)
        if load_pages:
            out["load_worker_still_reading_at_end"] = procs[-1].poll() is None  # the load lasted the whole run
        return out
    finally:
        for p in procs:
            p.terminate()
            p.wait(10)


# the cursor sits in the field the form names as its first to key (review_ui.keys.focus_marker), not a stale one
READY = (
    "() => { const m = [...document.querySelectorAll('span.intake-focus')].find(x => !x.closest('[data-stale=\"true\"]'));"
    " const a = document.activeElement;"
    " return !!m && a?.tagName === 'INPUT' && a.getAttribute('aria-label') === m.dataset.target"
    " && !a.closest('[data-stale=\"true\"]'); }"
)
# the run has finished: the previous form's elements, kept on screen while Streamlit re-renders, are gone
SETTLED = (
    "() => !document.querySelector('[data-stale=\"true\"]')"
    " && document.querySelectorAll('input[aria-label*=\"医師名\"]').length === 1"
)


def _defer(page: Any, why: str) -> None:
    """Alt+D: hand the form to a supervisor (the bench cannot key what only the title says)."""
    page.keyboard.press("Alt+d")
    page.wait_for_function(
        "() => document.activeElement?.getAttribute('aria-label') === '監督者への申し送り'", timeout=10000
    )
    page.keyboard.type(why)
    page.keyboard.press("Enter")


def _measure(url: str, forms: int) -> dict[str, Any]:
    """Enter on a filled form → the next form's title shown and the cursor in its first field to key."""
    from playwright.sync_api import sync_playwright

    samples: list[float] = []  # Enter → the next form's title shown and the cursor in its first field to key
    settled: list[float] = []  # … and the previous form's elements gone (Streamlit's run finished)
    skipped = 0
    with sync_playwright() as pw:
        for user in ("reviewer1", "reviewer2"):  # reviewer2 then keys the forms held for a second, blind keying
            if len(samples) + skipped < forms:
                _work(pw, url, user, forms - len(samples) - skipped, samples, settled, skipped_box := [0])
                skipped += skipped_box[0]
    if len(samples) < 2:
        return {"forms": len(samples), "skipped": skipped, "note": "too few forms accepted to measure"}
    ordered = sorted(samples)
    return {
        "forms": len(samples),
        "skipped": skipped,
        "median_ms": round(statistics.median(samples) * 1000),
        "p95_ms": round(ordered[max(0, math.ceil(len(ordered) * 0.95) - 1)] * 1000),
        "max_ms": round(ordered[-1] * 1000),
        "settled_median_ms": round(statistics.median(settled) * 1000),
        "settled_p95_ms": round(sorted(settled)[max(0, math.ceil(len(settled) * 0.95) - 1)] * 1000),
        "ready_ms_sorted": [round(x * 1000) for x in ordered],
    }


def _work(pw: Any, url: str, user: str, forms: int, samples: list[float], settled: list[float], skipped: list[int]) -> None:
    """One reviewer's session: Enter on each form until the queue has nothing more for them."""
    browser, page = open_as(pw, url, user, "review-demo-pass")
    take_form(page)
    for _ in range(forms):
        try:
            page.wait_for_function(READY, timeout=20000)
            page.wait_for_function(SETTLED, timeout=20000)
        except Exception:
            break  # the queue is empty
        current = FORM_TITLE.search(page.inner_text("body"))
        title = current.group(0) if current else ""
        no_candidate = page.locator('div[role="radiogroup"][aria-label*="住民"]').count() == 0
        if no_candidate or page.get_by_label(re.compile("接種種類コード")).count():
            _defer(page, "bench: resident or vaccine to be keyed by a supervisor")
            skipped[0] += 1
            page.wait_for_function("t => !document.body.innerText.includes(t + '（')", arg=title, timeout=30000)
            continue
        complete_missing(page, "n/a")
        ack = page.get_by_label(re.compile("確認して登録"))
        if ack.count():  # schedule errors on this synthetic form: the reviewer confirms them with Space
            ack.focus()
            page.keyboard.press("Space")
        page.get_by_label(re.compile("医師名")).focus()
        t = time.perf_counter()
        page.keyboard.press("Enter")
        try:  # the next form is ready when its title changed and the cursor sits in its first field to key
            page.wait_for_function(
                "t => !document.body.innerText.includes(t + '（') && (" + READY + ")()", arg=title, timeout=30000
            )
        except Exception:
            if page.get_by_text("審査待ちの予診票はありません").count():
                break  # that was the last form this reviewer may take (the rest wait for a second keying)
            if os.environ.get("INTAKE_BENCH_UI_SHOT"):
                page.screenshot(path=os.environ["INTAKE_BENCH_UI_SHOT"])
            _defer(page, "bench: refused")  # e.g. a value the ledger refuses: not a latency sample
            skipped[0] += 1
            continue
        samples.append(time.perf_counter() - t)
        page.wait_for_function(SETTLED, timeout=30000)
        settled.append(time.perf_counter() - t)
    browser.close()
