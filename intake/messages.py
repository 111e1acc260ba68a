"""Every message a person reads about a failure, by code: Japanese (the ward's language, the default) and English
(a setting: INTAKE_LANG=en). The code and its parameters travel (API `{code, params, message, fix}`, CLI exit,
audit); the words are chosen here, once, at the edge that shows them.

An entry is (日本語, 直し方, English, fix); `{name}` is filled from the error's parameters. A code missing here is a
bug: tests/test_messages.py finds every code the product raises and checks that both languages have it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from pydantic import BaseModel


class Text(NamedTuple):
    ja: str
    ja_fix: str
    en: str
    en_fix: str


LANGS = ("ja", "en")

CATALOGUE: dict[str, Text] = {
    # --- services and databases the command or the API needs
    "db.unreachable": Text(
        "データベースに接続できません（{where}）",
        "データベースを起動するか、INTAKE_DATABASE_URL を直してください",
        "the database is not reachable ({where})",
        "start it, or correct INTAKE_DATABASE_URL",
    ),
    "db.unreachable_nothing_saved": Text(
        "データベースに接続できません。何も保存されていません",
        "少し待ってから、同じキーをもう一度押してください",
        "the database is not reachable; nothing was saved",
        "wait a moment and press the same key again",
    ),
    "db.schema_not_ready": Text(
        "データベースがこの版向けに準備されていません（スキーマ {found}、必要 {head}）。何も保存されていません",
        "運用担当者が intake migrate を実行してください",
        "the database is not set up for this version (schema {found}, the code needs {head}); nothing was saved",
        "the operator runs: intake migrate",
    ),
    "db.no_file": Text(
        "データベースのファイルがありません（{path}）{where}",
        "intake migrate を実行するか、INTAKE_VAR_DIR を設置先のフォルダに向けてください",
        "no database file at {path}{where}",
        "run: intake migrate, or point INTAKE_VAR_DIR at the installation",
    ),
    "db.not_migrated": Text(
        "データベースのスキーマが {found} で、この版は {head} が必要です{where}",
        "intake migrate を実行してください",
        "the database schema is at {found}; the code needs {head}{where}",
        "run: intake migrate",
    ),
    "redis.unreachable": Text(
        "Redis に接続できません（{where}）",
        "Redis を起動するか、INTAKE_REDIS_URL を直してください",
        "Redis is not reachable ({where})",
        "start it, or correct INTAKE_REDIS_URL",
    ),
    "api.unreachable": Text(
        "API に接続できません（{where}）",
        "intake serve を起動するか、--api-url を直してください。続く場合は管理者に連絡してください",
        "the API is not reachable ({where})",
        "start `intake serve`, or correct --api-url; if it persists, call the administrator",
    ),
    "store.unwritable": Text(
        "保存領域 {path} に書き込めません（{detail}）",
        "サービスの実行ユーザーが {path} に書き込めるようにしてください",
        "the store {path} takes no write ({detail})",
        "make {path} writable by the service",
    ),
    "unexpected": Text(
        "予期しないエラーです（{kind}）。詳細は {log} にあります",
        "そのログを添えて運用担当者に報告してください",
        "unexpected error ({kind}); the details are in {log}",
        "report it to the operator with that log",
    ),
    "unexpected.no_log": Text(
        "予期しないエラーです（{kind}）。詳細をログに書けませんでした",
        "画面の内容を控えて運用担当者に報告してください",
        "unexpected error ({kind}); the details could not be written to a log",
        "report it to the operator with what you saw",
    ),
    "server.unexpected": Text(
        "サーバー内部のエラーです。何も保存されていません",
        "もう一度操作してください。続く場合は管理者に連絡してください（時刻を添えて）",
        "internal server error; nothing was saved",
        "try once more; if it persists, call the administrator with the time",
    ),
    # --- what the reader says of a field (ocr.types.Message from ocr/fields.py): shown beside the field
    "field.both_marked": Text("はい・いいえの両方に印があります", "", "both はい and いいえ are marked", ""),
    "field.none_marked": Text("はい・いいえのどちらにも印がありません", "", "neither はい nor いいえ is marked", ""),
    "field.no_circle": Text("どの選択肢にも明確な丸がありません", "", "no option clearly circled", ""),
    "field.many_circles": Text("複数の選択肢に丸があります", "", "more than one option circled", ""),
    "field.faint_circle": Text(
        "丸が薄いため、選択肢を画像で確認してください", "", "the circle is faint: check the option", ""
    ),
    "field.signature_missing": Text("署名がありません", "", "signature missing", ""),
    "field.stamp_missing": Text("医療機関の印がありません", "", "clinic stamp missing", ""),
    "field.boxes_empty": Text("{boxes} マス中 {empty} マスが空欄です", "", "{empty} of {boxes} boxes are empty", ""),
    "field.dose_proposed": Text(
        "「{read}」とも読めますが、このワクチンの接種量 {proposed} を候補にしました",
        "",
        "read {read}; this vaccine's dose {proposed} proposed",
        "",
    ),
    "field.invalid_proposed": Text(
        "「{read}」と読みましたが有効な値ではないため、{proposed} を候補にしました",
        "",
        "read {read}, which is no valid value: {proposed} proposed",
        "",
    ),
    "field.box_unclear": Text("{box} マス目の数字がはっきりしません", "", "box {box} holds no clear digit", ""),
    "field.box_overflow": Text(
        "{box} マス目の字が枠からはみ出しています",
        "枠の外まで含めて用紙の字を読み、値を確認してください",
        "the writing in box {box} runs past the box",
        "read the whole digit on the form, past the box, and check the value",
    ),
    "field.box_struck": Text(
        "{box} マス目の数字は線で消されています（訂正）",
        "訂正後の値を用紙で確認して入力してください",
        "the digit in box {box} is struck out (a correction)",
        "read the corrected value on the form and enter it",
    ),
    "field.out_of_range": Text(
        "{value}{unit} は範囲 {low}〜{high}{unit} の外です", "", "{value}{unit} is outside {low}–{high}{unit}", ""
    ),
    "field.date_future": Text("接種年月日が未来の日付です", "", "the vaccination date is in the future", ""),
    "field.date_old": Text("接種年月日が1年以上前です", "", "the vaccination date is more than a year ago", ""),
    "field.date_before_birth": Text(
        "接種年月日が生年月日より前です", "", "the vaccination date is before the birth date", ""
    ),
    "field.dose_differs": Text(
        "{value} mL はこのワクチンの接種量 {expected} mL と異なります",
        "",
        "{value} mL differs from this vaccine's {expected} mL",
        "",
    ),
    "field.implausible_when_given": Text(
        "{label} {value} は接種した予診票の値としては高すぎます（{limit} 以上）",
        "読み取りと予診結果（接種可／見合わせ）を用紙で確かめてください",
        "{label} {value} is too high for a form that records the dose as given ({limit} or more)",
        "check the reading and the screening result (given / deferred) on the paper",
    ),
    "field.no_lot": Text("ロット番号が読み取れません", "", "no lot number found", ""),
    "field.lot_corrected": Text(
        "「{read}」と読み、登録済みのロット {lot} に補正しました", "", "read {read}, corrected to the known lot {lot}", ""
    ),
    "field.lot_unknown": Text("ロット {lot} はロットマスタにありません", "", "lot {lot} is not in the lot master", ""),
    "field.lot_other_vaccine": Text(
        "ロット {lot} は {owner} のもので、{vaccine} ではありません", "", "lot {lot} belongs to {owner}, not {vaccine}", ""
    ),
    "field.not_in_vocabulary": Text("{value} は選択肢（{choices}）にありません", "", "{value} is not one of {choices}", ""),
    "field.empty": Text("空欄", "", "empty", ""),
    "field.too_dark": Text(
        "この項目の周りが暗すぎて読み取りを信頼できません", "", "the scan is too dark around this field", ""
    ),
    "field.yes_box_hidden": Text(
        "「はい」の印刷された枠が見えません（付箋や修正液で隠れていませんか）",
        "原本で確認してください",
        "the printed frame of the 'yes' box cannot be seen (covered by a note or correction fluid?)",
        "check the paper form",
    ),
    "field.no_box_hidden": Text(
        "「いいえ」の印刷された枠が見えません（付箋や修正液で隠れていませんか）",
        "原本で確認してください",
        "the printed frame of the 'no' box cannot be seen (covered by a note or correction fluid?)",
        "check the paper form",
    ),
    "field.too_noisy": Text(
        "この項目の周りのノイズが多く読み取りを信頼できません", "", "the scan is too noisy around this field", ""
    ),
    # --- why a page waits for a person (ocr/ registration and identity, the services' review reasons)
    "reg.markers_missing": Text("マーカーが見つかりません（4つ中 {found}）", "", "markers not found ({found} of 4)", ""),
    "reg.by_features": Text("印刷された様式との照合で位置合わせしました", "", "placed by matching the printed form", ""),
    "reg.cut_or_not_form": Text(
        "用紙が切れている・折れている、または区の予診票ではありません",
        "",
        "the page may be cut, folded or not a ward form",
        "",
    ),
    "reg.too_little_structure": Text(
        "様式と照合できる特徴が足りません（区の予診票ではない？）",
        "",
        "too little structure to match the form; not a ward form?",
        "",
    ),
    "reg.layout_mismatch": Text("様式の配置と一致しません", "", "the page does not match the form layout", ""),
    "reg.several_forms": Text(  # a review reason: the reviewer sees the message only, so it says what to do
        "1枚の画像に予診票が {count} 枚写っています。1枚ずつスキャンし直してください",
        "2in1 コピーや、原稿台に2枚並べたスキャンは1枚の予診票として読めません",
        "{count} forms on one image: scan each form on its own",
        "a 2-in-1 copy or two sheets side by side on the glass cannot be read as one form",
    ),
    "reg.two_markers_disagree": Text(
        "マーカーが2つだけで、互いに合いません", "", "only two markers found and they disagree", ""
    ),
    "reg.two_markers": Text(
        "マーカーが2つだけです（用紙の端が切れています）。端の項目が欠けているかもしれません",
        "",
        "two markers only (an edge of the page is cut): fields near that edge may be missing",
        "",
    ),
    "reg.markers_inconsistent": Text("マーカーの位置が互いに合いません", "", "markers found but inconsistent", ""),
    "reg.off_by": Text(
        "位置合わせが {mm} mm ずれています。画像で確認してください",
        "",
        "registration is off by {mm} mm: check the page by eye",
        "",
    ),
    "reg.landmarks_missing": Text(
        "位置合わせを確認できません（印刷された目印が {total} 個中 {found} 個、許容 {tolerance} mm）。"
        "すべての項目を確認してください",
        "",
        "alignment not proven (only {found} of {total} printed landmarks "
        "found, tolerance {tolerance} mm): check every field",
        "",
    ),
    "reg.boxes_off": Text(
        "位置合わせを確認できません（印刷された枠が様式の位置から最大 {mm} mm ずれています、許容 {tolerance} mm）。"
        "すべての項目を確認してください",
        "",
        "alignment not proven (the printed boxes are up to {mm} mm from where "
        "the form puts them, tolerance {tolerance} mm): check every field",
        "",
    ),
    "field.frame_off": Text(
        "この項目の印刷枠が様式の位置から {mm} mm ずれています（許容 {tolerance} mm）。画像で確認してください",
        "",
        "this field's printed boxes are {mm} mm from where the form puts them (tolerance {tolerance} mm): "
        "check it on the image",
        "",
    ),
    "field.frame_unproven": Text(
        "この項目の印刷枠を様式の位置に確認できません（用紙の曲がり・しわ・汚れなど）。画像で確認してください",
        "",
        "this field's printed boxes could not be found where the form puts them (a bent or creased sheet, a stain): "
        "check it on the image",
        "",
    ),
    "identity.not_read": Text("予診票番号が読み取れません", "", "identity not read", ""),
    "identity.no_qr": Text("QRが見つかりません", "", "no QR code found", ""),
    "identity.qr_not_ward": Text("QRが区の予診票のものではありません", "", "QR is not a ward form code", ""),
    "identity.qr_municipality_check": Text(
        "QRの市区町村コードのチェックディジットが合いません", "", "QR municipality code check digit wrong", ""
    ),
    "identity.qr_form_no_check": Text(
        "QRの予診票番号のチェックディジットが合いません", "", "QR form number check digit wrong", ""
    ),
    "identity.qr_dose_not_number": Text("QRの回数が数字ではありません", "", "QR dose number is not a number", ""),
    "identity.digits_unreadable": Text("印字の番号が読めません", "", "printed id digits not readable", ""),
    "identity.digits_check": Text(
        "印字の番号のチェックディジットが合いません", "", "printed id digits fail their check digits", ""
    ),
    "identity.other_layout": Text(
        "様式 {found} の予診票です（読み取りは {expected}）", "", "form layout {found} is not {expected}", ""
    ),
    "page.not_ward_form": Text(
        "区の予診票ではありません（マーカーとQRが見つかりません）", "", "not a ward form: markers and QR not found", ""
    ),
    "review.check": Text("要確認: {fields}", "", "check: {fields}", ""),
    "review.second_keying": Text("2人目の盲検入力が必要です", "", "double entry: second blind keying needed", ""),
    "review.first_keying_saved": Text(
        "保存済みです。別の審査者が重要項目を入力します", "", "already saved; another reviewer keys the critical fields", ""
    ),
    "review.first_keying_held": Text(
        "1人目の入力を保存しました。別の審査者が {fields} を盲検で入力します",
        "",
        "saved; another reviewer keys {fields} blind",
        "",
    ),
    "review.keyings_differ": Text("2人の入力が一致しません: {differ}", "", "double entry disagrees: {differ}", ""),
    "review.deferred": Text("監督者へ回されました: {note}", "", "deferred: {note}", ""),
    "review.qa_sample": Text("精度確認の抜取検査", "", "QA sample: a reviewer checks the machine's fields", ""),
    "review.schedule_finding": Text("接種スケジュール: {finding}", "", "schedule: {finding}", ""),
    "review.auto_commit_refused": Text("自動登録されませんでした: {error}", "", "not committed automatically: {error}", ""),
    "match.other_municipality": Text(
        "他の市区町村（{municipality}）の予診票です。手作業で処理してください",
        "",
        "form of another municipality ({municipality}): handle by hand",
        "",
    ),
    "match.not_in_register": Text(
        "宛名番号 {atena_no} は住民記録にありません", "", "宛名番号 {atena_no} is not in the register", ""
    ),
    "match.deleted": Text(
        "住民記録で削除済みの住民です。手で確認してください",
        "",
        "the register marks this resident deleted: confirm by hand",
        "",
    ),
    "match.printed_disagrees": Text(
        "QRの宛名番号はありますが、印字の {fields} が住民記録と一致しません",
        "",
        "QR 宛名番号 found, but the printed {fields_en} does not agree with the register",
        "",
    ),
    "match.registry_anchor": Text(
        "QRの予診票番号が発行記録（この住民・ワクチン・回数）と一致",
        "",
        "the QR's form number agrees with the issuance record (this resident, vaccine and dose)",
        "",
    ),
    "clinic.other_than_batch": Text(
        "印の実施機関は {stamp}（{stamp_code}）ですが、バッチは {batch}（{batch_code}）のものです",
        "接種した医療機関を確かめてください（別の医療機関の予診票が混ざっていないか）",
        "the stamp names {stamp} ({stamp_code}) but the batch is {batch}'s ({batch_code})",
        "check which clinic vaccinated (another clinic's form in the bundle?)",
    ),
    # --- the issuance registry (intake.services.issuance): why a form with a verified QR waits for a person
    "registry.unknown": Text(
        "予診票番号 {form_no} は発行記録にありません",
        "区が発行した予診票か確かめてください（偽造・他自治体の様式の可能性）",
        "form number {form_no} is not on the issuance record",
        "check the form was issued by the ward (a forged or another municipality's form?)",
    ),
    "registry.voided": Text(
        "予診票番号 {form_no} は {on} に無効にされています（{note}）",
        "再発行後の新しい予診票か確かめてください",
        "form number {form_no} was voided on {on} ({note})",
        "check for the reissued form that replaced it",
    ),
    "registry.other_form": Text(
        "予診票番号 {form_no} は 宛名番号 {atena_no} の {vaccine} 第{dose}回として発行されています",
        "QRと発行記録が食い違います。用紙を確かめてください",
        "form number {form_no} was issued for 宛名番号 {atena_no}, {vaccine} dose {dose}",
        "the QR and the issuance record disagree: check the sheet",
    ),
    "registry.received": Text(
        "予診票番号 {form_no} は バッチ {batch} で受付済みです（ページ {page}）",
        "同じ予診票の二重送付（コピー・再送）か確かめてください",
        "form number {form_no} was received already in batch {batch} (page {page})",
        "check for the same form sent twice (a copy, a re-sent bundle)",
    ),
    "match.qr_agrees": Text(
        "QRの宛名番号（印字のカナ・生年月日も一致）",
        "",
        "QR 宛名番号 with printed kana and birth date agreeing",
        "",
    ),
    "match.nothing_read": Text(
        "予診票番号も氏名も読めません。カナと生年月日で検索してください",
        "",
        "no form id and no name read: search by kana and birth date",
        "",
    ),
    "match.no_candidates": Text(
        "カナ・生年月日・氏名の一致する住民がいません（住民登録なし？）",
        "",
        "no resident shares the kana, the birth date or the name: not in register?",
        "",
    ),
    "match.auto": Text("スコア {score}・次点との差 {margin}", "", "score {score}, margin {margin}", ""),
    "match.anchors_missing": Text(
        "カナか生年月日が読めないか一致しません", "", "kana or birth date missing or disagreeing", ""
    ),
    "match.flagged": Text(
        "住民記録に「{flag}」の記載があります（予診票は遅れて届きます。接種日を確認してください）",
        "",
        "resident flagged: {flag} (forms arrive late; check the date)",
        "",
    ),
    "match.below": Text(
        "スコア {score}・次点との差 {margin} が自動照合の基準（{need_score}・{need_margin}）に届きません。"
        "住民を選んでください",
        "",
        "score {score} / margin {margin} below {need_score} / {need_margin}: choose by hand",
        "",
    ),
    "match.digits_no_check": Text(
        "宛名番号は印字の数字から読みました（チェックディジットなし）。氏名と生年月日を確認してください",
        "",
        "宛名番号 read from the printed digits (no check digit): confirm name and birth date",
        "",
    ),
    # --- schedule findings (intake.services.schedule: a Check's parts, joined in order)
    "schedule.interval_days": Text(
        "第{since}回（{anchor}）から {gap} 日しか経っていません。{days} 日以上の間隔が必要です（最短 {earliest}）",
        "",
        "only {gap} days after 第{since}回 ({anchor}); at least {days} days must pass (earliest {earliest})",
        "",
    ),
    "schedule.months_min": Text(
        "第{since}回（{anchor}）から {months} か月未満です（最短 {earliest}）",
        "",
        "less than {months} months after 第{since}回 ({anchor}; earliest {earliest})",
        "",
    ),
    "schedule.months_max": Text(
        "第{since}回（{anchor}）から {months} か月を超えています（最長 {latest}）",
        "",
        "more than {months} months after 第{since}回 ({anchor}; latest {latest})",
        "",
    ),
    "schedule.no_such_dose": Text(
        "{series}: 全{total}回のため第{dose}回はありません", "", "{series}: {total} dose(s); 第{dose}回 does not exist", ""
    ),
    "schedule.age_days_min": Text(
        "生後 {age} 日です。生後 {days} 日（{day}）から接種できます",
        "",
        "{age} days old; from {days} days after birth ({day})",
        "",
    ),
    "schedule.age_days_max": Text(
        "生後 {age} 日です。生後 {days} 日（{day}）まで接種できます",
        "",
        "{age} days old; until {days} days after birth ({day})",
        "",
    ),
    "schedule.dose_until": Text("第{dose}回は {day}（{age}）までです", "", "第{dose}回 only until {day} ({age})", ""),
    "schedule.dose_from": Text("第{dose}回は {day}（{age}）からです", "", "第{dose}回 from {day} ({age})", ""),
    "schedule.future": Text(
        "{on} は未来の日付です（今日は {today}）。年を確認してください",
        "",
        "{on} is in the future (today {today}): check the year",
        "",
    ),
    "schedule.before_birth": Text(
        "{on} は生年月日（{birth}）より前です。年を確認してください",
        "",
        "{on} is before the birth date ({birth}): check the year",
        "",
    ),
    "schedule.not_in_data": Text(
        "{vaccine} は定期接種スケジュールのデータにありません（スケジュール確認なし）",
        "",
        "{vaccine} is not in the routine schedule data: no schedule check",
        "",
    ),
    "schedule.women_only": Text(
        "{name} は女性のみが定期接種の対象です（性別: 男）",
        "",
        "{name} is a routine vaccination for girls and women only (性別: 男)",
        "",
    ),
    "schedule.no_group": Text(
        "{name}: {on} 時点の {age} 歳は対象者に該当しません（{groups}）",
        "",
        "{name}: age {age} on {on} is in no eligible group ({groups})",
        "",
    ),
    "schedule.disability_only": Text(
        "{name}: {age} 歳は所定の障害がある場合のみ対象です。予診票で確認してください",
        "",
        "{name}: age {age}: eligible only with the qualifying disability — confirm it on the form",
        "",
    ),
    "schedule.before_age": Text(
        "{on} は接種対象年齢より前です（{first} から）", "", "{on} is before the eligible age (from {first})", ""
    ),
    "schedule.past_age": Text(
        "{on} は接種対象年齢を過ぎています（{last} まで）", "", "{on} is past the eligible age (until {last})", ""
    ),
    "schedule.allowed_under": Text(
        "。{measure} による接種なら可能です — 該当するか確認してください", "", "; allowed under {measure} — confirm it", ""
    ),
    "schedule.dose_prefix": Text("{name} 第{dose}回: ", "", "{name} 第{dose}回: ", ""),
    "schedule.dose_prefix_product": Text(
        "{name} 第{dose}回（どの製剤でも不可。例: {product}）: ",
        "",
        "{name} 第{dose}回 (in every product; here {product}): ",
        "",
    ),
    "schedule.later_would_be": Text(
        "記録済みの {name} 第{dose}回（{on}）: ", "", "{name} 第{dose}回 already recorded on {on} would be ", ""
    ),
    "schedule.once_a_year": Text(
        "{name} は年度に1回です。{year}年度の接種がすでに記録されています",
        "",
        "{name} is once per fiscal year: FY{year} already has a dose for this resident",
        "",
    ),
    "schedule.season": Text(
        "{name} の接種期間は {window} です。{on} は期間外です", "", "{name} is given {window} only; {on} is outside", ""
    ),
    "schedule.live_after": Text(
        "注射生ワクチン {vaccine}（{on}）から {gap} 日しか経っていません。27日以上の間隔が必要です",
        "",
        "only {gap} days after the live vaccine {vaccine} ({on}); 27 days must pass between injectable live vaccines",
        "",
    ),
    "schedule.live_before": Text(
        "記録済みの注射生ワクチン {vaccine}（{on}）の {gap} 日前です。27日以上の間隔が必要です",
        "",
        "only {gap} days before the live vaccine {vaccine} recorded on {on}; "
        "27 days must pass between injectable live vaccines",
        "",
    ),
    "schedule.already_recorded": Text(
        "{name} 第{dose}回はこの住民にすでに記録されています",
        "",
        "{name} 第{dose}回 is already recorded for this resident",
        "",
    ),
    "schedule.previous_missing": Text(
        "{name} の第{dose}回が台帳にありません（他所で接種？）",
        "",
        "第{dose}回 of {name} is not in the ledger (given elsewhere?)",
        "",
    ),
    "schedule.amount": Text(
        "{given} mL はこの回・年齢の接種量 {expected} mL と異なります",
        "",
        "{given} mL differs from the {expected} mL for this dose and age",
        "",
    ),
    "schedule.lot_other_vaccine": Text(
        "ロット {lot} は {owner} のロットで、{vaccine} ではありません", "", "lot {lot} is a {owner} lot, not {vaccine}", ""
    ),
    "schedule.lot_expired": Text(
        "ロット {lot} は {expiry} に有効期限切れです（接種日 {on}）", "", "lot {lot} expired on {expiry}, before {on}", ""
    ),
    # --- files and values a person gave
    "file.cannot_use": Text(
        "{path} を使えません（{detail}）",
        "パスとアクセス権を確認してください",
        "cannot use {path}: {detail}",
        "check the path and its permissions",
    ),
    "file.missing": Text(
        "ファイルがありません: {paths}",
        "スキャンしたファイルのパスを指定してください",
        "no such file: {paths}",
        "give the paths of the scanned files",
    ),
    "file.not_csv": Text(
        "{name} は表計算ソフトの形式かバイナリで、CSVではありません",
        "Excel で「CSV UTF-8」または「CSV」として保存し直して指定してください",
        "{name} is a spreadsheet or binary file, not CSV",
        "save it from Excel as 'CSV UTF-8' and give that",
    ),
    "file.not_text": Text(
        "{name} を UTF-8 としても Shift_JIS としても読めません",
        "Excel で「CSV UTF-8」として保存し直してください",
        "{name} is neither UTF-8 nor Shift_JIS text",
        "save it from Excel as 'CSV UTF-8'",
    ),
    "csv.missing_columns": Text(
        "{name} に列 {columns} がありません",
        "見出し行に {required} を含めてください（標準の列名）",
        "{name} lacks column(s) {columns}",
        "the header must name {required} (standardized names)",
    ),
    "csv.rejected": Text(
        "{name} を取り込みませんでした: 誤りのある行が {count} 行あります",
        "示した行を直して、もう一度実行してください（何も登録していません）",
        "nothing imported from {name}: {count} bad row(s)",
        "fix the lines named and run again (nothing was stored)",
    ),
    "line.bad_date": Text(
        "{line} 行目: {column}「{value}」は日付ではありません",
        "2024-04-01・2024/04/01・令和6年4月1日 のように書いてください",
        "line {line}: {column} {value!r} is not a date",
        "write it as 2024-04-01, 2024/04/01 or 令和6年4月1日",
    ),
    "line.bad_number": Text(
        "{line} 行目: {column}「{value}」は数値ではありません",
        "{column} は 0.5 のように数字だけで書いてください",
        "line {line}: {column} {value!r} is not a number",
        "write {column} as e.g. 0.5",
    ),
    "line.bad_sex": Text(
        "{line} 行目: 性別は 1 か 2 です（「{value}」）",
        "性別を 1（男）か 2（女）にしてください",
        "line {line}: 性別 must be 1 or 2, got {value!r}",
        "write 性別 as 1 or 2",
    ),
    "line.empty": Text(
        "{line} 行目: {column}が空欄です",
        "{column}を記入してください",
        "line {line}: {column} is empty",
        "fill in {column}",
    ),
    "line.bad_my_number": Text(
        "{line} 行目: 個人番号が12桁でないか、チェックディジットが合いません",
        "個人番号を確認してください",
        "line {line}: 個人番号 is not 12 digits with a valid check digit",
        "check the 個人番号",
    ),
    "line.bad_clinic_code": Text(
        "{line} 行目: 実施機関コード「{value}」は数字ではありません",
        "実施機関コードを数字（例 1310001）で書いてください",
        "line {line}: clinic code {value!r} is not a number",
        "write the clinic code in digits (e.g. 1310001)",
    ),
    "line.bad_dose": Text(
        "{line} 行目: 回数「{value}」は {vaccine} の回数にありません",
        "その予防接種の回数（1から）を書くか、その行を除いてください",
        "line {line}: dose {value} is not a dose of {vaccine}",
        "write a dose number of that vaccine's series (from 1), or remove the line",
    ),
    "form.resident_gone": Text(
        "宛名番号 {atena_no} の住民は {reason} のため予診票を発行できません",
        "住民記録を確かめてください（転出・死亡の方には発行しません）",
        "no form can be issued for 宛名番号 {atena_no}: {reason}",
        "check the register (no form is issued to a resident who moved out or died)",
    ),
    "request.no_receiver": Text(
        "依頼先（市区町村・医療機関）が空です",
        "依頼先を入力してください",
        "no receiver (municipality or clinic)",
        "enter who is asked",
    ),
    "request.already_given": Text(
        "この住民は {vaccine} の第{dose}回をすでに受けています（記録 {given} 回／全 {doses} 回）",
        "確認のうえ発行する場合は「確認済み」にしてください",
        "this resident has {vaccine} dose {dose} already ({given} of {doses} doses on record)",
        "acknowledge to issue the letter anyway",
    ),
    "request.not_found": Text(
        "依頼番号 {number} の依頼書はありません",
        "依頼番号を確かめてください",
        "no request letter {number}",
        "check the number",
    ),
    "request.already_entered": Text(
        "依頼書 {number} の接種は記録 {record} として登録済みです",
        "訂正は記録の訂正で行ってください",
        "the vaccination of letter {number} is on the ledger already (record {record})",
        "correct the record instead",
    ),
    "forms.sent_before_printed": Text(
        "発送日 {sent} が印刷日 {printed} より前です",
        "発送した日を指定してください",
        "the send date {sent} is before the print date {printed}",
        "give the day the mailing went out",
    ),
    "line.not_found": Text(
        "{line} 行目: {what}が見つかりません",
        "住民記録とマスタを取り込むか、その行を除いてください",
        "line {line}: {what} not found",
        "import the register and masters, or remove the line",
    ),
    "line.unknown_vaccine": Text(
        "{line} 行目: 接種種類コード「{value}」はワクチンマスタにありません",
        "ワクチンマスタにある接種種類コードを書くか、先にワクチンを登録してください",
        "line {line}: vaccine {value!r} is not in the vaccine master",
        "use a code from the vaccine master, or add the vaccine first",
    ),
    "value.choice": Text(
        "{what}「{value}」はありません",
        "次のいずれかを指定してください: {choices}",
        "no {what} {value!r}",
        "give one of: {choices}",
    ),
    "date.empty": Text(
        "{what}が空欄です",
        "2026-11-05・2026/11/05・20261105・令和8年11月5日 のように入力してください",
        "{what} is empty",
        "type it as 2026-11-05, 2026/11/05, 20261105 or 令和8年11月5日",
    ),
    "date.unreadable": Text(
        "{what}「{value}」は日付として読めません",
        "2026-11-05・2026/11/05・20261105・令和8年11月5日 のように入力してください",
        "{what} {value!r} is not a date",
        "type it as 2026-11-05, 2026/11/05, 20261105 or 令和8年11月5日",
    ),
    "date.not_calendar": Text(
        "{what}「{value}」は存在しない日付です",
        "月と日を確認してください（例 2026-04-01・令和8年4月1日）",
        "{what} {value!r} is not a calendar date",
        "check the month and day (e.g. 2026-04-01, 令和8年4月1日)",
    ),
    "date.outside_era": Text(
        "{what}「{value}」は元号の期間外です",
        "元号と年を確認してください",
        "{what} {value!r} is outside its era",
        "check the era and year",
    ),
    "date.unknown_era": Text(
        "{what}「{value}」の元号が分かりません",
        "令和・平成・昭和（R・H・S）か西暦で入力してください",
        "{what} {value!r}: unknown era",
        "use 令和, 平成, 昭和 (R, H, S) or the Western year",
    ),
    "date.bad_month": Text(
        "{what}「{value}」は年月として読めません",
        "2026-10・2026/10・2026年10月・令和8年10月 のように入力してください",
        "{what} {value!r} is not a month",
        "type it as 2026-10, 2026/10, 2026年10月 or 令和8年10月",
    ),
    "date.no_such_month": Text(
        "{what}「{value}」: {month} 月はありません",
        "月は 1〜12 です（例 2026-10・2026年10月・令和8年10月）",
        "{what} {value!r}: there is no month {month}",
        "months are 1 to 12 (e.g. 2026-10, 2026年10月, 令和8年10月)",
    ),
    "date.bad_fiscal_year": Text(
        "{what}「{value}」は年度として読めません",
        "2026・令和8・R8 のように入力してください",
        "{what} {value!r} is not a fiscal year",
        "type it as 2026, 令和8 or R8",
    ),
    "time.bad": Text(
        "時刻「{value}」は HH:MM ではありません",
        "INTAKE_BACKUP_AT / INTAKE_AUDIT_VERIFY_AT を 02:00 のように設定してください",
        "time of day {value!r} is not HH:MM",
        "set INTAKE_BACKUP_AT / INTAKE_AUDIT_VERIFY_AT like 02:00",
    ),
    "cli.usage": Text(
        "コマンドの指定が正しくありません（{detail}）",
        "intake {command}--help で使い方を確認してください",
        "the command is not given right ({detail})",
        "see intake {command}--help",
    ),
    "overlay.not_registered": Text(
        "様式に位置合わせできませんでした: {reason}",
        "区の予診票のスキャンか確認してください",
        "the page could not be registered: {reason}",
        "check that it is a scan of the ward's form",
    ),
    "request.invalid": Text(
        "要求の項目が正しくありません: {where}",
        "示した項目を直してください",
        "the request has invalid fields: {where}",
        "correct the request fields named",
    ),
    # --- uploads
    "upload.empty": Text(
        "アップロードにファイルがありません",
        "PDF・TIFF・PNG・JPEG のファイルを1つ以上添付してください",
        "no files in the upload",
        "attach one or more PDF, TIFF, PNG or JPEG files",
    ),
    "upload.too_large": Text(
        "{name} は {size} MB で、上限の {limit} MB を超えています",
        "束を分けて小さいファイルにしてください",
        "{name} is {size} MB; the limit is {limit} MB",
        "split the bundle into smaller files",
    ),
    "upload.unknown_clinic": Text(
        "実施機関コード「{value}」は医療機関マスタにありません",
        "束の送付票の実施機関コードを確認するか、管理者に医療機関の登録を依頼してください",
        "clinic code {value!r} is not in the clinic master",
        "check the 実施機関コード on the bundle's cover sheet, or ask an admin to add the clinic",
    ),
    "field_image.unreadable": Text(
        "{name} は画像として読めません（{detail}）",
        "項目を切り抜いた PNG・JPEG・TIFF の画像を指定してください",
        "{name} cannot be read as an image ({detail})",
        "give a PNG, JPEG or TIFF crop of the field",
    ),
    # decode.<code>: ocr.decode.DecodeError, a file that is not a readable scan (the scanner operator reads these)
    "decode.empty": Text(
        "{name}: ファイルが空です（0 バイト）",
        "束をもう一度スキャンし、書き出されたファイルをアップロードしてください",
        "{name}: the file is empty (0 bytes)",
        "scan the bundle again and upload the file it writes",
    ),
    "decode.refused": Text(
        "{name}: {kind} で、スキャン画像ではありません",
        "スキャナが書き出した PDF・TIFF・PNG・JPEG のファイルをアップロードしてください",
        "{name}: this is a {kind}, not a scan",
        "upload PDF, TIFF, PNG or JPEG files from the scanner",
    ),
    "decode.unknown_type": Text(
        "{name}: ファイルの種類が分かりません",
        "スキャナが書き出した PDF・TIFF・PNG・JPEG のファイルをアップロードしてください",
        "{name}: unrecognised file type",
        "upload PDF, TIFF, PNG or JPEG files from the scanner",
    ),
    "decode.encrypted": Text(
        "{name}: PDF にパスワードが掛かっています",
        "スキャナでパスワードなしで保存してください",
        "{name}: the PDF is encrypted",
        "save it from the scanner without a password",
    ),
    "decode.pdf_unreadable": Text(
        "{name}: PDF を読めません",
        "ファイルが途中で切れているかもしれません。もう一度アップロードしてください",
        "{name}: the PDF cannot be read",
        "the file may be truncated: upload it again",
    ),
    "decode.no_pages": Text(
        "{name}: PDF にページがありません",
        "束をもう一度スキャンしてください",
        "{name}: the PDF has no pages",
        "scan the bundle again",
    ),
    "decode.too_many_pages": Text(
        "{name}: {pages} ページあります。1ファイル {limit} ページまでです",
        "束を分けて小さいファイルにしてください",
        "{name}: {pages} pages; at most {limit} per file",
        "split the bundle into smaller files",
    ),
    "decode.page_too_large": Text(
        "{name}: {page} ページ目の用紙が大きすぎます",
        "A4 か A3 でスキャンしてください",
        "{name}: page {page} is too large",
        "scan at A4 or A3 size",
    ),
    "decode.too_many_pixels": Text(
        "{name}: 画像の画素数が多すぎます（上限 {limit}）",
        "200〜400 dpi でスキャンしてください",
        "{name}: the image has too many pixels (limit {limit})",
        "scan at 200–400 dpi",
    ),
    "decode.page_too_small": Text(
        "{name}: 画像が小さすぎて予診票のスキャンではありません",
        "A4 の用紙全体を 200〜400 dpi でスキャンしてください",
        "{name}: too small to be a scanned form",
        "scan the whole A4 sheet at 200–400 dpi",
    ),
    "decode.image_unreadable": Text(
        "{name}: 画像を読めません",
        "ファイルが途中で切れているかもしれません。もう一度アップロードしてください",
        "{name}: the image cannot be read",
        "the file may be truncated: upload it again",
    ),
    "decode.damaged": Text(
        "{name}: 画像データが壊れています",
        "ファイルが途中で切れているかもしれません。もう一度アップロードしてください",
        "{name}: the image data is damaged",
        "the file may be truncated: upload it again",
    ),
    "decode.page_undecodable": Text(
        "{name}: {page} ページ目を読めません",
        "このページをスキャンし直してください",
        "{name}: page {page} cannot be decoded",
        "rescan this page",
    ),
    "batch.not_found": Text(
        "バッチ {batch} はありません",
        "アップロード時に表示されたバッチ番号を指定してください",
        "batch {batch} does not exist",
        "give the batch number the upload printed",
    ),
    # --- people, roles, sessions
    "auth.wrong_password": Text(
        "ユーザーIDかパスワードが違います",
        "両方を確認してください。{failures}回続けて間違えると{minutes}分間ロックされます",
        "user name or password is wrong",
        "check both; after {failures} failures the account locks for {minutes} minutes",
    ),
    "auth.locked": Text(
        "失敗が続いたためアカウントがロックされています",
        "{minutes}分待つか、管理者に連絡してください",
        "account locked after repeated failures",
        "wait {minutes} minutes or ask an admin",
    ),
    "auth.session_ended": Text(
        "ログインの有効期限が切れました",
        "もう一度ログインしてください",
        "your session has ended",
        "log in again",
    ),
    "auth.not_logged_in": Text(
        "ログインしていません",
        "ログインしてください（スキャナは端末の X-API-Key を送ってください）",
        "not logged in",
        "log in (users) or send the workstation's X-API-Key (scanners)",
    ),
    "auth.bad_api_key": Text(
        "スキャナの API キーがないか、違うか、失効しています",
        "端末のキー（X-API-Key / INTAKE_API_KEY）を設定してください。新しいキーは管理者に依頼してください",
        "the scanner API key is missing, wrong or revoked",
        "set the workstation's key (X-API-Key header / INTAKE_API_KEY); ask an admin for a new one",
    ),
    "auth.role_forbidden": Text(
        "{role}の役割ではこの操作はできません",
        "業務に必要な場合は管理者に依頼してください",
        "the {role_en} role may not do this",
        "ask an admin if your work needs it",
    ),
    "auth.password_short": Text(
        "パスワードが短すぎます",
        "10文字以上にしてください",
        "password too short",
        "use at least 10 characters",
    ),
    "auth.user_exists": Text(
        "ユーザー「{user}」はすでにあります",
        "別のユーザーIDにするか、古いアカウントを無効にしてください",
        "user {user!r} exists",
        "choose another user name or disable the old account",
    ),
    "auth.no_user": Text(
        "ユーザー「{user}」はいません",
        "intake users list で確認してください",
        "no user {user!r}",
        "see `intake users list`",
    ),
    "auth.no_scanner_key": Text(
        "ラベル「{label}」のスキャナキーはありません",
        "intake users list でラベルを確認してください",
        "no scanner key is labelled {label!r}",
        "see the labels with: intake users list",
    ),
    # --- review
    "review.bad_queue_reason": Text(
        "キューの絞り込み「{value}」はありません",
        "次のいずれかを指定してください: {choices}",
        "unknown queue reason {value!r}",
        "use one of {choices}",
    ),
    "page.not_found": Text("予診票 {page} はありません", "", "page {page} does not exist", ""),
    "page.no_image": Text(
        "予診票 {page} の画像はまだありません",
        "読み取りが終わるまでお待ちください",
        "page {page} has no image yet",
        "wait until it is processed",
    ),
    "page.no_field": Text("この予診票に項目「{field}」はありません", "", "the form has no field {field!r}", ""),
    "page.scanner_may_not_view": Text(
        "スキャナの役割では予診票を表示できません",
        "審査者・監督者のアカウントでログインしてください",
        "the scanner role may not view pages",
        "log in with a reviewer or supervisor account",
    ),
    "review.not_assigned": Text(
        "この予診票はあなたに割り当てられていません",
        "キューから次の予診票を取ってください",
        "this form is not assigned to you",
        "take the next form from the queue",
    ),
    "review.stale": Text(
        "予診票 {page} は他の人が変更しました（版 {version}、あなたの版 {yours}）",
        "予診票を読み込み直してください。入力は保存されていません",
        "form {page} was changed by someone else (version {version}, yours {yours})",
        "reload the form; your entries were not saved",
    ),
    "review.taken": Text(
        "予診票 {page} はすでに「{status}」です",
        "次の予診票を取ってください",
        "form {page} is already {status_en}",
        "take the next form",
    ),
    "review.vaccine_unknown": Text(
        "この予診票の接種種類と回数が分かりません",
        "接種種類コードと回数を入力してください",
        "接種種類 and 回数 are unknown for this form",
        "type the vaccine code and dose number",
    ),
    "review.lot_empty": Text(
        "ロット番号が空欄です",
        "シールのロット番号を入力してください",
        "ロット番号 is empty",
        "type the lot number from the sticker",
    ),
    "review.date_empty": Text(
        "接種年月日が空欄です",
        "予診票の日付を入力してください。見合わせ（予診のみ）なら「予診のみ」にしてください",
        "接種年月日 is empty",
        "type the date on the form; for a 見合わせ (screening only) form choose 予診のみ",
    ),
    "review.bad_number": Text(
        "{field}「{value}」は数値ではありません",
        "0.5 のように入力してください",
        "{field} {value!r} is not a number",
        "type e.g. 0.5",
    ),
    "review.not_candidate": Text(
        "宛名番号 {atena_no} はこの予診票の候補ではありません",
        "先に住民を検索してください",
        "宛名番号 {atena_no} is not a candidate of this form",
        "search for the resident first",
    ),
    "review.not_in_register": Text(
        "宛名番号 {atena_no} は住民記録にありません",
        "候補から選ぶか、もう一度検索してください",
        "宛名番号 {atena_no} is not in the register",
        "choose a candidate or search again",
    ),
    "review.reason_needed": Text(
        "{action}には理由が必要です",
        "理由を書いてください",
        "{action_en} needs a reason",
        "say why",
    ),
    "review.schedule": Text(
        "接種スケジュールの確認: {findings}",
        "予診票と照らし合わせてください。接種済みとして登録する場合は「確認して登録」（Alt+K）で確定してください",
        "schedule check: {findings_en}",
        "check the form against these; to record the dose as given anyway, confirm again with 確認して登録 (Alt+K)",
    ),
    "group.not_groupable": Text(
        "「{field}」はまとめて確認できません",
        "次のいずれかを選んでください: {choices}",
        "{field!r} cannot be verified as a group",
        "choose one of {choices}",
    ),
    "group.not_held": Text(
        "この予診票はもうあなたが確保していません（期限切れか他の人が取得）",
        "まとめてもう一度取得してください",
        "not held by you (lock expired or taken)",
        "take the group again",
    ),
    "group.changed": Text(
        "この予診票は他の人が変更しました",
        "まとめてもう一度取得してください",
        "changed by someone else",
        "take the group again",
    ),
    # --- ledger and residents
    "resident.not_in_register": Text(
        "宛名番号 {atena_no} は住民記録にありません", "", "宛名番号 {atena_no} is not in the register", ""
    ),
    "resident.not_found": Text(
        "住民 {atena_no} が見つかりません",
        "先に住民記録を取り込んでください",
        "resident {atena_no} not found",
        "import the register first",
    ),
    "vaccine.not_in_master": Text(
        "接種種類「{value}」はワクチンマスタにありません",
        "接種種類を直すか、ワクチンマスタに登録してください",
        "vaccine {value!r} is not in the vaccine master",
        "correct 接種種類, or add it to the vaccine master",
    ),
    "vaccine.no_such_dose": Text(
        "{vaccine} は第1回〜第{doses}回です。第{dose}回はありません",
        "--dose は 1〜{doses} で指定してください",
        "{vaccine} has doses 1–{doses}; there is no 第{dose}回",
        "give --dose between 1 and {doses}",
    ),
    "ledger.no_condition": Text(
        "検索条件がありません",
        "宛名番号、カナ＋生年月日、接種種類、期間、医療機関、ロットのいずれかを指定してください",
        "no search condition",
        "give 宛名番号, kana + birth date, vaccine, date range, clinic or lot",
    ),
    "ledger.correction_reason": Text(
        "訂正には理由が必要です",
        "訂正の理由を書いてください（例 医療機関からの訂正連絡）",
        "a correction needs a reason",
        "say why the record is corrected (e.g. 医療機関からの訂正連絡)",
    ),
    "ledger.not_correctable": Text(
        "{fields} は訂正できません",
        "訂正できる項目: {choices}",
        "cannot correct {fields}",
        "correctable: {choices}",
    ),
    "record.not_found": Text("接種記録 {record} はありません", "", "record {record} does not exist", ""),
    "record.already_corrected": Text(
        "接種記録 {record} はすでに訂正されています",
        "最新の版を訂正してください（履歴を参照）",
        "record {record} was already corrected",
        "correct the current version (see the history)",
    ),
    "my_number.forbidden": Text(
        "{role}の役割では個人番号を見られません",
        "保健予防課の職員に依頼してください",
        "the {role_en} role may not see 個人番号",
        "ask 保健予防課 staff",
    ),
    "my_number.no_purpose": Text(
        "個人番号を見る目的がありません",
        "必要な理由を書いてください（例 他市区町村照会）",
        "the purpose of reading 個人番号 is missing",
        "say why it is needed (e.g. 他市区町村照会)",
    ),
    "my_number.none": Text(
        "宛名番号 {atena_no} の個人番号は記録されていません",
        "",
        "no 個人番号 is on record for 宛名番号 {atena_no}",
        "",
    ),
    "my_number.undecryptable": Text(
        "保存された個人番号をこの設置の鍵で復号できません",
        "管理者に連絡してください",
        "the stored 個人番号 cannot be decrypted with this installation's key",
        "ask the admin",
    ),
    # --- forms, printing, mailing
    "forms.font_missing": Text(
        "予診票の日本語フォントがインストールされていません",
        "apt-get install fonts-ipaexfont-gothic を実行してください",
        "the Japanese form font is not installed",
        "apt-get install fonts-ipaexfont-gothic",
    ),
    "forms.nothing_to_print": Text(
        "印刷する予診票がありません",
        "住民を1人以上指定してください",
        "no forms to print",
        "give at least one resident",
    ),
    "forms.separator_copies": Text(
        "区切り紙の枚数 {copies} は印刷できません",
        "1〜500 の枚数を指定してください（例 --copies 20）",
        "cannot print {copies} separator sheets",
        "give 1 to 500 copies (e.g. --copies 20)",
    ),
    "match.missing_columns": Text(
        "{name} に列 {columns} がありません",
        "列: {required}",
        "{name} lacks column(s) {columns}",
        "columns: {required}",
    ),
    # --- backup and restore
    "backup.not_empty": Text(
        "{path} は空ではありません",
        "バックアップごとに新しいフォルダを指定してください（例 日ごと）",
        "{path} is not empty",
        "give a new folder for each backup (e.g. one per day)",
    ),
    "backup.no_manifest": Text(
        "{path} にバックアップがありません（manifest.json がありません）",
        "intake backup が書いたフォルダを指定してください",
        "{path} holds no backup (manifest.json missing)",
        "give the folder `intake backup` wrote",
    ),
    "backup.target_not_empty": Text(
        "復元先のデータベースが空ではありません。復元はデータを上書きしません",
        "INTAKE_DATABASE_URL を新しい空のデータベースに向けてください",
        "the target database is not empty; a restore never overwrites data",
        "point INTAKE_DATABASE_URL at a new, empty database",
    ),
    "backup.is_sqlite": Text(
        "このバックアップは SQLite のものです",
        "SQLite の INTAKE_DATABASE_URL に復元してください",
        "this backup is of a SQLite database",
        "restore it into a SQLite INTAKE_DATABASE_URL",
    ),
    "backup.tool_failed": Text(
        "{tool} が失敗しました: {detail}",
        "INTAKE_DATABASE_URL と {tool} の版を確認してください",
        "{tool} failed: {detail}",
        "check INTAKE_DATABASE_URL and {tool}'s version",
    ),
    "backup.file_damaged": Text(
        "ファイル {digest}… がハッシュと一致しません（破損）",
        "別の（古い）バックアップを使ってください",
        "file {digest}… does not match its hash (damaged)",
        "use another (older) backup",
    ),
    "store.file_missing": Text(
        "保存したファイル {digest}… がありません",
        "バックアップから保存領域を復元してください",
        "stored file {digest}… is missing",
        "restore the content store from backup",
    ),
    "schedule.data_invalid": Text(
        "{name} に誤りがあります: {detail}",
        "示した行のキーか値を直してください",
        "{name} is not valid: {detail}",
        "correct the key or value on the line named",
    ),
}

# What a command reports when it worked (intake.cli.say): (日本語, English).
SAID: dict[str, tuple[str, str]] = {
    "migrate.done": ("スキーマは最新です", "schema is up to date"),
    "residents.done": (
        "住民: 新規 {created} 件、更新 {updated} 件（{seconds} 秒）",
        "residents: {created} new, {updated} updated in {seconds}s",
    ),
    "master.done": ("{kind}: 新規 {created} 件、更新 {updated} 件", "{kind_en}: {created} new, {updated} updated"),
    "demo.residents": ("住民: 新規 {created} 件、更新 {updated} 件", "residents: {created} new, {updated} updated"),
    "user.created": ("ユーザー {user}（{role}）を作成しました", "user {user} ({role_en}) created"),
    "user.row": ("利用者 {user:16s} {role:6s} {state}", "user {user:16s} {role_en:10s} {state_en}"),
    "key.row": ("キー   {label:16s} スキャナ {state}", "key  {label:16s} scanner    {state_en}"),
    "user.disabled": (
        "ユーザー {user} を無効にし、ログイン中のセッションを終了しました",
        "user {user} disabled; its sessions are revoked",
    ),
    "key.revoked": ("{label} のキーを {n} 件失効させました", "{n} key(s) of {label} revoked"),
    "upload.done": (
        "バッチ {batch}: 新規 {new} ページ、受付済み {duplicate} ページ、読取待ち {queued} ページ",
        "batch {batch}: {new} new page(s), {duplicate} already received, {queued} queued",
    ),
    "reconcile.done": (
        "止まっていた {stuck} ページのうち {queued} ページを読取待ちに戻しました",
        "re-queued {queued} of {stuck} stuck page(s)",
    ),
    "status.check_ok": ("正常 {name:9s} {detail}", "ok  {name:9s} {detail}"),
    "status.check_bad": ("異常 {name:9s} {detail}  → {fix}", "NOT {name:9s} {detail}  → {fix}"),
    "status.queue": (
        "キュー    待ち {waiting} 件、読取中 {running} 件",
        "queue     {waiting} waiting, {running} being read",
    ),
    "status.pages": ("ページ    {pages}", "pages     {pages}"),
    "status.oldest": ("最も古い待ちページ: {minutes} 分", "oldest waiting page: {minutes} min"),
    "status.worker": (
        "ワーカー  {name} {state}{page}、{seconds} 秒前に応答",
        "worker    {name} {state}{page_en}, seen {seconds} s ago",
    ),
    "status.no_worker": (
        "ワーカー  動いていません  → 起動: intake worker",
        "worker    none running  → start one: intake worker",
    ),
    "status.failed": (
        "失敗      ページ {page}（バッチ {batch}、{at}）: {reason}",
        "failed    page {page} (batch {batch}, {at}): {reason}",
    ),
    "ready.bad": ("準備できていません: {name}: {detail} → {fix}", "not ready: {name}: {detail} → {fix}"),
    "ready.ok": ("準備完了", "ready"),
    "file.written": ("{path} を書き出しました", "wrote {path}"),
    "forms.sent": (
        "{printed} 印刷の郵送分 {n} 枚に発送日 {sent} を記録しました",
        "recorded send date {sent} on {n} mailed form(s) printed {printed}",
    ),
    "form.issued": (
        "予診票番号 {form_no} を発行しました（{path}）{voided}",
        "issued form number {form_no} ({path}){voided_en}",
    ),
    "mailing.file": ("{path}: {count} 枚", "{path}: {count} form(s)"),
    "audit.broken": ("改ざんの疑い（{rows} 行を確認）: {problem}", "BROKEN ({rows} rows read): {problem}"),
    "audit.intact": (
        "監査ログは無傷です: {rows} 行、チェックポイント {checkpoints} 件と一致",
        "audit chain intact: {rows} rows, {checkpoints} checkpoints agree",
    ),
    "audit.empty": ("監査ログが空です: チェックポイントは不要です", "the audit log is empty: nothing to checkpoint"),
    "audit.checkpoint": (
        "{row} 行目のチェックポイントを {file} に追記しました",
        "checkpoint of row {row} appended to {file}",
    ),
    "targets.done": (
        "{month} の対象者 {count} 人を {path} に書き出しました",
        "{count} target(s) for {month} written to {path}",
    ),
    "report.done": ("{count} 行を {path} に書き出しました", "{count} row(s) written to {path}"),
    "purge.dry": (
        "{cutoff} より前の接種: 記録 {records} 件、ページ {pages} 件、原本 {originals} 件を削除する予定です"
        " — 削除するには --execute を付けて再実行してください",
        "vaccinated before {cutoff}: would delete {records} record(s), {pages} page(s), {originals} original file(s)"
        " — run again with --execute to delete",
    ),
    "purge.done": (
        "{cutoff} より前の接種: 記録 {records} 件、ページ {pages} 件、原本 {originals} 件を削除しました",
        "vaccinated before {cutoff}: deleted {records} record(s), {pages} page(s), {originals} original file(s)",
    ),
    "backup.done": (
        "{database} データベースと保存ファイル {files} 件を {path} にバックアップしました",
        "backed up the {database} database and {files} stored file(s) to {path}",
    ),
    "restore.done": (
        "{database} データベースと保存ファイル {files} 件を復元しました。続けて intake audit verify を実行してください",
        "restored the {database} database and {files} stored file(s); now run: intake audit verify",
    ),
    "demo.users": ("デモ用ユーザー: {users}", "demo users: {users}"),
    "demo.key": ("デモ用スキャナキー: {key}", "demo scanner key: {key}"),
    "match.done": ("{count} 件を {seconds} 秒で照合: {counts}", "{count} forms in {seconds}s: {counts}"),
}

MASTER_JA = {"vaccines": "ワクチンマスタ", "clinics": "医療機関マスタ", "lots": "ロットマスタ"}
STATE_JA = {"active": "有効", "disabled": "無効", "revoked": "失効"}


def said(code: str, params: Mapping[str, object], lang: str = "ja") -> str:
    ja, en = SAID[code]
    return (en if lang == "en" else ja).format_map(_Params(params))


ROLE_JA = {"reviewer": "審査者", "supervisor": "監督者", "staff": "職員", "admin": "管理者", "scanner": "スキャナ"}
STATUS_JA = {
    "queued": "読取待ち",
    "processing": "読取中",
    "extracted": "審査待ち",
    "in_review": "審査中",
    "deferred": "監督者へ保留",
    "committed": "登録済み",
    "rejected": "返戻",
    "failed": "読取失敗",
    "skipped": "対象外",
}


OS_JA = {
    "ENOENT": "ファイルかフォルダがありません",
    "EACCES": "アクセス権がありません",
    "EPERM": "操作が許可されていません",
    "EISDIR": "フォルダです（ファイルを指定してください）",
    "ENOTDIR": "途中のパスがフォルダではありません",
    "EROFS": "読み取り専用の場所です",
    "ENOSPC": "ディスクの空きがありません",
    "EEXIST": "すでにあります",
}


class _Params(dict[str, object]):
    def __missing__(self, key: str) -> str:  # a parameter a caller left out shows as its name, never a KeyError
        return "{" + key + "}"


def render(code: str, params: Mapping[str, object], lang: str = "ja") -> tuple[str, str]:
    """(message, fix) for a code in a language; an unknown code shows as itself (tests keep that from shipping)."""
    text = CATALOGUE.get(code)
    if text is None:
        return code, ""
    values = _Params(params)
    if lang != "en" and params.get("errno") in OS_JA:  # the operating system's reason, in Japanese
        values["detail"] = OS_JA[str(params["errno"])]
    if lang == "en":
        return text.en.format_map(values), text.en_fix.format_map(values)
    return text.ja.format_map(values), text.ja_fix.format_map(values)


def lang_of(accept_language: str | None, default: str = "ja") -> str:
    """The first language of an Accept-Language header that the catalogue has, else the installation's."""
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in LANGS:
            return tag
    return default


