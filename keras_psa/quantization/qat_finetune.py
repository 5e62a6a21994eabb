"""QAT fine-tuning of a float segmentation model trained under Keras 3, to int8 TFLite.

Runs in a tf_keras process (tfmot needs it). The float run's `summary.json`
holds the builder arguments, so the same architecture is built here and the
Keras 3 weights are handed over (`load_keras3_weights`).
"""

import dataclasses
import json
import os
import sys
import time

import numpy as np
import tensorflow as tf

from keras_psa import export
from keras_psa.data import load_dataset
from keras_psa.data import validation_examples
from keras_psa.export.atomic_write import write_bytes_atomically
from keras_psa.export.metadata import write_segmenter_metadata
from keras_psa.export.quantization_mode import GPU_TOLERANCE
from keras_psa.keras_flavor import keras
from keras_psa.models import build_segmentation_model
from keras_psa.quantization.integer_bias_grid import snap_biases_to_integer_grid
from keras_psa.quantization.keras3_handover import load_keras3_weights
from keras_psa.quantization.qat_config import QATConfig
from keras_psa.quantization.quantize_model import quantize_model
from keras_psa.quantization.quantize_model import quantize_scope
from keras_psa.quantization.range_calibration import calibrate_quantization_ranges
from keras_psa.quantization.require_tf_keras import require_tf_keras
from keras_psa.saving import load_model
from keras_psa.training import ResumableBackup
from keras_psa.training import learning_rate_schedule
from keras_psa.training import segmentation_loss
from keras_psa.training import segmentation_metrics
from keras_psa.training.tflite_mean_iou import tflite_mean_iou

MONITOR = "val_mean_iou"
PARITY_IMAGES = 4


def read_float_run(float_run, checkpoint="model"):
    """Returns `(keras_path, summary)` of a `train_segmentation` run.

    `float_run` is the run's output folder or a `.keras` file in it.
    """
    path = os.fspath(float_run)
    if os.path.isdir(path):
        folder, model_path = path, os.path.join(path, f"{checkpoint}.keras")
    else:
        folder, model_path = os.path.dirname(os.path.abspath(path)), path
    summary_path = os.path.join(folder, "summary.json")
    if not os.path.isfile(model_path) or not os.path.isfile(summary_path):
        raise ValueError(
            "`float_run` must be the output folder of examples/train_segmentation.py (with "
            "summary.json and model.keras) or a .keras file in such a folder. "
            f"Received: float_run={path} (model {model_path}, summary {summary_path})"
        )
    with open(summary_path) as file:
        summary = json.load(file)
    if "config" not in summary or "dataset" not in summary:
        raise ValueError(f"{summary_path} is not a train_segmentation summary (no config).")
    return model_path, summary


def build_from_summary(summary, batch_size=None):
    """The float model of a training summary, rebuilt with fresh weights."""
    config = summary["config"]
    size = config["image_size"]
    return build_segmentation_model(
        config["backbone"], summary["dataset"]["num_classes"],
        input_shape=(size, size, 3), head=config["head"], attention=config["attention"],
        attention_positions=tuple(config["attention_positions"]),
        psa_variant=config["psa_variant"], alpha=config["alpha"],
        head_filters=config["head_filters"], batch_size=batch_size,
    )


def _compile(model, num_classes, ignore_label, optimizer=None):
    model.compile(optimizer=optimizer or "adam", loss=segmentation_loss(ignore_label),
                  metrics=segmentation_metrics(num_classes, ignore_label))
    return model


def _weight_keys(layer):
    """(name inside the layer, occurrence) of each weight: a QAT wrapper names the
    ranges of several inner kernels alike (`kernel_min:0`)."""
    keys, seen = [], {}
    for weight in layer.weights:
        # Variable names repeat their layer's name, which carries a counter
        # (`quantize_layer_1/quantize_layer_1_max:0`) that depends on what the
        # process built before.
        name = weight.name.replace(layer.name, "<layer>")
        name = name.replace(getattr(layer, "layer", layer).name, "<inner>")
        seen[name] = seen.get(name, -1) + 1
        keys.append((name, seen[name]))
    return keys


