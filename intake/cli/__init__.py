"""`intake` command line, by audience: operations (`intake.cli.operations`), administration
(`intake.cli.administration`), the ledger's work (`intake.cli.ledger`); what they share is `intake.cli.base`.
Errors map to exit codes once, in main()."""

from __future__ import annotations

import logging
import re
import sys
import time

import typer

from intake.cli import administration, ledger, operations  # noqa: F401 — registers the commands on `app`
from intake.cli.base import CHOICE_JA, app, fail, say
from intake.errors import BadInput, IntakeError, from_os_error
from intake.messages import usage_text
from intake.settings import get_settings

__all__ = ["app", "main", "say"]

# typer's refusal of a value not among a choice argument's (an enum): "Invalid value for '--role': Value error, 'x' is
# not one of 'a', 'b'." — said as every other choice is (value.choice), in the installation's language
CHOICE = re.compile(r"^Invalid value for '(.+?)': (?:Value error, )?'(.*?)' is not one of (.+?)\.?$")

GROUPS = {"residents", "masters", "users", "forms", "audit", "train"}  # commands with sub-commands

# Servers log JSON (intake.logs); a person's command logs warnings only, as text, beside its own output.
SERVERS = {"serve": "api", "worker": "worker", "ui": "ui", "scheduler": "scheduler"}


def main(application: typer.Typer | None = None) -> None:
    """The edge of every command (the product's; tools.dev passes its own app): one line per error."""
    from intake.logs import configure_logging

    application = application or app

    args = sys.argv[1:]
    words = [a for i, a in enumerate(args) if not a.startswith("-") and (i == 0 or args[i - 1] != "--as")]
    command = words[0] if words else ""
    if command in SERVERS:
        configure_logging(get_settings(), SERVERS[command])
    else:
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s", stream=sys.stderr)
    try:
        # not standalone: a usage error (missing option, a word where a number goes) comes here, to be said in one
        # line in the installation's language like every other error, instead of click's English box
        returned = application(standalone_mode=False)
        sys.exit(returned if isinstance(returned, int) else 0)
    except typer.Abort:
        sys.exit(130)  # Ctrl-C at a prompt
    except typer.TyperException as exc:  # typer's (vendored click) usage errors: a missing option, a bad number
        detail = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        choice = CHOICE.match(detail)
        if choice:  # a value that is not one of a choice argument's (a role, a master, a report, a field's kind)
            what, value, choices = choice.groups()
            fail(BadInput("value.choice", what=CHOICE_JA.get(what, what), value=value, choices=choices.replace("'", "")))
        group = words[:2] if words and words[0] in GROUPS else words[:1]
        lang = get_settings().lang
        known = not detail.startswith("No such command")
        fail(BadInput("cli.usage", detail=usage_text(detail, lang), command=" ".join(group) + " " if known else ""))
    except IntakeError as exc:
        fail(exc)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError) as exc:
        fail(from_os_error(exc))
    except Exception as exc:  # noqa: BLE001 — the edge: a person reads one line, the log keeps the traceback
        fail(_unreachable(exc) or _unexpected(exc))


def _unreachable(exc: Exception) -> IntakeError | None:
    """A service the command needs is down: which one, and what to check (one line, no traceback)."""
    from intake.errors import ServiceUnavailable

    kind = f"{type(exc).__module__}.{type(exc).__name__}"
    settings = get_settings()
    if kind.startswith("sqlalchemy.exc.OperationalError"):
        where = settings.database_url.split("@")[-1] if settings.database_url else settings.effective_database_url
        return ServiceUnavailable("db.unreachable", where=where)
    if kind.startswith("redis.exceptions.") and ("Connection" in kind or "Timeout" in kind):
        return ServiceUnavailable("redis.unreachable", where=settings.redis_url)
    if kind.startswith("httpx.") and ("Connect" in kind or "Timeout" in kind):
        return ServiceUnavailable("api.unreachable", where=str(exc)[:200])
    return None


def _unexpected(exc: Exception) -> IntakeError:
    """A bug: one line for the person; the traceback to var/cli-errors.log for whoever mends it."""
    import traceback

    log = get_settings().var_dir / "cli-errors.log"
    try:
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("a", encoding="utf-8") as fh:
            fh.write(f"--- {time.strftime('%Y-%m-%dT%H:%M:%S')} {' '.join(sys.argv)}\n{traceback.format_exc()}\n")
    except OSError:
        return IntakeError("unexpected.no_log", kind=type(exc).__name__)
    return IntakeError("unexpected", kind=type(exc).__name__, log=log)
