"""End-to-end runs of examples/train_segmentation.py: tiny training, SIGKILL resume, mirrored."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from tests.training.script_runner import SCRIPT
from tests.training.script_runner import TINY_ARGS
from tests.training.script_runner import run_script
from tests.training.script_runner import script_env
from tests.training.script_runner import start_script


def _summary(output_dir):
    with open(os.path.join(output_dir, "summary.json")) as file:
        return json.load(file)


def _weights(output_dir):
    # Read with h5py-free Keras loading in a fresh process would be slower; the
    # .keras zip holds model.weights.h5, compared array by array.
    import zipfile

    import h5py

    arrays = []
    with zipfile.ZipFile(os.path.join(output_dir, "model.keras")) as archive:
        with archive.open("model.weights.h5") as raw, h5py.File(raw, "r") as weights:
            weights.visititems(
                lambda name, item: arrays.append((name, item[()]))
                if isinstance(item, h5py.Dataset) else None
            )
    return dict(arrays)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """One uninterrupted tiny run: the files test reads it, the resume test compares to it."""
    output_dir = str(tmp_path_factory.mktemp("segmentation") / "run")
    code, output = run_script([*TINY_ARGS, "--output-dir", output_dir])
    assert code == 0, output
    return output_dir


# argparse only: the flavor plays no part.
@pytest.mark.flavor_independent
@pytest.mark.slow
def test_help_lists_the_flags():
    result = subprocess.run([SCRIPT, "--help"], env=script_env(),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    for flag in ("--backbone", "--head", "--attention", "--psa-variant", "--dataset",
                 "--image-size", "--batch-size", "--epochs", "--lr", "--schedule",
                 "--mixed-precision", "--output-dir", "--seed", "--strategy"):
        assert flag in result.stdout


@pytest.mark.flavor_independent
@pytest.mark.slow
def test_bad_attention_position_is_rejected():
    result = subprocess.run([SCRIPT, "--attention-positions", "tail"],
                            env=script_env(), capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "--attention-positions" in result.stderr


@pytest.mark.slow
def test_tiny_run_writes_model_summary_and_pictures(tiny_run):
    output_dir = tiny_run
    summary = _summary(output_dir)
    assert 0.0 <= summary["val"]["mean_iou"] <= 1.0
    assert 0.0 <= summary["val"]["pixel_accuracy"] <= 1.0
    assert summary["dataset"]["val_examples"] == 16  # --val-examples of TINY_ARGS
    assert summary["model"]["params"] > 0 and summary["model"]["macs"] > 0
    assert len(summary["history"]) == 2
    assert summary["timing"]["steps_this_process"] == 12
    for name in ("model.keras", "best.keras", "training_log.csv", "predictions.png",
                 "attention_head_attention.png"):
        assert os.path.getsize(os.path.join(output_dir, name)) > 0, name
    assert os.listdir(os.path.join(output_dir, "tensorboard"))
    assert not os.path.exists(os.path.join(output_dir, "backup"))


@pytest.mark.slow
@pytest.mark.flavor_independent
def test_sigkill_mid_epoch_then_restart_ends_like_an_uninterrupted_run(tiny_run, tmp_path):
    # The uninterrupted reference: the tiny run, same arguments (--deterministic).
    reference_dir, resumed_dir = tiny_run, str(tmp_path / "resumed")
    args = [*TINY_ARGS, "--output-dir", resumed_dir]
    process = start_script(args)
    # Backups come every 2 steps of 6-step epochs: step 8 is the middle of epoch 2.
    target = os.path.join(resumed_dir, "backup", "step-000000008")
    deadline = time.time() + 500
    while not os.path.isdir(target) and process.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    output, _ = process.communicate()
    assert process.returncode == -signal.SIGKILL, output
    assert not os.path.exists(os.path.join(resumed_dir, "summary.json"))

    code, output = run_script(args)
    assert code == 0, output
    resumed_line = next(line for line in output.splitlines() if line.startswith("Resuming"))
    step = int(resumed_line.split()[3])
    assert 8 <= step < 12, resumed_line  # mid-epoch 2, not an epoch boundary

    reference, resumed = _summary(reference_dir), _summary(resumed_dir)
    assert resumed["timing"]["resumed_from_step"] == step
    for key in ("loss", "mean_iou", "pixel_accuracy"):
        np.testing.assert_allclose(resumed["val"][key], reference["val"][key], rtol=1e-4,
                                   atol=1e-6)
    assert [row["epoch"] for row in resumed["history"]] == [0, 1]
    np.testing.assert_allclose(resumed["history"][0]["val_loss"],
                               reference["history"][0]["val_loss"], rtol=1e-5)
    reference_weights, resumed_weights = _weights(reference_dir), _weights(resumed_dir)
    assert reference_weights.keys() == resumed_weights.keys()
    for name, value in reference_weights.items():
        np.testing.assert_allclose(resumed_weights[name], value, rtol=1e-4, atol=1e-5,
                                   err_msg=name)


MIRRORED_PRELUDE = """
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(
    cpu, [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()])
