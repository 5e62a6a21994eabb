"""LiteRT ahead-of-time NPU compilation with the real vendor plugins of ai-edge-litert.

The Intel OpenVINO plugin (ai-edge-litert-sdk-intel, installed by the `dev`
extra) compiles here for OpenVINO's CPU device and its dispatch library runs
the result through CompiledModel; the phone vendors' plugins fail to load
without their SDKs, which cannot be installed offline.
"""

import importlib
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from keras_psa.export import TFLiteGraph
from keras_psa.export import compile_for_npu
from keras_psa.export import convert_model
from keras_psa.export.npu import parse_targets
from keras_psa.export.npu.npu_target import available_vendors
from keras_psa.export.npu.npu_target import soc_models
from tests.export.npu.seven_bit_weights import seven_bit_weights
from tests.export.tiny_models import conv_net
from tests.installed_tools import tool
from tests.training.script_runner import ROOT

pytestmark = pytest.mark.flavor_independent

CLI = tool("keras-psa-compile-npu")
COVERAGE = os.path.join(ROOT, "scripts", "npu_coverage.py")
INTEL = "intel_openvino:LNL"
# (target, SDK package, module the package installs)
PHONE_VENDORS = [
    ("qualcomm:SM8650", "ai-edge-litert-sdk-qualcomm", "ai_edge_litert_sdk_qualcomm"),
    ("mediatek:MT6989", "ai-edge-litert-sdk-mediatek", "ai_edge_litert_sdk_mediatek"),
    ("google_tensor:Tensor_G4", "ai-edge-litert-sdk-google-tensor",
     "ai_edge_litert_sdk_google_tensor"),
]


def run_cli(*args):
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run([CLI, *map(str, args)], capture_output=True,
                          text=True, timeout=600, check=False, env=env)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """An all-int8 conv net (every op an NPU takes) and a float net whose sort
    (NEG around TOPK_V2) the Intel plugin only partly takes."""
    out = tmp_path_factory.mktemp("npu")
    tf.keras.utils.set_random_seed(0)
    # The weights the measured figures came from: global seed 0.
    convert_model(conv_net(16, seed=None), out / "conv_int8.tflite", quantization="int8",
                  input_size=(16, 16), float_ops=(), float_scopes=(), xnnpack_fallback=False,
                  int8_io=True, num_calibration_samples=8, pixel_range=(0.0, 1.0))
    # The same net with other weights: the CPU reference of a file whose NPU labels are wrong.
    convert_model(conv_net(16, seed=7), out / "other_int8.tflite", quantization="int8",
                  input_size=(16, 16), float_ops=(), float_scopes=(), xnnpack_fallback=False,
                  int8_io=True, num_calibration_samples=8, pixel_range=(0.0, 1.0))
    # A heatmap model as the package ships it: float I/O around int8, heatmap metadata.
    convert_model(conv_net(16, seed=5), out / "heatmaps_int8.tflite", quantization="int8",
                  input_size=(16, 16), float_ops=(), float_scopes=(), xnnpack_fallback=False,
                  num_calibration_samples=8, pixel_range=(0.0, 1.0), metadata="heatmap",
                  keypoint_names="nose,eye,ear,hip")
    # 7-bit weights: OpenVINO's CPU device, the stand-in, runs them exactly on every x86
    # CPU, with VNNI or without (openvino_cpu_int8). The 8-bit original stays beside them.
    shutil.copy(out / "conv_int8.tflite", out / "conv_int8_8bit.tflite")
    for name in ("conv_int8", "other_int8", "heatmaps_int8"):
        assert seven_bit_weights(out / f"{name}.tflite") > 0
    kernel = tf.constant(np.random.default_rng(0).normal(size=(1, 1, 3, 4)), tf.float32)

    @tf.function(input_signature=[tf.TensorSpec((1, 8, 8, 3), tf.float32)])
    def conv_sort(x):
        return tf.sort(tf.reshape(tf.nn.conv2d(x, kernel, 1, "SAME"), (1, -1)))

    module = tf.Module()
    module.conv_sort = conv_sort
    converter = tf.lite.TFLiteConverter.from_concrete_functions(
        [conv_sort.get_concrete_function()], module)
    (out / "sort.tflite").write_bytes(converter.convert())
    return out


