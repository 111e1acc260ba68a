"""Group verification (一括確認) and the supervisor page (監督)."""

from __future__ import annotations

import streamlit as st

from review_ui.client import ApiError
from review_ui.common import CONFIDENCE_STYLE, api, field_input, show_error, shown, t, table

GROUP_FIELDS = {
    "lot_number": "ロット番号",
    "vaccination_date": "接種年月日",
    "dose_ml": "接種量",
    "temperature": "体温",
    "doctor_name": "医師名",
}


def group_page() -> None:
    """One field across many forms: a grid of crops with values, confirmed with one Enter."""
    st.title(t("一括確認"))
    st.markdown(CONFIDENCE_STYLE, unsafe_allow_html=True)
    c1, c2 = st.columns(2)
    field = c1.selectbox(t("項目"), list(GROUP_FIELDS), format_func=shown(GROUP_FIELDS), key="group_field")
    batch = c2.text_input(t("バッチ番号（空欄は全バッチ）"), key="group_batch")
    if st.button(t("取得"), type="primary"):  # only the key takes (locks) forms; opening the page takes nothing
        try:
            st.session_state["group_items"] = (
                field,
                api().group_take(field, int(batch) if batch.strip().isdigit() else None),
            )
        except ApiError as e:
            show_error(e)
            return
    if msg := st.session_state.pop("group_message", None):
        st.success(msg)
    if "group_items" not in st.session_state:
        st.info(t("項目を選んで「取得」を押すと、その項目を確認する予診票をまとめて取ります。"))
        return
    got_field, items = st.session_state["group_items"]
    if not items:
        st.info(t("確認が必要な項目はありません。"))
        return
    with st.form("group"):
        values = {}
        per_row = 3  # a grid: crop above its value, three forms a row
        for start in range(0, len(items), per_row):
            for col, it in zip(st.columns(per_row), items[start : start + per_row], strict=False):
                try:
                    col.image(api().crop(it["page_id"], got_field), width="stretch")
                except ApiError as e:
                    col.error(e.message)
                badge = "△" if it["confidence"] >= 0.6 else "✕"
                values[it["page_id"]] = field_input(
                    col,
                    badge,
                    f"#{it['page_id']} {t(GROUP_FIELDS[got_field])}",
                    value=it["value"],
                    key=f"g_{got_field}_{it['page_id']}_{it['version']}",
                )
        go = st.form_submit_button(t("まとめて確定 (Enter)"), type="primary")
    if go:
        try:
            out = api().group_confirm(got_field, [{**it, "value": values[it["page_id"]]} for it in items])
        except ApiError as e:
            show_error(e)
            return
        msg = f"{len(out['confirmed'])} {t('件確定しました')}（{t('うち訂正')} {len(out['corrected'])}）"
        if out["refused"]:
            msg += f" — {t('確定できなかった予診票')}: " + "; ".join(f"#{k} {v}" for k, v in out["refused"].items())
        st.session_state.pop("group_items")
        st.session_state["group_message"] = msg
        st.rerun()


def _rate(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:.2f}%"


def supervisor_page() -> None:
    st.title(t("監督"))
    try:
        s = api().stats()
        batches = api().batches()
    except ApiError as e:
        show_error(e)
        return
    c1, c2 = st.columns(2)
    c1.metric(t("審査待ち"), s["queue"].get("extracted", 0) + s["queue"].get("in_review", 0))
    c2.metric(t("監督者へ回された予診票"), s["deferred"])
    qa, de = s["qa"], s["double_entry"]
    st.write(t("精度確認の抜取検査（機械の実精度）"))
    q1, q2, q3 = st.columns(3)
    q1.metric(t("検査済み"), f"{qa['reviewed']}（{t('待ち')} {qa['waiting']}）")
    q2.metric(t("自動確定項目の精度"), _rate(qa["auto_field_precision"]))
    q2.caption(f"{qa['auto_fields_corrected']} / {qa['auto_fields']}")
    q3.metric(t("自動照合の精度"), _rate(qa["auto_match_precision"]))
    q3.caption(f"{qa['auto_matches_corrected']} / {qa['auto_matches']}")
    st.write(t("二重入力（重要項目の不一致率）"))
    d1, d2 = st.columns(2)
    d1.metric(t("組"), de["pairs"])
    d2.metric(t("不一致率"), _rate(de["disagreement_rate"]))
    if de["by_field"]:
        st.dataframe(table([{"field": k, **v} for k, v in de["by_field"].items()]), width="stretch")
    st.write(t("状態別の件数"))
    st.dataframe(table([s["queue"]]), width="stretch")
    st.write(t("審査者別の処理件数と速度（直近24時間）"))
    st.dataframe(table(s["reviewers"]), width="stretch")
    st.write(t("バッチ"))
    rows = [
        {"batch": b["id"], "clinic": f"{b.get('clinic_name') or ''}（{b['clinic_code']}）", "pages": b["page_count"],
         **b["status_counts"]}
        for b in batches
    ]  # fmt: skip
    st.dataframe(table(rows), width="stretch")
