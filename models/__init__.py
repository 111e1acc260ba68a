"""SQLModel tables and enums. Import the tables from here so Alembic sees all of them."""

from models.enums import PageStatus, Role, Sex
from models.tables import (
    ApiKey,
    AuditEvent,
    Batch,
    Clinic,
    IssuedForm,
    Lot,
    Original,
    Page,
    RecordRead,
    Resident,
    ReviewAction,
    SearchedResident,
    UserAccount,
    UserSession,
    VaccinationRecord,
    Vaccine,
)

__all__ = [
    "ApiKey",
    "AuditEvent",
    "Batch",
    "Clinic",
    "IssuedForm",
    "Lot",
    "Original",
    "Page",
    "PageStatus",
    "RecordRead",
    "Resident",
    "ReviewAction",
    "SearchedResident",
    "Role",
    "Sex",
    "UserAccount",
    "UserSession",
    "Vaccine",
    "VaccinationRecord",
]
