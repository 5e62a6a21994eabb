"""The report of compiling one model for several NPU targets: JSON and Markdown."""

import dataclasses
import json
import os

from keras_psa.export.atomic_write import write_bytes_atomically
from keras_psa.export.checks.check_result import FAILED
from keras_psa.export.checks.check_result import NOT_JUDGED
from keras_psa.export.checks.check_result import PASSED
from keras_psa.export.checks.check_result import UNAVAILABLE
from keras_psa.export.checks.task_criteria import AGREEMENT
from keras_psa.export.tflite.output_kind import LABELS


def _percent(value):
    return f"{value:.2%}" if value is not None else "-"


@dataclasses.dataclass
class NpuCompileReport:
    """Per-target `NpuCompileResult`s for one `.tflite`.

    Args:
        model: path of the compiled `.tflite`.
        model_size_bytes: its size.
        op_histogram: op name -> count in its main subgraph.
        results: one `NpuCompileResult` per target, in the order requested.
    """

    model: str
    model_size_bytes: int
    op_histogram: dict
    results: list = dataclasses.field(default_factory=list)

    @property
    def status(self):
        """`"failed"` if a target failed, else `"unavailable"` if one could not be
        compiled here, else `"not judged"` if a run was on random inputs, else
        `"passed"`."""
        statuses = {result.status for result in self.results}
        for status in (FAILED, UNAVAILABLE, NOT_JUDGED):
            if status in statuses:
                return status
        return PASSED

    @property
    def passed(self):
        return self.status == PASSED

    def to_dict(self):
        return {
            "model": self.model,
            "model_size_bytes": self.model_size_bytes,
            "op_histogram": self.op_histogram,
            "status": self.status,
            "targets": [result.to_dict() for result in self.results],
        }

    def summary(self):
        return "\n".join(result.summary() for result in self.results)

    def to_markdown(self):
        lines = [f"# NPU compilation of {os.path.basename(self.model)}", "",
                 f"- size: {self.model_size_bytes:,} bytes", f"- status: {self.status}", "",
                 "| target | status | ops offloaded | partitions | ops on CPU | compiled size "
                 "| compile time | labels = CPU (heatmaps: keypoint shift) "
                 "| int8 within 1/2/3 steps (diagnostic) | XNNPACK vs CPU (the floor) |",
                 "|---|---|---|---|---|---|---|---|---|---|"]
        for r in self.results:
            compiled = r.status != UNAVAILABLE and r.subgraphs
            on_cpu = ", ".join(sorted({op["name"] for op in r.ops_on_cpu})) or "none"
            labels, steps, floor = "-", "-", "-"
            if r.run is not None:
                run = r.run.details
                criterion = AGREEMENT.get(run.get("output_kind"), AGREEMENT[LABELS])
                values = [v for v in (run.get(criterion.key) or {}).values() if v is not None]
                worst = min if criterion.at_least is not None else max
                if values:
                    labels = criterion.format(worst(values))
                floors = [f["figures"].get(criterion.key)
                          for f in (run.get("xnnpack_vs_cpu") or {}).values()]
                floors = [v for v in floors if v is not None]
                if floors:
                    floor = criterion.format(worst(floors))
                shares = run.get("share_within_int8_steps") or {}
                if shares:
                    steps = "/".join(_percent(min(s[k] for s in shares.values()))
                                     for k in (1, 2, 3))
                    step_floors = [f["shares"].get(1, f["shares"].get("1")) for f in
                                   (run.get("xnnpack_vs_cpu") or {}).values() if f.get("shares")]
                    if step_floors:
                        steps += f" (floor {_percent(min(step_floors))} within 1)"
            lines.append(
                f"| {r.target} | {r.status} | "
                + (f"{r.ops_offloaded} / {r.ops_total} | {r.partitions} | {on_cpu} | "
                   f"{r.compiled_size_bytes:,} B | {r.compile_seconds:.1f} s"
                   if compiled else "- | - | - | - | -")
                + f" | {labels} | {steps} | {floor} |")
        for r in self.results:
            if r.status != PASSED:
                lines += ["", f"## {r.target}: {r.status}", "", r.message]
                for op in r.ops_on_cpu:
                    lines.append(f"- on CPU: subgraph {op['subgraph']} op #{op['index']} "
                                 f"`{op['name']}`")
                if r.run is not None and not r.run.passed:
                    lines.append(f"- run: {r.run.message}")
        lines += ["", "## Op histogram", "", "| op | count |", "|---|---|"]
        lines += [f"| {op} | {n} |" for op, n in self.op_histogram.items()]
        return "\n".join(lines) + "\n"

    def report_paths(self, output_dir):
        stem = os.path.splitext(os.path.basename(self.model))[0]
        base = os.path.join(os.fspath(output_dir), stem + ".npu_report")
        return base + ".json", base + ".md"

    def write(self, output_dir):
        """Writes `<stem>.npu_report.json` and `.md` into `output_dir`; returns the paths."""
        json_path, md_path = self.report_paths(output_dir)
        write_bytes_atomically(json_path,
                               json.dumps(self.to_dict(), indent=2, default=str).encode())
        write_bytes_atomically(md_path, self.to_markdown().encode())
        return json_path, md_path
