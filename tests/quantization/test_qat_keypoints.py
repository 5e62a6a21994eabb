"""A heatmap model through the installed tools: keras-psa-train-keypoints, then keras-psa-qat
(QAT, all-int8 and `_xnnpack` files, PTQ, every device check, OKS AP of each model)."""

import json
import os
import subprocess

import numpy as np
import pytest

from keras_psa.quantization.qat_files import FILE_NAMES
from tests.installed_tools import tool
from tests.training.script_runner import ROOT
from tests.training.script_runner import script_env

pytestmark = [pytest.mark.slow, pytest.mark.flavor_independent]

TRAIN_SCRIPT = tool("keras-psa-train-keypoints")
QAT_SCRIPT = tool("keras-psa-qat")
FLOAT_ARGS = (
    "--image-size", "64,48", "--alpha", "0.35", "--head-filters", "16", "--batch-size", "4",
    "--train-examples", "16", "--val-examples", "8", "--epochs", "1", "--steps-per-epoch", "2",
    "--num-pictures", "0", "--verbose", "2",
)
QAT_ARGS = (
    "--steps", "2", "--steps-per-epoch", "2", "--batch-size", "4", "--ptq-samples", "4",
    "--calibration-batches", "1", "--verbose", "2",
)
MODELS = ("float (Keras)", "QAT fake-quant (Keras)", *FILE_NAMES.values())
SCORES = ("oks_ap", "oks_ap50", "oks_ap75", "pck", "mean_error_px", "shift_vs_float_keras_px")


def _run(script, args):
    env = script_env()
    env.pop("TF_USE_LEGACY_KERAS", None)
    done = subprocess.run([script, *args], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=900, check=False)
    assert done.returncode == 0, (done.stdout + done.stderr)[-5000:]
    return done.stdout


@pytest.fixture(scope="module")
def qat_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("keypoint_qat")
    float_dir, qat_dir = str(folder / "float"), str(folder / "qat")
    _run(TRAIN_SCRIPT, [*FLOAT_ARGS, "--output-dir", float_dir])
    output = _run(QAT_SCRIPT, [float_dir, *QAT_ARGS, "--output-dir", qat_dir])
    with open(os.path.join(qat_dir, "qat_summary.json")) as file:
        summary = json.load(file)
    return summary, output


@pytest.mark.cost(274)  # the module's training and QAT run, built for the first test
def test_keypoint_qat_scores_every_model_with_oks(qat_run):
    summary, _ = qat_run
    assert summary["task"] == "keypoints"
    assert "val_mean_iou" not in summary
    scores = summary["val_keypoints"]
    assert set(scores) == set(MODELS)
    for name in MODELS:
        assert set(SCORES) <= set(scores[name]) <= {*SCORES, "shift_vs_qat_keras_px"}, name
        assert 0.0 <= scores[name]["oks_ap"] <= 1.0
        assert 0.0 <= scores[name]["pck"] <= 1.0
        assert np.isfinite(scores[name]["mean_error_px"])
    assert scores["float (Keras)"]["shift_vs_float_keras_px"] == 0.0
    # The two QAT TFLite files differ only in ops run in float: same keypoints.
    assert scores["QAT int8 (TFLite)"]["shift_vs_float_keras_px"] == pytest.approx(
        scores["QAT int8, XNNPACK file (TFLite)"]["shift_vs_float_keras_px"], abs=0.5)
    # The QAT files are also measured against the fake-quant model they come from.
    assert scores["QAT fake-quant (Keras)"]["shift_vs_qat_keras_px"] == 0.0
    for name in ("QAT int8 (TFLite)", "QAT int8, XNNPACK file (TFLite)"):
        assert np.isfinite(scores[name]["shift_vs_qat_keras_px"]), name
    for name in ("float (Keras)", "PTQ int8 (TFLite)"):
        assert "shift_vs_qat_keras_px" not in scores[name], name


def test_keypoint_qat_files_pass_their_device_checks(qat_run):
    summary, _ = qat_run
    status = {name: {c["name"]: c["status"] for c in checks}
              for name, checks in summary["checks"].items()}
    # The QAT files pass everything; the all-int8 file is for int8-only accelerators, so
    # XNNPACK (no int8 softmax) is not its criterion.
    assert status["qat_int8_xnnpack"] == {"gpu_static": "passed", "gpu_run": "passed",
                                          "gpu_fp16": "passed", "xnnpack": "passed",
                                          "keras_parity": "passed"}
    assert {k: status["qat_int8"][k] for k in ("gpu_static", "gpu_run", "keras_parity")} == {
        "gpu_static": "passed", "gpu_run": "passed", "keras_parity": "passed"}
    # Post-training files of a two-step model: judged by their keypoints against float
    # Keras, which its flat heatmaps let move (5.7 px measured), whatever their error.
    for name in ("ptq_int8", "ptq_int8_xnnpack", "ptq_int8_all"):
        parity = next(c for c in summary["checks"][name] if c["name"] == "keras_parity")
        shift = parity["details"]["keypoint_shift_px"]
        assert parity["status"] == ("passed" if shift <= 1.0 else "failed"), parity["message"]
        assert status[name]["gpu_static"] == status[name]["gpu_run"] == "passed", name
    # Heatmaps are compared where their keypoints are decoded: by their peaks.
    for name, checks in summary["checks"].items():
        details = {c["name"]: c["details"] for c in checks}
        assert 0.0 <= details["keras_parity"]["peak_agreement"] <= 1.0, name
        assert "label_agreement" not in details["keras_parity"], name
        assert set(details["gpu_run"]["peak_agreement"]) == set(
            details["gpu_run"]["relative_error"]), name
        # QAT files' int8 steps are shown beside the floor: the same file on the builtin
        # kernels against XNNPACK (PTQ is compared with float Keras: no common grid).
        parity = details["keras_parity"]
        assert ("cpu_backends_share_within_int8_steps" in parity) == name.startswith("qat"), name
        if name.startswith("qat"):
            assert 0.0 < parity["cpu_backends_share_within_int8_steps"] <= 1.0, name
            assert parity["steps_of"] == "the output", name  # linear heatmaps


def test_keypoint_qat_files_carry_heatmap_metadata(qat_run):
    from keras_psa.export import read_metadata

    summary, _ = qat_run
    names = summary["dataset"]["joint_names"]
    assert len(names) == summary["dataset"]["num_joints"]
    for name in FILE_NAMES:
        metadata = read_metadata(summary["files"][name])
        assert metadata is not None, name
        assert metadata.output_name == "heatmaps"
        assert list(metadata.labels) == names
        assert metadata.normalization == {"mean": [0.0], "std": [1.0]}
