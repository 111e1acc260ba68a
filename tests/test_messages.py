"""Every failure a person can read comes from a code in the one catalogue (intake.messages), in Japanese and in
English, and is one line at every edge: the API's `{code, params, message, fix}`, the CLI's `エラー: … — … [code]`."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from intake.errors import BadInput, IntakeError
from intake.messages import CATALOGUE, render

ROOT = Path(__file__).resolve().parent.parent
ERROR_CLASSES = {
    "IntakeError", "BadInput", "NotFound", "Conflict", "Forbidden", "Unauthenticated", "UnsupportedFile",
    "UnreadableFile", "TooLarge", "UnknownClinic", "StaleVersion", "LockedByOther", "RecognitionError",
    "ServiceUnavailable", "ScheduleDataError", "BackupFailed", "ScheduleProblem",
}  # fmt: skip
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def _raised_codes() -> set[str]:
    """The first argument of every error constructed in the product: a literal code, or an f-string prefix."""
    codes: set[str] = set()
    for path in [*ROOT.glob("intake/**/*.py"), *ROOT.glob("review_ui/*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            if name not in ERROR_CLASSES or not node.args:
                continue
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                codes.add(first.value)
            elif isinstance(first, ast.JoinedStr):  # f"date.{exc.code}": every code of that family must exist
                prefix = first.values[0]
                assert isinstance(prefix, ast.Constant), f"{path}: an error code built without a literal prefix"
                codes.add(str(prefix.value) + "*")
            elif not (isinstance(first, ast.Attribute) and first.attr == "code") and not isinstance(first, ast.Call):
                # forwarding a code that is checked where it is made (a readiness check, the API's answer) is the
                # only other form
                raise AssertionError(f"{path}:{node.lineno}: {name}(...) without a code in the catalogue")
    return codes


def test_every_code_the_product_raises_is_in_the_catalogue() -> None:
    codes = _raised_codes()
    assert len(codes) > 60, codes  # the scan found the product's errors
    missing = sorted(c for c in codes if not c.endswith("*") and c not in CATALOGUE)
    assert missing == []
    for family in (c for c in codes if c.endswith("*")):
        assert any(k.startswith(family[:-1]) for k in CATALOGUE), family


def test_date_and_decode_problem_codes_all_have_words() -> None:
    """The codes ocr/ raises (it holds no words for persons) each have an entry."""
    date_codes = set(re.findall(r'DateProblem\("(\w+)"', (ROOT / "ocr/normalize.py").read_text(encoding="utf-8")))
    decode_codes = set(re.findall(r'DecodeError\(\s*"(\w+)"', (ROOT / "ocr/decode.py").read_text(encoding="utf-8")))
    assert date_codes >= {"empty", "not_calendar", "unreadable"} and len(decode_codes) >= 10
    assert sorted(c for c in date_codes if f"date.{c}" not in CATALOGUE) == []
    assert sorted(c for c in decode_codes if f"decode.{c}" not in CATALOGUE) == []


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_each_entry_reads_in_japanese_and_fills_every_parameter(code: str) -> None:
    text = CATALOGUE[code]
    assert JAPANESE.search(text.ja), f"{code}: the Japanese message has no Japanese"
    assert not JAPANESE.search(text.ja_fix) or text.ja_fix == "" or JAPANESE.search(text.ja_fix)
    if text.en_fix:
        assert text.ja_fix, f"{code}: English has a fix, Japanese has none"
    names = {f for part in text for _, f, _, _ in string.Formatter().parse(part) if f}
    params = {n.split("!")[0]: "X" for n in names}
    for lang in ("ja", "en"):
        message, fix = render(code, params, lang)
        assert "{" not in message + fix, (code, lang, message, fix)


def test_an_error_renders_in_the_language_asked_and_keeps_code_and_params() -> None:
    err = BadInput("line.bad_date", line=7, column="生年月日", value="令和6年13月1日")
    body = err.as_dict("ja")
    assert body["code"] == "line.bad_date" and body["kind"] == "bad_input"
    assert body["params"] == {"line": 7, "column": "生年月日", "value": "令和6年13月1日"}
    assert body["message"] == "7 行目: 生年月日「令和6年13月1日」は日付ではありません"
    assert "令和6年4月1日" in str(body["fix"])
    assert err.as_dict("en")["message"] == "line 7: 生年月日 '令和6年13月1日' is not a date"
    assert str(err).startswith("line 7")  # logs are English


def test_an_unknown_code_shows_as_itself_rather_than_failing() -> None:
    assert IntakeError("no.such.code").text("ja") == ("no.such.code", "")


def test_every_report_of_a_command_is_in_both_languages() -> None:
    """What a command says when it worked (intake.cli.say): each code it uses has Japanese and English."""
    from intake.messages import SAID, said

    cli = "".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "intake" / "cli").glob("*.py")))
    used = set(re.findall(r'say\(\s*"([a-z_.]+)"', cli))
    used |= set(re.findall(r'"(status\.check_(?:ok|bad)|purge\.(?:dry|done))"', cli))
    assert len(used) > 20 and sorted(used - set(SAID)) == []
    for code, (ja, en) in SAID.items():
        names = {f.split("!")[0].split(":")[0] for part in (ja, en) for _, f, _, _ in string.Formatter().parse(part) if f}
        params = {n: "1" for n in names}
        assert JAPANESE.search(said(code, params, "ja")), code
        assert "{" not in said(code, params, "ja") + said(code, params, "en"), code


def test_every_coded_message_the_services_build_has_words() -> None:
    """Schedule findings, match explanations and review reasons are built by code in intake/ too (msg(...),
    reasons.reason(...)): each code has both languages."""
    used: set[str] = set()
    for path in ROOT.glob("intake/**/*.py"):
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r'\bmsg\(\s*"([a-z_]+\.[a-z_]+)"', text))
        used |= set(re.findall(r'\breason\(\s*"([a-z_]+\.[a-z_]+)"', text))
        used |= set(re.findall(r'^[A-Z_]+ = "([a-z_]+\.[a-z_]+)"$', text, re.M))
    assert len(used) > 40, sorted(used)
    assert sorted(c for c in used if c not in CATALOGUE) == []
