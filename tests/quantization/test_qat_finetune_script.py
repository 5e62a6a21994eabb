"""examples/qat_finetune.py and examples/pipeline.py: arguments and the float-run hand-over."""

import json
import os
import subprocess
import sys

import pytest

from keras_psa.quantization.qat_config import QATConfig
from keras_psa.quantization.qat_finetune import read_float_run
from keras_psa.quantization.qat_finetune import results_table
from keras_psa.quantization.qat_task import qat_task
from tests.installed_tools import tool
from tests.training.script_runner import ROOT
from tests.training.script_runner import load_script
from tests.training.script_runner import script_env

pytestmark = pytest.mark.flavor_independent


@pytest.mark.slow
@pytest.mark.parametrize("command", [tool("keras-psa-qat"),
                                     os.path.join(ROOT, "examples", "pipeline.py")])
def test_help_lists_the_flags(command):
    args = [command] if command.endswith("keras-psa-qat") else [sys.executable, command]
    result = subprocess.run([*args, "--help"], env=script_env(), capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    assert "--output-dir" in result.stdout


def test_read_float_run_names_what_is_missing(tmp_path):
    with pytest.raises(ValueError, match="summary.json"):
        read_float_run(tmp_path)
    (tmp_path / "model.keras").write_bytes(b"x")
    (tmp_path / "summary.json").write_text(json.dumps({"val": {}}))
    with pytest.raises(ValueError, match="not a training summary"):
        read_float_run(tmp_path / "model.keras")
    (tmp_path / "summary.json").write_text(json.dumps({"config": {}, "dataset": {}}))
    assert read_float_run(tmp_path)[0] == os.path.join(tmp_path, "model.keras")


def test_qat_config_rejects_bad_values():
    with pytest.raises(ValueError, match="`steps` must be a positive int"):
        QATConfig("run", steps=0).validate()
    with pytest.raises(ValueError, match="`checkpoint` must be"):
        QATConfig("run", checkpoint="last").validate()
    with pytest.raises(ValueError, match="`ptq_samples` must be an int >= 0"):
        QATConfig("run", ptq_samples=-1).validate()
    with pytest.raises(ValueError, match="`device_checks` must be a bool"):
        QATConfig("run", device_checks="no").validate()
    QATConfig("run", ptq_samples=0, device_checks=False).validate()


def _summary(task):
    config = {"backbone": "mobilenet_v2", "head": "lraspp", "attention": "psa_p",
              "attention_positions": ["head"], "psa_variant": "paper", "alpha": 0.35,
              "head_filters": 16, "data_seed": 0}
    if task == "keypoints":
        return {"task": task, "dataset": {"num_joints": 15, "sigma": 2.0},
                "config": {**config, "dataset": "figures", "image_size": [64, 48],
                           "activation": "linear"}}
    return {"config": {**config, "dataset": "digits", "image_size": 64},
            "dataset": {"num_classes": 11}}


def test_results_table_lists_every_model():
    table = results_table({"float (Keras)": 0.5, "QAT int8 (TFLite)": 0.25},
                          qat_task(_summary("segmentation")))
    assert "| float (Keras) | 0.5000 |" in table and "| QAT int8 (TFLite) | 0.2500 |" in table
    scores = {"oks_ap": 0.5, "oks_ap50": 0.75, "oks_ap75": 0.25, "pck": 0.625}
    table = results_table({"float (Keras)": scores,
                           "PTQ int8 (TFLite)": {**scores, "shift_vs_float_keras_px": 0.125},
                           "QAT int8 (TFLite)": {**scores, "shift_vs_float_keras_px": 2.5,
                                                 "shift_vs_qat_keras_px": 0.375}},
                          qat_task(_summary("keypoints")))
    assert "| float (Keras) | 0.5000 | 0.7500 | 0.2500 | 0.6250 | - | - |" in table
    assert "| PTQ int8 (TFLite) | 0.5000 | 0.7500 | 0.2500 | 0.6250 | 0.125 | - |" in table
    assert "| QAT int8 (TFLite) | 0.5000 | 0.7500 | 0.2500 | 0.6250 | 2.500 | 0.375 |" in table


def test_qat_task_follows_the_float_run_and_its_overrides():
    segmentation = qat_task(_summary("segmentation"),
                            QATConfig("run", image_size=32, data_seed=3))
    assert (segmentation.kind, segmentation.input_shape, segmentation.data_seed) == (
        "segmentation", (32, 32, 3), 3)
    keypoints = qat_task(_summary("keypoints"))
    assert (keypoints.kind, keypoints.input_shape, keypoints.sigma) == (
        "keypoints", (64, 48, 3), 2.0)
    assert keypoints.build(batch_size=1).output_shape == (1, 64, 48, 15)
    with pytest.raises(ValueError, match="must be one int"):
        qat_task(_summary("segmentation"), QATConfig("run", image_size=(64, 48)))
    with pytest.raises(ValueError, match="task must be one of"):
        qat_task({**_summary("segmentation"), "task": "detection"})


def _pipeline_module():
    return load_script("examples", "pipeline.py")


def test_pipeline_report_says_which_data_and_how_much():
    pipeline = _pipeline_module()
    args = pipeline.parse_args(["--output-dir", "unused"])
    summary = {"dataset": {"train_examples": 19200, "val_examples": 200}}
    text = " ".join(pipeline._data_lines(args, summary))
    assert "`digits`" in text and "11 classes" in text
    assert "19,200 training and 200 validation examples" in text
    # The demo's segmentation run sees each training scene once.
    assert args.train_examples == args.epochs * args.steps_per_epoch * args.batch_size
    # ... and what the longer run reaches, which only a --long report leaves out.
    assert "`--long`" in text and "val mean IoU" in text
    long_args = pipeline.parse_args(["--output-dir", "unused", "--long"])
    assert "`--long`" not in " ".join(pipeline._data_lines(long_args, summary))
    args.dataset = "dir:/somewhere"
    assert pipeline._data_lines(args, summary) == []


def test_pipeline_keypoint_table_has_both_shifts_of_every_file(tmp_path):
    pipeline = _pipeline_module()
    args = pipeline.parse_args(["--task", "keypoints", "--output-dir", str(tmp_path)])
    scores = {"oks_ap": 0.5, "oks_ap50": 0.75, "oks_ap75": 0.25, "pck": 0.625,
              "mean_error_px": 3.0, "shift_vs_float_keras_px": 1.5}
    float_scores = {name: dict(scores, shift_vs_float_keras_px=0.0) for name in ("float32",
                                                                                  "float16")}
    (tmp_path / "float_keypoint_scores.json").write_text(json.dumps(float_scores))
    for name in float_scores:
        (tmp_path / f"{name}.tflite").write_bytes(b"x" * 7)
    qat_summary = {"sizes_bytes": {"qat_int8": 11, "qat_int8_xnnpack": 12, "ptq_int8": 13},
                   "val_keypoints": {"QAT int8 (TFLite)": dict(scores,
                                                               shift_vs_qat_keras_px=0.25),
                                     "PTQ int8 (TFLite)": scores}}
    lines = pipeline._score_lines(args, str(tmp_path), {}, qat_summary)
    assert "vs QAT Keras (px)" in lines[2]
    figures = "| 0.5000 | 0.7500 | 0.2500 | 0.6250 | 3.00 |"
    assert f"| QAT int8 (TFLite) {figures} 1.50 | 0.25 | 11 |" in lines
    assert f"| PTQ int8 (TFLite) {figures} 1.50 |  | 13 |" in lines
    assert f"| float16 (TFLite) {figures} 0.00 |  | 7 |" in lines