# pydantic's error types, as a person reads them (the API's request validation; the rest fall back to "invalid")
FIELD_PROBLEMS: dict[str, tuple[str, str]] = {
    "missing": ("必須です", "is required"),
    "date_parsing": ("日付ではありません", "is not a date"),
    "date_from_datetime_parsing": ("日付ではありません", "is not a date"),
    "date_type": ("日付ではありません", "is not a date"),
    "int_parsing": ("整数ではありません", "is not a whole number"),
    "int_type": ("整数ではありません", "is not a whole number"),
    "float_parsing": ("数値ではありません", "is not a number"),
    "bool_parsing": ("はい／いいえではありません", "is not yes/no"),
    "string_too_short": ("短すぎます", "is too short"),
    "string_too_long": ("長すぎます", "is too long"),
    "literal_error": ("選択肢にありません", "is not one of the choices"),
    "enum": ("選択肢にありません", "is not one of the choices"),
    "greater_than_equal": ("小さすぎます", "is too small"),
    "less_than_equal": ("大きすぎます", "is too large"),
    "json_invalid": ("JSON として読めません", "is not valid JSON"),
}


def field_problem(error: Mapping[str, object], lang: str) -> str:
    """One pydantic validation error as `項目: 問題` (the location without the body/query prefix)."""
    loc = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path")]  # type: ignore[attr-defined]
    ja, en = FIELD_PROBLEMS.get(str(error.get("type", "")), ("値が正しくありません", "is invalid"))
    where = ".".join(loc) or ("要求" if lang != "en" else "request")
    return f"{where}: {en}" if lang == "en" else f"{where}: {ja}"


