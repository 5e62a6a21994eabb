import os
import subprocess
import sys

import pytest

from keras_psa.export import convert_model
from tests.export.tiny_models import conv_net

pytestmark = pytest.mark.flavor_independent

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_benchmark_writes_table_and_chart(tmp_path):
    paths = [tmp_path / "a_float32.tflite", tmp_path / "a_int8.tflite"]
    convert_model(conv_net(), paths[0], input_size=(16, 16))
    convert_model(conv_net(), paths[1], "int8", input_size=(16, 16), num_calibration_samples=4)
    out = tmp_path / "bench"
    result = subprocess.run(
        [sys.executable, os.path.join(ROOT, "conversion", "benchmark.py"), *map(str, paths),
         "--output", str(out), "--runs", "5", "--warmup", "1"],
        capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    table = (out / "benchmark.md").read_text()
    assert "a_float32.tflite" in table and "a_int8.tflite" in table
    assert "1 thread(s)" in table and "2 thread(s)" in table
    assert (out / "benchmark.png").stat().st_size > 1000


@pytest.mark.slow
def test_benchmark_of_package_models_reports_targets(tmp_path):
    out = tmp_path / "bench"
    result = subprocess.run(
        [sys.executable, os.path.join(ROOT, "conversion", "benchmark.py"), "--output", str(out),
         "--attention-size", "64", "--backbone-size", "64", "--attentions", "none", "psa_p",
         "--backbones", "mobilenet_v3_large", "--runs", "3", "--warmup", "1", "--threads", "1",
         "--calibration-samples", "2"],
        capture_output=True, text=True, timeout=900, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    text = (out / "benchmark.md").read_text()
    assert "Attention in the head of mobilenet_v3_large LR-ASPP, 64x64" in text
    assert "| psa_p |" in text and "| mobilenet_v3_large |" in text
    assert "psa_p int8, 1 thread:" in text and "mobilenet_v3_large, 1 thread(s): int8" in text
    # The no-attention model at the same size serves both comparisons.
    assert len(list(out.glob("*.tflite"))) == 4
    assert (out / "benchmark.png").stat().st_size > 1000
