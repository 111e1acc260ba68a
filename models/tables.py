"""Tables. Field names are English; the ward's standardized names (別添2) are in the comments and in
the CSV importers, which map one to the other."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.enums import PageStatus, Role
from models.page_state import Extraction, FirstEntry, MatchResult, PydanticJSON, Reason


def utcnow() -> datetime:
    return datetime.now(UTC)


# ---- masters ---------------------------------------------------------------------------------
class Clinic(SQLModel, table=True):
    code: str = Field(primary_key=True, max_length=10)  # 実施機関コード
    name: str  # 実施機関名


class Vaccine(SQLModel, table=True):
    code: str = Field(primary_key=True, max_length=20)  # 接種種類コード
    name: str  # ワクチン名
    maker: str = ""  # ワクチンメーカー
    dose_ml: float | None = None  # 標準接種量
    legal_class: str = "定期"  # 法定区分
    doses: int = 1  # number of doses in the routine series


class Lot(SQLModel, table=True):
    lot_number: str = Field(primary_key=True, max_length=30)  # ロット番号
    vaccine_code: str = Field(foreign_key="vaccine.code", index=True)
    maker: str = ""
    expiry: date | None = None


# ---- resident register (住民情報) -------------------------------------------------------------
class Resident(SQLModel, table=True):
    atena_no: str = Field(primary_key=True, max_length=15)  # 宛名番号
    household_no: str = Field(default="", index=True)  # 世帯番号
    name: str  # 氏名
    name_kana: str = ""  # 氏名_振り仮名
    kana_key: str = Field(default="", index=True)  # folded kana, for blocking (see intake.services.kana)
    name_key: str = Field(default="", index=True)  # folded kanji name, for blocking (see intake.services.names)
    kana_loose: str = Field(default="", index=True)  # folded kana without voicing marks, for blocking
    birth_date: date | None = Field(default=None, index=True)  # 生年月日
    birth_date_unknown: bool = False  # 生年月日_不詳フラグ
    sex: str = ""  # 性別 1/2
    address: str = ""  # 住所
    postal_code: str = ""  # 住所_郵便番号
    move_reason: str = ""  # 異動事由 (転出, 死亡, …): stays matchable, flagged
    move_date: date | None = None  # 異動年月日
    deleted: bool = False  # 削除フラグ
    # 個人番号: stored only where the law requires; never leaves the API for a contractor role and never
    # appears in a CSV export (see intake.api.schemas: no public model carries it).
    my_number: str | None = None  # encrypted at rest (intake.services.my_number.seal); never the plain number
    updated_at: datetime = Field(default_factory=utcnow)

    __table_args__ = (Index("ix_resident_kana_birth", "kana_key", "birth_date"),)


# ---- intake -----------------------------------------------------------------------------------
class Batch(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    clinic_code: str = Field(foreign_key="clinic.code", index=True)
    uploaded_by: str  # api key label or user name
    created_at: datetime = Field(default_factory=utcnow)
    file_count: int = 0
    page_count: int = 0


class Original(SQLModel, table=True):
    """An uploaded file, stored immutably under its SHA-256. Never deleted by the pipeline."""

    sha256: str = Field(primary_key=True, max_length=64)
    batch_id: int = Field(foreign_key="batch.id", index=True)
    filename: str
    media_type: str
    size: int
    page_count: int
    created_at: datetime = Field(default_factory=utcnow)


class Page(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="batch.id", index=True)
    original_sha256: str = Field(foreign_key="original.sha256")
    page_index: int  # 0-based page within the original file
    status: PageStatus = Field(default=PageStatus.queued, index=True)
    reason: str = ""  # why failed / why routed to review, in a reviewer's words
    attempts: int = 0  # also the reading lease's token: a result is written only by the holder of this attempt
    deadline: datetime | None = None  # the reading lease's end: past it the page may be claimed again
    claimed_by: str | None = None  # the work process holding the lease ("host:pid")
    image_sha256: str | None = None  # the normalized, registered page image in the store
    layout: str | None = None
    form_no: str | None = None  # 予診票番号 read from the QR or the printed digits
    atena_no_read: str | None = None  # 宛名番号 read from the form
    # What the reader, the matcher and people made of the page: typed models in JSON columns (models.page_state)
    extraction: Extraction = Field(
        default_factory=Extraction, sa_column=Column(PydanticJSON(Extraction), nullable=False, server_default="{}")
    )
    match: MatchResult = Field(default_factory=MatchResult, sa_column=Column(PydanticJSON(MatchResult), nullable=False))
    resident_atena_no: str | None = None  # the resident the reviewer confirmed
    needs_review_reasons: list[Reason] = Field(
        default_factory=list, sa_column=Column(PydanticJSON(list[Reason]), nullable=False)
    )
    version: int = 0  # optimistic concurrency for review saves
    # QA sample: a form the machine was sure of, routed to review anyway to measure the machine's real precision
    qa_sample: bool = False
    # Sent to a supervisor (by a reviewer, or because two blind keyings disagree): reviewers' queue skips it
    deferred: bool = Field(default=False, index=True)
    # Double entry: the first reviewer's keying, held until a second, blind keying by another reviewer agrees
    # (see intake.services.double_entry)
    first_entry: FirstEntry | None = Field(default=None, sa_column=Column(PydanticJSON(FirstEntry), nullable=True))
    locked_by: int | None = None
    locked_until: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    __table_args__ = (UniqueConstraint("original_sha256", "page_index", name="uq_page_original_index"),)


class SearchedResident(SQLModel, table=True):
    """A resident a reviewer found by a candidate search for a form: the reviewer may then open and choose them."""

    id: int | None = Field(default=None, primary_key=True)
    page_id: int = Field(foreign_key="page.id", index=True)
    atena_no: str
    searched_by: int = Field(foreign_key="useraccount.id")
    at: datetime = Field(default_factory=utcnow)

    __table_args__ = (UniqueConstraint("page_id", "atena_no", name="uq_searched_page_resident"),)


class ReviewAction(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    page_id: int = Field(foreign_key="page.id", index=True)
    user_id: int = Field(foreign_key="useraccount.id")
    action: str  # take, save, accept, reject, defer
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    at: datetime = Field(default_factory=utcnow)


# ---- issuance (予診票の発行) ----------------------------------------------------------------------
class IssuedForm(SQLModel, table=True):
    """A form the ward issued (予診票番号, 発行日, 予診票発行部署, 印刷区分/印刷日/発送日, 再発行フラグ/枚数/日, 無効フラグ).
    Its number is the row's id from the database's sequence (never reused, never chosen by an operator), offset by
    INTAKE_FORM_NO_START and given a check digit: intake.services.issuance."""

    id: int | None = Field(default=None, primary_key=True)
    form_no: str = Field(default="", index=True)  # 予診票番号 (11 digits with its Luhn check digit)
    atena_no: str = Field(index=True)  # 宛名番号
    vaccine_code: str  # 接種種類コード
    dose_no: int  # 回数
    channel: str  # 印刷区分: mailing (monthly batch) | counter (窓口再発行) | request (依頼書)
    issued_on: date  # 発行日
    issued_by: str  # who: user:ID or operator:NAME@OSUSER
    department: str = ""  # 予診票発行部署
    printed_on: date | None = None  # 印刷日
    sent_on: date | None = None  # 発送日
    reissue_no: int = 0  # 再発行枚数: how many times this resident's form for this dose was issued again
    replaces: int | None = None  # the issued form this one replaces (a reissue)
    voided: bool = False  # 予診票無効フラグ
    void_reason: str = ""
    voided_on: date | None = None
    received_page_id: int | None = Field(default=None, foreign_key="page.id")  # the page it came back as
    created_at: datetime = Field(default_factory=utcnow)

    __table_args__ = (
        Index("ix_issuedform_resident_dose", "atena_no", "vaccine_code", "dose_no"),
        {"sqlite_autoincrement": True},  # ids (and so numbers) never reused, even after a delete
    )


class RequestLetter(SQLModel, table=True):
    """A 依頼書: the ward asks another municipality or clinic to vaccinate a resident staying there (里帰り出産, a long
    stay). 依頼番号 is the row's id (the database's sequence); 依頼書受付日 is when the vaccination came back and was
    entered against it (`record_id`)."""

    id: int | None = Field(default=None, primary_key=True)  # 依頼番号
    atena_no: str = Field(index=True)
    vaccine_code: str
    dose_no: int
    receiver: str  # the municipality or clinic asked (依頼先)
    stay_address: str = ""  # 滞在先住所
    reason: str = ""  # 依頼書発行理由
    issued_on: date
    issued_by: str
    department: str = ""  # 依頼書発行元
    printed_on: date | None = None  # 依頼書印刷日
    received_on: date | None = None  # 依頼書受付日
    record_id: int | None = Field(default=None, foreign_key="vaccinationrecord.id")
    created_at: datetime = Field(default_factory=utcnow)

    __table_args__ = ({"sqlite_autoincrement": True},)


class CertificatePrint(SQLModel, table=True):
    """A 予防接種済証 printed for a resident (証明書印刷区分/印刷日): who, when, how many doses it listed."""

    id: int | None = Field(default=None, primary_key=True)
    atena_no: str = Field(index=True)
    printed_on: date  # 証明書印刷日
    printed_by: str
    doses: int
    created_at: datetime = Field(default_factory=utcnow)


# ---- ledger (予防接種情報) -------------------------------------------------------------------------
class VaccinationRecord(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    lineage_id: int | None = Field(default=None, index=True)  # first version's id; corrections share it
    version: int = 1
    is_current: bool = Field(default=True, index=True)
    change_reason: str = ""
    page_id: int | None = Field(default=None, foreign_key="page.id")
    municipality_code: str  # 市区町村コード
    atena_no: str = Field(index=True)  # 宛名番号
    vaccine_code: str = Field(index=True)  # 接種種類コード
    dose_no: int  # 回数
    # 実施日; None only on a 予診のみ (見合わせ) row whose paper carries no date: recorded as "not written", never invented
    performed_on: date | None = Field(default=None, index=True)
    screened_only: bool = False  # 予診のみ (見合わせ): not a dose
    legal_class: str = "定期"  # 法定区分
    clinic_code: str = Field(index=True)  # 実施機関コード
    clinic_name: str = ""  # 実施機関名
    doctor_name: str = ""  # 医師名
    lot_number: str = Field(default="", index=True)  # ロット番号
    dose_ml: float | None = None  # 接種量
    maker: str = ""  # ワクチンメーカー
    vaccine_name: str = ""  # ワクチン名
    form_no: str = ""  # 予診票番号
    fee_class: str = ""  # 負担金区分
    operator_id: int | None = None  # 操作者ID
    created_at: datetime = Field(default_factory=utcnow)  # 操作年月日・時刻
    deleted: bool = False  # 削除フラグ
    # schedule checks that did not pass when it was committed (acknowledged by the reviewer), for follow-up
    schedule_flags: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]"))

    __table_args__ = (
        # One committed row per page and version: a retried commit writes nothing new.
        UniqueConstraint("page_id", "version", name="uq_record_page_version"),
        Index("ix_record_resident_vaccine", "atena_no", "vaccine_code", "dose_no"),
    )


# ---- identity and audit -------------------------------------------------------------------------
class UserAccount(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, index=True)
    password_hash: str
    role: Role
    active: bool = True
    failed_logins: int = 0
    locked_until: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class UserSession(SQLModel, table=True):
    """Server-side session; the browser holds only the opaque token, whose hash is stored here."""

    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="useraccount.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    last_seen: datetime = Field(default_factory=utcnow)
    revoked: bool = False


class ApiKey(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    label: str  # the scanner workstation
    key_hash: str = Field(unique=True, max_length=64)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)


class RecordRead(SQLModel, table=True):
    """What one audited read returned: its records and their residents. The hash chain holds one event per request
    (the query, the principal, the count and a digest of the ids); "who saw resident X" joins through here."""

    id: int | None = Field(default=None, primary_key=True)
    audit_id: int = Field(index=True)  # the auditevent's id; no foreign key: checking one per row cost the recall
    atena_no: str = Field(index=True)
    record_id: int


class AuditEvent(SQLModel, table=True):
    """Append-only, hash-chained: each row's hash covers the previous row's hash. Ids only, no names."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor: str = Field(index=True)  # user:ID or key:ID or system
    action: str
    object_type: str = ""
    object_id: str = Field(default="", index=True)
    outcome: str = "ok"
    remote: str = ""
    prev_hash: str = Field(default="", unique=True)  # a fork in the chain fails at the database
    hash: str = ""
