"""Double entry: the fields the ward marks critical (template `critical: true`: 接種年月日, ロット番号) are keyed
twice, blind, by two reviewers whenever the machine was not sure of them. The first keying is held on the page;
the second reviewer sees those fields empty; if both agree (and pick the same resident) the form is committed,
otherwise it goes to a supervisor with both values. Supervisors decide alone: their accept commits.
"""

from __future__ import annotations

from sqlmodel import Session

from intake.services import reasons
from intake.services.auth import Principal
from models import Page, ReviewAction
from models.page_state import FirstEntry
from ocr.normalize import DateProblem, parse_date
from ocr.template import load_template


def blind_fields(page: Page, template_version: str, enabled: bool) -> list[str]:
    """The critical fields the machine was not sure of: these need two blind keyings. [] when switched off."""
    if not enabled:
        return []
    template = load_template(page.layout or template_version)
    out = []
    for spec in template.fields:
        f = page.extraction.field(spec.name)
        if spec.critical and f is not None and not f.auto_ok:
            out.append(spec.name)
    return out


def is_blind_for(page: Page, who: Principal) -> bool:
    """The second keying is blind: a reviewer other than the first sees the critical fields empty."""
    return page.first_entry is not None and page.first_entry.by != who.id and who.role == "reviewer"


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
    page.first_entry = FirstEntry(by=who.id, values=dict(values), atena_no=atena_no, acknowledged=ack)
    page.needs_review_reasons = reasons.replacing(
        page.needs_review_reasons, (reasons.SECOND_KEYING, reasons.KEYINGS_DIFFER), reasons.reason(reasons.SECOND_KEYING)
    )


def disagreements(page: Page, blind: list[str], values: dict[str, str], atena_no: str) -> list[str]:
    first = page.first_entry
    assert first is not None
    compared = [*blind, *(n for n in LEDGER_FIELDS if n not in blind and (n in values or n in first.values))]
    out = [
        f"{name}: {first.values.get(name, '')!r} ≠ {values.get(name, '')!r}"
        for name in compared
        if canonical(name, first.values.get(name, "")) != canonical(name, values.get(name, ""))
    ]
    if first.atena_no != atena_no:
        out.append(f"resident: {first.atena_no} ≠ {atena_no}")
    return out


def record_second(session: Session, who: Principal, page: Page, blind: list[str], differ: list[str]) -> None:
    session.add(
        ReviewAction(
            page_id=page.id or 0,
            user_id=who.id,
            action="second_entry",
            detail={
                "agree": not differ,
                "fields": blind,
                "differ": differ,
                "first_by": page.first_entry.by if page.first_entry else None,
            },
        )
    )
    if differ:  # to a supervisor, with both keyings in the reason they read
        page.deferred = True
        page.needs_review_reasons = reasons.replacing(
            page.needs_review_reasons,
            (reasons.SECOND_KEYING, reasons.KEYINGS_DIFFER),
            reasons.reason(reasons.KEYINGS_DIFFER, differ="; ".join(differ)),
        )
