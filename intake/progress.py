"""Progress of a long command on standard error — done / total, rate, time left — at most once a second, so a
person sees it moving (targets over 740,000 residents, a 500-page corpus, an evaluation) and a log stays short."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    def __init__(self, what: str, total: int | None = None, unit: str = "", every: float = 1.0, out: TextIO | None = None):
        self.what, self.total, self.unit, self.every = what, total, unit, every
        self.out = out or sys.stderr
        self.done = 0
        self.started = time.monotonic()
        self._said = 0.0

    def __call__(self, done: int | None = None, total: int | None = None) -> None:
        """Record progress (absolute `done`, or one more); print if a second has passed."""
        self.done = self.done + 1 if done is None else done
        self.total = total if total is not None else self.total
        if time.monotonic() - self._said >= self.every:
            self._say()

    def _say(self, final: bool = False) -> None:
        self._said = time.monotonic()
        elapsed = max(self._said - self.started, 1e-6)
        rate = self.done / elapsed
        line = f"  {self.what}: {self.done:,}" + (f"/{self.total:,}" if self.total else "") + f" {self.unit}".rstrip()
        line += f" ({rate:,.1f}/s"
        if self.total and rate > 0 and not final:
            left = (self.total - self.done) / rate
            line += f", about {left / 60:.0f} min left" if left >= 90 else f", about {left:.0f} s left"
        line += f", {elapsed:.0f} s)" if final else ")"
        print(line, file=self.out, flush=True)

    def finish(self) -> None:
        self._say(final=True)
