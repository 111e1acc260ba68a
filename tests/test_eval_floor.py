"""`python -m tools.dev eval` on the committed sample must stay above the floors the recognition issue sets.

The sample is small (27 forms), so these are floors for regressions, not the issue's targets, which the
benchmark on a fresh 500-page heavy corpus measures (README)."""

from tests.support.env import SAMPLE
from tools.evaluate import evaluate


def test_eval_on_sample_stays_above_floor() -> None:
    m = evaluate(SAMPLE, workers=2)
    assert m["triage_accuracy"] == 1.0
    assert m["qr_read_rate"] == 1.0
    assert m["auto_accepted_precision"] >= 0.995
    assert m["by_kind"]["checkbox_pair"]["exact"] >= 0.99
    assert m["field_exact"] >= 0.90
    assert m["forms_no_correction"] >= 0.60
