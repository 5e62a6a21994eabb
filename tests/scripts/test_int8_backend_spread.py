"""scripts/int8_backend_spread.py: TFLite's CPU backends compared on one int8 file."""

import pytest

from keras_psa.export import convert_model
from tests.export.tiny_models import conv_net
from tests.training.script_runner import load_script

pytestmark = pytest.mark.flavor_independent


def test_every_pair_of_cpu_backends_is_compared_and_ops_that_differ_are_listed(tmp_path,
                                                                              capsys):
    path = str(tmp_path / "conv_int8.tflite")
    convert_model(conv_net(16), path, input_size=(16, 16), quantization="int8",
                  representative="random", num_calibration_samples=8, pixel_range=(0.0, 255.0))
    load_script("scripts", "int8_backend_spread.py").main(
        [path, "--images", "random", "--num-images", "2", "--per-op"])
    lines = capsys.readouterr().out.splitlines()
    pairs = [line for line in lines if " vs " in line]
    assert [line.split("|")[1].strip() for line in pairs] == [
        "xnnpack vs builtin", "xnnpack vs reference", "builtin vs reference"]
    for line in pairs:
        shares = [float(s.strip().rstrip("%")) for s in line.split("|")[3].split("/")]
        assert 0 <= shares[0] <= shares[1] <= shares[2] <= 100, line
        assert shares[2] >= 99, line  # a plain conv net: rounding differences stay small
    assert "| op | name | exact | within 1 step | max steps |" in lines
