"""Ward staff pages: record search, a resident's history, reports."""

from __future__ import annotations

import streamlit as st

from review_ui.client import ApiError
from review_ui.common import SEX, api, lang, show_error, t, table, wareki


def records_page() -> None:
    st.title(t("接種記録検索"))
    with st.form("records"):
        c1, c2, c3 = st.columns(3)
        atena = c1.text_input(t("宛名番号"))
        kana = c2.text_input(t("氏名カナ"))
        birth = c3.text_input(t("生年月日 (例 令和3年10月20日・2021-10-20)"))
        c4, c5, c6 = st.columns(3)
        vaccine = c4.text_input(t("接種種類コード"))
        date_from = c5.text_input(t("実施日 から (例 令和8年4月1日)"))
        date_to = c6.text_input(t("実施日 まで"))
        lot = st.text_input(t("ロット番号"))
        go = st.form_submit_button(t("検索"))
    if go:
        try:
            rows = api().records(
                atena_no=atena, kana=kana, birth_date=birth, vaccine=vaccine, date_from=date_from, date_to=date_to, lot=lot
            )
        except ApiError as e:
            show_error(e)
            return
        st.write(f"{len(rows)} {t('件')}")
        if rows:
            st.dataframe(table(rows), width="stretch")


def history_page() -> None:
    st.title(t("住民の接種履歴"))
    with st.form("history"):
        atena = st.text_input(t("宛名番号"))
        go = st.form_submit_button(t("表示"))
    if not go or not atena:
        return
    try:
        h = api().resident_history(atena.strip())
    except ApiError as e:
        show_error(e)
        return
    born = wareki(h["birth_date"]) if h["birth_date"] and lang() != "en" else h["birth_date"] or ""
    st.subheader(f"{h['name']}（{h['name_kana']}） {born} {SEX.get(h['sex'], '')} {h['move_reason']}")
    st.write(t("接種記録"))
    st.dataframe(table(h["records"]), width="stretch")
    st.write(t("次回の接種（スケジュール）"))
    st.dataframe(table(h["next_due"]), width="stretch")


def reports_page() -> None:
    st.title(t("報告"))
    names = {"yearly": t("年度別接種者数（施行令第7条）"), "clinics": t("医療機関別・月別 照合")}
    kind = st.radio(t("種類"), ["yearly", "clinics"], format_func=lambda k: names[k])
    period = st.text_input(t("年度 (例 令和8・2026)") if kind == "yearly" else t("月 (例 令和8年11月・2026-11)"))
    if not period:
        return
    try:
        rows = api().report(kind, period)
        csv_text = api().report(kind, period, "csv")
    except ApiError as e:
        show_error(e)
        return
    st.dataframe(rows, width="stretch")
    if rows and kind == "yearly":
        st.bar_chart({f"{r['接種種類コード']} 第{r['回数']}回": r["接種者数"] for r in rows})
    st.download_button(t("CSV（個人番号・氏名なし）"), csv_text, file_name=f"{kind}_{period}.csv", mime="text/csv")
