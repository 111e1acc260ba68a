"""The issuance registry on a corpus synthesised with `--registry`: each page's read identity checked against the
registry it was printed from (issued.csv), in page order, as the worker checks it (intake.services.issuance,
intake.services.matching) — how many forms the registry anchors to their resident (and how many wrongly), and
whether every voided, never-issued, already-received and other resident's number is stopped before the ledger."""

from __future__ import annotations

import csv
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import Session

from intake.db import dispose_engines, get_engine
from intake.settings import Settings

STOPS = ("voided", "unknown", "received", "other_form")


def kept_how(verdict: Any, match: Any, code: str) -> str:
    """How a page carrying a number the registry must stop (`code`, e.g. registry.voided) is kept from the ledger:
    by_registry_reason; number_unread — neither QR nor printed id read under the damage, so vaccine and dose are
    unknown and the form is never committed automatically (intake.services.entry: review.vaccine_unknown), a person
    enters it; no_automatic_match; or "passed" (it would reach the ledger automatically)."""
    if any(r.code == code for r in verdict.reasons):
        return "by_registry_reason"
    if verdict.identity is None or not verdict.identity.vaccine_code:
        return "number_unread"
    if verdict.reasons or match.decision != "auto":
        return "no_automatic_match"
    return "passed"


def registry_figures(corpus: Path, results: list[dict[str, Any]], truths: list[dict[str, Any]]) -> dict[str, Any] | None:
    issued = corpus / "issued.csv"
    if not issued.exists():
        return None
    from intake.demo import setup_demo
    from intake.services import issuance
    from intake.services.matching import match_identity
    from models import Batch, IssuedForm, Original, Page
    from ocr.codes import FormIdentity

    ok = {"pages": 0, "anchored": 0, "auto_right": 0, "auto_wrong": 0, "not_auto": 0}
    how = ("pages", "by_registry_reason", "number_unread", "no_automatic_match", "original_unread", "passed")
    stops = {k: dict.fromkeys(how, 0) for k in STOPS}
    read_numbers: set[str] = set()  # numbers the registry saw on the forms as issued (their originals)
    with tempfile.TemporaryDirectory() as var:
        settings = Settings(var_dir=Path(var), database_url="")
        list(setup_demo(settings, corpus))  # the masters, the corpus's register and lots
        with Session(get_engine(settings.effective_database_url)) as s, issued.open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                n = int(row["id"])
                s.add(
                    IssuedForm(
                        id=n,
                        form_no=issuance.number_of(settings, n),
                        atena_no=row["atena_no"],
                        vaccine_code=row["vaccine_code"],
                        dose_no=int(row["dose_no"]),
                        channel="mailing",
                        issued_on=date(2026, 10, 1),
                        issued_by="synth",
                        voided=row["voided"] == "True",
                    )
                )
            s.add(Batch(id=1, clinic_code="1310001", uploaded_by="eval"))
            s.add(Original(sha256="0" * 64, batch_id=1, filename="eval", media_type="image/png", size=0, page_count=0))
            s.commit()
            for i, (res, truth) in enumerate(zip(results, truths, strict=True), start=1):
                kind = truth.get("registry")
                if not kind:
                    continue
                s.add(Page(id=i, batch_id=1, original_sha256="0" * 64, page_index=i))
                s.flush()
                ident = FormIdentity(**res["ident"]) if res["ident"] else None
                verdict = issuance.check_at_intake(s, settings, ident, res["identity_source"], i)
                match = match_identity(
                    s, verdict.identity, settings.municipality_code, res["identity_source"], res["printed"], verdict.anchored
                )
                s.commit()
                if kind == "ok":
                    if verdict.identity is not None:
                        read_numbers.add(verdict.identity.form_no)
                    ok["pages"] += 1
                    ok["anchored"] += verdict.anchored
                    if match.decision == "auto":
                        ok["auto_right" if match.atena_no == truth["resident"]["atena_no"] else "auto_wrong"] += 1
                    else:
                        ok["not_auto"] += 1
                    continue
                st = stops[kind]
                st["pages"] += 1
                how = kept_how(verdict, match, f"registry.{kind}")
                if how != "passed":
                    st[how] += 1
                elif kind == "received" and truth["identity"]["form_no"] not in read_numbers:
                    # the copy is the first page on which the number was read: its original went unread, so that one
                    # waits for a person, whom the ledger's duplicate-dose check shows the dose already recorded
                    st["original_unread"] += 1
                else:
                    st["passed"] += 1
        dispose_engines()
    return {
        "ok": ok,
        "matched_automatically": round(ok["auto_right"] / ok["pages"], 4) if ok["pages"] else None,
        "stops": stops,
        "stopped_all": not any(st["passed"] for st in stops.values()),
    }


def print_registry(m: dict[str, Any]) -> None:
    ok = m["ok"]
    print(
        f"  registry: {ok['pages']} forms as issued — anchored {ok['anchored']}, matched automatically"
        f" {ok['auto_right']} right / {ok['auto_wrong']} wrong, to a person {ok['not_auto']}"
    )
    for kind, st in m["stops"].items():
        first = f"; {st['original_unread']} the first page its number was read on (its original's unread)"
        print(
            f"    {kind:11s} kept from the ledger {st['pages'] - st['passed'] - st['original_unread']}/{st['pages']}"
            f" (by the registry's reason {st['by_registry_reason']}; number unread, so to a person {st['number_unread']};"
            f" no automatic match {st['no_automatic_match']}){first if st['original_unread'] else ''}"
            f"{'; PASSED ' + str(st['passed']) if st['passed'] else ''}"
        )
