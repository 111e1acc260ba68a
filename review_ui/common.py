"""What every page of the review UI shares: the language, the API client, errors, the confidence marks. What the
machine says (field messages, reasons, schedule findings) arrives worded by the API in the reviewer's language."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date
from typing import Any

import streamlit as st

from ocr.normalize import ERAS
from review_ui.client import Api, ApiError
from review_ui.i18n import translate


def api_url() -> str:
    """Read per call, not at import (the UI's one setting besides the language)."""
    return os.environ.get("INTAKE_API_URL", "http://127.0.0.1:8000")


SEX = {"1": "男", "2": "女"}


def lang() -> str:
    """The reviewer's language: chosen in the sidebar, else INTAKE_UI_LANG, else Japanese."""
    return str(st.session_state.get("lang", os.environ.get("INTAKE_UI_LANG", "ja")))


def t(text: str) -> str:
    return translate(text, lang())


def shown(names: dict[str, str]) -> Callable[[str], str]:
    """A widget's format_func with the language fixed now: Streamlit may call it outside the script run."""
    fixed = lang()
    return lambda key: translate(names[key], fixed)


def api() -> Api:
    return Api(api_url(), st.session_state.get("token", ""), lang())


def show_error(e: ApiError) -> None:
    st.error(f"{e.message}" + (f" — {e.fix}" if e.fix else ""))
    if e.status == 401:
        st.session_state.pop("token", None)


def confidence_badge(f: dict[str, Any]) -> str:
    """Symbols from the CJK fonts reviewers' terminals have (no emoji font there), each shown in its colour:
    blind second keying / sure or confirmed by a person / doubtful / unread. The cursor starts on the first ◆,
    then ✕ or △ (review_ui.keys)."""
    if f.get("blind"):
        return "◆"
    if f["auto_ok"] or f.get("confirmed"):
        return "✓"
    return "△" if f["confidence"] >= 0.6 else "✕"


# The page's fonts, chosen: Streamlit's default has no Japanese glyphs, and the browser's fallback on a machine that
# also has handwriting fonts (the corpus tools install some) rendered headings in one. A Japanese UI font first.
UI_FONT_STYLE = """<style>
html, body, [class*="st-"], .stMarkdown, .stMarkdown p, h1, h2, h3, h4, h5, h6, input, textarea, button, label, td, th {
  font-family: "IPAexGothic", "IPAexゴシック", "Noto Sans CJK JP", "Noto Sans JP", sans-serif !important;
}
/* Streamlit's English hint under every box of a form ("Press Enter to submit form"): the keys are on screen */
[data-testid="InputInstructions"] { display: none !important; }
</style>"""


# The confidence colour on each field's box, by its accessible label's first symbol: one style element for the
# page rather than a coloured label element per field (each element costs render time on every form).
CONFIDENCE_STYLE = """<style>
input[aria-label^="✕"] { border-left: 6px solid #d62728 !important; }
input[aria-label^="△"] { border-left: 6px solid #ff9f1c !important; }
input[aria-label^="✓"] { border-left: 6px solid #2ca02c !important; }
input[aria-label^="◆"] { border-left: 6px solid #1f77b4 !important; }
</style>"""


def field_input(where: Any, badge: str, label: str, **kw: Any) -> str:
    """A text input labelled "△ 医師名": the symbol is read by screen readers, the keyboard helper and the tests;
    the box is coloured by CONFIDENCE_STYLE."""
    return str(where.text_input(f"{badge} {label}", **kw))


# Column headers as ward staff read them (API keys never reach a screen); a cell with nothing shows nothing.
COLUMNS = {
    "id": "記録番号", "atena_no": "宛名番号", "name": "氏名", "name_kana": "氏名カナ",
    "vaccine_code": "接種種類コード", "vaccine_name": "ワクチン名", "request_no": "依頼番号", "receiver": "依頼先",
    "issued_on": "発行日", "received_on": "依頼書受付日", "record_id": "接種記録番号",
    "dose_no": "回数", "performed_on": "実施日", "screened_only": "予診のみ", "clinic_code": "実施機関コード",
    "clinic_name": "実施機関名", "doctor_name": "医師名", "lot_number": "ロット番号", "dose_ml": "接種量(mL)",
    "form_no": "予診票番号", "page_id": "ページ番号", "version": "版", "schedule_flags": "スケジュール確認",
    "earliest": "接種可能開始日", "latest": "接種期限", "overdue": "期限超過", "user_id": "利用者番号",
    "username": "審査者", "sec_per_form": "秒/件", "forms_per_hour": "件/時", "field": "項目", "batch": "バッチ",
    "clinic": "実施機関", "pages": "ページ数", "queued": "待ち", "processing": "読取中",
    "extracted": "読取済", "in_review": "審査中", "committed": "登録済", "rejected": "却下",
    "failed": "失敗", "skipped": "対象外",
}  # fmt: skip


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "○" if value else ""
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return value


DATE_COLUMNS = {"performed_on", "birth_date", "earliest", "latest", "issued_on", "received_on"}


def wareki(value: Any) -> Any:
    """An ISO date as the ward writes it: 令和8年11月1日 (Japanese screens); other values as they are."""
    try:
        d = date.fromisoformat(str(value))
    except ValueError:
        return value
    for era, (start, end) in ERAS.items():
        if start <= d and (end is None or d <= end):
            year = d.year - start.year + 1
            return f"{era}{'元' if year == 1 else year}年{d.month}月{d.day}日"
    return value


def table(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows for st.dataframe with Japanese headers (English with the English setting), dates in 和暦 on Japanese
    screens, and blank empty cells."""
    ja = lang() != "en"
    return [
        {
            t(COLUMNS.get(k, k)): _cell(wareki(v) if ja and k in DATE_COLUMNS and v else _undated(k, v, row))
            for k, v in row.items()
        }
        for row in rows
    ]


def _undated(key: str, value: Any, row: dict[str, Any]) -> Any:
    """A 予診のみ row whose paper carries no date says so, instead of an empty cell that looks like a lost value."""
    return t("（記載なし）") if key == "performed_on" and value is None and row.get("screened_only") else value
