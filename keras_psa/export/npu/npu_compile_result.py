"""Outcome of compiling one model for one NPU target."""

import dataclasses

from keras_psa.export.checks.check_result import PASSED
from keras_psa.export.checks.check_result import STATUSES


@dataclasses.dataclass
class NpuCompileResult:
    """What LiteRT's ahead-of-time compiler made of one model for one SoC.

    Args:
        target: the `VENDOR:SOC` spec, e.g. `"intel_openvino:LNL"`.
        status: `"passed"` (every op offloaded, and the compiled model, when it
            could run here, agrees with the CPU), `"failed"` (ops left on the
            CPU, the compiler rejected the model, or the run disagreed) or
            `"unavailable"` (the vendor's compiler cannot run here, e.g. its
            SDK is not installed).
        message: one line for people.
        subgraphs: per subgraph, `{"subgraph", "ops_offloaded", "ops_total",
            "partitions"}` as the compiler reported them.
        ops_on_cpu: `{"subgraph", "index", "name"}` of each op of the
            compiled model that is not a dispatch op (left to the CPU).
        compiled_path: where the compiled model was written, or None.
        compiled_size_bytes: size of the compiled model, or None.
        compile_seconds: wall time of the compilation.
        run: the `CheckResult` of running the compiled model through
            `CompiledModel` against the CPU interpreter, or None when not run.
        details: further facts (SDK package, missing library, compiler log
            lines, device options).
    """

    target: str
    status: str
    message: str = ""
    subgraphs: list = dataclasses.field(default_factory=list)
    ops_on_cpu: list = dataclasses.field(default_factory=list)
    compiled_path: str | None = None
    compiled_size_bytes: int | None = None
    compile_seconds: float | None = None
    run: object = None
    details: dict = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"`status` must be one of {STATUSES}. Received: status={self.status}")

    @property
    def passed(self):
        return self.status == PASSED

    @property
    def ops_offloaded(self):
        return sum(s["ops_offloaded"] for s in self.subgraphs)

    @property
    def ops_total(self):
        return sum(s["ops_total"] for s in self.subgraphs)

    @property
    def partitions(self):
        return sum(s["partitions"] for s in self.subgraphs)

    def to_dict(self):
        return {
            "target": self.target,
            "status": self.status,
            "message": self.message,
            "ops_offloaded": self.ops_offloaded,
            "ops_total": self.ops_total,
            "partitions": self.partitions,
            "subgraphs": self.subgraphs,
            "ops_on_cpu": self.ops_on_cpu,
            "compiled_path": self.compiled_path,
            "compiled_size_bytes": self.compiled_size_bytes,
            "compile_seconds": self.compile_seconds,
            "run": self.run.to_dict() if self.run is not None else None,
            "details": self.details,
        }

    def summary(self):
        lines = [f"[{self.status.upper()}] {self.target}: {self.message}".rstrip(": ")]
        for op in self.ops_on_cpu:
            lines.append(f"    on CPU: subgraph {op['subgraph']} #{op['index']} {op['name']}")
        if self.run is not None and not self.run.passed:
            lines.append(f"    run: {self.run.summary()}")
        return "\n".join(lines)
