"""Class or keypoint names for model metadata: from a list, a label file, or a training run."""

import json
import os


def _check_names(names, arg):
    names = [str(name) for name in names]
    bad = [name for name in names if not name.strip() or "\n" in name or "\r" in name]
    if not names or bad:
        raise ValueError(
            f"`{arg}` must hold one non-empty single-line name per channel. "
            f"Received: {arg}={names!r}"
        )
    return names


def parse_names(value, arg="labels"):
    """Returns a list of names from a list/tuple, a label file path, or "a,b,c".

    A label file holds one name per line (blank lines at the end ignored), the
    format of TFLite Support's and MediaPipe's label files.
    """
    if isinstance(value, (list, tuple)):
        return _check_names(value, arg)
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(
            f"`{arg}` must be a list of names, a label file or 'a,b,c'. "
            f"Received: {arg}={value!r}"
        )
    text = os.fspath(value)
    if os.path.isfile(text):
        with open(text, encoding="utf-8") as file:
            lines = file.read().splitlines()
        while lines and not lines[-1].strip():
            lines.pop()
        return _check_names(lines, arg)
    if "," in text:
        return _check_names([name.strip() for name in text.split(",")], arg)
    if text.endswith(".txt") or os.sep in text:
        raise ValueError(f"`{arg}` names a label file that does not exist. Received: {arg}={text}")
    return _check_names([text], arg)


def training_class_names(model_path):
    """Class names the training script saved beside `model_path`, or None.

    `keras_psa.training.train_segmentation` writes `summary.json` (with
    `dataset.class_names`) into the folder of the `model.keras` / `best.keras`
    it saves.
    """
    if model_path is None or not isinstance(model_path, (str, os.PathLike)):
        return None
    summary = os.path.join(os.path.dirname(os.path.abspath(os.fspath(model_path))),
                           "summary.json")
    if not os.path.isfile(summary):
        return None
    try:
        with open(summary, encoding="utf-8") as file:
            names = json.load(file).get("dataset", {}).get("class_names")
    except (OSError, ValueError):
        return None
    return [str(name) for name in names] if names else None
