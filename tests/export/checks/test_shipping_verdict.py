"""The demo report's verdict: per file, only the criteria that apply to it."""

import pytest

from keras_psa.export.checks.shipping_verdict import COMPARISON_FILES
from keras_psa.export.checks.shipping_verdict import SHIPPED_FILES
from keras_psa.export.checks.shipping_verdict import file_verdict
from keras_psa.export.checks.shipping_verdict import verdict_table

pytestmark = pytest.mark.flavor_independent

SPECS = {spec[0]: spec for spec in SHIPPED_FILES + COMPARISON_FILES}


def _check(name, status, message="", **details):
    return {"name": name, "status": status, "message": message, "issues": [],
            "details": details}


def _all_passed(**overrides):
    checks = {"gpu_static": _check("gpu_static", "passed"),
              "gpu_run": _check("gpu_run", "passed", label_agreement={"logits": 0.998}),
              "xnnpack": _check("xnnpack", "passed"),
              "keras_parity": _check("keras_parity", "passed", label_agreement=0.9991)}
    checks.update(overrides)
    return list(checks.values())


def test_a_file_that_passes_everything_is_ready():
    verdict = file_verdict(SPECS["float32"], _all_passed(), mean_iou=0.61)
    assert verdict.verdict == "ready"
    assert verdict.labels_vs_keras == pytest.approx(0.9991)
    assert verdict.labels_gpu_vs_cpu == pytest.approx(0.998)


def test_xnnpack_does_not_apply_to_the_all_int8_npu_file():
    checks = _all_passed(xnnpack=_check("xnnpack", "failed", "148 of 153 ops"))
    verdict = file_verdict(SPECS["qat_int8"], checks)
    assert verdict.checks["xnnpack"] == "n/a" and verdict.verdict == "ready"
    assert "not applicable" in verdict.reasons["xnnpack"]


def test_a_failed_criterion_is_named_with_its_reason():
    checks = _all_passed(keras_parity=_check("keras_parity", "failed",
                                             "98.52% within 1 step < 99%"))
    verdict = file_verdict(SPECS["qat_int8_xnnpack"], checks)
    assert verdict.verdict == "criteria failed: keras_parity"
    table = verdict_table([verdict])
    assert "**FAIL**" in table and "98.52% within 1 step < 99%" in table


def test_a_check_that_did_not_run_is_not_a_pass():
    checks = [c for c in _all_passed() if c["name"] != "gpu_run"]
    verdict = file_verdict(SPECS["float32"], checks)
    assert verdict.verdict == "not fully checked: gpu_run"


def test_a_heatmap_file_is_judged_by_oks_ap_and_keypoint_shift():
    verdict = file_verdict(SPECS["qat_int8_xnnpack"], _all_passed(),
                           keypoints={"oks_ap": 0.4321, "shift_vs_float_keras_px": 0.587,
                                      "shift_vs_qat_keras_px": 0.125})
    assert verdict.oks_ap == pytest.approx(0.4321) and verdict.mean_iou is None
    ptq = file_verdict(SPECS["ptq_int8"], _all_passed(),
                       keypoints={"oks_ap": 0.25, "shift_vs_float_keras_px": 1.5})
    table = verdict_table([verdict, ptq], task="keypoints")
    header = table.splitlines()[0]
    assert "val OKS AP" in header and "keypoint shift" in header and "vs QAT Keras" in header
    assert "mean IoU" not in header and "labels = Keras" not in header
    assert "| 0.4321 | 0.59 | 0.12 |" in table
    assert "| 0.2500 | 1.50 | - |" in table


def test_verdict_table_refuses_an_unknown_task():
    with pytest.raises(ValueError, match="`task` must be"):
        verdict_table([], task="depth")
