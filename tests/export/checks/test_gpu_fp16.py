import numpy as np
import pytest

from keras_psa.cli import check as check_cli
from keras_psa.export import check_gpu_fp16
from keras_psa.export import convert_model
from keras_psa.export import write_heatmap_metadata
from keras_psa.export.checks import gpu_fp16
from tests.export.tiny_models import conv_net
from tests.export.tiny_models import fp16_flip_net
from tests.export.tiny_models import hot_psa_net
from tests.export.tiny_models import layer_norm_net
from tests.export.tiny_models import near_tie_net
from tests.export.tiny_models import spatial_sum_net

pytestmark = pytest.mark.flavor_independent

PIXELS = (0.0, 255.0)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    out = tmp_path_factory.mktemp("gpu_fp16")
    paths = {name: str(out / f"{name}.tflite")
             for name in ("plain", "int8", "all_int8", "overflow", "centred", "layer_norm",
                          "hot_psa", "heatmaps", "near_tie", "flip")}
    convert_model(conv_net(size=16), paths["plain"], input_size=(16, 16))
    # PSA's float islands (SOFTMAX, RSQRT) run in XNNPACK's fp16; a conv net's ops are
    # all int8, which XNNPACK forced to fp16 does not take.
    convert_model(hot_psa_net(size=32), paths["int8"], "int8", num_calibration_samples=4,
                  pixel_range=PIXELS)
    convert_model(conv_net(size=16), paths["all_int8"], "int8", input_size=(16, 16),
                  num_calibration_samples=4, pixel_range=(0.0, 1.0))
    convert_model(spatial_sum_net(), paths["overflow"])
    convert_model(spatial_sum_net(bias=-382.5), paths["centred"])
    convert_model(layer_norm_net(), paths["layer_norm"])
    convert_model(hot_psa_net(), paths["hot_psa"])
    convert_model(near_tie_net(), paths["near_tie"], "int8", num_calibration_samples=8,
                  pixel_range=PIXELS)
    convert_model(fp16_flip_net(), paths["flip"])
    with open(paths["plain"], "rb") as file:
        heatmaps = write_heatmap_metadata(file.read(), keypoint_names=["a", "b", "c", "d"])
    with open(paths["heatmaps"], "wb") as file:
        file.write(heatmaps)
    return paths


def test_a_model_within_fp16_passes_both_parts(files):
    result = check_gpu_fp16(files["plain"], pixel_range=(0.0, 1.0))
    assert result.status == "passed", result.summary()
    emulation = result.details["emulation"]
    assert emulation["finite"]
    assert min(emulation["label_agreement"].values()) >= 0.99
    # fp16 rounding is seen, and it is small.
    assert 0 < max(emulation["relative_error"].values()) < 1e-2
    assert emulation["xnnpack_fp32_ops"] == []
    assert result.details["audit"]["largest_tensor"]["value"] < gpu_fp16.TENSOR_LIMIT


def test_an_int8_file_is_judged_by_its_labels_on_real_images_only(files):
    result = check_gpu_fp16(files["int8"], pixel_range=PIXELS)
    emulation = result.details["emulation"]
    assert set(emulation["share_within_int8_steps"]) == set(emulation["relative_error"])
    assert min(emulation["share_within_int8_steps"].values()) >= 0.99  # a diagnostic
    # Random images cannot judge an int8 file's labels: neither a pass nor a fail.
    assert result.status == "not judged", result.summary()
    assert "not judged on real images" in result.message
    images = np.random.default_rng(3).uniform(0.0, 255.0, (2, 32, 32, 3)).astype("float32")
    judged = check_gpu_fp16(files["int8"], images=images, pixel_range=PIXELS)
    labels = min(judged.details["emulation"]["label_agreement"].values())
    assert judged.status == ("passed" if labels >= 0.99 else "failed"), judged.summary()


def test_an_all_int8_file_is_not_passed_on_kernels_that_compute_no_fp16(files):
    # XNNPACK forced to fp16 leaves int8 ops to TFLite's builtin kernels: on an all-int8
    # file it computes nothing in fp16, and the emulation says so instead of passing.
    images = np.random.default_rng(3).uniform(0.0, 1.0, (2, 16, 16, 3)).astype("float32")
    result = check_gpu_fp16(files["all_int8"], images=images, pixel_range=(0.0, 1.0))
    assert result.status == "unavailable", result.summary()
    assert "every op of this file is int8" in result.message
    assert result.details["emulation"]["fp16_ops"] == {}
    assert "label_agreement" not in result.details["emulation"]
    assert result.details["audit"]["findings"] == dict.fromkeys(
        ("tensor", "reduction", "epsilon", "variance", "square"), 0)


def test_an_int8_file_with_float_islands_is_compared_with_the_kernels_of_its_int8_ops(files):
    images = np.random.default_rng(3).uniform(0.0, 255.0, (2, 32, 32, 3)).astype("float32")
    result = check_gpu_fp16(files["int8"], images=images, pixel_range=PIXELS)
    emulation = result.details["emulation"]
    assert "SOFTMAX" in emulation["fp16_ops"]
    assert emulation["reference"] == "TFLite's builtin kernels (fp32)"
    # Against its true fp32 counterpart the fp16 run moves few int8 steps.
    assert min(emulation["share_within_int8_steps"].values()) >= 0.99, result.summary()


