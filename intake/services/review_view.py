"""What a reviewer sees of a form: its fields (blind where the second keying must not see the first), the residents
proposed for it, the schedule checks on what it says now — gathered once per request, the residents shown audited
and committed here (routes never audit). Worded for the reader at the API edge (intake.api.routes.review)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from intake.services import audit, double_entry, entry, masters
from intake.services.auth import Principal
from intake.services.schedule import Check
from intake.settings import Settings
from models import Page, Resident
from models.page_state import Candidate, FieldState
from ocr.template import FieldSpec, load_template


@dataclass(frozen=True)
class ShownField:
    spec: FieldSpec
    state: FieldState  # as read (empty when the page carries no reading of it)
    value: str  # what the reviewer starts from: the first keying's value on a second keying, else the reading
    hidden: bool  # a blind field of the second keying: value and confidence withheld


@dataclass(frozen=True)
class ShownForm:
    page: Page
    labels: dict[str, str]  # field name → the label printed on the form
    fields: list[ShownField]
    candidates: list[tuple[Resident, Candidate]]
    checks: list[Check]
    second: bool  # the second, blind keying
    keyed: dict[str, str]  # the first keying's vaccine and dose (forms without a ward QR), not blind
    chosen: str  # the resident the first keying chose
    vaccine_name: str


def show(session: Session, settings: Settings, who: Principal, page: Page) -> ShownForm:
    template = load_template(page.layout or settings.template_version)
    second = double_entry.is_blind_for(page, who)
    blind = set(double_entry.blind_fields(page, settings.template_version, settings.double_entry)) if second else set()
    first = page.first_entry if second else None
    first_values = first.values if first is not None else {}
    fields = []
    for spec in template.fields:
        state = page.extraction.field(spec.name) or FieldState(kind=spec.kind)
        hidden = spec.name in blind
        value = "" if hidden else first_values.get(spec.name, state.value)  # the second keying starts from the first
        fields.append(ShownField(spec=spec, state=state, value=value, hidden=hidden))
    listed = list(page.match.candidates)
    chosen = (first.atena_no or "") if first is not None else ""
    if chosen and chosen not in page.match.proposed():  # found by the first reviewer's search
        listed.append(Candidate(atena_no=chosen, flags=["1人目の選択"]))
    candidates = []
    for c in listed:
        r = session.get(Resident, c.atena_no)
        if r is not None:
            candidates.append((r, c))
            audit.record(session, who.actor, "resident.read", "resident", r.atena_no)
    checks = entry.checks_for(session, page, page.match.atena_no)
    session.commit()
    return ShownForm(
        page=page,
        labels={spec.name: spec.label or spec.name for spec in template.fields},
        fields=fields,
        candidates=candidates,
        checks=checks,
        second=second,
        keyed={k: v for k, v in first_values.items() if k in double_entry.OUTSIDE_TEMPLATE and k not in blind},
        chosen=chosen,
        vaccine_name=masters.vaccine_name(session, page.extraction.identity.vaccine_code or ""),
    )
