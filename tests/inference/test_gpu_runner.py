"""GpuRunner: a .tflite file kept compiled on LiteRT's GPU accelerator (SwiftShader in CI),
as predict and evaluate run it with `--accelerator gpu`."""

import numpy as np
import pytest

from keras_psa.cli import predict
from keras_psa.inference import Predictor
from keras_psa.inference.gpu_runner import GpuRunner
from keras_psa.inference.gpu_runner import GpuRunnerError
from tests.inference.model_files import SEGMENTATION_SIZE
from tests.inference.model_files import segmentation_files  # noqa: F401

pytestmark = pytest.mark.flavor_independent


def _digit_images(count=3):
    from keras_psa.data import validation_examples

    return validation_examples("digits", SEGMENTATION_SIZE[0], count=count, seed=3)[0]


def test_masks_on_the_gpu_are_the_cpus(segmentation_files):  # noqa: F811
    cpu = Predictor(segmentation_files["float32"])
    gpu = Predictor(segmentation_files["float32"], accelerator="gpu")
    try:
        assert gpu.runner.gpu.fully_accelerated, gpu.runner.runtime
        assert gpu.runner.runtime.startswith("LiteRT GPU accelerator")
        for image in _digit_images():
            image = np.clip(image, 0, 255).astype(np.uint8)
            expected, received = cpu.predict(image).mask, gpu.predict(image).mask
            assert received.shape == expected.shape == SEGMENTATION_SIZE
            assert np.mean(received == expected) >= 0.99
    finally:
        gpu.runner.gpu.close()
    with pytest.raises(GpuRunnerError, match="closed"):
        gpu.runner.gpu.run(np.zeros((1, *SEGMENTATION_SIZE, 3), np.float32))


@pytest.mark.parametrize("key", ["float32", "int8"])
def test_the_runner_gives_the_gpu_checks_outputs(segmentation_files, key, tmp_path):  # noqa: F811
    # The same CompiledModel as the gpu_run check's worker: the same outputs, bit for bit,
    # however many images the kept model has run before.
    from keras_psa.export import run_gpu_accelerator

    path = segmentation_files[key]
    images = np.clip(_digit_images(2), 0, 255).astype(np.float32)
    result = run_gpu_accelerator(path, images=images[1:], outputs_path=tmp_path / "gpu.npz")
    assert result.status == "passed", result.summary()
    expected = [value for name, value in np.load(tmp_path / "gpu.npz").items()
                if name.startswith("gpu/")]
    runner = GpuRunner(path, enforce_f32=True)
    try:
        runner.run(images[:1])
        received = runner.run(images[1:])
    finally:
        runner.close()
    assert len(received) == len(expected) == 1
    np.testing.assert_array_equal(received[0], expected[0])


def test_a_keras_file_is_refused_for_the_gpu(segmentation_files):  # noqa: F811
    with pytest.raises(ValueError, match="`accelerator` 'gpu' runs .tflite files"):
        Predictor(segmentation_files["keras"], accelerator="gpu")
    with pytest.raises(ValueError, match="`accelerator` must be one of"):
        Predictor(segmentation_files["float32"], accelerator="npu")


def test_without_a_vulkan_device_the_runner_says_what_to_install(segmentation_files,  # noqa: F811
                                                                 tmp_path, monkeypatch):
    icd = tmp_path / "missing_icd.json"
    icd.write_text('{"file_format_version": "1.0.0", "ICD": {"library_path": '
                   '"/nonexistent/libvk.so", "api_version": "1.1.0"}}')
    monkeypatch.setenv("VK_ICD_FILENAMES", str(icd))
    with pytest.raises(GpuRunnerError, match="Vulkan device"):
        GpuRunner(segmentation_files["float32"])


def test_predict_on_the_gpu_writes_the_cpus_masks(segmentation_files, tmp_path,  # noqa: F811
                                                  capsys):
    from PIL import Image

    image = np.clip(_digit_images(1)[0], 0, 255).astype(np.uint8)
    Image.fromarray(image).save(tmp_path / "digits.png")
    for accelerator in ("cpu", "gpu"):
        code = predict.main([segmentation_files["float32"], str(tmp_path / "digits.png"),
                             "--output-dir", str(tmp_path / accelerator), "--accelerator",
                             accelerator, "--no-progress"])
        assert code == 0
    assert "on LiteRT GPU accelerator" in capsys.readouterr().out
    masks = [np.asarray(Image.open(tmp_path / accelerator / "digits_mask.png"))
             for accelerator in ("cpu", "gpu")]
    assert masks[0].shape == SEGMENTATION_SIZE
    assert np.mean(masks[0] == masks[1]) >= 0.99
