"""Ward staff pages: record search, a resident's history, reports."""

from __future__ import annotations

from typing import Any

import streamlit as st

from review_ui import keys
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
    keys.install_staff(t("再発行して印刷"))
    with st.form("history"):
        typed = st.text_input(t("宛名番号"))
        go = st.form_submit_button(t("表示"))
    if go and typed.strip():  # kept while the certificate and reissue below are used (each is a rerun)
        st.session_state["history_atena"] = typed.strip()
        st.session_state.pop("printed", None)
    atena = str(st.session_state.get("history_atena", ""))
    if not atena:
        return
    try:
        h = api().resident_history(atena)
    except ApiError as e:
        show_error(e)
        return
    born = wareki(h["birth_date"]) if h["birth_date"] and lang() != "en" else h["birth_date"] or ""
    st.subheader(f"{h['name']}（{h['name_kana']}） {born} {SEX.get(h['sex'], '')} {h['move_reason']}")
    st.write(t("接種記録"))
    st.dataframe(table(h["records"]), width="stretch")
    st.write(t("次回の接種（スケジュール）"))
    st.dataframe(table(h["next_due"]), width="stretch")
    _certificate(atena)
    _reissue(atena, h)
    _request_letter(atena, h)


def _certificate(atena: str) -> None:
    """予防接種済証: made on request (the print is recorded), then handed to the browser to print."""
    if st.button(t("予防接種済証を作成")):
        try:
            st.session_state["printed"] = ("certificate", api().certificate(atena), f"予防接種済証_{atena}.pdf", "")
        except ApiError as e:
            show_error(e)
    _printed("certificate")


def _reissue(atena: str, h: dict[str, Any]) -> None:
    """窓口再発行: a new form with a new number; the earlier one for this vaccine and dose is voided. Keyboard-first:
    Alt+P puts the cursor in the first box (prefilled with what is due next), Enter prints, and the cursor lands on
    the PDF button (Enter opens it): three keys after the resident is found."""
    st.write(t("予診票の再発行（窓口）") + " — Alt+P")
    due = h["next_due"][0] if h["next_due"] else {}
    with st.form("reissue"):
        c1, c2, c3 = st.columns(3)
        vaccine = c1.text_input(t("接種種類コード"), value=due.get("vaccine_code", ""))
        dose = c2.number_input(t("回数"), min_value=1, max_value=9, value=int(due.get("dose_no", 1)), step=1)
        reason = c3.text_input(t("理由"), value=t("紛失"))
        go = st.form_submit_button(t("再発行して印刷"))
    if go:
        try:
            pdf, form_no, voided = api().reissue(atena, vaccine.strip(), int(dose), reason)
        except ApiError as e:
            show_error(e)
        else:
            said = t("予診票番号 {form_no} を発行しました").format(form_no=form_no)
            if voided:
                said += t("（無効にした番号: {voided}）").format(voided=voided)
            st.session_state["printed"] = ("reissue", pdf, f"予診票_{form_no}.pdf", said)
    _printed("reissue")


def _request_letter(atena: str, h: dict[str, Any]) -> None:
    """依頼書: a numbered letter for the municipality or clinic that will vaccinate the resident elsewhere; and the
    vaccination that comes back, entered against its number."""
    st.write(t("依頼書（区外での接種）"))
    due = [d["vaccine_code"] for d in h["next_due"]]
    with st.form("request"):
        c1, c2, c3 = st.columns(3)
        vaccine = c1.text_input(t("接種種類コード"), value=due[0] if due else "", key="rq_vaccine")
        dose = c2.number_input(t("回数"), min_value=1, max_value=9, value=1, step=1, key="rq_dose")
        receiver = c3.text_input(t("依頼先（市区町村・医療機関）"), key="rq_receiver")
        stay = st.text_input(t("滞在先住所"), key="rq_stay")
        reason = st.text_input(t("依頼の理由"), value=t("里帰り出産"), key="rq_reason")
        ack = st.checkbox(t("接種済みの回でも発行する（確認済み）"), key="rq_ack")
        go = st.form_submit_button(t("依頼書を発行"))
    if go:
        body = {"atena_no": atena, "vaccine_code": vaccine.strip(), "dose_no": int(dose), "receiver": receiver,
                "stay_address": stay, "reason": reason, "acknowledged": ack}  # fmt: skip
        try:
            pdf, number, _ = api().request_letter(body)
        except ApiError as e:
            show_error(e)
        else:
            said = t("依頼番号 {number} の依頼書を発行しました").format(number=number)
            st.session_state["printed"] = ("request", pdf, f"依頼書_{number}.pdf", said)
    _printed("request")
    letters = api().request_letters(atena)
    open_letters = {x["request_no"]: x["id"] for x in letters if x["record_id"] is None}
    shown_keys = (
        "request_no",
        "vaccine_code",
        "vaccine_name",
        "dose_no",
        "receiver",
        "issued_on",
        "received_on",
        "record_id",
    )
    if letters:
        st.dataframe(table([{k: x[k] for k in shown_keys} for x in letters]), width="stretch")
    if not open_letters:
        return
    with st.form("returned"):
        c1, c2, c3, c4 = st.columns(4)
        number = c1.selectbox(t("依頼番号"), list(open_letters), key="rt_no")
        performed = c2.text_input(t("接種年月日"), key="rt_date")
        lot = c3.text_input(t("ロット番号"), key="rt_lot")
        clinic = c4.text_input(t("実施機関"), key="rt_clinic")
        ack = st.checkbox(t("スケジュール確認済み"), key="rt_ack")
        go = st.form_submit_button(t("接種を登録"))
    if go:
        body = {"performed_on": performed.strip(), "lot_number": lot, "clinic_name": clinic, "acknowledged": ack}
        try:
            rec = api().enter_returned(open_letters[str(number)], body)
        except ApiError as e:
            show_error(e)
        else:
            st.success(t("記録 {id} を登録しました").format(id=rec["id"]))


def _printed(kind: str) -> None:
    printed = st.session_state.get("printed")
    if printed and printed[0] == kind:
        if printed[3]:
            st.success(printed[3])
        keys.focus_marker(printed[2], t("PDFを開く"), button=True)  # the cursor on it: Enter opens the PDF
        st.download_button(t("PDFを開く"), printed[1], file_name=printed[2], mime="application/pdf")


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
