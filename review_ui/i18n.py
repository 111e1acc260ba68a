"""Screen texts. Japanese is the reviewers' language and the source; English is a setting (sidebar, or
INTAKE_UI_LANG=en). A text missing from EN shows in Japanese — tests/test_ui_apptest.py checks none is missing."""

from __future__ import annotations

import re

SHORTCUTS = "Enter 確定・Tab 移動・Alt+数字 候補選択・Alt+S 検索・Alt+N 登録なし・Alt+R 返戻・Alt+D 監督者へ・Alt+Z 画像拡大"

EN: dict[str, str] = {
    "予診票 審査": "Form review",
    "予診票 審査システム ログイン": "Form review — log in",
    "ユーザーID": "User ID",
    "パスワード": "Password",
    "ログイン": "Log in",
    "ログアウト": "Log out",
    "画面": "Page",
    "言語 / Language": "言語 / Language",
    "審査": "Review",
    "一括確認": "Group verification",
    "監督": "Supervisor",
    "記録検索": "Record search",
    "住民履歴": "Resident history",
    "報告": "Reports",
    "この役割で使える画面はありません。": "This role has no pages.",
    "審査待ちの予診票はありません。": "No forms are waiting for review.",
    "再読み込み": "Reload",
    "予診票": "Form",
    "バッチ": "batch",
    "確認事項": "To check",
    "スキャン画像": "Scanned page",
    "接種種類": "Vaccine",
    "回数": "Dose no.",
    "予診票番号": "Form no.",
    "読取": "read from",
    "QRコード": "QR code",
    "根拠": "source",
    "印字の番号": "printed numbers",
    "読めず": "not read",
    "審査者": "reviewer",
    "監督者": "supervisor",
    "職員": "staff",
    "管理者": "admin",
    "スキャナ": "scanner",
    "接種種類コード（表題を見て入力）": "Vaccine code (type it from the title)",
    "住民（宛名番号）": "Resident (宛名番号)",
    "候補がありません。下の検索で住民を探してください。": "No candidates. Search for the resident below.",
    "接種スケジュール": "Schedule",
    "確認して登録（スケジュールの指摘を確認済み）": "Record anyway (schedule findings checked)",
    "確定して次へ (Enter)": "Accept and next (Enter)",
    "住民を選んでください — 候補から選ぶか検索してください": "Choose a resident — pick a candidate or search",
    "住民検索（カナ＋生年月日、または宛名番号）": "Resident search (kana + birth date, or 宛名番号)",
    "氏名カナ": "Name (kana)",
    "生年月日 (YYYY-MM-DD)": "Birth date (YYYY-MM-DD)",
    "宛名番号": "宛名番号 (resident no.)",
    "検索": "Search",
    "監督者へ回す（保留）": "Defer to a supervisor",
    "監督者への申し送り": "Note for the supervisor",
    "監督者へ回す": "Defer",
    "返戻（却下）": "Reject (return)",
    "理由": "Reason",
    "却下する": "Reject",
    "住民登録なし（監督者へ）": "Not in register (to a supervisor)",
    "住民登録に該当者なし": "no such resident in the register",
    "台帳に登録しました": "Saved to the ledger",
    "1人目の入力を保存しました。別の審査者が重要項目を盲検で入力します": (
        "First keying saved. Another reviewer keys the critical fields blind"
    ),
    "2人の入力が一致しないため監督者へ回しました": "The two keyings disagree: sent to a supervisor",
    "QA抜取検査: ✓の項目も含め、すべての項目を画像と照合してください": (
        "QA sample: check every field against the image, the ✓ ones included"
    ),
    "2人目の盲検入力: ◆の項目は画像を見て入力してください（1人目の値は表示されません）": (
        "Second, blind keying: type the ◆ fields from the image (the first keying is not shown)"
    ),
    "キー操作": "Keys",
    SHORTCUTS: "Enter accept · Tab move · Alt+digit candidate · Alt+S search · Alt+N not registered · Alt+R reject · Alt+D defer · Alt+Z zoom the scan",  # noqa: E501
    "項目": "Field",
    "要確認": "check",
    "キューの絞り込み": "Queue filter",
    "バッチ番号": "Batch no.",
    "実施機関コード": "Clinic code",
    "すべて": "All",
    "確信度の低い項目": "Low-confidence fields",
    "住民未照合": "Resident not matched",
    "検証の警告": "Validation warnings",
    "QA抜取検査": "QA samples",
    "二重入力の2人目": "Second keying (double entry)",
    "住民": "Resident",
    "住民検索": "Resident search",
    "返戻": "Reject",
    "住民登録なし": "Not in register",
    "接種年月日": "Vaccination date",
    "接種量": "Dose (mL)",
    "体温": "Temperature",
    "医師名": "Doctor",
    "バッチ番号（空欄は全バッチ）": "Batch no. (empty: all batches)",
    "取得": "Fetch",
    "確認が必要な項目はありません。": "Nothing left to verify for this field.",
    "まとめて確定 (Enter)": "Confirm all (Enter)",
    "件確定しました": "confirmed",
    "うち訂正": "corrected",
    "確定できなかった予診票": "Not confirmed",
    "審査待ち": "Waiting for review",
    "監督者へ回された予診票": "Deferred to supervisors",
    "状態別の件数": "Pages by state",
    "審査者別の処理件数と速度（直近24時間）": "Actions and pace per reviewer (last 24 hours)",
    "QA抜取検査（機械の実精度）": "QA samples (the machine's real precision)",
    "二重入力（重要項目の不一致率）": "Double entry (disagreement of the critical fields)",
    "自動確定項目の精度": "Auto-accepted fields right",
    "自動照合の精度": "Automatic matches right",
    "待ち": "waiting",
    "検査済み": "Reviewed",
    "組": "Pairs",
    "不一致率": "Disagreement rate",
    "接種記録検索": "Vaccination record search",
    "接種種類コード": "Vaccine code",
    "実施日 から": "Performed from",
    "実施日 から (例 令和8年4月1日)": "Performed from (e.g. 2026-04-01)",
    "生年月日 (例 令和3年10月20日・2021-10-20)": "Birth date (e.g. 2021-10-20)",
    "年度 (例 令和8・2026)": "Fiscal year (e.g. 2026)",
    "月 (例 令和8年11月・2026-11)": "Month (e.g. 2026-11)",
    "実施日 まで": "Performed until",
    "ロット番号": "Lot number",
    "件": "rows",
    "住民の接種履歴": "Resident's vaccination history",
    "表示": "Show",
    "接種記録": "Records",
    "次回の接種（スケジュール）": "Next due (schedule)",
    "種類": "Kind",
    "年度別接種者数（施行令第7条）": "Persons vaccinated per fiscal year (Order Art. 7)",
    "医療機関別・月別 照合": "Per clinic and month (reconciliation)",
    "年度 (例 2026)": "Fiscal year (e.g. 2026)",
    "月 (例 2026-11)": "Month (e.g. 2026-11)",
    "CSV（個人番号・氏名なし）": "CSV (no 個人番号, no names)",
}


