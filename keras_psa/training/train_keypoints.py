"""A resumable, distributable training run of a keypoint-heatmap model."""

import dataclasses
import json
import os
import platform
import time

import tensorflow as tf

from keras_psa.data.load_keypoint_dataset import keypoint_examples
from keras_psa.data.load_keypoint_dataset import load_keypoint_dataset
from keras_psa.keras_flavor import USING_TF_KERAS
from keras_psa.keras_flavor import keras
from keras_psa.keras_flavor import require_tensorflow_backend
from keras_psa.models import ArchitectureSpec
from keras_psa.models import model_complexity
from keras_psa.training.distribution import get_strategy
from keras_psa.training.distribution import is_chief
from keras_psa.training.distribution import worker_id
from keras_psa.training.heatmap_mse import HeatmapMSE
from keras_psa.training.keypoint_evaluation import KeypointEvaluation
from keras_psa.training.keypoint_pictures import save_heatmaps
from keras_psa.training.keypoint_pictures import save_skeletons
from keras_psa.training.keypoint_train_config import KeypointTrainConfig
from keras_psa.training.learning_rate import learning_rate_schedule
from keras_psa.training.optimizer_variables import build_optimizer_variables
from keras_psa.training.resumable_backup import ResumableBackup
from keras_psa.training.segmentation_pictures import psa_layers
from keras_psa.training.segmentation_pictures import save_attention_maps
from keras_psa.training.train_segmentation import _fit_verbosity
from keras_psa.training.train_segmentation import _mixed_policy
from keras_psa.training.train_segmentation import _tensorboard
from keras_psa.training.training_log import best_logged
from keras_psa.training.training_log import read_log
from keras_psa.training.training_log import trim_log

MONITOR = "val_oks_ap"
TASK = "keypoints"


def build_keypoint_model(config, num_joints, batch_size=None):
    """The heatmap model a `KeypointTrainConfig` (or its dict) describes.

    Configs written before `output_stride` existed predicted at the input's
    resolution, and rebuild so.
    """
    config = config if isinstance(config, dict) else dataclasses.asdict(config)
    height, width = config["image_size"]
    return ArchitectureSpec.from_config(config).build_heatmap_model(
        num_joints, input_shape=(height, width, 3), activation=config["activation"],
        output_stride=config.get("output_stride", 1), batch_size=batch_size)


def _build_and_compile(config, num_joints, strategy, total_steps):
    with strategy.scope():
        model = build_keypoint_model(config, num_joints)
        if config.bn_momentum is not None:
            for layer in model.layers:
                if isinstance(layer, keras.layers.BatchNormalization):
                    layer.momentum = float(config.bn_momentum)
        schedule = learning_rate_schedule(
            config.schedule, config.learning_rate, total_steps, config.warmup_steps)
        model.compile(
            optimizer=keras.optimizers.AdamW(schedule, weight_decay=config.weight_decay),
            loss=HeatmapMSE(foreground_weight=config.foreground_weight))
        build_optimizer_variables(model)
    return model


