"""Which file to ship, and whether it is any good: the verdict table of the demo report.

Each shipped file has a target and is judged only by the checks that apply to
it, each decided by what the task sees (`task_criteria`): for a segmenter,
labels equal to its reference's (Keras, the CPU's on the GPU) and a validation
mean IoU as good as its reference's; for a heatmap model, keypoints and OKS AP.
A file's reference is the Keras model it was converted from: float Keras for
the float and post-training files, fake-quant Keras for the QAT files.
"""

import dataclasses

from keras_psa.export.checks.task_criteria import SCORE
from keras_psa.export.checks.task_criteria import criteria_lines
from keras_psa.export.tflite.output_kind import HEATMAPS
from keras_psa.export.tflite.output_kind import LABELS

# (file key, file name, target, checks that apply, why a check does not apply)
ALL_CHECKS = ("gpu_static", "gpu_run", "gpu_fp16", "xnnpack", "keras_parity", "val_score")
# An NPU computes int8 in integers, and XNNPACK forced to fp16 takes no op of an all-int8
# graph, so the fp16 emulation has nothing to run; its range audit is in the file's report.
ALL_INT8_FP16 = ("not applicable: every op is int8 for NPUs, which compute in integers; "
                 "XNNPACK forced to fp16 takes no op of it (the range audit is in its report; "
                 "phone GPUs get float16.tflite)")
SHIPPED_FILES = (
    ("float32", "float32.tflite", "GPU delegate, CPU (float)", ALL_CHECKS, {}),
    ("qat_int8_xnnpack", "qat/qat_int8_xnnpack.tflite", "CPU (XNNPACK, int8)", ALL_CHECKS, {}),
    ("qat_int8", "qat/qat_int8.tflite", "int8-only NPUs",
     ("gpu_static", "gpu_run", "keras_parity", "val_score"),
     {"xnnpack": "not applicable: every op is int8 for NPUs; XNNPACK has no int8 SOFTMAX / "
                 "RSQRT, so CPUs get the _xnnpack file",
      "gpu_fp16": ALL_INT8_FP16}),
)
COMPARISON_FILES = (
    ("ptq_int8", "qat/ptq_int8.tflite", "comparison only (post-training int8)", ALL_CHECKS,
     {}),
    ("ptq_int8_xnnpack", "qat/ptq_int8_xnnpack.tflite",
     "comparison only (post-training, the XNNPACK file's op set)", ALL_CHECKS, {}),
    ("ptq_int8_all", "qat/ptq_int8_all.tflite",
     "comparison only (post-training, every op int8)",
     ("gpu_static", "gpu_run", "keras_parity", "val_score"),
     {"xnnpack": "not applicable: every op is int8, as qat_int8's",
      "gpu_fp16": ALL_INT8_FP16}),
)
CRITERIA = {
    "gpu_static": "every op within the GPU delegate's rules",
    "gpu_run": "fully on LiteRT's GPU accelerator (fp32 on SwiftShader); labels / keypoints = "
               "the CPU's on a real image (float files also: max rel. error within the "
               "mode's tolerance)",
    "gpu_fp16": "as a phone GPU computes (fp16): XNNPACK forced to fp16 does the task as fp32 "
                "on a real image, and no tensor, sum over H·W or LayerNorm statistic outside "
                "fp16's range",
    "xnnpack": "every op delegated to XNNPACK",
    "keras_parity": "labels / keypoints = the reference Keras model's on real images (float "
                    "files also: max rel. error within the mode's tolerance)",
    "val_score": "validation score as good as the reference Keras model's",
    "browser_run": "in a web page (LiteRT.js in headless Chromium, wasm and WebGPU): labels / "
                   "keypoints = Python LiteRT's CPU on real images",
}
# Checks that count and get a column only where they ran (they need Node and Chromium).
WHERE_RUN = ("browser_run",)


@dataclasses.dataclass
class FileVerdict:
    """The verdict on one TFLite file.

    Args:
        key: short name (`"float32"`, `"qat_int8"`, ...).
        file: path relative to the run folder.
        target: what the file is for.
        mean_iou: validation mean IoU of the file, or None.
        reference_score: the validation score (mean IoU, or OKS AP) of the
            file's reference Keras model, or None.
        oks_ap: validation OKS AP of a heatmap model's file, or None.
        keypoint_shift_px: mean distance of its keypoints from the float Keras
            model's, in input pixels, or None.
        keypoint_shift_vs_qat_px: a QAT file's, from the fake-quant Keras model
            it was converted from, or None.
        labels_vs_keras: share of pixels with the reference Keras model's label.
        labels_gpu_vs_cpu: share of pixels with the same label on the GPU as on the CPU.
        checks: {check name: "passed" / "failed" / "unavailable" / "n/a"}.
        reasons: why a check failed or does not apply.
    """

    key: str
    file: str
    target: str
    mean_iou: float = None
    reference_score: float = None
    oks_ap: float = None
    keypoint_shift_px: float = None
    keypoint_shift_vs_qat_px: float = None
    labels_vs_keras: float = None
    labels_gpu_vs_cpu: float = None
    checks: dict = dataclasses.field(default_factory=dict)
    reasons: dict = dataclasses.field(default_factory=dict)

    @property
    def verdict(self):
        failed = [name for name, status in self.checks.items() if status == "failed"]
        missing = [name for name, status in self.checks.items() if status in (None, "unavailable")]
        not_judged = [name for name, status in self.checks.items() if status == "not judged"]
        if failed:
            return "criteria failed: " + ", ".join(failed)
        if missing or not_judged:
            return "not fully checked: " + ", ".join(missing + not_judged)
        return "ready"

    def to_dict(self):
        return {**dataclasses.asdict(self), "verdict": self.verdict}


