"""Review UI (Streamlit). Japanese screens for reviewers and staff; every datum comes from the API.

Run as a script (`streamlit run review_ui/app.py`): the pages live in review_form (審査), oversight (一括確認,
監督) and staff (記録検索, 住民履歴, 報告); common holds the language, API client and confidence marks."""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from intake.logs import configure_logging  # noqa: E402
from intake.messages import ROLE_JA  # noqa: E402
from intake.settings import get_settings  # noqa: E402
from review_ui import keys  # noqa: E402
from review_ui.client import Api, ApiError  # noqa: E402
from review_ui.common import UI_FONT_STYLE, api, api_url, lang, show_error, shown, t  # noqa: E402
from review_ui.oversight import group_page, supervisor_page  # noqa: E402
from review_ui.review_form import review_page  # noqa: E402
from review_ui.staff import history_page, records_page, reports_page  # noqa: E402

configure_logging(get_settings(), "ui")  # one JSON log format with the API and the worker
st.set_page_config(page_title="予診票 審査", layout="wide")
st.markdown(UI_FONT_STYLE, unsafe_allow_html=True)
keys.install_page(t("本文へ移動"))


def login_page() -> None:
    st.title(t("予診票 審査システム ログイン"))
    with st.form("login"):
        user = st.text_input(t("ユーザーID"), key="login_user")
        pw = st.text_input(t("パスワード"), type="password", key="login_pw")
        if st.form_submit_button(t("ログイン")):
            try:
                body = Api(api_url(), lang=lang()).login(user, pw)
            except ApiError as e:
                show_error(e)
                return
            st.session_state.update(token=body["token"], role=body["role"], username=body["username"])
            st.rerun()


PAGES = {
    "審査": review_page,
    "一括確認": group_page,
    "監督": supervisor_page,
    "記録検索": records_page,
    "住民履歴": history_page,
    "報告": reports_page,
}


ROLE_PAGES = {
    "reviewer": ["審査", "一括確認"],
    "supervisor": ["監督", "審査", "一括確認"],  # a supervisor lands on the overview; opening 審査 takes a form
    "staff": ["記録検索", "住民履歴", "報告"],
    "admin": ["記録検索", "住民履歴", "報告"],
}


def main() -> None:
    langs = {"ja": "日本語", "en": "English"}
    st.session_state.setdefault("lang", lang())
    st.sidebar.selectbox("言語 / Language", list(langs), format_func=langs.__getitem__, key="lang")
    if not st.session_state.get("token"):
        login_page()
        return
    role = st.session_state.get("role")
    st.sidebar.write(f"{st.session_state.get('username')}（{t(ROLE_JA.get(role or '', role or ''))}）")
    pages = ROLE_PAGES.get(role or "", [])
    choice = st.sidebar.radio(t("画面"), pages, format_func=shown({p: p for p in pages})) if pages else None
    if st.sidebar.button(t("ログアウト")):
        try:
            api().logout()
        finally:
            st.session_state.clear()
            st.rerun()
    if choice is None:
        st.info(t("この役割で使える画面はありません。"))
    else:
        PAGES[choice]()


main()
