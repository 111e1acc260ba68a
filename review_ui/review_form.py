"""The form view (審査): a reviewer's next form, its fields beside the scan, the resident, keyboard-only."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import streamlit as st
from PIL import Image

from review_ui import keys
from review_ui.client import ApiError
from review_ui.common import CONFIDENCE_STYLE, SEX, api, confidence_badge, field_input, show_error, shown, t
from review_ui.i18n import SHORTCUTS

EDITABLE = (
    "temperature",
    "guardian_relation",
    "screening_result",
    "lot_number",
    "dose_ml",
    "vaccination_date",
    "doctor_name",
)

SOURCES = {"qr": "QRコード", "digits": "印字の番号", "none": "読めず"}  # where the form's identity was read

# Fields with no text box (marks, signatures): a choice the reviewer sets by key when the machine was not sure.
CHOICES = {
    "checkbox_pair": {"yes": "はい", "no": "いいえ"},
    "signature": {"present": "あり", "absent": "なし"},
    "stamp": {"present": "あり", "absent": "なし"},
}


QUEUE_REASONS = {
    "": "すべて",
    "low_confidence": "確信度の低い項目",
    "no_match": "住民未照合",
    "validation": "検証の警告",
    "qa": "精度確認の抜取検査",
    "second_entry": "二重入力の2人目",
}


def first_to_key(labels: list[str]) -> str:
    """Where the cursor starts: a blind (second) keying first, then a doubtful field, else the first field (so
    that Enter accepts a form the machine read right)."""
    for symbols in ("◆", "✕△"):
        if found := next((x for x in labels if x[:1] in symbols), None):
            return found
    return labels[0]


def crop(img: Image.Image, region: list[float], k: float) -> Image.Image:
    x, y, w, h = region
    return img.crop((int((x - 2) * k), int((y - 2) * k), int((x + w + 2) * k), int((y + h + 2) * k)))


def _done(message: str) -> None:
    st.session_state.update(last_message=message, form=None, searched=[])
    st.rerun()


def _outcome_message(out: dict[str, Any]) -> str:
    if out["status"] == "committed":
        return f"{t('台帳に登録しました')}（#{out['record']['id']}）"
    if out["status"] == "second_entry_needed":
        return t("1人目の入力を保存しました。別の審査者が重要項目を盲検で入力します")
    return f"{t('2人の入力が一致しないため監督者へ回しました')}: {out['message']}"


def review_page() -> None:
    form: dict[str, Any] | None = st.session_state.get("form")
    # first in the page, where no banner before it can shift its place: Streamlit then keeps the same frame
    keys.install(
        {
            "resident": t("住民"),
            "search": t("住民検索"),
            "reject": t("返戻"),
            "defer": t("監督者へ回す（保留）"),
            "absent": t("住民登録なし"),
            "scan": t("スキャン画像"),
            "ack": t("確認して登録（スケジュールの指摘を確認済み）"),
        },
    )
    with st.sidebar.expander(t("キューの絞り込み")):
        reason = st.selectbox(t("理由"), list(QUEUE_REASONS), format_func=shown(QUEUE_REASONS), key="q_reason")
        batch = st.text_input(t("バッチ番号"), key="q_batch").strip()
        clinic = st.text_input(t("実施機関コード"), key="q_clinic").strip()
    if form is None and not st.session_state.get("taking"):
        _waiting_room()  # opening the page takes nothing: the reviewer asks for a form with one key
        return
    if form is None:
        try:
            form = api().next_form(batch if batch.isdigit() else "", clinic, reason)
        except ApiError as e:
            show_error(e)
            return
        if form is None:
            st.session_state["taking"] = False
            if msg := st.session_state.pop("last_message", None):
                st.success(msg)
            st.info(t("審査待ちの予診票はありません。"))
            _take_button(t("再読み込み"))
            return
        st.session_state["form"] = form
    if msg := st.session_state.pop("last_message", None):
        st.success(msg)
    st.subheader(f"{t('予診票')} #{form['id']}（{t('バッチ')} {form['batch_id']}）")
    st.markdown(CONFIDENCE_STYLE, unsafe_allow_html=True)
    st.caption(f"{t('キー操作')}: " + t(SHORTCUTS))
    if form.get("qa_sample"):
        st.info(t("精度確認の抜取検査: ✓の項目も含め、すべての項目を画像と照合してください"))
    if form.get("second_entry"):
        st.info(t("2人目の盲検入力: ◆の項目は画像を見て入力してください（1人目の値は表示されません）"))
    if form["reasons"]:
        st.warning(f"{t('確認事項')}: " + " / ".join(r["text"] for r in form["reasons"]))
    left, right = st.columns([5, 6])
    with right:  # the fields first: the reviewer keys while the scan and the crops beside the fields arrive
        crop_slots = _review_form(form)
    try:
        jpeg = api().image(form["id"])
    except ApiError as e:
        show_error(e)
        return
    img = Image.open(io.BytesIO(jpeg))
    full_width = img.width
    img.draft("L", (img.width // 2, img.height // 2))  # JPEG decoded at half size: 4× faster, enough for crops
    k = form["px_per_mm"] * img.size[0] / full_width
    for slot, region in crop_slots:
        slot.image(crop(img, region, k), output_format="JPEG", width="stretch")
    shown_scan = io.BytesIO()  # ≤ 1460 px wide, JPEG: Streamlit passes it through instead of resizing it (~60 ms)
    img.save(shown_scan, "JPEG", quality=85)
    left.image(shown_scan.getvalue(), caption=t("スキャン画像"), width="stretch")


def _take_button(label: str) -> None:
    st.button(label, type="primary", key="take", on_click=st.session_state.update, kwargs={"taking": True})
    shown_n = st.session_state["take_shown"] = st.session_state.get("take_shown", 0) + 1
    keys.focus_marker(f"take-{shown_n}", label, button=True)  # Enter takes a form


def _waiting_room() -> None:
    """Before the first form of a sitting: how many wait, and one key (Enter) to take one. A form held from before
    (a reload, a lost connection) is shown as such — taking continues with it."""
    if msg := st.session_state.pop("last_message", None):
        st.success(msg)
    try:
        q = api().queue()
    except ApiError as e:
        show_error(e)
        return
    if q.get("held"):
        st.info(f"{t('確保中の予診票があります')}: #{q['held']}")
    st.metric(t("審査待ち"), f"{q['waiting']} {t('件')}")
    _take_button(t("次の予診票を取る (Enter)"))


def _review_form(form: dict[str, Any]) -> list[tuple[Any, list[float]]]:
    """The form's fields and resident choice; returns where each field's crop goes (drawn once the scan is in)."""
    ident = form["identity"]
    fields = {f["name"]: f for f in form["fields"]}
    st.caption(
        f"{t('接種種類')} {form.get('vaccine_name') or ''}（{ident.get('vaccine_code', '?')}）　"
        f"{t('回数')} {ident.get('dose_no', '?')}　"
        f"{t('予診票番号')} {ident.get('form_no', '—')}　（{t('読取')}: {t(SOURCES.get(ident.get('source', ''), '—'))}）"
    )
    proposed = {c["atena_no"] for c in form["candidates"]}
    candidates = form["candidates"] + [c for c in st.session_state.get("searched", []) if c["atena_no"] not in proposed]
    if err := st.session_state.pop("form_error", None):
        st.error(err)
    with st.form("review", clear_on_submit=False):
        keyed: dict[str, str] = {}  # field name → widget key; the submit callback reads the values from them
        crop_slots: list[tuple[Any, list[float]]] = []
        kept = form.get("keyed", {})  # a second keying: what the first reviewer typed here is not blind, kept
        if not ident.get("vaccine_code"):  # id from the printed digits: vaccine and dose are on the title
            c1, c2 = st.columns(2)
            keyed["vaccine_code"], keyed["dose_no"] = f"vc_{form['id']}", f"dn_{form['id']}"
            mark = "✓" if kept.get("vaccine_code") else "✕"
            field_input(
                c1,
                mark,
                t("接種種類コード（表題を見て入力）"),
                key=keyed["vaccine_code"],
                value=kept.get("vaccine_code", ""),
            )
            field_input(c2, mark, t("回数"), key=keyed["dose_no"], value=kept.get("dose_no", ""))
        labels_in_order = (
            [f"{'✓' if kept.get('vaccine_code') else '✕'} {t('接種種類コード（表題を見て入力）')}"] if keyed else []
        )
        for name in EDITABLE:
            f = fields[name]
            c1, c2 = st.columns([2, 3])
            crop_slots.append((c1.empty(), f["region_mm"]))
            badge = "△" if form.get("qa_sample") and f["auto_ok"] else confidence_badge(f)  # a QA sample: look at all
            label = (f["label"] or name) + (" ⚠ " + "; ".join(m["text"] for m in f["messages"]) if f["messages"] else "")
            keyed[name] = f"f_{form['id']}_{form['version']}_{name}"
            field_input(c2, badge, label, value=f["value"], key=keyed[name])
            labels_in_order.append(f"{badge} {label}")
        _choices(form, keyed)
        keys.focus_marker(f"{form['id']}/{form['version']}", first_to_key(labels_in_order))
        options = [c["atena_no"] for c in candidates]
        labels = {
            c["atena_no"]: f"[Alt+{i + 1}] {c['atena_no']} {c['name']}（{c['name_kana']}）{c['birth_date']} "
            f"{SEX.get(c['sex'], '')} {' '.join(c['flags'])} "
            + " ".join(f"[{k} {v}]" for k, v in c.get("explain", {}).items())
            for i, c in enumerate(candidates)
        }
        if options:
            chosen = form.get("chosen_atena_no")  # a second keying: the resident the first reviewer chose
            st.radio(
                t("住民（宛名番号）"),
                options,
                index=options.index(chosen) if chosen in options else 0,
                format_func=lambda a: labels.get(a, a),
                key=f"resident_{form['id']}",
            )
        else:
            st.info(t("候補がありません。下の検索で住民を探してください。"))
        checks = form.get("checks", [])
        for c in checks:  # schedule checks, shown where the reviewer decides
            source = f"（{t('根拠')}: {c['source']}）" if c.get("source") else ""
            (st.error if c["severity"] == "error" else st.warning)(f"{t('接種スケジュール')}: {c['message']}{source}")
        # the findings known when the form opened, or those the accept just met (a date the reviewer typed)
        if any(c["severity"] == "error" for c in checks) or st.session_state.get(f"ack_needed_{form['id']}"):
            st.checkbox(t("確認して登録（スケジュールの指摘を確認済み）"), key=f"ack_{form['id']}")
        # The accept runs in the callback, before the script re-runs: one run (the next form) per Enter, not two.
        st.form_submit_button(t("確定して次へ (Enter)"), type="primary", on_click=_accept, args=(form, keyed))
    _side_actions(form)
    return crop_slots


def _choices(form: dict[str, Any], keyed: dict[str, str]) -> None:
    """Every field 要確認 names gets a control: the questionnaire's はい/いいえ and the signatures and stamp
    (あり/なし) the machine was not sure of — Tab to it, arrow keys to choose. The value read is preselected."""
    doubtful = [f for f in form["fields"] if f["kind"] in CHOICES and not f["auto_ok"] and not f.get("confirmed")]
    if not doubtful:
        return
    st.caption(t("要確認の項目（矢印キーで選択）"))
    for f in doubtful:
        names = CHOICES[f["kind"]]
        options = list(names)
        keyed[f["name"]] = f"c_{form['id']}_{form['version']}_{f['name']}"
        label = f"{confidence_badge(f)} {f['label'] or f['name']}" + (
            " ⚠ " + "; ".join(m["text"] for m in f["messages"]) if f["messages"] else ""
        )
        st.radio(
            label,
            options,
            index=options.index(f["value"]) if f["value"] in options else None,
            format_func=shown(names),
            horizontal=True,
            key=keyed[f["name"]],
        )


def _accept(form: dict[str, Any], keyed: dict[str, str]) -> None:
    state = st.session_state
    chosen = state.get(f"resident_{form['id']}")
    if not chosen:
        state["form_error"] = t("住民を選んでください — 候補から選ぶか検索してください")
        return
    values = {name: str(state.get(key) or "") for name, key in keyed.items()}
    try:
        out = api().accept(form["id"], form["version"], chosen, values, bool(state.get(f"ack_{form['id']}")))
    except ApiError as e:
        state["form_error"] = e.message + (f" — {e.fix}" if e.fix else "")
        if e.code == "review.schedule":  # the box to confirm them appears; Alt+K ticks it, Enter records
            state[f"ack_needed_{form['id']}"] = True
        if e.status == 401:
            state.pop("token", None)
        return
    state.update(last_message=_outcome_message(out), form=None, searched=[])


def _side_actions(form: dict[str, Any]) -> None:
    """Search, not in register, defer, reject: each reachable by its Alt key (see review_ui.keys)."""
    with st.expander(t("住民検索（カナ＋生年月日、または宛名番号）")), st.form("search"):
        kana = st.text_input(t("氏名カナ"))
        birth = st.text_input(t("生年月日 (YYYY-MM-DD)"))
        atena = st.text_input(t("宛名番号"))
        if st.form_submit_button(t("検索")):
            try:
                st.session_state["searched"] = api().candidates(form["id"], kana, birth, atena)
            except ApiError as e:
                show_error(e)
            st.rerun()
    if st.button(t("住民登録なし（監督者へ）")):
        _release(lambda: api().defer(form["id"], form["version"], t("住民登録に該当者なし")), t("監督者へ回す"))
    with st.expander(t("監督者へ回す（保留）")), st.form("defer"):
        why = st.text_input(t("監督者への申し送り"))
        if st.form_submit_button(t("監督者へ回す")):
            _release(lambda: api().defer(form["id"], form["version"], why), t("監督者へ回す"))
    with st.expander(t("返戻（却下）")), st.form("reject"):
        reason = st.text_input(t("理由"))
        if st.form_submit_button(t("却下する")):
            _release(lambda: api().reject(form["id"], form["version"], reason), t("却下する"))


def _release(call: Callable[[], None], done: str) -> None:
    """Hand the form back (defer or reject): on success on to the next form, else the API's message stays."""
    try:
        call()
    except ApiError as e:
        show_error(e)
    else:
        _done(done)
