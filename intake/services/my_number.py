"""個人番号 (My Number) where the law puts it: imported with the register, stored encrypted at rest (Fernet, a key
outside the database: `INTAKE_MY_NUMBER_KEY` or a file readable by the service only, default
var/secrets/my_number.key, created 0600 on first use), readable only through `reveal` — staff and admin roles,
with the purpose recorded in the audit log. Never in a response to a contractor role, never in a CSV, never in
a log line: nothing but `reveal` decrypts it.
"""

from __future__ import annotations

import base64
import os
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from sqlmodel import Session

from intake.errors import BadInput, Forbidden, NotFound
from intake.messages import ROLE_JA
from intake.secrets import secret
from intake.services import audit
from intake.services.auth import Principal
from intake.settings import get_settings
from models import Resident, Role

READERS = (Role.staff, Role.admin)


def check_digit_ok(number: str) -> bool:
    """個人番号: 11 digits and a check digit (番号法施行令第8条): Σ P_n × Q_n over the digits from the right,
    Q_n = n + 1 (n ≤ 6) or n − 5 (n ≥ 7); the check digit is 0 when the remainder mod 11 is ≤ 1, else 11 − it."""
    if len(number) != 12 or not number.isdigit():
        return False
    body = number[:11][::-1]
    total = sum(int(p) * (n + 1 if n <= 6 else n - 5) for n, p in enumerate(body, 1))
    r = total % 11
    return int(number[11]) == (0 if r <= 1 else 11 - r)


@lru_cache(maxsize=8)
def _fernet_from(env_key: str, path: str) -> Fernet:
    return Fernet(secret(env_key, Path(path), lambda: base64.urlsafe_b64encode(os.urandom(32)).decode()).encode())


def _fernet() -> Fernet:
    s = get_settings()
    return _fernet_from(s.my_number_key, str(s.my_number_key_file or s.var_dir / "secrets" / "my_number.key"))


def seal(number: str) -> str:
    """The number encrypted for storage (authenticated: a changed byte is refused on reading)."""
    return _fernet().encrypt(number.encode()).decode()


def reveal(session: Session, who: Principal, atena_no: str, purpose: str) -> str:
    """The one way to read a resident's 個人番号: staff or admin, with the purpose, audited."""
    if who.role not in READERS:
        raise Forbidden("my_number.forbidden", role=ROLE_JA.get(who.role, who.role), role_en=who.role)
    purpose = purpose.strip()
    if not purpose:
        raise BadInput("my_number.no_purpose")
    resident = session.get(Resident, atena_no)
    if resident is None or not resident.my_number:
        raise NotFound("my_number.none", atena_no=atena_no)
    try:
        number = _fernet().decrypt(resident.my_number.encode()).decode()
    except InvalidToken as exc:
        raise Forbidden("my_number.undecryptable") from exc
    audit.record(session, who.actor, "mynumber.read", "resident", atena_no, f"purpose: {purpose[:80]}")
    session.commit()
    return number
