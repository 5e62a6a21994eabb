"""The shipping rules as data: what a file must do for its task, on which inputs.

Every check that compares a file with its reference (Keras parity, the GPU
run, the NPU run, the fp16 run) and every report reads its thresholds from
here, so the reports, the command-line tools, the docs and the tests cannot
disagree.

A file ships when it does its task as well as its reference: the same labels
on real images (segmentation), the same keypoints (heatmaps), and, where a
labelled validation set exists, the same score. Agreement in int8 steps is a
diagnostic shown beside its floor (the same file on XNNPACK and on TFLite's
builtin kernels, same inputs): it fails a file only when the file is clearly
worse than int8 arithmetic allows. An int8 file fed random images runs
outside the ranges it was calibrated for: its task-level result there is "not
judged", never a pass.
"""

import dataclasses

import numpy as np

from keras_psa.export.checks.error_measures import label_agreement
from keras_psa.export.checks.error_measures import peak_agreement
from keras_psa.export.checks.error_measures import peak_shift
from keras_psa.export.tflite.output_kind import HEATMAPS
from keras_psa.export.tflite.output_kind import LABELS
from keras_psa.keypoints.decoding import decode_heatmaps
from keras_psa.keypoints.evaluation import mean_keypoint_shift


@dataclasses.dataclass(frozen=True)
class Criterion:
    """One rule: a figure (a key of a check's details) and its bound.

    Args:
        key: the figure's name in the check's details.
        text: what the figure measures, for people.
        at_least: the figure passes when `>=` this, or None.
        at_most: the figure passes when `<=` this, or None.
        unit: `"%"` for shares, else the unit printed after the figure.
    """

    key: str
    text: str
    at_least: float = None
    at_most: float = None
    unit: str = ""

    def holds(self, value):
        if value is None or not np.isfinite(value):
            return False
        if self.at_least is not None and not value >= self.at_least:
            return False
        return self.at_most is None or value <= self.at_most

    def format(self, value):
        if value is None:
            return "-"
        return f"{value:.2%}" if self.unit == "%" else f"{value:.3g}{self.unit}"

    def bound(self):
        limit = self.at_least if self.at_least is not None else self.at_most
        return ((">= " if self.at_least is not None else "<= ")
                + (f"{limit:.0%}" if self.unit == "%" else f"{limit:g}{self.unit}"))

    def describe(self, value=None):
        """"text bound", with the value when given: "labels = reference 99.3% >= 99%"."""
        if value is None:
            return f"{self.text} {self.bound()}"
        return f"{self.text} {self.format(value)} ({'' if self.holds(value) else 'not '}" \
               f"{self.bound()})"


# What a file's outputs must do against its reference's on real images, by output kind.
AGREEMENT = {
    LABELS: Criterion("label_agreement", "pixels with the reference's label",
                      at_least=0.99, unit="%"),
    HEATMAPS: Criterion("keypoint_shift_px", "mean keypoint shift from the reference",
                        at_most=1.0, unit=" px"),
}
# Where a labelled validation set exists: the file's score beside its reference's
# (float Keras for float and post-training files, fake-quant Keras for QAT files).
SCORE = {
    LABELS: Criterion("mean_iou_drop", "val mean IoU below the reference's", at_most=0.005),
    HEATMAPS: Criterion("oks_ap_drop", "val OKS AP below the reference's", at_most=0.01),
}
# The int8 step diagnostic fails a file only when its share within the steps is
# more than this below the floor (and below the check's own share).
FLOOR_MARGIN = 0.02

NOT_JUDGED_TEXT = ("not judged on real images: an int8 file fed random images runs outside "
                   "the ranges it was calibrated for (pass real images: --images)")


def steps_threshold(share_target, floor):
    """The smallest share within the steps a file may show: the check's own share,
    or `FLOOR_MARGIN` below what two trusted CPU backends achieve on the same file
    and inputs, whichever is lower."""
    if floor is None:
        return share_target
    return min(share_target, floor - FLOOR_MARGIN)


def task_figures(kind, actual, expected, input_size=None):
    """The task-level figures of two runs' first outputs `(N, H, W, C)`.

    Labels: `label_agreement` (None without a class axis). Heatmaps:
    `peak_agreement`, `peak_shift_cells` and `keypoint_shift_px`: the mean
    distance between the keypoints `decode_heatmaps` finds in the two outputs
    (sub-pixel, in pixels of the input `input_size` (H, W); the peak shift in
    cells when it is None).
    """
    actual, expected = np.asarray(actual), np.asarray(expected)
    if kind != HEATMAPS:
        return {"label_agreement": label_agreement(actual, expected)}
    cells = peak_shift(actual, expected)
    if cells is None:
        return {"peak_agreement": None, "peak_shift_cells": None, "keypoint_shift_px": None}
    shift = cells
    if input_size is not None:
        # What an app sees: the sub-pixel keypoints it decodes, in input pixels.
        shift = mean_keypoint_shift(decode_heatmaps(actual, input_size),
                                    decode_heatmaps(expected, input_size))
    return {"peak_agreement": peak_agreement(actual, expected), "peak_shift_cells": cells,
            "keypoint_shift_px": shift}


def figures_by_name(figures):
    """`{figure: {output: value}}` from `{output: {figure: value}}` (`task_figures`
    of each output), the form the reports show per figure."""
    keys = sorted({key for found in figures.values() for key in found})
    return {key: {name: found.get(key) for name, found in figures.items()} for key in keys}


def judge_agreement(kind, figures, real_inputs, quantized):
    """`(status, text)` of the task-level rule on `figures` (`task_figures`), or
    `(None, None)` when the output has no task-level figure (no class axis).

    An int8 (`quantized`) file judged on random inputs is `"not judged"`.
    """
    criterion = AGREEMENT[HEATMAPS if kind == HEATMAPS else LABELS]
    value = figures.get(criterion.key)
    if value is None:
        return None, None
    if quantized and not real_inputs:
        return "not judged", f"{criterion.text} {criterion.format(value)}: {NOT_JUDGED_TEXT}"
    return ("passed" if criterion.holds(value) else "failed"), criterion.describe(value)


def criteria_lines():
    """The rules as Markdown bullets, for reports and docs."""
    lines = [f"- on real images, against the file's reference: {c.describe()} ({kind})"
             for kind, c in AGREEMENT.items()]
    lines += [f"- on the labelled validation set: {c.describe()} ({kind})"
              for kind, c in SCORE.items()]
    lines.append(f"- int8 steps (diagnostic): share within the steps >= the check's own "
                 f"share, or at most {FLOOR_MARGIN:.0%} below the floor (the same file on "
                 "XNNPACK vs TFLite's builtin kernels, same inputs)")
    lines.append(f"- int8 files on random images: {NOT_JUDGED_TEXT}")
    return lines
