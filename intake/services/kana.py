"""Kana folding for matching and search: what OCR and people vary, folded away."""

from __future__ import annotations

import unicodedata

_SMALL = str.maketrans("ァィゥェォッャュョヮヵヶ", "アイウエオツヤユヨワカケ")
_VOICED_VARIANTS = str.maketrans("ヂヅヲ", "ジズオ")
# Kanji that OCR reads in place of the katakana they look like (ロ→口 above all). In a kana field a kanji is
# never right, so it folds back: ヨシ口ウ reads as ヨシロウ.
KANJI_LOOKALIKES = str.maketrans("口力工二夕卜八才一", "ロカエニタトハオー")


def to_katakana(s: str) -> str:
    return "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in s)


# Kana that OCR and handwriting confuse with each other (after voicing marks are loosened).
CONFUSABLE_KANA = (
    ("シ", "ツ"),
    ("ソ", "ン"),
    ("ウ", "ー"),
    ("ユ", "コ"),
    ("ロ", "口"),
    ("ワ", "ク"),
    ("チ", "テ"),
    ("ノ", "メ"),
)


def confusion_variants(s: str) -> set[str]:
    """s with one confusable kana swapped for its partner, at each place it occurs."""
    out = set()
    for i, c in enumerate(s):
        for a, b in CONFUSABLE_KANA:
            if c in (a, b):
                out.add(s[:i] + (b if c == a else a) + s[i + 1 :])
    return out


def loosen_kana(folded: str) -> str:
    """Voicing marks dropped (ダ→タ, バ/パ→ハ): the commonest OCR and handwriting kana confusion. For blocking
    and for scoring a near match, never for an exact one."""
    return "".join(c for c in unicodedata.normalize("NFD", folded) if c not in "\u3099\u309a")


_O_ROW = set("オコゴソゾトドノホボポモヨョロヲ")
_U_ROW = set("ウクグスズツヅヌフブプムユュルゥ")
_E_ROW = set("エケゲセゼテデネヘベペメレ")


def _fold_long_vowels(s: str) -> str:
    """Long vowels written three ways fold to one: トウ/トー/ト, ユウ/ユー/ユ, オオ/オー/オ, エイ/エー/エ."""
    out: list[str] = []
    for c in s:
        prev = out[-1] if out else ""
        if (
            c == "ー"
            or (c == "ウ" and prev in _O_ROW | _U_ROW)
            or (c == "オ" and prev in _O_ROW)
            or (c == "イ" and prev in _E_ROW)
        ):
            continue
        out.append(c)
    return "".join(out)


def fold_kana(s: str) -> str:
    """NFKC (half-width → full-width), kanji lookalikes → katakana (口→ロ), hiragana → katakana, small → large
    kana, ヂ/ヅ/ヲ → ジ/ズ/オ, long vowels folded, spaces dropped.
    'ｻﾄｳ ﾊﾅｺ', 'さとう　はなこ' and 'サトー ハナコ' fold alike."""
    s = unicodedata.normalize("NFKC", s).translate(KANJI_LOOKALIKES)
    s = to_katakana(s)
    s = "".join(c for c in s if c not in " \u3000-・")
    return _fold_long_vowels(s).translate(_SMALL).translate(_VOICED_VARIANTS)
