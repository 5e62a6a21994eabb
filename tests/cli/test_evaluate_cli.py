"""keras-psa-evaluate: its scores are pycocotools' on predict's own results file."""

import contextlib
import io
import json

import numpy as np
import pytest

from keras_psa.cli import evaluate
from keras_psa.cli import predict
from tests.data.coco_files import write_coco_folder
from tests.inference.model_files import keypoint_files  # noqa: F401
from tests.inference.model_files import segmentation_files  # noqa: F401

pytestmark = pytest.mark.flavor_independent


def _coco_ap(annotation_file, results_file):
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    from keras_psa.keypoints import FIGURE_SKELETON

    with contextlib.redirect_stdout(io.StringIO()):
        truth = COCO(str(annotation_file))
        evaluator = COCOeval(truth, truth.loadRes(str(results_file)), iouType="keypoints")
        evaluator.params.kpt_oks_sigmas = np.asarray(FIGURE_SKELETON.sigmas)
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    return evaluator.stats[0]


def test_predicts_coco_results_scored_by_pycocotools_give_evaluates_oks_ap(
        keypoint_files, tmp_path):  # noqa: F811
    root = tmp_path / "coco"
    annotation_file, image_dir, _, _ = write_coco_folder(root, count=6)
    out = tmp_path / "predicted"
    assert predict.main([keypoint_files["float32"], image_dir, "--boxes", annotation_file,
                         "--output-dir", str(out), "--no-progress"]) == 0
    results = json.loads((out / "predictions.json").read_text())
    # Labels near the file's own keypoints, moved by growing amounts: an AP that is neither
    # 0 nor 1, so that both scorers have something to rank.
    data = json.loads(open(annotation_file).read())
    rng = np.random.default_rng(0)
    for annotation in data["annotations"]:
        found = next(r for r in results if r["image_id"] == annotation["image_id"])
        points = np.asarray(found["keypoints"]).reshape(-1, 3)[:, :2]
        x, y, w, h = annotation["bbox"]
        moved = points + rng.normal(0, 0.5 + annotation["id"] % 6, points.shape)
        moved = np.clip(moved, [x + 1, y + 1], [x + w - 1, y + h - 1])
        annotation["keypoints"] = np.concatenate([moved, np.full((len(moved), 1), 2)],
                                                 1).ravel().tolist()
        annotation["num_keypoints"] = len(moved)
        annotation["area"] = float(w * h)
    with open(annotation_file, "w") as file:
        json.dump(data, file)
    coco_ap = _coco_ap(annotation_file, out / "predictions.json")
    assert 0.0 < coco_ap < 1.0
    assert evaluate.main([keypoint_files["float32"], "--dataset", f"coco:{root}",
                          "--output-dir", str(tmp_path / "ev"), "--no-progress"]) == 0
    scored = json.loads((tmp_path / "ev" / "evaluation.json").read_text())
    assert scored["models"][0]["oks_ap"] == pytest.approx(coco_ap, abs=1e-6)


def test_evaluate_writes_the_issues_keys_and_refuses_files_that_need_flags(
        segmentation_files, tmp_path, capsys):  # noqa: F811
    out = tmp_path / "ev"
    assert evaluate.main([segmentation_files["float32"], segmentation_files["keras"],
                          "--dataset", "digits", "--num-examples", "4", "--resamples", "20",
                          "--output-dir", str(out), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "| model | mean IoU |" in printed and "95% interval" in printed
    result = json.loads((out / "evaluation.json").read_text())
    for entry in result["models"]:
        assert {"path", "mean_iou", "per_class_iou", "pixel_accuracy"} <= set(entry)
    (difference,) = result["differences"]
    assert difference["baseline"] == segmentation_files["float32"]
    # The float file and its Keras model label the same pixels (to float32 round-off).
    assert abs(difference["difference"]) < 1e-3
    assert evaluate.main([segmentation_files["bare"], "--dataset", "digits",
                          "--output-dir", str(tmp_path / "no")]) == 2
    assert "--task" in capsys.readouterr().err


def test_benchmark_with_a_dataset_puts_evaluates_scores_beside_latency(
        segmentation_files, tmp_path, capsys):  # noqa: F811
    from keras_psa.cli import benchmark
    from keras_psa.inference.model_evaluation import evaluate_models

    files = [segmentation_files["float32"], segmentation_files["int8"]]
    # digits' val split at the demo size would take long here: score 4 scenes of a
    # directory dataset made from them instead.
    root = tmp_path / "scenes"
    _digits_folder(root, 4)
    assert benchmark.main([*files, "--dataset", f"dir:{root}", "--split", "all", "--output",
                           str(tmp_path / "bench"), "--runs", "2", "--warmup", "0",
                           "--threads", "1"]) == 0
    table = (tmp_path / "bench" / "benchmark.md").read_text()
    expected = evaluate_models(files, f"dir:{root}", split="all")
    for entry in expected["models"]:
        row = next(line for line in table.splitlines()
                   if line.startswith(f"| {entry['path'].rsplit('/', 1)[1]} |"))
        assert f"| {entry['mean_iou']:.4f} |" in row
    assert "all mean IoU" in table and "vs first (95% interval)" in table


def _digits_folder(root, count):
    from PIL import Image

    from keras_psa.data.load_dataset import make_source

    source = make_source("digits", 64, "val", num_examples=count)
    for folder in ("images", "masks"):
        (root / folder).mkdir(parents=True)
    for index in range(count):
        image, mask = source[index]
        Image.fromarray(np.round(image).astype(np.uint8)).save(root / "images" / f"{index}.png")
        Image.fromarray(mask.astype(np.uint8)).save(root / "masks" / f"{index}.png")
    (root / "classes.txt").write_text("\n".join(source.class_names) + "\n")
