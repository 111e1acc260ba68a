"""What every command shares: the `intake` app and its groups, the operator's identity for the audit log, the
installation's database session, and how a command speaks (`say`, one line per error with `_fail`)."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from intake.csv_out import ENCODINGS, Encoding
from intake.errors import BadInput, IntakeError
from intake.messages import said
from intake.settings import get_settings

# Commands by who runs them: `intake --help` shows them in these panels.
OPERATIONS = "運用 (operations)"
ADMINISTRATION = "管理 (administration)"
LEDGER = "台帳・帳票 (ledger)"

app = typer.Typer(
    help="Intake of scanned vaccination pre-screening forms (予診票).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
residents_app = typer.Typer(help="The resident register.", no_args_is_help=True)
masters_app = typer.Typer(help="Masters: vaccines, lots, clinics.", no_args_is_help=True)
users_app = typer.Typer(help="User accounts and scanner keys.", no_args_is_help=True)
forms_app = typer.Typer(help="Print the ward's forms.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log.", no_args_is_help=True)
for sub, name, audience in (
    (residents_app, "residents", ADMINISTRATION),
    (masters_app, "masters", ADMINISTRATION),
    (users_app, "users", ADMINISTRATION),
    (audit_app, "audit", ADMINISTRATION),
    (forms_app, "forms", LEDGER),
):
    app.add_typer(sub, name=name, rich_help_panel=audience)


class MasterKind(StrEnum):
    vaccines = "vaccines"
    lots = "lots"
    clinics = "clinics"


class ReportKind(StrEnum):
    yearly = "yearly"
    clinics = "clinics"


class FieldKind(StrEnum):
    digits = "digits"
    date = "date"
    lot = "lot"
    dose = "dose"
    text = "text"
    kana = "kana"


#: what a choice argument is, in the words of the error a person reads when the value is not one of its choices
CHOICE_JA = {"--role": "役割", "kind": "種類", "--kind": "項目の種類"}


@app.callback()
def _operator(
    as_name: Annotated[
        str,
        typer.Option(
            "--as",
            envvar="INTAKE_OPERATOR",
            help="who is acting, for the audit log (default: the OS user). Example: intake --as tanaka users disable sato",
        ),
    ] = "",
) -> None:
    """An administrator's act from the command line is audited as that person: operator:NAME@OSUSER."""
    import getpass

    from intake.services.audit import current_operator

    os_user = getpass.getuser()
    current_operator.set(f"operator:{as_name}@{os_user}" if as_name else f"operator:{os_user}")


SAMPLE = Path(__file__).resolve().parents[2] / "scans_sample"
BIND_HELP = "address to bind; loopback unless told (0.0.0.0 inside a container, behind the TLS proxy)"


def readable(path: Path) -> None:
    """Opening it raises the OSError that main() turns into one line with a fix."""
    with path.open("rb"):
        pass


def session():  # type: ignore[no-untyped-def]
    """A session on the installation's database — never a new, empty one made by accident (a command run from the
    wrong folder used to create var/intake.db there and then fail with "no such table")."""
    from intake.db import session_scope
    from intake.errors import ServiceUnavailable
    from intake.services.readiness import check_database

    settings = get_settings()
    for c in check_database(settings):
        if not c.ok:
            where = f"（INTAKE_VAR_DIR={settings.var_dir.resolve()}）" if not settings.database_url else ""
            raise ServiceUnavailable(c.code, **{"where": where, **c.params})
    return session_scope(settings.effective_database_url)


def say(code: str, err: bool = False, **params: Any) -> None:
    """What a command reports when it worked, in the installation's language (intake.messages.SAID)."""
    typer.echo(said(code, params, get_settings().lang), err=err)


def encoding_of(value: str) -> Encoding:
    """--encoding as the ward says it (utf-8, UTF8, cp932, sjis, shift_jis)."""
    v = value.lower().replace("_", "-")
    if v in ("utf-8", "utf8"):
        return "utf-8"
    if v in ("cp932", "sjis", "shift-jis", "windows-31j"):
        return "cp932"
    raise BadInput("value.choice", what="文字コード", value=value, choices=", ".join(ENCODINGS))


def line(exc: IntakeError) -> str:
    """One line a person reads: what is wrong — what to do [code], in the installation's language."""
    lang = get_settings().lang
    message, fix = exc.text(lang)
    return f"{'error' if lang == 'en' else 'エラー'}: {message}" + (f" — {fix}" if fix else "") + f" [{exc.code}]"


def fail(exc: IntakeError) -> None:
    typer.echo(line(exc), err=True)
    sys.exit(exc.exit_code)


def rejected(file: Path, errors: list[IntakeError], limit: int) -> None:
    """A file with bad lines: each named (up to `limit`), then the verdict — nothing was imported."""
    lang = get_settings().lang
    for e in errors[:limit]:
        typer.echo("  " + e.text(lang)[0], err=True)
    count = f"{len(errors)}{'+' if len(errors) >= 1000 else ''}"
    fail(BadInput("csv.rejected", name=file.name, count=count))


def refused(r: Any) -> IntakeError:
    """The API's refusal as this CLI's error: its code and parameters, rendered here in the CLI's language."""
    try:
        body = r.json()
    except ValueError:
        body = {}
    err = IntakeError(str(body.get("code", "server.unexpected")), **dict(body.get("params") or {}))
    err.exit_code = 2 if r.status_code < 500 else 7
    return err
