"""QAT fine-tuning of a float model trained under Keras 3, to int8 TFLite.

Runs in a tf_keras process (tfmot needs it). The float run's `summary.json`
holds the builder arguments (`ArchitectureSpec`) and the task (segmentation
or keypoint heatmaps), so the same architecture is built here and the Keras 3
weights are handed over (`load_keras3_weights`).
"""

import dataclasses
import json
import os
import sys
import time

import tensorflow as tf

from keras_psa import export
from keras_psa.export.atomic_write import write_bytes_atomically
from keras_psa.export.conversion.keras_converter import keras_converter
from keras_psa.export.conversion.quantization_mode import GPU_TOLERANCE
from keras_psa.export.metadata import write_heatmap_metadata
from keras_psa.export.metadata import write_segmenter_metadata
from keras_psa.export.tflite.float_islands import float_islands
from keras_psa.keras_flavor import keras
from keras_psa.quantization.integer_bias_grid import snap_biases_to_integer_grid
from keras_psa.quantization.keras3_handover import load_keras3_weights
from keras_psa.quantization.qat_config import QATConfig
from keras_psa.quantization.qat_files import FILE_NAMES
from keras_psa.quantization.qat_files import PTQ_FILES
from keras_psa.quantization.qat_files import SAME_OP_SET
from keras_psa.quantization.qat_task import qat_task
from keras_psa.quantization.quantize_model import quantize_model
from keras_psa.quantization.quantize_model import quantize_scope
from keras_psa.quantization.range_calibration import calibrate_quantization_ranges
from keras_psa.quantization.require_tf_keras import require_tf_keras
from keras_psa.saving import load_model
from keras_psa.training import ResumableBackup
from keras_psa.training import learning_rate_schedule
from keras_psa.training.optimizer_variables import build_optimizer_variables

RUN_SCRIPTS = "keras-psa-train or keras-psa-train-keypoints"


def read_float_run(float_run, checkpoint="model"):
    """Returns `(keras_path, summary)` of a `train_segmentation` or `train_keypoints` run.

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
            f"`float_run` must be the output folder of {RUN_SCRIPTS} (with summary.json and "
            "model.keras) or a .keras file in such a folder. "
            f"Received: float_run={path} (model {model_path}, summary {summary_path})"
        )
    with open(summary_path) as file:
        summary = json.load(file)
    if "config" not in summary or "dataset" not in summary:
        raise ValueError(f"{summary_path} is not a training summary of {RUN_SCRIPTS} "
                         "(no config).")
    return model_path, summary


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


def _inbound_positions(model, layer):
    """Positions in `model.layers` of the layers feeding `layer`'s first call, in call
    order (positions, not names: auto-generated names carry a per-process counter)."""
    if not layer._inbound_nodes:
        return []
    inbound = layer._inbound_nodes[0].inbound_layers
    inbound = inbound if isinstance(inbound, (list, tuple)) else [inbound]
    positions = {id(found): index for index, found in enumerate(model.layers)}
    return [positions.get(id(found)) for found in inbound]


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
        found_inputs = _inbound_positions(source, source_layer)
        wanted_inputs = _inbound_positions(target, target_layer)
        if found_inputs != wanted_inputs:
            # quantize_model before the fix of tfmot#1179 permuted a Concatenate's
            # inputs: such weights computed another function in the rebuilt model.
            raise ValueError(
                f"Layer {source_layer.name} of the QAT model takes its inputs from the "
                f"layers at {found_inputs}, its rebuilt copy from {wanted_inputs}: the QAT "
                "model was made by an older "
                "keras-psa (tfmot reordered a Concatenate's inputs). Delete its "
                "qat_savedmodel/ (and backup/) and fine-tune again."
            )
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


def _static_qat_copy(task, qat_model):
    """The QAT model rebuilt on a batch-1 input (constant shapes for the GPU
    delegate), holding `qat_model`'s weights and quantization ranges, its
    biases on the int8 model's int32 grid."""
    static = quantize_model(task.build(batch_size=1))
    _copy_weights_layer_by_layer(qat_model, static)
    # The exported model and the Keras model it is checked against add the same biases.
    snap_biases_to_integer_grid(static)
    return static


