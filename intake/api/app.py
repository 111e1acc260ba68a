"""The FastAPI application. Errors are mapped to HTTP once, here."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from intake.api.routes import audit, auth, batches, group, records, reports, residents, review
from intake.db import get_engine
from intake.errors import IntakeError, ServiceUnavailable
from intake.services import audit as audit_log
from intake.services import denials
from intake.settings import Settings, get_settings

log = logging.getLogger("intake.api")


def create_app(settings: Settings | None = None) -> FastAPI:
    app = FastAPI(title="予診票 intake", version="0.1.0", docs_url="/api/docs", openapi_url="/api/openapi.json")
    app.state.settings = settings or get_settings()
    for r in (
        batches.router,
        auth.router,
        group.router,
        review.router,
        records.router,
        audit.router,
        residents.router,
        reports.router,
    ):
        app.include_router(r, prefix="/api/v1")

    @app.middleware("http")
    async def remember_remote(request: Request, call_next):  # type: ignore[no-untyped-def]
        token = audit_log.current_remote.set(request.client.host if request.client else "")
        try:
            return await call_next(request)
        finally:
            audit_log.current_remote.reset(token)

    @app.exception_handler(IntakeError)
    def intake_error(request: Request, exc: IntakeError) -> JSONResponse:
        log.info("path=%s status=%s code=%s", request.url.path, exc.http_status, exc.code)
        if exc.http_status in (401, 403) and not exc.audited:
            _audit_denial(request, exc)
        return JSONResponse(exc.as_dict(), status_code=exc.http_status)

    def _audit_denial(request: Request, exc: IntakeError) -> None:
        """Every refused request in the audit log, in this one place (intake.services.denials)."""
        who = getattr(request.state, "principal", None)
        actor = who.actor if who is not None else "anonymous"
        remote = request.client.host if request.client else ""
        try:
            with Session(get_engine(app.state.settings.effective_database_url)) as session:
                denials.record_denial(session, actor, request.method, request.url.path, exc.http_status, exc.code, remote)
        except OperationalError:
            log.error("path=%s denial not audited: the database is not reachable", request.url.path)

    @app.exception_handler(OperationalError)
    async def database_down(request: Request, exc: OperationalError) -> JSONResponse:
        # Nothing was committed: the transaction failed as a whole, so the same request can simply be retried.
        log.warning("path=%s database unavailable: %s", request.url.path, type(exc.orig).__name__)
        err = ServiceUnavailable(
            "the database is not reachable; nothing was saved", fix="wait a moment and press the same key again"
        )
        return JSONResponse(err.as_dict(), status_code=err.http_status)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        where = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5])
        return JSONResponse(
            {"code": "bad_request", "message": where, "fix": "correct the request fields named"}, status_code=422
        )

    @app.get("/api/v1/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
