"""evaluation.json, evaluation.md and the pictures of `evaluate_models`."""

import json
import os

import numpy as np

from keras_psa.data.preview import palette
from keras_psa.export.atomic_write import write_bytes_atomically
from keras_psa.inference.drawing import draw_skeletons
from keras_psa.inference.drawing import save_png
from keras_psa.inference.output_names import unique_stem

WORST_IMAGES = 6
ROW_HEIGHT = 128



def _format(value):
    return "-" if value is None else f"{value:.4f}"


def evaluation_markdown(result):
    """The people's version of `evaluation.json`: one table of scores, one of differences."""
    lines = [f"# Evaluation on {result['dataset']} ({result['split']}, "
             f"{result['num_images']} images)", ""]
    if result["task"] == "segmentation":
        names = list(result["models"][0]["per_class_iou"])
        lines += ["| model | mean IoU | pixel accuracy | " + " | ".join(names) + " |",
                  "|---|---|---|" + "---|" * len(names)]
        for entry in result["models"]:
            lines.append(f"| {entry['path']} | {entry['mean_iou']:.4f} | "
                         f"{entry['pixel_accuracy']:.4f} | "
                         + " | ".join(_format(entry["per_class_iou"][n]) for n in names) + " |")
    else:
        lines += ["| model | OKS AP | AP50 | AP75 | PCK@0.1 | mean error (px) |",
                  "|---|---|---|---|---|---|"]
        for entry in result["models"]:
            lines.append(f"| {entry['path']} | {entry['oks_ap']:.4f} | {entry['oks_ap50']:.4f} "
                         f"| {entry['oks_ap75']:.4f} | {entry['pck']:.4f} | "
                         f"{entry['mean_error_px']:.2f} |")
    if result["differences"]:
        lines += ["", "Paired differences to the first model, bootstrap 95% intervals over "
                  "the images (the same resamples for every model):", "",
                  "| model | minus | metric | difference | 95% interval |", "|---|---|---|---|---|"]
        for diff in result["differences"]:
            low, high = diff["ci95"]
            lines.append(f"| {diff['model']} | {diff['baseline']} | {diff['metric']} | "
                         f"{diff['difference']:+.4f} | [{low:+.4f}, {high:+.4f}] |")
    return "\n".join(lines) + "\n"


def save_confusion_matrix(matrix, class_names, path, title):
    """A row-normalised confusion matrix (true rows, predicted columns) as PNG."""
    from keras_psa.training.segmentation_pictures import _pyplot

    plt = _pyplot()
    matrix = np.asarray(matrix, np.float64)
    rows = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    size = 1.6 + 0.45 * len(class_names)
    figure, axis = plt.subplots(figsize=(size + 1, size))
    shown = axis.imshow(rows, cmap="Blues", vmin=0, vmax=1)
    ticks = range(len(class_names))
    axis.set_xticks(ticks, class_names, rotation=45, ha="right", fontsize=8)
    axis.set_yticks(ticks, class_names, fontsize=8)
    axis.set_xlabel("predicted")
    axis.set_ylabel("true")
    if len(class_names) <= 16:
        for i in ticks:
            for j in ticks:
                axis.text(j, i, f"{rows[i, j]:.2f}", ha="center", va="center", fontsize=6,
                          color="white" if rows[i, j] > 0.5 else "black")
    figure.colorbar(shown, fraction=0.046)
    axis.set_title(title, fontsize=9)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def _row(image, truth, predicted, colors, ignore_label):
    from PIL import Image

    def colored(mask):
        picture = colors[np.clip(mask, 0, len(colors) - 1)]
        if ignore_label is not None:
            picture[mask == ignore_label] = 255
        return picture

    panels = [np.clip(image, 0, 255).astype(np.uint8), colored(truth), colored(predicted)]
    height, width = truth.shape
    size = (max(1, round(width * ROW_HEIGHT / height)), ROW_HEIGHT)
    resized = [np.asarray(Image.fromarray(p).resize(size, Image.NEAREST)) for p in panels]
    gap = np.full((ROW_HEIGHT, 4, 3), 255, np.uint8)
    return np.concatenate([resized[0], gap, resized[1], gap, resized[2]], axis=1)


