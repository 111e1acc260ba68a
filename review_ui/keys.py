"""Keyboard-only review. Streamlit has no key bindings of its own for radios and expanders, so a zero-height
component installs one keydown handler on the page and puts the cursor on the first field to key of each new
form. Its arguments never change between forms, so Streamlit keeps the same iframe (no reload per form): a
MutationObserver notices each new form's marker (focus_marker, naming the field or button to start on) and places
the cursor once that element exists. Enter inside the form submits it (Streamlit's own); Enter on the take button
takes a form; Alt+Z shows the scan full screen; Alt+K marks the schedule findings as checked. The images'
fullscreen buttons are taken out of the Tab order (Alt+Z reaches the scan's): one Tab moves one field."""

from __future__ import annotations

import html
import json

import streamlit as st

_SCRIPT = """
<script>
(function () {
  const P = window.parent, D = P.document;
  const fresh = el => !el.closest('[data-stale="true"]');  // the previous form stays on screen until replaced
  function section(word) {
    const s = [...D.querySelectorAll('details summary')].find(x => x.innerText.includes(word));
    if (!s) return;
    if (!s.parentElement.open) s.click();
    setTimeout(() => { const i = s.parentElement.querySelector('input'); if (i) i.focus(); }, 150);
  }
  function button(word) {
    const b = [...D.querySelectorAll('button')].find(x => x.innerText.includes(word));
    if (b) b.click();
  }
  // The form names its first field to key in a marker (review_ui.keys.focus_marker). Streamlit draws a form
  // element by element, so the cursor is placed only once that very field exists, and placed again if a redraw
  // replaced the element under it (the cursor then falls to the page's body).
  function marker() {
    return [...D.querySelectorAll('span.intake-focus')].find(fresh);
  }
  function focusFirst() {
    const m = marker();
    if (!m) return false;
    const target = m.dataset.button
      ? [...D.querySelectorAll('button')].find(b => fresh(b) && b.innerText.trim() === m.dataset.target)
      : [...D.querySelectorAll('[data-testid="stForm"] input[type="text"]')]
          .find(i => fresh(i) && i.getAttribute('aria-label') === m.dataset.target);
    if (!target) return false;
    target.focus();
    P.__intakeTarget = target;
    return true;
  }
  function untabbable() {  // the images' toolbar buttons (fullscreen) are for the mouse; Alt+Z is the key
    D.querySelectorAll('[data-testid="stElementToolbar"] button, [data-testid="stElementToolbarButton"] button')
      .forEach(b => { if (b.tabIndex !== -1) b.tabIndex = -1; });
  }
  function acknowledge() {  // Alt+K: the schedule findings are checked — tick the box, cursor back to the form
    // the checkbox input itself: Streamlit's label is a react-aria "pressable" that ignores a scripted click
    const box = [...D.querySelectorAll('input[type="checkbox"]')]
      .find(i => fresh(i) && i.getAttribute('aria-label') === %(ack)s);
    if (!box) return;
    const back = D.activeElement;
    box.click();
    returnTo(back, 50);
  }
  // After a key that clicked something (a candidate, the schedule box, the scan's zoom) the cursor goes back where it
  // was — unless the reviewer has already moved it to a field: on a loaded station this runs late, and it took the
  // cursor from the field being typed in to the form's first (seen in the browser test: Alt+1, two Tabs, then the
  // cursor yanked back).
  function returnTo(back, delay) {
    setTimeout(() => {
      const now = D.activeElement;
      if (formInput(now) && fresh(now) && now !== back) return;
      if (back && back.isConnected && back !== D.body) back.focus(); else focusFirst();
    }, delay);
  }
  // The field the reviewer is on (placed there or moved there by Tab). A redraw that replaces it while the form is
  // still arriving (its crops and scan come after its fields; on a loaded station seconds later) drops the cursor to
  // the page's body: it goes back to that same field, never to the form's first one — there the next keys would
  // land in another field (seen with both cores busy: a date typed blind landed in the lot number).
  const formInput = el => el && el.matches && el.matches('[data-testid="stForm"] input[type="text"]');
  function onFocus(e) { if (formInput(e.target) && fresh(e.target)) P.__intakeTarget = e.target; }
  function focusLabel(label) {
    const target = [...D.querySelectorAll('[data-testid="stForm"] input[type="text"]')]
      .find(i => fresh(i) && i.getAttribute('aria-label') === label);
    if (target) target.focus();
    return !!target;
  }
  // Not drawn again yet: wait for it (each mutation calls onNewForm again) while the page is still being redrawn
  // (Streamlit marks what it has not redrawn yet stale), up to ~10 s; the first field only if it never comes back.
  function restore(label, tries) {
    const now = D.activeElement;
    if ((now && now !== D.body) || (label && focusLabel(label))) return;  // placed, or the reviewer moved on
    if (tries > 0 && D.querySelector('[data-stale="true"]')) {
      P.__intakeRestore = setTimeout(() => restore(label, tries - 1), 500);
      return;
    }
    focusFirst();
  }
  function onNewForm() {
    untabbable();
    const m = marker();
    if (!m) return;
    const placed = P.__intakeTarget, active = D.activeElement;
    const lost = placed && !placed.isConnected && (!active || active === D.body);  // redrawn under the cursor
    // the same form drawn again (a new version of it: the take, a refused accept) keeps the cursor where it is
    const formId = key => String(key || '').split('/')[0];
    if (P.__intakeFocused && formId(P.__intakeFocused) === formId(m.dataset.form)) {
      P.__intakeFocused = m.dataset.form;
      if (!lost) return;
      const label = placed.getAttribute('aria-label');
      if (label && focusLabel(label)) return;
      clearTimeout(P.__intakeRestore);
      P.__intakeRestore = setTimeout(() => restore(label, 20), 500);
      return;
    }
    if (focusFirst()) P.__intakeFocused = m.dataset.form;
  }
  // Alt+Z: the scan fills the screen (Streamlit's fullscreen view); Alt+Z or Escape closes it and the cursor goes
  // back where it was.
  function zoom() {
    const label = b => b.getAttribute('aria-label') || '';
    const buttons = [...D.querySelectorAll('button')].filter(b => label(b).endsWith(': ' + %(scan)s));
    const close = buttons.find(b => /^(Close|Exit)/.test(label(b)));
    if (close) { close.click(); unzoomed(); return; }
    if (!buttons.length) return;
    P.__intakeBeforeZoom = D.activeElement;
    buttons[0].click();
  }
  function unzoomed() {
    const back = P.__intakeBeforeZoom;
    P.__intakeBeforeZoom = null;
    if (back) returnTo(back, 100);
  }
  function onKey(e) {
    if (e.key === 'Escape' && P.__intakeBeforeZoom) { unzoomed(); return; }
    if (!e.altKey) return;
    const digit = /^Digit([1-9])$/.exec(e.code);
    if (digit) {
      const group = D.querySelector('div[role="radiogroup"][aria-label*="%(resident)s"]');
      const labels = group ? group.querySelectorAll('label') : [];
      const n = Number(digit[1]) - 1;
      if (labels[n]) {
        const back = D.activeElement;
        labels[n].click();
        e.preventDefault();
        returnTo(formInput(back) ? back : null, 50);  // from the radio itself: to the form's first field
      }
      return;
    }
    const act = {KeyS: () => section(%(search)s), KeyR: () => section(%(reject)s), KeyD: () => section(%(defer)s),
                 KeyN: () => button(%(absent)s), KeyZ: zoom, KeyK: acknowledge}[e.code];
    if (act) { e.preventDefault(); act(); }
  }
  if (P.__intakeKeys) D.removeEventListener('keydown', P.__intakeKeys, true);
  if (P.__intakeOnFocus) D.removeEventListener('focusin', P.__intakeOnFocus, true);
  P.__intakeOnFocus = onFocus;
  D.addEventListener('focusin', onFocus, true);
  if (P.__intakeObserver) P.__intakeObserver.disconnect();
  P.__intakeKeys = onKey;
  D.addEventListener('keydown', onKey, true);
  P.__intakeObserver = new P.MutationObserver(onNewForm);
  P.__intakeObserver.observe(D.body, {childList: true, subtree: true, attributes: true, attributeFilter: ['data-stale']});
  const observer = P.__intakeObserver;
  window.addEventListener('unload', () => {  // another page: nothing of this frame may stay behind
    D.removeEventListener('keydown', onKey, true);
    D.removeEventListener('focusin', onFocus, true);
    observer.disconnect();  // its own: a newer frame's observer may already stand in P.__intakeObserver
  });
  onNewForm();
})();
</script>
"""


