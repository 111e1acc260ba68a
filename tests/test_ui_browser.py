"""A reviewer works a form in the real UI: Streamlit + API as processes, Debian Chromium via Playwright."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from intake.browser import complete_missing, free_port, open_as, wait_until_up
from intake.demo import DEMO_SCANNER_KEY, setup_demo
from intake.settings import Settings, get_settings
from tests.conftest import QUEUE, REDIS_URL, ROOT, SAMPLE, run_worker

pytestmark = pytest.mark.browser


@pytest.fixture
def stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str, Settings]]:
    env = {
        **os.environ,
        "INTAKE_VAR_DIR": str(tmp_path / "var"),
        "INTAKE_REDIS_URL": REDIS_URL,
        "INTAKE_QUEUE_NAME": f"ui-{QUEUE}",
        "INTAKE_DATABASE_URL": "",
    }
    for k, v in env.items():
        if k.startswith("INTAKE_"):
            monkeypatch.setenv(k, v)
    get_settings.cache_clear()
    settings = Settings()
    list(setup_demo(settings, SAMPLE))
    api_port, ui_port = free_port(), free_port()
    api_url, ui_url = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{ui_port}"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", "from intake.cli import main; main()", "serve", "--port", str(api_port)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
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
            env={**env, "INTAKE_API_URL": api_url},
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
    ]
    try:
        wait_until_up(api_url + "/api/v1/health")
        wait_until_up(ui_url + "/_stcore/health")
        yield api_url, ui_url, settings
    finally:
        for p in procs:
            p.terminate()
            p.wait(10)
        get_settings.cache_clear()


def test_reviewer_accepts_a_corrected_form_with_the_keyboard(stack: tuple[str, str, Settings]) -> None:
    from playwright.sync_api import sync_playwright

    api_url, ui_url, settings = stack
    batch = SAMPLE / "batches" / "batch_00.pdf"
    r = httpx.post(
        api_url + "/api/v1/batches",
        data={"clinic_code": "1310001"},
        files=[("files", (batch.name, batch.read_bytes()))],
        headers={"X-API-Key": DEMO_SCANNER_KEY},
        timeout=60,
    )
    assert r.status_code == 201, r.text
    run_worker(settings)

    with sync_playwright() as pw:
        browser, page = open_as(pw, ui_url, "reviewer1", "review-demo-pass")
        page.get_by_text(re.compile(r"予診票 #\d+")).wait_for(timeout=30000)
        form_title = page.get_by_text(re.compile(r"予診票 #\d+")).first.inner_text()
        page_id = int(re.search(r"#(\d+)", form_title).group(1))  # type: ignore[union-attr]
        page.locator("img").first.wait_for(timeout=30000)  # the scan and the field crops have arrived
        page.wait_for_timeout(500)
        if os.environ.get("INTAKE_SCREENSHOT_DIR"):  # README pictures: INTAKE_SCREENSHOT_DIR=docs make test
            page.screenshot(path=str(Path(os.environ["INTAKE_SCREENSHOT_DIR"]) / "review_form.png"))
        complete_missing(page, "AB0001")  # e.g. a 見合わせ form: the reviewer types the screening date
        doctor = page.get_by_label(re.compile("医師名"))
        doctor.fill("校正 医師")  # the correction: type the value…
        doctor.press("Enter")  # …and Enter accepts the form
        page.get_by_text(re.compile("台帳に登録しました")).wait_for(timeout=30000)
        browser.close()

    staff = httpx.post(api_url + "/api/v1/auth/login", json={"username": "staff1", "password": "staff-demo-pass"}).json()
    rows = httpx.get(
        api_url + "/api/v1/records",
        params={"date_from": "2000-01-01"},
        headers={"Authorization": f"Bearer {staff['token']}"},
    ).json()
    mine = [row for row in rows if row["page_id"] == page_id]
    assert len(mine) == 1 and mine[0]["doctor_name"] == "校正 医師"
