"""The routine schedule (intake/data/vaccine_schedule.yaml) as typed data, validated when a process starts.

Every key the file may carry is declared here: a misspelt or unknown key, or a value of the wrong kind, is an
error naming the file's line ("line 214: vaccines[5].doses[2]: unknown key 'min_interval_day_from_prev'"), never a
check silently switched off. Values the compilers could not confirm stay text ("unconfirmed (hint: 6)"): the rules
in intake.services.schedule use only what is a number or a duration, and say so.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from intake.errors import IntakeError

DATA = Path(__file__).resolve().parent.parent / "data" / "vaccine_schedule.yaml"
HARD = ("confirmed", "confirmed_secondary")


class ScheduleDataError(IntakeError):
    kind = "schedule_data_invalid"
    exit_code = 2
    http_status = 500


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


Sources = list[str] | str | None


class AgeRule(Strict):
    """An age bound that is not a plain duration: a fiscal-year rule (HPV, 帯状疱疹) or the school start (MR 2期)."""

    rule: str
    age: str | None = None
    age_constraint: str | None = None


Age = str | AgeRule | None


class DoseRow(Strict):
    dose_label: str
    min_age: Age = None
    max_age: Age = None
    min_age_days: int | None = None
    max_age_days: int | None = None
    recommended_latest_age_days: int | None = None
    standard_age: str | None = None
    min_interval_days_from_prev: int | str | None = None
    min_interval_days_if_doctor_approves: int | None = None
    min_interval_months_from_prev: float | str | None = None
    min_interval_months_from_first: float | None = None
    standard_interval_days: list[int] | None = None
    standard_interval_months: list[int] | int | None = None
    standard_interval_months_from_first: int | None = None
    max_interval_days: int | str | None = None
    max_interval_months: int | None = None
    max_interval_note: str | None = None
    interval_anchor: str | None = None
    extra_condition: str | None = None
    must_be_by_age: str | None = None
    max_age_for_this_path: str | None = None
    condition: str | None = None
    amount_ml: float | dict[str, float] | str | None = None
    amount_status: str | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    window_in_year: str | None = None
    route: str | None = None
    notes: str | None = None
    source: Sources = None
    status: str | None = None

    def interval_days(self) -> int | None:
        v = self.min_interval_days_from_prev
        return v if isinstance(v, int) else None

    def interval_months(self) -> float | None:
        v = self.min_interval_months_from_prev
        return float(v) if isinstance(v, int | float) else None

    def anchored_on_first(self) -> bool:
        """'interval_anchor: 1回目' — the interval runs from the 1st dose, not the previous one (HepB 3回目)."""
        return bool(self.interval_anchor) and str(self.interval_anchor).startswith("1回目")


class Product(Strict):
    product: str
    doses_total: int
    doses: list[DoseRow]
    route: str | None = None
    live_injectable: bool = False
    source: Sources = None
    status: str | None = None


class CatchUp(Strict):
    """A series chosen by the age at the first dose (Hib, PCV): '[P2M, P7M]', '(P7M, P12M]' — '(' = the day after
    the reach date."""

    start_window: str
    doses_total: int
    doses: list[DoseRow]

    def bounds(self) -> tuple[str, bool, str]:
        m = re.match(r"\s*([\[(])\s*(P\d+[YMDW])\s*,\s*(P\d+[YMDW])\s*\]", self.start_window)
        if m is None:
            raise ValueError(f"start_window {self.start_window!r} is not like '[P2M, P7M]' or '(P7M, P12M]'")
        return m[2], m[1] == "(", m[3]


class Phase(Strict):
    min_age: str
    max_age: str


class LegalWindow(Strict):
    min_age: Age = None
    max_age: Age = None
    min_age_days: int | None = None
    max_age_days: int | dict[str, int] | None = None
    phase1: Phase | None = None
    phase2: Phase | None = None
    text: str | None = None
    status: str | None = None
    source: Sources = None


class Group(Strict):
    group: str
    min_age: Age = None
    max_age: Age = None
    note: str | None = None
    rule: str | None = None
    valid_fy: int | None = None


class Eligibility(Strict):
    groups: list[Group] = Field(default_factory=list)
    basis: str | None = None
    min_gestation: str | None = None
    max_gestation: str | None = None
    status: str | None = None
    source: Sources = None


class SpecialMeasure(Strict):
    name: str
    status: str | None = None
    eligible: str | None = None
    eligible_birthdates: str | None = None
    window: str | None = None
    rule: str | None = None
    note: str | None = None
    amount_ml: float | None = None
    source: Sources = None


class StandardAge(Strict):
    rule: str
    source: Sources = None
    status: str | None = None


class Vaccine(Strict):
    code: str
    name_ja: str
    class_: str = Field(alias="class")
    diseases: list[str] = Field(default_factory=list)
    routine_since: str | None = None
    doses_total: int | str | None = None
    legal_window: LegalWindow | None = None
    eligibility: Eligibility | None = None
    sex: str | None = None
    frequency: str | None = None
    period: str | None = None
    route: str | None = None
    live_injectable: bool = False
    amount_ml: float | None = None
    amount_ml_rule: dict[str, float] | None = None
    amount_source: str | None = None
    standard_age: StandardAge | None = None
    doses: list[DoseRow] = Field(default_factory=list)
    products: list[Product] = Field(default_factory=list)
    catch_up_by_age_at_first_dose: list[CatchUp] = Field(default_factory=list)
    special_measures: list[SpecialMeasure] = Field(default_factory=list)
    vaccines_allowed: str | None = None
    vaccine_notes: str | None = None
    exclusions: str | None = None
    history: str | None = None
    notes: str | None = None
    source: Sources = None
    status: str | None = None

    @property
    def name(self) -> str:
        return self.name_ja.split("（")[0]

    @property
    def series_total(self) -> int | None:
        if isinstance(self.doses_total, int):
            return self.doses_total
        if isinstance(self.doses_total, str) and "pregnancy" not in self.doses_total:  # "1 (lifetime, as 定期接種)"
            m = re.match(r"\s*(\d+)\b", self.doses_total)
            if m:
                return int(m[1])
        totals = [p.doses_total for p in self.products] + [c.doses_total for c in self.catch_up_by_age_at_first_dose]
        return max(totals) if totals else None

    @property
    def yearly(self) -> bool:
        """Once per fiscal year (B類 influenza, COVID-19): a dose in each season, not a numbered series."""
        text = f"{self.frequency or ''} {' '.join(d.dose_label for d in self.doses)}"
        return "年度1回" in text or "毎年度" in text or "per fiscal year" in text or "年1回" in text


class Schedule(Strict):
    meta: dict[str, Any]
    conventions: dict[str, Any]
    different_vaccine_interval_rule: dict[str, Any]
    vaccines: list[Vaccine]
    not_routine_as_of_sources: list[str] = Field(default_factory=list)

    def vaccine(self, code: str) -> Vaccine | None:
        return next((v for v in self.vaccines if v.code == code), None)


def is_hard(*statuses: str | None) -> bool:
    """A rule whose first given status is confirmed / confirmed_secondary is an error; otherwise a warning."""
    return any(isinstance(s, str) and s.split()[0].strip("(;") in HARD for s in statuses if s)


def _lines(node: yaml.Node, path: tuple[Any, ...], out: dict[tuple[Any, ...], int]) -> None:
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            _lines(value, (*path, key.value), out)
            out[(*path, key.value, "<key>")] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _lines(item, (*path, i), out)


def _where(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def parse(text: str, name: str = "vaccine_schedule.yaml") -> Schedule:
    try:
        raw = yaml.safe_load(text)
        node = yaml.compose(text)
    except yaml.YAMLError as exc:
        raise ScheduleDataError("schedule.data_invalid", name=name, detail=f"not valid YAML: {exc}") from None
    lines: dict[tuple[Any, ...], int] = {}
    if node is not None:
        _lines(node, (), lines)
    try:
        schedule = Schedule.model_validate(raw)
        for v in schedule.vaccines:
            for c in v.catch_up_by_age_at_first_dose:
                c.bounds()
    except ValidationError as exc:
        problems = []
        for e in exc.errors()[:5]:
            loc = tuple(p for p in e["loc"] if not (isinstance(p, str) and ("[" in p or p in ("str", "int", "float"))))
            probe = loc
            while probe and probe not in lines and (*probe, "<key>") not in lines:
                probe = probe[:-1]
            line = lines.get((*probe, "<key>"), lines.get(probe, 0))
            what = f"unknown key {loc[-1]!r}" if e["type"] == "extra_forbidden" else e["msg"]
            problems.append(f"line {line}: {_where(loc)}: {what}")
        raise ScheduleDataError("schedule.data_invalid", name=name, detail="; ".join(problems)) from None
    except ValueError as exc:
        raise ScheduleDataError("schedule.data_invalid", name=name, detail=exc) from None
    return schedule


@lru_cache(maxsize=1)
def schedule() -> Schedule:
    """The shipped schedule, parsed once per process; every API, worker and CLI start-up calls this first."""
    return parse(DATA.read_text(encoding="utf-8"), DATA.name)
