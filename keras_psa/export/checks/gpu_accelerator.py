"""Runs a `.tflite` model on LiteRT's GPU accelerator and compares it with the CPU.

The GPU accelerator shipped in the ai-edge-litert wheel is WebGPU over Vulkan.
Machines without a GPU can run it on SwiftShader, a CPU implementation of
Vulkan that Debian's `chromium` package installs under /usr/lib/chromium (with
its own Vulkan loader, libvulkan.so.1, next to it). The run happens in a child
process: a crash inside the delegate ends the child, not the checker, and the
delegate's native log (which names unsupported ops) is captured from it.
"""

import ctypes.util
import json
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
from ai_edge_litert.interpreter import Interpreter
from ai_edge_litert.interpreter import OpResolverType

from keras_psa.export import litert_workers
from keras_psa.export.checks.check_result import FAILED
from keras_psa.export.checks.check_result import NOT_JUDGED
from keras_psa.export.checks.check_result import PASSED
from keras_psa.export.checks.check_result import UNAVAILABLE
from keras_psa.export.checks.check_result import CheckResult
from keras_psa.export.checks.error_measures import relative_error
from keras_psa.export.checks.error_measures import share_within_steps
from keras_psa.export.checks.op_issue import OpIssue
from keras_psa.export.checks.task_criteria import StepShare
from keras_psa.export.checks.task_criteria import figures_by_name
from keras_psa.export.checks.task_criteria import judge_output
from keras_psa.export.checks.task_criteria import task_figures
from keras_psa.export.conversion.quantization_mode import infer_quantization_mode
from keras_psa.export.tflite.output_kind import output_kind
from keras_psa.export.tflite.output_steps import output_grids
from keras_psa.export.tflite.tflite_graph import TFLiteGraph

SWIFTSHADER_ICD = "/usr/lib/chromium/vk_swiftshader_icd.json"
_WORKER = os.path.join(os.path.dirname(litert_workers.__file__), "gpu_worker.py")
_RESULT_PREFIX = "KERAS_PSA_GPU_RESULT "
_UNSUPPORTED_HEADER = "Following operations are not supported by GPU delegate:"
_SPLIT_LINE = re.compile(r"^\d+ operations will run on the GPU")
_CPU_OPS = re.compile(r"(\d+) operations will run on the GPU, and the remaining (\d+) "
                      r"operations? will run on the CPU")
_NO_DEVICE = ("No adapters found", "Failed to initialize WebGPU environment",
              "Failed to get or create delegate WebGPU environment")
_ADAPTER = re.compile(r"Selected adapter: (.*)")


def vulkan_environment(icd_file=None):
    """Returns the environment for the child: Vulkan ICD and loader path.

    `icd_file` defaults to `$VK_ICD_FILENAMES`, else SwiftShader from Debian's
    chromium package when it is installed.
    """
    env = dict(os.environ)
    icd_file = icd_file or env.get("VK_ICD_FILENAMES")
    if not icd_file and os.path.isfile(SWIFTSHADER_ICD):
        icd_file = SWIFTSHADER_ICD
    if icd_file:
        env["VK_ICD_FILENAMES"] = icd_file
        icd_dir = os.path.dirname(os.path.abspath(icd_file))
        # Debian's chromium ships its own Vulkan loader; use it when the system
        # has none (package libvulkan1 not installed).
        if ctypes.util.find_library("vulkan") is None and os.path.isfile(
            os.path.join(icd_dir, "libvulkan.so.1")
        ):
            env["LD_LIBRARY_PATH"] = os.pathsep.join(
                p for p in (icd_dir, env.get("LD_LIBRARY_PATH")) if p
            )
    return env


def ops_left_on_cpu(log):
    """Ops the GPU delegate's log says it left on the CPU (0 when it says none).

    LiteRT's `is_fully_accelerated()` can answer True while the delegate
    leaves ops on the CPU (measured with ai-edge-litert 2.3 on a model whose
    float islands held rank-0 constants), so the log is read as well.
    """
    return sum(int(match.group(2)) for match in _CPU_OPS.finditer(log))


def parse_unsupported_ops(log):
    """Returns `OpIssue`s from the GPU delegate's "not supported" log block."""
    issues, inside = [], False
    for line in log.splitlines():
        line = line.strip()
        if _UNSUPPORTED_HEADER in line:
            inside = True
            continue
        if inside:
            if not line or _SPLIT_LINE.match(line) or line.startswith(("I0000", "INFO", "E0000")):
                inside = False
                continue
            name, _, reason = line.partition(":")
            issues.append(OpIssue(None, name.strip(), reason.strip() or "not supported"))
    return issues


def _input_names(model_path, count):
    signature = Interpreter(model_path=os.fspath(model_path)).get_signature_list()
    names = next(iter(signature.values()))["inputs"] if signature else None
    return names or [f"input_{i}" for i in range(count)]


