"""Test data more than one test module reads."""

from __future__ import annotations

from datetime import date

ERA_DATES = [  # the era boundaries, both sides, and the written forms people use
    ("昭和64年1月7日", date(1989, 1, 7)),
    ("平成元年1月8日", date(1989, 1, 8)),
    ("平成31年4月30日", date(2019, 4, 30)),
    ("令和元年5月1日", date(2019, 5, 1)),
    ("R3.4.15", date(2021, 4, 15)),
    ("H1.1.8", date(1989, 1, 8)),
    ("2024-02-29", date(2024, 2, 29)),
    ("令和３年４月１５日", date(2021, 4, 15)),
]
