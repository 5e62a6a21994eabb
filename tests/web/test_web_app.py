"""keras-psa-web's page in real headless Chromium: its labels are Python LiteRT's."""

import json

import numpy as np
import pytest
from PIL import Image

from keras_psa.cli import web
from keras_psa.export import convert_model
from keras_psa.export import run_tflite
from keras_psa.web import StaticServer
from keras_psa.web import open_pages
from tests.export.tiny_models import conv_net
from tests.web.web_availability import PIXEL_RANGE
from tests.web.web_availability import SIZE
from tests.web.web_availability import digit_images
from tests.web.web_availability import require_web_tools

pytestmark = pytest.mark.flavor_independent


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    tools = require_web_tools()
    out = tmp_path_factory.mktemp("web_app")
    model = str(out / "segmenter.tflite")
    # The segmenter metadata carries the class names and the input range to the page.
    convert_model(conv_net(), model, input_size=(SIZE, SIZE), pixel_range=PIXEL_RANGE,
                  metadata="segmenter", labels="background,ink,paper,edge")
    image = digit_images(1)[0]
    Image.fromarray(image.astype(np.uint8)).save(out / "scene.png")
    assert web.main([model, "--output-dir", str(out / "site"),
                     "--image", str(out / "scene.png")]) == 0
    return {"model": model, "image": image, "site": out / "site", "tools": tools}


def test_the_folder_holds_the_page_litert_js_and_the_model_with_its_names(app):
    site = app["site"]
    for name in ("index.html", "app.js", "model.tflite", "scene.png",
                 "litert/core/wasm/litert_wasm_internal.wasm",
                 "litert/wasm-utils/dist/index.js"):
        assert (site / name).is_file(), name
    config = json.loads((site / "model.json").read_text())
    assert config["class_names"] == ["background", "ink", "paper", "edge"]
    assert config["input"] == {"height": SIZE, "width": SIZE, "range": list(PIXEL_RANGE),
                               "dtype": "float32", "quantization": [0.0, 0]}
    assert "cdn" not in (site / "index.html").read_text().lower()


def test_the_page_labels_equal_python_litert_argmax_on_wasm_and_webgpu(app):
    expected = run_tflite(app["model"], app["image"][None])[0][0].argmax(-1)
    with StaticServer({"/": str(app["site"])}) as server:
        pages = open_pages([{"url": server.url(f"index.html?image=scene.png&backend={b}"),
                             "result": "kerasPsaResult"} for b in ("wasm", "webgpu")],
                           app["tools"])
    for backend, page in zip(("wasm", "webgpu"), pages):
        result = page["result"]
        assert result and "error" not in result, page
        assert result["backend"] == backend and result["ms"] > 0
        labels = np.asarray(result["labels"]).reshape(result["height"], result["width"])
        assert labels.shape == expected.shape
        assert np.mean(labels == expected) >= 0.99, backend


def test_an_int8_io_file_is_refused_with_its_web_variant(tmp_path, capsys):
    model = str(tmp_path / "int8_io.tflite")
    convert_model(conv_net(), model, input_size=(16, 16), pixel_range=PIXEL_RANGE,
                  quantization="int8", int8_io=True, num_calibration_samples=2)
    assert web.main([model, "--output-dir", str(tmp_path / "site")]) == 2
    err = capsys.readouterr().err
    assert "float32 input and output" in err and "INT8" in err
    assert not (tmp_path / "site").exists()


def test_the_page_decodes_keypoints_as_python_does(app, tmp_path):
    from keras_psa.keypoints.decoding import decode_heatmaps

    model = str(tmp_path / "heatmaps.tflite")
    convert_model(conv_net(), model, input_size=(SIZE, SIZE), pixel_range=PIXEL_RANGE,
                  metadata="heatmap", keypoint_names="head,neck,hip,knee")
    site = tmp_path / "site"
    web.main([model, "--output-dir", str(site), "--image", str(app["site"] / "scene.png")])
    assert json.loads((site / "model.json").read_text())["joint_names"] == [
        "head", "neck", "hip", "knee"]
    heatmaps = run_tflite(model, app["image"][None])[0]
    expected = decode_heatmaps(heatmaps, (SIZE, SIZE))[0]
    with StaticServer({"/": str(site)}) as server:
        (page,) = open_pages([{"url": server.url("index.html?image=scene.png&backend=wasm"),
                               "result": "kerasPsaResult"}], app["tools"])
    keypoints = np.asarray(page["result"]["keypoints"])
    assert keypoints.shape == (4, 3)
    np.testing.assert_allclose(keypoints[:, :2], expected[:, :2], atol=1e-3)
    np.testing.assert_allclose(keypoints[:, 2], expected[:, 2], rtol=1e-4)
