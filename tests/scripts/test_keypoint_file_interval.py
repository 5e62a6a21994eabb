"""scripts/keypoint_file_interval.py: paired bootstrap of two keypoint files' OKS AP."""

import json
import os

import pytest

from keras_psa.export import convert_model
from keras_psa.models import build_heatmap_model
from tests.training.script_runner import load_script

pytestmark = pytest.mark.flavor_independent


def _run_folder(root):
    os.makedirs(root / "float")
    summary = {"config": {"data_seed": 0},
               "dataset": {"name": "figures", "image_size": [64, 48], "val_examples": 12,
                           "sigma": 2.0}}
    (root / "float" / "summary.json").write_text(json.dumps(summary))
    paths = []
    for index in range(2):
        model = build_heatmap_model("mobilenet_v3_small", 14, input_shape=(64, 48, 3),
                                    alpha=0.35, head_filters=8, batch_size=1)
        path = root / f"model{index}.tflite"
        convert_model(model, str(path))
        paths.append(path.name)
    return paths


def test_a_file_against_itself_has_an_interval_of_zero_and_another_file_is_compared(
        tmp_path, capsys):
    first, second = _run_folder(tmp_path)
    load_script("scripts", "keypoint_file_interval.py").main(
        [str(tmp_path), first, first, second, "--resamples", "20"])
    lines = [line for line in capsys.readouterr().out.splitlines() if "interval" in line]
    assert len(lines) == 2, lines
    assert "[+0.0000, +0.0000]" in lines[0] and "20 paired resamples of 12 figures" in lines[0]
    low, high = (float(v) for v in lines[1].split("[")[1].split("]")[0].split(","))
    assert low <= high


def test_a_folder_that_is_no_keypoint_run_is_refused(tmp_path):
    with pytest.raises(SystemExit, match="float/summary.json"):
        load_script("scripts", "keypoint_file_interval.py").main(
            [str(tmp_path), "a.tflite", "b.tflite"])
