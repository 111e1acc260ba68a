"""Progress of a long command on standard error — done / total, rate, time left — at most once a second, so a
person sees it moving (targets over 740,000 residents, a 500-page corpus, an evaluation) and a log stays short."""

from __future__ import annotations

import sys
import time
from typing import TextIO

# What is counted, in the installation's language (INTAKE_LANG): the command's step and its unit.
WORDS = {
    "check": "検査", "write": "書込", "print": "印刷", "synth": "合成", "eval": "評価", "match": "照合",
    "targets": "対象抽出", "backup": "バックアップ", "restore": "復元", "purge": "削除",
    "rows": "行", "forms": "枚", "pages": "ページ", "residents": "人", "files": "ファイル", "records": "件",
}  # fmt: skip


class Progress:
    def __init__(
        self,
        what: str,
        total: int | None = None,
        unit: str = "",
        every: float = 1.0,
        out: TextIO | None = None,
        lang: str | None = None,
    ):
        self.what, self.total, self.unit, self.every = what, total, unit, every
        self.lang = lang or _lang()
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
        ja = self.lang != "en"
        what, unit = (WORDS.get(self.what, self.what), WORDS.get(self.unit, self.unit)) if ja else (self.what, self.unit)
        line = f"  {what}: {self.done:,}" + (f"/{self.total:,}" if self.total else "") + f" {unit}".rstrip()
        line += f"（{rate:,.1f}/秒" if ja else f" ({rate:,.1f}/s"
        if self.total and rate > 0 and not final:
            left = (self.total - self.done) / rate
            if ja:
                line += f"、残り約 {left / 60:.0f} 分" if left >= 90 else f"、残り約 {left:.0f} 秒"
            else:
                line += f", about {left / 60:.0f} min left" if left >= 90 else f", about {left:.0f} s left"
        if final:
            line += f"、{elapsed:.0f} 秒）" if ja else f", {elapsed:.0f} s)"
        else:
            line += "）" if ja else ")"
        print(line, file=self.out, flush=True)

    def finish(self) -> None:
        """The last line: the count reached and the time it took."""
        self._say(final=True)


def _lang() -> str:
    from intake.settings import get_settings

    return get_settings().lang
