"""The shipping rules (`task_criteria`) on real files: files they must pass, files they must fail.

A small segmenter trained briefly on the built-in shapes gives labels to keep;
its int8 file calibrated on the images it really gets must pass, the same file
calibrated on [0, 1] images (the model takes 0..255) must fail on real images,
and on random images an int8 file is "not judged", never passed.
"""

import subprocess

import numpy as np
import pytest
import tensorflow as tf

from keras_psa.data import load_dataset
from keras_psa.data import validation_examples
from keras_psa.export import check_gpu_compatibility
from keras_psa.export import check_keras_parity
from keras_psa.export import convert_model
from keras_psa.export import run_gpu_accelerator
from keras_psa.export.checks.shipping_verdict import SHIPPED_FILES
from keras_psa.export.checks.shipping_verdict import file_verdict
from keras_psa.export.checks.task_criteria import FLOOR_MARGIN
from keras_psa.export.checks.task_criteria import StepShare
from keras_psa.export.checks.task_criteria import agreement_criterion
from keras_psa.export.checks.task_criteria import combine
from keras_psa.export.checks.task_criteria import judge_agreement
from keras_psa.export.checks.task_criteria import judge_output
from keras_psa.export.checks.task_criteria import steps_threshold
from keras_psa.export.checks.task_criteria import task_figures
from keras_psa.keras_flavor import keras
from tests.export.gpu_availability import require_gpu_run
from tests.export.tiny_models import argmax_net
from tests.installed_tools import tool

pytestmark = pytest.mark.flavor_independent

SIZE = 32


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    out = tmp_path_factory.mktemp("verdict_rules")
    keras.utils.set_random_seed(0)
    train, info = load_dataset("shapes", SIZE, 16, split="train", repeat=True)
    inputs = keras.Input((SIZE, SIZE, 3))
    x = keras.layers.Rescaling(1.0 / 255.0)(inputs)  # takes 0..255, as the package's models
    x = keras.layers.Conv2D(16, 3, strides=2, padding="same", activation="relu")(x)
    x = keras.layers.Conv2D(32, 3, strides=2, padding="same", activation="relu")(x)
    x = keras.layers.Conv2D(32, 3, padding="same", activation="relu")(x)
    x = keras.layers.UpSampling2D(4, interpolation="bilinear")(x)
    model = keras.Model(inputs, keras.layers.Conv2D(info.num_classes, 1)(x))
    model.compile(keras.optimizers.Adam(1e-2), keras.losses.SparseCategoricalCrossentropy(
        from_logits=True, ignore_class=info.ignore_label))
    # Shapes weigh more than the background: without it 300 steps learn background only,
    # whose labels no calibration can move. With it: two classes in use, 99.3% of the
    # labels kept by the well calibrated int8 file (measured 2026-12-06).
    weighted = train.map(lambda image, mask: (image, mask, tf.where(mask > 0, 6.0, 1.0)))
    model.fit(weighted, steps_per_epoch=300, epochs=1, verbose=0)
    paths = {"keras": str(out / "model.keras"), "float32": str(out / "float32.tflite"),
             "int8": str(out / "int8.tflite"), "int8_0_1": str(out / "int8_0_1.tflite"),
             "argmax": str(out / "argmax.tflite")}
    model.save(paths["keras"])
    convert_model(model, paths["float32"], input_size=(SIZE, SIZE))
    convert_model(model, paths["int8"], quantization="int8", input_size=(SIZE, SIZE),
                  representative="shapes", num_calibration_samples=32)
    # The mistake: calibration images in [0, 1] for a model that takes 0..255.
    calibration = [image / 255.0 for image in next(
        train.as_numpy_iterator())[0]] * 2
    convert_model(model, paths["int8_0_1"], quantization="int8", input_size=(SIZE, SIZE),
                  representative=calibration, num_calibration_samples=32)
    convert_model(argmax_net(), paths["argmax"], input_size=(16, 16))
    return model, paths, validation_examples("shapes", SIZE, count=8)[0]


def test_a_well_calibrated_int8_file_passes_on_real_images(files):
    model, paths, images = files
    result = check_keras_parity(model, paths["int8"], images=images)
    assert result.status == "passed", result.summary()
    assert result.details["label_agreement"] >= 0.99
    assert "pixels with the reference's label" in result.message
    labels = np.argmax(model.predict(images, verbose=0), -1)
    assert len(np.unique(labels)) > 1  # labels a calibration can move


def test_an_int8_file_calibrated_on_the_wrong_range_fails_on_real_images(files):
    model, paths, images = files
    result = check_keras_parity(model, paths["int8_0_1"], images=images)
    assert result.status == "failed", result.summary()
    assert result.details["label_agreement"] < 0.99
    assert "not >= 99%" in result.message
    checks = [result.to_dict(), *[{"name": name, "status": "passed", "message": "",
                                   "issues": [], "details": {}}
                                  for name in ("gpu_static", "gpu_run", "xnnpack")]]
    verdict = file_verdict(SHIPPED_FILES[1], checks, mean_iou=0.5, reference_score=0.5)
    assert verdict.verdict == "criteria failed: keras_parity"


