"""The FastAPI application. Errors are mapped to HTTP once, here."""

from __future__ import annotations

import logging
import time

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlmodel import Session

from intake import metrics
from intake.api.routes import audit, auth, batches, forms, group, records, reports, requests, residents, review
from intake.db import get_engine
from intake.errors import BadInput, IntakeError, ServiceUnavailable
from intake.messages import field_problem, lang_of
from intake.services import audit as audit_log
from intake.services import denials
from intake.services.readiness import check_database, check_redis, readiness
from intake.services.schedule_data import schedule
from intake.settings import Settings, get_settings

log = logging.getLogger("intake.api")


def create_app(settings: Settings | None = None) -> FastAPI:
    # The documentation's scripts come from the swagger-ui-bundle wheel, not a CDN: the ward's network is closed.
    app = FastAPI(title="予診票 intake", version="0.1.0", docs_url=None, redoc_url=None, openapi_url="/api/openapi.json")
    app.state.settings = settings or get_settings()
    state_metrics = metrics.state_registry(app.state.settings)
    schedule()  # the schedule data is validated at start-up: a typo stops the API with the line named
    for r in (
        batches.router,
        auth.router,
        group.router,
        review.router,
        records.router,
        audit.router,
        residents.router,
        reports.router,
        forms.router,
        requests.router,
    ):
        app.include_router(r, prefix="/api/v1")

    @app.middleware("http")
    async def remember_remote(request: Request, call_next):  # type: ignore[no-untyped-def]
        token = audit_log.current_remote.set(request.client.host if request.client else "")
        started = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            audit_log.current_remote.reset(token)
            route = _route_label(request)
            metrics.HTTP_REQUESTS.labels(request.method, route, str(status)).inc()
            metrics.HTTP_SECONDS.labels(route).observe(time.perf_counter() - started)

    @app.exception_handler(IntakeError)
    def intake_error(request: Request, exc: IntakeError) -> JSONResponse:
        log.info("path=%s status=%s code=%s", request.url.path, exc.http_status, exc.code)
        if exc.http_status in (401, 403):
            metrics.AUTH_FAILURES.labels(str(exc.http_status)).inc()
            if not exc.audited:
                _audit_denial(request, exc)
        return JSONResponse(exc.as_dict(_lang(request)), status_code=exc.http_status)

    def _lang(request: Request) -> str:
        return lang_of(request.headers.get("accept-language"), app.state.settings.lang)

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
    @app.exception_handler(ProgrammingError)
    async def database_down(request: Request, exc: OperationalError | ProgrammingError) -> JSONResponse:
        # Nothing was committed: the transaction failed as a whole, so the same request can simply be retried —
        # unless the schema is missing or behind (never migrated): then waiting will not help, and the message says so.
        schema = next((c for c in check_database(app.state.settings) if c.name == "schema"), None)
        if schema is not None and not schema.ok and "not reachable" not in schema.detail:
            log.error("path=%s database schema not ready: %s", request.url.path, schema.detail)
            err: IntakeError = ServiceUnavailable("db.schema_not_ready", **schema.params)
        else:
            log.warning("path=%s database unavailable: %s", request.url.path, type(exc.orig).__name__)
            err = ServiceUnavailable("db.unreachable_nothing_saved")
        return JSONResponse(err.as_dict(_lang(request)), status_code=err.http_status)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        lang = _lang(request)
        where = "; ".join(field_problem(e, lang) for e in exc.errors()[:5])
        err = BadInput("request.invalid", where=where)
        return JSONResponse(err.as_dict(lang), status_code=422)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        # a bug: the person reads one sentence; the log keeps the traceback
        log.exception("path=%s unexpected %s", request.url.path, type(exc).__name__)
        return JSONResponse(IntakeError("server.unexpected").as_dict(_lang(request)), status_code=500)

    @app.get("/api/v1/health")
    def health() -> dict[str, object]:
        """Liveness (always 200 while the process answers) with what the operator first asks: the database, its
        schema revision and Redis, each saying what is wrong. /api/v1/ready answers 503 when any check fails."""
        checks = [*check_database(app.state.settings), check_redis(app.state.settings)]
        return {
            "status": "ok" if all(c.ok for c in checks) else "degraded",
            **{c.name: {"ok": c.ok, "detail": c.detail, **({"fix": c.fix} if c.fix else {})} for c in checks},
        }

    @app.get("/api/v1/ready")
    def ready() -> JSONResponse:
        """Readiness: schema at head, Redis, store writable — each with what is wrong and what to do."""
        checks = readiness(app.state.settings)
        body = {
            "ready": all(c.ok for c in checks),
            "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail, "fix": c.fix} for c in checks],
        }
        return JSONResponse(body, status_code=200 if body["ready"] else 503)

    @app.get("/metrics", include_in_schema=False)
    def prometheus() -> Response:
        return Response(generate_latest(REGISTRY) + generate_latest(state_metrics), media_type=CONTENT_TYPE_LATEST)

    if app.state.settings.api_docs:
        _serve_docs(app)

    return app


def _serve_docs(app: FastAPI) -> None:
    from swagger_ui_bundle import swagger_ui_path

    app.mount("/api/docs-assets", StaticFiles(directory=swagger_ui_path), name="docs-assets")

    @app.get("/api/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/api/openapi.json",
            title="予診票 intake API",
            swagger_js_url="/api/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/api/docs-assets/swagger-ui.css",
            swagger_favicon_url="/api/docs-assets/favicon-32x32.png",
        )


def _route_label(request: Request) -> str:
    """The path with its parameters as names (/api/v1/review/pages/{page_id}/accept): a bounded label set, no ids."""
    if request.scope.get("route") is None:
        return "unmatched"
    label = request.url.path
    for name, value in request.path_params.items():
        label = label.replace(f"/{value}", "/{" + name + "}", 1)
    return label
