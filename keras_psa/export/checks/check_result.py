"""Outcome of one export check (GPU compatibility, XNNPACK, parity, ...)."""

import dataclasses

from keras_psa.export.checks.op_issue import distinct_issues

PASSED = "passed"
FAILED = "failed"
# The check could not run here (e.g. no Vulkan device): neither pass nor fail.
UNAVAILABLE = "unavailable"
# An int8 file's task-level result on random inputs: they run outside the ranges
# the file was calibrated for, so the result neither passes nor fails the file
# (`task_criteria`).
NOT_JUDGED = "not judged"
STATUSES = (PASSED, FAILED, UNAVAILABLE, NOT_JUDGED)


@dataclasses.dataclass
class CheckResult:
    """What one check found.

    Args:
        name: short name of the check, e.g. `"gpu_static"`, `"xnnpack"`.
        status: `"passed"`, `"failed"`, `"unavailable"` or `"not judged"`.
        issues: `OpIssue`s naming each offending operator.
        details: JSON-serialisable facts measured by the check (errors,
            partition counts, logs).
        message: one line for people.
    """

    name: str
    status: str
    issues: list = dataclasses.field(default_factory=list)
    details: dict = dataclasses.field(default_factory=dict)
    message: str = ""

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"`status` must be one of {STATUSES}. Received: status={self.status}")

    @property
    def passed(self):
        return self.status == PASSED

    def to_dict(self):
        return {
            "name": self.name,
            "status": self.status,
            "message": self.message,
            "issues": [issue.to_dict() for issue in self.issues],
            "details": self.details,
        }

    def summary(self):
        lines = [f"[{self.status.upper()}] {self.name}: {self.message}".rstrip(": ")]
        lines += [f"    {line}" for line in distinct_issues(self.issues)]
        return "\n".join(lines)
