"""Typed view of a form layout template (ocr/templates/*.yaml)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel

TEMPLATE_DIR = Path(__file__).parent / "templates"

Box = tuple[float, float, float, float]  # x, y, w, h in mm
FieldKind = Literal["checkbox_pair", "choice", "digits", "date", "dose", "lot", "text", "kana", "signature", "stamp"]


class ChoiceOption(BaseModel):
    value: str
    box: Box


class FieldSpec(BaseModel):
    name: str
    kind: FieldKind
    label: str = ""
    label_pos: tuple[float, float] | None = None
    row_y: float | None = None
    box: Box | None = None
    box_yes: Box | None = None
    box_no: Box | None = None
    cells: list[Box] = []
    options: list[ChoiceOption] = []
    format: str = ""
    suffix: str = ""
    era: str = ""
    separators: list[tuple[float, str]] = []
    validators: dict[str, float] = {}
    vocabulary: list[str] = []  # closed set of values (e.g. 続柄); a value outside it is never auto-accepted
    critical: bool = False

    def marks(self) -> list[Box]:
        """The boxes a mark is read from (a checkbox pair's two, a choice's options)."""
        return [b for b in (self.box_yes, self.box_no) if b is not None] + [o.box for o in self.options]

    def region(self) -> Box:
        """The whole area the field occupies (for crops shown to reviewers)."""
        boxes: list[Box] = [b for b in (self.box, self.box_yes, self.box_no) if b is not None]
        boxes += self.cells + [o.box for o in self.options]
        x0 = min(b[0] for b in boxes)
        y0 = min(b[1] for b in boxes)
        x1 = max(b[0] + b[2] for b in boxes)
        y1 = max(b[1] + b[3] for b in boxes)
        return (x0, y0, x1 - x0, y1 - y0)


class Markers(BaseModel):
    dictionary: str
    size_mm: float
    positions: dict[int, tuple[float, float]]


class Sheet(BaseModel):
    """What every printed sheet's template has: its layout name and its page size (mm)."""

    layout: str
    page: dict[str, float]

    @property
    def width_mm(self) -> float:
        return self.page["width_mm"]

    @property
    def height_mm(self) -> float:
        return self.page["height_mm"]


class Template(Sheet):
    """The form (ocr/templates/yoshin-*.yaml)."""

    markers: Markers
    qr: dict[str, Box]
    id_digits: dict[str, Box]
    title: dict[str, Any]
    subtitle: dict[str, Any]
    resident_block: list[dict[str, Any]]
    resident_value_x_mm: float = 24.0  # where, in each resident-block row, the printed value starts (printer and reader)
    questions_header: dict[str, Any]
    fields: list[FieldSpec]

    def field(self, name: str) -> FieldSpec:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


class Label(BaseModel):
    text: str
    pos: tuple[float, float]  # centre, mm
    size_mm: float


class Bars(BaseModel):
    count: int
    first_x_mm: float
    pitch_mm: float
    width_mm: float
    top_mm: float
    bottom_mm: float

    def boxes(self) -> list[Box]:
        height = self.bottom_mm - self.top_mm
        return [(self.first_x_mm + i * self.pitch_mm, self.top_mm, self.width_mm, height) for i in range(self.count)]


class SeparatorRecognition(BaseModel):
    band_mm: tuple[float, float]
    dark_share: float
    bar_width_mm: tuple[float, float]
    min_bars: int


class SeparatorTemplate(Sheet):
    """The separator sheet put between bundles (ocr/templates/separator-*.yaml): printed and recognised from here."""

    label: Label
    bars: Bars
    recognition: SeparatorRecognition


def _layout_file(layout: str) -> Any:
    path = TEMPLATE_DIR / f"{layout}.yaml"
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in TEMPLATE_DIR.glob("*.yaml")))
        raise FileNotFoundError(f"no template for layout {layout!r}; known layouts: {known}")
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@lru_cache(maxsize=8)
def load_template(layout: str) -> Template:
    return Template.model_validate(_layout_file(layout))


SEPARATOR_LAYOUT = "separator-v1"


@lru_cache(maxsize=2)
def load_separator(layout: str = SEPARATOR_LAYOUT) -> SeparatorTemplate:
    return SeparatorTemplate.model_validate(_layout_file(layout))