_PAGE_SCRIPT = """
<script>
(function () {
  const P = window.parent, D = P.document;
  // Streamlit's accessibility link ("Skip to main content"), in the station's language: the first Tab stop of
  // every page must not be the only English on it
  function skipLink() {
    const a = [...D.querySelectorAll('a')].find(x => x.innerText.trim() === 'Skip to main content');
    if (a) a.innerText = %(skip)s;
  }
  if (P.__intakeSkip) P.__intakeSkip.disconnect();
  P.__intakeSkip = new P.MutationObserver(skipLink);
  P.__intakeSkip.observe(D.body, {childList: true, subtree: true});
  skipLink();
})();
</script>
"""


_STAFF_SCRIPT = """
<script>
(function () {
  const P = window.parent, D = P.document;
  // Alt+P: the cursor to the counter reissue's first box (its values are what is due next), Enter prints
  function reissue() {
    const form = [...D.querySelectorAll('[data-testid="stForm"]')].find(f => f.innerText.includes(%(submit)s));
    const box = form && form.querySelector('input[type="text"]');
    if (box) { box.focus(); box.select(); }
    return !!box;
  }
  // after a print, the marker names the button that opens the PDF: the cursor goes there (Enter opens it)
  function onChange() {
    const m = [...D.querySelectorAll('span.intake-focus')].pop();
    if (!m || P.__staffFocused === m.dataset.form) return;
    const b = [...D.querySelectorAll('button')].find(x => x.innerText.trim() === m.dataset.target);
    if (b) { b.focus(); P.__staffFocused = m.dataset.form; }
  }
  function onKey(e) {
    if (e.altKey && e.code === 'KeyP' && reissue()) e.preventDefault();
  }
  if (P.__staffKeys) D.removeEventListener('keydown', P.__staffKeys, true);
  if (P.__staffObserver) P.__staffObserver.disconnect();
  P.__staffKeys = onKey;
  D.addEventListener('keydown', onKey, true);
  P.__staffObserver = new P.MutationObserver(onChange);
  P.__staffObserver.observe(D.body, {childList: true, subtree: true});
  const observer = P.__staffObserver;
  window.addEventListener('unload', () => {
    D.removeEventListener('keydown', onKey, true);
    observer.disconnect();  // its own: a newer frame's observer may already stand in P.__staffObserver
  });
})();
</script>
"""


