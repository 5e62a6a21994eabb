"""convert.py and check.py as a user runs them: exit codes and named ops."""

import json
import os
import subprocess

import pytest

from keras_psa.export import convert_model
from tests.export.tiny_models import argmax_net
from tests.export.tiny_models import conv_net
from tests.installed_tools import tool

pytestmark = pytest.mark.flavor_independent

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONVERT = tool("keras-psa-convert")
CHECK = tool("keras-psa-check")


def run(command, *args):
    return subprocess.run([command, *map(str, args)], capture_output=True,
                          text=True, timeout=600, check=False)


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli")
    conv_net().save(out / "conv.keras")
    conv = run(CONVERT, out / "conv.keras", "--output", out / "conv.tflite",
               "--input-size", 16, 16)
    assert conv.returncode == 0, conv.stderr[-3000:]
    # Its custom layer is registered in this process only, so convert it here.
    convert_model(argmax_net(), out / "argmax.tflite", input_size=(16, 16))
    return out


def test_convert_writes_model_and_report(converted):
    report = json.loads((converted / "conv.report.json").read_text())
    assert report["passed"], report
    assert {c["name"] for c in report["checks"]} == {"gpu_static", "xnnpack", "keras_parity"}
    assert report["inspection"]["inputs"][0]["shape"] == [1, 16, 16, 3]
    assert (converted / "conv.report.md").read_text().startswith("# conv.tflite")


def test_check_passes_on_a_good_model(converted):
    result = run(CHECK, converted / "conv.tflite", "--gpu", "--xnnpack",
                 "--reference", converted / "conv.keras", "--json")
    payload = json.loads(result.stdout)
    statuses = {c["name"]: c["status"] for c in payload["checks"]}
    if statuses.get("gpu_run") == "unavailable" and not os.environ.get("CI"):
        assert result.returncode == 3
        pytest.skip("no Vulkan device here")
    assert result.returncode == 0, result.stdout
    assert set(statuses.values()) == {"passed"}


def test_check_fails_and_names_the_op(converted):
    result = run(CHECK, converted / "argmax.tflite", "--gpu", "--gpu-static-only", "--xnnpack")
    assert result.returncode == 1
    assert "ARG_MAX" in result.stdout and "INT64" in result.stdout


@pytest.mark.slow
def test_cli_usage_errors(converted):
    assert run(CHECK, "--help").returncode == 0
    assert run(CONVERT, "--help").returncode == 0
    assert run(CHECK, converted / "conv.tflite").returncode == 2  # no check requested
    missing = run(CHECK, converted / "missing.tflite", "--xnnpack")
    assert missing.returncode == 2 and "missing.tflite" in missing.stderr


def test_convert_writes_labels_into_the_metadata_and_the_report(converted, tmp_path):
    out = tmp_path / "labelled.tflite"
    result = run(CONVERT, converted / "conv.keras", "--output", out, "--input-size", 16, 16,
                 "--labels", "sky,road,car,person", "--checks", "xnnpack", "--pixel-range", 0, 1)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "4 labels (sky, road, car, person)" in result.stdout
    report = json.loads((tmp_path / "labelled.report.json").read_text())
    assert report["metadata"]["labels"] == ["sky", "road", "car", "person"]
    assert "## Model metadata" in (tmp_path / "labelled.report.md").read_text()


def test_convert_refuses_a_wrong_label_count_and_writes_nothing(converted, tmp_path):
    out = tmp_path / "bad.tflite"
    result = run(CONVERT, converted / "conv.keras", "--output", out, "--input-size", 16, 16,
                 "--labels", "sky,road", "--checks", "xnnpack", "--pixel-range", 0, 1)
    assert result.returncode == 2
    assert "one name per output channel: the model has 4" in result.stderr
    assert not out.exists() and not (tmp_path / "bad.report.json").exists()


def test_check_compares_with_the_reference_on_real_images(converted):
    result = run(CHECK, converted / "conv.tflite", "--reference", converted / "conv.keras",
                 "--images", "shapes", "--num-inputs", 3, "--pixel-range", 0, 1, "--json")
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    (parity,) = json.loads(result.stdout)["checks"]
    assert parity["name"] == "keras_parity" and parity["status"] == "passed"
    assert parity["details"]["num_inputs"] == 3
    unknown = run(CHECK, converted / "conv.tflite", "--reference", converted / "conv.keras",
                  "--images", "no_such_dataset", "--pixel-range", 0, 1)
    assert unknown.returncode == 2 and "names no dataset" in unknown.stderr
