"""One operator that a delegate or check refuses, and why."""

import dataclasses


@dataclasses.dataclass(frozen=True)
class OpIssue:
    """An operator a check refuses.

    Args:
        op_index: index of the operator in the main subgraph, or None when the
            runtime only names the op type (e.g. the GPU delegate's log).
        op_name: TFLite builtin name, e.g. `"ARG_MAX"`.
        reason: why it is refused, in the words of the rule it breaks.
    """

    op_index: object
    op_name: str
    reason: str

    def __str__(self):
        where = f"#{self.op_index} " if self.op_index is not None else ""
        return f"{where}{self.op_name}: {self.reason}"

    def to_dict(self):
        return dataclasses.asdict(self)
