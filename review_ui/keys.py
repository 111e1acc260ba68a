"""Keyboard-only review. Streamlit has no key bindings of its own for radios and expanders, so a zero-height
component installs one keydown handler on the page (replaced, never stacked, on each render) and puts the
cursor on the first doubtful field of a new form. Enter inside the form submits it (Streamlit's own)."""

from __future__ import annotations

import json

import streamlit.components.v1 as components

_SCRIPT = """
<script>
(function () {
  const P = window.parent, D = P.document, form = %(form)s;
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
  function focusFirst() {
    // the previous form's elements stay on screen (stale) until this run replaces them: never focus those
    const inputs = [...D.querySelectorAll('[data-testid="stForm"] input[type="text"]')]
      .filter(i => !i.closest('[data-stale="true"]'));
    if (!inputs.length) return false;
    const label = i => i.getAttribute('aria-label') || '';
    // a blind (second) keying first, then the doubtful fields, else the first field (Enter accepts the form)
    const target = inputs.find(i => /^◆/.test(label(i))) || inputs.find(i => /^[✕△]/.test(label(i))) || inputs[0];
    target.focus();
    return true;
  }
  function onKey(e) {
    if (!e.altKey) return;
    const digit = /^Digit([1-9])$/.exec(e.code);
    if (digit) {
      const group = D.querySelector('div[role="radiogroup"][aria-label*="%(resident)s"]');
      const labels = group ? group.querySelectorAll('label') : [];
      const n = Number(digit[1]) - 1;
      if (labels[n]) { labels[n].click(); e.preventDefault(); setTimeout(focusFirst, 50); }
      return;
    }
    const act = {KeyS: () => section(%(search)s), KeyR: () => section(%(reject)s), KeyD: () => section(%(defer)s),
                 KeyN: () => button(%(absent)s)}[e.code];
    if (act) { e.preventDefault(); act(); }
  }
  if (P.__intakeKeys) D.removeEventListener('keydown', P.__intakeKeys, true);
  P.__intakeKeys = onKey;
  D.addEventListener('keydown', onKey, true);
  if (form !== null && P.__intakeFocused !== form) {
    let tries = 0;
    const t = setInterval(() => { if (focusFirst() || ++tries > 200) { clearInterval(t); P.__intakeFocused = form; } }, 10);
  }
})();
</script>
"""


def install(form_key: str | None, words: dict[str, str]) -> None:
    """`form_key` changes per form (and per version), so the cursor is placed once for each new form.
    `words` are the (translated) texts that identify the resident radio, the expanders and the button."""
    components.html(
        _SCRIPT
        % {"form": json.dumps(form_key), **{k: json.dumps(v) for k, v in words.items()}, "resident": words["resident"]},
        height=0,
    )
