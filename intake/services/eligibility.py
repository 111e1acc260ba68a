"""Who a B類 vaccination is for (eligibility groups by age, some only with a condition a person confirms), and the
law's exceptions that allow a dose outside the routine window: the special measures of the data (特例, キャッチアップ,
供給不足による延長, 風しん第5期) and 長期療養特例's age limits."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from intake.services.legal_age import bound, fiscal_year_start, reach_date
from intake.services.schedule_data import Vaccine, schedule


@dataclass(frozen=True)
class GroupWindow:
    first: date
    last: date | None  # None: no upper age
    flagged: bool  # eligible only with a condition a person confirms (障害, HIV)


def group_windows(v: Vaccine, birth: date) -> list[GroupWindow]:
    """Each B類 eligibility group as the days this resident is in it."""
    assert v.eligibility is not None
    out = []
    for g in v.eligibility.groups:
        flagged = any(w in g.group for w in ("障害", "HIV"))
        if g.rule and "70/75" in g.rule:  # 経過措置: the fiscal years one turns 70, 75, … 100, in FY2025–FY2029
            for a in range(70, 101, 5):
                fy = fiscal_year_start(reach_date(birth, f"P{a}Y"))
                if 2025 <= fy.year <= 2029:
                    out.append(GroupWindow(fy, date(fy.year + 1, 3, 31), flagged))
            continue
        if g.valid_fy is not None:  # FY2025 only: everyone 100 or older
            fy_first, fy_last = date(g.valid_fy, 4, 1), date(g.valid_fy + 1, 3, 31)
            hundred = reach_date(birth, "P100Y")
            if hundred <= fy_last:
                out.append(GroupWindow(max(fy_first, hundred), fy_last, flagged))
            continue
        lo, hi = bound(birth, g.min_age, False), bound(birth, g.max_age, True)
        if lo is not None:
            out.append(GroupWindow(lo, hi, flagged))
    return out


_RANGE = re.compile(r"(\d{4}-\d{2}-\d{2})\s*[〜~～-]\s*(\d{4}-\d{2}-\d{2})")


def _ranges(text: str | None) -> list[tuple[date, date]]:
    return [(date.fromisoformat(a), date.fromisoformat(b)) for a, b in _RANGE.findall(text or "")]


def special_measure(v: Vaccine, birth: date, on: date, sex: str = "", given: list[date] | None = None) -> str:
    """A special measure of the data (特例, キャッチアップ, 供給不足による延長, 風しん第5期) that covers a dose outside
    the routine window: born in its range, dosed in its period (or before the age its rule names)."""
    for m in v.special_measures:
        births = _ranges(m.eligible_birthdates) or _ranges(m.eligible) or _ranges(m.name)
        earlier: list[tuple[date, date]] = []
        if "1回以上接種" in (m.eligible or ""):  # 経過措置: born in the first range, a dose already in the second
            births, earlier = births[:1], births[1:2]
        if not births or not any(lo <= birth <= hi for lo, hi in births):
            continue
        if earlier and not any(lo <= d <= hi for d in given or [] for lo, hi in earlier):
            continue
        text = f"{m.name} {m.eligible or ''} {m.eligible_birthdates or ''}"
        if (sex == "2" and "男性" in text) or (sex == "1" and "女性" in text):
            continue
        periods = _ranges(m.window) or [
            p for p in _ranges(m.rule) if p[0] > max(hi for _, hi in births)
        ]  # 風しん第5期: the extension period in its rule text
        age = re.search(r"(\d+)歳に至るまで", m.rule or "")
        if periods and not any(lo <= on <= hi for lo, hi in periods):
            continue
        if age and on > reach_date(birth, f"P{age[1]}Y"):
            continue
        return m.name
    return ""


@lru_cache(maxsize=1)
def _long_term_limits() -> dict[str, str]:
    """長期療養特例 (施行令 第3条第2項 / 施行規則 第2条の9): the age limit per disease, read from the data's rule text."""
    rule = str(schedule().conventions.get("long_term_illness_exception", {}).get("rule", ""))
    out: dict[str, str] = {}
    for part in re.split(r"[;.]", rule.split("可:", 1)[-1]):
        m = re.search(r"([^\s:：;]+?)\s*(\d+)歳", part)
        if m:
            for disease in m[1].split("・"):
                out[disease] = m[2]
    return out


def _names_disease(key: str, disease: str) -> bool:
    """'小児肺炎球菌' names '肺炎球菌感染症（小児がかかるものに限る）'; 'Hib' names 'Hib感染症'."""
    core = disease.split("（")[0].replace("感染症", "")
    return key == core or (key.endswith(core) and key[: -len(core)] in disease)


def long_term_illness(v: Vaccine, birth: date, on: date) -> str:
    limits = [int(age) for key, age in _long_term_limits().items() if any(_names_disease(key, d) for d in v.diseases)]
    if limits and on <= reach_date(birth, f"P{max(limits)}Y"):
        return f"長期療養特例（{max(limits)}歳に至るまで）"
    return ""


def eligible(v: Vaccine, birth: date, on: date) -> tuple[bool, bool, str]:
    """B類 eligibility by group: (eligible, only through a group whose condition a person must confirm, groups)."""
    assert v.eligibility is not None
    inside = [w for w in group_windows(v, birth) if w.first <= on and (w.last is None or on <= w.last)]
    plain = any(not w.flagged for w in inside)
    names = "; ".join(g.group.split("(")[0].split("（")[0].split("で")[0].strip()[:24] for g in v.eligibility.groups)
    return bool(inside), bool(inside) and not plain, names
