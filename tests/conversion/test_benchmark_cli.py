import os
import subprocess

import pytest

from keras_psa.export import convert_model
from tests.export.tiny_models import conv_net
from tests.installed_tools import tool

pytestmark = pytest.mark.flavor_independent

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.slow
def test_benchmark_writes_table_and_chart(tmp_path):
    paths = [tmp_path / "a_float32.tflite", tmp_path / "a_int8.tflite"]
    convert_model(conv_net(), paths[0], input_size=(16, 16))
    convert_model(conv_net(), paths[1], "int8", input_size=(16, 16), num_calibration_samples=4,
                  pixel_range=(0.0, 1.0))
    out = tmp_path / "bench"
    result = subprocess.run(
        [tool("keras-psa-benchmark"), *map(str, paths),
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
        [tool("keras-psa-benchmark"), "--output", str(out),
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


@pytest.mark.slow
def test_benchmark_op_kinds_compares_each_kind_float32_and_int8(tmp_path):
    from keras_psa.cli.op_kind_models import OP_KINDS
    from keras_psa.export import TFLiteGraph

    out = tmp_path / "bench"
    result = subprocess.run(
        [tool("keras-psa-benchmark"), "--output", str(out),
         "--op-kinds", "--skip-attention", "--skip-backbones", "--runs", "3", "--warmup", "1",
         "--threads", "1"],
        capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    text = (out / "benchmark.md").read_text()
    assert "int8 vs float32 per kind of op" in text
    for name, *_ in OP_KINDS:
        assert f"| {name} |" in text, name
    # The int8 files really run the kind in int8 (the float32 ones in float32).
    main_op = {"op_DepthwiseConv2D_3x3": "DEPTHWISE_CONV_2D", "op_Add": "ADD",
               "op_bilinear_resize_x8_logits": "RESIZE_BILINEAR"}
    for stem, op_name in main_op.items():
        for mode, dtype in (("int8", "INT8"), ("float32", "FLOAT32")):
            graph = TFLiteGraph.from_file(str(out / f"{stem}_{mode}.tflite"))
            dtypes = {op.outputs[0].dtype for op in graph.ops if op.name == op_name}
            assert dtypes == {dtype}, (stem, mode, dtypes)


def test_op_kind_model_names_the_kinds_it_knows():
    from keras_psa.cli.op_kind_models import op_kind_model

    with pytest.raises(ValueError, match="`name` must be one of"):
        op_kind_model("Conv3D", (8, 8, 4), 1)
