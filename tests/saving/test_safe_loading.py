"""Hostile model files never run code: the public loading API and every CLI, both flavors.

The hostile files hold a Lambda whose function creates a marker file. They are
written in subprocesses of both Keras flavors (tests/saving/hostile_files.py),
then loaded in this process, whichever flavor it runs.
"""

import json
import os
import shutil
import subprocess
import sys
import zipfile

import pytest

from keras_psa.keras_flavor import USING_TF_KERAS
from keras_psa.saving import UnsafeModelError
from keras_psa.saving import find_unsafe_objects
from keras_psa.saving import load_model
from tests.installed_tools import tool
from tests.saving.hostile_files import LAMBDA_NAME

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HOSTILE = os.path.join(ROOT, "tests", "saving", "hostile_files.py")
CONVERT = tool("keras-psa-convert")
CHECK = tool("keras-psa-check")
QAT = tool("keras-psa-qat")
OWN_FLAVOR = "tf_keras" if USING_TF_KERAS else "keras3"


def _env(flavor):
    env = dict(os.environ, PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL="2")
    env.pop("TF_USE_LEGACY_KERAS", None)
    if flavor == "tf_keras":
        env["TF_USE_LEGACY_KERAS"] = "1"
    return env


def _run(args, flavor=OWN_FLAVOR, cwd=None):
    """Runs a command, or a Python script when the first argument ends in .py."""
    args = [str(a) for a in args]
    if args[0].endswith(".py"):
        args = [sys.executable, *args]
    return subprocess.run(args, capture_output=True, text=True,
                          env=_env(flavor), cwd=cwd, timeout=900, check=False)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """{(writer flavor, format): path} and the marker path the Lambda would create."""
    root = tmp_path_factory.mktemp("hostile")
    marker = root / "marker"
    files = {}
    for flavor in ("keras3", "tf_keras"):
        result = _run([HOSTILE, root / flavor, marker], flavor=flavor)
        assert result.returncode == 0, result.stderr[-3000:]
        files[flavor, "keras"] = root / flavor / "evil.keras"
        files[flavor, "h5"] = root / flavor / "evil.h5"
    files["tf_keras", "savedmodel"] = root / "tf_keras" / "evil_savedmodel"
    assert not marker.exists()
    return files, marker


HOSTILE_CASES = [("keras3", "keras"), ("keras3", "h5"), ("tf_keras", "keras"),
                 ("tf_keras", "h5"), ("tf_keras", "savedmodel")]


@pytest.mark.parametrize("case", HOSTILE_CASES, ids=["-".join(c) for c in HOSTILE_CASES])
def test_load_model_refuses_a_lambda_before_it_runs(hostile, case):
    files, marker = hostile
    with pytest.raises(UnsafeModelError) as raised:
        load_model(files[case])
    message = str(raised.value)
    assert "Lambda" in message and LAMBDA_NAME in message and str(files[case]) in message
    assert "allow_unsafe=True" in message and "--unsafe-load" in message
    assert not marker.exists(), "the Lambda ran while loading"


@pytest.mark.parametrize("fmt", ["keras", "h5"])
def test_allow_unsafe_loads_a_trusted_file_and_says_so(hostile, fmt, capfd):
    files, marker = hostile
    model = load_model(files[OWN_FLAVOR, fmt], allow_unsafe=True)
    model(__import__("numpy").zeros((1, 8, 8, 3), "float32"))
    assert marker.exists(), "the opted-in Lambda should run"
    marker.unlink()
    assert "WARNING" in capfd.readouterr().err


def test_allow_unsafe_must_be_a_bool(hostile):
    files, _ = hostile
    with pytest.raises(TypeError, match="allow_unsafe"):
        load_model(files[OWN_FLAVOR, "keras"], allow_unsafe="yes")


@pytest.mark.slow
@pytest.mark.parametrize("case", [("keras3", "keras"), ("tf_keras", "h5"),
                                  ("tf_keras", "savedmodel")], ids=lambda c: "-".join(c))
def test_convert_cli_refuses_and_writes_nothing(hostile, case, tmp_path):
    files, marker = hostile
    output = tmp_path / "out.tflite"
    result = _run([CONVERT, files[case], "--output", output])
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Lambda" in result.stderr and LAMBDA_NAME in result.stderr
    assert not marker.exists()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_convert_cli_with_unsafe_load_converts_a_trusted_file(hostile, tmp_path):
    files, marker = hostile
    output = tmp_path / "out.tflite"
    result = _run([CONVERT, files[OWN_FLAVOR, "keras"], "--output", output, "--unsafe-load",
                   "--checks", "xnnpack"])
    assert result.returncode == 0, result.stderr[-2000:]
    assert output.is_file() and "WARNING" in result.stderr
    marker.unlink(missing_ok=True)


