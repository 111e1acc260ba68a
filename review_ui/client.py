"""The review UI's only way to data: the API. Errors come back as (code, message, fix), worded by the API in the
reviewer's language (Accept-Language) from the one catalogue, intake.messages."""

from __future__ import annotations

from typing import Any

import httpx

from intake.messages import render


class ApiError(Exception):
    def __init__(self, status: int, message: str, fix: str = "", code: str = "") -> None:
        super().__init__(message)
        self.status, self.message, self.fix, self.code = status, message, fix, code


_http: httpx.Client | None = None


def _client() -> httpx.Client:
    """One pooled client per UI process: a new httpx client per call cost ~40 ms (TLS context, connection)."""
    global _http
    if _http is None:
        _http = httpx.Client(timeout=30)
    return _http


class Api:
    def __init__(self, base_url: str, token: str = "", lang: str = "ja") -> None:
        self.base = base_url.rstrip("/") + "/api/v1"
        self.token = token
        self.lang = lang

    def _req(self, method: str, path: str, **kw: Any) -> httpx.Response:
        headers = {"Accept-Language": self.lang, **({"Authorization": f"Bearer {self.token}"} if self.token else {})}
        try:
            r = _client().request(method, self.base + path, headers=headers, **kw)
        except httpx.TransportError as exc:  # API stopped, unreachable, too slow: a sentence, never a traceback
            message, _ = render("api.unreachable", {"where": f"{type(exc).__name__}: {self.base}"}, self.lang)
            fix = (
                "wait a moment and try again; if it persists, call the administrator"
                if self.lang == "en"
                else "しばらく待ってからもう一度操作してください。続く場合は管理者に連絡してください"
            )
            raise ApiError(0, message, fix, "api.unreachable") from None
        if r.status_code >= 400:
            try:
                body = r.json()
            except ValueError:  # not our API's answer (a proxy's error page): said as the server's failure
                body = {"code": "server.unexpected"}
            code = str(body.get("code", "server.unexpected"))
            message, fix = body.get("message") or "", body.get("fix") or ""
            if not message:
                message, fix = render(code, body.get("params") or {}, self.lang)
            raise ApiError(r.status_code, message, fix, code)
        return r

    def login(self, username: str, password: str) -> dict[str, Any]:
        body: dict[str, Any] = self._req("POST", "/auth/login", json={"username": username, "password": password}).json()
        self.token = body["token"]
        return body

    def logout(self) -> None:
        self._req("POST", "/auth/logout")

    def next_form(self, batch_id: str = "", clinic: str = "", reason: str = "") -> dict[str, Any] | None:
        params = {k: v for k, v in {"batch_id": batch_id, "clinic": clinic, "reason": reason}.items() if v}
        out: dict[str, Any] | None = self._req("POST", "/review/next", params=params).json()
        return out

    def queue(self) -> dict[str, Any]:
        out: dict[str, Any] = self._req("GET", "/review/queue").json()
        return out

    def page(self, page_id: int) -> dict[str, Any]:
        out: dict[str, Any] = self._req("GET", f"/review/pages/{page_id}").json()
        return out

    def image(self, page_id: int) -> bytes:
        return self._req("GET", f"/review/pages/{page_id}/image").content

    def candidates(self, page_id: int, kana: str = "", birth_date: str = "", atena_no: str = "") -> list[dict[str, Any]]:
        params = {k: v for k, v in {"kana": kana, "birth_date": birth_date, "atena_no": atena_no}.items() if v}
        out: list[dict[str, Any]] = self._req("GET", f"/review/pages/{page_id}/candidates", params=params).json()
        return out

    def accept(
        self, page_id: int, version: int, atena_no: str, values: dict[str, str], acknowledged: bool = False
    ) -> dict[str, Any]:
        body = {"version": version, "atena_no": atena_no, "values": values, "acknowledged": acknowledged}
        out: dict[str, Any] = self._req("POST", f"/review/pages/{page_id}/accept", json=body).json()
        return out

    def reject(self, page_id: int, version: int, reason: str) -> None:
        self._req("POST", f"/review/pages/{page_id}/reject", json={"version": version, "reason": reason})

    def records(self, **params: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = self._req("GET", "/records", params={k: v for k, v in params.items() if v}).json()
        return out

    def defer(self, page_id: int, version: int, reason: str) -> None:
        self._req("POST", f"/review/pages/{page_id}/defer", json={"version": version, "reason": reason})

    def stats(self) -> dict[str, Any]:
        out: dict[str, Any] = self._req("GET", "/review/stats").json()
        return out

    def resident_history(self, atena_no: str) -> dict[str, Any]:
        out: dict[str, Any] = self._req("GET", f"/residents/{atena_no}/history").json()
        return out

    def certificate(self, atena_no: str) -> bytes:
        return self._req("GET", f"/residents/{atena_no}/certificate").content

    def reissue(self, atena_no: str, vaccine_code: str, dose_no: int, reason: str) -> tuple[bytes, str, str]:
        """(the PDF, its new 予診票番号, the numbers voided)"""
        body = {"atena_no": atena_no, "vaccine_code": vaccine_code, "dose_no": dose_no, "reason": reason}
        r = self._req("POST", "/forms/reissue", json=body)
        return r.content, r.headers.get("X-Form-No", ""), r.headers.get("X-Voided", "")

    def request_letter(self, body: dict[str, Any]) -> tuple[bytes, str, str]:
        """(the PDF, 依頼番号, the letter's id)"""
        r = self._req("POST", "/requests", json=body)
        return r.content, r.headers.get("X-Request-No", ""), r.headers.get("X-Request-Id", "")

    def request_letters(self, atena_no: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = self._req("GET", "/requests", params={"atena_no": atena_no}).json()
        return out

    def enter_returned(self, request_id: int, body: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = self._req("POST", f"/requests/{request_id}/record", json=body).json()
        return out

    def issued_forms(self, atena_no: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = self._req("GET", "/forms/issued", params={"atena_no": atena_no}).json()
        return out

    def report(self, kind: str, period: str, fmt: str = "json") -> Any:
        key = "fiscal_year" if kind == "yearly" else "month"
        r = self._req("GET", f"/reports/{kind}", params={key: period, "format": fmt})
        return r.text if fmt == "csv" else r.json()

    def group_take(self, field: str, batch_id: int | None = None) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"field": field, **({"batch_id": batch_id} if batch_id is not None else {})}
        out: list[dict[str, Any]] = self._req("POST", "/review/group/take", params=params).json()
        return out

    def group_confirm(self, field: str, items: list[dict[str, Any]]) -> dict[str, Any]:
        body = {"items": [{"page_id": i["page_id"], "version": i["version"], "value": i["value"]} for i in items]}
        out: dict[str, Any] = self._req("POST", "/review/group/confirm", params={"field": field}, json=body).json()
        return out

    def crop(self, page_id: int, field: str) -> bytes:
        return self._req("GET", f"/review/pages/{page_id}/crop/{field}").content

    def batches(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = self._req("GET", "/batches").json()
        return out
