"""Demo set-up: schema, sample register and masters, demo accounts. Synthetic people only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from sqlmodel import select

from intake.db import session_scope
from intake.messages import MASTER_JA
from intake.migrate import upgrade
from intake.services import auth, masters
from intake.settings import Settings
from models import Role, UserAccount

DATA = Path(__file__).resolve().parent / "data"
DEMO_SCANNER_KEY = "demo-scanner-key-not-for-production"
DEMO_USERS = {  # user name → (role, password). Demo only; production accounts come from `intake users create`.
    "reviewer1": (Role.reviewer, "review-demo-pass"),
    "reviewer2": (Role.reviewer, "review-demo-pass"),
    "supervisor1": (Role.supervisor, "super-demo-pass"),
    "staff1": (Role.staff, "staff-demo-pass"),
    "admin1": (Role.admin, "admin-demo-pass"),
}


def setup_demo(settings: Settings, sample: Path) -> Iterator[tuple[str, dict[str, object]]]:
    """Each step as (code, params) for intake.messages.SAID: the command says them in the installation's language."""
    url = settings.effective_database_url
    upgrade(url)
    yield "migrate.done", {}
    with session_scope(url) as s:
        vaccines = masters.import_vaccines(s, DATA / "vaccines.csv")
        yield (
            "master.done",
            {"kind": MASTER_JA["vaccines"], "kind_en": "vaccines", "created": vaccines.created, "updated": vaccines.updated},
        )
        clinics = masters.import_clinics(s, DATA / "clinics.csv")
        yield (
            "master.done",
            {"kind": MASTER_JA["clinics"], "kind_en": "clinics", "created": clinics.created, "updated": clinics.updated},
        )
        res = masters.import_residents(s, sample / "residents.csv")
        yield "demo.residents", {"created": res.created, "updated": res.updated}
        lots = masters.import_lots(s, sample / "lots.csv")
        yield "master.done", {"kind": MASTER_JA["lots"], "kind_en": "lots", "created": lots.created, "updated": lots.updated}
        for name, (role, password) in DEMO_USERS.items():
            if s.exec(select(UserAccount).where(UserAccount.username == name)).first() is None:
                auth.create_user(s, name, password, role)
        auth.register_api_key(s, "demo-scanner", DEMO_SCANNER_KEY)
        s.commit()
    yield "demo.users", {"users": ", ".join(f"{n} / {p} ({r})" for n, (r, p) in DEMO_USERS.items())}
    yield "demo.key", {"key": DEMO_SCANNER_KEY}
