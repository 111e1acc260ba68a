"""Streamlit's AppTest on the staff pages, against a real API process (the UI only ever talks to the API)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from streamlit.testing.v1 import AppTest

from intake.browser import free_port, wait_until_up
from intake.settings import Settings
from tests.conftest import ROOT
from tests.test_ledger_ops import _accept_one

APP = str(ROOT / "review_ui" / "app.py")


@pytest.fixture
def api_process(settings: Settings, tmp_path: Path) -> Iterator[str]:
    import subprocess
    import sys

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", "from intake.cli import main; main()", "serve", "--port", str(port)],
        env=os.environ.copy(),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url + "/api/v1/health")
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def _logged_in(api_url: str, monkeypatch: pytest.MonkeyPatch, user: str, password: str) -> AppTest:
    monkeypatch.setenv("INTAKE_API_URL", api_url)
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.text_input(key="login_user").input(user)
    at.text_input(key="login_pw").input(password)
    at.button[0].click().run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
def test_staff_pages_show_history_and_reports(
    settings: Settings, api_process: str, monkeypatch: pytest.MonkeyPatch, scanner_headers: dict[str, str]
) -> None:
    from fastapi.testclient import TestClient

    from intake.api.app import create_app

    rec = _accept_one(TestClient(create_app(settings)), settings, scanner_headers)
    at = _logged_in(api_process, monkeypatch, "staff1", "staff-demo-pass")
    assert at.sidebar.radio[0].options == ["記録検索", "住民履歴", "報告"]
    at.sidebar.radio[0].set_value("住民履歴").run()
    at.text_input[0].input(rec["atena_no"])
    at.button[0].click().run()
    assert not at.exception and len(at.dataframe) == 2  # records and next due
    assert rec["lot_number"] in at.dataframe[0].value.to_string()
    at.sidebar.radio[0].set_value("報告").run()
    at.text_input[0].input("2026").run()
    assert not at.exception and len(at.dataframe) == 1
    assert int(at.dataframe[0].value["接種者数"].sum()) == 1


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
def test_reviewer_sees_only_the_review_page_and_bad_login_is_explained(
    settings: Settings, api_process: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _logged_in(api_process, monkeypatch, "reviewer1", "wrong-password!")
    assert any("wrong" in e.value for e in at.error)
    at = _logged_in(api_process, monkeypatch, "reviewer1", "review-demo-pass")
    assert at.sidebar.radio[0].options == ["審査"]
    assert any("審査待ち" in i.value for i in at.info)  # nothing uploaded yet: an empty queue, said plainly
    assert httpx.get(api_process + "/api/v1/health").status_code == 200