# Rows stored before messages had codes (session 7) hold English sentences: field messages, review reasons kept as
# {"code": "text"}, a match's explanation, a record's schedule flags. They are shown through these patterns, most
# specific first (a sentence with no pattern shows as written). Nothing written now needs them: new messages are
# codes in CATALOGUE.
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
            r"^(\S+) is before the birth date \((\S+)\): check the year$",
            r"\1 は生年月日（\2）より前です。年を確認してください",
        ),
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


def machine_text(text: str, lang: str) -> str:
    """A machine message in the reviewer's language (Japanese unless English is set)."""
    if lang == "en":
        return text
    for pattern, ja in MACHINE_JA:  # in order: a whole message, or each of the parts it was built from
        text = pattern.sub(ja, text)
    return text


# typer's (click's) usage errors, as the ward reads them; anything else is shown as typer wrote it
USAGE_JA: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), ja)
    for p, ja in (
        (r"^Missing option '(.+?)'\.?$", r"オプション \1 がありません"),
        (r"^Missing argument '(.+?)'\.?$", r"引数 \1 がありません"),
        (r"^Option '(.+?)' requires an argument\.?$", r"オプション \1 に値がありません"),
        (r"^No such option: (\S+?)\.? Did you mean (\S+?)\?$", r"オプション \1 はありません。\2 のことですか"),
        (r"^No such option: (\S+?)\.?$", r"オプション \1 はありません"),
        (r"^No such command '(.+?)'\.? Did you mean '(.+?)'\?$", r"コマンド \1 はありません。\2 のことですか"),
        (r"^No such command '(.+?)'\.?$", r"コマンド \1 はありません"),
        (r"^Got unexpected extra arguments? \((.+)\)$", r"余分な引数があります（\1）"),
        (r"^Invalid value for '(.+?)': .*(?:integer|number).*$", r"\1 の値が数値ではありません"),
        (r"^Invalid value for '(.+?)': (.+)$", r"\1 の値が正しくありません（\2）"),
    )
]