"""


@pytest.mark.slow
@pytest.mark.flavor_independent
def test_mirrored_strategy_on_two_logical_cpus(tmp_path):
    output_dir = str(tmp_path / "mirrored")
    code, output = run_script(
        [*TINY_ARGS, "--epochs", "1", "--strategy", "mirrored", "--num-pictures", "0",
         "--output-dir", output_dir],
        prelude=MIRRORED_PRELUDE,
    )
    assert code == 0, output
    summary = _summary(output_dir)
    assert summary["environment"]["replicas"] == 2
    assert summary["timing"]["steps_this_process"] == 6
    assert 0.0 <= summary["val"]["mean_iou"] <= 1.0


def _free_ports(count):
    import socket

    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("localhost", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


@pytest.mark.slow
@pytest.mark.flavor_independent
@pytest.mark.cost(40)
def test_multiworker_strategy_with_two_local_workers(tmp_path):
    """Two processes on this machine form a MultiWorkerMirroredStrategy cluster
    from TF_CONFIG (tf_keras: Keras 3's fit does not support it); worker 0, the
    chief, writes the outputs, worker 1 its own copy under workers/."""
    output_dir = str(tmp_path / "multiworker")
    cluster = {"worker": [f"localhost:{port}" for port in _free_ports(2)]}
    processes = []
    for index in range(2):
        env = script_env()
        env["TF_CONFIG"] = json.dumps({"cluster": cluster,
                                       "task": {"type": "worker", "index": index}})
        env["TF_USE_LEGACY_KERAS"] = "1"
        processes.append(subprocess.Popen(
            [SCRIPT, *TINY_ARGS, "--epochs", "1", "--strategy", "multiworker",
             "--num-pictures", "0", "--output-dir", output_dir],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    try:
        outputs = [process.communicate(timeout=600)[0] for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
    for process, output in zip(processes, outputs):
        assert process.returncode == 0, output[-5000:]
    summary = _summary(output_dir)
    assert summary["environment"]["strategy"] == "multiworker"
    assert summary["environment"]["replicas"] == 2
    assert summary["timing"]["steps_this_process"] == 6
    assert 0.0 <= summary["val"]["mean_iou"] <= 1.0
    assert summary["environment"]["keras_flavor"] == "tf_keras"
    assert os.path.isfile(os.path.join(output_dir, "model.keras"))
    assert os.path.isfile(os.path.join(output_dir, "workers", "worker_1", "model.keras"))


@pytest.mark.slow
@pytest.mark.flavor_independent
def test_mixed_precision_run_trains_in_bfloat16_and_saves_float32_logits(tmp_path):
    output_dir = str(tmp_path / "mixed")
    code, output = run_script(
        [*TINY_ARGS, "--epochs", "1", "--mixed-precision", "--num-pictures", "0",
         "--output-dir", output_dir])
    assert code == 0, output[-5000:]
    summary = _summary(output_dir)
    assert summary["environment"]["mixed_precision_policy"] == "mixed_bfloat16"  # no GPU here
    assert np.isfinite(summary["val"]["loss"])
    check = (
        "import keras, numpy as np, keras_psa\n"  # keras_psa alone registers everything
        f"m = keras.saving.load_model({os.path.join(output_dir, 'model.keras')!r})\n"
        "y = m(np.zeros((1, 64, 64, 3), 'float32'))\n"
        "assert np.asarray(y).dtype == np.float32, y.dtype\n"
        "assert any(l.dtype_policy.name == 'mixed_bfloat16' for l in m.layers)\n"
    )
    result = subprocess.run([sys.executable, "-c", check], env=script_env(),
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