def install_staff(submit: str) -> None:
    """The staff's history page: Alt+P to the counter reissue (`submit`: its print button's text), and the cursor on
    the PDF button after a print — search to PDF in a few keys."""
    st.iframe(_STAFF_SCRIPT % {"submit": json.dumps(submit)}, height="content", tab_index=-1)


def install_page(skip: str) -> None:
    """On every page (login included): what Streamlit's own chrome says, in the station's language."""
    st.iframe(_PAGE_SCRIPT % {"skip": json.dumps(skip)}, height="content", tab_index=-1)


def install(words: dict[str, str]) -> None:
    """`words` are the (translated) texts that identify the resident radio, the expanders and the button."""
    # st.iframe (the components html call is deprecated): sized to its (empty) content, and no Tab stop of its own
    st.iframe(
        _SCRIPT % {**{k: json.dumps(v) for k, v in words.items()}, "resident": words["resident"]},
        height="content",
        tab_index=-1,
    )


def focus_marker(form_key: str, label: str, button: bool = False) -> None:
    """An invisible marker naming the field (or, with `button`, the button) the cursor starts on for this form
    (`form_key`: id/version, or "take" for the take button)."""
    kind = ' data-button="1"' if button else ""
    st.markdown(
        f'<span class="intake-focus" data-form="{html.escape(form_key)}" data-target="{html.escape(label)}"{kind}></span>',
        unsafe_allow_html=True,
    )
