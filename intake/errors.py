"""The one exception hierarchy. Each error carries a stable code, a message that says what to fix,
and how each edge reports it: an HTTP status (API), a page status reason (worker), an exit code (CLI).
"""

from __future__ import annotations

from typing import Any


class IntakeError(Exception):
    """`code` names the failure in intake.messages (the words, in Japanese and English); `params` fill it in.
    The class says how each edge reports it: `kind`, an HTTP status, an exit code."""

    kind = "intake_error"
    http_status = 400
    exit_code = 1

    def __init__(self, code: str, /, *, audited: bool = False, **params: Any) -> None:
        from intake.messages import render

        self.code = code
        self.params = {k: v if isinstance(v, (int, float)) else str(v) for k, v in params.items()}
        self.message, self.fix = render(code, self.params, "en")  # logs and operators' files are English
        super().__init__(self.message)
        self.audited = audited  # the raiser already wrote this denial to the audit log (with more detail)

    def __str__(self) -> str:
        return f"{self.message} — {self.fix}" if self.fix else self.message

    def text(self, lang: str) -> tuple[str, str]:
        """(message, fix) as a person reads them."""
        from intake.messages import render

        return render(self.code, self.params, lang)

    def as_dict(self, lang: str = "ja") -> dict[str, object]:
        message, fix = self.text(lang)
        return {"code": self.code, "kind": self.kind, "params": self.params, "message": message, "fix": fix}


class BadInput(IntakeError):
    kind = "bad_input"
    http_status = 422
    exit_code = 2


class LinesRejected(BadInput):
    """A file refused as a whole (nothing stored, nothing printed) because of bad lines: each is in `lines`, by code,
    for the edge to name them all."""

    def __init__(self, name: str, lines: list[IntakeError]) -> None:
        super().__init__("csv.rejected", name=name, count=len(lines))
        self.lines = lines


class UnsupportedFile(BadInput):
    kind = "unsupported_file"
    http_status = 415


class UnreadableFile(BadInput):
    kind = "unreadable_file"


class TooLarge(BadInput):
    kind = "too_large"
    http_status = 413


class UnknownClinic(BadInput):
    kind = "unknown_clinic"


class NotFound(IntakeError):
    kind = "not_found"
    http_status = 404
    exit_code = 3


class Unauthenticated(IntakeError):
    kind = "unauthenticated"
    http_status = 401
    exit_code = 4


class Forbidden(IntakeError):
    kind = "forbidden"
    http_status = 403
    exit_code = 4


class Conflict(IntakeError):
    kind = "conflict"
    http_status = 409
    exit_code = 5


class StaleVersion(Conflict):
    kind = "stale_version"


class LockedByOther(Conflict):
    kind = "locked"


class RecognitionError(IntakeError):
    """A page the pipeline cannot read; the worker turns it into a `failed` or review reason."""

    kind = "recognition_error"
    http_status = 422
    exit_code = 6


class ServiceUnavailable(IntakeError):
    kind = "service_unavailable"
    http_status = 503
    exit_code = 7


def from_os_error(exc: OSError) -> BadInput:
    """A file a person named that cannot be opened (missing, a folder, not readable, not writable): the same
    one-line error with a fix as every other bad input, at every edge that takes a path."""
    import errno

    name = errno.errorcode.get(exc.errno or 0, "")  # the words for the OS's reason are chosen by intake.messages
    return BadInput("file.cannot_use", path=exc.filename or "?", detail=exc.strerror or type(exc).__name__, errno=name)
