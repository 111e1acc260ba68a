"""Every refused request (401, 403) written to the audit log, in one place: the API's error handler calls
`record_denial`. Who (the principal, if the credentials said who), what (method and route), from where, and why
(the error's code). Services that audit a denial themselves with more detail (a failed login names the account)
mark the error `audited`, so no denial is written twice.

A flood (a script hammering one route with a bad key) is rate-limited without losing the count: per address,
route and status, the first `BURST` denials of a minute are written one by one; the rest are counted and written
as one row ("denied ×N") when that minute is over — at the next denial of any kind, or at shutdown (`flush`).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from sqlmodel import Session

from intake.services import audit

BURST = 20
WINDOW_S = 60.0


@dataclass
class _Window:
    start: float
    written: int = 0
    suppressed: int = 0
    actor: str = "anonymous"


_windows: dict[tuple[str, str, int], _Window] = {}
_lock = threading.Lock()


def record_denial(session: Session, actor: str, method: str, path: str, status: int, code: str, remote: str) -> None:
    """Audit one refused request (committed here: the request itself changed nothing)."""
    now = time.monotonic()
    key = (remote, f"{method} {path}", status)
    with _lock:
        due = _close_windows(now)
        w = _windows.setdefault(key, _Window(now, actor=actor))
        write = w.written < BURST
        if write:
            w.written += 1
        else:
            w.suppressed += 1
    for (d_remote, d_route, d_status), d in due:
        audit.record(session, d.actor, d_route, "route", f"×{d.suppressed} more", f"denied {d_status}", d_remote)
    if write:
        audit.record(session, actor, f"{method} {path}", "route", code, f"denied {status}", remote)
    if write or due:
        session.commit()


def _close_windows(now: float) -> list[tuple[tuple[str, str, int], _Window]]:
    """Windows whose minute is over: removed; those with suppressed denials returned for one summary row each."""
    over = [k for k, w in _windows.items() if now - w.start >= WINDOW_S]
    due = [(k, _windows[k]) for k in over if _windows[k].suppressed]
    for k in over:
        del _windows[k]
    return due


def flush(session: Session) -> None:
    """Write every pending count now (at shutdown), whatever its minute."""
    with _lock:
        due = [(k, w) for k, w in _windows.items() if w.suppressed]
        _windows.clear()
    for (remote, route, status), w in due:
        audit.record(session, w.actor, route, "route", f"×{w.suppressed} more", f"denied {status}", remote)
    if due:
        session.commit()


def reset() -> None:
    """Forget every window without writing (a new API process starts so; tests start so)."""
    with _lock:
        _windows.clear()