def _copy_weights_layer_by_layer(source, target):
    """Copies the weights of one QAT model into another of the same architecture.

    Matched per layer and by name within it, not by `get_weights()` order: a
    QAT SavedModel reloaded in `quantize_scope()` lists some layers' variables
    in another order than a freshly quantized model.
    """
    if len(source.layers) != len(target.layers):
        raise ValueError(
            f"The QAT model has {len(source.layers)} layers, its rebuilt copy "
            f"{len(target.layers)}: the model does not match its training summary."
        )
    pairs = []
    for source_layer, target_layer in zip(source.layers, target.layers):
        found = dict(zip(_weight_keys(source_layer), source_layer.weights))
        wanted = dict(zip(_weight_keys(target_layer), target_layer.weights))
        shapes = {key: tuple(w.shape) for key, w in found.items()}
        if shapes != {key: tuple(w.shape) for key, w in wanted.items()}:
            raise ValueError(
                f"Layer {source_layer.name} of the QAT model has weights {shapes}, its "
                f"rebuilt copy {target_layer.name} "
                f"{ {key: tuple(w.shape) for key, w in wanted.items()} }: the model does not "
                "match its training summary."
            )
        pairs += [(weight, found[key]) for key, weight in wanted.items()]
    for weight, value in pairs:  # only once all match: a mismatch changes nothing
        weight.assign(value)


def _static_qat_copy(summary, qat_model):
    """The QAT model rebuilt on a batch-1 input (constant shapes for the GPU
    delegate), holding `qat_model`'s weights and quantization ranges, its
    biases on the int8 model's int32 grid."""
    static = quantize_model(build_from_summary(summary, batch_size=1))
    _copy_weights_layer_by_layer(qat_model, static)
    # The exported model and the Keras model it is checked against add the same biases.
    snap_biases_to_integer_grid(static)
    return static