def test_on_random_images_an_int8_file_is_not_judged_but_a_float_file_is(files):
    model, paths, _ = files
    for name in ("int8", "int8_0_1"):  # neither a pass nor a fail: both are unjudged
        result = check_keras_parity(model, paths[name], num_inputs=2)
        assert result.status == "not judged", result.summary()
        assert "not judged on real images" in result.message
    assert check_keras_parity(model, paths["float32"], num_inputs=2).status == "passed"


@pytest.mark.parametrize("name, images, code", [
    ("int8", None, 4), ("int8", "shapes", 0), ("int8_0_1", "shapes", 1),
    ("float32", None, 0)])
def test_keras_psa_check_exit_codes_follow_the_rules(files, name, images, code):
    _, paths, _ = files
    command = [tool("keras-psa-check"), paths[name], "--reference", paths["keras"],
               "--num-inputs", "4"]
    if images:
        command += ["--images", images]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == code, done.stdout + done.stderr[-2000:]
    if code == 4:
        assert "[NOT JUDGED] keras_parity" in done.stdout


def test_the_gpu_run_judges_an_int8_file_by_its_labels_on_a_real_image(files):
    _, paths, images = files
    result = run_gpu_accelerator(paths["int8"], images=images)
    require_gpu_run(result)
    assert result.status == "passed", result.summary()
    assert min(result.details["label_agreement"].values()) >= 0.99
    assert "arithmetic fp32" in result.message
    unjudged = run_gpu_accelerator(paths["int8"], pixel_range=(0.0, 255.0))
    assert unjudged.status == "not judged", unjudged.summary()


def test_a_file_with_an_op_the_gpu_refuses_fails(files):
    _, paths, _ = files
    static = check_gpu_compatibility(paths["argmax"])
    assert static.status == "failed" and [i.op_name for i in static.issues] == ["ARG_MAX"]
    run = run_gpu_accelerator(paths["argmax"])
    require_gpu_run(run)
    assert run.status == "failed"
    others = [{"name": name, "status": "passed", "message": "", "issues": [], "details": {}}
              for name in ("xnnpack", "keras_parity")]
    verdict = file_verdict(SHIPPED_FILES[0], [static.to_dict(), run.to_dict(), *others],
                           mean_iou=0.5, reference_score=0.5)
    assert verdict.verdict == "criteria failed: gpu_static, gpu_run"


@pytest.mark.parametrize("share, floor, passes", [
    (0.9865, 0.9544, True),   # the segmentation demo's QAT file: above its floor
    (0.8816, 0.2742, True),   # the keypoint demo's: far above its floor
    (0.9950, 1.0000, True),   # above the check's own share
    (0.9300, 0.9544, False),  # more than two points below the floor
    (0.2000, 0.2742, False),
])
def test_the_int8_step_diagnostic_fails_only_below_its_floor(share, floor, passes):
    assert (share >= steps_threshold(0.99, floor)) == passes
    assert steps_threshold(0.99, None) == 0.99
    assert steps_threshold(0.99, 0.5) == pytest.approx(0.5 - FLOOR_MARGIN)


def _heatmaps(peaks, size=(8, 6), keypoints=1):
    maps = np.zeros((len(peaks), *size, keypoints), np.float32)
    for i, (row, col) in enumerate(peaks):
        maps[i, row, col, 0] = 1.0
    return maps


@pytest.mark.parametrize("moved_cells, input_size, status", [
    ((0, 0), (32, 24), "passed"),
    ((0, 1), (8, 6), "passed"),    # one cell at the input's resolution: 1 px
    ((0, 1), (32, 24), "failed"),  # one cell of a stride-4 map: 4.6 px
    ((1, 1), (8, 6), "failed"),    # sqrt(2) px
])
def test_the_keypoint_rule_measures_the_shift_in_input_pixels(moved_cells, input_size, status):
    expected = _heatmaps([(3, 2)])
    actual = _heatmaps([(3 + moved_cells[0], 2 + moved_cells[1])])
    figures = task_figures("heatmaps", actual, expected, input_size)
    # Decoded keypoints: a heatmap cell spans (input - 1) / (heatmap - 1) pixels (UDP).
    cell = [(size - 1) / (cells - 1) for size, cells in zip(input_size, (8, 6))]
    assert figures["keypoint_shift_px"] == pytest.approx(
        np.hypot(moved_cells[0] * cell[0], moved_cells[1] * cell[1]))
    assert judge_agreement("heatmaps", figures, real_inputs=True, quantized=True)[0] == status
    assert judge_agreement("heatmaps", figures, real_inputs=False, quantized=True)[0] == (
        "not judged")
    assert judge_agreement("heatmaps", figures, real_inputs=False, quantized=False)[0] == status


