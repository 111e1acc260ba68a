"""Individual accounts, server-side sessions and scanner API keys."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError
from sqlmodel import Session, select

from intake.errors import BadInput, Conflict, NotFound, Unauthenticated
from intake.services import audit
from intake.settings import Settings
from models import ApiKey, Role, UserAccount, UserSession
from models.tables import utcnow

_hasher = PasswordHasher()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Principal:
    """Who is calling: a user (with a role) or a scanner workstation key."""

    kind: str  # user | key
    id: int
    role: Role
    name: str

    @property
    def actor(self) -> str:
        return f"{self.kind}:{self.id}"


def create_user(session: Session, username: str, password: str, role: Role) -> UserAccount:
    if len(password) < 10:
        raise BadInput("auth.password_short")
    if session.exec(select(UserAccount).where(UserAccount.username == username)).first():
        raise Conflict("auth.user_exists", user=username)
    user = UserAccount(username=username, password_hash=_hasher.hash(password), role=role)
    session.add(user)
    session.flush()
    audit.record(session, audit.operator(), "user.create", "user", str(user.id))
    return user


def login(session: Session, settings: Settings, username: str, password: str, remote: str = "") -> tuple[str, UserAccount]:
    user = session.exec(select(UserAccount).where(UserAccount.username == username)).first()
    now = utcnow()
    failure = Unauthenticated(
        "auth.wrong_password", audited=True, failures=settings.login_max_failures, minutes=settings.login_lockout_minutes
    )
    if user is None or not user.active:
        audit.record(session, "anonymous", "login", "user", username if user is None else str(user.id), "denied", remote)
        session.commit()
        raise failure
    if user.locked_until and user.locked_until > now:
        audit.record(session, f"user:{user.id}", "login", "user", str(user.id), "locked", remote)
        session.commit()
        raise Unauthenticated("auth.locked", audited=True, minutes=settings.login_lockout_minutes)
    try:
        _hasher.verify(user.password_hash, password)
    except VerifyMismatchError:
        user.failed_logins += 1
        if user.failed_logins >= settings.login_max_failures:
            user.locked_until = now + timedelta(minutes=settings.login_lockout_minutes)
            user.failed_logins = 0
        session.add(user)
        audit.record(session, f"user:{user.id}", "login", "user", str(user.id), "denied", remote)
        session.commit()
        raise failure from None
    user.failed_logins = 0
    token = secrets.token_urlsafe(32)
    session.add(UserSession(token_hash=_token_hash(token), user_id=user.id or 0))
    session.add(user)
    audit.record(session, f"user:{user.id}", "login", "user", str(user.id), "ok", remote)
    session.commit()
    return token, user


def principal_for_token(session: Session, settings: Settings, token: str) -> Principal:
    """Checked on every request: revoked, idle-expired and over-age sessions are refused."""
    s = session.get(UserSession, _token_hash(token))
    now = utcnow()
    expired = Unauthenticated("auth.session_ended")
    if s is None or s.revoked:
        raise expired
    if now - s.last_seen > timedelta(minutes=settings.session_idle_minutes) or now - s.created_at > timedelta(
        hours=settings.session_max_hours
    ):
        s.revoked = True
        session.add(s)
        session.commit()
        raise expired
    user = session.get(UserAccount, s.user_id)
    if user is None or not user.active:
        raise expired
    if (now - s.last_seen).total_seconds() > 30:  # don't write on every request
        s.last_seen = now
        session.add(s)
        session.commit()
    return Principal("user", user.id or 0, user.role, user.username)


def logout(session: Session, token: str) -> None:
    s = session.get(UserSession, _token_hash(token))
    if s is not None:
        s.revoked = True
        session.add(s)
        audit.record(session, f"user:{s.user_id}", "logout", "user", str(s.user_id))
        session.commit()


def disable_user(session: Session, username: str) -> None:
    from intake.errors import NotFound

    user = session.exec(select(UserAccount).where(UserAccount.username == username)).first()
    if user is None:
        raise NotFound("auth.no_user", user=username)
    user.active = False
    session.add(user)
    for s in session.exec(select(UserSession).where(UserSession.user_id == user.id)).all():
        s.revoked = True
        session.add(s)
    audit.record(session, audit.operator(), "user.disable", "user", str(user.id))
    session.commit()


def revoke_api_keys(session: Session, label: str) -> int:
    if session.exec(select(ApiKey).where(ApiKey.label == label)).first() is None:
        raise NotFound("auth.no_scanner_key", label=label)
    keys = session.exec(select(ApiKey).where(ApiKey.label == label).where(ApiKey.active == True)).all()  # noqa: E712
    for k in keys:
        k.active = False
        session.add(k)
        audit.record(session, audit.operator(), "apikey.revoke", "apikey", str(k.id))
    session.commit()
    return len(keys)


def create_api_key(session: Session, label: str) -> str:
    key = "sk_" + secrets.token_urlsafe(24)
    session.add(ApiKey(label=label, key_hash=_token_hash(key)))
    audit.record(session, audit.operator(), "apikey.create", "apikey", label)
    session.flush()
    return key


def register_api_key(session: Session, label: str, key: str) -> None:
    """Install a known key (demo and tests); idempotent."""
    if session.exec(select(ApiKey).where(ApiKey.key_hash == _token_hash(key))).first() is None:
        session.add(ApiKey(label=label, key_hash=_token_hash(key)))
        session.flush()


def principal_for_api_key(session: Session, key: str) -> Principal:
    row = session.exec(select(ApiKey).where(ApiKey.key_hash == _token_hash(key))).first()
    if row is None or not row.active:
        raise Unauthenticated("auth.bad_api_key")
    return Principal("key", row.id or 0, Role.scanner, row.label)
