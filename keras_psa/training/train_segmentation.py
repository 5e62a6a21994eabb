"""A resumable, distributable training run of a segmentation model."""

import dataclasses
import json
import os
import platform
import sys
import time

import numpy as np
import tensorflow as tf

from keras_psa.data import load_dataset
from keras_psa.data import validation_examples
from keras_psa.keras_flavor import USING_TF_KERAS
from keras_psa.keras_flavor import keras
from keras_psa.keras_flavor import require_tensorflow_backend
from keras_psa.models import ArchitectureSpec
from keras_psa.models import model_complexity
from keras_psa.training.distribution import get_strategy
from keras_psa.training.distribution import is_chief
from keras_psa.training.distribution import worker_id
from keras_psa.training.learning_rate import learning_rate_schedule
from keras_psa.training.optimizer_variables import build_optimizer_variables
from keras_psa.training.resumable_backup import ResumableBackup
from keras_psa.training.segmentation_loss import segmentation_loss
from keras_psa.training.segmentation_metrics import per_class_iou
from keras_psa.training.segmentation_metrics import segmentation_metrics
from keras_psa.training.segmentation_pictures import psa_layers
from keras_psa.training.segmentation_pictures import save_attention_maps
from keras_psa.training.segmentation_pictures import save_predictions
from keras_psa.training.train_config import TrainConfig
from keras_psa.training.training_log import best_logged
from keras_psa.training.training_log import read_log
from keras_psa.training.training_log import trim_log

MONITOR = "val_mean_iou"


def _mixed_policy():
    return "mixed_float16" if tf.config.list_logical_devices("GPU") else "mixed_bfloat16"


def _build_and_compile(config, info, strategy, total_steps):
    with strategy.scope():
        model = ArchitectureSpec.from_config(config).build_segmentation_model(
            info.num_classes, input_shape=(config.image_size, config.image_size, 3))
        if config.bn_momentum is not None:
            for layer in model.layers:
                if isinstance(layer, keras.layers.BatchNormalization):
                    layer.momentum = float(config.bn_momentum)
        schedule = learning_rate_schedule(
            config.schedule, config.learning_rate, total_steps, config.warmup_steps
        )
        model.compile(
            optimizer=keras.optimizers.AdamW(schedule, weight_decay=config.weight_decay),
            loss=segmentation_loss(info.ignore_label),
            metrics=segmentation_metrics(info.num_classes, info.ignore_label),
        )
        build_optimizer_variables(model)
    return model


def _tensorboard(log_dir):
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        print("tensorboard is not installed: no TensorBoard logs (pip install tensorboard).",
              file=sys.stderr)
        return []
    return [keras.callbacks.TensorBoard(log_dir)]


def _fit_verbosity(verbose):
    if verbose == "auto":
        return 1 if sys.stdout.isatty() else 2
    return int(verbose)


def train_segmentation(config, verbose="auto"):
    """Trains a segmentation model as `config` says and writes its outputs.

    The run is fault tolerant: a `ResumableBackup` in `output_dir/backup`
    holds weights and optimizer state every `backup_steps` steps and at each
    epoch end; a run started again with the same config after a crash (even
    SIGKILL) continues at that step, with the data stream started there too
    (`load_dataset(repeat=True, start_step=...)`), and ends where an
    uninterrupted run ends.

    Outputs in `output_dir`: `model.keras` (final), `best.keras` (best
    validation mean IoU), `training_log.csv`, `tensorboard/`,
    `summary.json` (metrics, params, MACs, timing, config),
    `predictions.png` and one `attention_<layer>.png` per PSA layer.

    Args:
        config: a `TrainConfig`.
        verbose: Keras `fit` verbosity; `"auto"`: progress bar on a
            terminal, one line per epoch otherwise.

    Returns:
        The summary dict (also written to `summary.json`).
    """
    # tf.distribute strategies, op determinism and the TensorFlow checkpoints of
    # ResumableBackup: the trainer is TensorFlow. Build and `fit` directly elsewhere.
    require_tensorflow_backend("keras_psa.training.train_segmentation")
    if not isinstance(config, TrainConfig):
        raise TypeError(f"`config` must be a TrainConfig. Received: config={config!r}")
    config.validate()
    started = time.time()
    previous_policy = keras.mixed_precision.global_policy()
    keras.backend.clear_session()
    keras.utils.set_random_seed(config.seed)
    if config.deterministic:
        tf.config.experimental.enable_op_determinism()
    if config.mixed_precision:
        keras.mixed_precision.set_global_policy(_mixed_policy())
    try:
        return _train(config, verbose, started)
    finally:
        keras.mixed_precision.set_global_policy(previous_policy)