def convert_qat_model(qat_model, output_path, *, labels=None):
    """The documented tfmot flow: `Optimize.DEFAULT`, no representative data.

    With `labels`, the file gets the segmenter metadata MediaPipe Tasks reads
    (the models take raw pixels 0..255); `xnnpack_float_fallback` keeps it.
    """
    converter = tf.lite.TFLiteConverter.from_keras_model(qat_model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    tflite_bytes = converter.convert()
    if labels is not None:
        tflite_bytes = write_segmenter_metadata(tflite_bytes, labels=labels,
                                                name=qat_model.name)
    write_bytes_atomically(output_path, tflite_bytes)
    return tflite_bytes


def device_checks(tflite_path, keras_model, images, gpu_run=True, int8_steps=None):
    """Static GPU rules, the real GPU accelerator, XNNPACK and Keras parity.

    `images`: validation images `(N, H, W, 3)`; the GPU run takes the first,
    parity all of them. `int8_steps`: judge parity in output steps (a
    fake-quant `keras_model`).
    """
    checks = [export.check_gpu_compatibility(tflite_path)]
    if gpu_run:
        checks.append(export.run_gpu_accelerator(tflite_path, images=images,
                                                 tolerance=GPU_TOLERANCE["int8"]))
    checks.append(export.check_xnnpack_delegation(tflite_path))
    checks.append(export.check_keras_parity(keras_model, tflite_path, images=images,
                                            int8_steps=int8_steps))
    return checks


def results_table(results):
    """Markdown table of the mean IoU of each model."""
    lines = ["| model | val mean IoU |", "|---|---|"]
    lines += [f"| {name} | {value:.4f} |" for name, value in results.items()]
    return "\n".join(lines) + "\n"


@dataclasses.dataclass
class _RunData:
    """The float run and the data streams every step shares."""

    float_path: str
    float_summary: dict
    dataset: str
    image_size: int
    data_seed: int
    train_examples: object
    num_classes: int
    data_args: dict
    info: object
    val_data: object
    val_info: object


def _run_data(config):
    float_path, float_summary = read_float_run(config.float_run, config.checkpoint)
    train_config = float_summary["config"]
    num_classes = float_summary["dataset"]["num_classes"]
    dataset = config.dataset or train_config["dataset"]
    image_size = config.image_size or train_config["image_size"]
    data_seed = train_config["data_seed"] if config.data_seed is None else config.data_seed
    train_examples = config.train_examples or train_config.get("train_examples")
    data_args = dict(name=dataset, image_size=image_size, batch_size=config.batch_size,
                     seed=data_seed)
    info = load_dataset(**data_args, split="train", num_examples=train_examples)[1]
    if info.num_classes != num_classes:
        raise ValueError(
            f"`dataset` must have the float model's {num_classes} classes. "
            f"Received: dataset={dataset!r} with {info.num_classes} classes"
        )
    val_data, val_info = load_dataset(**data_args, split="val", drop_remainder=False)
    val_data = val_data.apply(tf.data.experimental.assert_cardinality(val_info.steps_per_epoch))
    return _RunData(float_path, float_summary, dataset, image_size, data_seed, train_examples,
                    num_classes, data_args, info, val_data, val_info)


def _train(config, run, float_model, qat_dir, verbose):
    """Quantizes and fine-tunes `float_model` (resumable), saves the SavedModel;
    returns `(qat_model, train_seconds, resumed_from)`."""
    qat_model = quantize_model(float_model)
    schedule = learning_rate_schedule("cosine", config.learning_rate, config.steps)
    _compile(qat_model, run.num_classes, run.info.ignore_label,
             keras.optimizers.AdamW(schedule))
    backup = ResumableBackup(os.path.join(config.output_dir, "backup"),
                             save_freq=config.backup_steps)
    resumed_from = backup.restore(qat_model)
    if resumed_from:
        print(f"Resuming QAT at step {resumed_from} from {backup.backup_dir}", flush=True)
    elif config.calibration_batches:
        train_once = load_dataset(**run.data_args, split="train",
                                  num_examples=run.train_examples)[0]
        images = np.concatenate([batch[0] for batch in train_once.take(
            config.calibration_batches).as_numpy_iterator()])
        count = calibrate_quantization_ranges(qat_model, images, config.batch_size)
        print(f"Set {count} activation ranges from {len(images)} training images", flush=True)
    epochs = -(-config.steps // config.steps_per_epoch)
    epoch, offset = divmod(resumed_from, config.steps_per_epoch)
    fit_verbose = (1 if sys.stdout.isatty() else 2) if verbose == "auto" else int(verbose)
    train_started = time.time()
    while epoch < epochs:
        # The stream restarts at the backup's step: a resumed run sees the same batches.
        train_data, _ = load_dataset(**run.data_args, split="train",
                                     num_examples=run.train_examples, repeat=True,
                                     start_step=epoch * config.steps_per_epoch + offset)
        last = epoch + 1 if offset else epochs
        qat_model.fit(train_data, validation_data=run.val_data, initial_epoch=epoch,
                      epochs=last, steps_per_epoch=config.steps_per_epoch - offset,
                      callbacks=[backup], verbose=fit_verbose)
        epoch, offset = last, 0
    train_seconds = time.time() - train_started
    # SavedModel: a tfmot QAT model saved as .keras does not reload (tf_keras 2.21).
    qat_model.save(qat_dir + ".partial", save_format="tf", include_optimizer=False)
    os.replace(qat_dir + ".partial", qat_dir)
    backup.delete()
    return qat_model, train_seconds, resumed_from


def fine_tune(config, run, float_model, verbose="auto"):
    """Step 1: the fine-tuned QAT model, `(qat_model, qat_dir, train_seconds,
    resumed_from)`; a finished run's `qat_savedmodel/` is loaded, not trained again."""
    qat_dir = os.path.join(config.output_dir, "qat_savedmodel")
    if not os.path.isfile(os.path.join(qat_dir, "saved_model.pb")):
        qat_model, train_seconds, resumed_from = _train(config, run, float_model, qat_dir,
                                                        verbose)
        return qat_model, qat_dir, train_seconds, resumed_from
    print(f"Loading the finished QAT model {qat_dir} (delete it to fine-tune again)",
          flush=True)
    with quantize_scope():
        qat_model = load_model(qat_dir)
    _compile(qat_model, run.num_classes, run.info.ignore_label)
    return qat_model, qat_dir, 0.0, None


def export_files(config, run, float_model, qat_model, qat_dir):
    """Step 2: writes qat_int8, qat_int8_xnnpack and ptq_int8.

    Returns `{name: (path, Keras reference, conversion facts)}` in check order,
    and the ops the XNNPACK file runs in float.
    """
    labels = list(run.info.class_names)
    qat_path = os.path.join(config.output_dir, "qat_int8.tflite")
    qat_xnnpack_path = os.path.join(config.output_dir, "qat_int8_xnnpack.tflite")
    ptq_path = os.path.join(config.output_dir, "ptq_int8.tflite")
    static_qat = _static_qat_copy(run.float_summary, qat_model)
    qat_bytes = convert_qat_model(static_qat, qat_path, labels=labels)
    # XNNPACK has no int8 SOFTMAX / RSQRT / ...: the CPU file runs those few ops in
    # float between DEQUANTIZE and QUANTIZE so that XNNPACK takes the whole graph.
    xnnpack_bytes, float_fallback_ops = export.xnnpack_float_fallback(qat_bytes)
    write_bytes_atomically(qat_xnnpack_path, xnnpack_bytes)
    float_ops = "auto" if config.ptq_float_ops == "auto" else tuple(config.ptq_float_ops)
    export.convert_model(float_model, ptq_path, quantization="int8",
                         representative=run.dataset, num_calibration_samples=config.ptq_samples,
                         float_ops=float_ops, labels=labels)
    static_float = build_from_summary(run.float_summary, batch_size=1)
    static_float.set_weights(float_model.get_weights())
    files = {
        "qat_int8": (qat_path, static_qat,
                     {"source": qat_dir, "flow": "QAT, Optimize.DEFAULT"}),
        "qat_int8_xnnpack": (qat_xnnpack_path, static_qat,
                             {"source": qat_path,
                              "flow": "qat_int8 with XNNPACK's missing int8 ops in float",
                              "float_ops": float_fallback_ops}),
        "ptq_int8": (ptq_path, static_float,
                     {"source": run.float_path, "flow": "post-training int8",
                      "representative": run.dataset,
                      "float_ops": list(float_ops) if float_ops != "auto" else "auto"}),
    }
    return files, float_fallback_ops


def check_files(config, run, files):
    """Step 3: device checks of every file, with a report beside each.

    Returns `(checks, reports)`: the checks as dicts, the report paths.
    """
    images = validation_examples(run.dataset, run.image_size, count=PARITY_IMAGES,
                                 seed=run.data_seed)[0]
    checks, reports = {}, {}
    for name, (path, reference, conversion) in files.items():
        # The QAT files against their fake-quant model: "within one
        # step on 99% of elements"; PTQ against the float model: max-based.
        found = device_checks(path, reference, images, gpu_run=config.gpu_run,
                              int8_steps=1 if name.startswith("qat") else None)
        checks[name] = [check.to_dict() for check in found]
        reports[name] = export.write_report(path, found, conversion)[1]
        for check in found:
            print(f"{name}: {check.summary()}", flush=True)
    return checks, reports


def evaluate(run, float_eval, qat_model, files):
    """Step 4: validation mean IoU of the Keras models and of every file."""
    ignore = run.info.ignore_label
    qat_eval = qat_model.evaluate(run.val_data, verbose=0, return_dict=True)
    names = {"qat_int8": "QAT int8 (TFLite)",
             "qat_int8_xnnpack": "QAT int8, XNNPACK file (TFLite)",
             "ptq_int8": "PTQ int8 (TFLite)"}
    mean_iou = {"float (Keras)": float(float_eval["mean_iou"]),
                "QAT fake-quant (Keras)": float(qat_eval["mean_iou"])}
    for name, (path, _, _) in files.items():
        mean_iou[names[name]] = tflite_mean_iou(path, run.val_data, run.num_classes, ignore)
    return mean_iou


def write_summary(config, run, mean_iou, files, float_fallback_ops, checks, reports, timing):
    """Step 5: qat_summary.json and qat_summary.md in `output_dir`; returns the dict."""
    paths = {name: path for name, (path, _, _) in files.items()}
    summary = {
        "config": dataclasses.asdict(config),
        "float_model": run.float_path,
        "dataset": {"name": run.dataset, "image_size": run.image_size,
                    "num_classes": run.num_classes, "val_examples": run.val_info.num_examples},
        "val_mean_iou": mean_iou,
        "files": {"qat_savedmodel": files["qat_int8"][2]["source"], **paths,
                  "reports": reports},
        "sizes_bytes": {name: os.path.getsize(path) for name, path in paths.items()},
        "qat_int8_xnnpack_float_ops": float_fallback_ops,
        "checks": checks,
        "timing": timing,
    }
    with open(os.path.join(config.output_dir, "qat_summary.json"), "w") as file:
        json.dump(summary, file, indent=2, default=str)
    check_lines = ["| model | check | status | result |", "|---|---|---|---|"]
    for name, found in checks.items():
        check_lines += [f"| {name} | {c['name']} | {c['status']} | {c['message']} |"
                        for c in found]
    with open(os.path.join(config.output_dir, "qat_summary.md"), "w") as file:
        file.write(f"# QAT vs post-training int8 ({run.dataset}, "
                   f"{run.image_size}x{run.image_size})\n\n" + results_table(mean_iou)
                   + "\n## Device checks\n\n" + "\n".join(check_lines) + "\n")
    return summary


def qat_finetune(config, verbose="auto"):
    """Fine-tunes a float model with QAT and compares float, QAT and PTQ int8.

    The float run's model is rebuilt here with its Keras 3 weights, then five
    steps: `fine_tune` (`quantize_model`, activation ranges from a few training
    batches, resumable fine-tuning); `export_files` (`qat_int8.tflite`, every
    op int8, with `Optimize.DEFAULT`; `qat_int8_xnnpack.tflite`, the few int8
    ops XNNPACK lacks in float; `ptq_int8.tflite`, post-training int8 of the
    float model); `check_files` (device checks, a report beside each file);
    `evaluate` (validation mean IoU of the Keras models and the files);
    `write_summary`.

    Args:
        config: a `QATConfig`.
        verbose: Keras `fit` verbosity; `"auto"`: progress bar on a terminal.

    Returns:
        The summary dict, also written to `output_dir/qat_summary.json`, with
        the table in `output_dir/qat_summary.md`.
    """
    require_tf_keras("qat_finetune")
    if not isinstance(config, QATConfig):
        raise TypeError(f"`config` must be a QATConfig. Received: config={config!r}")
    config.validate()
    started = time.time()
    run = _run_data(config)
    os.makedirs(config.output_dir, exist_ok=True)
    keras.backend.clear_session()
    keras.utils.set_random_seed(config.seed)

    float_model = build_from_summary(run.float_summary)
    load_keras3_weights(float_model, run.float_path, allow_unsafe=config.allow_unsafe)
    float_eval = _compile(float_model, run.num_classes, run.info.ignore_label).evaluate(
        run.val_data, verbose=0, return_dict=True)

    qat_model, qat_dir, train_seconds, resumed_from = fine_tune(config, run, float_model,
                                                                verbose)
    files, float_fallback_ops = export_files(config, run, float_model, qat_model, qat_dir)
    checks, reports = check_files(config, run, files)
    mean_iou = evaluate(run, float_eval, qat_model, files)
    timing = {"qat_steps": config.steps, "resumed_from_step": resumed_from,
              "qat_train_seconds_this_process": round(train_seconds, 3),
              "wall_seconds": round(time.time() - started, 3)}
    return write_summary(config, run, mean_iou, files, float_fallback_ops, checks, reports,
                         timing)
