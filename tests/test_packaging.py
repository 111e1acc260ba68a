import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from intake.cli import app
from tests.support.env import ROOT


def test_compose_parses_and_every_command_exists() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert {"postgres", "redis", "api", "worker", "ui"} <= set(compose["services"])
    assert "noeviction" in compose["services"]["redis"]["command"] and "yes" in compose["services"]["redis"]["command"]
    runner = CliRunner()
    for name in ("api", "worker", "ui"):
        cmd = compose["services"][name]["command"]
        assert cmd[0] == "intake"
        r = runner.invoke(app, [cmd[1], "--help"])
        assert r.exit_code == 0, (name, r.output)


def test_help_lists_every_command_with_an_example() -> None:
    out = subprocess.run(
        [sys.executable, "-c", "from intake.cli import main; main()", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    ).stdout
    for cmd in (
        "upload",
        "worker",
        "serve",
        "ui",
        "residents",
        "masters",
        "ocr-field",
        "ocr-overlay",
        "reconcile",
        "audit",
        "forms",
        "migrate",
    ):
        assert cmd in out, cmd
    assert out.count("Example") >= 8
    for dev in ("synth", "bench-queue", "bench-ledger", "bench-ui", "train", "eval-digit-strings"):  # tools.dev
        assert f" {dev} " not in out, dev


def test_the_product_package_holds_the_product() -> None:
    """Corpus synthesis, evaluation, benchmarks and browser driving are development tooling (tools/, run as
    `python -m tools.dev`), not in the wheel; their commands answer there."""
    assert not [p.name for p in (ROOT / "intake").glob("*.py") if p.stem.startswith(("bench", "browser", "evaluate"))]
    assert not (ROOT / "intake" / "synth").exists()
    out = subprocess.run(
        [sys.executable, "-m", "tools.dev", "--help"], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout
    for dev in ("synth", "eval", "bench-queue", "bench-ledger", "bench-match", "bench-ui", "train", "eval-digit-strings"):
        assert dev in out, dev


def test_cli_errors_exit_with_the_error_code_and_a_fix(tmp_path) -> None:  # type: ignore[no-untyped-def]
    r = subprocess.run(
        [
            sys.executable,
            "-c",
            "from intake.cli import main; main()",
            "upload",
            str(tmp_path / "nope.pdf"),
            "--clinic",
            "1310001",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert r.returncode == 2 and r.stderr.startswith("エラー: ファイルがありません: ") and " — " in r.stderr
    assert r.stderr.rstrip().endswith("[file.missing]") and len(r.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "args",
    [["residents", "import", "/nonexistent/register.csv"], ["masters", "import", "lots", "/nonexistent/lots.csv"]],
    ids=["residents", "lots"],
)
def test_a_missing_file_is_one_line_with_a_fix_never_a_traceback(args: list[str], tmp_path: Path) -> None:
    r = subprocess.run(
        [sys.executable, "-c", "from intake.cli import main; main()", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "INTAKE_VAR_DIR": str(tmp_path / "var"), "INTAKE_DATABASE_URL": ""},
    )
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert r.stderr.splitlines() == [
        f"エラー: {args[-1]} を使えません（ファイルかフォルダがありません） — パスとアクセス権を確認してください"
        " [file.cannot_use]"
    ]


@pytest.mark.parametrize(
    "args",
    [
        ["residents", "import", "{folder}"],
        ["match-batch", "{folder}", "--out", "o.csv"],
        ["upload", "{folder}", "--clinic", "1310001"],
        ["ocr-field", "--kind", "digits", "{folder}"],
    ],
    ids=["residents", "match-batch", "upload", "ocr-field"],
)
def test_a_folder_where_a_file_belongs_is_named_as_a_folder(args: list[str], tmp_path: Path) -> None:
    """`upload` said "no such file" of a folder that exists; every command now says the same thing of it."""
    folder = tmp_path / "bundle"
    folder.mkdir()
    r = subprocess.run(
        [sys.executable, "-c", "from intake.cli import main; main()", *(a.format(folder=folder) for a in args)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "INTAKE_VAR_DIR": str(tmp_path / "var"), "INTAKE_DATABASE_URL": ""},
    )
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    said = r.stderr.splitlines()[-1]
    assert said.endswith(
        "を使えません（フォルダです（ファイルを指定してください）） — パスとアクセス権を確認してください [file.cannot_use]"
    ), said


def test_forms_print_command(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import csv

    from tests.support.env import SAMPLE

    atena = next(csv.DictReader((SAMPLE / "residents.csv").open(encoding="utf-8")))["宛名番号"]
    out = tmp_path / "form.pdf"
    r = CliRunner().invoke(app, ["forms", "print", "--resident", atena, "--vaccine", "MR", "--dose", "1", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert out.read_bytes().startswith(b"%PDF-")


def test_a_command_run_outside_the_installation_creates_no_database(tmp_path: Path) -> None:
    """The default var dir is the installation's, wherever the command is run from; pointed at a folder with no
    database, `intake residents import` says where it looked and what to do, and creates nothing."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    where = subprocess.run(
        [sys.executable, "-c", "from intake.settings import Settings; print(Settings().var_dir)"],
        cwd=tmp_path, capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert Path(where.stdout.strip()) == ROOT / "var", where.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    register = str(ROOT / "scans_sample" / "residents.csv")
    r = subprocess.run(
        [sys.executable, "-c", "from intake.cli import main; main()", "residents", "import", register],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**env, "INTAKE_VAR_DIR": str(elsewhere)},
    )
    assert r.returncode == 7 and "Traceback" not in r.stderr, r.stderr
    assert "データベースのファイルがありません" in r.stderr and "intake migrate" in r.stderr and "[db.no_file]" in r.stderr
    assert list(tmp_path.iterdir()) == [elsewhere] and list(elsewhere.iterdir()) == []


@pytest.mark.parametrize(
    "args,env,expected",
    [
        (["upload", str(ROOT / "scans_sample" / "batches" / "batch_00.pdf"), "--clinic", "1310001",
          "--api-url", "http://127.0.0.1:1"], {}, "エラー: API に接続できません"),
        (["worker", "--burst"], {"INTAKE_REDIS_URL": "redis://127.0.0.1:1/0"}, "エラー: Redis に接続できません"),
    ],
    ids=["upload-api-down", "worker-redis-down"],
)  # fmt: skip
def test_a_service_that_is_down_is_one_line_never_a_traceback(
    args: list[str], env: dict[str, str], expected: str, tmp_path: Path
) -> None:
    r = subprocess.run(
        [sys.executable, "-c", "from intake.cli import main; main()", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "INTAKE_VAR_DIR": str(tmp_path / "var"), **env},
        timeout=120,
    )
    errors = [line for line in r.stderr.splitlines() if line.startswith("エラー")]
    assert r.returncode == 7 and "Traceback" not in r.stderr, r.stderr[-2000:]
    assert len(errors) == 1 and errors[0].startswith(expected), r.stderr[-2000:]


def test_the_review_ui_says_in_japanese_that_the_api_is_down() -> None:
    from review_ui.client import Api, ApiError

    with pytest.raises(ApiError) as exc:
        Api("http://127.0.0.1:1").login("reviewer1", "x" * 12)
    assert exc.value.message.startswith("API に接続できません") and "管理者" in exc.value.fix
