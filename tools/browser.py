"""Driving the review UI in headless Debian Chromium (never a downloaded browser): shared by the browser test
and `python -m tools.dev bench-ui`. Playwright is a dev dependency, so it is imported where it is used."""

from __future__ import annotations

import re
import shutil
import socket
import time
from typing import Any

import httpx

# As root, with this closed network: no sandbox, no GPU, and none of Chromium's background connections.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
FORM_TITLE = re.compile(r"予診票 #(\d+)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(url: str, seconds: float = 60) -> None:
    end = time.time() + seconds
    while time.time() < end:
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not come up")


def launch(pw: Any, url: str) -> tuple[Any, Any]:
    """Launch Debian Chromium (never a downloaded browser) and open `url`. Returns (browser, page)."""
    chromium = shutil.which("chromium")
    if chromium is None:
        raise RuntimeError("Debian chromium is not installed: run `make setup` (apt-get install chromium)")
    browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
    page = browser.new_page(viewport={"width": 1500, "height": 1100})
    page.goto(url)
    return browser, page


def open_as(pw: Any, url: str, username: str, password: str) -> tuple[Any, Any]:
    """Launch Debian Chromium, open the UI and log in. Returns (browser, page)."""
    browser, page = launch(pw, url)
    page.get_by_label("ユーザーID").fill(username)
    page.get_by_label("パスワード").fill(password)
    page.get_by_role("button", name="ログイン").click()
    return browser, page


TAKE = "次の予診票を取る (Enter)"


def take_form(page: Any) -> None:
    """The reviewer's first key of a sitting: the cursor waits on the take button (opening the page took nothing);
    Enter takes a form."""
    page.get_by_role("button", name=TAKE).wait_for(timeout=30000)
    page.wait_for_function("t => document.activeElement?.innerText?.trim() === t", arg=TAKE, timeout=15000)
    page.keyboard.press("Enter")


def complete_missing(page: Any, lot: str) -> None:
    """What a reviewer types when the form left it empty: the screening date (e.g. a 見合わせ form) and, for a
    dose that was given, the lot number."""
    date_box = page.get_by_label(re.compile("接種年月日"))
    if not date_box.input_value():
        date_box.fill("2026-11-01")
    lot_box = page.get_by_label(re.compile("ロット番号"))
    if not lot_box.input_value() and "見合わせ" not in page.get_by_label(re.compile("予診結果")).input_value():
        lot_box.fill(lot)


def tab_to(page: Any, label: str, max_tabs: int = 60) -> str:
    """Press Tab, as a reviewer does, until the focused input's label matches `label` (a regex). Returns it."""
    pattern = re.compile(label)
    for key in ("Tab", "Shift+Tab"):  # forward first; back if the field lies above the cursor
        for _ in range(max_tabs):
            focused = focused_label(page)
            if pattern.search(focused):
                return focused
            page.keyboard.press(key)
    raise AssertionError(f"no field labelled {label!r} within {max_tabs} Tab presses (now on {focused_label(page)!r})")


def type_over(page: Any, text: str) -> None:
    """Replace the focused input's text by typing (select all, then type or delete)."""
    page.keyboard.press("Control+A")
    if text:
        page.keyboard.type(text)
    else:
        page.keyboard.press("Backspace")


def focused_label(page: Any) -> str:
    return str(page.evaluate("document.activeElement && document.activeElement.getAttribute('aria-label')") or "")


def wait_for_text(page: Any, pattern: str | re.Pattern[str], timeout: float = 30000) -> None:
    """Wait until `pattern` shows; if it never does, fail with what the screen shows instead (a timeout alone
    says nothing about a rejected entry, a message in the way or the cursor somewhere else)."""
    try:
        page.get_by_text(pattern).first.wait_for(timeout=timeout)
    except Exception as e:
        shown = page.evaluate(
            "({focused: document.activeElement?.getAttribute('aria-label') || document.activeElement?.tagName,"
            " text: document.body.innerText.replace(/\\s+/g, ' ').slice(0, 1500)})"
        )
        raise AssertionError(f"{pattern!r} not shown within {timeout / 1000:.0f} s; on screen: {shown}") from e
