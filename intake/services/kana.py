"""Kana folding for matching and search: what OCR and people vary, folded away."""

from __future__ import annotations

import unicodedata

_SMALL = str.maketrans("ァィゥェォッャュョヮヵヶ", "アイウエオツヤユヨワカケ")
_VOICED_VARIANTS = str.maketrans("ヂヅヲ", "ジズオ")


def to_katakana(s: str) -> str:
    return "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in s)


def fold_kana(s: str) -> str:
    """NFKC (half-width → full-width), hiragana → katakana, small → large kana, ヂ/ヅ/ヲ → ジ/ズ/オ,
    long-vowel marks and spaces dropped. 'ｻﾄｳ ﾊﾅｺ', 'さとう　はなこ' and 'サトー ハナコ' fold alike."""
    s = unicodedata.normalize("NFKC", s)
    s = to_katakana(s).translate(_SMALL).translate(_VOICED_VARIANTS)
    return "".join(c for c in s if c not in " \u3000ー-・")