def test_a_near_tie_file_is_held_to_its_own_fp32_floor(files):
    # Labels that two fp32 backends on the same file and images do not agree on
    # either: fp16 is asked for 99% or that floor, whichever is lower, and the floor
    # is shown.
    images = np.random.default_rng(0).uniform(*PIXELS, (4, 32, 32, 3)).astype("float32")
    result = check_gpu_fp16(files["near_tie"], images=images, pixel_range=PIXELS)
    emulation = result.details["emulation"]
    (agreement,) = emulation["label_agreement"].values()
    (floor,) = emulation["fp32_floor"]["label_agreement"].values()
    assert floor < 0.99, emulation
    assert f"floor, fp32 XNNPACK vs builtin kernels: {floor:.2%}" in result.message
    assert f">= {floor:.2%}" in result.message, result.message
    assert result.status == ("passed" if agreement >= floor else "failed"), result.summary()


def test_labels_fp16_loses_where_fp32_backends_agree_fail(files):
    images = np.random.default_rng(0).uniform(*PIXELS, (2, 32, 32, 3)).astype("float32")
    result = check_gpu_fp16(files["flip"], images=images, pixel_range=PIXELS)
    emulation = result.details["emulation"]
    (agreement,) = emulation["label_agreement"].values()
    (floor,) = emulation["fp32_floor"]["label_agreement"].values()
    # No range issue: the label rule alone fails it, against a floor of 100%.
    assert result.issues == [] and floor == 1.0 and agreement < 0.95, emulation
    assert result.status == "failed" and "not >= 99%" in result.message, result.summary()


def test_a_sum_over_space_past_65504_fails_naming_the_op(files):
    result = check_gpu_fp16(files["overflow"], pixel_range=PIXELS)
    assert result.status == "failed"
    sums = [issue for issue in result.issues if issue.op_name == "SUM"]
    assert sums and any("H·W" in issue.reason and "65504" in issue.reason for issue in sums)
    assert all(isinstance(issue.op_index, int) for issue in result.issues)
    assert "fix:" in sums[0].reason
    # XNNPACK sums in fp32: only the audit can see it.
    assert result.details["emulation"]["status"] == "passed"


def test_the_audit_reads_inputs_of_twice_the_contrast_within_the_pixel_range(files):
    # Pixels within 30 of mid-grey: the SUM of |3 (pixel - 127.5)| over 32x32 stays near
    # 46k; at twice the contrast (clipped to 0..255, what a camera can give) it is 92k.
    grey = np.full((1, 32, 32, 3), 127.5, np.float32) + np.linspace(
        -30, 30, 32, dtype=np.float32)[None, :, None, None]
    result = check_gpu_fp16(files["centred"], images=grey, pixel_range=PIXELS)
    assert result.status == "failed"
    reasons = [issue.reason for issue in result.issues if issue.op_name == "SUM"]
    assert reasons and all("on the scaled-up inputs" in reason for reason in reasons)
    assert result.details["audit"]["input_sets"] == {"inputs": 1, "scaled-up inputs": 1}


def test_a_layer_norm_epsilon_below_fp16_normals_is_named(files):
    result = check_gpu_fp16(files["layer_norm"], pixel_range=PIXELS)
    assert result.status == "failed"
    epsilons = [issue for issue in result.issues if "subnormal in fp16" in issue.reason]
    assert epsilons and epsilons[0].op_name in ("ADD", "MAXIMUM")
    assert "1e-05" in epsilons[0].reason


def test_psa_fed_activations_of_a_few_hundred_survives_fp16(files):
    # Before PSA's LayerNorm ran on x / max|x| (and its global mean as a sum of
    # x / (H*W)), this model lost a quarter of its labels in fp16 and the audit named a
    # subnormal epsilon and a MEAN over H·W past 65504.
    result = check_gpu_fp16(files["hot_psa"], pixel_range=PIXELS)
    assert result.status == "passed", result.summary()
    assert min(result.details["emulation"]["label_agreement"].values()) >= 0.99
    assert result.details["audit"]["largest_tensor"]["value"] > 200  # it is hot


def test_heatmaps_are_judged_by_the_peak_shift_in_input_pixels(files):
    result = check_gpu_fp16(files["heatmaps"], pixel_range=(0.0, 1.0))
    emulation = result.details["emulation"]
    assert "keypoint_shift_px" in emulation and "label_agreement" not in emulation
    assert max(emulation["keypoint_shift_px"].values()) <= 1.0
    assert "mean keypoint shift from the reference" in result.message


def test_a_cpu_without_fp16_makes_the_emulation_unavailable(files, monkeypatch):
    monkeypatch.setattr(gpu_fp16, "_cpu_has_fp16", lambda: False)
    result = check_gpu_fp16(files["plain"], pixel_range=(0.0, 1.0))
    assert result.status == "unavailable"
    assert "could not run here" in result.message
    # The audit still runs and still fails a model fp16 cannot hold.
    assert check_gpu_fp16(files["overflow"], pixel_range=PIXELS).status == "failed"


def test_the_cli_exits_1_naming_the_op_and_3_when_it_cannot_emulate(files, capsys,
                                                                      monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    assert check_cli.main([files["overflow"], "--gpu-fp16", "--pixel-range", "0", "255",
                           "--num-inputs", "1"]) == 1
    assert "SUM" in capsys.readouterr().out
    monkeypatch.setattr(gpu_fp16, "_cpu_has_fp16", lambda: False)
    assert check_cli.main([files["plain"], "--gpu-fp16", "--pixel-range", "0", "1"]) == 3


def test_the_cli_needs_the_pixel_range_of_a_file_without_metadata(files, capsys):
    assert check_cli.main([files["plain"], "--gpu-fp16"]) == 2
    assert "--pixel-range" in capsys.readouterr().err


def test_images_of_the_wrong_shape_are_refused(files):
    with pytest.raises(ValueError, match="Received: images of shape"):
        check_gpu_fp16(files["plain"], images=np.zeros((1, 8, 8, 3)), pixel_range=(0.0, 1.0))
