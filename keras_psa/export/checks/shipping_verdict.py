"""Which file to ship, and whether it is any good: the verdict table of the demo report.

Each shipped file has a target and is judged only by the criteria that apply
to it; the step-level criteria stay as the checks define them, and the
task-level figures a user cares about sit beside them: for a segmenter, labels
equal to Keras', to the CPU's on the GPU, and mean IoU; for a heatmap model, OKS AP
and how far its keypoints move from the float Keras model's.
"""

import dataclasses

# (file key, file name, target, checks that apply, why a check does not apply)
SHIPPED_FILES = (
    ("float32", "float32.tflite", "GPU delegate, CPU (float)",
     ("gpu_static", "gpu_run", "xnnpack", "keras_parity"), {}),
    ("qat_int8_xnnpack", "qat/qat_int8_xnnpack.tflite", "CPU (XNNPACK, int8)",
     ("gpu_static", "gpu_run", "xnnpack", "keras_parity"), {}),
    ("qat_int8", "qat/qat_int8.tflite", "int8-only NPUs",
     ("gpu_static", "gpu_run", "keras_parity"),
     {"xnnpack": "not applicable: every op is int8 for NPUs; XNNPACK has no int8 SOFTMAX / "
                 "RSQRT, so CPUs get the _xnnpack file"}),
)
COMPARISON_FILES = (
    ("ptq_int8", "qat/ptq_int8.tflite", "comparison only (post-training int8)",
     ("gpu_static", "gpu_run", "xnnpack", "keras_parity"), {}),
)
CRITERIA = {
    "gpu_static": "every op within the GPU delegate's rules",
    "gpu_run": "fully on LiteRT's GPU accelerator; outputs = CPU's (float: max rel. error "
               "within the mode's tolerance; int8: >= 99% of elements within 3 steps)",
    "xnnpack": "every op delegated to XNNPACK",
    "keras_parity": "outputs = Keras' (float: max rel. error within the mode's tolerance; "
                    "QAT files: >= 99% of elements within 1 step of fake-quant Keras; PTQ: "
                    "max rel. error <= 0.1 of float Keras)",
}


@dataclasses.dataclass
class FileVerdict:
    """The verdict on one TFLite file.

    Args:
        key: short name (`"float32"`, `"qat_int8"`, ...).
        file: path relative to the run folder.
        target: what the file is for.
        mean_iou: validation mean IoU of the file, or None.
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
        if failed:
            return "criteria failed: " + ", ".join(failed)
        if missing:
            return "not fully checked: " + ", ".join(missing)
        return "ready"

    def to_dict(self):
        return {**dataclasses.asdict(self), "verdict": self.verdict}


def _percent(value):
    return "-" if value is None else f"{value:.2%}"


def file_verdict(spec, checks, mean_iou=None, keypoints=None):
    """A `FileVerdict` from the check dicts (`CheckResult.to_dict()`) of one file;
    `keypoints`: the file's keypoint scores (`oks_ap`, `shift_vs_float_keras_px`,
    `shift_vs_qat_keras_px`)."""
    key, file, target, applicable, not_applicable = spec
    by_name = {check["name"]: check for check in checks}
    statuses, reasons = {}, {}
    for name in applicable:
        check = by_name.get(name)
        statuses[name] = check["status"] if check else None
        if check and check["status"] != "passed":
            reasons[name] = check["message"]
    for name, why in not_applicable.items():
        statuses[name], reasons[name] = "n/a", why
    parity = by_name.get("keras_parity", {}).get("details", {})
    gpu_labels = by_name.get("gpu_run", {}).get("details", {}).get("label_agreement") or {}
    gpu_values = [v for v in gpu_labels.values() if v is not None]
    keypoints = keypoints or {}
    return FileVerdict(key, file, target, mean_iou=mean_iou,
                       oks_ap=keypoints.get("oks_ap"),
                       keypoint_shift_px=keypoints.get("shift_vs_float_keras_px"),
                       keypoint_shift_vs_qat_px=keypoints.get("shift_vs_qat_keras_px"),
                       labels_vs_keras=parity.get("label_agreement"),
                       labels_gpu_vs_cpu=min(gpu_values) if gpu_values else None,
                       checks=statuses, reasons=reasons)


_MARKS = {"passed": "pass", "failed": "**FAIL**", "unavailable": "not run", "n/a": "n/a",
          None: "not run"}


def _figure(value, spec):
    return "-" if value is None else format(value, spec)


def verdict_table(verdicts, task="segmentation"):
    """Markdown: one row per file, then the criteria and every reason. `task`:
    "segmentation" (mean IoU, label agreement) or "keypoints" (OKS AP, keypoint shifts)."""
    if task not in ("segmentation", "keypoints"):
        raise ValueError("`task` must be 'segmentation' or 'keypoints'. "
                         f"Received: task={task!r}")
    names = list(CRITERIA)
    if task == "segmentation":
        figures = ("val mean IoU", "labels = Keras", "GPU labels = CPU")
    else:
        figures = ("val OKS AP", "keypoint shift vs float Keras (px)", "vs QAT Keras (px)")
    lines = [f"| file | for | {' | '.join(figures)} | " + " | ".join(names) + " | verdict |",
             "|---|---|" + "---|" * len(figures) + "---|" * len(names) + "---|"]
    for v in verdicts:
        if task == "segmentation":
            cells = (_figure(v.mean_iou, ".4f"), _percent(v.labels_vs_keras),
                     _percent(v.labels_gpu_vs_cpu))
        else:
            cells = (_figure(v.oks_ap, ".4f"), _figure(v.keypoint_shift_px, ".2f"),
                     _figure(v.keypoint_shift_vs_qat_px, ".2f"))
        lines.append(f"| `{v.file}` | {v.target} | {' | '.join(cells)} | "
                     + " | ".join(_MARKS[v.checks.get(n)] for n in names) + f" | {v.verdict} |")
    lines += ["", "Criteria (unchanged thresholds):", ""]
    lines += [f"- `{name}`: {text}" for name, text in CRITERIA.items()]
    notes = [f"- `{v.file}` / `{name}`: {why}" for v in verdicts
             for name, why in v.reasons.items()]
    if notes:
        lines += ["", "Failed, not run or not applicable, and why:", ""] + notes
    return "\n".join(lines) + "\n"
