"""Secrets kept outside the database (the audit chain's HMAC key, the 個人番号 encryption key): from a setting, or
a file readable by the service's user only, created on first use."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path


def secret(value: str, path: Path, make: Callable[[], str]) -> str:
    """`value` when set; else the content of `path`, written first with `make()` (mode 0600, folder 0700)."""
    if value:
        return value
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(make())
    return path.read_text().strip()
