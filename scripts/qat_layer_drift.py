"""Where a QAT model loses accuracy: float Keras vs fake-quant QAT Keras, layer by layer.

For a finished `keras-psa-qat` run (the float run folder and the QAT output folder
holding `qat_savedmodel/`), runs both Keras models on validation images and prints
Markdown tables:

1. per layer (matched by name): relative error ||qat - float|| / ||float|| and cosine
   similarity of the activations, and the labels' agreement and mean IoU at the output;
2. PSA's softmax over H*W on TFLite's int8 probability grid (scale 1/256): share of
   attention weights that round to 0, and the error that rounding puts into the
   softmax-weighted sum;
3. ablations of the fake-quant model, each one suspect switched off: the probability
   rounding inside PSA, the BatchNorm statistics the fine-tune moved, and the
   fine-tune itself (a fresh fake-quant model of the float weights, ranges set from
   0 / 8 / 32 calibration batches).

    PYTHONPATH=. python scripts/qat_layer_drift.py runs/pipeline/float runs/pipeline/qat \\
        [--images 200] [--calibration-batches 0 8 32] [--no-ablations]
"""

import argparse
import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")  # tfmot needs tf_keras

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tqdm import tqdm  # noqa: E402

from keras_psa.keras_flavor import keras  # noqa: E402
from keras_psa.layers.quantizable_layer import PROBABILITY_RANGE  # noqa: E402
from keras_psa.layers.quantizable_layer import QuantizableLayer  # noqa: E402
from keras_psa.quantization.keras3_handover import load_keras3_weights  # noqa: E402
from keras_psa.quantization.qat_config import QATConfig  # noqa: E402
from keras_psa.quantization.qat_finetune import _run_task  # noqa: E402
from keras_psa.quantization.quantize_model import quantize_model  # noqa: E402
from keras_psa.quantization.quantize_model import quantize_scope  # noqa: E402
from keras_psa.quantization.range_calibration import calibrate_quantization_ranges  # noqa: E402
from keras_psa.saving import load_model  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("float_run", help="output folder of keras-psa-train")
    parser.add_argument("qat_dir", help="output folder of keras-psa-qat (with qat_savedmodel/)")
    parser.add_argument("--checkpoint", default="model", choices=("model", "best"))
    parser.add_argument("--images", type=int, default=200, help="validation images used")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--calibration-batches", type=int, nargs="*", default=[0, 8, 32],
                        help="ranges of the un-fine-tuned fake-quant model (ablation)")
    parser.add_argument("--no-ablations", action="store_true")
    parser.add_argument("--all-layers", action="store_true",
                        help="every matched layer (default: PSA, the head and every layer "
                             "whose error grows by more than 0.02)")
    return parser.parse_args(argv)


def inner_layer(layer):
    return getattr(layer, "layer", layer)  # tfmot's QuantizeWrapper holds the float layer


def matched_layers(float_model, qat_model):
    """(name, float layer, qat layer) of the layers both models have, in model order."""
    by_name = {inner_layer(layer).name: layer for layer in qat_model.layers}
    return [(layer.name, layer, by_name[layer.name]) for layer in float_model.layers
            if layer.name in by_name and not isinstance(layer, keras.layers.InputLayer)]


def predict_batches(model, images, batch_size, desc):
    """Outputs of `model` (one or several) on `images`, batch by batch, in inference mode."""
    outputs = None
    for start in tqdm(range(0, len(images), batch_size), desc=desc, leave=False):
        got = model(images[start:start + batch_size], training=False)
        got = [np.asarray(t) for t in (got if isinstance(got, (list, tuple)) else [got])]
        outputs = [[] for _ in got] if outputs is None else outputs
        for kept, value in zip(outputs, got):
            kept.append(value)
    return [np.concatenate(kept) for kept in outputs]