def test_targets_parse_all_and_name_the_valid_choices():
    assert {"qualcomm", "mediatek", "google_tensor", "intel_openvino", "samsung"} <= set(
        available_vendors())
    qualcomm = parse_targets("qualcomm:all")
    assert [t.soc for t in qualcomm] == soc_models("qualcomm") and "SM8650" in soc_models(
        "qualcomm")
    assert parse_targets(["intel_openvino:lnl", "intel_openvino:LNL"])[0].spec == INTEL
    with pytest.raises(ValueError, match="Valid vendors: .*intel_openvino.*qualcomm"):
        parse_targets("nvidia:H200")
    with pytest.raises(ValueError, match="Valid SoCs: SA8255, .*SM8650"):
        parse_targets("qualcomm:SM0000")
    with pytest.raises(ValueError, match="VENDOR:SOC"):
        parse_targets("qualcomm")


def test_intel_target_offloads_every_op_and_is_judged_against_the_cpu_interpreter(
        models, tmp_path):
    source = TFLiteGraph.from_file(models / "conv_int8.tflite")
    # Random images in the range the toy model was calibrated on stand in for real ones.
    images = np.random.default_rng(2).uniform(0.0, 1.0, (2, 16, 16, 3)).astype("float32")
    report = compile_for_npu(models / "conv_int8.tflite", [INTEL], output_dir=tmp_path,
                             intel_openvino_device="cpu", images=images)
    (result,) = report.results
    assert result.status in ("passed", "failed"), result.summary()
    assert result.ops_offloaded == result.ops_total == len(source.ops)
    assert result.partitions == 1 and result.ops_on_cpu == []
    compiled = tmp_path / "conv_int8_IntelOpenVINO_LNL.tflite"
    assert result.compiled_path == str(compiled)
    assert [op.name for op in TFLiteGraph.from_file(compiled).ops] == ["DISPATCH_OP"]
    assert result.compiled_size_bytes == compiled.stat().st_size
    run = result.run.details
    assert run["fully_accelerated"]
    (agreement,) = run["label_agreement"].values()
    assert list(run["labels_in_use"].values())[0] > 1, run
    # An untrained net's near-tied logits: OpenVINO's int8 arithmetic may move a few
    # labels (99.02% on these images with VNNI, XNNPACK 99.61%); the label rule decides
    # (99%, or the floor of XNNPACK vs the same CPU where that is lower), nothing else.
    (floor,) = run["xnnpack_vs_cpu"].values()
    bound = min(0.99, floor["figures"]["label_agreement"])
    assert (result.status == "passed") == (agreement >= bound), result.summary()
    (shares,) = run["share_within_int8_steps"].values()
    assert shares[1] <= shares[2] <= shares[3] and shares[3] >= 0.99, run
    # The steps are shown beside their floor, as a diagnostic.
    assert f"within 1 int8 step(s) (floor {floor['shares'][1]:.2%}; diagnostic)" in \
        result.run.message, result.run.message
    assert report.to_dict()["targets"][0]["ops_offloaded"] == len(source.ops)
    # Without images the int8 file's labels are not judged: neither a pass nor a fail.
    random = compile_for_npu(models / "conv_int8.tflite", [INTEL], intel_openvino_device="cpu")
    assert random.status == "not judged" and random.results[0].run.status == "not judged"
    assert "not judged on real images" in random.results[0].message


def test_saturation_rule_is_chosen_by_the_host_cpu_and_the_weights(models):
    from keras_psa.export.npu.openvino_cpu_int8 import int8_sums_saturate
    from keras_psa.export.npu.openvino_cpu_int8 import weights_beyond_seven_bits

    vnni, plain = frozenset({"avx2", "avx512f", "avx512_vnni"}), frozenset({"avx2", "avx512f"})
    assert not int8_sums_saturate(flags=vnni, environ={}, machine="x86_64")
    assert not int8_sums_saturate(flags=frozenset({"avx2", "avx_vnni"}), environ={},
                                  machine="x86_64")
    assert int8_sums_saturate(flags=plain, environ={}, machine="x86_64")
    # oneDNN's ISA cap lowers what the CPU has, never raises it.
    assert int8_sums_saturate(flags=vnni, environ={"ONEDNN_MAX_CPU_ISA": "avx2"},
                              machine="x86_64")
    assert not int8_sums_saturate(flags=vnni, environ={"ONEDNN_MAX_CPU_ISA": "AVX2_VNNI"},
                                  machine="x86_64")
    assert not int8_sums_saturate(flags=plain, environ={}, machine="aarch64")
    assert weights_beyond_seven_bits(models / "conv_int8_8bit.tflite")
    assert not weights_beyond_seven_bits(models / "conv_int8.tflite")


