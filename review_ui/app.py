"""Review UI (Streamlit). Japanese screens for reviewers and staff; every datum comes from the API."""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import streamlit as st
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from review_ui import keys  # noqa: E402
from review_ui.client import Api, ApiError  # noqa: E402
from review_ui.i18n import SHORTCUTS, machine, translate  # noqa: E402

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
QUEUE_REASONS = {
    "": "すべて",
    "low_confidence": "確信度の低い項目",
    "no_match": "住民未照合",
    "validation": "検証の警告",
    "qa": "QA抜取検査",
    "second_entry": "二重入力の2人目",
}
GROUP_FIELDS = {
    "lot_number": "ロット番号",
    "vaccination_date": "接種年月日",
    "dose_ml": "接種量",
    "temperature": "体温",
    "doctor_name": "医師名",
}


def _lang() -> str:
    return str(st.session_state.get("lang", os.environ.get("INTAKE_UI_LANG", "ja")))


def t(text: str) -> str:
    return translate(text, _lang())


def said(message: str) -> str:
    """What the machine says of a field or page (written in English), in the reviewer's language."""
    return machine(message, _lang())


def shown(names: dict[str, str]) -> Callable[[str], str]:
    """A widget's format_func with the language fixed now: Streamlit may call it outside the script run."""
    lang = _lang()
    return lambda key: translate(names[key], lang)


def api() -> Api:
    return Api(API_URL, st.session_state.get("token", ""))


def show_error(e: ApiError) -> None:
    st.error(f"{e.message}" + (f" — {e.fix}" if e.fix else ""))
    if e.status == 401:
        st.session_state.pop("token", None)


def login_page() -> None:
    st.title(t("予診票 審査システム ログイン"))
    with st.form("login"):
        user = st.text_input(t("ユーザーID"), key="login_user")
        pw = st.text_input(t("パスワード"), type="password", key="login_pw")
        if st.form_submit_button(t("ログイン")):
            try:
                body = Api(API_URL).login(user, pw)
            except ApiError as e:
                show_error(e)
                return
            st.session_state.update(token=body["token"], role=body["role"], username=body["username"])
            st.rerun()


def confidence_badge(f: dict[str, Any]) -> str:
    """Symbols from the CJK fonts reviewers' terminals have (no emoji font there), each shown in its colour:
    blind second keying / sure or confirmed by a person / doubtful / unread. The cursor starts on the first ◆,
    then ✕ or △ (review_ui.keys)."""
    if f.get("blind"):
        return "◆"
    if f["auto_ok"] or f.get("confirmed"):
        return "✓"
    return "△" if f["confidence"] >= 0.6 else "✕"


# The confidence colour on each field's box, by its accessible label's first symbol: one style element for the
# page rather than a coloured label element per field (each element costs render time on every form).
CONFIDENCE_STYLE = """<style>
input[aria-label^="✕"] { border-left: 6px solid #d62728 !important; }
input[aria-label^="△"] { border-left: 6px solid #ff9f1c !important; }
input[aria-label^="✓"] { border-left: 6px solid #2ca02c !important; }
input[aria-label^="◆"] { border-left: 6px solid #1f77b4 !important; }
</style>"""


def first_to_key(labels: list[str]) -> str:
    """Where the cursor starts: a blind (second) keying first, then a doubtful field, else the first field (so
    that Enter accepts a form the machine read right)."""
    for symbols in ("◆", "✕△"):
        if found := next((x for x in labels if x[:1] in symbols), None):
            return found
    return labels[0]


def field_input(where: Any, badge: str, label: str, **kw: Any) -> str:
    """A text input labelled "△ 医師名": the symbol is read by screen readers, the keyboard helper and the tests;
    the box is coloured by CONFIDENCE_STYLE."""
    return str(where.text_input(f"{badge} {label}", **kw))


def crop(img: Image.Image, region: list[float], k: float) -> Image.Image:
    x, y, w, h = region
    return img.crop((int((x - 2) * k), int((y - 2) * k), int((x + w + 2) * k), int((y + h + 2) * k)))


def _done(message: str) -> None:
    st.session_state.update(last_message=message, form=None, searched=[])
    st.rerun()


