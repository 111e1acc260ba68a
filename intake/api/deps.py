"""FastAPI dependencies as Annotated aliases: settings, DB session, content store, the caller."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlmodel import Session

from intake.db import get_engine
from intake.errors import Forbidden, Unauthenticated
from intake.messages import ROLE_JA, lang_of
from intake.services import auth
from intake.services.auth import Principal
from intake.settings import Settings
from intake.store import ContentStore
from models import Role


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


def request_lang(request: Request, settings: SettingsDep) -> str:
    """The language a person reads this answer in: Accept-Language if the catalogue has it, else INTAKE_LANG."""
    return lang_of(request.headers.get("accept-language"), settings.lang)


LangDep = Annotated[str, Depends(request_lang)]


def get_session(settings: SettingsDep) -> Iterator[Session]:
    with Session(get_engine(settings.effective_database_url), expire_on_commit=False) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_store(settings: SettingsDep) -> ContentStore:
    return ContentStore(settings.store_dir)


StoreDep = Annotated[ContentStore, Depends(get_store)]


def get_principal(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    authorization: Annotated[str, Header()] = "",
    x_api_key: Annotated[str, Header()] = "",
) -> Principal:
    if authorization.lower().startswith("bearer "):
        who = auth.principal_for_token(session, settings, authorization[7:].strip())
    elif x_api_key:
        who = auth.principal_for_api_key(session, x_api_key)
    else:
        raise Unauthenticated("auth.not_logged_in")
    request.state.principal = who  # so that a later denial of this request names who was refused
    return who


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require(*roles: Role) -> Callable[..., Principal]:
    """A dependency admitting only the given roles (a denial is audited where every denial is: intake.api.app)."""

    def check(who: PrincipalDep) -> Principal:
        if who.role not in roles:  # audited by the API's error handler, as every denial is
            raise Forbidden("auth.role_forbidden", role=ROLE_JA.get(who.role, who.role), role_en=who.role)
        return who

    return check


ScannerDep = Annotated[Principal, Depends(require(Role.scanner, Role.admin))]
ReviewerDep = Annotated[Principal, Depends(require(Role.reviewer, Role.supervisor))]
StaffDep = Annotated[Principal, Depends(require(Role.staff, Role.admin))]
OverseerDep = Annotated[Principal, Depends(require(Role.supervisor, Role.staff, Role.admin))]
# a batch's status: overseers, and the scanner key that uploaded it (intake.services.ingest.visible_batch)
BatchReaderDep = Annotated[Principal, Depends(require(Role.scanner, Role.supervisor, Role.staff, Role.admin))]