def mean_iou(labels, predicted, num_classes):
    """Keras' MeanIoU: mean over the classes that occur in labels or predictions."""
    confusion = np.bincount(labels.ravel() * num_classes + predicted.ravel(),
                            minlength=num_classes * num_classes).reshape(num_classes, -1)
    union = confusion.sum(0) + confusion.sum(1) - np.diag(confusion)
    present = union > 0
    return float(np.mean(np.diag(confusion)[present] / union[present]))


def compare(reference, other):
    reference, other = reference.astype(np.float64).ravel(), other.astype(np.float64).ravel()
    norm = np.linalg.norm(reference)
    relative = np.linalg.norm(other - reference) / max(norm, 1e-12)
    cosine = reference @ other / max(norm * np.linalg.norm(other), 1e-12)
    return relative, cosine


def layer_table(float_model, qat_model, images, batch_size, all_layers):
    pairs = matched_layers(float_model, qat_model)
    float_probe = keras.Model(float_model.inputs, [f.output for _, f, _ in pairs])
    qat_probe = keras.Model(qat_model.inputs, [q.output for _, _, q in pairs])
    float_out = predict_batches(float_probe, images, batch_size, "float layers")
    qat_out = predict_batches(qat_probe, images, batch_size, "QAT layers")
    rows, worst = [], 0.0
    for index, ((name, layer, _), a, b) in enumerate(zip(pairs, float_out, qat_out)):
        relative, cosine = compare(a, b)
        last = index == len(pairs) - 1
        shown = (all_layers or last or relative > worst + 0.02
                 or isinstance(layer, QuantizableLayer) or index >= len(pairs) - 8)
        if shown:
            rows.append(f"| {name} | {type(layer).__name__} | {'x'.join(map(str, a.shape[1:]))} "
                        f"| {relative:.4f} | {cosine:.4f} |")
        worst = max(worst, relative)
    return ["| layer | class | shape | rel. error | cosine |", "|---|---|---|---|---|", *rows]


def psa_layers(model):
    return [layer for layer in model.layers if hasattr(layer, "channel_attention")]


def softmax_grid_table(float_model, images, batch_size):
    """PSA's softmax weights over H*W in float and rounded to TFLite's 1/256 grid."""
    lines = ["| PSA layer | branch | H·W | weights < 1/512 (round to 0) | mean weight / step "
             "| sum of rounded weights | rel. error of Σ x·p |",
             "|---|---|---|---|---|---|---|"]
    step = 1.0 / 256
    for psa in psa_layers(float_model):
        probe = keras.Model(float_model.inputs, psa.input)
        features = predict_batches(probe, images, batch_size, f"{psa.name} input")[0]
        branch = psa.channel_attention
        query = np.asarray(branch.query_conv(features))  # (N, H, W, 1)
        n, h, w, _ = query.shape
        flat = query.reshape(n, h * w)
        weights = np.asarray(tf.nn.softmax(flat, axis=-1))
        low, high = PROBABILITY_RANGE
        rounded = np.asarray(tf.quantization.fake_quant_with_min_max_args(
            weights, min=low, max=high, num_bits=8, narrow_range=False))
        x = features.reshape(n, h * w, -1)
        exact = np.einsum("np,npc->nc", weights, x)
        approx = np.einsum("np,npc->nc", rounded, x)
        relative = np.linalg.norm(approx - exact) / np.linalg.norm(exact)
        lines.append(
            f"| {psa.name} | channel (softmax_HW of query) | {h * w} "
            f"| {np.mean(weights < step / 2):.1%} | {np.mean(weights) / step:.2f} "
            f"| {np.mean(rounded.sum(-1)):.3f} (min {rounded.sum(-1).min():.3f}) "
            f"| {relative:.3f} |")
    return lines


class _NoProbabilityRounding:
    """While active, PSA's softmax/sigmoid outputs stay float in the fake-quant model."""

    def __enter__(self):
        self.original = QuantizableLayer._quantize_probabilities
        QuantizableLayer._quantize_probabilities = lambda self, tensor: tensor

    def __exit__(self, *exc):
        QuantizableLayer._quantize_probabilities = self.original


