"""The schedule checked against the law as the data file summarises it (予防接種法施行令 第3条, 施行規則, 実施規則,
実施要領 via the sources cited per row), family by family, at the day before / of / after each boundary. Written
from ../shared/data/vaccine_schedule.yaml's rows and conventions, not from the code's constants."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from intake.services.legal_age import add_months, reach_date
from intake.services.schedule import PriorDose, check_dose
from intake.services.schedule_data import DATA, ScheduleDataError, parse
from intake.services.schedule_due import next_due

DAY = timedelta(days=1)
TODAY = date(2030, 1, 1)  # every dose below lies before it, unless the test says otherwise


def rules(code: str, dose: int, on: date, birth: date, history: list[PriorDose] | None = None, **kw: str) -> dict[str, str]:
    checks = check_dose(code, dose, on, birth, None, history or [], None, "", today=TODAY, **kw)
    out: dict[str, str] = {}
    for c in checks:
        out[c.rule] = "error" if "error" in (out.get(c.rule), c.severity) else c.severity
    return out


# ---- B類 influenza: once per fiscal year, 65+ (60–64 only with the qualifying disability) ----------------
OLD = date(1950, 6, 15)


def test_flu_once_per_fiscal_year_not_once_in_a_life() -> None:
    fy24 = [PriorDose("FLU-ELDERLY", 1, date(2024, 11, 1))]
    assert "duplicate" not in rules("FLU-ELDERLY", 1, date(2025, 11, 1), OLD, fy24)  # the next season
    assert "duplicate" not in rules("FLU-ELDERLY", 2, date(2025, 11, 1), OLD, fy24)
    assert rules("FLU-ELDERLY", 1, date(2025, 3, 31), OLD, fy24)["duplicate"] == "error"  # same FY2024 (to 3/31)
    assert "duplicate" not in rules("FLU-ELDERLY", 1, date(2025, 4, 1), OLD, fy24)  # FY2025 begins 4/1


def test_flu_age_window_65_and_the_60_64_group() -> None:
    birth = date(1960, 6, 15)
    at65 = reach_date(birth, "P65Y")  # 2025-06-14
    assert rules("FLU-ELDERLY", 1, at65, birth).get("age_window") is None
    assert "eligibility" not in rules("FLU-ELDERLY", 1, at65, birth)
    assert rules("FLU-ELDERLY", 1, at65 - DAY, birth)["eligibility"] == "warning"  # 64: only with the disability
    at60 = reach_date(birth, "P60Y")
    assert rules("FLU-ELDERLY", 1, at60 - DAY, birth)["age_window"] == "error"  # 59
    assert rules("FLU-ELDERLY", 1, date(2025, 11, 1), date(1975, 1, 1))["age_window"] == "error"  # a 50-year-old


def test_pneumo_65_is_one_year_only_and_an_error_outside() -> None:
    birth = date(1960, 6, 15)
    lo, hi = reach_date(birth, "P65Y"), reach_date(birth, "P66Y")
    assert "age_window" not in rules("PNEUMO-ELDERLY", 1, lo, birth) and "eligibility" not in rules(
        "PNEUMO-ELDERLY", 1, lo, birth
    )
    assert "age_window" not in rules("PNEUMO-ELDERLY", 1, hi, birth)
    assert rules("PNEUMO-ELDERLY", 1, hi + DAY, birth)["age_window"] == "error"  # 66: confirmed_secondary → error


def test_covid_season_and_once_a_year() -> None:
    assert rules("COVID19", 1, date(2025, 9, 30), OLD).get("season")
    assert "season" not in rules("COVID19", 1, date(2025, 10, 1), OLD)
    assert "season" not in rules("COVID19", 1, date(2026, 3, 31), OLD)
    prior = [PriorDose("COVID19", 1, date(2025, 10, 20))]
    assert rules("COVID19", 1, date(2026, 1, 10), OLD, prior)["duplicate"] == "error"


def test_shingles_in_the_fiscal_year_one_turns_65() -> None:
    birth = date(1960, 6, 15)  # 65 on 2025-06-14: FY2025 (2025-04-01 … 2026-03-31)
    assert "age_window" not in rules("HZ", 1, date(2025, 4, 1), birth)
    assert "age_window" not in rules("HZ", 1, date(2026, 3, 31), birth)
    assert rules("HZ", 1, date(2026, 4, 1), birth)["age_window"] == "error"
    assert rules("HZ", 1, date(2025, 3, 31), birth)["eligibility"] == "warning"  # 64: only the HIV group
    assert rules("HZ", 1, date(2020, 3, 31), birth)["age_window"] == "error"  # 59


# ---- HPV: girls, 3 doses at most, intervals by product ---------------------------------------------------
GIRL = date(2012, 6, 10)


def test_hpv_intervals_count_and_sex() -> None:
    d1 = date(2025, 5, 10)
    first = [PriorDose("HPV", 1, d1)]
    assert rules("HPV", 2, d1 + timedelta(days=14), GIRL, first, sex="2")["interval"] == "error"
    one_month = add_months(d1, 1)[0]
    assert rules("HPV", 2, one_month - DAY, GIRL, first, sex="2")["interval"] == "error"  # every product needs 1 month
    assert "interval" not in rules("HPV", 2, one_month, GIRL, first, sex="2")
    assert rules("HPV", 2, one_month, GIRL, first, sex="2", product="9価 2回")["interval"] == "error"  # 2-dose: 5 months
    three = [PriorDose("HPV", n, d) for n, d in ((1, d1), (2, date(2025, 6, 10)), (3, date(2025, 11, 10)))]
    assert rules("HPV", 4, date(2026, 2, 1), GIRL, three, sex="2")["dose_count"] == "error"
    assert rules("HPV", 1, d1, GIRL, sex="1")["sex"] == "error"
    assert "sex" not in rules("HPV", 1, d1, GIRL, sex="2")


def test_hpv_third_dose_two_valent_from_the_first() -> None:
    two = [PriorDose("HPV", 1, date(2025, 5, 10)), PriorDose("HPV", 2, date(2025, 6, 10))]
    # 2価: 5 months from the 1st (2025-10-10) and 2.5 from the 2nd (2025-08-25)
    assert rules("HPV", 3, date(2025, 10, 9), GIRL, two, sex="2", product="2価")["interval"] == "error"
    assert "interval" not in rules("HPV", 3, date(2025, 10, 10), GIRL, two, sex="2", product="2価")


# ---- Hib / PCV: the series the first dose's age chose -----------------------------------------------------
BABY = date(2024, 1, 10)


def test_hib_started_at_eight_months_needs_27_days_and_ends_at_three_doses() -> None:
    d1 = reach_date(BABY, "P8M")
    first = [PriorDose("Hib", 1, d1)]
    assert rules("Hib", 2, d1 + timedelta(days=15), BABY, first)["interval"] == "error"
    assert rules("Hib", 2, d1 + timedelta(days=27), BABY, first)["interval"] == "error"  # 27 days after: not yet
    assert "interval" not in rules("Hib", 2, d1 + timedelta(days=28), BABY, first)
    three = [PriorDose("Hib", 1, d1), PriorDose("Hib", 2, d1 + timedelta(days=30)), PriorDose("Hib", 3, date(2025, 9, 1))]
    assert rules("Hib", 4, date(2025, 12, 1), BABY, three)["dose_count"] == "error"


@pytest.mark.parametrize("code,start", [("Hib", "P13M"), ("PCV", "P25M")])
def test_a_late_start_means_one_dose(code: str, start: str) -> None:
    d1 = reach_date(BABY, start) + DAY
    assert rules(code, 2, d1 + timedelta(days=90), BABY, [PriorDose(code, 1, d1)])["dose_count"] == "error"


def test_pcv_started_at_13_months_two_doses_60_days_apart() -> None:
    d1 = reach_date(BABY, "P13M")
    first = [PriorDose("PCV", 1, d1)]
    assert rules("PCV", 2, d1 + timedelta(days=60), BABY, first)["interval"] == "error"
    assert "interval" not in rules("PCV", 2, d1 + timedelta(days=61), BABY, first)


def test_pcv_booster_from_12_months() -> None:
    d = [reach_date(BABY, "P2M"), reach_date(BABY, "P3M"), reach_date(BABY, "P4M")]
    three = [PriorDose("PCV", n + 1, x) for n, x in enumerate(d)]
    at12 = reach_date(BABY, "P12M")
    assert rules("PCV", 4, at12 - DAY, BABY, three)["age_window"] == "error"
    assert "age_window" not in rules("PCV", 4, at12, BABY, three)


def test_hib_second_primary_dose_only_until_12_months() -> None:
    d1 = reach_date(BABY, "P6M")
    at12 = reach_date(BABY, "P12M")
    assert "age_window" not in rules("Hib", 2, at12, BABY, [PriorDose("Hib", 1, d1)])
    assert rules("Hib", 2, at12 + DAY, BABY, [PriorDose("Hib", 1, d1)])["age_window"] == "error"


# ---- Rota: ages in days after birth ------------------------------------------------------------------------
def test_rota_from_six_weeks_until_32_weeks() -> None:
    assert rules("Rota", 1, BABY + timedelta(days=30), BABY)["age_window"] == "error"
    assert rules("Rota", 1, BABY + timedelta(days=41), BABY)["age_window"] == "error"
    assert "age_window" not in rules("Rota", 1, BABY + timedelta(days=42), BABY)  # 出生6週0日後
    first = [PriorDose("Rota", 1, BABY + timedelta(days=60)), PriorDose("Rota", 2, BABY + timedelta(days=100))]
    assert "age_window" not in rules("Rota", 3, BABY + timedelta(days=224), BABY, first)  # 5価: +224 (32週0日後)
    assert rules("Rota", 3, BABY + timedelta(days=225), BABY, first)["age_window"] == "error"
    assert rules("Rota", 1, BABY + timedelta(days=240), BABY)["age_window"] == "error"
    assert rules("Rota", 2, BABY + timedelta(days=169), BABY, first[:1], product="Rotarix")["age_window"] == "error"


# ---- interval anchors and severities ----------------------------------------------------------------------
def test_hepb_third_dose_139_days_from_the_first_not_the_second() -> None:
    d1 = BABY + timedelta(days=60)
    two = [PriorDose("HepB", 1, d1), PriorDose("HepB", 2, d1 + timedelta(days=28))]
    assert rules("HepB", 3, d1 + timedelta(days=139), BABY, two)["interval"] == "error"  # confirmed at vaccine level
    assert "interval" not in rules("HepB", 3, d1 + timedelta(days=140), BABY, two)


def test_je_interval_is_an_error() -> None:
    d1 = date(2027, 3, 1)
    assert rules("JE", 2, d1 + timedelta(days=6), BABY, [PriorDose("JE", 1, d1)])["interval"] == "error"
    assert "interval" not in rules("JE", 2, d1 + timedelta(days=7), BABY, [PriorDose("JE", 1, d1)])


# ---- dates and order ----------------------------------------------------------------------------------------
def test_a_date_in_the_future_is_an_error() -> None:
    assert rules("MR", 1, TODAY + DAY, date(2029, 1, 1))["future"] == "error"
    assert "future" not in rules("MR", 1, TODAY, date(2028, 12, 1))


def test_a_date_before_birth_is_one_error_for_every_vaccine_never_a_crash() -> None:
    """A mistyped year (2000 for 2026) once reached the age arithmetic with a negative age and the API answered
    500 (found by the keyboard test of the review screen): every vaccine now says what to check."""
    from intake.messages import machine_text
    from intake.services.schedule_data import schedule

    for v in schedule().vaccines:
        found = check_dose(v.code, 1, date(2000, 1, 1), BABY, 0.5, [], None, "")
        assert [(c.rule, c.severity) for c in found] == [("before_birth", "error")], (v.code, found)
        assert machine_text(found[0].message, "ja").startswith("2000-01-01 は生年月日")


def test_checked_against_a_later_dose_already_in_the_ledger() -> None:
    var_later = [PriorDose("VAR", 1, date(2025, 3, 13))]
    assert rules("MR", 1, date(2025, 3, 1), BABY, var_later)["live_interval"] == "error"  # 12 days before
    assert "live_interval" not in rules("MR", 1, date(2025, 2, 13), BABY, var_later)  # 28 days before
    later = [PriorDose("DPT-IPV-Hib", 2, date(2024, 6, 1))]
    assert rules("DPT-IPV-Hib", 1, date(2024, 5, 20), BABY, later)["interval"] == "error"
    assert "interval" not in rules("DPT-IPV-Hib", 1, date(2024, 5, 10), BABY, later)


# ---- what is due, for every routine vaccine -----------------------------------------------------------------
def test_next_due_covers_catch_up_products_and_yearly_vaccines() -> None:
    due = {d.vaccine_code for d in next_due(BABY, [], reach_date(BABY, "P2M"))}
    assert {"DPT-IPV-Hib", "PCV", "HepB", "Rota", "BCG"} <= due
    assert not {"DPT-IPV", "IPV", "Hib"} & due  # legacy series only to finish one started
    girl = {d.vaccine_code for d in next_due(GIRL, [], date(2025, 5, 1), sex="2")}
    boy = {d.vaccine_code for d in next_due(GIRL, [], date(2025, 5, 1), sex="1")}
    assert "HPV" in girl and "HPV" not in boy
    elderly = {d.vaccine_code: d for d in next_due(OLD, [], date(2025, 9, 1))}
    assert {"FLU-ELDERLY", "COVID19"} <= set(elderly) and elderly["COVID19"].earliest == date(2025, 10, 1)
    pcv13 = [PriorDose("PCV", 1, reach_date(BABY, "P13M"))]
    nxt = next(d for d in next_due(BABY, pcv13, reach_date(BABY, "P14M")) if d.vaccine_code == "PCV")
    assert nxt.dose_no == 2 and nxt.earliest == reach_date(BABY, "P13M") + timedelta(days=61)


# ---- the data file -----------------------------------------------------------------------------------------
def test_a_misspelt_key_in_the_schedule_is_an_error_naming_its_line() -> None:
    text = DATA.read_text(encoding="utf-8")
    line = next(i for i, ln in enumerate(text.splitlines(), 1) if "min_interval_days_from_prev: 139" in ln)
    with pytest.raises(ScheduleDataError, match=f"line {line}: .*unknown key 'min_interval_day_from_prev'"):
        parse(text.replace("min_interval_days_from_prev: 139", "min_interval_day_from_prev: 139"))


def test_a_wrong_kind_of_value_is_an_error_naming_its_line() -> None:
    text = DATA.read_text(encoding="utf-8")
    line = next(i for i, ln in enumerate(text.splitlines(), 1) if ln == "    min_age_days: 42")
    with pytest.raises(ScheduleDataError, match=rf"line {line}: vaccines\[\d+\]\.legal_window\.min_age_days"):
        parse(text.replace("    min_age_days: 42\n", "    min_age_days: six weeks\n"))


def test_the_shipped_vaccine_master_covers_every_vaccine_in_the_schedule() -> None:
    import csv

    from intake.services.schedule_data import schedule

    shipped = {row["接種種類コード"] for row in csv.DictReader((DATA.parent / "vaccines.csv").open(encoding="utf-8"))}
    assert {v.code for v in schedule().vaccines} <= shipped


def test_each_schedule_finding_cites_its_source_from_the_data() -> None:
    checks = check_dose("MR", 1, date(2024, 3, 1), BABY, None, [], None, "", today=TODAY)
    assert [c.rule for c in checks] == ["age_window"] and checks[0].source.startswith("予防接種法施行令 第3条")
    live = check_dose("MR", 1, date(2025, 3, 1), BABY, None, [PriorDose("VAR", 1, date(2025, 3, 13))], None, "", today=TODAY)
    assert live[0].source.startswith("https://")  # the municipal restatement the data cites for the 27-day rule


# ---- the law's exceptions: a warning the reviewer confirms, never a silent pass and never a false error ----------
@pytest.mark.parametrize(
    "code,dose,on,birth,sex,measure",
    [
        ("JE", 4, date(2024, 5, 1), date(2005, 6, 1), "1", "特例A"),  # born 1995-04-02〜2007-04-01: until 20
        ("HPV", 1, date(2023, 5, 1), date(2000, 6, 1), "2", "キャッチアップ"),  # 1997-04-02〜2008-04-01, FY2022–24
        ("MR", 1, date(2025, 6, 1), date(2022, 6, 1), "1", "供給不足"),  # 1期 cohort, 2025-04-01〜2027-03-31
        ("MR", 1, date(2025, 6, 1), date(1970, 6, 1), "1", "風しん第5期"),  # men born 1962-04-02〜1979-04-01
        ("BCG", 1, date(2025, 6, 1), date(2022, 6, 1), "1", "長期療養特例"),  # until 4
        ("PCV", 1, date(2025, 6, 1), date(2020, 1, 1), "1", "長期療養特例"),  # until 6
    ],
)
def test_a_dose_under_a_special_measure_is_a_warning_naming_it(
    code: str, dose: int, on: date, birth: date, sex: str, measure: str
) -> None:
    checks = [
        c for c in check_dose(code, dose, on, birth, None, [], None, "", today=TODAY, sex=sex) if c.rule == "age_window"
    ]
    assert [c.severity for c in checks] == ["warning"] and measure in checks[0].message, checks


@pytest.mark.parametrize(
    "code,dose,on,birth,sex",
    [
        ("JE", 4, date(2026, 6, 1), date(2005, 6, 1), "1"),  # 特例A ends at 20 (2025-05-31)
        ("HPV", 1, date(2025, 5, 1), date(2000, 6, 1), "2"),  # catch-up period over, no earlier dose
        ("MR", 1, date(2025, 6, 1), date(1970, 6, 1), "2"),  # 風しん第5期 is for men
        ("BCG", 1, date(2026, 6, 1), date(2022, 6, 1), "1"),  # past 4 even under 長期療養特例
    ],
)
def test_outside_every_exception_it_stays_an_error(code: str, dose: int, on: date, birth: date, sex: str) -> None:
    checks = [
        c for c in check_dose(code, dose, on, birth, None, [], None, "", today=TODAY, sex=sex) if c.rule == "age_window"
    ]
    assert [c.severity for c in checks] == ["error"], checks


def test_hpv_catch_up_transition_needs_a_dose_in_the_catch_up_period() -> None:
    birth = date(2000, 6, 1)
    earlier = [PriorDose("HPV", 1, date(2024, 10, 1))]
    checks = check_dose("HPV", 2, date(2025, 5, 1), birth, None, earlier, None, "", today=TODAY, sex="2")
    assert [c.severity for c in checks if c.rule == "age_window"] == ["warning"]  # キャッチアップ経過措置


def test_pneumo_is_one_dose_in_a_life_and_shingles_recombinant_within_six_months() -> None:
    birth = date(1960, 6, 15)
    on = reach_date(birth, "P65Y") + timedelta(days=30)
    assert rules("PNEUMO-ELDERLY", 2, on, birth, [PriorDose("PNEUMO-ELDERLY", 1, on - DAY)])["dose_count"] == "error"
    d1 = date(2025, 5, 1)
    first = [PriorDose("HZ", 1, d1)]
    assert rules("HZ", 2, add_months(d1, 2)[0] - DAY, birth, first)["interval"] == "error"  # < 2 months
    assert "interval" not in rules("HZ", 2, add_months(d1, 2)[0], birth, first)
    assert "interval" not in rules("HZ", 2, add_months(d1, 6)[0], birth, first)
    assert rules("HZ", 2, add_months(d1, 6)[0] + DAY, birth, first)["interval"] == "error"  # past 6 months


def test_every_schedule_finding_reads_in_japanese_on_the_review_screen() -> None:
    """The findings of the cases above, as the reviewer sees them (review_ui.i18n.machine): no English word left
    (codes, units, dates and vaccine names aside)."""
    import re

    from intake.messages import machine_text as machine

    cases = [
        ("MR", 1, date(2024, 3, 1), BABY, []),
        ("MR", 3, date(2027, 3, 1), BABY, [PriorDose("MR", 1, date(2025, 2, 1)), PriorDose("MR", 2, date(2026, 2, 1))]),
        ("MR", 1, date(2025, 6, 1), BABY, [PriorDose("MR", 1, date(2025, 2, 1))]),
        ("DPT-IPV-Hib", 3, date(2024, 6, 1), BABY, [PriorDose("DPT-IPV-Hib", 2, date(2024, 5, 20))]),
        ("VAR", 2, date(2025, 4, 1), BABY, [PriorDose("VAR", 1, date(2025, 2, 1))]),
        ("MR", 1, date(2025, 3, 1), BABY, [PriorDose("VAR", 1, date(2025, 2, 20))]),
        ("MR", 1, date(2025, 3, 1), BABY, [PriorDose("VAR", 1, date(2025, 3, 13))]),
        ("Rota", 1, BABY + timedelta(days=30), BABY, []),
        ("Rota", 1, BABY + timedelta(days=240), BABY, []),
        ("Hib", 2, reach_date(BABY, "P12M") + DAY, BABY, [PriorDose("Hib", 1, reach_date(BABY, "P6M"))]),
        (
            "PCV",
            4,
            reach_date(BABY, "P12M") - DAY,
            BABY,
            [PriorDose("PCV", n, reach_date(BABY, f"P{n + 1}M")) for n in (1, 2, 3)],
        ),
        ("FLU-ELDERLY", 1, date(2025, 11, 1), date(1975, 1, 1), []),
        ("FLU-ELDERLY", 1, date(2025, 6, 14) - DAY, date(1960, 6, 15), []),
        ("FLU-ELDERLY", 1, date(2025, 3, 31), OLD, [PriorDose("FLU-ELDERLY", 1, date(2024, 11, 1))]),
        ("COVID19", 1, date(2025, 9, 30), OLD, []),
        ("HPV", 1, date(2025, 5, 1), GIRL, []),
        ("MR", 1, TODAY + DAY, date(2029, 1, 1), []),
        ("DPT-IPV-Hib", 1, date(2024, 5, 20), BABY, [PriorDose("DPT-IPV-Hib", 2, date(2024, 6, 1))]),
        ("BCG", 1, date(2025, 6, 1), date(2022, 6, 1), []),
        ("NOT-A-VACCINE", 1, date(2025, 6, 1), BABY, []),
        ("VAR", 2, date(2025, 6, 1), BABY, []),
    ]
    seen = set()
    for code, dose, on, birth, history in cases:
        for c in check_dose(code, dose, on, birth, 0.7, history, ("VAR", date(2024, 1, 1)), "Z9", today=TODAY, sex="1"):
            seen.add(c.rule)
            words = re.findall(r"[A-Za-z]{3,}", machine(c.message, "ja"))
            english = [w for w in words if not w.isupper() and w not in ("Hib", "Rota", "Rotarix", "RotaTeq")]
            assert not english, (c.message, english)  # vaccine codes (upper case) and product names may stay
    assert {"age_window", "dose_count", "duplicate", "interval", "live_interval", "sex", "eligibility", "season",
            "future", "amount", "lot", "sequence", "schedule"} <= seen  # fmt: skip
