"""The shipping rules as data: what a file must do for its task, on which inputs.

Every check that compares a file with its reference (Keras parity, the GPU
run, the NPU run, the fp16 run) and every report reads its thresholds from
here, so the reports, the command-line tools, the docs and the tests cannot
disagree.

A file ships when it does its task as well as its reference: the same labels
on real images (segmentation), the same keypoints (heatmaps), and, where a
labelled validation set exists, the same score. No backend is asked to agree
with the reference better than two trusted backends (fp32 XNNPACK and TFLite's
builtin kernels) agree with each other on the same file and inputs: that floor
is shown beside every figure. Agreement in int8 steps is a diagnostic shown
beside its floor; it decides only for outputs that have no task-level figure.
An int8 file fed random images runs outside the ranges it was calibrated for:
its task-level result there is "not judged", never a pass.
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
        if self.unit == "%":
            shown = f"{limit:.0%}" if round(limit * 100, 6).is_integer() else f"{limit:.2%}"
        else:
            shown = f"{limit:.3g}{self.unit}"
        return (">= " if self.at_least is not None else "<= ") + shown

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
# The int8 step rule, for outputs without a task-level figure: a share more than
# this below the floor (and below the check's own share) fails.
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


@dataclasses.dataclass(frozen=True)
class StepShare:
    """An int8 output's share within `steps` quantization steps of its reference,
    beside its floor.

    Args:
        share: the share of elements within `steps` steps.
        steps: how many steps.
        target: the share the check asks for (before its floor lowers it).
        floor: the same share of two trusted CPU backends (XNNPACK and TFLite's
            builtin kernels) on the same file and inputs, or None.
        of: what the steps are of, for people (e.g. `" of the sigmoid logits"`).
    """

    share: float
    steps: int
    target: float
    floor: float = None
    of: str = ""

    @property
    def threshold(self):
        return steps_threshold(self.target, self.floor)

    def holds(self):
        return self.share >= self.threshold

    def describe(self, diagnostic):
        """"98.65% within 1 int8 step (floor 95.54%; diagnostic)", or with the bound
        in place of "diagnostic" when the share decides."""
        floor = "" if self.floor is None else f"floor {self.floor:.2%}; "
        verdict = ("diagnostic" if diagnostic else
                   f"{'' if self.holds() else 'not '}>= {self.threshold:.2%}")
        return (f"{self.share:.2%} within {self.steps} int8 step(s){self.of} "
                f"({floor}{verdict})")


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


def agreement_criterion(kind, floor=None):
    """The task-level rule of an output kind (`AGREEMENT`), its bound relaxed to
    `floor`, the same figure of two trusted backends on the same file and inputs,
    where that is less strict: no backend can be asked to agree better with the
    reference than two trusted ones agree with each other (near-tied logits of a
    random-weight net). A trained model's floor is near 100%, and the bound
    stands."""
    criterion = AGREEMENT[HEATMAPS if kind == HEATMAPS else LABELS]
    if floor is None or not np.isfinite(floor):
        return criterion
    if criterion.at_least is not None and floor < criterion.at_least:
        return dataclasses.replace(criterion, at_least=floor)
    if criterion.at_most is not None and floor > criterion.at_most:
        return dataclasses.replace(criterion, at_most=floor)
    return criterion


def task_value(kind, figures):
    """The task-level figure of an output kind in `figures`, or None (no class axis)."""
    return figures.get(AGREEMENT[HEATMAPS if kind == HEATMAPS else LABELS].key)


def judge_agreement(kind, figures, real_inputs, quantized, floor_figures=None,
                    floor_text="two trusted backends"):
    """`(status, text)` of the task-level rule on `figures` (`task_figures`), or
    `(None, None)` when the output has no task-level figure (no class axis).

    With `floor_figures` (`task_figures` of two trusted backends on the same
    inputs, named by `floor_text`), the bound is relaxed to their figure where
    that is lower (`agreement_criterion`) and the floor is shown. An int8
    (`quantized`) file judged on random inputs is `"not judged"`.
    """
    value = task_value(kind, figures)
    if value is None:
        return None, None
    floor = task_value(kind, floor_figures or {})
    criterion = agreement_criterion(kind, floor)
    shown = "" if floor is None else f"; floor, {floor_text}: {criterion.format(floor)}"
    if quantized and not real_inputs:
        return "not judged", (f"{criterion.text} {criterion.format(value)}{shown}: "
                              f"{NOT_JUDGED_TEXT}")
    text = criterion.describe(value)
    return ("passed" if criterion.holds(value) else "failed"), text[:-1] + shown + ")"


def judge_output(kind, figures, *, real_inputs, quantized, floor_figures=None,
                 floor_text="two trusted backends", steps=None, error=None, tolerance=None):
    """`(status, text)` of one output against its reference: the one rule of every check.

    1. An output with a task-level figure (labels, keypoints) is judged by it
       (`judge_agreement`, beside its floor); its int8 `steps` (a `StepShare`)
       are shown as a diagnostic.
    2. Without one, an int8 output is judged by its steps: within the check's
       share, or its floor less `FLOOR_MARGIN`.
    3. A float file's output must also be within `tolerance` in relative
       `error` (float arithmetic has no rounding to excuse more); an int8
       output is judged by its error only when nothing above judges it.

    Returns `(None, None)` when nothing can judge the output.
    """
    verdicts = []
    status, text = judge_agreement(kind, figures, real_inputs, quantized, floor_figures,
                                   floor_text)
    if status:
        if steps is not None:
            text += f"; int8 steps: {steps.describe(diagnostic=True)}"
        verdicts.append((status, text))
    elif steps is not None:
        verdicts.append((("passed" if steps.holds() else "failed"),
                         steps.describe(diagnostic=False)))
    if error is not None and tolerance is not None and (not quantized or not verdicts):
        ok = error <= tolerance
        verdicts.append((("passed" if ok else "failed"),
                         f"max rel. error {error:.3g} {'<=' if ok else '>'} {tolerance:g}"))
    if not verdicts:
        return None, None
    status, texts = combine(verdicts)
    return status, "; ".join(texts)


def combine(verdicts):
    """`(status, texts)` of a check from its `(status, text)` verdicts: failed if
    any failed (then only the failures are shown), else not judged if any was,
    else passed."""
    verdicts = [(status, text) for status, text in verdicts if status]
    statuses = {status for status, _ in verdicts}
    status = ("failed" if "failed" in statuses else
              "not judged" if "not judged" in statuses else "passed")
    texts = [text for found, text in verdicts if found == "failed" or status != "failed"]
    return status, texts


def criteria_lines():
    """The rules as Markdown bullets, for reports and docs."""
    lines = [f"- on real images, against the file's reference: {c.describe()} ({kind})"
             for kind, c in AGREEMENT.items()]
    lines += [f"- on the labelled validation set: {c.describe()} ({kind})"
              for kind, c in SCORE.items()]
    lines.append("- the floor: where two trusted backends (fp32 XNNPACK and TFLite's builtin "
                 "kernels) agree less than that on the same file and inputs, their figure "
                 "is the bound")
    lines.append("- int8 steps: a diagnostic beside their floor wherever a task-level figure "
                 "exists; an output without one (no class axis) passes with its share "
                 f"within the steps >= the check's own share, or at most {FLOOR_MARGIN:.0%} "
                 "below the floor")
    lines.append(f"- int8 files on random images: {NOT_JUDGED_TEXT}")
    return lines
