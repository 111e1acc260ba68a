"""Kanji name folding for matching: variant kanji (異体字) to their common form, so 髙橋 finds 高橋.

Two sources: jntajis-python's official MJ shrink maps (characters outside JIS X 0208, e.g. 髙, 𠮷), and a
short table reviewed by hand for 旧字 pairs that are distinct JIS characters (邊/邉→辺, 齋→斎, 澤→沢 …).
Large generic itaiji tables are avoided: they contain pairs that are different names."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

REVIEWED_VARIANTS = {
    "髙": "高",
    "﨑": "崎",
    "邊": "辺",
    "邉": "辺",
    "齋": "斎",
    "齊": "斉",
    "澤": "沢",
    "濵": "浜",
    "濱": "浜",
    "𠮷": "吉",
    "嶋": "島",
    "槇": "槙",
    "國": "国",
    "廣": "広",
    "櫻": "桜",
    "冨": "富",
}


@lru_cache(maxsize=65536)
def _fold_char(ch: str) -> str:
    if ch in REVIEWED_VARIANTS:
        return REVIEWED_VARIANTS[ch]
    if ord(ch) < 0x3400:  # ASCII, kana and symbols: nothing to shrink
        return ch
    try:
        import jntajis

        candidates = jntajis.mj_shrink_candidates(
            ch,
            jntajis.MJShrinkSchemeCombo.JIS_INCORPORATION_UCS_UNIFICATION_RULE
            | jntajis.MJShrinkSchemeCombo.INFERENCE_BY_READING_AND_GLYPH,
        )
    except ImportError:
        return ch
    return str(candidates[0]) if candidates else ch


def fold_name(name: str) -> str:
    """NFKC, spaces dropped, each variant kanji replaced by its common form."""
    s = unicodedata.normalize("NFKC", name)
    return "".join(_fold_char(c) for c in s if not c.isspace())
