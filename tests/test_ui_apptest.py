"""Streamlit's AppTest on the staff pages, against a real API process (the UI only ever talks to the API)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from streamlit.testing.v1 import AppTest

from intake.settings import Settings
from tests.support.api import accept_one
from tests.support.env import ROOT
from tools.browser import free_port, wait_until_up

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

    rec = accept_one(TestClient(create_app(settings)), settings, scanner_headers)
    at = _logged_in(api_process, monkeypatch, "staff1", "staff-demo-pass")
    assert at.sidebar.radio[0].options == ["記録検索", "住民履歴", "報告"]
    at.sidebar.radio[0].set_value("住民履歴").run()
    at.text_input[0].input(rec["atena_no"])
    at.button[0].click().run()
    assert not at.exception and len(at.dataframe) == 2  # records and next due
    assert rec["lot_number"] in at.dataframe[0].value.to_string()
    headers = [*at.dataframe[0].value.columns, *at.dataframe[1].value.columns]
    assert "ロット番号" in headers and "接種期限" in headers
    due = at.dataframe[1].value  # what is due next, by the vaccine's name beside its code
    assert "ワクチン名" in due.columns and all(due["ワクチン名"]), due
    assert not [h for h in headers if h.isascii()], headers  # no API key reaches the staff's screen
    assert "None" not in at.dataframe[0].value.to_string()
    assert str(at.dataframe[0].value["実施日"].iloc[0]).startswith("令和")  # dates as the ward writes them
    at.sidebar.radio[0].set_value("記録検索").run()
    at.text_input[0].input(rec["atena_no"])
    at.button[0].click().run()
    found = at.dataframe[0].value
    assert not at.exception and list(found.columns[:3]) == ["記録番号", "宛名番号", "氏名"]  # the name beside the number
    assert found["氏名"].iloc[0] and found["宛名番号"].iloc[0] == rec["atena_no"]
    at.sidebar.radio[0].set_value("報告").run()
    at.text_input[0].input("2026").run()
    assert not at.exception and len(at.dataframe) == 1
    assert int(at.dataframe[0].value["接種者数"].sum()) == 1


def _history_of_a_vaccinated_resident(
    settings: Settings, api_process: str, monkeypatch: pytest.MonkeyPatch, scanner_headers: dict[str, str]
) -> tuple[dict[str, Any], AppTest]:
    """A dose on the ledger, and staff1 looking at that resident's history."""
    from fastapi.testclient import TestClient

    from intake.api.app import create_app

    rec = accept_one(TestClient(create_app(settings)), settings, scanner_headers)
    at = _logged_in(api_process, monkeypatch, "staff1", "staff-demo-pass")
    at.sidebar.radio[0].set_value("住民履歴").run()
    at.text_input[0].input(rec["atena_no"])
    at.button[0].click().run()
    return rec, at


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
def test_staff_print_a_certificate_and_reissue_a_form_from_the_history(
    settings: Settings, api_process: str, monkeypatch: pytest.MonkeyPatch, scanner_headers: dict[str, str]
) -> None:
    from sqlmodel import Session, select

    from intake.db import get_engine
    from models import CertificatePrint, IssuedForm

    rec, at = _history_of_a_vaccinated_resident(settings, api_process, monkeypatch, scanner_headers)
    next(b for b in at.button if b.label == "予防接種済証を作成").click().run()
    assert not at.exception and len(at.dataframe) == 2  # the history stays on screen through the rerun
    at.text_input[1].input("MR")
    at.number_input[0].set_value(2)
    at.text_input[2].input("汚損")
    next(b for b in at.button if b.label == "再発行して印刷").click().run()
    assert not at.exception, at.exception
    said = [s.value for s in at.success]
    assert said and said[0].startswith("予診票番号 ") and "を発行しました" in said[0], said
    with Session(get_engine(settings.effective_database_url)) as s:
        assert [(c.atena_no, c.doses) for c in s.exec(select(CertificatePrint)).all()] == [(rec["atena_no"], 1)]
        issued = s.exec(select(IssuedForm)).all()
        assert [(f.atena_no, f.vaccine_code, f.dose_no, f.channel) for f in issued] == [
            (rec["atena_no"], "MR", 2, "counter")
        ]
        assert issued[0].form_no in said[0]


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
def test_staff_issue_a_request_letter_and_enter_what_came_back(
    settings: Settings, api_process: str, monkeypatch: pytest.MonkeyPatch, scanner_headers: dict[str, str]
) -> None:
    rec, at = _history_of_a_vaccinated_resident(settings, api_process, monkeypatch, scanner_headers)
    at.text_input(key="rq_vaccine").input("JE")
    at.text_input(key="rq_receiver").input("架空市 健康課")
    next(b for b in at.button if b.label == "依頼書を発行").click().run()
    assert not at.exception, at.exception
    said = [s.value for s in at.success]
    assert said and said[0].startswith("依頼番号 R") and said[0].endswith("の依頼書を発行しました"), said
    letters = at.dataframe[-1].value
    assert (
        list(letters.columns[:3]) == ["依頼番号", "接種種類コード", "ワクチン名"]
        and letters["依頼先"].iloc[0] == "架空市 健康課"
    )
    at.text_input(key="rt_date").input("令和8年11月2日")
    at.text_input(key="rt_lot").input("JE-OUT-9")
    at.text_input(key="rt_clinic").input("架空市民病院")
    at.checkbox(key="rt_ack").check()
    next(b for b in at.button if b.label == "接種を登録").click().run()
    assert not at.exception, at.exception
    assert any(s.value.startswith("記録 ") and s.value.endswith("を登録しました") for s in at.success), [
        s.value for s in at.success
    ]


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
def test_reviewer_sees_only_the_review_page_and_bad_login_is_explained(
    settings: Settings, api_process: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _logged_in(api_process, monkeypatch, "reviewer1", "wrong-password!")
    assert [e.value for e in at.error] == [
        "ユーザーIDかパスワードが違います — 両方を確認してください。5回続けて間違えると15分間ロックされます"
    ]
    at = _logged_in(api_process, monkeypatch, "reviewer1", "review-demo-pass")
    assert at.sidebar.radio[0].options == ["審査", "一括確認"]
    # opening the page takes nothing: how many wait, and the key that takes one
    assert [(m.label, m.value) for m in at.metric] == [("審査待ち", "0 件")]
    at.button(key="take").click().run()
    assert any("審査待ち" in i.value for i in at.info)  # nothing uploaded yet: an empty queue, said plainly
    assert httpx.get(api_process + "/api/v1/health").status_code == 200


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
def test_group_verification_and_supervisor_pages(
    settings: Settings, api_process: str, monkeypatch: pytest.MonkeyPatch, scanner_headers: dict[str, str]
) -> None:
    from fastapi.testclient import TestClient

    from intake.api.app import create_app
    from tests.support.api import upload
    from tests.support.env import BATCH
    from tests.support.worker import run_worker

    upload(TestClient(create_app(settings)), scanner_headers, BATCH)
    run_worker(settings)
    at = _logged_in(api_process, monkeypatch, "reviewer1", "review-demo-pass")
    at.sidebar.radio[0].set_value("一括確認").run()
    assert not at.exception, at.exception
    at.selectbox(key="group_field").set_value("doctor_name")
    at.button[0].click().run()  # 取得
    boxes = [b for b in at.text_input if b.label.startswith(("△", "✕"))]
    assert len(boxes) >= 3, [b.label for b in at.text_input]
    boxes[0].input("一括 訂正")
    at.button(key="FormSubmitter:group-まとめて確定 (Enter)").click().run()
    assert not at.exception, at.exception
    done = [s.value for s in at.success]
    assert done and f"{len(boxes)} 件確定しました" in done[0] and "うち訂正 1" in done[0], (
        done,
        at.error,
        at.info,
        at.button,
    )

    at = _logged_in(api_process, monkeypatch, "supervisor1", "super-demo-pass")
    assert at.sidebar.radio[0].options == ["監督", "審査", "一括確認"]
    assert at.sidebar.radio[0].value == "監督"  # lands on the overview: no form is taken (locked) by logging in
    assert not at.exception, at.exception
    labels = [m.label for m in at.metric]
    assert "自動確定項目の精度" in labels and "不一致率" in labels and "審査待ち" in labels
    batches = at.dataframe[-1].value  # the clinic by its name beside its code
    assert "実施機関" in batches.columns and batches["実施機関"].iloc[0] == "豊玉こどもクリニック（1310001）"


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
def test_english_is_a_setting(settings: Settings, api_process: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTAKE_API_URL", api_process)
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.sidebar.selectbox[0].set_value("en").run()
    assert at.title[0].value == "Form review — log in"
    at.text_input(key="login_user").input("supervisor1")
    at.text_input(key="login_pw").input("super-demo-pass")
    at.button[0].click().run()
    assert at.sidebar.radio[0].label == "Page"
    assert at.sidebar.radio[0].options == ["Supervisor", "Review", "Group verification"]
    at.sidebar.radio[0].set_value("Supervisor").run()  # AppTest picks by the text shown
    assert not at.exception and at.title[0].value == "Supervisor"


def test_every_screen_text_has_its_english() -> None:
    """Each t("…") literal in the UI has an English entry (a missing one would show Japanese in English mode)."""
    import ast

    from review_ui.i18n import EN, SHORTCUTS

    texts: set[str] = set()
    for module in sorted((ROOT / "review_ui").glob("*.py")):  # every page module of the UI
        tree = ast.parse(module.read_text())
        texts |= {
            n.args[0].value
            for n in ast.walk(tree)
            if isinstance(n, ast.Call)
            and getattr(n.func, "id", "") == "t"
            and n.args
            and isinstance(n.args[0], ast.Constant)
        }
        for node in tree.body:  # the shown names kept in dictionaries: queue reasons, group fields
            if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") in ("QUEUE_REASONS", "GROUP_FIELDS"):
                texts |= {v for v in ast.literal_eval(node.value).values() if v}
    assert len(texts) > 60 and SHORTCUTS in EN
    assert sorted(texts - set(EN)) == []


def test_every_message_the_reader_emits_has_words_in_both_languages() -> None:
    """ocr/ says what it found by code (ocr.types.msg); each code, and each family built from a problem's code
    (date.<code>, identity.<code>), has Japanese and English in the one catalogue."""
    from intake.messages import CATALOGUE

    literal: set[str] = set()
    families: set[str] = set()
    for module in sorted((ROOT / "ocr").glob("*.py")):
        text = module.read_text(encoding="utf-8")
        literal |= set(re.findall(r'msg\(\s*"([a-z_]+\.[a-z_]+)"', text))
        literal |= set(re.findall(r'msg\(\s*"([a-z_]+\.[a-z_]+)" if ', text))
        literal |= set(re.findall(r' else "([a-z_]+\.[a-z_]+)"\)', text))
        families |= set(re.findall(r'msg\(f"([a-z_]+)\.\{', text))
    assert len(literal) >= 30, sorted(literal)
    assert sorted(c for c in literal if c not in CATALOGUE) == []
    for family, source in (("date", "ocr/normalize.py"), ("identity", "ocr/codes.py")):
        assert family in families
        codes = set(re.findall(r'(?:DateProblem|IdentityError)\("([a-z_]+)"', (ROOT / source).read_text(encoding="utf-8")))
        assert codes and sorted(c for c in codes if f"{family}.{c}" not in CATALOGUE) == []


@pytest.mark.parametrize(
    "message",
    [
        "resident: score 12.3, margin 4.5; resident flagged: 転出 (forms arrive late; check the date)",
        "resident: score 8.0 / margin 1.0 below 14 / 6: choose by hand; kana or birth date missing or disagreeing",
        "resident: no resident shares the kana, the birth date or the name: not in register?",
        "resident: QR 宛名番号 found, but the printed kana and birth_date does not agree with the register",
        "resident: 宛名番号 read from the printed digits (no check digit): confirm name and birth date",
        "resident: form of another municipality (131016): handle by hand",
        "identity not read: QR form number check digit wrong; printed id digits not readable",
        "markers not found (1 of 4): placed by matching the printed form (312 features); check the fields by eye",
        "two markers only (an edge of the page is cut): fields near that edge may be missing; registration off by 2.1 mm",
        "not a ward form: markers and QR not found",
    ],
)
def test_page_reasons_and_match_explanations_read_in_japanese(message: str) -> None:
    """Reasons built from parts (the matcher's score and notes, registration, identity) are translated part by
    part: no English word is left for the reviewer (QR and mm are the ward's own usage)."""
    import re

    from intake.messages import machine_text as machine

    assert re.findall(r"[A-Za-z]{3,}", machine(message, "ja").replace("QR", "")) == []
