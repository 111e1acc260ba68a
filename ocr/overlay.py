"""A registered page with every field outlined and coloured by how sure the machine is (for people:
README pictures, supervisors, debugging a template)."""

from __future__ import annotations

import cv2
import numpy as np

from ocr.register import PX_PER_MM
from ocr.template import Template
from ocr.types import FieldReading, Gray

GREEN, AMBER, RED = (40, 160, 40), (0, 150, 230), (40, 40, 220)  # BGR


def outline_fields(registered: Gray, template: Template, fields: dict[str, FieldReading]) -> np.ndarray:
    out = cv2.cvtColor(registered, cv2.COLOR_GRAY2BGR)
    k = PX_PER_MM
    for spec in template.fields:
        r = fields.get(spec.name)
        if r is None:
            continue
        color = GREEN if r.auto_ok else AMBER if r.confidence >= 0.6 else RED
        x, y, w, h = spec.region()
        cv2.rectangle(out, (int((x - 1) * k), int((y - 1) * k)), (int((x + w + 1) * k), int((y + h + 1) * k)), color, 3)
        label = f"{spec.name} {r.confidence:.2f}"
        cv2.putText(out, label, (int((x - 1) * k), int((y - 1.5) * k)), cv2.FONT_HERSHEY_SIMPLEX, 0.6, color, 2)
    return np.asarray(out, dtype=np.uint8)
