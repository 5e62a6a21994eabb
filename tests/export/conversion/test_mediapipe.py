"""MediaPipe Tasks' real ImageSegmenter on the package's exports (in its own environment).

MediaPipe cannot be installed beside TensorFlow 2.21 and tfmot, so it runs in
.venv-mediapipe (scripts/setup_mediapipe_env.sh, called by `make test`) through
scripts/mediapipe_segment.py; the LiteRT reference runs here.
"""

import numpy as np
import pytest

from keras_psa.export import check_xnnpack_delegation
from keras_psa.export import convert_model
from keras_psa.export import read_metadata
from keras_psa.export import run_gpu_accelerator
from keras_psa.export import run_tflite
from keras_psa.export import write_segmenter_metadata
from keras_psa.keras_flavor import keras
from tests.export.gpu_availability import require_gpu_run
from tests.export.mediapipe_env import mediapipe_python
from tests.export.mediapipe_env import run_mediapipe

pytestmark = [pytest.mark.flavor_independent, pytest.mark.slow]

SIZE = 64
EXPORTS = {
    "float32": {"quantization": "float32"},
    "float16": {"quantization": "float16"},
    "int8": {"quantization": "int8"},
    "uint8": {"quantization": "int8", "input_dtype": "uint8"},
}


def _run(path, batch):
    outputs = run_tflite(str(path), batch.astype("float32"))
    return np.asarray(outputs[0] if isinstance(outputs, list) else outputs)


def _logits(path, image):
    return _run(path, image[None])[0]


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    """A segmenter with BatchNorm statistics of real scenes, exported four ways,
    and MediaPipe's masks for each."""
    mediapipe_python()  # skip (or fail under CI) before building anything
    from keras_psa.data.load_dataset import load_dataset
    from keras_psa.models import build_segmentation_model
    from keras_psa.models import set_batch_norm_statistics

    out = tmp_path_factory.mktemp("mediapipe")
    dataset, info = load_dataset("shapes", SIZE, 8, split="val", shuffle=False,
                                 num_examples=8)
    images = next(dataset.as_numpy_iterator())[0].round().clip(0, 255)
    keras.utils.set_random_seed(0)
    model = build_segmentation_model("mobilenet_v3_small", info.num_classes,
                                     input_shape=(SIZE, SIZE, 3), alpha=0.35,
                                     head_filters=16)
    set_batch_norm_statistics(model, images)
    test_images = images[:4].astype(np.uint8)
    np.save(out / "images.npy", test_images)
    files = {}
    for name, options in EXPORTS.items():
        path = out / f"{name}.tflite"
        convert_model(model, path, representative=list(images[:, None]),
                      num_calibration_samples=8, pixel_range=(0.0, 255.0),
                      labels=list(info.class_names), **options)
        report = run_mediapipe(path, out / "images.npy", out / f"{name}.npz")
        files[name] = {"path": path, "report": report, "masks": np.load(out / f"{name}.npz")}
    return {"dir": out, "files": files, "images": test_images, "model": model,
            "class_names": list(info.class_names)}


@pytest.mark.parametrize("name", list(EXPORTS))
def test_category_mask_is_the_argmax_of_litert_logits(exports, name):
    export = exports["files"][name]
    assert "error" not in export["report"], export["report"]
    for i, image in enumerate(exports["images"]):
        labels = np.argmax(_logits(export["path"], image), axis=-1)
        category = export["masks"][f"category_{i}"]
        assert category.shape == (SIZE, SIZE)
        assert np.mean(category == labels) >= 0.999, (name, i)


@pytest.mark.parametrize("name", list(EXPORTS))
def test_category_names_come_from_the_metadata(exports, name):
    assert exports["files"][name]["report"]["labels"] == exports["class_names"]


def test_float32_confidence_masks_are_the_logits(exports):
    export = exports["files"]["float32"]
    for i, image in enumerate(exports["images"]):
        np.testing.assert_allclose(export["masks"][f"confidence_{i}"],
                                   _logits(export["path"], image), atol=1e-5, rtol=0)