def test_without_vnni_a_failing_stand_in_run_is_not_judged_unless_weights_are_7_bit(
        models, tmp_path, monkeypatch):
    """OpenVINO's CPU device limited to AVX2 (as on a CPU without VNNI): the 8-bit file's
    int8 sums saturate, the 7-bit file's do not."""
    from keras_psa.export.npu.openvino_cpu_int8 import SATURATION_TEXT

    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX2")
    images = np.random.default_rng(2).uniform(0.0, 1.0, (2, 16, 16, 3)).astype("float32")
    runs = {}
    for name in ("conv_int8_8bit", "conv_int8"):
        report = compile_for_npu(models / f"{name}.tflite", [INTEL], output_dir=tmp_path / name,
                                 intel_openvino_device="cpu", images=images)
        runs[name] = report.results[0].run
    saturated, exact = runs["conv_int8_8bit"], runs["conv_int8"]
    assert saturated.details["openvino_device"] == exact.details["openvino_device"] == "CPU"
    assert saturated.details["openvino_cpu_int8_saturates"] is True
    assert exact.details["openvino_cpu_int8_saturates"] is False
    # Saturated sums land outputs many steps away; 7-bit weights none.
    (saturated_shares,) = saturated.details["share_within_int8_steps"].values()
    (exact_shares,) = exact.details["share_within_int8_steps"].values()
    assert saturated_shares[3] < 0.95 and exact_shares[1] >= 0.99, (saturated_shares,
                                                                    exact_shares)
    # The labels it moved would fail the file: not judged, saying why.
    (agreement,) = saturated.details["label_agreement"].values()
    (floor,) = saturated.details["xnnpack_vs_cpu"].values()
    assert agreement < min(0.99, floor["figures"]["label_agreement"]), saturated.details
    assert saturated.status == "not judged" and SATURATION_TEXT in saturated.message
    assert exact.status == "passed", exact.message


def test_a_compiled_file_whose_labels_go_wrong_on_the_npu_fails(models, tmp_path):
    from keras_psa.export.npu.compiled_model_run import image_inputs
    from keras_psa.export.npu.compiled_model_run import run_compiled_model

    report = compile_for_npu(models / "conv_int8.tflite", [INTEL], output_dir=tmp_path,
                             intel_openvino_device="cpu")
    compiled = report.results[0].compiled_path
    # The compiled file against another net's CPU run: labels wrong on the "NPU", while
    # the reference's two CPU backends agree.
    images = np.random.default_rng(2).uniform(0.0, 1.0, (2, 16, 16, 3)).astype("float32")
    source = models / "other_int8.tflite"
    run = run_compiled_model(source, compiled, inputs=image_inputs(source, images),
                             real_inputs=True)
    (agreement,) = run.details["label_agreement"].values()
    (floor,) = run.details["xnnpack_vs_cpu"].values()
    assert floor["figures"]["label_agreement"] >= 0.99 and agreement < 0.9, run.details
    assert run.status == "failed", run.message
    assert "pixels with the reference's label" in run.message and "not >= 99%" in run.message


def test_a_heatmap_model_is_compared_by_its_peaks_on_the_given_images(models, tmp_path):
    model = models / "heatmaps_int8.tflite"
    images = np.random.default_rng(1).uniform(0.0, 1.0, (3, 16, 16, 3)).astype("float32")
    report = compile_for_npu(model, [INTEL], output_dir=tmp_path, intel_openvino_device="cpu",
                             images=images)
    (result,) = report.results
    run = result.run.details
    assert run["output_kind"] == "heatmaps" and run["num_inputs"] == 3, run
    # A heatmap's per-pixel argmax over keypoints is no label; its peak is the keypoint.
    assert "label_agreement" not in run and run["labels_in_use"] == {}
    (agreement,) = run["peak_agreement"].values()
    (shift,) = run["peak_shift_cells"].values()
    (shift_px,) = run["keypoint_shift_px"].values()
    assert 0.0 <= agreement <= 1.0 and (shift == 0.0) == (agreement == 1.0), run
    # The model's output is at the input's resolution: a cell is a pixel. The keypoint
    # shift is between decoded keypoints: each peak cell refined by at most half a cell
    # per axis, so it is within sqrt(2) px of the shift of the peak cells.
    assert shift_px >= 0.0 and abs(shift_px - shift) <= np.sqrt(2.0) + 1e-6, run
    assert "mean keypoint shift from the reference" in result.run.message
    assert (result.run.status == "passed") == (shift_px <= 1.0), result.run.message
    # Beside it, the floor: XNNPACK against the same CPU kernels on the same images.
    (floor,) = run["xnnpack_vs_cpu"].values()
    assert floor["figures"]["keypoint_shift_px"] >= 0.0 and set(floor["shares"]) == {1, 2, 3}
    markdown = report.to_markdown()
    (row,) = [line for line in markdown.splitlines() if line.startswith("| ") and " px |" in line]
    assert "| XNNPACK vs CPU (the floor) |" in markdown
    assert row.endswith(f"| {floor['figures']['keypoint_shift_px']:.3g} px |"), row
    with pytest.raises(ValueError, match=r"`images` must be .*\(N, 16, 16, 3\).*"
                                         r"Received: images of shape \(2, 8, 8, 3\)"):
        compile_for_npu(model, [INTEL], intel_openvino_device="cpu",
                        images=np.zeros((2, 8, 8, 3), "float32"))
    # The CLI: real images of a named dataset, in the range the file's metadata gives.
    out = tmp_path / "cli"
    result = run_cli(model, "--target", INTEL, "--intel-openvino-device", "cpu",
                     "--images", "digits", "--num-inputs", "2", "--output-dir", out)
    assert result.returncode in (0, 1), result.stderr[-2000:]
    (target,) = json.loads((out / "heatmaps_int8.npu_report.json").read_text())["targets"]
    assert target["run"]["details"]["num_inputs"] == 2
    assert set(target["run"]["details"]["peak_agreement"]) == set(run["peak_agreement"])


