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
              "gpu_fp16": _check("gpu_fp16", "passed"),
              "xnnpack": _check("xnnpack", "passed"),
              "keras_parity": _check("keras_parity", "passed", label_agreement=0.9991)}
    checks.update(overrides)
    return list(checks.values())


def test_a_file_that_passes_everything_is_ready():
    verdict = file_verdict(SPECS["float32"], _all_passed(), mean_iou=0.61,
                           reference_score=0.612)
    assert verdict.verdict == "ready" and verdict.checks["val_score"] == "passed"
    assert verdict.labels_vs_keras == pytest.approx(0.9991)
    assert verdict.labels_gpu_vs_cpu == pytest.approx(0.998)


def test_xnnpack_does_not_apply_to_the_all_int8_npu_file():
    checks = _all_passed(xnnpack=_check("xnnpack", "failed", "148 of 153 ops"))
    verdict = file_verdict(SPECS["qat_int8"], checks, mean_iou=0.55, reference_score=0.55)
    assert verdict.checks["xnnpack"] == "n/a" and verdict.verdict == "ready"
    assert "not applicable" in verdict.reasons["xnnpack"]


def test_gpu_fp16_does_not_apply_to_the_all_int8_files_but_does_to_the_xnnpack_file():
    # XNNPACK forced to fp16 runs no op of an all-int8 file: its emulation is unavailable.
    unavailable = _all_passed(gpu_fp16=_check("gpu_fp16", "unavailable",
                                              "every op of this file is int8"))
    for key in ("qat_int8", "ptq_int8_all"):
        verdict = file_verdict(SPECS[key], unavailable, mean_iou=0.55, reference_score=0.55)
        assert verdict.checks["gpu_fp16"] == "n/a" and verdict.verdict == "ready"
        assert "integers" in verdict.reasons["gpu_fp16"]
    verdict = file_verdict(SPECS["qat_int8_xnnpack"], unavailable, mean_iou=0.55,
                           reference_score=0.55)
    assert verdict.verdict == "not fully checked: gpu_fp16"


def test_a_failed_criterion_is_named_with_its_reason():
    checks = _all_passed(keras_parity=_check("keras_parity", "failed",
                                             "98.52% within 1 step < 99%"))
    verdict = file_verdict(SPECS["qat_int8_xnnpack"], checks)
    assert verdict.verdict == "criteria failed: keras_parity"
    table = verdict_table([verdict])
    assert "**FAIL**" in table and "98.52% within 1 step < 99%" in table
    # The table states the rules it applied, from the one table of criteria.
    assert "pixels with the reference's label >= 99%" in table
    assert "mean keypoint shift from the reference <= 1 px" in table


def test_a_check_that_did_not_run_is_not_a_pass():
    checks = [c for c in _all_passed() if c["name"] != "gpu_run"]
    verdict = file_verdict(SPECS["float32"], checks, mean_iou=0.6, reference_score=0.6)
    assert verdict.verdict == "not fully checked: gpu_run"
    # Without the reference's score the validation criterion is not run either.
    assert file_verdict(SPECS["float32"], _all_passed(), mean_iou=0.6).verdict == (
        "not fully checked: val_score")


def test_a_file_judged_on_random_images_is_not_ready():
    checks = _all_passed(keras_parity=_check("keras_parity", "not judged",
                                             "not judged on real images"))
    verdict = file_verdict(SPECS["ptq_int8"], checks, mean_iou=0.5, reference_score=0.5)
    assert verdict.checks["keras_parity"] == "not judged"
    assert verdict.verdict == "not fully checked: keras_parity"
    assert "not judged on real images" in verdict_table([verdict])


@pytest.mark.parametrize("score, reference, status", [
    (0.5487, 0.5511, "passed"),  # 0.24 point below: within 0.5 point
    (0.5505, 0.5553, "passed"),  # 0.48 point below
    (0.5400, 0.5511, "failed"),  # 1.1 points below
    (0.7900, 0.7860, "passed"),  # above its reference
])
def test_the_validation_mean_iou_must_be_within_half_a_point_of_the_reference(
        score, reference, status):
    verdict = file_verdict(SPECS["qat_int8_xnnpack"], _all_passed(), mean_iou=score,
                           reference_score=reference)
    assert verdict.checks["val_score"] == status
    assert (verdict.verdict == "ready") == (status == "passed")
    if status == "failed":
        assert "val mean IoU below the reference's" in verdict.reasons["val_score"]


@pytest.mark.parametrize("oks_ap, reference, status", [
    (0.512, 0.520, "passed"), (0.505, 0.520, "failed")])
def test_the_oks_ap_must_be_within_a_hundredth_of_the_reference(oks_ap, reference, status):
    verdict = file_verdict(SPECS["qat_int8"], _all_passed(),
                           keypoints={"oks_ap": oks_ap, "shift_vs_float_keras_px": 0.4},
                           reference_score=reference)
    assert verdict.checks["val_score"] == status
    if status == "failed":
        assert "OKS AP below the reference's" in verdict.reasons["val_score"]


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
    assert "mean IoU" not in header and "labels = reference" not in header
    assert "| 0.4321 | 0.59 | 0.12 |" in table
    assert "| 0.2500 | 1.50 | - |" in table


def test_verdict_table_refuses_an_unknown_task():
    with pytest.raises(ValueError, match="`task` must be"):
        verdict_table([], task="depth")


def test_the_browser_column_appears_and_counts_only_where_the_browser_check_ran():
    without = file_verdict(SPECS["float32"], _all_passed(), mean_iou=0.61, reference_score=0.61)
    assert "browser_run" not in without.checks
    assert "browser_run" not in verdict_table([without])
    failed = _all_passed(browser_run=_check("browser_run", "failed", "webgpu: labels 97.1%"))
    verdict = file_verdict(SPECS["float32"], failed, mean_iou=0.61, reference_score=0.61)
    assert verdict.verdict == "criteria failed: browser_run"
    table = verdict_table([verdict, without])
    assert "| browser_run |" in table and "webgpu: labels 97.1%" in table
    # A file the browser check did not run on shows "not run" in that column.
    assert table.count("not run") >= 1