class _OutputRangesOff:
    """While active, the layers of `class_name` skip their fake-quant output (tfmot's
    output quantizer, or every range inside a keras_psa layer)."""

    def __init__(self, qat_model, class_name):
        self.wrappers = [layer for layer in qat_model.layers
                         if type(inner_layer(layer)).__name__ == class_name]

    def __enter__(self):
        self.saved = []
        for wrapper in self.wrappers:
            inner = inner_layer(wrapper)
            if isinstance(inner, QuantizableLayer):
                layers = [inner, *[s for s in inner._flatten_layers(include_self=False)
                                   if isinstance(s, QuantizableLayer)]]
                for layer in layers:
                    self.saved.append((layer._activation_quantizers, "by_name",
                                       layer._activation_quantizers.by_name))
                    layer._activation_quantizers.by_name = {}
            else:
                self.saved.append((wrapper, "_output_quantizers", wrapper._output_quantizers))
                object.__setattr__(wrapper, "_output_quantizers", [])

    def __exit__(self, *exc):
        for owner, name, value in self.saved:
            object.__setattr__(owner, name, value)


def quantized_classes(qat_model):
    """{class name: count} of the layers with a fake-quant output or inner ranges."""
    found = {}
    for layer in qat_model.layers:
        inner = inner_layer(layer)
        if getattr(layer, "_output_quantizers", None) or (
                isinstance(inner, QuantizableLayer) and inner.activation_quantization_enabled):
            name = type(inner).__name__
            found[name] = found.get(name, 0) + 1
    return found


def batch_norm_weights(model):
    """{name: layer} of the BatchNormalization layers (inside QAT wrappers too)."""
    return {inner_layer(layer).name: inner_layer(layer) for layer in model.layers
            if isinstance(inner_layer(layer), keras.layers.BatchNormalization)}


def batch_norm_drift(float_model, qat_model):
    """Mean relative change of the moving mean / variance over the BatchNorm layers."""
    qat_norms = batch_norm_weights(qat_model)
    means, variances = [], []
    for name, layer in batch_norm_weights(float_model).items():
        if name in qat_norms:
            other = qat_norms[name]
            for kept, a, b in ((means, layer.moving_mean, other.moving_mean),
                               (variances, layer.moving_variance, other.moving_variance)):
                a, b = np.asarray(a), np.asarray(b)
                kept.append(np.linalg.norm(b - a) / max(np.linalg.norm(a), 1e-12))
    return float(np.mean(means)), float(np.mean(variances)), len(means)


def copy_batch_norm_statistics(source, target):
    found = batch_norm_weights(source)
    for name, layer in batch_norm_weights(target).items():
        if name in found:
            layer.moving_mean.assign(found[name].moving_mean)
            layer.moving_variance.assign(found[name].moving_variance)


def labels_of(model, images, batch_size, desc):
    return np.argmax(predict_batches(model, images, batch_size, desc)[0], axis=-1)


