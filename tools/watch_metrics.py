"""Scrape the API's /metrics every few seconds while a batch is read, and print what an operator's dashboard
would show: the queue draining and the page rate (pages leaving received/queued/processing per second).

    python -m tools.watch_metrics http://127.0.0.1:8000 [--every 5] [--until-empty]

Development tooling (a stand-in for Prometheus + a dashboard); not part of the product package.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import httpx

WAITING = ("received", "queued", "processing")


def scrape(api: str) -> dict[str, float]:
    out = {}
    for line in httpx.get(f"{api}/metrics", timeout=10).text.splitlines():
        if line.startswith("intake_") and " " in line:
            key, value = line.rsplit(" ", 1)
            out[key] = float(value)
    return out


def waiting(m: dict[str, float]) -> float:
    return sum(m.get(f'intake_pages{{status="{s}"}}', 0.0) for s in WAITING)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("api")
    ap.add_argument("--every", type=float, default=5.0)
    ap.add_argument("--until-empty", action="store_true")
    ap.add_argument("--timeout", type=float, default=1800)
    a = ap.parse_args(argv)
    start = time.monotonic()
    prev: tuple[float, float] | None = None
    rates: list[float] = []
    print(f"{'t (s)':>6} {'queue':>6} {'waiting':>8} {'done':>6} {'pages/s':>8}")
    seen_work = False
    while time.monotonic() - start < a.timeout:
        m = scrape(a.api)
        now = time.monotonic() - start
        w = waiting(m)
        done = sum(v for k, v in m.items() if k.startswith("intake_pages{")) - w
        rate = (prev[1] - w) / (now - prev[0]) if prev else float("nan")
        if prev and (w > 0 or prev[1] > 0):
            rates.append(rate)
        print(f"{now:6.0f} {m.get('intake_queue_depth', -1):6.0f} {w:8.0f} {done:6.0f} {rate:8.2f}", flush=True)
        seen_work = seen_work or w > 0
        if a.until_empty and seen_work and w == 0:
            break
        prev = (now, w)
        time.sleep(a.every)
    if rates:
        print(f"page rate while draining: median {statistics.median(rates):.2f} pages/s over {len(rates)} scrapes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
