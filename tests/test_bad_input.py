"""Bad input from an administrator or operator: one line that says what to fix, an exit code, nothing stored
half-way. Each case is one named in the ward-ready issue."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import Session, select

from intake.settings import Settings
from models import Clinic, Lot, Vaccine
from tests.support.env import ROOT

SQLITE = pytest.mark.parametrize("settings", ["sqlite"], indirect=True)


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from intake.cli import main; main()", *args], capture_output=True, text=True, cwd=ROOT
    )


def one_error(r: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in r.stderr, r.stderr
    errors = [line for line in r.stderr.splitlines() if line.startswith(("エラー:", "error:"))]
    assert len(errors) == 1, r.stderr
    return errors[0]


@SQLITE
def test_a_misspelt_role(settings: Settings) -> None:
    r = subprocess.run(
        [sys.executable, "-c", "from intake.cli import main; main()", "users", "create", "sato", "--role", "reviwer"],
        capture_output=True, text=True, cwd=ROOT, env={**__import__("os").environ, "INTAKE_NEW_PASSWORD": "x" * 12},
    )  # fmt: skip
    assert r.returncode == 2 and one_error(r) == (
        "エラー: 役割「reviwer」はありません — 次のいずれかを指定してください: scanner, reviewer, supervisor, staff, admin"
        " [value.choice]"
    )


@SQLITE
def test_revoking_a_key_that_does_not_exist(settings: Settings) -> None:
    r = cli("users", "revoke-key", "no-such-scanner")
    assert r.returncode == 3 and "ラベル「no-such-scanner」のスキャナキーはありません" in one_error(r)


@SQLITE
def test_a_dose_the_schedule_does_not_have(settings: Settings, tmp_path: Path) -> None:
    import csv

    from tests.support.env import SAMPLE

    atena = next(csv.DictReader((SAMPLE / "residents.csv").open(encoding="utf-8")))["宛名番号"]
    r = cli("forms", "print", "--resident", atena, "--vaccine", "MR", "--dose", "9", "--out", str(tmp_path / "f.pdf"))
    assert r.returncode == 2 and "第9回はありません" in one_error(r) and not (tmp_path / "f.pdf").exists()


def test_an_unknown_field_kind() -> None:
    r = cli("ocr-field", "--kind", "foo", str(ROOT / "docs" / "form.png"))
    assert r.returncode == 2 and one_error(r).startswith("エラー: 項目の種類「foo」はありません — 次のいずれかを指定")


@pytest.mark.parametrize("content", [b"", b"not an image\n", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40])
def test_a_field_image_that_is_no_image_is_refused_in_one_line(tmp_path: Path, content: bytes) -> None:
    """`intake ocr-field` on an empty file, text, or a PNG cut short: one line that says what to give, never a
    traceback or "unexpected error" (it was Pillow's UnidentifiedImageError, reported as unexpected)."""
    bad = tmp_path / "cell.png"
    bad.write_bytes(content)
    r = cli("ocr-field", "--kind", "digits", str(bad))
    assert r.returncode != 0 and one_error(r).endswith("[field_image.unreadable]"), r.stderr
    assert "cell.png は画像として読めません" in one_error(r)


@SQLITE
@pytest.mark.parametrize(
    "kind,text,expected",
    [
        ("vaccines", "接種種類コード,ワクチン名,接種量\nMR2,麻しん,1.5ml\nXX,謎,abc\n",
         ["3 行目: 接種量「abc」は数値ではありません"]),
        ("clinics", "実施機関コード,実施機関名\nabc,\n1310099,\n", ["2 行目: 実施機関コード「abc」は数字ではありません",
                                                          "3 行目: 実施機関名が空欄です"]),
        ("lots", "ロット番号,接種種類コード,有効期限\nZ1,MR,2027-13-01\nZ2,NOPE,2027-01-01\nZ3,MR,someday\n",
         ["2 行目: 有効期限", "3 行目: 接種種類コード「NOPE」", "4 行目: 有効期限"]),
    ],
)  # fmt: skip
def test_every_bad_master_row_is_named_and_nothing_is_stored(
    settings: Settings, session: Session, tmp_path: Path, kind: str, text: str, expected: list[str]
) -> None:
    table = {"vaccines": Vaccine, "clinics": Clinic, "lots": Lot}[kind]
    before = len(session.exec(select(table)).all())
    f = tmp_path / f"{kind}.csv"
    f.write_text(text, encoding="utf-8")
    r = cli("masters", "import", kind, str(f))
    lines = [line.strip() for line in r.stderr.splitlines() if " 行目: " in line]
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert len(lines) == len(expected) and all(line.startswith(e) for line, e in zip(lines, expected, strict=True)), lines
    session.expire_all()
    assert len(session.exec(select(table)).all()) == before


@SQLITE
def test_a_spreadsheet_given_as_csv(settings: Settings, tmp_path: Path) -> None:
    xlsx = tmp_path / "register.xlsx"
    xlsx.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    r = cli("residents", "import", str(xlsx))
    assert r.returncode == 2 and "register.xlsx は表計算ソフトの形式かバイナリで、CSVではありません" in one_error(r)


@pytest.mark.parametrize(
    "args,said",
    [
        (["upload", "bundle.pdf"], "オプション --clinic がありません"),
        (["purge", "--years", "five"], "--years の値が数値ではありません"),
        (["reprot", "yearly"], "コマンド reprot はありません"),
    ],
    ids=["missing-option", "word-for-a-number", "misspelt-command"],
)
def test_a_command_given_wrong_is_one_japanese_line(args: list[str], said: str) -> None:
    """typer's own usage errors (a box of English) are said like every other error: one line, what to do."""
    r = cli(*args)
    line = one_error(r)
    assert r.returncode == 2 and said in line and "--help で使い方を確認してください [cli.usage]" in line, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


@SQLITE
def test_an_unknown_vaccine_and_an_unknown_resident_for_a_printed_form(settings: Settings, tmp_path: Path) -> None:
    import csv

    from tests.support.env import SAMPLE

    atena = next(csv.DictReader((SAMPLE / "residents.csv").open(encoding="utf-8")))["宛名番号"]
    r = cli("forms", "print", "--resident", atena, "--vaccine", "XX", "--dose", "1", "--out", str(tmp_path / "f.pdf"))
    assert r.returncode == 3 and "接種種類「XX」はワクチンマスタにありません" in one_error(r)
    r = cli(
        "forms", "print", "--resident", "999999999999", "--vaccine", "MR", "--dose", "1", "--out", str(tmp_path / "f.pdf")
    )
    assert r.returncode == 3 and "住民 999999999999 が見つかりません" in one_error(r)
    assert not (tmp_path / "f.pdf").exists()


def test_an_upload_for_an_unknown_clinic_is_refused_in_one_line(tmp_path: Path) -> None:
    """The API refuses (422 upload.unknown_clinic); the scanner's command says it in one line, in Japanese."""
    import threading

    import uvicorn

    from intake.api.app import create_app
    from intake.demo import DEMO_SCANNER_KEY, setup_demo
    from tests.support.env import REDIS_URL, SAMPLE

    s = Settings(var_dir=tmp_path / "var", redis_url=REDIS_URL, queue_name=f"bad-clinic-{tmp_path.name}")
    list(setup_demo(s, SAMPLE))
    server = uvicorn.Server(uvicorn.Config(create_app(s), host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        __import__("time").sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        batch = str(SAMPLE / "batches" / "batch_00.pdf")
        r = cli(
            "upload", batch, "--clinic", "0000000", "--api-url", f"http://127.0.0.1:{port}", "--api-key", DEMO_SCANNER_KEY
        )
    finally:
        server.should_exit = True
        thread.join(10)
    assert r.returncode == 2 and "実施機関コード「0000000」は医療機関マスタにありません" in one_error(r)
    assert "[upload.unknown_clinic]" in one_error(r)


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (
            ("masters", "import", "vaccine", "x.csv"),
            "種類「vaccine」はありません — 次のいずれかを指定してください: vaccines, lots, clinics",
        ),
        (
            ("report", "weekly", "2026", "x.csv"),
            "種類「weekly」はありません — 次のいずれかを指定してください: yearly, clinics",
        ),
        (
            ("ocr-field", "--kind", "digit", "x.png"),
            "項目の種類「digit」はありません — 次のいずれかを指定してください: digits, date,",
        ),
    ],
)
def test_every_kind_argument_is_a_choice_refused_in_one_line(args: tuple[str, ...], said: str) -> None:
    """The CLI's "kind" arguments are typer choices: a value not among them is refused before anything runs, in the
    same one line (and code) as every other choice."""
    r = cli(*args)
    assert r.returncode == 2 and said in one_error(r) and one_error(r).endswith("[value.choice]")
