import json
from pathlib import Path

import numpy as np
import pytest

GOLDEN_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "psa_golden"


def golden_cases():
    return [entry["file"] for entry in json.loads((GOLDEN_DIR / "index.json").read_text())]


def load_golden(file_name):
    """Returns (variant, layout, state_dict, input_nhwc, output_nhwc)."""
    entry = next(e for e in json.loads((GOLDEN_DIR / "index.json").read_text())
                 if e["file"] == file_name)
    data = np.load(GOLDEN_DIR / file_name)
    state_dict = {k[len("param/"):]: data[k] for k in data.files if k.startswith("param/")}
    return (
        entry["variant"],
        entry["layout"],
        state_dict,
        data["input_nchw"].transpose(0, 2, 3, 1),
        data["output_nchw"].transpose(0, 2, 3, 1),
    )


@pytest.fixture(params=golden_cases())
def golden(request):
    return load_golden(request.param)