def usage_text(detail: str, lang: str) -> str:
    if lang == "en":
        return detail
    for pattern, ja in USAGE_JA:
        if pattern.match(detail):
            return pattern.sub(ja, detail)
    return detail


def worded(stored: object, lang: str, labels: Mapping[str, str] | None = None) -> dict[str, object]:
    """A stored message — {code, params} as the reader and the services write them, or the English sentence rows
    read before codes existed — as {code, params, text} in a language. `labels`: the form's field labels, for the
    reasons that name fields."""
    if isinstance(stored, BaseModel):  # a Reason (models.page_state)
        stored = stored.model_dump()
    if not (isinstance(stored, dict) and "code" in stored):
        return {"code": "text", "params": {}, "text": machine_text(str(stored), lang)}
    code, params = str(stored["code"]), dict(stored.get("params") or {})
    if "text" in params:  # a sentence of an earlier version, kept by migration 0011
        return {"code": code, "params": params, "text": machine_text(str(params["text"]), lang)}
    shown = dict(params)
    if isinstance(params.get("fields"), list):  # review.check: the fields by the labels printed on the form
        sep = ", " if lang == "en" else "、"
        shown["fields"] = sep.join((labels or {}).get(f, f) for f in params["fields"])
    if isinstance(params.get("parts"), list):  # a schedule finding: its parts by code, joined
        shown["finding"] = joined(params["parts"], lang)
    elif "finding" in params:  # a finding stored as a sentence (before codes)
        shown["finding"] = machine_text(str(params["finding"]), lang)
    if isinstance(params.get("differ"), str):  # "lot_number: 'a' ≠ 'b'; …": each field by its label
        parts = [p.split(": ", 1) for p in params["differ"].split("; ")]
        names = {**(labels or {}), "resident": "住民" if lang != "en" else "resident"}
        shown["differ"] = "; ".join(f"{names.get(p[0], p[0])}: {p[1]}" if len(p) == 2 else p[0] for p in parts)
    if "error" in params:  # an error that stopped an automatic step: its own words
        shown["error"] = render(str(params["error"]), params, lang)[0]
    return {"code": code, "params": params, "text": render(code, shown, lang)[0]}


def joined(parts: list[Any], lang: str) -> str:
    """Coded parts ({code, params}, in order) as one sentence: a schedule finding's prefix, problem, exception."""
    return "".join(render(str(m["code"]), dict(m.get("params") or {}), lang)[0] for m in parts)


def flag_text(flag: object, lang: str) -> str:
    """A schedule finding kept on a ledger row ({severity, parts} by code; "error: …" sentences before codes)."""
    if not isinstance(flag, dict):
        return machine_text(str(flag), lang)
    said = joined(flag.get("parts") or [], lang)
    severity = str(flag.get("severity", ""))
    if lang != "en":
        severity = {"error": "エラー", "warning": "注意"}.get(severity, severity)
    return f"{severity}: {said or flag.get('message', '')}"


def text_of(stored: object, lang: str, labels: Mapping[str, str] | None = None) -> str:
    return str(worded(stored, lang, labels)["text"])
