"""Double entry: the fields the ward marks critical (template `critical: true`: 接種年月日, ロット番号) are keyed
twice, blind, by two reviewers whenever the machine was not sure of them. The first keying is held on the page;
the second reviewer sees those fields empty; if both agree (and pick the same resident) the form is committed,
otherwise it goes to a supervisor with both values. Supervisors decide alone: their accept commits.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from intake.services import reasons
from intake.services.auth import Principal
from models import Page, ReviewAction
from ocr.normalize import DateProblem, parse_date
from ocr.template import load_template


def blind_fields(page: Page, template_version: str, enabled: bool) -> list[str]:
    """The critical fields the machine was not sure of: these need two blind keyings. [] when switched off."""
    if not enabled:
        return []
    template = load_template(page.layout or template_version)
    out = []
    for spec in template.fields:
        f = page.fields.get(spec.name)
        if spec.critical and isinstance(f, dict) and not f.get("auto_ok"):
            out.append(spec.name)
    return out


def is_blind_for(page: Page, who: Principal) -> bool:
    """The second keying is blind: a reviewer other than the first sees the critical fields empty."""
    return bool(page.first_entry) and page.first_entry.get("by") != who.id and who.role == "reviewer"


# Keyed by the reviewer when the form carries no ward QR (another municipality's form): not template fields.
OUTSIDE_TEMPLATE = ("vaccine_code", "dose_no")

# What the ledger stores of a form: a second keying that differs in any of these (blind or not) is a disagreement.
LEDGER_FIELDS = ("vaccine_code", "dose_no", "vaccination_date", "lot_number", "dose_ml")


def canonical(name: str, value: str) -> str:
    """What counts as the same keying: dates in any accepted spelling, numbers by value, lots without case or spaces."""
    v = "".join(str(value).split()).upper()
    if name in ("dose_ml", "dose_no"):
        try:
            return repr(float(v))
        except ValueError:
            return v
    if name.endswith("_date"):
        try:
            return parse_date(value).isoformat()
        except DateProblem:
            return v
    return v


def hold_first(who: Principal, page: Page, values: dict[str, str], atena_no: str, ack: bool) -> None:
    """Keep the first keying on the page and give the form back to the queue for a second reviewer."""
    page.first_entry = {"by": who.id, "values": dict(values), "atena_no": atena_no, "acknowledged": ack}
    page.needs_review_reasons = reasons.replacing(
        page.needs_review_reasons, (reasons.SECOND_KEYING, reasons.KEYINGS_DIFFER), reasons.reason(reasons.SECOND_KEYING)
    )


def disagreements(page: Page, blind: list[str], values: dict[str, str], atena_no: str) -> list[str]:
    first = page.first_entry
    compared = [*blind, *(n for n in LEDGER_FIELDS if n not in blind and (n in values or n in first["values"]))]
    out = [
        f"{name}: {first['values'].get(name, '')!r} ≠ {values.get(name, '')!r}"
        for name in compared
        if canonical(name, first["values"].get(name, "")) != canonical(name, values.get(name, ""))
    ]
    if first.get("atena_no") != atena_no:
        out.append(f"resident: {first.get('atena_no')} ≠ {atena_no}")
    return out


def record_second(session: Session, who: Principal, page: Page, blind: list[str], differ: list[str]) -> None:
    session.add(
        ReviewAction(
            page_id=page.id or 0,
            user_id=who.id,
            action="second_entry",
            detail={"agree": not differ, "fields": blind, "differ": differ, "first_by": page.first_entry.get("by")},
        )
    )
    if differ:  # to a supervisor, with both keyings in the reason they read
        page.match = {**page.match, "deferred": True}
        page.needs_review_reasons = reasons.replacing(
            page.needs_review_reasons,
            (reasons.SECOND_KEYING, reasons.KEYINGS_DIFFER),
            reasons.reason(reasons.KEYINGS_DIFFER, differ="; ".join(differ)),
        )


def stats(session: Session) -> dict[str, Any]:
    """For the supervisor page: how often two blind keyings disagree, per field."""
    rows = session.exec(select(ReviewAction).where(ReviewAction.action == "second_entry")).all()
    per_field: dict[str, list[int]] = {}
    for r in rows:
        differ_names = {d.split(":")[0] for d in r.detail.get("differ", [])}
        for name in r.detail.get("fields", []):
            seen = per_field.setdefault(name, [0, 0])
            seen[0] += 1
            seen[1] += name in differ_names
    disagreed = sum(1 for r in rows if not r.detail.get("agree"))
    return {
        "pairs": len(rows),
        "disagreed": disagreed,
        "disagreement_rate": round(disagreed / len(rows), 4) if rows else None,
        "by_field": {k: {"pairs": v[0], "disagreed": v[1]} for k, v in sorted(per_field.items())},
    }