@pytest.mark.slow
def test_check_cli_refuses_a_hostile_reference(hostile, tmp_path):
    files, marker = hostile
    # A harmless .tflite to check against.
    from keras_psa.export import convert_model
    from tests.export.tiny_models import conv_net

    tflite = tmp_path / "conv.tflite"
    convert_model(conv_net(), tflite, input_size=(16, 16))
    result = _run([CHECK, tflite, "--reference", files["tf_keras", "h5"], "--report"])
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Lambda" in result.stderr and not marker.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["conv.tflite"]


@pytest.mark.slow
def test_qat_cli_refuses_a_hostile_float_model(hostile, tmp_path):
    files, marker = hostile
    run = tmp_path / "float_run"
    run.mkdir()
    shutil.copy(files["keras3", "keras"], run / "model.keras")
    summary = {"dataset": {"name": "digits", "num_classes": 11, "ignore_label": None},
               "config": {"backbone": "mobilenet_v3_small", "image_size": 32, "head": "lraspp",
                          "attention": "psa_p", "attention_positions": ["head"],
                          "psa_variant": "paper", "alpha": 0.35, "head_filters": 8,
                          "dataset": "digits", "train_examples": 8, "data_seed": 0}}
    (run / "summary.json").write_text(json.dumps(summary))
    output = tmp_path / "qat"
    result = _run([QAT, run, "--output-dir", output, "--steps", "1", "--steps-per-epoch", "1",
                   "--batch-size", "2", "--ptq-samples", "1", "--no-gpu-run"])
    assert result.returncode != 0
    assert "Lambda" in result.stderr + result.stdout and not marker.exists()
    assert not (output / "qat_savedmodel").exists()


def test_a_package_model_has_nothing_unsafe():
    from keras_psa.models import build_segmentation_model

    model = build_segmentation_model("mobilenet_v3_small", 3, input_shape=(32, 32, 3),
                                     alpha=0.35, head_filters=8, attention="psa_s")
    config = json.loads(json.dumps(model.get_config(), default=str))
    assert find_unsafe_objects(config) == []


def test_an_object_from_a_foreign_module_is_refused():
    config = {"class_name": "Functional", "config": {"layers": [
        {"module": "os", "class_name": "system", "config": {"name": "boom"},
         "registered_name": "system"}]}}
    findings = find_unsafe_objects(config)
    assert [(f.layer, f.class_name) for f in findings] == [("boom", "system")]
    assert "os.system" in findings[0].reason


def test_tf_op_lambda_is_not_refused():
    config = {"class_name": "TFOpLambda", "config": {"name": "tf.math.add",
                                                     "function": "math.add"}}
    assert find_unsafe_objects(config) == []


@pytest.fixture()
def plain_keras_file(tmp_path):
    from keras_psa.keras_flavor import keras

    inputs = keras.Input((8, 8, 3))
    model = keras.Model(inputs, keras.layers.Conv2D(2, 1, name="conv")(inputs))
    path = tmp_path / "plain.keras"
    model.save(path)
    return path


def _rewrite_archive(source, target, config_edit=None, extra_member=None):
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w") as copy:
        for item in original.infolist():
            data = original.read(item.filename)
            if item.filename == "config.json" and config_edit:
                data = json.dumps(config_edit(json.loads(data))).encode()
            copy.writestr(item, data)
        if extra_member:
            copy.writestr(extra_member, b"escaped")


def test_unknown_class_gets_a_clear_error(plain_keras_file, tmp_path):
    def rename(config):
        for layer in config["config"]["layers"]:
            if layer["class_name"] == "Conv2D":
                layer["class_name"] = "NoSuchLayer"
                layer.pop("module", None)
                layer["registered_name"] = "NoSuchLayer"
        return config

    path = tmp_path / "unknown.keras"
    _rewrite_archive(plain_keras_file, path, config_edit=rename)
    with pytest.raises(ValueError, match="NoSuchLayer") as raised:
        load_model(path)
    assert str(path) in str(raised.value)


def test_path_traversal_member_is_refused_and_nothing_is_extracted(plain_keras_file, tmp_path):
    work = tmp_path / "inner"
    work.mkdir()
    path = work / "traversal.keras"
    _rewrite_archive(plain_keras_file, path, extra_member="../escaped.txt")
    with pytest.raises(ValueError, match="path traversal"):
        load_model(path)
    assert not (tmp_path / "escaped.txt").exists()


def test_truncated_h5_gets_a_clear_error(tmp_path):
    from keras_psa.keras_flavor import keras

    inputs = keras.Input((8, 8, 3))
    model = keras.Model(inputs, keras.layers.Conv2D(2, 1)(inputs))
    whole = tmp_path / "whole.h5"
    model.save(whole)
    truncated = tmp_path / "truncated.h5"
    truncated.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(ValueError, match="HDF5") as raised:
        load_model(truncated)
    assert str(truncated) in str(raised.value)


def test_a_keras_file_that_is_not_a_zip_gets_a_clear_error(tmp_path):
    path = tmp_path / "fake.keras"
    path.write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="zip"):
        load_model(path)
