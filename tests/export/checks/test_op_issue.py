"""Reports show each distinct op note once, with how many ops it applies to."""

import pytest

from keras_psa.export.checks.check_result import CheckResult
from keras_psa.export.checks.op_issue import OpIssue
from keras_psa.export.checks.op_issue import distinct_issues

pytestmark = pytest.mark.flavor_independent

SLOW = "runs on TFLite's CPU kernels, not XNNPACK (operand types: int8)"


def test_a_note_that_applies_to_many_ops_is_one_line_with_its_count():
    issues = [OpIssue(index, "HARD_SWISH", SLOW) for index in (3, 7, 12)]
    issues += [OpIssue(20, "ARG_MAX", "INT64 output"), OpIssue(None, "TOPK_V2", "refused")]
    lines = distinct_issues(issues)
    assert lines == [f"HARD_SWISH (3 ops: #3, #7, #12): {SLOW}", "ARG_MAX (#20): INT64 output",
                     "TOPK_V2: refused"]
    # The same from the issues' dicts, as the reports read them from JSON.
    assert distinct_issues([issue.to_dict() for issue in issues]) == lines


def test_long_runs_of_indices_are_cut_and_the_summary_repeats_nothing():
    issues = [OpIssue(index, "HARD_SWISH", SLOW) for index in range(11)]
    (line,) = distinct_issues(issues, max_indices=4)
    assert line == f"HARD_SWISH (11 ops: #0, #1, #2, #3, ...): {SLOW}"
    summary = CheckResult("xnnpack", "failed", issues, message="11 ops on TFLite's kernels")
    assert summary.summary().count(SLOW) == 1