def _readable(reason: str, form: dict[str, Any]) -> str:
    """'check: lot_number, doctor_name' as the reviewer reads it: the fields' labels on the form."""
    if not reason.startswith("check: "):
        return said(reason)
    labels = {f["name"]: f["label"] or f["name"] for f in form["fields"]}
    return t("要確認") + ": " + "、".join(labels.get(n, n) for n in reason[len("check: ") :].split(", "))


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
        },
    )
    with st.sidebar.expander(t("キューの絞り込み")):
        reason = st.selectbox(t("理由"), list(QUEUE_REASONS), format_func=shown(QUEUE_REASONS), key="q_reason")
        batch = st.text_input(t("バッチ番号"), key="q_batch").strip()
        clinic = st.text_input(t("実施機関コード"), key="q_clinic").strip()
    if form is None:
        try:
            form = api().next_form(batch if batch.isdigit() else "", clinic, reason)
        except ApiError as e:
            show_error(e)
            return
        if form is None:
            if msg := st.session_state.pop("last_message", None):
                st.success(msg)
            st.info(t("審査待ちの予診票はありません。"))
            if st.button(t("再読み込み")):
                st.rerun()
            return
        st.session_state["form"] = form
    if msg := st.session_state.pop("last_message", None):
        st.success(msg)
    st.subheader(f"{t('予診票')} #{form['id']}（{t('バッチ')} {form['batch_id']}）")
    st.markdown(CONFIDENCE_STYLE, unsafe_allow_html=True)
    st.caption(f"{t('キー操作')}: " + t(SHORTCUTS))
    if form.get("qa_sample"):
        st.info(t("QA抜取検査: ✓の項目も含め、すべての項目を画像と照合してください"))
    if form.get("second_entry"):
        st.info(t("2人目の盲検入力: ◆の項目は画像を見て入力してください（1人目の値は表示されません）"))
    if form["reasons"]:
        st.warning(f"{t('確認事項')}: " + " / ".join(_readable(r, form) for r in form["reasons"]))
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
        slot.image(crop(img, region, k), output_format="JPEG", use_container_width=True)
    shown_scan = io.BytesIO()  # ≤ 1460 px wide, JPEG: Streamlit passes it through instead of resizing it (~60 ms)
    img.save(shown_scan, "JPEG", quality=85)
    left.image(shown_scan.getvalue(), caption=t("スキャン画像"), use_container_width=True)


def _review_form(form: dict[str, Any]) -> list[tuple[Any, list[float]]]:
    """The form's fields and resident choice; returns where each field's crop goes (drawn once the scan is in)."""
    ident = form["identity"]
    fields = {f["name"]: f for f in form["fields"]}
    st.caption(
        f"{t('接種種類')} {ident.get('vaccine_code', '?')}　{t('回数')} {ident.get('dose_no', '?')}　"
        f"{t('予診票番号')} {ident.get('form_no', '—')}　（{t('読取')}: {ident.get('source', '')}）"
    )
    proposed = {c["atena_no"] for c in form["candidates"]}
    candidates = form["candidates"] + [c for c in st.session_state.get("searched", []) if c["atena_no"] not in proposed]
    if err := st.session_state.pop("form_error", None):
        st.error(err)
    with st.form("review", clear_on_submit=False):
        keyed: dict[str, str] = {}  # field name → widget key; the submit callback reads the values from them
        crop_slots: list[tuple[Any, list[float]]] = []
        if not ident.get("vaccine_code"):  # id from the printed digits: vaccine and dose are on the title
            c1, c2 = st.columns(2)
            keyed["vaccine_code"], keyed["dose_no"] = f"vc_{form['id']}", f"dn_{form['id']}"
            field_input(c1, "✕", t("接種種類コード（表題を見て入力）"), key=keyed["vaccine_code"])
            field_input(c2, "✕", t("回数"), key=keyed["dose_no"])
        labels_in_order = [f"✕ {t('接種種類コード（表題を見て入力）')}"] if keyed else []
        for name in EDITABLE:
            f = fields[name]
            c1, c2 = st.columns([2, 3])
            crop_slots.append((c1.empty(), f["region_mm"]))
            badge = "△" if form.get("qa_sample") and f["auto_ok"] else confidence_badge(f)  # a QA sample: look at all
            label = (f["label"] or name) + (" ⚠ " + "; ".join(map(said, f["messages"])) if f["messages"] else "")
            keyed[name] = f"f_{form['id']}_{form['version']}_{name}"
            field_input(c2, badge, label, value=f["value"], key=keyed[name])
            labels_in_order.append(f"{badge} {label}")
        keys.focus_marker(f"{form['id']}/{form['version']}", first_to_key(labels_in_order))
        options = [c["atena_no"] for c in candidates]
        labels = {
            c["atena_no"]: f"[Alt+{i + 1}] {c['atena_no']} {c['name']}（{c['name_kana']}）{c['birth_date']} "
            f"{SEX.get(c['sex'], '')} {' '.join(c['flags'])} "
            + " ".join(f"[{k} {v}]" for k, v in c.get("explain", {}).items())
            for i, c in enumerate(candidates)
        }
        if options:
            st.radio(t("住民（宛名番号）"), options, format_func=lambda a: labels.get(a, a), key=f"resident_{form['id']}")
        else:
            st.info(t("候補がありません。下の検索で住民を探してください。"))
        checks = form.get("checks", [])
        for c in checks:  # schedule checks, shown where the reviewer decides
            (st.error if c["severity"] == "error" else st.warning)(f"{t('接種スケジュール')}: {c['message']}")
        if any(c["severity"] == "error" for c in checks):
            st.checkbox(t("確認して登録（スケジュールの指摘を確認済み）"), key=f"ack_{form['id']}")
        # The accept runs in the callback, before the script re-runs: one run (the next form) per Enter, not two.
        st.form_submit_button(t("確定して次へ (Enter)"), type="primary", on_click=_accept, args=(form, keyed))
    _side_actions(form)
    return crop_slots