def test_ops_left_on_the_cpu_are_named_and_fail_with_exit_code_1(models, tmp_path):
    source_ops = {op.name for op in TFLiteGraph.from_file(models / "sort.tflite").ops}
    result = run_cli(models / "sort.tflite", "--target", INTEL, "--intel-openvino-device", "cpu",
                     "--output-dir", tmp_path, "--json")
    assert result.returncode == 1, result.stderr[-3000:]
    (target,) = json.loads(result.stdout)["targets"]
    assert target["status"] == "failed" and target["ops_on_cpu"], target
    left = {op["name"] for op in target["ops_on_cpu"]}
    assert left <= source_ops and "DISPATCH_OP" not in left
    assert len(target["ops_on_cpu"]) == target["ops_total"] - target["ops_offloaded"]
    assert all(name in target["message"] for name in left)
    # Partly offloaded, it still runs: the rest on LiteRT's CPU.
    assert target["run"]["status"] == "passed", target["run"]
    report = json.loads((tmp_path / "sort.npu_report.json").read_text())
    assert report["status"] == "failed"
    assert "| intel_openvino:LNL | failed |" in (tmp_path / "sort.npu_report.md").read_text()


@pytest.mark.parametrize("target, package, module", PHONE_VENDORS)
def test_phone_vendor_without_its_sdk_is_unavailable_and_says_how_to_get_it(
        models, tmp_path, target, package, module):
    try:
        sdk = importlib.import_module(module)
    except ImportError:
        sdk = None
    if sdk is not None and sdk.get_sdk_path() is not None:
        pytest.skip(f"{package} is installed with its SDK: the compiler runs")
    (result,) = compile_for_npu(models / "conv_int8.tflite", [target],
                                output_dir=tmp_path).results
    assert result.status == "unavailable", result.summary()
    missing = result.details["missing"]
    assert missing.endswith(".so") and missing in result.message
    assert package in result.message and "pip install" in result.message
    assert os.listdir(tmp_path) == []


def test_cli_exit_code_3_for_a_target_that_cannot_compile_here(models, tmp_path):
    result = run_cli(models / "conv_int8.tflite", "--target", INTEL, "--target",
                     "qualcomm:SM8650", "--intel-openvino-device", "cpu", "--output-dir", tmp_path)
    assert result.returncode == 3, result.stdout + result.stderr[-3000:]
    # Random images (no --images): the int8 file's labels are not judged.
    assert "[NOT JUDGED] intel_openvino:LNL" in result.stdout
    assert "[UNAVAILABLE] qualcomm:SM8650" in result.stdout
    assert "ai-edge-litert-sdk-qualcomm" in result.stdout
    assert sorted(os.listdir(tmp_path)) == ["conv_int8.npu_report.json", "conv_int8.npu_report.md",
                                            "conv_int8_IntelOpenVINO_LNL.tflite"]


@pytest.mark.parametrize("case", ["unknown_vendor", "unknown_soc", "missing_file", "corrupt",
                                  "pixel_range", "images"])