def translate(text: str, lang: str) -> str:
    return EN.get(text, text) if lang == "en" else text


# What the machine says about a field or a page (ocr/ and the services write English, for logs and operators),
# as the reviewers read it. Patterns, most specific first; a message with no pattern shows as written.
MACHINE_JA: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), ja)
    for p, ja in (
        (r"^both はい and いいえ are marked$", "はい・いいえの両方に印があります"),
        (r"^neither はい nor いいえ is marked$", "はい・いいえのどちらにも印がありません"),
        (r"^no option clearly circled$", "どの選択肢にも明確な丸がありません"),
        (r"^more than one option circled$", "複数の選択肢に丸があります"),
        (r"^the circle is faint: check the option$", "丸が薄いため、選択肢を画像で確認してください"),
        (r"^signature missing$", "署名がありません"),
        (r"^clinic stamp missing$", "医療機関の印がありません"),
        (r"^the vaccination date is in the future$", "接種年月日が未来の日付です"),
        (r"^the vaccination date is more than a year ago$", "接種年月日が1年以上前です"),
        (r"^the vaccination date is before the birth date$", "接種年月日が生年月日より前です"),
        (r"^no lot number found$", "ロット番号が読み取れません"),
        (r"^read (\S+), corrected to the known lot (\S+)$", r"「\1」と読み、登録済みのロット \2 に補正しました"),
        (r"^lot (\S+) is not in the lot master$", r"ロット \1 はロットマスタにありません"),
        (r"^lot (\S+) belongs to (\S+), not (\S+)$", r"ロット \1 は \2 のもので、\3 ではありません"),
        (r"^(.+) mL differs from this vaccine's (.+) mL$", r"\1 mL はこのワクチンの接種量 \2 mL と異なります"),
        (r"^(\S+) of (\S+) boxes are empty$", r"\2 マス中 \1 マスが空欄です"),
        (r"^expected (\S+) digits$", r"\1 桁のはずです"),
        (r"^empty$", "空欄"),
        (r"^engines disagree$", "2つの読取エンジンの結果が一致しません"),
        (
            r"^read (\S+), which is no valid value: (\S+) proposed$",
            r"「\1」と読みましたが有効な値ではないため、\2 を候補にしました",
        ),
        (r"^box (\d+) holds no clear digit$", r"\1 マス目の数字がはっきりしません"),
        (
            r"^read (\S+); this vaccine's dose (\S+) proposed$",
            r"「\1」とも読めますが、このワクチンの接種量 \2 を候補にしました",
        ),
        (r"^the scan is too dark around this field$", "この項目の周りが暗すぎて読み取りを信頼できません"),
        (r"^the scan is too noisy around this field$", "この項目の周りのノイズが多く読み取りを信頼できません"),
        (r"^empty date$", "日付が空欄です"),
        (r"^unknown era (.+)$", r"元号 \1 が分かりません"),
        (r"^(.+) is not a calendar date$", r"\1 は存在しない日付です"),
        (r"^(.+) is outside the (.+) era$", r"\1 は\2の期間外です"),
        (r"^cannot read (.+) as a date$", r"\1 を日付として読めません"),
        (r"^not a ward form: markers and QR not found$", "区の予診票ではありません（マーカーとQRが見つかりません）"),
        (r"^identity not read: ", "予診票番号が読み取れません: "),
        (r"^resident: ", "住民照合: "),
        # parts of page reasons and match explanations (replaced wherever they stand)
        (r"QR is not a ward form code", "QRが区の予診票のものではありません"),
        (r"QR municipality code check digit wrong", "QRの市区町村コードのチェックディジットが合いません"),
        (r"QR form number check digit wrong", "QRの予診票番号のチェックディジットが合いません"),
        (r"QR dose number is not a number", "QRの回数が数字ではありません"),
        (r"no QR code found", "QRが見つかりません"),
        (r"printed id digits not readable", "印字の番号が読めません"),
        (r"printed id digits fail their check digits", "印字の番号のチェックディジットが合いません"),
        (r"markers not found \((\d) of 4\)", r"マーカーが見つかりません（4つ中 \1）"),
        (r"the page may be cut, folded or not a ward form", "用紙が切れている・折れている、または区の予診票ではありません"),
        (
            r"too little structure to match the form; not a ward form\?",
            "様式と照合できる特徴が足りません（区の予診票ではない？）",
        ),
        (r"the page does not match the form layout", "様式の配置と一致しません"),
        (
            r"placed by matching the printed form \((\d+) features\); check the fields by eye",
            r"印刷された様式との照合で位置合わせしました（特徴点 \1）。各項目を画像で確認してください",
        ),
        (
            r"registration is off by (\S+) mm: check the page by eye",
            r"位置合わせが \1 mm ずれています。画像で確認してください",
        ),
        (
            r"two markers only \(an edge of the page is cut\): fields near that edge may be missing",
            "マーカーが2つだけです（用紙の端が切れています）。端の項目が欠けているかもしれません",
        ),
        (r"; registration off by (\S+) mm", r"。位置合わせのずれ \1 mm"),
        (r"two markers only \(an edge of the page is cut\)", "マーカーが2つだけです（用紙の端が切れています）"),
        (r"placed by matching the printed form", "印刷された様式との照合で位置合わせしました"),
        (r"only (\d+) of (\d+) printed landmarks found", r"印刷された目印が \2 個中 \1 個しか見つかりません"),
        (
            r"the printed boxes are up to (\S+) mm from where the form puts them",
            r"印刷された枠が様式の位置から最大 \1 mm ずれています",
        ),
        (
            r"alignment not proven \((.+), tolerance (\S+) mm\): check every field",
            r"位置合わせを確認できません（\1、許容 \2 mm）。すべての項目を確認してください",
        ),
        (
            r"form of another municipality \((\S+)\): handle by hand",
            r"他の市区町村（\1）の予診票です。手作業で処理してください",
        ),
        (r"宛名番号 (\S+) is not in the register", r"宛名番号 \1 は住民記録にありません"),
        (r"the register marks this resident deleted: confirm by hand", "住民記録で削除済みの住民です。手で確認してください"),
        (
            r"QR 宛名番号 found, but the printed (\S+)(?: and (\S+))? does not agree with the register",
            r"QRの宛名番号はありますが、印字の \1 \2 が住民記録と一致しません",
        ),
        (r"QR 宛名番号 with printed kana and birth date agreeing", "QRの宛名番号（印字のカナ・生年月日も一致）"),
        (
            r"no form id and no name read: search by kana and birth date",
            "予診票番号も氏名も読めません。カナと生年月日で検索してください",
        ),
        (
            r"宛名番号 read from the printed digits \(no check digit\): confirm name and birth date",
            "宛名番号は印字の数字から読みました（チェックディジットなし）。氏名と生年月日を確認してください",
        ),
        (
            r"no resident shares the kana, the birth date or the name: not in register\?",
            "カナ・生年月日・氏名の一致する住民がいません（住民登録なし？）",
        ),
        (
            r"score (\S+) / margin (\S+) below (\S+) / (\S+): choose by hand",
            r"スコア \1・次点との差 \2 が自動照合の基準（\3・\4）に届きません。住民を選んでください",
        ),
        (r"score (\S+), margin (\S+)", r"スコア \1・次点との差 \2"),
        (r"; kana or birth date missing or disagreeing", "。カナか生年月日が読めないか一致しません"),
        (
            r"; resident flagged: (.+?) \(forms arrive late; check the date\)",
            r"。住民記録に「\1」の記載があります（予診票は遅れて届きます。接種日を確認してください）",
        ),
        # schedule findings (intake.services.schedule), whole messages and their parts
        (r" is before the eligible age \(from (\S+)\)", r" は接種対象年齢より前です（\1 から）"),
        (r" is past the eligible age \(until (\S+)\)", r" は接種対象年齢を過ぎています（\1 まで）"),
        (r"; allowed under (.+) — confirm it$", r"。\1 による接種なら可能です — 該当するか確認してください"),
        (r"(\S+): (\d+) dose\(s\); 第(\d+)回 does not exist", r"\1: 全\2回のため第\3回はありません"),
        (r"^(.+) 第(\d+)回 is already recorded for this resident$", r"\1 第\2回はこの住民にすでに記録されています"),
        (
            r"^第(\d+)回 of (.+) is not in the ledger \(given elsewhere\?\)$",
            r"\2 の第\1回が台帳にありません（他所で接種？）",
        ),
        (
            r"only (\d+) days after (第\d+回) \((\S+)\); at least (\d+) days must pass \(earliest (\S+)\)",
            r"\2（\3）から \1 日しか経っていません。\4 日以上の間隔が必要です（最短 \5）",
        ),
        (r"less than (\S+) months after (第\d+回) \((\S+); earliest (\S+)\)", r"\2（\3）から \1 か月未満です（最短 \4）"),
        (
            r"more than (\S+) months after (第\d+回) \((\S+); latest (\S+)\)",
            r"\2（\3）から \1 か月を超えています（最長 \4）",
        ),
        (
            r"only (\d+) days after the live vaccine (\S+) \((\S+)\); 27 days must pass between injectable live vaccines",
            r"注射生ワクチン \2（\3）から \1 日しか経っていません。27日以上の間隔が必要です",
        ),
        (
            r"only (\d+) days before the live vaccine (\S+) recorded on (\S+); 27 days must pass between injectable live "
            r"vaccines",
            r"記録済みの注射生ワクチン \2（\3）の \1 日前です。27日以上の間隔が必要です",
        ),
        (r"(\d+) days old; from (\d+) days after birth \((\S+)\)", r"生後 \1 日です。生後 \2 日（\3）から接種できます"),
        (r"(\d+) days old; until (\d+) days after birth \((\S+)\)", r"生後 \1 日です。生後 \2 日（\3）まで接種できます"),
        (r"第(\d+)回 only until (\S+) \((\S+)\)", r"第\1回は \2（\3）までです"),
        (r"第(\d+)回 from (\S+) \((\S+)\)", r"第\1回は \2（\3）からです"),
        (r" \(in every product; here (.+?)\)", r"（どの製剤でも不可。例: \1）"),
        (r"^(.+): age (\d+) on (\S+) is in no eligible group \((.+)\)$", r"\1: \3 時点の \2 歳は対象者に該当しません（\4）"),
        (
            r"^(.+): age (\d+): eligible only with the qualifying disability — confirm it on the form$",
            r"\1: \2 歳は所定の障害がある場合のみ対象です。予診票で確認してください",
        ),
        (
            r"^(.+) is once per fiscal year: FY(\d+) already has a dose for this resident$",
            r"\1 は年度に1回です。\2年度の接種がすでに記録されています",
        ),
        (r"^(.+) is given (.+) only; (\S+) is outside$", r"\1 の接種期間は \2 です。\3 は期間外です"),
        (
            r"^(.+) is a routine vaccination for girls and women only \(性別: 男\)$",
            r"\1 は女性のみが定期接種の対象です（性別: 男）",
        ),
        (
            r"^(\S+) is in the future \(today (\S+)\): check the year$",
            r"\1 は未来の日付です（今日は \2）。年を確認してください",
        ),
        (r"^(.+) 第(\d+)回 already recorded on (\S+) would be (.+)$", r"記録済みの \1 第\2回（\3）: \4"),
        (
            r"^(\S+) is not in the routine schedule data: no schedule check$",
            r"\1 は定期接種スケジュールのデータにありません（スケジュール確認なし）",
        ),
        (r"^lot (\S+) expired on (\S+), before (\S+)$", r"ロット \1 は \2 に有効期限切れです（接種日 \3）"),
        (r"^lot (\S+) is a (\S+) lot, not (\S+)$", r"ロット \1 は \2 のロットで、\3 ではありません"),
        (r"^(\S+) mL differs from the (\S+) mL for this dose and age$", r"\1 mL はこの回・年齢の接種量 \2 mL と異なります"),
        (r"\bbirth_date\b", "生年月日"),
        (r"\bkana\b", "カナ"),
        (r"^(.+) is not one of (.+)$", r"\1 は選択肢（\2）にありません"),
        (r"^(.+) is outside (.+)$", r"\1 は範囲 \2 の外です"),
    )
]


def machine(text: str, lang: str) -> str:
    """A machine message in the reviewer's language (Japanese unless English is set)."""
    if lang == "en":
        return text
    for pattern, ja in MACHINE_JA:  # in order: a whole message, or each of the parts it was built from
        text = pattern.sub(ja, text)
    return text
