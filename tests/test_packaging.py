import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from intake.cli import app
from tests.conftest import ROOT


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
        "synth",
        "eval",
        "ocr-field",
        "reconcile",
        "audit",
        "forms",
        "migrate",
    ):
        assert cmd in out, cmd
    assert out.count("Example") >= 8


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
    assert r.returncode == 2 and "fix:" in r.stderr


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
    errors = [line for line in r.stderr.splitlines() if line.startswith("error")]
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert errors == [f"error [bad_input]: cannot use {args[-1]}: No such file or directory"], r.stderr
    assert "fix: check the path" in r.stderr


def test_forms_print_command(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import csv

    from tests.conftest import SAMPLE

    atena = next(csv.DictReader((SAMPLE / "residents.csv").open(encoding="utf-8")))["宛名番号"]
    out = tmp_path / "form.pdf"
    r = CliRunner().invoke(app, ["forms", "print", "--resident", atena, "--vaccine", "MR", "--dose", "1", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert out.read_bytes().startswith(b"%PDF-")


def test_a_command_run_outside_the_installation_creates_no_database(tmp_path: Path) -> None:
    """Run from another folder, `intake residents import` says where it looked and what to do; nothing is created."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    code = "import sys; sys.path.insert(0, sys.argv[1]); del sys.argv[1]; from intake.cli import main; main()"
    register = str(ROOT / "scans_sample" / "residents.csv")
    r = subprocess.run(
        [sys.executable, "-c", code, str(ROOT), "residents", "import", register],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
    )
    assert r.returncode == 7 and "Traceback" not in r.stderr, r.stderr
    assert "no database file" in r.stderr and "intake migrate" in r.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "args,env,expected",
    [
        (["upload", str(ROOT / "scans_sample" / "batches" / "batch_00.pdf"), "--clinic", "1310001",
          "--api-url", "http://127.0.0.1:1"], {}, "error [service_unavailable]: the API is not reachable"),
        (["worker", "--burst"], {"INTAKE_REDIS_URL": "redis://127.0.0.1:1/0"},
         "error [service_unavailable]: cannot start the worker — redis: not reachable"),
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
    errors = [line for line in r.stderr.splitlines() if line.startswith("error")]
    assert r.returncode == 7 and "Traceback" not in r.stderr, r.stderr[-2000:]
    assert len(errors) == 1 and errors[0].startswith(expected), r.stderr[-2000:]


def test_the_review_ui_says_in_japanese_that_the_api_is_down() -> None:
    from review_ui.client import Api, ApiError

    with pytest.raises(ApiError) as exc:
        Api("http://127.0.0.1:1").login("reviewer1", "x" * 12)
    assert exc.value.message.startswith("API に接続できません") and "管理者" in exc.value.fix