def _percent(value):
    return "-" if value is None else f"{value:.2%}"


def score_check(kind, score, reference_score):
    """The `val_score` check (a dict like `CheckResult.to_dict()`): the file's
    validation score (mean IoU, or OKS AP for `kind` "heatmaps") beside its
    reference's, by `task_criteria.SCORE`; None when either is unknown."""
    if score is None or reference_score is None:
        return None
    criterion = SCORE[HEATMAPS if kind == HEATMAPS else LABELS]
    drop = reference_score - score
    return {"name": "val_score", "status": "passed" if criterion.holds(drop) else "failed",
            "message": f"{criterion.describe(drop)}: {score:.4f} vs {reference_score:.4f}",
            "issues": [], "details": {criterion.key: drop}}


def file_verdict(spec, checks, mean_iou=None, keypoints=None, reference_score=None):
    """A `FileVerdict` from the check dicts (`CheckResult.to_dict()`) of one file;
    `keypoints`: the file's keypoint scores (`oks_ap`, `shift_vs_float_keras_px`,
    `shift_vs_qat_keras_px`); `reference_score`: the validation score of the
    file's reference Keras model (mean IoU, or OKS AP with `keypoints`)."""
    key, file, target, applicable, not_applicable = spec
    keypoints = keypoints or {}
    kind = HEATMAPS if keypoints else LABELS
    score = keypoints.get("oks_ap") if keypoints else mean_iou
    found = score_check(kind, score, reference_score)
    by_name = {check["name"]: check for check in [*checks, *([found] if found else [])]}
    statuses, reasons = {}, {}
    for name in applicable:
        check = by_name.get(name)
        statuses[name] = check["status"] if check else None
        if check and check["status"] != "passed":
            reasons[name] = check["message"]
    for name, why in not_applicable.items():
        statuses[name], reasons[name] = "n/a", why
    for name in WHERE_RUN:
        if name in by_name:
            statuses[name] = by_name[name]["status"]
            if statuses[name] != "passed":
                reasons[name] = by_name[name]["message"]
    parity = by_name.get("keras_parity", {}).get("details", {})
    gpu_labels = by_name.get("gpu_run", {}).get("details", {}).get("label_agreement") or {}
    gpu_values = [v for v in gpu_labels.values() if v is not None]
    return FileVerdict(key, file, target, mean_iou=mean_iou, reference_score=reference_score,
                       oks_ap=keypoints.get("oks_ap"),
                       keypoint_shift_px=keypoints.get("shift_vs_float_keras_px"),
                       keypoint_shift_vs_qat_px=keypoints.get("shift_vs_qat_keras_px"),
                       labels_vs_keras=parity.get("label_agreement"),
                       labels_gpu_vs_cpu=min(gpu_values) if gpu_values else None,
                       checks=statuses, reasons=reasons)


_MARKS = {"passed": "pass", "failed": "**FAIL**", "unavailable": "not run", "n/a": "n/a",
          "not judged": "not judged", None: "not run"}


def _figure(value, spec):
    return "-" if value is None else format(value, spec)


def verdict_table(verdicts, task="segmentation"):
    """Markdown: one row per file, then the criteria and every reason. `task`:
    "segmentation" (mean IoU, label agreement) or "keypoints" (OKS AP, keypoint shifts)."""
    if task not in ("segmentation", "keypoints"):
        raise ValueError("`task` must be 'segmentation' or 'keypoints'. "
                         f"Received: task={task!r}")
    names = [name for name in CRITERIA
             if name not in WHERE_RUN or any(name in v.checks for v in verdicts)]
    if task == "segmentation":
        figures = ("val mean IoU (reference)", "labels = reference", "GPU labels = CPU")
    else:
        figures = ("val OKS AP (reference)", "keypoint shift vs float Keras (px)",
                   "vs QAT Keras (px)")
    lines = [f"| file | for | {' | '.join(figures)} | " + " | ".join(names) + " | verdict |",
             "|---|---|" + "---|" * len(figures) + "---|" * len(names) + "---|"]
    for v in verdicts:
        reference = "" if v.reference_score is None else f" ({v.reference_score:.4f})"
        if task == "segmentation":
            cells = (_figure(v.mean_iou, ".4f") + reference, _percent(v.labels_vs_keras),
                     _percent(v.labels_gpu_vs_cpu))
        else:
            cells = (_figure(v.oks_ap, ".4f") + reference, _figure(v.keypoint_shift_px, ".2f"),
                     _figure(v.keypoint_shift_vs_qat_px, ".2f"))
        lines.append(f"| `{v.file}` | {v.target} | {' | '.join(cells)} | "
                     + " | ".join(_MARKS[v.checks.get(n)] for n in names) + f" | {v.verdict} |")
    lines += ["", "Checks:", ""]
    lines += [f"- `{name}`: {CRITERIA[name]}" for name in names]
    lines += ["", "Rules (`keras_psa.export.checks.task_criteria`):", "", *criteria_lines()]
    notes = [f"- `{v.file}` / `{name}`: {why}" for v in verdicts
             for name, why in v.reasons.items()]
    if notes:
        lines += ["", "Failed, not run or not applicable, and why:", ""] + notes
    return "\n".join(lines) + "\n"
