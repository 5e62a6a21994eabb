"""Where a QAT model's int8 TFLite file starts to disagree with its fake-quant Keras model.

For a finished `examples/qat_finetune.py` run: cuts the exported (batch-1,
biases snapped) QAT model after each layer, converts each cut with
`Optimize.DEFAULT` as `qat_finetune` does, runs it on XNNPACK and prints the
share of its int8 output within 0 / 1 steps of the fake-quant Keras output on
validation images (TensorFlow on Eigen kernels, as the agreement script). A
share that decays gradually says rounding flips spread; a sudden drop names
the layer whose int8 kernel computes something else. `--against builtin`
compares XNNPACK with TFLite's builtin CPU kernels on the same cut instead:
where two int8 backends part (XNNPACK keeps no intermediate tensors to read).

TF_USE_LEGACY_KERAS=1 python scripts/int8_divergence.py runs/pipeline/float runs/pipeline/qat
"""

import argparse
import os
import sys
import tempfile

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
from ai_edge_litert.interpreter import Interpreter  # noqa: E402
from int8_fake_quant_agreement import differences_in_steps  # noqa: E402
from tqdm import tqdm  # noqa: E402

from keras_psa.export.tflite.litert_runner import make_interpreter  # noqa: E402
from keras_psa.export.tflite.litert_runner import run_tflite  # noqa: E402
from keras_psa.export.tflite.output_steps import output_steps  # noqa: E402
from keras_psa.keras_flavor import keras  # noqa: E402
from keras_psa.quantization import quantize_scope  # noqa: E402
from keras_psa.quantization.qat_finetune import _static_qat_copy  # noqa: E402
from keras_psa.quantization.qat_finetune import convert_qat_model  # noqa: E402
from keras_psa.quantization.qat_finetune import read_float_run  # noqa: E402
from keras_psa.quantization.qat_task import qat_task  # noqa: E402
from keras_psa.saving import load_model  # noqa: E402


def builtin_differences(path, images, step):
    """|XNNPACK - builtin kernels| of the file at `path`, in steps of `step`."""
    runs = []
    for xnnpack in (True, False):
        interpreter = make_interpreter(path, xnnpack=xnnpack)
        runs.append(np.concatenate([run_tflite(path, image[None], interpreter=interpreter)[0]
                                    for image in images]))
    return np.abs(runs[0] - runs[1]).ravel() / step


def cut_agreement(model, layer, images, folder, against="keras"):
    """(exact share, share within one step, output step) of the model cut after `layer`."""
    cut = keras.Model(model.input, layer.output)
    path = os.path.join(folder, layer.name.replace("/", "_") + ".tflite")
    convert_qat_model(cut, path)  # the conversion qat_finetune exports with
    steps = list(output_steps(path).values())
    if len(steps) != 1 or steps[0] is None:
        return None
    if against == "builtin":
        differences = builtin_differences(path, images, steps[0])
    else:
        interpreter = Interpreter(model_path=path, num_threads=1)
        interpreter.allocate_tensors()
        differences = differences_in_steps(interpreter, cut, images, steps[0])
    return float(np.mean(differences < 0.5)), float(np.mean(differences < 1.5)), steps[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("float_run", help="the float run folder (train_segmentation output)")
    parser.add_argument("qat_run", help="the qat_finetune output folder (with qat_savedmodel/)")
    parser.add_argument("--images", type=int, default=2, help="validation images (default 2)")
    parser.add_argument("--every", type=int, default=1, help="cut after every Nth layer")
    parser.add_argument("--layers", nargs="+", metavar="NAME",
                        help="cut after these layers only (names of the QAT model)")
    parser.add_argument("--against", default="keras", choices=("keras", "builtin"),
                        help="compare XNNPACK with the fake-quant Keras model (default) or "
                             "with TFLite's builtin CPU kernels")
    parser.add_argument("--start", type=int, default=0,
                        help="first layer to cut after, by index (later cuts convert slower)")
    args = parser.parse_args()
    _, summary = read_float_run(args.float_run)
    with quantize_scope():
        qat_model = load_model(os.path.join(args.qat_run, "qat_savedmodel"))
    task = qat_task(summary)
    static = _static_qat_copy(task, qat_model)
    images = task.parity_images()[:args.images]
    layers = [layer for layer in static.layers[1:]
              if not isinstance(layer.output, (list, tuple))][args.start::args.every]
    if args.layers:
        layers = [static.get_layer(name) for name in args.layers]
    print("| layer | output step | exact | within 1 step |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        for layer in tqdm(layers, desc="cuts"):
            try:
                found = cut_agreement(static, layer, images, folder, args.against)
            except Exception as error:  # a cut the converter cannot take: say so, go on
                tqdm.write(f"| {layer.name} | conversion failed: {type(error).__name__} | | |")
                continue
            if found is not None:
                exact, within, step = found
                tqdm.write(f"| {layer.name} | {step:.3g} | {exact:.4f} | {within:.4f} |")


if __name__ == "__main__":
    main()
