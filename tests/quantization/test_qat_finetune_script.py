"""examples/qat_finetune.py and examples/pipeline.py: arguments and the float-run hand-over."""

import json
import os
import subprocess
import sys

import pytest

from keras_psa.quantization.qat_config import QATConfig
from keras_psa.quantization.qat_finetune import read_float_run
from keras_psa.quantization.qat_finetune import results_table
from tests.installed_tools import tool
from tests.training.script_runner import ROOT
from tests.training.script_runner import script_env

pytestmark = pytest.mark.flavor_independent


@pytest.mark.parametrize("command", [tool("keras-psa-qat"),
                                     os.path.join(ROOT, "examples", "pipeline.py")])
def test_help_lists_the_flags(command):
    args = [command] if command.endswith("keras-psa-qat") else [sys.executable, command]
    result = subprocess.run([*args, "--help"], env=script_env(), capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    assert "--output-dir" in result.stdout


def test_read_float_run_names_what_is_missing(tmp_path):
    with pytest.raises(ValueError, match="summary.json"):
        read_float_run(tmp_path)
    (tmp_path / "model.keras").write_bytes(b"x")
    (tmp_path / "summary.json").write_text(json.dumps({"val": {}}))
    with pytest.raises(ValueError, match="not a train_segmentation summary"):
        read_float_run(tmp_path / "model.keras")
    (tmp_path / "summary.json").write_text(json.dumps({"config": {}, "dataset": {}}))
    assert read_float_run(tmp_path)[0] == os.path.join(tmp_path, "model.keras")


def test_qat_config_rejects_bad_values():
    with pytest.raises(ValueError, match="`steps` must be a positive int"):
        QATConfig("run", steps=0).validate()
    with pytest.raises(ValueError, match="`checkpoint` must be"):
        QATConfig("run", checkpoint="last").validate()


def test_results_table_lists_every_model():
    table = results_table({"float (Keras)": 0.5, "QAT int8 (TFLite)": 0.25})
    assert "| float (Keras) | 0.5000 |" in table and "| QAT int8 (TFLite) | 0.2500 |" in table
