"""Keras vs TFLite parity over a few inputs."""

import os
import warnings

import numpy as np

from keras_psa.export.checks.check_result import CheckResult
from keras_psa.export.checks.error_measures import relative_error
from keras_psa.export.checks.error_measures import share_within_steps
from keras_psa.export.checks.task_criteria import StepShare
from keras_psa.export.checks.task_criteria import judge_agreement
from keras_psa.export.checks.task_criteria import judge_output
from keras_psa.export.checks.task_criteria import task_figures
from keras_psa.export.conversion.input_range import model_input_range
from keras_psa.export.conversion.input_range import resolve_pixel_range
from keras_psa.export.conversion.quantization_mode import KERAS_TOLERANCE
from keras_psa.export.conversion.quantization_mode import infer_quantization_mode
from keras_psa.export.tflite.litert_runner import make_interpreter
from keras_psa.export.tflite.litert_runner import run_tflite
from keras_psa.export.tflite.output_kind import output_kind
from keras_psa.export.tflite.output_steps import output_grids
from keras_psa.saving import load_model


def check_keras_parity(keras_model, tflite_path, num_inputs=4, tolerance=None, seed=0,
                       pixel_range=None, xnnpack=True, int8_steps=None, int8_share=0.99,
                       images=None, allow_unsafe=False):
    """Compares a Keras model with its `.tflite` conversion on random or given images.

    The file passes when it does the task as its reference does
    (`task_criteria.AGREEMENT`: labels on 99% of pixels, keypoints within 1 px
    of the input) and, for a float file, computes what Keras computes (max
    rel. error within `tolerance`), by `task_criteria.judge_output`. An int8
    file's steps (`int8_steps`) are a diagnostic beside their floor (the file
    on its other CPU backend); they decide only for an output without a
    task-level figure. On random images an int8 file's task-level result is
    `"not judged"`.

    Args:
        keras_model: a Keras model or a path `load_model` accepts.
        tflite_path: the converted model.
        num_inputs: how many random images (batch 1 each).
        tolerance: largest relative error (max |tflite - keras| / max |keras|);
            defaults to `KERAS_TOLERANCE` of the file's quantization mode.
        seed: random seed of the images.
        pixel_range: value range of the random images; None (default): the
            range the model takes, read from its input `Rescaling`
            (`model_input_range`), required when that is unknown.
        xnnpack: run the TFLite side with XNNPACK (as deployed) or without.
        int8_steps, int8_share: for a fake-quant (QAT) `keras_model` of an
            all-int8 file: the share of output elements within `int8_steps`
            steps of the output's int8 tensor, which must reach `int8_share`
            or the floor less `FLOOR_MARGIN` (single-output models).
            An int8 sigmoid's output is counted in steps of its int8 logits
            (`OutputGrid`); the share in output steps is reported beside it.
        allow_unsafe: see `keras_psa.saving.load_model`.
        images: the inputs, `(N, H, W, C)` (real data: a trained model fed
            noise runs outside the ranges its int8 file was calibrated or
            trained for); default `num_inputs` uniform random images.

    Returns:
        A `CheckResult` named `"keras_parity"` with the worst error per output
        and the task-level figures of the first output (`task_figures`):
        `label_agreement` (segmentation logits) or `keypoint_shift_px` and
        `peak_agreement` (heatmaps; see `output_kind`).
    """
    if isinstance(keras_model, (str, os.PathLike)):
        keras_model = load_model(keras_model, allow_unsafe=allow_unsafe)
    mode = infer_quantization_mode(tflite_path)
    tolerance = KERAS_TOLERANCE[mode] if tolerance is None else tolerance
    interpreter = make_interpreter(tflite_path, xnnpack=xnnpack)
    shape = tuple(interpreter.get_input_details()[0]["shape"])
    given_images = images is not None
    range_source = "given" if pixel_range is not None else "model"
    if images is None:
        if (pixel_range is None and model_input_range(keras_model) is None
                and mode in ("float32", "float16")):
            # A float file computes the same on any range; int8 ones do not.
            pixel_range, range_source = (0.0, 1.0), "assumed"
            warnings.warn(
                "keras_parity: the model's input range is unknown (no Rescaling at its "
                "input), so random images in [0, 1] are used; pass pixel_range (CLI: "
                "--pixel-range) or real images to check it on its real inputs.", stacklevel=2)
        pixel_range = resolve_pixel_range(keras_model, pixel_range,
                                          needed_for=f"parity of the {mode} file on random "
                                                     "images")
        rng = np.random.default_rng(seed)
        images = [rng.uniform(*pixel_range, size=shape).astype(np.float32)
                  for _ in range(num_inputs)]
    else:
        images = np.asarray(images, dtype=np.float32)
        if images.ndim != len(shape) or images.shape[1:] != shape[1:] or not len(images):
            raise ValueError(
                f"`images` must be a non-empty array of inputs of shape "
                f"(N, {', '.join(str(int(d)) for d in shape[1:])}) "
                f"for {tflite_path}. Received: images of shape {images.shape}"
            )
        images = [image[None] for image in images]
        num_inputs = len(images)
    grids = list(output_grids(tflite_path).values()) if int8_steps is not None else []
    if int8_steps is not None and (len(grids) != 1 or grids[0] is None):
        raise ValueError(
            "`int8_steps` needs a model with one int8 (or dequantized int8) output. "
            f"Received: {tflite_path} with output grids {grids}"
        )
    kind = output_kind(tflite_path)
    # The floor: the same file on TFLite's other CPU backend (builtin kernels
    # beside XNNPACK), compared the same way; a model that amplifies int8
    # rounding makes even two CPU backends disagree.
    other = make_interpreter(tflite_path, xnnpack=not xnnpack) if grids else None
    worst, shares, output_shares, floors, firsts, backends_out = [], [], [], [], [], []
    for image in images:
        expected = keras_model(image, training=False)
        expected = expected if isinstance(expected, (list, tuple)) else [expected]
        actual = run_tflite(tflite_path, image, interpreter=interpreter)
        # TFLite may order outputs differently; match them by shape and size.
        errors = [relative_error(a, np.asarray(e)) for a, e in
                  zip(_order_like(actual, expected), expected)]
        worst = errors if not worst else [max(w, e) for w, e in zip(worst, errors)]
        pair = actual[0], np.asarray(expected[0])
        firsts.append(pair)
        if grids:
            shares.append(share_within_steps(*pair, grids[0].step, int8_steps,
                                             grids[0].sigmoid_input_step))
            output_shares.append(share_within_steps(*pair, grids[0].step, int8_steps))
            backend = run_tflite(tflite_path, image, interpreter=other)[0]
            backends_out.append(backend)
            floors.append(share_within_steps(backend, actual[0], grids[0].step, int8_steps,
                                             grids[0].sigmoid_input_step))
    figures = task_figures(kind, np.concatenate([a for a, _ in firsts]),
                           np.concatenate([e for _, e in firsts]), shape[1:3])
    details = {"quantization": mode, "tolerance": tolerance, "num_inputs": num_inputs,
               "inputs": "given images" if given_images else
               f"random images in {pixel_range} ({range_source})",
               "output_kind": kind, "relative_error": worst, **figures}
    quantized = mode == "int8"
    # The label (keypoint) floor: the file on its two CPU backends, same inputs.
    floor_figures = (task_figures(kind, np.concatenate(backends_out),
                                  np.concatenate([a for a, _ in firsts]), shape[1:3])
                     if backends_out else None)
    steps = None
    if grids:
        share = float(np.mean(shares))
        logits = bool(grids[0].sigmoid_input_step)
        floor = float(np.mean(floors))
        steps = StepShare(share, int8_steps, int8_share, floor,
                          " of the sigmoid logits" if logits else "")
        details.update(share_within_int8_steps=share, int8_steps=int8_steps,
                       int8_share=int8_share, steps_threshold=steps.threshold,
                       steps_of="the sigmoid's int8 logits" if logits else "the output",
                       cpu_backends_share_within_int8_steps=floor,
                       cpu_backends_task_figures=floor_figures)
        if logits:
            details["share_within_output_steps"] = float(np.mean(output_shares))
    backends = ("builtin kernels vs XNNPACK" if xnnpack else "XNNPACK vs builtin kernels")
    task_status, _ = judge_agreement(kind, figures, given_images, quantized, floor_figures)
    details["task_level"] = task_status
    # The first error over the tolerance (NaN included), else the largest.
    error = next((e for e in worst if not e <= tolerance), max(worst))
    status, text = judge_output(kind, figures, real_inputs=given_images, quantized=quantized,
                                floor_figures=floor_figures, floor_text=f"the file on {backends}",
                                steps=steps, error=error, tolerance=tolerance)
    texts = [text]
    if quantized and not grids and task_status:
        texts.append(f"max rel. error {max(worst):.3g} (diagnostic)")
    message = f"{mode}: " + "; ".join(texts) + f" over {num_inputs} inputs"
    return CheckResult("keras_parity", status, details=details, message=message)


def _order_like(actual, expected):
    if len(actual) == 1:
        return actual
    remaining = list(actual)
    ordered = []
    for e in expected:
        shape = tuple(np.asarray(e).shape)
        match = next((a for a in remaining if a.shape == shape), remaining[0])
        remaining.remove(match)
        ordered.append(match)
    return ordered
