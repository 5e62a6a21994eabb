"""examples/qat_finetune.py killed mid-epoch (SIGKILL) and started again ends like an
uninterrupted run."""

import json
import os
import signal
import subprocess
import time

import numpy as np
import pytest

from tests.installed_tools import tool
from tests.training.script_runner import ROOT
from tests.training.script_runner import SCRIPT as TRAIN_SCRIPT
from tests.training.script_runner import script_env

# The scripts start their own processes (qat_finetune re-executes itself under
# tf_keras), so the flavor of the test process does not matter.
pytestmark = [pytest.mark.slow, pytest.mark.flavor_independent]

QAT_SCRIPT = tool("keras-psa-qat")
# One float step is enough: the test compares two QAT runs, not their quality (scored on
# the float run's 8 validation scenes).
FLOAT_ARGS = (
    "--dataset", "digits", "--image-size", "64", "--backbone", "mobilenet_v2", "--alpha",
    "0.35", "--head-filters", "16", "--attention", "se", "--batch-size", "2",
    "--train-examples", "8", "--val-examples", "8", "--epochs", "1", "--steps-per-epoch", "1",
    "--num-pictures", "0", "--verbose", "2",
)
# 2 epochs of 3 steps, a backup after every step; the QAT files alone, scored but not
# checked (no post-training files, no device checks: what is compared is the training). A
# learning rate high enough that a step trained twice, or skipped, moves the weights well
# past the tolerance of the comparison.
QAT_ARGS = (
    "--steps", "6", "--steps-per-epoch", "3", "--backup-steps", "1", "--batch-size", "2",
    "--lr", "1e-3", "--ptq-samples", "0", "--no-checks", "--verbose", "2",
)


def _env():
    env = script_env()
    # The float run must be a Keras 3 one, whichever pass of the suite this is.
    env.pop("TF_USE_LEGACY_KERAS", None)
    return env


def _start(script, args):
    return subprocess.Popen([script, *args], env=_env(), cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _run(script, args, timeout=600):
    process = _start(script, args)
    output, _ = process.communicate(timeout=timeout)
    assert process.returncode == 0, output[-5000:]
    return output


def _qat_weights(output_dir):
    import tensorflow as tf

    reader = tf.train.load_checkpoint(
        os.path.join(output_dir, "qat_savedmodel", "variables", "variables")
    )
    return {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()
            if not name.startswith("_CHECKPOINTABLE_OBJECT_GRAPH")}


def _summary(output_dir):
    with open(os.path.join(output_dir, "qat_summary.json")) as file:
        return json.load(file)


@pytest.mark.cost(210)
def test_sigkill_mid_epoch_then_restart_ends_like_an_uninterrupted_run(tmp_path):
    float_dir = str(tmp_path / "float")
    _run(TRAIN_SCRIPT, [*FLOAT_ARGS, "--output-dir", float_dir])
    reference_dir, resumed_dir = str(tmp_path / "reference"), str(tmp_path / "resumed")
    # The uninterrupted run goes on beside the interrupted one: the runs are
    # mostly single-threaded, and this halves the test's time.
    reference_process = _start(QAT_SCRIPT, [float_dir, *QAT_ARGS, "--output-dir", reference_dir])

    try:
        args = [float_dir, *QAT_ARGS, "--output-dir", resumed_dir]
        process = _start(QAT_SCRIPT, args)  # os.execve keeps the pid: the kill reaches it
        # Step 4 is the middle of epoch 2 (3-step epochs).
        target = os.path.join(resumed_dir, "backup", "step-000000004")
        deadline = time.time() + 500
        while not os.path.isdir(target) and process.poll() is None and time.time() < deadline:
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        output, _ = process.communicate()
        assert process.returncode == -signal.SIGKILL, output[-5000:]
        assert not os.path.exists(os.path.join(resumed_dir, "qat_summary.json"))
        assert not os.path.exists(os.path.join(resumed_dir, "qat_savedmodel"))

        output = _run(QAT_SCRIPT, args)
        reference_output, _ = reference_process.communicate(timeout=600)
    finally:
        if reference_process.poll() is None:  # a failure above: no orphan left running
            reference_process.kill()
            reference_process.communicate()
    assert reference_process.returncode == 0, reference_output[-5000:]
    resumed_line = next(line for line in output.splitlines() if line.startswith("Resuming QAT"))
    step = int(resumed_line.split()[4])
    assert 4 <= step < 6, resumed_line  # mid-epoch 2, not an epoch boundary
    assert not os.path.exists(os.path.join(resumed_dir, "backup"))

    reference, resumed = _summary(reference_dir), _summary(resumed_dir)
    # --ptq-samples 0 --no-checks: the QAT files only, scored, no report beside them.
    assert set(reference["val_mean_iou"]) == {
        "float (Keras)", "QAT fake-quant (Keras)", "QAT int8 (TFLite)",
        "QAT int8, XNNPACK file (TFLite)"}
    assert reference["checks"] == {} and not os.path.exists(
        os.path.join(reference_dir, "ptq_int8.tflite"))
    assert resumed["timing"]["resumed_from_step"] == step
    assert reference["timing"]["resumed_from_step"] == 0
    for name, value in reference["val_mean_iou"].items():
        np.testing.assert_allclose(resumed["val_mean_iou"][name], value, rtol=1e-4, atol=1e-6,
                                   err_msg=name)
    # Trainable weights, BatchNorm statistics and the quantization ranges (the
    # moving averages, and whether the first batch set them) of the QAT model.
    reference_weights, resumed_weights = _qat_weights(reference_dir), _qat_weights(resumed_dir)
    assert reference_weights.keys() == resumed_weights.keys()
    assert any("_max" in name for name in reference_weights), sorted(reference_weights)[:20]
    for name, value in reference_weights.items():
        np.testing.assert_allclose(resumed_weights[name], value, rtol=1e-4, atol=1e-5,
                                   err_msg=name)