def save_worst_images(predictor, data, image_iou, path, count=WORST_IMAGES):
    """Rows of (input, truth, prediction) of the `count` images of lowest mean IoU."""
    colors = palette(len(data.class_names))
    worst = np.argsort(image_iou, kind="stable")[:count]
    rows = []
    for index in worst:
        image, mask = data.pair(int(index))
        rows.append(_row(image, mask, predictor.predict(image).mask, colors, data.ignore_label))
    return save_png(_stacked(rows), path)


def _stacked(rows):
    width = max(row.shape[1] for row in rows)
    rows = [np.pad(row, ((0, 4), (0, width - row.shape[1]), (0, 0)), constant_values=255)
            for row in rows]
    return np.concatenate(rows)


def image_keypoint_errors(predictions, examples):
    """Per image, the mean distance in pixels of its labelled joints from the truth
    (-inf for an image without labelled joints)."""
    labeled = np.asarray(examples["visibility"]) > 0
    error = np.linalg.norm(np.asarray(predictions)[..., :2] - examples["keypoints"], axis=-1)
    count = labeled.sum(-1)
    mean = np.where(labeled, error, 0.0).sum(-1) / np.maximum(count, 1)
    return np.where(count > 0, mean, -np.inf)


def _scaled(people, scale):
    # Pixel centres stay centres: x -> (x + 0.5) * scale - 0.5.
    people = np.array(people, np.float64)
    people[..., :2] = (people[..., :2] + 0.5) * scale - 0.5
    return people


def save_worst_keypoint_images(predictions, examples, path, count=WORST_IMAGES):
    """Rows of (truth, prediction) skeletons of the `count` images whose labelled
    joints are furthest from the truth; the truth's unlabelled joints hollow, the
    prediction's joints with their scores."""
    from PIL import Image

    errors = image_keypoint_errors(predictions, examples)
    worst = np.argsort(-errors, kind="stable")[:count]
    skeleton = examples["skeleton"]
    rows = []
    for index in worst:
        image = np.clip(examples["images"][index], 0, 255).astype(np.uint8)
        scale = ROW_HEIGHT / image.shape[0]
        size = (max(1, round(image.shape[1] * scale)), ROW_HEIGHT)
        big = np.asarray(Image.fromarray(image).resize(size, Image.BILINEAR))
        truth = np.concatenate([examples["keypoints"][index],
                                (examples["visibility"][index] > 0)[:, None]], axis=-1)
        panels = [draw_skeletons(big, _scaled([truth], scale), skeleton, show_scores=False),
                  draw_skeletons(big, _scaled([predictions[index]], scale), skeleton)]
        gap = np.full((ROW_HEIGHT, 4, 3), 255, np.uint8)
        rows.append(np.concatenate([panels[0], gap, panels[1]], axis=1))
    return save_png(_stacked(rows), path)


def write_evaluation(result, data, predictors, output_dir):
    """Writes evaluation.json, evaluation.md and per model `NAME_worst.png` (the
    worst images: truth beside prediction) and, for segmentation, `NAME_confusion.png`;
    adds their names to `result`."""
    os.makedirs(output_dir, exist_ok=True)
    used = set()
    for entry, predictor in zip(result["models"], predictors):
        stem = unique_stem(predictor.path, used)
        if result["task"] != "segmentation":
            entry["worst_images_png"] = os.path.basename(save_worst_keypoint_images(
                entry["predictions"], data.examples,
                os.path.join(output_dir, f"{stem}_worst.png")))
            continue
        scores = entry["scores"]
        entry["confusion_matrix_png"] = os.path.basename(save_confusion_matrix(
            scores.total, data.class_names, os.path.join(output_dir, f"{stem}_confusion.png"),
            f"{os.path.basename(predictor.path)}: mean IoU {scores.mean_iou:.4f}"))
        entry["worst_images_png"] = os.path.basename(save_worst_images(
            predictor, data, scores.image_mean_iou(), os.path.join(output_dir,
                                                                   f"{stem}_worst.png")))
    public = {**result, "models": [{k: v for k, v in entry.items()
                                    if k not in ("scores", "predictions")}
                                   for entry in result["models"]]}
    write_bytes_atomically(os.path.join(output_dir, "evaluation.json"),
                           json.dumps(public, indent=2).encode("utf-8"))
    write_bytes_atomically(os.path.join(output_dir, "evaluation.md"),
                           evaluation_markdown(public).encode("utf-8"))
