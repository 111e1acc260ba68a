from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request

from intake.api.deps import PrincipalDep, SessionDep, SettingsDep
from intake.api.schemas import LoginIn, LoginOut
from intake.services import auth

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/login", response_model=LoginOut)
def login(body: LoginIn, session: SessionDep, settings: SettingsDep, request: Request) -> LoginOut:
    token, user = auth.login(session, settings, body.username, body.password, request.client.host if request.client else "")
    return LoginOut(token=token, username=user.username, role=user.role)


@router.post("/logout", status_code=204)
def logout(session: SessionDep, who: PrincipalDep, authorization: Annotated[str, Header()] = "") -> None:
    auth.logout(session, authorization[7:].strip())


@router.get("/me", response_model=LoginOut)
def me(who: PrincipalDep) -> LoginOut:
    return LoginOut(token="", username=who.name, role=who.role)
