"""The error raised when a model file would run Python code while loading."""


class UnsafeModelError(ValueError):
    """A model file holds objects whose loading would run Python code from it.

    Raised by `keras_psa.saving.load_model` before any Keras deserialization,
    so nothing from the file has run. A `ValueError`, so the command-line
    tools report it like any other bad input.

    Args:
        path: the model file or SavedModel folder.
        findings: the `UnsafeObject`s found in its config.
    """

    def __init__(self, path, findings):
        self.path = path
        self.findings = tuple(findings)
        listed = "; ".join(finding.describe() for finding in self.findings)
        super().__init__(
            f"`model` must not hold objects whose loading runs Python code from the file. "
            f"Received: model={path}, which holds {listed}. Loading it was refused and "
            "nothing from it has run. If you trust this file, load it with "
            "allow_unsafe=True (command-line tools: --unsafe-load); better, rebuild the model "
            "without Lambda layers (a registered layer class instead) and save it again."
        )
