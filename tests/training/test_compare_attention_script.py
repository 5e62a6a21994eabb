"""examples/compare_attention.py: --help, and a two-attention, one-seed study end to end."""

import json
import os
import subprocess
import sys

import pytest

from tests.training.script_runner import ROOT
from tests.training.script_runner import script_env

pytestmark = pytest.mark.flavor_independent

SCRIPT = os.path.join(ROOT, "examples", "compare_attention.py")


def test_help():
    result = subprocess.run([sys.executable, SCRIPT, "--help"], env=script_env(),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    for flag in ("--seeds", "--attentions", "--dataset", "--epochs", "--latency-runs"):
        assert flag in result.stdout


def test_unknown_attention_is_rejected():
    result = subprocess.run([sys.executable, SCRIPT, "--attentions", "psa_p,nonlocal"],
                            env=script_env(), capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "--attentions" in result.stderr


@pytest.mark.slow
def test_tiny_study_writes_table_chart_and_latencies(tmp_path):
    output_dir = str(tmp_path / "study")
    result = subprocess.run(
        [sys.executable, SCRIPT, "--attentions", "none,psa_p", "--seeds", "1", "--epochs", "1",
         "--steps-per-epoch", "3", "--warmup-steps", "1", "--batch-size", "4",
         "--train-examples", "16", "--alpha", "0.35", "--head-filters", "16",
         "--latency-runs", "3", "--output-dir", output_dir],
        env=script_env(), capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    with open(os.path.join(output_dir, "study.json")) as file:
        rows = {row["attention"]: row for row in json.load(file)["rows"]}
    assert set(rows) == {"none", "psa_p"}
    assert rows["psa_p"]["params"] > rows["none"]["params"]
    assert rows["psa_p"]["macs"] > rows["none"]["macs"]
    assert all(row["tflite_fp32_ms"] > 0 for row in rows.values())
    table = open(os.path.join(output_dir, "study.md")).read()
    assert "| psa_p |" in table and "| none |" in table
    assert os.path.getsize(os.path.join(output_dir, "study.png")) > 0
