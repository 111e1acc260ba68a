"""Response and request models. No table model is returned, and none of these carries 個人番号."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel


class ErrorOut(BaseModel):
    code: str
    message: str
    fix: str


class BatchReceiptOut(BaseModel):
    batch_id: int
    page_ids: list[int]
    new_page_ids: list[int]
    duplicate_page_ids: list[int]
    queued: int


class PageStateOut(BaseModel):
    id: int
    batch_id: int
    page_index: int
    status: str
    reason: str
    attempts: int
    updated_at: datetime


class BatchOut(BaseModel):
    id: int
    clinic_code: str
    clinic_name: str = ""  # beside the code, as the supervisor reads it
    created_at: datetime
    page_count: int
    status_counts: dict[str, int]
    pages: list[PageStateOut] = []


class LoginIn(BaseModel):
    username: str
    password: str


class LoginOut(BaseModel):
    token: str
    username: str
    role: str


class CandidateOut(BaseModel):
    atena_no: str
    name: str
    name_kana: str
    birth_date: date | None
    sex: str
    address: str
    score: float
    agree: dict[str, bool]
    flags: list[str]
    explain: dict[str, str] = {}  # per field: agree/close/differ and how many bits it counts


class MessageOut(BaseModel):
    """What the reader said of a field or page: its code and parameters, and the words in the reader's language."""

    code: str
    params: dict[str, Any] = {}
    text: str


class FieldOut(BaseModel):
    name: str
    kind: str
    label: str
    value: str
    confidence: float
    engine: str
    messages: list[MessageOut]
    auto_ok: bool
    critical: bool
    region_mm: tuple[float, float, float, float]
    confirmed: bool = False  # a person confirmed it already (group verification)
    blind: bool = False  # second blind keying: value and confidence withheld; type what the image says


class CheckOut(BaseModel):
    rule: str
    severity: str
    message: str
    source: str = ""  # where the schedule data found the rule


class ReviewPageOut(BaseModel):
    id: int
    batch_id: int
    version: int
    status: str
    reasons: list[MessageOut]  # why the form waits for a person, worded in the reader's language
    identity: dict[str, Any]
    fields: list[FieldOut]
    match_decision: str
    match_explanation: str
    candidates: list[CandidateOut]
    px_per_mm: float
    checks: list[CheckOut] = []  # schedule, duplicate and lot checks for the proposed resident
    qa_sample: bool = False  # the machine was sure; a reviewer checks every field to measure its precision
    second_entry: bool = False  # the second, blind keying of the critical fields
    vaccine_name: str = ""  # the vaccine the form names (its QR), by its master name beside the code
    # what the first keying typed outside the template's fields (vaccine and dose of a form without a ward QR) and the
    # resident it chose: the second keying starts from them — only the blind fields are keyed again
    keyed: dict[str, str] = {}
    chosen_atena_no: str = ""


class QueueOut(BaseModel):
    waiting: int  # reviewable forms no one holds
    held: int | None = None  # the form the caller holds, if any (taken before and not finished)


class AcceptIn(BaseModel):
    version: int
    atena_no: str
    values: dict[str, str]
    acknowledged: bool = False  # schedule errors seen; record the dose as given anyway


class GroupItemOut(BaseModel):
    page_id: int
    version: int
    batch_id: int
    value: str
    confidence: float
    messages: list[MessageOut]


class GroupItemIn(BaseModel):
    page_id: int
    version: int
    value: str


class GroupConfirmIn(BaseModel):
    items: list[GroupItemIn]


class GroupConfirmOut(BaseModel):
    confirmed: list[int]
    corrected: list[int]
    refused: dict[int, str]


class RejectIn(BaseModel):
    version: int
    reason: str


class RecordOut(BaseModel):
    id: int
    atena_no: str
    name: str = ""  # 氏名 beside the 宛名番号 in a search (the history names the resident once, above)
    name_kana: str = ""
    vaccine_code: str
    vaccine_name: str
    dose_no: int
    performed_on: date | None  # None: 予診のみ, no date written on the form
    screened_only: bool
    clinic_code: str
    clinic_name: str
    doctor_name: str
    lot_number: str
    dose_ml: float | None
    form_no: str
    page_id: int | None
    version: int
    schedule_flags: list[str] = []


class AcceptOut(BaseModel):
    """committed (record set), second_entry_needed (another reviewer keys the critical fields blind) or
    sent_to_supervisor (the two keyings disagree)."""

    status: str
    record: RecordOut | None = None
    message: str = ""