def train_keypoints(config, verbose="auto"):
    """Trains a keypoint-heatmap model as `config` says and writes its outputs.

    Fault tolerant like `train_segmentation` (a `ResumableBackup` every
    `backup_steps` steps; a restarted run continues at that step and ends where
    an uninterrupted run ends). The validation split is scored at every epoch
    end with COCO OKS AP (pycocotools' COCOeval, the skeleton's sigmas) and
    PCK@0.1 (`KeypointEvaluation`); the best OKS AP keeps `best.keras`.

    Outputs in `output_dir`: `model.keras`, `best.keras`, `training_log.csv`,
    `tensorboard/`, `summary.json` (OKS AP / AP50 / AP75 / AR, PCK, per-joint
    PCK, params, MACs, timing, config, skeleton), `skeletons.png`
    (predicted vs labelled skeletons), `heatmaps.png` and one
    `attention_<layer>.png` per PSA layer.

    Args:
        config: a `KeypointTrainConfig`.
        verbose: Keras `fit` verbosity; `"auto"`: progress bar on a terminal.

    Returns:
        The summary dict (also written to `summary.json`).
    """
    # tf.distribute strategies, op determinism and the TensorFlow checkpoints of
    # ResumableBackup: the trainer is TensorFlow. Build and `fit` directly elsewhere.
    require_tensorflow_backend("keras_psa.training.train_keypoints")
    if not isinstance(config, KeypointTrainConfig):
        raise TypeError(
            f"`config` must be a KeypointTrainConfig. Received: config={config!r}")
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
    work_dir = output_dir if chief else os.path.join(output_dir, "workers", worker_id())
    os.makedirs(work_dir, exist_ok=True)

    image_size = tuple(config.image_size)
    # The targets are rendered at the size the model predicts at.
    heatmap_size = tuple(build_keypoint_model(config, 1).output_shape[1:3])
    data_args = dict(name=config.dataset, image_size=image_size,
                     batch_size=config.batch_size, seed=config.data_seed,
                     heatmap_size=heatmap_size, sigma=config.sigma)
    _, info = load_keypoint_dataset(**data_args, split="train",
                                    num_examples=config.train_examples, augment=config.flip)
    val_data, val_info = load_keypoint_dataset(**data_args, split="val", drop_remainder=False,
                                               num_examples=config.val_examples)
    val_data = val_data.apply(tf.data.experimental.assert_cardinality(val_info.steps_per_epoch))
    examples = keypoint_examples(config.dataset, image_size, split="val",
                                 seed=config.data_seed, num_examples=config.val_examples)
    steps_per_epoch = config.steps_per_epoch or info.steps_per_epoch
    total_steps = config.epochs * steps_per_epoch
    model = _build_and_compile(config, info.num_joints, strategy, total_steps)

    backup = ResumableBackup(os.path.join(work_dir, "backup"), save_freq=config.backup_steps)
    with strategy.scope():
        resumed_from = backup.restore(model)
    log_path = os.path.join(work_dir, "training_log.csv")
    epoch, offset = divmod(resumed_from, steps_per_epoch)
    if resumed_from:
        trim_log(log_path, epoch)
        print(f"Resuming at step {resumed_from} (epoch {epoch + 1}, batch {offset}) "
              f"from {backup.backup_dir}", flush=True)
    elif os.path.exists(log_path):
        os.remove(log_path)  # a fresh run must not append to an earlier run's log
    best_path = os.path.join(work_dir, "best.keras")
    evaluation = KeypointEvaluation(examples, info.sigma, batch_size=config.batch_size)
    callbacks = [
        evaluation,  # first: the checkpoint and the CSV row read its OKS AP
        keras.callbacks.ModelCheckpoint(
            best_path, monitor=MONITOR, mode="max", save_best_only=True,
            initial_value_threshold=best_logged(log_path, MONITOR)),
        keras.callbacks.CSVLogger(log_path, append=True),
        *_tensorboard(os.path.join(work_dir, "tensorboard")),
        backup,
    ]

    train_started = time.time()
    while epoch < config.epochs:
        train_data, _ = load_keypoint_dataset(
            **data_args, split="train", num_examples=config.train_examples, repeat=True,
            augment=config.flip, start_step=epoch * steps_per_epoch + offset)
        last = epoch + 1 if offset else config.epochs
        model.fit(train_data, validation_data=val_data, initial_epoch=epoch, epochs=last,
                  steps_per_epoch=steps_per_epoch - offset, callbacks=callbacks,
                  shuffle=False, verbose=_fit_verbosity(verbose))
        epoch, offset = last, 0
    train_seconds = time.time() - train_started
    steps_here = total_steps - resumed_from

    evaluated = model.evaluate(val_data, verbose=0, return_dict=True)
    scores, predictions = evaluation.evaluate(model)
    summary = {
        "task": TASK,
        "config": dataclasses.asdict(config),
        "dataset": {
            "name": info.name, "skeleton": info.skeleton.to_dict(),
            "num_joints": info.num_joints, "image_size": list(info.image_size),
            "heatmap_size": list(info.heatmap_size), "sigma": info.sigma,
            "train_examples": info.num_examples, "val_examples": val_info.num_examples,
            "steps_per_epoch": steps_per_epoch,
        },
        "model": {"name": model.name, **model_complexity(model)},
        "val": {"loss": float(evaluated["loss"]), "oks_ap": scores.ap,
                "oks_ap50": scores.ap50, "oks_ap75": scores.ap75, "oks_ar": scores.ar,
                "pck": scores.pck, "mean_error_px": scores.mean_error_px},
        "val_pck_per_joint": scores.pck_per_joint,
        "best": _best_epoch(log_path),
        "history": read_log(log_path),
        "timing": {
            "total_steps": total_steps, "resumed_from_step": resumed_from,
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
    files = _write_outputs(model, config, info, examples, predictions, work_dir, best_path)
    if chief:
        summary["files"] = files
        summary["timing"]["wall_seconds_this_process"] = round(time.time() - started, 3)
        with open(os.path.join(output_dir, "summary.json"), "w") as file:
            json.dump(summary, file, indent=2)
    backup.delete()
    return summary


def _best_epoch(log_path):
    rows = [row for row in read_log(log_path) if MONITOR in row]
    if not rows:
        return None
    best = max(rows, key=lambda row: row[MONITOR])
    return {"epoch": best["epoch"] + 1, MONITOR: best[MONITOR]}


def _write_outputs(model, config, info, examples, predictions, output_dir, best_path):
    files = {"best_model": best_path if os.path.exists(best_path) else None}
    final_path = os.path.join(output_dir, "model.keras")
    model.save(final_path)
    files["model"] = final_path
    files["training_log"] = os.path.join(output_dir, "training_log.csv")
    files["tensorboard"] = os.path.join(output_dir, "tensorboard")
    count = min(config.num_pictures, len(examples["images"]))
    if count:
        images = examples["images"][:count]
        files["skeletons"] = save_skeletons(
            images, predictions[:count], {k: examples[k][:count] for k in
                                          ("keypoints", "visibility")},
            os.path.join(output_dir, "skeletons.png"), info.skeleton)
        heatmaps = model.predict(images, verbose=0)
        files["heatmaps"] = save_heatmaps(images, heatmaps,
                                          os.path.join(output_dir, "heatmaps.png"),
                                          info.skeleton)
        files["attention_maps"] = [
            save_attention_maps(model, layer, images,
                                os.path.join(output_dir, f"attention_{layer.name}.png"))
            for layer in psa_layers(model)
        ]
    return files
