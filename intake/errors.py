"""The one exception hierarchy. Each error carries a stable code, a message that says what to fix,
and how each edge reports it: an HTTP status (API), a page status reason (worker), an exit code (CLI).
"""

from __future__ import annotations


class IntakeError(Exception):
    code = "intake_error"
    http_status = 400
    exit_code = 1

    def __init__(self, message: str, *, fix: str = "", audited: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix
        self.audited = audited  # the raiser already wrote this denial to the audit log (with more detail)

    def __str__(self) -> str:
        return f"{self.message} — {self.fix}" if self.fix else self.message

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message, "fix": self.fix}


class BadInput(IntakeError):
    code = "bad_input"
    http_status = 422
    exit_code = 2


class UnsupportedFile(BadInput):
    code = "unsupported_file"
    http_status = 415


class UnreadableFile(BadInput):
    code = "unreadable_file"


class TooLarge(BadInput):
    code = "too_large"
    http_status = 413


class UnknownClinic(BadInput):
    code = "unknown_clinic"


class NotFound(IntakeError):
    code = "not_found"
    http_status = 404
    exit_code = 3


class Unauthenticated(IntakeError):
    code = "unauthenticated"
    http_status = 401
    exit_code = 4


class Forbidden(IntakeError):
    code = "forbidden"
    http_status = 403
    exit_code = 4


class Conflict(IntakeError):
    code = "conflict"
    http_status = 409
    exit_code = 5


class StaleVersion(Conflict):
    code = "stale_version"


class LockedByOther(Conflict):
    code = "locked"


class RecognitionError(IntakeError):
    """A page the pipeline cannot read; the worker turns it into a `failed` or review reason."""

    code = "recognition_error"
    http_status = 422
    exit_code = 6


class ServiceUnavailable(IntakeError):
    code = "service_unavailable"
    http_status = 503
    exit_code = 7


def from_os_error(exc: OSError) -> BadInput:
    """A file a person named that cannot be opened (missing, a folder, not readable, not writable): the same
    one-line error with a fix as every other bad input, at every edge that takes a path."""
    where = exc.filename or "the file"
    return BadInput(f"cannot use {where}: {exc.strerror or type(exc).__name__}", fix="check the path and its permissions")
