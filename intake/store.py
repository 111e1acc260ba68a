"""Content-addressed store for originals and derived page images.

Files are written once under their SHA-256 (write to a temp file, fsync, rename) and never
overwritten or deleted by the pipeline; only the retention purge removes them.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from intake.errors import NotFound


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class ContentStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, digest: str) -> Path:
        return self.root / digest[:2] / digest[2:4] / digest

    def put(self, data: bytes) -> str:
        digest = sha256_of(data)
        target = self.path_for(digest)
        if target.exists():
            return digest
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o440)  # read-only: originals are immutable
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return digest

    def get(self, digest: str) -> bytes:
        path = self.path_for(digest)
        if not path.exists():
            raise NotFound("store.file_missing", digest=digest[:12])
        return path.read_bytes()

    def exists(self, digest: str) -> bool:
        return self.path_for(digest).exists()

    def delete(self, digest: str) -> bool:
        """Only for the retention purge."""
        path = self.path_for(digest)
        if path.exists():
            path.unlink()
            return True
        return False