def test_an_output_without_a_task_level_figure_is_left_to_the_other_rules():
    flat = np.zeros((1, 4, 4, 1), np.float32)  # one channel: no labels
    figures = task_figures("labels", flat, flat)
    assert figures == {"label_agreement": None}
    assert judge_agreement("labels", figures, real_inputs=True, quantized=True) == (None, None)


# === The one rule of every check: `judge_output` ===

GOOD_LABELS, BAD_LABELS = {"label_agreement": 0.998}, {"label_agreement": 0.90}
POOR_STEPS = StepShare(share=0.40, steps=1, target=0.99, floor=0.95)   # far below its floor
FINE_STEPS = StepShare(share=0.999, steps=1, target=0.99, floor=0.95)


def test_where_a_task_level_figure_exists_it_decides_and_the_steps_are_a_diagnostic():
    status, text = judge_output("labels", GOOD_LABELS, real_inputs=True, quantized=True,
                                steps=POOR_STEPS)
    assert status == "passed" and "40.00% within 1 int8 step(s) (floor 95.00%; diagnostic)" \
        in text, text
    status, text = judge_output("labels", BAD_LABELS, real_inputs=True, quantized=True,
                                steps=FINE_STEPS)
    assert status == "failed" and "90.00% (not >= 99%)" in text, text
    # On random images an int8 file is not judged, whatever its steps say.
    assert judge_output("labels", BAD_LABELS, real_inputs=False, quantized=True,
                        steps=POOR_STEPS)[0] == "not judged"


def test_without_a_task_level_figure_the_steps_decide_beside_their_floor():
    none = {"label_agreement": None}
    status, text = judge_output("labels", none, real_inputs=True, quantized=True,
                                steps=POOR_STEPS)
    assert status == "failed" and "not >= 93.00%" in text, text
    assert judge_output("labels", none, real_inputs=True, quantized=True,
                        steps=FINE_STEPS)[0] == "passed"
    # Nothing at all to judge by: left to the check's other rules.
    assert judge_output("labels", none, real_inputs=True, quantized=True) == (None, None)


def test_a_float_output_must_also_be_within_its_tolerance():
    assert judge_output("labels", GOOD_LABELS, real_inputs=True, quantized=False,
                        error=1e-6, tolerance=1e-3)[0] == "passed"
    status, text = judge_output("labels", GOOD_LABELS, real_inputs=True, quantized=False,
                                error=5e-3, tolerance=1e-3)
    assert status == "failed" and text == "max rel. error 0.005 > 0.001", text
    # An int8 output judged by its labels shows no error rule.
    assert judge_output("labels", GOOD_LABELS, real_inputs=True, quantized=True,
                        error=5e-1, tolerance=1e-3)[0] == "passed"


@pytest.mark.parametrize("agreement, floor, status", [
    (0.990, None, "passed"),     # the bound itself
    (0.985, None, "failed"),
    (0.960, 0.955, "passed"),    # a near-tie file: two fp32 backends agree on 95.5% only
    (0.950, 0.955, "failed"),    # below its own floor
    (0.985, 0.999, "failed"),    # a trained file's floor leaves the bound at 99%
])
def test_the_label_bound_is_99_percent_or_the_floor_whichever_is_lower(agreement, floor,
                                                                         status):
    floor_figures = None if floor is None else {"label_agreement": floor}
    found, text = judge_output("labels", {"label_agreement": agreement}, real_inputs=True,
                               quantized=False, floor_figures=floor_figures,
                               floor_text="fp32 XNNPACK vs builtin kernels")
    assert found == status, text
    if floor is not None:
        assert f"floor, fp32 XNNPACK vs builtin kernels: {floor:.2%}" in text, text
        assert f">= {min(floor, 0.99):.2%}".replace("99.00%", "99%") in text, text


def test_the_keypoint_bound_is_1_px_or_the_floor_whichever_is_higher():
    assert agreement_criterion("heatmaps", 0.4).at_most == 1.0
    assert agreement_criterion("heatmaps", 1.6).at_most == 1.6
    assert judge_output("heatmaps", {"keypoint_shift_px": 1.5}, real_inputs=True,
                        quantized=True, floor_figures={"keypoint_shift_px": 1.6})[0] == "passed"
    assert judge_output("heatmaps", {"keypoint_shift_px": 1.5}, real_inputs=True,
                        quantized=True, floor_figures={"keypoint_shift_px": 0.2})[0] == "failed"


def test_a_check_fails_on_any_failure_and_shows_only_the_failures():
    assert combine([("passed", "a"), ("not judged", "b")]) == ("not judged", ["a", "b"])
    assert combine([("passed", "a"), ("failed", "c"), (None, None)]) == ("failed", ["c"])
    assert combine([("passed", "a")]) == ("passed", ["a"])