def _accept(form: dict[str, Any], keyed: dict[str, str]) -> None:
    state = st.session_state
    chosen = state.get(f"resident_{form['id']}")
    if not chosen:
        state["form_error"] = t("住民を選んでください — 候補から選ぶか検索してください")
        return
    values = {name: str(state.get(key, "")) for name, key in keyed.items()}
    try:
        out = api().accept(form["id"], form["version"], chosen, values, bool(state.get(f"ack_{form['id']}")))
    except ApiError as e:
        state["form_error"] = e.message + (f" — {e.fix}" if e.fix else "")
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


def group_page() -> None:
    """One field across many forms: a grid of crops with values, confirmed with one Enter."""
    st.title(t("一括確認"))
    st.markdown(CONFIDENCE_STYLE, unsafe_allow_html=True)
    c1, c2 = st.columns(2)
    field = c1.selectbox(t("項目"), list(GROUP_FIELDS), format_func=shown(GROUP_FIELDS), key="group_field")
    batch = c2.text_input(t("バッチ番号（空欄は全バッチ）"), key="group_batch")
    if st.button(t("取得")) or "group_items" not in st.session_state:
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
                    col.image(api().crop(it["page_id"], got_field), use_container_width=True)
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


def records_page() -> None:
    st.title(t("接種記録検索"))
    with st.form("records"):
        c1, c2, c3 = st.columns(3)
        atena = c1.text_input(t("宛名番号"))
        kana = c2.text_input(t("氏名カナ"))
        birth = c3.text_input(t("生年月日 (YYYY-MM-DD)"))
        c4, c5, c6 = st.columns(3)
        vaccine = c4.text_input(t("接種種類コード"))
        date_from = c5.text_input(t("実施日 から"))
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
            st.dataframe(rows, use_container_width=True)


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
    st.subheader(f"{h['name']}（{h['name_kana']}） {h['birth_date']} {SEX.get(h['sex'], '')} {h['move_reason']}")
    st.write(t("接種記録"))
    st.dataframe(h["records"], use_container_width=True)
    st.write(t("次回の接種（スケジュール）"))
    st.dataframe(h["next_due"], use_container_width=True)


def reports_page() -> None:
    st.title(t("報告"))
    names = {"yearly": t("年度別接種者数（施行令第7条）"), "clinics": t("医療機関別・月別 照合")}
    kind = st.radio(t("種類"), ["yearly", "clinics"], format_func=lambda k: names[k])
    period = st.text_input(t("年度 (例 2026)") if kind == "yearly" else t("月 (例 2026-11)"))
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
    st.download_button(t("CSV（個人番号・氏名なし）"), csv_text, file_name=f"{kind}_{period}.csv", mime="text/csv")


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
    st.write(t("QA抜取検査（機械の実精度）"))
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
        st.dataframe([{"field": k, **v} for k, v in de["by_field"].items()], use_container_width=True)
    st.write(t("状態別の件数"))
    st.dataframe([s["queue"]], use_container_width=True)
    st.write(t("審査者別の処理件数（直近24時間）"))
    st.dataframe(s["reviewers"], use_container_width=True)
    st.write(t("バッチ"))
    st.dataframe(
        [{"batch": b["id"], "clinic": b["clinic_code"], "pages": b["page_count"], **b["status_counts"]} for b in batches],
        use_container_width=True,
    )


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
    "supervisor": ["審査", "一括確認", "監督"],
    "staff": ["記録検索", "住民履歴", "報告"],
    "admin": ["記録検索", "住民履歴", "報告"],
}


def main() -> None:
    langs = {"ja": "日本語", "en": "English"}
    st.session_state.setdefault("lang", os.environ.get("INTAKE_UI_LANG", "ja"))
    st.sidebar.selectbox("言語 / Language", list(langs), format_func=langs.__getitem__, key="lang")
    if not st.session_state.get("token"):
        login_page()
        return
    role = st.session_state.get("role")
    st.sidebar.write(f"{st.session_state.get('username')}（{role}）")
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