def test_softmax_activation_gives_probabilities(exports):
    path = exports["dir"] / "float32_softmax.tflite"
    path.write_bytes(write_segmenter_metadata(
        exports["files"]["float32"]["path"].read_bytes(), labels=exports["class_names"],
        output_activation="softmax"))
    run_mediapipe(path, exports["dir"] / "images.npy", exports["dir"] / "softmax.npz")
    masks = np.load(exports["dir"] / "softmax.npz")
    logits = _logits(path, exports["images"][0])
    expected = np.exp(logits - logits.max(-1, keepdims=True))
    expected /= expected.sum(-1, keepdims=True)
    np.testing.assert_allclose(masks["confidence_0"], expected, atol=1e-5, rtol=0)


def test_masks_come_back_at_the_image_size(exports):
    # A 320x240 camera frame: MediaPipe stretches it to 64x64 and the masks back.
    frame = np.random.default_rng(0).integers(0, 256, (1, 240, 320, 3), dtype=np.uint8)
    np.save(exports["dir"] / "frame.npy", frame)
    report = run_mediapipe(exports["files"]["uint8"]["path"], exports["dir"] / "frame.npy",
                           exports["dir"] / "frame.npz")
    classes = len(exports["class_names"])
    assert report["shapes"] == [{"category": [240, 320], "confidence": [240, 320, classes]}]


def test_uint8_input_runs_fully_on_xnnpack_and_the_gpu(exports):
    path = str(exports["files"]["uint8"]["path"])
    xnnpack = check_xnnpack_delegation(path)
    assert xnnpack.passed and xnnpack.details["num_partitions"] == 1, xnnpack.summary()
    image = exports["images"][:1]
    gpu = run_gpu_accelerator(path, inputs={"args_0": image}, tolerance=0.1)
    require_gpu_run(gpu)
    assert gpu.details["fully_accelerated"] is True, gpu.summary()


def test_uint8_input_takes_raw_pixels(exports):
    from ai_edge_litert.interpreter import Interpreter

    path = str(exports["files"]["uint8"]["path"])
    details = Interpreter(model_path=path).get_input_details()[0]
    assert details["dtype"] == np.uint8
    assert details["quantization"] == (1.0, 0)
    # Same results as the float-input int8 file on the same pixels.
    image = exports["images"][0]
    u8 = np.argmax(_logits(path, image), -1)
    f32 = np.argmax(_logits(exports["files"]["int8"]["path"], image), -1)
    assert np.mean(u8 == f32) >= 0.99


def test_output_stride_file_gives_full_size_masks(exports):
    path = exports["dir"] / "float32_stride8.tflite"
    convert_model(exports["model"], path, labels=exports["class_names"], output_stride=8)
    report = run_mediapipe(path, exports["dir"] / "images.npy", exports["dir"] / "s8.npz")
    assert report["shapes"][0]["category"] == [SIZE, SIZE]
    assert _run(path, np.zeros((1, SIZE, SIZE, 3))).shape[1:3] == (SIZE // 8, SIZE // 8)
    full = exports["files"]["float32"]["masks"]["category_0"]
    low = np.load(exports["dir"] / "s8.npz")["category_0"]
    # Bilinear upsampling inside the model and MediaPipe's mask resize differ
    # only near class borders.
    # A tiny untrained model has many borders: 0.76 measured; a wrong stride export
    # (shifted or transposed masks) agrees on about 1/num_classes of the pixels.
    assert np.mean(full == low) >= 0.6


def test_heatmap_metadata_is_readable_by_mediapipes_schema_and_litert(tmp_path):
    from keras_psa.models import build_heatmap_model

    model = build_heatmap_model("mobilenet_v3_small", 3, input_shape=(SIZE, SIZE, 3),
                                alpha=0.35, head_filters=16, attention=None)
    path = tmp_path / "heatmaps.tflite"
    convert_model(model, path, keypoint_names=["nose", "left_eye", "right_eye"])
    meta = read_metadata(path)
    assert meta.output_name == "heatmaps" and meta.labels == ["nose", "left_eye", "right_eye"]
    report = run_mediapipe(path, metadata_only=True)["metadata"]
    assert report["output_name"] == "heatmaps"
    assert report["packed_files"] == {"keypoints.txt": "nose\nleft_eye\nright_eye"}
    assert report["mean"] == [0.0] and report["std"] == [1.0]
    heatmaps = _run(path, np.zeros((1, SIZE, SIZE, 3)))
    assert heatmaps.shape == (1, SIZE // 4, SIZE // 4, 3)  # stride 4, the FPN head's
    # The description tells an app how a heatmap cell maps to input pixels.
    assert "(UDP)" in meta.description