def main(argv=None):
    args = parse_args(argv)
    config = QATConfig(float_run=args.float_run, output_dir=args.qat_dir,
                       checkpoint=args.checkpoint, batch_size=args.batch_size)
    float_path, task = _run_task(config)
    float_model = task.build()
    load_keras3_weights(float_model, float_path)
    with quantize_scope():
        qat_model = load_model(os.path.join(args.qat_dir, "qat_savedmodel"))
    images, labels = [], []
    for batch_images, batch_labels in task.val_data()[0].as_numpy_iterator():
        images.append(batch_images)
        labels.append(batch_labels)
    images = np.concatenate(images)[:args.images].astype(np.float32)
    labels = np.concatenate(labels)[:args.images].astype(np.int64)
    labels = labels.reshape(len(images), *images.shape[1:3])
    classes = task.num_classes

    print(f"# Float vs fake-quant QAT: {args.float_run} vs {args.qat_dir}, "
          f"{len(images)} validation images\n")
    print("## Activations per layer\n")
    print("\n".join(layer_table(float_model, qat_model, images, args.batch_size,
                                args.all_layers)))
    float_labels = labels_of(float_model, images, args.batch_size, "float")
    qat_labels = labels_of(qat_model, images, args.batch_size, "QAT")
    print(f"\nLabels equal to float Keras: {np.mean(float_labels == qat_labels):.2%} of pixels; "
          f"mean IoU float {mean_iou(labels, float_labels, classes):.4f}, "
          f"fake-quant QAT {mean_iou(labels, qat_labels, classes):.4f}\n")
    print("## PSA softmax over H·W on int8's 1/256 grid (float model's activations)\n")
    print("\n".join(softmax_grid_table(float_model, images, args.batch_size)))
    if args.no_ablations:
        return 0

    rows = ["| fake-quant model | mean IoU | labels = float |", "|---|---|---|"]

    def row(name, predicted):
        rows.append(f"| {name} | {mean_iou(labels, predicted, classes):.4f} "
                    f"| {np.mean(predicted == float_labels):.2%} |")

    row("float Keras (reference)", float_labels)
    row("QAT as trained", qat_labels)
    with _NoProbabilityRounding():
        row("QAT, PSA softmax/sigmoid not rounded to 1/256",
            labels_of(qat_model, images, args.batch_size, "QAT no rounding"))
    mean_drift, variance_drift, count = batch_norm_drift(float_model, qat_model)
    saved = {name: (np.asarray(layer.moving_mean), np.asarray(layer.moving_variance))
             for name, layer in batch_norm_weights(qat_model).items()}
    copy_batch_norm_statistics(float_model, qat_model)
    row(f"QAT with the float BatchNorm statistics (fine-tune moved {count} BN: mean "
        f"{mean_drift:.1%}, variance {variance_drift:.1%})",
        labels_of(qat_model, images, args.batch_size, "QAT float BN"))
    for name, layer in batch_norm_weights(qat_model).items():
        layer.moving_mean.assign(saved[name][0])
        layer.moving_variance.assign(saved[name][1])
    for batches in args.calibration_batches:
        fresh = quantize_model(float_model)
        if batches:
            calibrate_quantization_ranges(fresh, task.calibration_images(batches),
                                          args.batch_size)
        else:
            # No calibration: PSA's own ranges start from the first batch they see, tfmot's
            # at [-6, 6]; one training-mode call sets the former as the fine-tune's first step
            # would, BatchNorm statistics kept.
            norms = [w for w in fresh.non_trainable_weights
                     if "moving_mean" in w.name or "moving_variance" in w.name]
            kept = [w.numpy() for w in norms]
            fresh(task.calibration_images(1), training=True)
            for weight, value in zip(norms, kept):
                weight.assign(value)
        row(f"no fine-tune, ranges from {batches} calibration batches",
            labels_of(fresh, images, args.batch_size, f"step 0, {batches} batches"))
        if batches == max(args.calibration_batches):
            step0 = fresh
            step0_batches = batches
        with _NoProbabilityRounding():
            row(f"no fine-tune, {batches} calibration batches, PSA probabilities not rounded",
                labels_of(fresh, images, args.batch_size, "step 0 no rounding"))
    print("\n## Ablations of the fake-quant model (inference mode)\n")
    print("\n".join(rows))
    if not args.calibration_batches:
        return 0
    print(f"\n## Before fine-tuning ({step0_batches} calibration batches): activations per "
          "layer\n")
    print("\n".join(layer_table(float_model, step0, images, args.batch_size, args.all_layers)))
    rows = ["| output ranges switched off (before fine-tuning) | layers | mean IoU "
            "| labels = float |", "|---|---|---|---|"]
    for class_name, count in quantized_classes(step0).items():
        with _OutputRangesOff(step0, class_name):
            predicted = labels_of(step0, images, args.batch_size, class_name)
        rows.append(f"| {class_name} | {count} | {mean_iou(labels, predicted, classes):.4f} "
                    f"| {np.mean(predicted == float_labels):.2%} |")
    print("\n## Which ranges cost the accuracy before fine-tuning\n")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