def default_inputs(model_path, seed=0, pixel_range=(0.0, 1.0)):
    """One random float input per model input, uniform in `pixel_range`, keyed by
    signature name."""
    graph = TFLiteGraph.from_file(model_path)
    rng = np.random.default_rng(seed)
    arrays = [rng.uniform(*pixel_range, size=t.shape).astype(np.float32) for t in graph.inputs]
    return dict(zip(_input_names(model_path, len(arrays)), arrays))


def image_inputs(model_path, images):
    """The first of `images` `(N, H, W, C)` as the input of a one-input model."""
    images = np.asarray(images, dtype=np.float32)
    return {_input_names(model_path, 1)[0]: images[:1]}


def run_gpu_accelerator(model_path, inputs=None, tolerance=1e-3, enforce_f32=True,
                        icd_file=None, timeout=300, outputs_path=None, int8_steps=3,
                        int8_share=0.99, images=None, pixel_range=(0.0, 1.0),
                        real_inputs=None):
    """Runs `model_path` on LiteRT's GPU accelerator and on its CPU, and compares.

    Args:
        model_path: path to a `.tflite` file.
        inputs: dict from signature input name to array in the model's input
            dtype (quantized for int8 inputs by the caller); default: the first
            of `images`, else random floats in `pixel_range`.
        images: real images `(N, H, W, C)`; the first one is the input (what
            the model really gets, for a one-input model).
        pixel_range: range of the random default input: the model's (0..255
            for the package's models).
        tolerance: largest relative error GPU vs CPU (max |gpu - cpu| / max |cpu|),
            for outputs that are not int8 behind the scenes.
        enforce_f32: compute in float32 on the GPU (the delegate's default is fp16).
        icd_file: Vulkan ICD json; see `vulkan_environment`.
        timeout: seconds before the child is killed.
        outputs_path: where to keep the raw outputs (`.npz`, keys `cpu/<name>`
            and `gpu/<name>`) for element-wise comparisons; None keeps none.
        int8_steps, int8_share: an output that is an int8 tensor (or the
            DEQUANTIZE of one): the share of its elements within `int8_steps`
            quantization steps of the CPU's, beside its floor (TFLite's
            builtin kernels vs XNNPACK): a diagnostic where the output has a
            task-level figure, else it fails below `int8_share` and below the
            floor less `FLOOR_MARGIN` (the GPU computes int8 models in float,
            so rounding differs like another CPU backend's).
        real_inputs: whether `inputs` are real images; default: whether
            `images` were given. An int8 file's labels or keypoints on random
            inputs are "not judged".

    On a machine without a GPU this is SwiftShader, whose Vulkan has no fp16:
    the arithmetic is fp32 whatever `enforce_f32` says (phones default to
    fp16). Outputs match when the GPU does the task as the CPU does
    (`task_criteria.judge_output`, beside the floor of the builtin kernels vs
    XNNPACK) and, for float files, within `tolerance`.

    Returns:
        A `CheckResult` named `"gpu_run"` whose details say the arithmetic
        (fp32 on SwiftShader, which has no shaderFloat16; phones default to
        fp16, see `check_gpu_fp16`): `"passed"` when every op ran on the GPU
        and outputs match, `"not judged"` when an int8 file's outputs were
        compared on random inputs only, `"failed"` otherwise (unsupported ops
        named from the delegate's log), `"unavailable"` when no Vulkan device was found.
    """
    model_path = os.path.abspath(os.fspath(model_path))
    TFLiteGraph.from_file(model_path)  # fails early and clearly on a bad file
    if inputs is None:
        inputs = (image_inputs(model_path, images) if images is not None
                  else default_inputs(model_path, pixel_range=pixel_range))
    env = vulkan_environment(icd_file)
    with tempfile.TemporaryDirectory(prefix="keras_psa_gpu_") as tmp:
        inputs_path = os.path.join(tmp, "inputs.npz")
        outputs_path = os.fspath(outputs_path or os.path.join(tmp, "outputs.npz"))
        np.savez(inputs_path, **inputs)
        command = [sys.executable, _WORKER, model_path, inputs_path, outputs_path,
                   "1" if enforce_f32 else "0"]
        try:
            child = subprocess.run(command, capture_output=True, text=True, env=env,
                                   timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            return CheckResult("gpu_run", FAILED, message=f"GPU run timed out after {timeout} s")
        log = child.stdout + "\n" + child.stderr
        adapter = _ADAPTER.search(log)
        details = {
            "vk_icd_filenames": env.get("VK_ICD_FILENAMES"),
            "adapter": adapter.group(1).strip() if adapter else None,
            "returncode": child.returncode,
        }
        if any(marker in log for marker in _NO_DEVICE):
            return CheckResult("gpu_run", UNAVAILABLE, details=details,
                               message="no Vulkan/WebGPU device found (install Debian's "
                                       "chromium package for SwiftShader, or set "
                                       "VK_ICD_FILENAMES)")
        result_line = [ln for ln in log.splitlines() if ln.startswith(_RESULT_PREFIX)]
        if child.returncode != 0 or not result_line:
            details["log_tail"] = log[-4000:]
            return CheckResult("gpu_run", FAILED, details=details,
                               message=f"GPU run crashed or failed (exit code "
                                       f"{child.returncode})")
        worker = json.loads(result_line[-1][len(_RESULT_PREFIX):])
        outputs = dict(np.load(outputs_path))
    issues = parse_unsupported_ops(log)
    cpu_ops = ops_left_on_cpu(log)
    # A phone GPU computes in fp16 by default; this run says nothing of it (gpu_fp16 does).
    swiftshader = "swiftshader" in (details["adapter"] or "").lower()
    details["arithmetic"] = (
        "fp32 (SwiftShader has no shaderFloat16)" if swiftshader else
        "fp32 (enforce_f32)" if enforce_f32 else "the GPU's default: fp16 where it has it")
    grids = output_grids(model_path)
    kind = output_kind(model_path)
    quantized = infer_quantization_mode(model_path) == "int8"
    real_inputs = images is not None if real_inputs is None else real_inputs
    input_size = tuple(int(d) for d in next(iter(inputs.values())).shape[1:3])
    # The floor: TFLite's builtin kernels against the CPU run (XNNPACK) on the same
    # inputs, two trusted backends.
    builtin = _builtin_outputs(model_path, inputs)
    floor_text = "builtin kernels vs XNNPACK"
    errors, shares, floors, figures, floor_figures = {}, {}, {}, {}, {}
    for key, cpu_output in outputs.items():
        if key.startswith("cpu/"):
            name = key[4:]
            gpu_output = outputs[f"gpu/{name}"]
            errors[name] = relative_error(gpu_output, cpu_output)
            figures[name] = task_figures(kind, gpu_output, cpu_output, input_size)
            floor_figures[name] = task_figures(kind, builtin[name], cpu_output, input_size)
            grid = grids.get(name)
            if grid:
                shares[name] = share_within_steps(
                    grid.real_values(gpu_output), grid.real_values(cpu_output),
                    grid.step, int8_steps, grid.sigmoid_input_step)
                floors[name] = share_within_steps(
                    grid.real_values(builtin[name]), grid.real_values(cpu_output),
                    grid.step, int8_steps, grid.sigmoid_input_step)
    details.update(
        fully_accelerated=worker["fully_accelerated"] and not cpu_ops and not issues,
        ops_on_cpu=cpu_ops,
        unreadable_outputs=worker["unreadable_outputs"],
        relative_error=errors,
        output_kind=kind,
        inputs="given images" if real_inputs else "random inputs",
        task_figures=figures,
        **figures_by_name(figures),
        builtin_vs_xnnpack_figures=floor_figures,
        tolerance=tolerance,
        share_within_int8_steps=shares,
        cpu_backends_share_within_int8_steps=floors,
        int8_steps=int8_steps,
        int8_share=int8_share,
    )
    failures, not_judged, passes = [], [], []
    if not details["fully_accelerated"]:
        failures.append("not fully accelerated" +
                        (f" ({cpu_ops} ops on the CPU)" if cpu_ops else ""))
        if not issues:
            issues.append(OpIssue(None, "?", "the delegate left ops on the CPU (see log)"))
    for name in errors:
        steps = (StepShare(shares[name], int8_steps, int8_share, floors[name])
                 if name in shares else None)
        status, text = judge_output(
            kind, figures[name], real_inputs=real_inputs, quantized=quantized,
            floor_figures=floor_figures[name], floor_text=floor_text, steps=steps,
            error=errors[name], tolerance=tolerance)
        found = {PASSED: passes, FAILED: failures, NOT_JUDGED: not_judged}
        if status:
            found[status].append(f"{name}: {text}")
    on = f" on {details['adapter']}, arithmetic {details['arithmetic']}"
    if failures:
        return CheckResult("gpu_run", FAILED, issues, details, "; ".join(failures) + on)
    if not_judged:
        return CheckResult("gpu_run", NOT_JUDGED, issues, details,
                           "fully accelerated; " + "; ".join(not_judged + passes) + on)
    return CheckResult("gpu_run", PASSED, issues, details,
                       "fully accelerated; " + "; ".join(passes) + on)


def _builtin_outputs(model_path, inputs):
    """The model's outputs on TFLite's builtin CPU kernels, by signature name."""
    interpreter = Interpreter(
        model_path=os.fspath(model_path),
        experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
    interpreter.allocate_tensors()
    return interpreter.get_signature_runner()(**inputs)
