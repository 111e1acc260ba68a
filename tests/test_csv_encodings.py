"""CSVs as the ward's PCs read and write them: downloads in UTF-8 with a BOM or, when asked, CP932; every CSV a
person gives read in either."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from intake.csv_out import encode_csv, open_csv
from intake.errors import BadInput
from intake.settings import Settings
from tests.support.api import login
from tests.support.env import ROOT

SQLITE = pytest.mark.parametrize("settings", ["sqlite"], indirect=True)


def test_cp932_output_marks_a_character_it_lacks_and_utf8_carries_a_bom() -> None:
    text = "氏名\n𠮷田 髙橋\n"  # 𠮷 is outside CP932; 髙 is in it (an IBM extension)
    assert encode_csv(text, "cp932").decode("cp932") == "氏名\n〓田 髙橋\n"
    assert encode_csv(text).startswith("\ufeff".encode()) and encode_csv(text).decode("utf-8-sig") == text


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "cp932"])
def test_a_csv_a_person_gives_is_read_in_either_encoding(tmp_path: Path, encoding: str) -> None:
    f = tmp_path / "lots.csv"
    f.write_bytes("ロット番号,接種種類コード\nAB12,MR\n".encode(encoding))
    with open_csv(f) as fh:
        assert fh.read().splitlines() == ["ロット番号,接種種類コード", "AB12,MR"]


def test_a_spreadsheet_is_refused_by_every_csv_reader(tmp_path: Path) -> None:
    f = tmp_path / "targets.csv"
    f.write_bytes(b"PK\x03\x04" + b"\x00" * 64)
    with pytest.raises(BadInput) as exc, open_csv(f):
        pass
    assert exc.value.code == "file.not_csv"


@SQLITE
def test_reports_and_records_download_in_cp932_when_asked(client: TestClient, settings: Settings) -> None:
    staff = login(client, "staff1")
    sjis = client.get(
        "/api/v1/reports/clinics", params={"month": "令和8年11月", "format": "csv", "encoding": "cp932"}, headers=staff
    )
    assert sjis.status_code == 200 and "shift_jis" in sjis.headers["content-type"]
    assert not sjis.content.startswith(b"\xef\xbb\xbf") and sjis.content.decode("cp932").startswith("月")
    records = client.get("/api/v1/records", params={"vaccine": "MR", "format": "csv", "encoding": "cp932"}, headers=staff)
    assert records.status_code == 200 and records.content.decode("cp932").startswith("宛名番号")
    bad = client.get("/api/v1/records", params={"vaccine": "MR", "format": "csv", "encoding": "latin1"}, headers=staff)
    assert bad.status_code == 422 and bad.json()["code"] == "request.invalid" and "encoding" in bad.json()["message"]


@SQLITE
def test_the_cli_writes_cp932_on_request_and_names_a_wrong_encoding(settings: Settings, tmp_path: Path) -> None:
    cli = [sys.executable, "-c", "from intake.cli import main; main()"]
    out = tmp_path / "yearly.csv"
    ok = subprocess.run(
        [*cli, "report", "yearly", "令和8", str(out), "--encoding", "sjis"], cwd=ROOT, capture_output=True, text=True
    )
    assert ok.returncode == 0, ok.stderr
    assert out.read_bytes().decode("cp932").startswith("年度")
    bad = subprocess.run(
        [*cli, "report", "yearly", "令和8", str(out), "--encoding", "latin1"], cwd=ROOT, capture_output=True, text=True
    )
    assert (
        bad.returncode == 2 and bad.stderr.startswith("エラー: 文字コード「latin1」はありません") and "cp932" in bad.stderr
    )


def test_a_csv_in_neither_encoding_is_one_clear_error(tmp_path: Path) -> None:
    """Bytes neither UTF-8 nor CP932 can hold (a CP932 lead byte with no valid trail byte): refused with the file named,
    wherever the first foreign byte sits (here after the first megabyte's worth of good rows is not needed)."""
    f = tmp_path / "register.csv"
    f.write_bytes(("宛名番号,氏名\n" + "000100000007,加藤 康子\n" * 3).encode("cp932") + b"000100000014,\x81\x20\n")
    with pytest.raises(BadInput) as exc, open_csv(f) as fh:
        fh.read()
    assert exc.value.code == "file.not_text" and exc.value.params["name"] == "register.csv"
