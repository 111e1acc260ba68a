"""What a page carries from the reader to the ledger, typed: the reader's `Extraction`, the matcher's `MatchResult`,
the first of two blind keyings (`FirstEntry`), and why a person must look (`Reason`). The page's JSON columns hold
these models and hand them back as models (`PydanticJSON`): no service reads a dict or a string prefix.

The models are frozen: a change is a new model assigned to the column (`page.extraction = page.extraction.with_...`),
which is what makes SQLAlchemy write it (an in-place change of a JSON value is not seen and would be lost)."""

from __future__ import annotations

from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from sqlalchemy import JSON
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

FROZEN = ConfigDict(frozen=True, extra="forbid")


class Reason(BaseModel):
    """A coded message ({code, params}): worded in the reader's language at the edge (intake.messages)."""

    model_config = FROZEN
    code: str
    params: dict[str, Any] = Field(default_factory=dict)


class FieldState(BaseModel):
    """One field: as the machine read it and as people confirmed or corrected it."""

    model_config = FROZEN
    kind: str = ""
    value: str = ""
    confidence: float = 0.0
    engine: str = ""
    evidence: dict[str, Any] = Field(default_factory=dict)
    messages: list[Reason] = Field(default_factory=list)
    auto_ok: bool = False  # confident and validated: needs no stop in review
    reviewed: str | None = None  # the value the accepting reviewer keyed
    confirmed_by: int | None = None  # the reviewer who confirmed it in group verification


class IdentityRead(BaseModel):
    """Who and what the form is for, as read from its QR (verified) or its printed digits."""

    model_config = FROZEN
    source: Literal["qr", "digits", "none", ""] = "none"
    municipality_code: str | None = None
    atena_no: str | None = None
    vaccine_code: str | None = None
    dose_no: int | None = None
    form_no: str | None = None
    layout: str | None = None
    problem: list[Reason] = Field(default_factory=list)  # why nothing was read


class Alignment(BaseModel):
    """How well the page was placed on the template (ocr.register / ocr.verify)."""

    model_config = FROZEN
    markers_found: int = 0
    residual_mm: float | None = None  # None: no printed structure to measure it on
    trusted: bool = False  # fields may be auto-accepted


class Extraction(BaseModel):
    """What the reader made of a page."""

    model_config = FROZEN
    fields: dict[str, FieldState] = Field(default_factory=dict)
    identity: IdentityRead = Field(default_factory=IdentityRead)
    printed: dict[str, str] = Field(default_factory=dict)  # the printed resident block as read
    alignment: Alignment | None = None

    def field(self, name: str) -> FieldState | None:
        return self.fields.get(name)

    def with_field(self, name: str, **change: Any) -> Extraction:
        """A copy with one field changed (people's confirmations and corrections)."""
        before = self.fields.get(name, FieldState())
        return self.model_copy(update={"fields": {**self.fields, name: before.model_copy(update=change)}})

    def values(self) -> dict[str, str]:
        """Every field's value as read (or confirmed)."""
        return {name: f.value for name, f in self.fields.items()}


class Candidate(BaseModel):
    """A resident proposed for the form, with how each identifying field agreed."""

    model_config = FROZEN
    atena_no: str
    score: float = 0.0
    agree: dict[str, bool] = Field(default_factory=dict)
    flags: list[str] = Field(default_factory=list)  # 異動 / 削除済み, as shown beside the candidate
    explain: dict[str, str] = Field(default_factory=dict)  # the matcher's per-field evidence


class MatchResult(BaseModel):
    """The matcher's verdict: auto (sure of one resident), review (candidates for a person), none."""

    model_config = FROZEN
    decision: Literal["auto", "review", "none"] = "none"
    atena_no: str | None = None
    score: float = 0.0
    candidates: list[Candidate] = Field(default_factory=list)
    explanation: list[Reason] = Field(default_factory=list)

    def proposed(self) -> set[str]:
        return {c.atena_no for c in self.candidates}


class FirstEntry(BaseModel):
    """The first of two blind keyings, held on the page until a second reviewer keys the same."""

    model_config = FROZEN
    by: int
    values: dict[str, str] = Field(default_factory=dict)
    atena_no: str | None = None
    acknowledged: bool = False


@cache
def _adapter(model: Any) -> TypeAdapter[Any]:
    return TypeAdapter(model)


class PydanticJSON(TypeDecorator[Any]):
    """A JSON column that holds a pydantic model (or a list of them): validated when written and when read."""

    impl = JSON
    cache_ok = True

    def __init__(self, model: Any) -> None:
        super().__init__()
        self.model = model

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        adapter = _adapter(self.model)
        return adapter.dump_python(adapter.validate_python(value), mode="json")

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None else _adapter(self.model).validate_python(value)
