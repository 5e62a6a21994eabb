"""The same file in a web page: LiteRT.js in real headless Chromium vs Python LiteRT."""

import pytest

from keras_psa.export import convert_model
from keras_psa.export import run_browser
from tests.export.tiny_models import conv_net
from tests.web.web_availability import PIXEL_RANGE
from tests.web.web_availability import SIZE
from tests.web.web_availability import digit_images
from tests.web.web_availability import require_web_tools

pytestmark = pytest.mark.flavor_independent


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    out = tmp_path_factory.mktemp("browser_run")
    paths = {name: str(out / f"{name}.tflite")
             for name in ("float32", "int8", "uint8_input", "int8_io", "other_float32")}
    common = {"input_size": (SIZE, SIZE), "pixel_range": PIXEL_RANGE}
    int8 = {**common, "quantization": "int8", "representative": "digits",
            "num_calibration_samples": 8}
    convert_model(conv_net(), paths["float32"], **common)
    convert_model(conv_net(), paths["int8"], **int8)
    convert_model(conv_net(), paths["int8_io"], int8_io=True, **int8)
    # Camera frames in (uint8), float32 out: LiteRT.js takes a Uint8Array.
    convert_model(conv_net(), paths["uint8_input"], input_dtype="uint8", **int8)
    convert_model(conv_net(seed=7), paths["other_float32"], **common)
    return paths


@pytest.fixture(scope="module")
def tools():
    return require_web_tools()


@pytest.mark.parametrize("name", ["float32", "int8", "uint8_input"])
def test_a_float_io_file_passes_on_wasm_and_webgpu(files, tools, name):
    result = run_browser(files[name], images=digit_images(), tools=tools, repeats=5)
    assert result.passed, result.summary()
    runs = result.details["accelerators"]
    assert set(runs) == {"wasm", "webgpu"}, "no WebGPU adapter: --enable-unsafe-webgpu?"
    assert result.details["adapter"]["architecture"]
    for accelerator, run in runs.items():
        assert run["status"] == "passed", (accelerator, run["summary"])
        assert run["fully_accelerated"] is True
        (labels,) = run["label_agreement"].values()
        assert labels >= 0.99
        assert run["median_total_ms"] > 0
    assert result.details["python_median_ms"] > 0
    # wasm is XNNPACK as in Python: the same numbers up to float rounding (int8: exact).
    (wasm_error,) = runs["wasm"]["max_abs_error"].values()
    assert wasm_error <= (1e-3 if name == "float32" else 0.0)


def test_browser_labels_that_differ_from_the_reference_fail(files, tools):
    # Judged against another model's outputs, the rule must fail the file.
    result = run_browser(files["float32"], images=digit_images(), tools=tools, repeats=1,
                         accelerators=("wasm",), reference_path=files["other_float32"])
    assert result.status == "failed", result.summary()
    (labels,) = result.details["accelerators"]["wasm"]["label_agreement"].values()
    assert labels < 0.99
    assert "pixels with the reference's label" in result.message


def test_an_int8_io_file_is_unavailable_and_names_its_web_variant(files, tools, capsys,
                                                                 monkeypatch):
    from keras_psa.cli import check

    monkeypatch.delenv("CI", raising=False)  # CI turns "unavailable" (3) into a failure (1)
    code = check.main([files["int8_io"], "--browser", "--pixel-range", "0", "255"])
    out = capsys.readouterr().out
    assert code == 3, out
    assert "[UNAVAILABLE] browser_run" in out
    assert "Element type INT8 is not supported" in out
    assert "float32 input and output (int8 inside)" in out


@pytest.mark.parametrize("variable, fix", [("KERAS_PSA_CHROMIUM", "apt-get install chromium"),
                                           ("KERAS_PSA_NODE", "Node.js (>= 20) must be")])
def test_a_missing_browser_or_node_is_unavailable_and_names_what_to_install(
        files, tools, monkeypatch, variable, fix):
    monkeypatch.setenv(variable, "/nonexistent/tool")
    result = run_browser(files["float32"], images=digit_images(1))
    assert result.status == "unavailable"
    assert fix in result.message
