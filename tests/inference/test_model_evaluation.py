"""evaluate_models: training's mean IoU, pycocotools' OKS AP, paired bootstrap intervals."""

import json

import numpy as np
import pytest

from keras_psa.export.tflite.litert_runner import run_tflite
from keras_psa.inference.model_evaluation import evaluate_models
from keras_psa.inference.paired_bootstrap import paired_bootstrap
from tests.inference.model_files import keypoint_files  # noqa: F401
from tests.inference.model_files import segmentation_files  # noqa: F401

pytestmark = pytest.mark.flavor_independent


def test_mean_iou_equals_kerass_metric_on_the_files_argmax(segmentation_files,  # noqa: F811
                                                         tmp_path):
    from keras_psa.data.load_dataset import make_source
    from keras_psa.keras_flavor import keras

    result = evaluate_models([segmentation_files["float32"], segmentation_files["int8"],
                              segmentation_files["float32"]], "digits", num_examples=6,
                             output_dir=tmp_path, resamples=50)
    source = make_source("digits", 64, "val", num_examples=6)
    for entry, key in zip(result["models"], ("float32", "int8")):
        metric = keras.metrics.MeanIoU(len(source.class_names), sparse_y_pred=False)
        correct = total = 0
        for index in range(len(source)):
            image, mask = source[index]
            logits = run_tflite(segmentation_files[key], image[None])[0]
            metric.update_state(mask[None], logits)
            correct += int((logits[0].argmax(-1) == mask).sum())
            total += mask.size
        assert entry["mean_iou"] == pytest.approx(float(metric.result()), abs=1e-6), key
        assert entry["pixel_accuracy"] == pytest.approx(correct / total, abs=1e-9)
        assert set(entry["per_class_iou"]) == set(segmentation_files["class_names"])
    int8, itself = result["differences"]
    assert itself["difference"] == 0.0 and itself["ci95"] == [0.0, 0.0]
    assert int8["difference"] == pytest.approx(result["models"][1]["mean_iou"]
                                               - result["models"][0]["mean_iou"])
    assert int8["ci95"][0] <= int8["difference"] <= int8["ci95"][1]
    written = json.loads((tmp_path / "evaluation.json").read_text())
    assert [m["path"] for m in written["models"]] == [m["path"] for m in result["models"]]
    assert {"model", "baseline", "difference", "ci95"} <= set(written["differences"][0])
    for name in ("float32_confusion.png", "float32_worst.png", "int8_worst.png",
                 "evaluation.md"):
        assert (tmp_path / name).stat().st_size > 0


def test_a_keypoint_file_against_itself_has_a_zero_interval(keypoint_files):  # noqa: F811
    result = evaluate_models([keypoint_files["float32"], keypoint_files["float32"],
                              keypoint_files["other"]], "figures", num_examples=12,
                             resamples=20)
    first = result["models"][0]
    assert {"oks_ap", "oks_ap50", "oks_ap75", "pck", "mean_error_px"} <= set(first)
    itself, other = result["differences"]
    assert itself["difference"] == 0.0 and itself["ci95"] == [0.0, 0.0]
    assert other["ci95"][0] <= other["ci95"][1]
    assert other["difference"] == pytest.approx(result["models"][2]["oks_ap"] - first["oks_ap"])


def test_the_bootstrap_interval_covers_a_known_difference():
    rng = np.random.default_rng(0)
    base = rng.random(400)
    gain = base + 0.05 + rng.normal(0, 0.02, 400)

    def mean(values):
        return lambda counts: float(np.average(values, weights=counts))

    difference, (low, high) = paired_bootstrap(mean(gain), mean(base), 400, resamples=300)
    assert difference == pytest.approx((gain - base).mean())
    assert low < 0.05 < high and high - low < 0.01
    with pytest.raises(ValueError, match="`resamples` must be an int >= 10"):
        paired_bootstrap(mean(gain), mean(base), 400, resamples=5)


def test_models_of_the_wrong_task_are_refused(segmentation_files):  # noqa: F811
    with pytest.raises(ValueError, match="must all be keypoints models"):
        evaluate_models([segmentation_files["float32"]], "figures")
