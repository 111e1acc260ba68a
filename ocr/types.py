"""Typed values passed between the recognition stages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from ocr.codes import FormIdentity

Gray = npt.NDArray[np.uint8]


Param = str | int | float


@dataclass(frozen=True)
class Message:
    """What a stage says of a field or a page, by code: ocr/ holds no words for persons — the one catalogue
    (intake.messages) words it in Japanese or English at the edge that shows it. `params` fill the words."""

    code: str
    params: tuple[tuple[str, Param], ...] = ()

    def as_json(self) -> dict[str, object]:
        return {"code": self.code, "params": dict(self.params)}

    def __str__(self) -> str:  # for logs
        return self.code + (" " + ", ".join(f"{k}={v}" for k, v in self.params) if self.params else "")


def msg(code: str, **params: Param) -> Message:
    return Message(code, tuple(params.items()))


class PageUnreadable(Exception):
    """The page cannot be processed at all; the message is what a reviewer or operator reads."""


@dataclass(frozen=True)
class Registration:
    ok: bool
    image: Gray | None  # warped onto the template at ocr.register.PX_PER_MM
    markers_found: int
    error_mm: float  # RMS reprojection error of the marker corners, or the alignment residual
    reason: tuple[Message, ...] = ()  # why not placed, or the caveats of a placement (each a coded message)
    residual_mm: float = float("inf")  # printed structure vs template after correction (ocr.verify), 90th pct
    trusted: bool = False  # residual within tolerance: fields may be auto-accepted
    anchors: int = 0  # printed landmarks found


@dataclass
class FieldReading:
    name: str
    kind: str
    value: str
    confidence: float
    engine: str
    evidence: dict[str, Any] = field(default_factory=dict)
    messages: list[Message] = field(default_factory=list)
    auto_ok: bool = False  # confident and validated: needs no stop in review

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "value": self.value,
            "confidence": round(self.confidence, 4),
            "engine": self.engine,
            "evidence": self.evidence,
            "messages": [m.as_json() for m in self.messages],
            "auto_ok": self.auto_ok,
        }


@dataclass
class PageResult:
    page_kind: str  # form | blank | separator | unknown
    registration: Registration | None = None
    identity: FormIdentity | None = None
    identity_source: str = ""  # qr | digits | none
    identity_problem: tuple[Message, ...] = ()
    fields: dict[str, FieldReading] = field(default_factory=dict)
    review_reasons: list[Message] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    printed: dict[str, str] = field(default_factory=dict)  # the printed resident block as read