def test_cli_bad_input_exits_2_with_a_clear_error_and_writes_nothing(models, tmp_path, case,
                                                                     capsys):
    model, target, extra = models / "conv_int8.tflite", INTEL, []
    expected = {"unknown_vendor": "Valid vendors", "unknown_soc": "Valid SoCs: LNL, PTL",
                "missing_file": "must be an existing .tflite file",
                "corrupt": "not a TFLite model",
                "pixel_range": "--pixel-range must be LOW HIGH with LOW < HIGH",
                "images": "names no dataset"}[case]
    if case == "pixel_range":
        extra = ["--pixel-range", "1", "0"]
    elif case == "images":
        extra = ["--images", "no_such_dataset"]
    elif case == "unknown_vendor":
        target = "nvidia:H200"
    elif case == "unknown_soc":
        target = "intel_openvino:MTL"
    elif case == "missing_file":
        model = tmp_path / "absent.tflite"
    elif case == "corrupt":
        model = tmp_path / "corrupt.tflite"
        model.write_bytes(b"\x00" * 64)
    out = tmp_path / "out"
    # In process: the CLI's own main(), without a TensorFlow start-up per case.
    from keras_psa.cli import compile_npu as cli

    try:
        code = cli.main([str(model), "--target", target, "--output-dir", str(out), *extra])
    except SystemExit as exit_:  # argparse's own errors
        code = exit_.code
    assert code == 2
    assert expected in capsys.readouterr().err
    assert not out.exists()


CI_MODELS = ("mobilenet_v2:psa_p", "mobilenet_v3_small:psa_s", "mobilenet_v3_large:psa_p")


@pytest.mark.slow
@pytest.mark.cost(237)
def test_qat_int8_segmenters_compile_fully_for_intel_and_run_like_the_cpu(tmp_path):
    """Each backbone and each PSA variant, all-int8 from tfmot QAT (built in a
    tf_keras child). The six combinations: `scripts/npu_coverage.py`, in
    docs/npu_compilation.md; three keep CI within its time."""
    from keras_psa.export import run_tflite
    from keras_psa.export.npu.compiled_model_run import random_inputs

    env = dict(os.environ, PYTHONPATH=ROOT, TF_USE_LEGACY_KERAS="1")
    child = subprocess.run([sys.executable, COVERAGE, "--output-dir", tmp_path, "--target", INTEL,
                            "--qat-steps", "0", "--json", "--models", *CI_MODELS],
                           capture_output=True, text=True, timeout=1800, check=False, env=env)
    assert child.returncode == 0, child.stderr[-3000:]
    reports = json.loads(child.stdout.strip().splitlines()[-1])
    assert sorted(reports) == sorted(CI_MODELS)
    for spec, report in reports.items():
        (target,) = report["targets"]
        assert target["ops_on_cpu"] == [] and target["ops_offloaded"] == target["ops_total"], (
            spec, target["message"])
        run = target["run"]["details"]
        (agreement,) = run["label_agreement"].values()
        assert run["fully_accelerated"] and list(run["labels_in_use"].values())[0] > 1, spec
        (shares,) = run["share_within_int8_steps"].values()
        assert set(shares) == {"1", "2", "3"}, spec
        # Untrained logits are near ties: int8 rounding differences alone flip
        # labels. The bar is XNNPACK's own agreement with the builtin kernels.
        inputs = random_inputs(report["model"])
        xnnpack, reference = [np.concatenate([
            run_tflite(report["model"], [values[i] for values in inputs.values()],
                       xnnpack=x)[0] for i in range(2)]) for x in (True, False)]
        baseline = float(np.mean(np.argmax(xnnpack, -1) == np.argmax(reference, -1)))
        if run["openvino_cpu_int8_saturates"]:
            # A CPU without VNNI: the stand-in's int8 sums saturate on 8-bit weights
            # (0.69 agreement on mobilenet_v2:psa_p); the 7-bit toy net's test shows
            # the arithmetic exact there otherwise. The run says so.
            assert "saturating 16 bits" in target["run"]["message"], target["run"]
        else:
            assert agreement >= min(0.99, baseline - 0.02), (spec, agreement, baseline)
        # The run reports that floor itself, measured on its own inputs.
        (floor,) = run["xnnpack_vs_cpu"].values()
        assert floor["figures"]["label_agreement"] == pytest.approx(baseline, abs=1e-9), (
            spec, floor)
        # Random inputs: the all-int8 file's labels are shown, not judged, and never
        # pass; its int8 steps (30.5% within one step beside a floor of 33.7% seen on
        # OpenVINO) are a diagnostic.
        run_status, message = target["run"]["status"], target["run"]["message"]
        assert run_status == "not judged" and "not judged on real images" in message, message
        assert "(floor " in message and "; diagnostic)" in message, message
