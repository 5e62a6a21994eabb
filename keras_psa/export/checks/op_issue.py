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


def distinct_issues(issues, max_indices=8):
    """One line per distinct note (op name and reason) of `issues` (`OpIssue`s or
    their `to_dict()`s), with how many ops it applies to and their indices:
    "HARD_SWISH (11 ops: #3, #7, ...): runs on TFLite's CPU kernels ...".

    A note that applies to eleven ops is one line, not eleven identical ones.
    """
    groups = {}
    for issue in issues:
        found = issue if isinstance(issue, dict) else issue.to_dict()
        groups.setdefault((found["op_name"], found["reason"]), []).append(found["op_index"])
    lines = []
    for (op_name, reason), indices in groups.items():
        known = [f"#{index}" for index in indices if index is not None]
        shown = ", ".join(known[:max_indices]) + (", ..." if len(known) > max_indices else "")
        if len(indices) > 1:
            where = f" ({len(indices)} ops" + (f": {shown})" if known else ")")
        else:
            where = f" ({shown})" if known else ""
        lines.append(f"{op_name}{where}: {reason}")
    return lines