def _train(config, verbose, started):
    strategy = get_strategy(config.strategy, config.tpu)
    chief = is_chief()
    output_dir = config.output_dir
    # Non-chief workers of a multi-worker run keep their files apart.
    work_dir = output_dir if chief else os.path.join(output_dir, "workers", worker_id())
    os.makedirs(work_dir, exist_ok=True)

    data_args = dict(name=config.dataset, image_size=config.image_size,
                     batch_size=config.batch_size, seed=config.data_seed)
    _, info = load_dataset(**data_args, split="train", num_examples=config.train_examples)
    val_data, val_info = load_dataset(**data_args, split="val", drop_remainder=False,
                                      num_examples=config.val_examples)
    # Known length: Keras then does not warn that the validation data "ran out".
    val_data = val_data.apply(tf.data.experimental.assert_cardinality(val_info.steps_per_epoch))
    steps_per_epoch = config.steps_per_epoch or info.steps_per_epoch
    total_steps = config.epochs * steps_per_epoch
    model = _build_and_compile(config, info, strategy, total_steps)

    backup = ResumableBackup(os.path.join(work_dir, "backup"), save_freq=config.backup_steps)
    with strategy.scope():
        resumed_from = backup.restore(model)
    log_path = os.path.join(work_dir, "training_log.csv")
    epoch, offset = divmod(resumed_from, steps_per_epoch)
    if resumed_from:
        trim_log(log_path, epoch)
        print(f"Resuming at step {resumed_from} (epoch {epoch + 1}, batch {offset}) "
              f"from {backup.backup_dir}", flush=True)
    else:
        # A fresh run must not append to the log of an earlier, finished one.
        if os.path.exists(log_path):
            os.remove(log_path)
    best_path = os.path.join(work_dir, "best.keras")
    callbacks = [
        keras.callbacks.ModelCheckpoint(
            best_path, monitor=MONITOR, mode="max", save_best_only=True,
            initial_value_threshold=best_logged(log_path, MONITOR),
        ),
        keras.callbacks.CSVLogger(log_path, append=True),
        *_tensorboard(os.path.join(work_dir, "tensorboard")),
        backup,  # last: its epoch-end backup comes after the CSV row and best model
    ]

    train_started = time.time()
    while epoch < config.epochs:
        # One fit for the rest of an interrupted epoch, then one for the others:
        # Keras keeps the endless stream's iterator across the epochs of a fit.
        train_data, _ = load_dataset(
            **data_args, split="train", num_examples=config.train_examples, repeat=True,
            start_step=epoch * steps_per_epoch + offset,
        )
        last = epoch + 1 if offset else config.epochs
        model.fit(train_data, validation_data=val_data, initial_epoch=epoch, epochs=last,
                  steps_per_epoch=steps_per_epoch - offset, callbacks=callbacks,
                  shuffle=False, verbose=_fit_verbosity(verbose))
        epoch, offset = last, 0
    train_seconds = time.time() - train_started
    steps_here = total_steps - resumed_from

    evaluated = model.evaluate(val_data, verbose=0, return_dict=True)
    mean_iou_metric = next(m for m in _flat_metrics(model) if m.name == "mean_iou")
    class_iou = per_class_iou(mean_iou_metric)

    summary = {
        "config": dataclasses.asdict(config),
        "dataset": {
            "name": info.name, "num_classes": info.num_classes,
            "class_names": list(info.class_names), "image_size": list(info.image_size),
            "train_examples": info.num_examples, "val_examples": val_info.num_examples,
            "steps_per_epoch": steps_per_epoch, "ignore_label": info.ignore_label,
        },
        "model": {"name": model.name, **model_complexity(model)},
        "val": {key: float(value) for key, value in evaluated.items()},
        "val_per_class_iou": {
            name: (None if np.isnan(iou) else float(iou))
            for name, iou in zip(info.class_names, class_iou)
        },
        "best": _best_epoch(log_path),
        "history": read_log(log_path),
        "timing": {
            "total_steps": total_steps,
            "resumed_from_step": resumed_from,
            "steps_this_process": steps_here,
            "train_seconds_this_process": round(train_seconds, 3),
            "seconds_per_step": round(train_seconds / steps_here, 5) if steps_here else None,
            "wall_seconds_this_process": None,
        },
        "environment": {
            "tensorflow": tf.__version__, "keras": keras.__version__,
            "keras_flavor": "tf_keras" if USING_TF_KERAS else "keras3",
            "strategy": config.strategy, "replicas": strategy.num_replicas_in_sync,
            "mixed_precision_policy": keras.mixed_precision.global_policy().name,
            "python": platform.python_version(),
        },
        "files": {},
    }
    # Every worker saves: under MultiWorkerMirroredStrategy reading the variables
    # runs collective ops that hang unless all workers take part. Others write
    # into their own folder.
    files = _write_outputs(model, config, info, work_dir, best_path)
    if chief:
        summary["files"] = files
        summary["timing"]["wall_seconds_this_process"] = round(time.time() - started, 3)
        with open(os.path.join(output_dir, "summary.json"), "w") as file:
            json.dump(summary, file, indent=2)
    backup.delete()  # the run is complete; a restart now trains from scratch
    return summary


def _flat_metrics(model):
    found = []
    for metric in model.metrics:
        found.append(metric)
        found.extend(getattr(metric, "metrics", []))  # Keras 3 CompileMetrics container
    return found


def _best_epoch(log_path):
    rows = [row for row in read_log(log_path) if MONITOR in row]
    if not rows:
        return None
    best = max(rows, key=lambda row: row[MONITOR])
    return {"epoch": best["epoch"] + 1, MONITOR: best[MONITOR]}


def _write_outputs(model, config, info, output_dir, best_path):
    files = {"best_model": best_path if os.path.exists(best_path) else None}
    final_path = os.path.join(output_dir, "model.keras")
    model.save(final_path)
    files["model"] = final_path
    files["training_log"] = os.path.join(output_dir, "training_log.csv")
    files["tensorboard"] = os.path.join(output_dir, "tensorboard")
    if config.num_pictures:
        images, masks = validation_examples(config.dataset, config.image_size,
                                            count=config.num_pictures, seed=config.data_seed)
        files["predictions"] = save_predictions(
            model, images, masks, os.path.join(output_dir, "predictions.png"),
            info.class_names, info.ignore_label,
        )
        files["attention_maps"] = [
            save_attention_maps(model, layer, images,
                                os.path.join(output_dir, f"attention_{layer.name}.png"))
            for layer in psa_layers(model)
        ]
    return files