def convert_qat_model(qat_model, output_path, *, labels=None, keypoint_names=None):
    """The documented tfmot flow: `Optimize.DEFAULT`, no representative data.

    With `labels`, the file gets the segmenter metadata MediaPipe Tasks reads
    (the models take raw pixels 0..255), with `keypoint_names` the heatmap
    metadata; `xnnpack_float_fallback` keeps either.
    """
    if labels is not None and keypoint_names is not None:
        raise ValueError("Pass `labels` (a segmenter) or `keypoint_names` (heatmaps), not both. "
                         f"Received: labels={labels!r}, keypoint_names={keypoint_names!r}")
    with keras_converter(qat_model) as converter:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        tflite_bytes = converter.convert()
    if labels is not None:
        tflite_bytes = write_segmenter_metadata(tflite_bytes, labels=labels,
                                                name=qat_model.name)
    elif keypoint_names is not None:
        tflite_bytes = write_heatmap_metadata(tflite_bytes, keypoint_names=keypoint_names,
                                              name=qat_model.name)
    write_bytes_atomically(output_path, tflite_bytes)
    return tflite_bytes


def device_checks(tflite_path, keras_model, images, gpu_run=True, int8_steps=None):
    """Static GPU rules, the real GPU accelerator (fp32), fp16 as phone GPUs compute,
    XNNPACK and Keras parity.

    `images`: validation images `(N, H, W, 3)`; the GPU run takes the first,
    parity all of them. `int8_steps`: judge parity in output steps (a
    fake-quant `keras_model`).
    """
    checks = [export.check_gpu_compatibility(tflite_path)]
    if gpu_run:
        checks.append(export.run_gpu_accelerator(tflite_path, images=images,
                                                 tolerance=GPU_TOLERANCE["int8"]))
    checks.append(export.check_gpu_fp16(tflite_path, images=images,
                                        pixel_range=_pixel_range(keras_model)))
    checks.append(export.check_xnnpack_delegation(tflite_path))
    checks.append(export.check_keras_parity(keras_model, tflite_path, images=images,
                                            int8_steps=int8_steps))
    return checks


def _pixel_range(keras_model):
    from keras_psa.export.conversion.input_range import model_input_range

    # The package's models take 0..255 (a Rescaling at their input says so).
    return model_input_range(keras_model) or (0.0, 255.0)


def results_table(results, task):
    """Markdown table of the validation scores of each model; `task`: its `qat_task`."""
    return "\n".join(task.results_lines(results)) + "\n"


def _run_task(config):
    """`(float_path, task)` of the float run, its data checked against the model."""
    float_path, float_summary = read_float_run(config.float_run, config.checkpoint)
    task = qat_task(float_summary, config)
    task.check_data()
    return float_path, task


def quantize_with_frozen_batch_norm(float_model):
    """`quantize_model(float_model)` with every BatchNormalization layer frozen
    (`trainable=False`: under tf_keras it then also runs in inference mode).

    tfmot's 8-bit scheme keeps a BatchNormalization after each convolution as a
    layer of its own: trained, it normalizes each batch with that batch's
    statistics and moves its moving averages, while the converted model folds the
    moving averages into the convolution. Frozen, the fine-tune trains the other
    weights under the statistics, scale and offset the int8 file will use. The
    flag is set before tfmot wraps the layers: a wrapper built around a trainable
    layer keeps training its weights whatever the layer's flag says later.
    `float_model` is left as it was.

    Returns:
        `(qat_model, number of frozen layers)`.
    """
    norms = [layer for layer in float_model.layers
             if isinstance(layer, keras.layers.BatchNormalization) and layer.trainable]
    try:
        for layer in norms:
            layer.trainable = False
        qat_model = quantize_model(float_model)
    finally:
        for layer in norms:
            layer.trainable = True
    return qat_model, len(norms)


