"""End-to-end runs of the installed keras-psa-train-keypoints: tiny training, SIGKILL resume."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from tests.installed_tools import tool
from tests.training.script_runner import ROOT
from tests.training.script_runner import script_env

SCRIPT = tool("keras-psa-train-keypoints")
# Smallest useful run: 64x48 crops, a thin backbone and head, 2 epochs of 4 steps.
TINY_ARGS = (
    "--image-size", "64,48", "--alpha", "0.35", "--head-filters", "16", "--batch-size", "4",
    "--train-examples", "16", "--val-examples", "8", "--epochs", "2", "--steps-per-epoch", "4",
    "--backup-steps", "2", "--num-pictures", "2", "--verbose", "2", "--deterministic",
)


def _start(args):
    return subprocess.Popen([SCRIPT, *args], env=script_env(), cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _run(args, timeout=600):
    process = _start(args)
    output, _ = process.communicate(timeout=timeout)
    return process.returncode, output


def _summary(output_dir):
    with open(os.path.join(output_dir, "summary.json")) as file:
        return json.load(file)


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory):
    output_dir = str(tmp_path_factory.mktemp("keypoints") / "reference")
    code, output = _run([*TINY_ARGS, "--output-dir", output_dir])
    assert code == 0, output[-4000:]
    return output_dir


# argparse only: the flavor plays no part.
@pytest.mark.flavor_independent
@pytest.mark.slow
def test_help_lists_the_flags():
    result = subprocess.run([SCRIPT, "--help"], env=script_env(),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    for flag in ("--backbone", "--attention", "--dataset", "--image-size", "--sigma",
                 "--no-flip", "--val-examples", "--strategy", "--backup-steps", "--seed"):
        assert flag in result.stdout


@pytest.mark.flavor_independent
@pytest.mark.slow
def test_bad_image_size_is_rejected():
    result = subprocess.run([SCRIPT, "--image-size", "64"], env=script_env(),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "--image-size" in result.stderr


@pytest.mark.slow
@pytest.mark.flavor_independent
def test_tiny_run_writes_model_oks_summary_and_pictures(reference_run):
    summary = _summary(reference_run)
    assert summary["task"] == "keypoints"
    for key in ("oks_ap", "oks_ap50", "oks_ap75", "oks_ar", "pck"):
        assert 0.0 <= summary["val"][key] <= 1.0, key
    assert summary["val"]["mean_error_px"] > 0
    assert set(summary["val_pck_per_joint"]) == set(summary["dataset"]["skeleton"]["joint_names"])
    # Stride-4 heatmaps (16x12 of 64x48 crops); sigma: heatmap height / 32, at least 2.
    assert summary["dataset"]["heatmap_size"] == [16, 12]
    assert summary["dataset"]["sigma"] == 2.0 and summary["dataset"]["val_examples"] == 8
    assert summary["model"]["params"] > 0 and summary["model"]["macs"] > 0
    assert [row["epoch"] for row in summary["history"]] == [0, 1]
    assert all("val_oks_ap" in row and "val_pck" in row for row in summary["history"])
    assert summary["best"]["val_oks_ap"] == max(r["val_oks_ap"] for r in summary["history"])
    for name in ("model.keras", "best.keras", "training_log.csv", "skeletons.png",
                 "heatmaps.png", "attention_head_attention.png"):
        assert os.path.getsize(os.path.join(reference_run, name)) > 0, name
    assert os.listdir(os.path.join(reference_run, "tensorboard"))
    assert not os.path.exists(os.path.join(reference_run, "backup"))
    # The saved model reloads in safe mode.
    code = ("import keras_psa, numpy as np; from keras_psa.saving import load_model; "
            f"m = load_model({os.path.join(reference_run, 'best.keras')!r}); "
            "print(m.predict(np.zeros((1, 64, 48, 3)), verbose=0).shape)")
    result = subprocess.run([sys.executable, "-c", code], env=script_env(), capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "(1, 16, 12, 14)" in result.stdout


@pytest.mark.slow
@pytest.mark.flavor_independent
def test_sigkill_mid_epoch_then_restart_ends_like_an_uninterrupted_run(reference_run, tmp_path):
    resumed_dir = str(tmp_path / "resumed")
    args = [*TINY_ARGS, "--output-dir", resumed_dir]
    process = _start(args)
    # Backups every 2 steps of 4-step epochs: step 6 is the middle of epoch 2.
    target = os.path.join(resumed_dir, "backup", "step-000000006")
    deadline = time.time() + 500
    while not os.path.isdir(target) and process.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    output, _ = process.communicate()
    assert process.returncode == -signal.SIGKILL, output[-3000:]
    assert not os.path.exists(os.path.join(resumed_dir, "summary.json"))

    code, output = _run(args)
    assert code == 0, output[-4000:]
    resumed_line = next(line for line in output.splitlines() if line.startswith("Resuming"))
    step = int(resumed_line.split()[3])
    assert 6 <= step < 8, resumed_line
    reference, resumed = _summary(reference_run), _summary(resumed_dir)
    assert resumed["timing"]["resumed_from_step"] == step
    for key in ("loss", "oks_ap", "pck", "mean_error_px"):
        np.testing.assert_allclose(resumed["val"][key], reference["val"][key], rtol=1e-4,
                                   atol=1e-6)
    assert [row["epoch"] for row in resumed["history"]] == [0, 1]


@pytest.mark.slow
@pytest.mark.flavor_independent
def test_the_same_model_trains_and_scores_on_a_coco_folder(tmp_path):
    from tests.data.coco_files import write_coco_folder

    root = str(tmp_path / "coco")
    write_coco_folder(root, split="train2017", count=8)
    write_coco_folder(root, split="val2017", count=4, seed=1)
    output_dir = str(tmp_path / "run")
    args = ["--dataset", f"coco:{root}", "--image-size", "64,48", "--alpha", "0.35",
            "--head-filters", "16", "--batch-size", "4", "--epochs", "1",
            "--steps-per-epoch", "2", "--num-pictures", "1", "--verbose", "2",
            "--output-dir", output_dir]
    code, output = _run(args)
    assert code == 0, output[-4000:]
    summary = _summary(output_dir)
    assert summary["config"]["head"] == "fpn" and summary["config"]["output_stride"] == 4
    assert summary["dataset"]["heatmap_size"] == [16, 12]
    assert summary["dataset"]["train_examples"] == 8 and summary["dataset"]["val_examples"] == 4
    assert 0.0 <= summary["val"]["oks_ap"] <= 1.0 and 0.0 <= summary["val"]["pck"] <= 1.0
