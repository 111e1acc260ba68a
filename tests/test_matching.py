"""Matching rules one by one: every kana fold, each variant-kanji pair, era boundaries in birth dates,
OCR digit confusions, and the twin and same-name cases that must never auto-match the wrong child."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session, select

from intake.services.kana import fold_kana, loosen_kana
from intake.services.match_batch import match_all, read_queries, write_matches
from intake.services.matcher import Matcher, Query, birth_variants
from intake.services.names import fold_name
from intake.settings import Settings
from models import Resident
from tests.support.data import ERA_DATES


@pytest.mark.parametrize(
    "a,b",
    [
        ("さとう", "サトウ"),  # hiragana ↔ katakana
        ("ｻﾄｳ", "サトウ"),  # half-width
        ("キョウコ", "キヨウコ"),  # small kana
        ("サトウ", "サトー"),  # long vowel written ウ or ー
        ("サトウ", "サト"),  # … or not at all
        ("ユウマ", "ユーマ"),  # u-row long vowel
        ("オオノ", "オーノ"),  # o-row long vowel written オ
        ("ケイコ", "ケーコ"),  # e-row long vowel written イ
        ("ヂュン", "ジユン"),  # ヂ/ジ
        ("ツヅキ", "ツズキ"),  # ヅ/ズ
        ("ヲノ", "オノ"),  # ヲ/オ
        ("イトウ　ユイナ", "イトウユイナ"),  # full-width space
        ("ヤマダ・ハナコ", "ヤマダハナコ"),  # middle dot
        ("ヨシ口ウ", "ヨシロウ"),  # kanji lookalikes OCR reads in a kana field: 口→ロ
        ("力ナ", "カナ"),  # 力→カ
        ("工リ", "エリ"),  # 工→エ
        ("二イナ", "ニイナ"),  # 二→ニ
        ("夕ロウ", "タロウ"),  # 夕→タ
        ("卜モミ", "トモミ"),  # 卜→ト
        ("八ナコ", "ハナコ"),  # 八→ハ
        ("才サム", "オサム"),  # 才→オ
        ("ユ一マ", "ユーマ"),  # 一→ー
    ],
)
def test_each_kana_fold(a: str, b: str) -> None:
    assert fold_kana(a) == fold_kana(b)


@pytest.mark.parametrize("a,b", [("サトウハナコ", "サトウハルコ"), ("ユウマ", "ユミ"), ("イトウ", "イトク")])
def test_kana_folds_keep_different_names_apart(a: str, b: str) -> None:
    assert fold_kana(a) != fold_kana(b)


def test_voicing_is_only_loosened_for_blocking() -> None:
    assert fold_kana("タカハシ") != fold_kana("ダカハシ")
    assert loosen_kana(fold_kana("タカハシ")) == loosen_kana(fold_kana("ダガバシ"))


@pytest.mark.parametrize(
    "variant,common",
    [
        ("髙橋", "高橋"),
        ("山﨑", "山崎"),
        ("渡邊", "渡辺"),
        ("渡邉", "渡辺"),
        ("齋藤", "斎藤"),
        ("澤田", "沢田"),
        ("濵田", "浜田"),
        ("𠮷田", "吉田"),
    ],
)
def test_each_variant_kanji_pair(variant: str, common: str) -> None:
    assert fold_name(variant) == fold_name(common)
    assert fold_name(f"{variant} 花子") == fold_name(f"{common}花子")


@pytest.mark.parametrize("text,expected", ERA_DATES)
def test_birth_dates_as_read_in_every_era_form(text: str, expected: date) -> None:
    assert birth_variants(text)[0] == expected


def test_birth_date_variants_cover_field_misreads() -> None:
    d, variants = birth_variants("2015-03-18")
    assert d == date(2015, 3, 18) and d not in variants
    assert date(2015, 5, 18) in variants and date(2015, 8, 18) in variants  # 3→5, 3→8 (field misreads)
    assert date(2015, 3, 16) not in variants  # 8→6 is not a confusion we assume
    d, variants = birth_variants("2015-03-78")  # not a date as read; one 7→1 confusion away from one
    assert d is None and date(2015, 3, 18) in variants


def _resident(
    atena: str, name: str, kana: str, birth: date, sex: str, household: str = "H1", address: str = "東京都練馬区架空1-1"
) -> Resident:
    return Resident(
        atena_no=atena,
        household_no=household,
        name=name,
        name_kana=kana,
        kana_key=fold_kana(kana),
        name_key=fold_name(name),
        kana_loose=loosen_kana(fold_kana(kana)),
        birth_date=birth,
        sex=sex,
        address=address,
    )


@pytest.fixture
def twins(settings: Settings, session: Session) -> Session:
    b = date(2024, 6, 1)
    session.add_all(
        [
            _resident("800000000001", "架空 陽翔", "カクウ ハルト", b, "1"),
            _resident("800000000002", "架空 陽菜", "カクウ ハルナ", b, "2"),  # twin sister
            _resident("800000000003", "架空 湊", "カクウ ミナト", b, "1"),  # triplet, same sex
            _resident("800000000004", "同名 花子", "ドウメイ ハナコ", b, "2", "H2", "東京都練馬区架空2-2"),
            _resident(
                "800000000005", "同名 花子", "ドウメイ ハナコ", b, "2", "H3", "東京都練馬区架空3-3"
            ),  # same name, same day
            _resident("800000000006", "髙橋 一郎", "タカハシ イチロウ", date(2023, 1, 5), "1", "H4"),
        ]
    )
    # the statistics need a register of realistic texture around them: 3,000 synthetic residents
    from tools.synth.people import make_residents

    for p in make_residents(3000, 17, today=date(2026, 11, 20), max_age_years=90):
        session.add(_resident(f"7{p.atena_no[1:]}", p.name, p.name_kana, p.birth_date, p.sex, p.household_no, p.address))
    session.commit()
    return session


def test_twins_never_auto_match_the_other_child(twins: Session) -> None:
    m = Matcher(twins)
    d = m.match(Query("f1", kana="カクウ ハルト", birth="2024-06-01", sex="1"))
    assert d.decision == "auto" and d.atena_no == "800000000001"
    d = m.match(Query("f2", kana="カクウ ハルナ", birth="令和6年6月1日", sex="2"))
    assert d.decision == "auto" and d.atena_no == "800000000002"
    # the given name misread halfway between the two: the machine must not pick
    d = m.match(Query("f3", kana="カクウ ハル", birth="2024-06-01"))
    assert d.decision != "auto"
    assert {c.resident.atena_no for c in d.candidates} >= {"800000000001", "800000000002"}


def test_same_name_same_birth_date_goes_to_review_with_both(twins: Session) -> None:
    d = Matcher(twins).match(Query("f4", kana="ドウメイ ハナコ", birth="2024-06-01", sex="2"))
    assert d.decision == "review"
    assert {c.resident.atena_no for c in d.candidates[:2]} == {"800000000004", "800000000005"}
    explained = d.candidates[0].fields
    assert explained["kana"][0] == "agree" and explained["birth_date"][0] == "agree"


def test_variant_kanji_and_a_misread_date_still_find_the_child(twins: Session) -> None:
    d = Matcher(twins).match(Query("f5", name="高橋 一郎", kana="タカハシ イチロー", birth="2028-01-05", sex="1"))  # 3→8
    assert d.atena_no == "800000000006"
    assert d.candidates[0].fields["birth_date"][0] == "close" and d.candidates[0].fields["name"][0] == "agree"


def test_a_child_not_in_the_register_is_never_auto_matched(twins: Session) -> None:
    d = Matcher(twins).match(Query("f6", kana="ミシラヌ コ", birth="2024-06-01", sex="1"))
    assert d.decision != "auto"


def test_match_batch_csv_round_trip(twins: Session, tmp_path: Path) -> None:
    q = tmp_path / "q.csv"
    q.write_text(
        "form_id,宛名番号,氏名,氏名_振り仮名,生年月日,性別,住所,保護者_氏名\n"
        "a,,架空 陽翔,カクウ ハルト,R6.6.1,1,,\n"
        "b,,,ドウメイ ハナコ,2024-06-01,2,,\n",
        encoding="utf-8",
    )
    queries = read_queries(q)
    out = tmp_path / "m.csv"
    url = str(twins.get_bind().url.render_as_string(hide_password=False))
    write_matches(out, queries, match_all(url, queries, workers=1))
    rows = {r["form_id"]: r for r in csv.DictReader(out.open(encoding="utf-8"))}
    assert rows["a"]["decision"] == "auto" and rows["a"]["宛名番号"] == "800000000001"
    assert rows["b"]["decision"] == "review" and len(rows["b"]["candidates"].split(";")) >= 2


def test_match_batch_in_worker_processes_answers_as_one_process(twins: Session) -> None:
    """Two forked workers, each with its own connection, give the same rows in the same order."""
    from intake.services.matcher import Query as Q

    people = twins.exec(select(Resident).limit(1100)).all()
    queries = [Q(str(i), kana=r.name_kana, birth=str(r.birth_date or ""), sex=r.sex) for i, r in enumerate(people)]
    url = str(twins.get_bind().url.render_as_string(hide_password=False))
    serial = match_all(url, queries, workers=1)
    parallel = match_all(url, queries, workers=2)
    assert len(parallel) == len(queries) > 1000 and parallel == serial
    assert sum(r.decision == "auto" for r in parallel) > 900


def test_qr_identity_needs_the_printed_kana_and_birth_date_to_agree(twins: Session) -> None:
    from intake.services.matching import match_identity
    from ocr.codes import FormIdentity, make_form_no

    ident = FormIdentity("131202", "800000000001", "MR", 1, make_form_no(1), "yoshin-v1")
    good = {"name_kana": "カクウ ハルト", "birth_date_text": "2024-06-01"}
    assert match_identity(twins, ident, "131202", "qr", good).decision == "auto"
    wrong_child = {"name_kana": "カクウ ハルナ", "birth_date_text": "2024-06-01"}  # the twin's form, QR of the other
    m = match_identity(twins, ident, "131202", "qr", wrong_child)
    assert m.decision == "review" and m.explanation[0].code == "match.printed_disagrees"
    assert m.explanation[0].params["fields_en"] == "kana"
    # 宛名番号 from the printed digits (no check digit): never automatic, even when everything agrees
    assert match_identity(twins, ident, "131202", "digits", {**good, "name": "架空 陽翔"}).decision == "review"


def test_an_anchored_qr_matches_with_the_printed_block_damaged_but_not_against_it(twins: Session) -> None:
    """The issuance record's anchor (intake.services.issuance) stands in for an unread or garbled printed block; a
    block read whole that contradicts both kana and birth date still goes to a person."""
    from intake.services.matching import match_identity
    from ocr.codes import FormIdentity, make_form_no

    ident = FormIdentity("131202", "800000000001", "MR", 1, make_form_no(1), "yoshin-v1")
    unread: dict[str, str] = {}
    garbled = {"name_kana": "カ", "birth_date_text": ""}
    contradicting = {"name_kana": "ベツジン タロウ", "birth_date_text": "1990-01-01"}
    assert match_identity(twins, ident, "131202", "qr", unread).decision == "review"  # no anchor: as before
    assert match_identity(twins, ident, "131202", "qr", unread, anchored=True).decision == "auto"
    m = match_identity(twins, ident, "131202", "qr", garbled, anchored=True)
    assert m.decision == "auto" and m.explanation[0].code == "match.registry_anchor"
    assert match_identity(twins, ident, "131202", "qr", contradicting, anchored=True).decision == "review"
