"""Review UI (Streamlit). Japanese screens for reviewers and staff; every datum comes from the API."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path
from typing import Any

import streamlit as st
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from review_ui.client import Api, ApiError  # noqa: E402

API_URL = os.environ.get("INTAKE_API_URL", "http://127.0.0.1:8000")
EDITABLE = (
    "temperature",
    "guardian_relation",
    "screening_result",
    "lot_number",
    "dose_ml",
    "vaccination_date",
    "doctor_name",
)
SEX = {"1": "男", "2": "女"}

st.set_page_config(page_title="予診票 審査", layout="wide")


def api() -> Api:
    return Api(API_URL, st.session_state.get("token", ""))


def show_error(e: ApiError) -> None:
    st.error(f"{e.message}" + (f" — {e.fix}" if e.fix else ""))
    if e.status == 401:
        st.session_state.pop("token", None)


def login_page() -> None:
    st.title("予診票 審査システム ログイン")
    with st.form("login"):
        user = st.text_input("ユーザーID", key="login_user")
        pw = st.text_input("パスワード", type="password", key="login_pw")
        if st.form_submit_button("ログイン"):
            try:
                body = Api(API_URL).login(user, pw)
            except ApiError as e:
                show_error(e)
                return
            st.session_state.update(token=body["token"], role=body["role"], username=body["username"])
            st.rerun()


def confidence_badge(f: dict[str, Any]) -> str:
    # Symbols from the CJK fonts reviewers' terminals have (no emoji font there): sure / doubtful / unread.
    if f["auto_ok"]:
        return "✓"
    return "△" if f["confidence"] >= 0.6 else "✕"


def crop(img: Image.Image, region: list[float], k: float) -> Image.Image:
    x, y, w, h = region
    return img.crop((int((x - 2) * k), int((y - 2) * k), int((x + w + 2) * k), int((y + h + 2) * k)))


def review_page() -> None:
    form: dict[str, Any] | None = st.session_state.get("form")
    if form is None:
        try:
            form = api().next_form()
        except ApiError as e:
            show_error(e)
            return
        if form is None:
            st.info("審査待ちの予診票はありません。")
            if st.button("再読み込み"):
                st.rerun()
            return
        st.session_state["form"] = form
    if st.session_state.pop("last_saved", None):
        st.success(st.session_state.pop("last_message", "登録しました"))
    try:
        img = Image.open(io.BytesIO(api().image(form["id"])))
    except ApiError as e:
        show_error(e)
        return
    st.subheader(f"予診票 #{form['id']}（バッチ {form['batch_id']}）")
    if form["reasons"]:
        st.warning("確認事項: " + " / ".join(form["reasons"]))
    left, right = st.columns([5, 6])
    with left:
        st.image(img, caption="スキャン画像", use_container_width=True)
    ident = form["identity"]
    fields = {f["name"]: f for f in form["fields"]}
    with right:
        st.caption(
            f"接種種類 {ident.get('vaccine_code', '?')}　第{ident.get('dose_no', '?')}回　"
            f"予診票番号 {ident.get('form_no', '—')}　（読取: {ident.get('source', '')}）"
        )
        candidates = form["candidates"] + st.session_state.get("searched", [])
        with st.form("review", clear_on_submit=False):
            values: dict[str, str] = {}
            if not ident.get("vaccine_code"):  # id from the printed digits: vaccine and dose are on the title
                c1, c2 = st.columns(2)
                values["vaccine_code"] = c1.text_input("✕ 接種種類コード（表題を見て入力）", key=f"vc_{form['id']}")
                values["dose_no"] = c2.text_input("✕ 回数", key=f"dn_{form['id']}")
            for name in EDITABLE:
                f = fields[name]
                c1, c2 = st.columns([2, 3])
                c1.image(crop(img, f["region_mm"], form["px_per_mm"]), use_container_width=True)
                label = f"{confidence_badge(f)} {f['label'] or name}" + (
                    " ⚠ " + "; ".join(f["messages"]) if f["messages"] else ""
                )
                values[name] = c2.text_input(label, value=f["value"], key=f"f_{form['id']}_{name}")
            options = [c["atena_no"] for c in candidates]
            labels = {
                c["atena_no"]: f"{c['atena_no']} {c['name']}（{c['name_kana']}）{c['birth_date']} "
                f"{SEX.get(c['sex'], '')} {' '.join(c['flags'])} "
                + " ".join(f"[{k} {v}]" for k, v in c.get("explain", {}).items())
                for c in candidates
            }
            chosen = (
                st.radio("住民（宛名番号）", options, format_func=lambda a: labels.get(a, a), key=f"resident_{form['id']}")
                if options
                else None
            )
            if not options:
                st.info("候補がありません。下の検索で住民を探してください。")
            checks = form.get("checks", [])
            for c in checks:  # schedule checks, shown where the reviewer decides
                (st.error if c["severity"] == "error" else st.warning)(f"接種スケジュール: {c['message']}")
            acknowledged = any(c["severity"] == "error" for c in checks) and st.checkbox(
                "確認して登録（スケジュールの指摘を確認済み）", key=f"ack_{form['id']}"
            )
            submitted = st.form_submit_button("確定して次へ (Enter)", type="primary")
        if submitted:
            if not chosen:
                st.error("住民を選んでください — 候補から選ぶか検索してください")
            else:
                try:
                    rec = api().accept(form["id"], form["version"], chosen, values, bool(acknowledged))
                except ApiError as e:
                    show_error(e)
                else:
                    st.session_state.update(
                        last_saved=True, form=None, searched=[], last_message=f"台帳に登録しました（記録 #{rec['id']}）"
                    )
                    st.rerun()
        with st.expander("住民検索（カナ＋生年月日、または宛名番号）"), st.form("search"):
            kana = st.text_input("氏名カナ")
            birth = st.text_input("生年月日 (YYYY-MM-DD)")
            atena = st.text_input("宛名番号")
            if st.form_submit_button("検索"):
                try:
                    st.session_state["searched"] = api().candidates(form["id"], kana, birth, atena)
                except ApiError as e:
                    show_error(e)
                st.rerun()
        with st.expander("監督者へ回す（保留）"), st.form("defer"):
            why = st.text_input("監督者への申し送り")
            if st.form_submit_button("監督者へ回す"):
                try:
                    api().defer(form["id"], form["version"], why)
                except ApiError as e:
                    show_error(e)
                else:
                    st.session_state.update(form=None, searched=[])
                    st.rerun()
        with st.expander("返戻（却下）"), st.form("reject"):
            reason = st.text_input("理由")
            if st.form_submit_button("却下する"):
                try:
                    api().reject(form["id"], form["version"], reason)
                except ApiError as e:
                    show_error(e)
                else:
                    st.session_state.update(form=None, searched=[])
                    st.rerun()


def records_page() -> None:
    st.title("接種記録検索")
    with st.form("records"):
        c1, c2, c3 = st.columns(3)
        atena = c1.text_input("宛名番号")
        kana = c2.text_input("氏名カナ")
        birth = c3.text_input("生年月日 (YYYY-MM-DD)")
        c4, c5, c6 = st.columns(3)
        vaccine = c4.text_input("接種種類コード")
        date_from = c5.text_input("実施日 から")
        date_to = c6.text_input("実施日 まで")
        lot = st.text_input("ロット番号")
        go = st.form_submit_button("検索")
    if go:
        try:
            rows = api().records(
                atena_no=atena, kana=kana, birth_date=birth, vaccine=vaccine, date_from=date_from, date_to=date_to, lot=lot
            )
        except ApiError as e:
            show_error(e)
            return
        st.write(f"{len(rows)} 件")
        if rows:
            st.dataframe(rows, use_container_width=True)


def history_page() -> None:
    st.title("住民の接種履歴")
    with st.form("history"):
        atena = st.text_input("宛名番号")
        go = st.form_submit_button("表示")
    if not go or not atena:
        return
    try:
        h = api().resident_history(atena.strip())
    except ApiError as e:
        show_error(e)
        return
    st.subheader(f"{h['name']}（{h['name_kana']}） {h['birth_date']} {SEX.get(h['sex'], '')} {h['move_reason']}")
    st.write("接種記録")
    st.dataframe(h["records"], use_container_width=True)
    st.write("次回の接種（スケジュール）")
    st.dataframe(h["next_due"], use_container_width=True)


def reports_page() -> None:
    st.title("報告")
    kind = st.radio(
        "種類",
        ["yearly", "clinics"],
        format_func=lambda k: {"yearly": "年度別接種者数（施行令第7条）", "clinics": "医療機関別・月別 照合"}[k],
    )
    period = st.text_input("年度 (例 2026)" if kind == "yearly" else "月 (例 2026-11)")
    if not period:
        return
    try:
        rows = api().report(kind, period)
        csv_text = api().report(kind, period, "csv")
    except ApiError as e:
        show_error(e)
        return
    st.dataframe(rows, use_container_width=True)
    if rows and kind == "yearly":
        st.bar_chart({f"{r['接種種類コード']} 第{r['回数']}回": r["接種者数"] for r in rows})
    st.download_button("CSV（個人番号・氏名なし）", csv_text, file_name=f"{kind}_{period}.csv", mime="text/csv")


def supervisor_page() -> None:
    st.title("監督")
    try:
        s = api().stats()
        batches = api().batches()
    except ApiError as e:
        show_error(e)
        return
    c1, c2 = st.columns(2)
    c1.metric("審査待ち", s["queue"].get("extracted", 0) + s["queue"].get("in_review", 0))
    c2.metric("監督者へ回された予診票", s["deferred"])
    st.write("状態別の件数")
    st.dataframe([s["queue"]], use_container_width=True)
    st.write(f"審査者別の処理件数（直近{s['since_hours']}時間）")
    st.dataframe(s["reviewers"], use_container_width=True)
    st.write("バッチ")
    st.dataframe(
        [{"batch": b["id"], "clinic": b["clinic_code"], "pages": b["page_count"], **b["status_counts"]} for b in batches],
        use_container_width=True,
    )


def main() -> None:
    if not st.session_state.get("token"):
        login_page()
        return
    role = st.session_state.get("role")
    st.sidebar.write(f"{st.session_state.get('username')}（{role}）")
    staff_pages = ["記録検索", "住民履歴", "報告"]
    pages = {"reviewer": ["審査"], "supervisor": ["審査", "監督"], "staff": staff_pages, "admin": staff_pages}.get(
        role or "", []
    )
    choice = st.sidebar.radio("画面", pages) if pages else None
    if st.sidebar.button("ログアウト"):
        try:
            api().logout()
        finally:
            st.session_state.clear()
            st.rerun()
    if choice == "審査":
        review_page()
    elif choice == "記録検索":
        records_page()
    elif choice == "監督":
        supervisor_page()
    elif choice == "住民履歴":
        history_page()
    elif choice == "報告":
        reports_page()
    else:
        st.info("この役割で使える画面はありません。")


main()
