"""Share of int8 TFLite outputs within one step of the fake-quant Keras QAT model.

Models get trained-like BatchNorm statistics first (untrained ones have vanishing
activations, which agree trivially). Prints one Markdown row per model and runtime.

TF_USE_LEGACY_KERAS=1 python scripts/int8_fake_quant_agreement.py \\
    mobilenet_v2:none:lraspp mobilenet_v2:psa_p:lraspp [--no-snap] [--fits 3]
"""

import argparse
import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
# TensorFlow's oneDNN float32 convolutions round differently enough to flip
# near-tie outputs of the fake-quant reference (7 of 32768 at MobileNetV3-Large's
# first depthwise, measured); its Eigen kernels flipped none.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from ai_edge_litert.interpreter import Interpreter  # noqa: E402
from ai_edge_litert.interpreter import OpResolverType  # noqa: E402

from keras_psa.keras_flavor import keras  # noqa: E402
from keras_psa.models import build_segmentation_model  # noqa: E402
from keras_psa.models import set_batch_norm_statistics  # noqa: E402
from keras_psa.quantization import calibrate_quantization_ranges  # noqa: E402
from keras_psa.quantization import quantize_model  # noqa: E402
from keras_psa.quantization import snap_biases_to_integer_grid  # noqa: E402

RUNTIMES = {
    "xnnpack": OpResolverType.AUTO,
    "tflite_kernels": OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
}


def output_step(interpreter):
    """Step of the int8 tensor that the final DEQUANTIZE reads (graph without delegates)."""
    tensors = {t["index"]: t for t in interpreter.get_tensor_details()}
    dequantize = [op for op in interpreter._get_ops_details() if op["op_name"] == "DEQUANTIZE"]
    return tensors[dequantize[-1]["inputs"][0]]["quantization"][0]


def differences_in_steps(interpreter, model, images, step):
    differences = []
    for image in images:
        interpreter.set_tensor(interpreter.get_input_details()[0]["index"], image[None])
        interpreter.invoke()
        got = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
        differences.append(np.abs(got - np.asarray(model(image[None], training=False))).ravel())
    return np.concatenate(differences) / step


def qat_model_for(spec, images, fits, snap, alpha=None, epochs=1, calibrate=True):
    backbone, attention, head = spec.split(":")
    keras.utils.set_random_seed(0)
    model = build_segmentation_model(
        backbone, 3, input_shape=images.shape[1:], head=head, head_filters=16,
        attention=None if attention == "none" else attention,
        alpha=alpha or (0.35 if backbone == "mobilenet_v2" else 0.75),
    )
    set_batch_norm_statistics(model, images)
    qat_model = quantize_model(model)
    if calibrate:
        calibrate_quantization_ranges(qat_model, images)
    qat_model.compile(optimizer=keras.optimizers.Adam(1e-4), loss="mse")
    for _ in range(fits):
        qat_model.fit(images, np.asarray(model(images)), batch_size=len(images), epochs=epochs,
                      verbose=0)
    if snap:
        snap_biases_to_integer_grid(qat_model)
    return qat_model


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+", help="BACKBONE:ATTENTION:HEAD, ATTENTION 'none'")
    parser.add_argument("--no-snap", action="store_true", help="skip snap_biases_to_integer_grid")
    parser.add_argument("--no-calibration", action="store_true",
                        help="keep tfmot's [-6, 6] range start (skip "
                             "calibrate_quantization_ranges)")
    parser.add_argument("--fits", type=int, default=3, help="QAT steps, one fit call each")
    parser.add_argument("--epochs", type=int, default=1, help="QAT steps per fit call")
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--alpha", type=float, default=None,
                        help="width multiplier (default 0.35 for MobileNetV2, 0.75 for V3)")
    args = parser.parse_args()
    images = np.random.default_rng(0).uniform(0, 255, (8, args.size, args.size, 3))
    images = images.astype("float32")
    print("| model | runtime | exact | within 1 step | within 3 steps | max steps |")
    print("|---|---|---|---|---|---|")
    for spec in args.models:
        qat_model = qat_model_for(spec, images, args.fits, not args.no_snap, args.alpha,
                                  args.epochs, not args.no_calibration)
        converter = tf.lite.TFLiteConverter.from_keras_model(qat_model)
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        tflite_model = converter.convert()
        step = None
        for runtime, resolver in RUNTIMES.items():
            interpreter = Interpreter(model_content=tflite_model, num_threads=1,
                                      experimental_op_resolver_type=resolver)
            interpreter.allocate_tensors()
            if step is None:
                plain = Interpreter(model_content=tflite_model, experimental_op_resolver_type=(
                    OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES))
                plain.allocate_tensors()
                step = output_step(plain)
            d = differences_in_steps(interpreter, qat_model, images[:2], step)
            print(f"| {spec} | {runtime} | {np.mean(d < 0.5):.4f} | {np.mean(d < 1.5):.4f} | "
                  f"{np.mean(d < 3.5):.4f} | {d.max():.0f} |", flush=True)


if __name__ == "__main__":
    main()
