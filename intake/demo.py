"""Demo set-up: schema, sample register and masters, demo accounts. Synthetic people only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from sqlmodel import select

from intake.db import session_scope
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


def setup_demo(settings: Settings, sample: Path) -> Iterator[str]:
    url = settings.effective_database_url
    upgrade(url)
    yield "schema up to date"
    with session_scope(url) as s:
        yield f"vaccines: {masters.import_vaccines(s, DATA / 'vaccines.csv').created} new"
        yield f"clinics: {masters.import_clinics(s, DATA / 'clinics.csv').created} new"
        res = masters.import_residents(s, sample / "residents.csv")
        yield f"residents: {res.created} new, {res.updated} updated"
        yield f"lots: {masters.import_lots(s, sample / 'lots.csv').created} new"
        for name, (role, password) in DEMO_USERS.items():
            if s.exec(select(UserAccount).where(UserAccount.username == name)).first() is None:
                auth.create_user(s, name, password, role)
        auth.register_api_key(s, "demo-scanner", DEMO_SCANNER_KEY)
        s.commit()
    yield "demo users: " + ", ".join(f"{n} / {p} ({r})" for n, (r, p) in DEMO_USERS.items())
    yield f"demo scanner key: {DEMO_SCANNER_KEY}"