def _train(config, task, float_model, qat_dir, verbose):
    """Quantizes and fine-tunes `float_model` (resumable), saves the SavedModel;
    returns `(qat_model, train_seconds, resumed_from)`."""
    if config.freeze_batch_norm:
        qat_model, count = quantize_with_frozen_batch_norm(float_model)
        print(f"Froze {count} BatchNormalization layers", flush=True)
    else:
        qat_model = quantize_model(float_model)
    schedule = learning_rate_schedule("cosine", config.learning_rate, config.steps)
    task.compile(qat_model, keras.optimizers.AdamW(schedule))
    build_optimizer_variables(qat_model)
    backup = ResumableBackup(os.path.join(config.output_dir, "backup"),
                             save_freq=config.backup_steps)
    resumed_from = backup.restore(qat_model)
    if resumed_from:
        print(f"Resuming QAT at step {resumed_from} from {backup.backup_dir}", flush=True)
    elif config.calibration_batches:
        images = task.calibration_images(config.calibration_batches)
        count = calibrate_quantization_ranges(qat_model, images, config.batch_size)
        print(f"Set {count} activation ranges from {len(images)} training images", flush=True)
    epochs = -(-config.steps // config.steps_per_epoch)
    epoch, offset = divmod(resumed_from, config.steps_per_epoch)
    fit_verbose = (1 if sys.stdout.isatty() else 2) if verbose == "auto" else int(verbose)
    train_started = time.time()
    while epoch < epochs:
        # The stream restarts at the backup's step: a resumed run sees the same batches.
        train_data = task.train_stream(epoch * config.steps_per_epoch + offset)
        last = epoch + 1 if offset else epochs
        qat_model.fit(train_data, validation_data=task.val_data()[0], initial_epoch=epoch,
                      epochs=last, steps_per_epoch=config.steps_per_epoch - offset,
                      callbacks=[backup], verbose=fit_verbose)
        epoch, offset = last, 0
    train_seconds = time.time() - train_started
    # SavedModel: a tfmot QAT model saved as .keras does not reload (tf_keras 2.21).
    qat_model.save(qat_dir + ".partial", save_format="tf", include_optimizer=False)
    os.replace(qat_dir + ".partial", qat_dir)
    backup.delete()
    return qat_model, train_seconds, resumed_from


def fine_tune(config, task, float_model, verbose="auto"):
    """Step 1: the fine-tuned QAT model, `(qat_model, qat_dir, train_seconds,
    resumed_from)`; a finished run's `qat_savedmodel/` is loaded, not trained again."""
    qat_dir = os.path.join(config.output_dir, "qat_savedmodel")
    if not os.path.isfile(os.path.join(qat_dir, "saved_model.pb")):
        qat_model, train_seconds, resumed_from = _train(config, task, float_model, qat_dir,
                                                        verbose)
        return qat_model, qat_dir, train_seconds, resumed_from
    print(f"Loading the finished QAT model {qat_dir} (delete it to fine-tune again)",
          flush=True)
    with quantize_scope():
        qat_model = load_model(qat_dir)
    task.compile(qat_model)
    return qat_model, qat_dir, 0.0, None


def export_files(config, task, float_path, float_model, qat_model, qat_dir):
    """Step 2: writes qat_int8, qat_int8_xnnpack and the post-training files `PTQ_FILES`
    (none when `config.ptq_samples` is 0).

    Returns `{name: (path, Keras reference, conversion facts)}` in check order,
    and the ops the XNNPACK file runs in float.
    """
    qat_path = os.path.join(config.output_dir, "qat_int8.tflite")
    qat_xnnpack_path = os.path.join(config.output_dir, "qat_int8_xnnpack.tflite")
    static_qat = _static_qat_copy(task, qat_model)
    qat_bytes = convert_qat_model(static_qat, qat_path, **task.metadata())
    # XNNPACK has no int8 SOFTMAX / RSQRT / ...: the CPU file runs those few ops in
    # float between DEQUANTIZE and QUANTIZE so that XNNPACK takes the whole graph.
    xnnpack_bytes, float_fallback_ops = export.xnnpack_float_fallback(qat_bytes)
    write_bytes_atomically(qat_xnnpack_path, xnnpack_bytes)
    float_ops = "auto" if config.ptq_float_ops == "auto" else tuple(config.ptq_float_ops)
    static_float = task.build(batch_size=1)
    static_float.set_weights(float_model.get_weights())
    files = {
        "qat_int8": (qat_path, static_qat,
                     {"source": qat_dir, "flow": "QAT, Optimize.DEFAULT"}),
        "qat_int8_xnnpack": (qat_xnnpack_path, static_qat,
                             {"source": qat_path,
                              "flow": "qat_int8 with XNNPACK's missing int8 ops in float",
                              "float_ops": float_fallback_ops}),
    }
    for name, options, flow in PTQ_FILES if config.ptq_samples else ():
        path = os.path.join(config.output_dir, f"{name}.tflite")
        export.convert_model(float_model, path, quantization="int8",
                             representative=task.representative(),
                             num_calibration_samples=config.ptq_samples,
                             float_ops=float_ops, **options, **task.metadata())
        files[name] = (path, static_float,
                       {"source": float_path, "flow": flow, "representative": task.dataset,
                        "float_ops": list(float_ops) if float_ops != "auto" else "auto",
                        **{key: list(v) if isinstance(v, tuple) else v
                           for key, v in options.items()}})
    return files, float_fallback_ops


def op_sets(files):
    """For each QAT file and the post-training file of `SAME_OP_SET`: the ops each
    computes in float (the float islands, `float_islands`) and whether they are the
    same. QAT graphs differ in form (hard-swish decomposed for int8), so the islands,
    not the whole op histograms, say whether the two are compared like with like."""
    found = {}
    for qat, ptq in SAME_OP_SET.items():
        if qat in files and ptq in files:
            islands = [float_islands(files[name][0]) for name in (qat, ptq)]
            found[qat] = {"ptq": ptq, "qat_float_ops": islands[0], "ptq_float_ops": islands[1],
                          "equal": islands[0] == islands[1]}
    return found


def check_files(config, task, files):
    """Step 3: device checks of every file, with a report beside each.

    Returns `(checks, reports)`: the checks as dicts, the report paths; both
    empty when `config.device_checks` is False.
    """
    checks, reports = {}, {}
    if not config.device_checks:
        return checks, reports
    images = task.parity_images()
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


def evaluate(task, float_model, qat_model, files, float_score=None):
    """Step 4: validation scores of the Keras models and of every file (mean IoU;
    for keypoints OKS AP, PCK and the keypoint shift from float Keras and, for the
    QAT files, from fake-quant Keras).
    `float_score`: the float model's, when measured already."""
    if float_score is None:
        float_score = task.score_keras(float_model, float_model)
    scores = {"float (Keras)": float_score,
              "QAT fake-quant (Keras)": task.score_keras(qat_model, float_model, qat_model)}
    for name, (path, _, _) in files.items():
        # A QAT file is converted from the fake-quant model; a PTQ file from the float one.
        reference = qat_model if name.startswith("qat") else None
        scores[FILE_NAMES[name]] = task.score_tflite(path, float_model, reference)
    return scores


def write_summary(config, task, float_path, scores, files, float_fallback_ops, checks,
                  reports, timing):
    """Step 5: qat_summary.json and qat_summary.md in `output_dir`; returns the dict."""
    paths = {name: path for name, (path, _, _) in files.items()}
    val_info = task.val_data()[1]
    size = "x".join(str(v) for v in task.input_shape[:2])
    summary = {
        "task": task.kind,
        "config": dataclasses.asdict(config),
        "float_model": float_path,
        "dataset": {"name": task.dataset, "image_size": task.image_size,
                    **task.dataset_facts(), "val_examples": val_info.num_examples},
        task.results_key: scores,
        "files": {"qat_savedmodel": files["qat_int8"][2]["source"], **paths,
                  "reports": reports},
        "sizes_bytes": {name: os.path.getsize(path) for name, path in paths.items()},
        "qat_int8_xnnpack_float_ops": float_fallback_ops,
        "same_op_set": op_sets(files),
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
        file.write(f"# QAT vs post-training int8 ({task.dataset}, {size})\n\n"
                   + results_table(scores, task)
                   + "\n## Device checks\n\n" + "\n".join(check_lines) + "\n")
    return summary


def qat_finetune(config, verbose="auto"):
    """Fine-tunes a float model with QAT and compares float, QAT and PTQ int8.

    The float run (segmentation or keypoint heatmaps) is rebuilt here with its
    Keras 3 weights, then five steps: `fine_tune` (`quantize_model`, activation
    ranges from a few training batches, resumable fine-tuning); `export_files`
    (`qat_int8.tflite`, every op int8, with `Optimize.DEFAULT`;
    `qat_int8_xnnpack.tflite`, the few int8 ops XNNPACK lacks in float; three
    post-training int8 files of the float model, `PTQ_FILES`, two of them with a
    QAT file's op set); `check_files`
    (device checks, a report beside each file); `evaluate` (validation mean
    IoU, or OKS AP, PCK and keypoint shift, of the Keras models and the
    files); `write_summary`.

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
    float_path, task = _run_task(config)
    os.makedirs(config.output_dir, exist_ok=True)
    keras.backend.clear_session()
    keras.utils.set_random_seed(config.seed)

    float_model = task.compile(task.build())
    load_keras3_weights(float_model, float_path, allow_unsafe=config.allow_unsafe)
    float_score = task.score_keras(float_model, float_model)

    qat_model, qat_dir, train_seconds, resumed_from = fine_tune(config, task, float_model,
                                                                verbose)
    files, float_fallback_ops = export_files(config, task, float_path, float_model, qat_model,
                                             qat_dir)
    checks, reports = check_files(config, task, files)
    scores = evaluate(task, float_model, qat_model, files, float_score)
    timing = {"qat_steps": config.steps, "resumed_from_step": resumed_from,
              "qat_train_seconds_this_process": round(train_seconds, 3),
              "wall_seconds": round(time.time() - started, 3)}
    return write_summary(config, task, float_path, scores, files, float_fallback_ops, checks,
                         reports, timing)
