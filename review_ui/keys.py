"""Keyboard-only review. Streamlit has no key bindings of its own for radios and expanders, so a zero-height
component installs one keydown handler on the page and puts the cursor on the first field to key of each new
form. Its arguments never change between forms, so Streamlit keeps the same iframe (no reload per form): a
MutationObserver notices the new form's title and places the cursor as soon as its fields exist. Enter inside
the form submits it (Streamlit's own)."""

from __future__ import annotations

import json

import streamlit.components.v1 as components

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
  function focusFirst() {
    const inputs = [...D.querySelectorAll('[data-testid="stForm"] input[type="text"]')].filter(fresh);
    if (!inputs.length) return false;
    const label = i => i.getAttribute('aria-label') || '';
    // a blind (second) keying first, then the doubtful fields, else the first field (Enter accepts the form)
    const target = inputs.find(i => /^◆/.test(label(i))) || inputs.find(i => /^[✕△]/.test(label(i))) || inputs[0];
    target.focus();
    return true;
  }
  function onNewForm() {
    const title = [...D.querySelectorAll('h3')].find(h => /#\\d+/.test(h.textContent) && fresh(h));
    if (!title || P.__intakeFocused === title.textContent) return;
    if (focusFirst()) P.__intakeFocused = title.textContent;
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
  if (P.__intakeObserver) P.__intakeObserver.disconnect();
  P.__intakeKeys = onKey;
  D.addEventListener('keydown', onKey, true);
  P.__intakeObserver = new P.MutationObserver(onNewForm);
  P.__intakeObserver.observe(D.body, {childList: true, subtree: true, attributes: true, attributeFilter: ['data-stale']});
  window.addEventListener('unload', () => {  // another page: nothing of this frame may stay behind
    D.removeEventListener('keydown', onKey, true);
    P.__intakeObserver.disconnect();
  });
  onNewForm();
})();
</script>
"""


def install(words: dict[str, str]) -> None:
    """`words` are the (translated) texts that identify the resident radio, the expanders and the button."""
    components.html(_SCRIPT % {**{k: json.dumps(v) for k, v in words.items()}, "resident": words["resident"]}, height=0)
