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


def test_a_keypoint_file_against_itself_has_a_zero_interval(keypoint_files,  # noqa: F811
                                                            tmp_path):
    from PIL import Image

    from keras_psa.inference.evaluation_report import ROW_HEIGHT
    from keras_psa.inference.evaluation_report import WORST_IMAGES

    result = evaluate_models([keypoint_files["float32"], keypoint_files["float32"],
                              keypoint_files["other"]], "figures", num_examples=12,
                             resamples=20, output_dir=tmp_path)
    # The worst images of each file: truth beside prediction, one row per image.
    written = json.loads((tmp_path / "evaluation.json").read_text())
    names = [entry["worst_images_png"] for entry in written["models"]]
    assert len(set(names)) == 3 and "predictions" not in written["models"][0]
    with Image.open(tmp_path / names[0]) as picture:
        assert picture.height == WORST_IMAGES * (ROW_HEIGHT + 4)
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


def test_worst_keypoint_images_are_those_furthest_from_the_truth(tmp_path):
    from PIL import Image

    from keras_psa.inference.evaluation_report import ROW_HEIGHT
    from keras_psa.inference.evaluation_report import image_keypoint_errors
    from keras_psa.inference.evaluation_report import save_worst_keypoint_images
    from keras_psa.keypoints.skeleton import Skeleton

    truth = np.array([[[10.0, 10.0], [20.0, 20.0]]] * 3)
    examples = {"images": np.zeros((3, 32, 48, 3), np.uint8), "keypoints": truth,
                "visibility": np.array([[2, 2], [2, 0], [0, 0]]),
                "skeleton": Skeleton("pair", ("a", "b"), ((0, 1),), (), (0.1, 0.1))}
    predictions = np.concatenate([truth + [[3.0, 4.0], [0.0, 0.0]], np.ones((3, 2, 1))], -1)
    predictions[1, 0, :2] += 10.0  # image 1: its one labelled joint 15 px off
    predictions[1, 1, :2] += 100.0  # ... and an unlabelled joint that does not count
    errors = image_keypoint_errors(predictions, examples)
    np.testing.assert_allclose(errors[:2], [2.5, np.hypot(13.0, 14.0)])
    assert errors[2] == -np.inf  # nothing labelled: never among the worst
    path = save_worst_keypoint_images(predictions, examples, tmp_path / "worst.png", count=2)
    with Image.open(path) as picture:
        rows = np.asarray(picture.convert("RGB"))
    width = round(48 * ROW_HEIGHT / 32)
    assert rows.shape == (2 * (ROW_HEIGHT + 4), 2 * width + 4, 3)
    # Row 0 is image 1; its truth panel and its prediction panel differ.
    first = rows[:ROW_HEIGHT]
    assert not np.array_equal(first[:, :width], first[:, width + 4:])
    assert first.any() and rows[ROW_HEIGHT + 4:].any()
