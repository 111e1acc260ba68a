from datetime import date

import pytest

from intake.services.kana import fold_kana
from ocr.codes import (
    FormIdentity,
    IdentityError,
    form_no_valid,
    make_form_no,
    municipality_check_digit,
    municipality_code_valid,
    parse_payload,
)
from ocr.normalize import DateProblem, clean_lot, confusion_distance, era_digits, nearest_lot, parse_date
from tests.support.data import ERA_DATES


@pytest.mark.parametrize("code", ["131202", "131016", "220001"])
def test_known_municipality_codes_pass_the_check_digit(code: str) -> None:
    assert municipality_check_digit(code[:5]) == int(code[5])
    assert municipality_code_valid(code)


@pytest.mark.parametrize("bad", ["131203", "131010", "13120", "13120X"])
def test_wrong_municipality_codes_fail(bad: str) -> None:
    assert not municipality_code_valid(bad)


def test_form_number_catches_every_single_digit_misread() -> None:
    no = make_form_no(123456)
    assert form_no_valid(no)
    for i in range(11):
        for d in "0123456789":
            if d != no[i]:
                assert not form_no_valid(no[:i] + d + no[i + 1 :])


def test_payload_round_trip_and_rejections() -> None:
    ident = FormIdentity("131202", "000100000007", "MR", 1, make_form_no(5), "yoshin-v1")
    assert parse_payload(ident.payload()) == ident
    with pytest.raises(IdentityError, match="municipality"):
        parse_payload(ident.payload().replace("131202", "131203"))
    with pytest.raises(IdentityError, match="form number"):
        parse_payload(ident.payload().replace(ident.form_no, ident.form_no[:-1] + str((int(ident.form_no[-1]) + 1) % 10)))
    with pytest.raises(IdentityError):
        parse_payload("https://example.invalid/")


@pytest.mark.parametrize("text,expected", ERA_DATES)
def test_era_dates(text: str, expected: date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text", ["昭和64年1月8日", "平成31年5月1日", "令和元年4月30日", "平成元年1月7日", "2023-02-29", "", "abc"]
)
def test_impossible_era_dates_are_refused(text: str) -> None:
    with pytest.raises(DateProblem):
        parse_date(text)


def test_lot_confusions_are_cheap_but_other_changes_are_not() -> None:
    assert confusion_distance("AB1235", "AB1235") == 0
    assert confusion_distance("AB1238", "AB1233") < 0.5  # 3↔8
    assert confusion_distance("AB1239", "AB1232") == 1
    assert nearest_lot("AB7Z35", ["AB1235", "CD0001"])[0] == "AB1235"


@pytest.mark.parametrize(
    "a,b",
    [
        ("さとう はなこ", "サトウ ハナコ"),
        ("ｻﾄｳ ﾊﾅｺ", "サトウハナコ"),
        ("サトー", "サト"),
        ("キョウコ", "キヨウコ"),
        ("ヂュン", "ジユン"),
        ("イトウ　ユイナ", "イトウユイナ"),
    ],
)
def test_kana_folds(a: str, b: str) -> None:
    assert fold_kana(a) == fold_kana(b)


def test_kana_fold_keeps_different_names_apart() -> None:
    assert fold_kana("サトウ ハナコ") != fold_kana("サトウ ハルコ")


@pytest.mark.parametrize(
    "read, lot",
    [
        ("Lot NH3358", "NH3358"),
        ("LotNK7030", "NK7030"),
        ("Lot No. AB1234", "AB1234"),
        ("ロット: OX12", "OX12"),
        ("lot ab-12", "AB-12"),
    ],
)
def test_lot_prefix_is_dropped_but_never_the_lots_own_n_or_o(read: str, lot: str) -> None:
    assert clean_lot(read) == lot


def test_era_digits_are_what_the_boxes_hold() -> None:
    assert era_digits("令和", date(2026, 11, 20)) == "081120"
    assert era_digits("令和", date(2019, 5, 1)) == "010501"
    with pytest.raises(DateProblem):
        era_digits("令和", date(2019, 4, 30))


@pytest.mark.parametrize(
    ("read", "iso"),
    [
        ("平成30年12月4日", "2018-12-04"),  # the ISO part of the printed row unread: the 和暦 part stands
        ("合和元年8月1日 (20", "2019-08-01"),  # PP-OCR's 合 for 令 on damaged print
        ("令和8年1月28日", "2026-01-28"),
        ("平成31年5月1日", ""),  # 平成 ended on 4月30日: no such date
        ("令和7年2月30日", ""),
        ("ヤマダ タロウ", ""),
    ],
)
def test_a_printed_birth_date_read_in_wareki_is_taken_only_when_it_is_a_real_date(read: str, iso: str) -> None:
    from ocr.fields import _wareki_date

    assert _wareki_date(read) == iso
