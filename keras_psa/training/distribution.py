"""tf.distribute strategies by name, and which worker writes the outputs."""

import json
import os

import tensorflow as tf

from keras_psa.keras_flavor import USING_TF_KERAS

STRATEGIES = ("default", "mirrored", "multiworker", "tpu")


def get_strategy(name="default", tpu=None):
    """Returns the `tf.distribute.Strategy` called `name`.

    Args:
        name: `"default"` (no distribution), `"mirrored"` (all local
            GPUs, or all logical CPU devices when there is no GPU),
            `"multiworker"` (`MultiWorkerMirroredStrategy`, cluster from the
            `TF_CONFIG` environment variable; tf_keras only: Keras 3's `fit`
            does not support it, keras-team/keras#20585) or `"tpu"`
            (`TPUStrategy`).
        tpu: TPU name or address for `"tpu"` (None: the local / Colab TPU).
    """
    if name not in STRATEGIES:
        raise ValueError(f"`strategy` must be one of {STRATEGIES}. Received: strategy={name!r}")
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        devices = None
        if not tf.config.list_logical_devices("GPU"):
            devices = [device.name for device in tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(devices=devices)
    if name == "multiworker":
        if not USING_TF_KERAS:
            raise ValueError(
                "`strategy='multiworker'` needs tf_keras: Keras 3's `fit` fails under "
                "MultiWorkerMirroredStrategy ('Attempt to convert a value (PerReplica...)', "
                "keras-team/keras#20585). Start every worker with TF_USE_LEGACY_KERAS=1 "
                "(tf-keras is a dependency of keras-psa)."
            )
        if "TF_CONFIG" not in os.environ:
            raise ValueError(
                "`strategy='multiworker'` reads the cluster from the TF_CONFIG environment "
                "variable, which is not set. Set it on every worker, e.g. "
                '{"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
                '"task": {"type": "worker", "index": 0}}.'
            )
        return tf.distribute.MultiWorkerMirroredStrategy()
    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu or "")
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
    except (ValueError, RuntimeError, tf.errors.OpError) as error:
        raise ValueError(
            f"`strategy='tpu'` found no TPU (tpu={tpu!r}): {error}. Run on a TPU VM or "
            "Colab TPU runtime, pass the TPU name/address, or use another strategy."
        ) from error
    return tf.distribute.TPUStrategy(resolver)


def is_chief():
    """Whether this process writes the outputs (always, unless TF_CONFIG says otherwise)."""
    config = json.loads(os.environ.get("TF_CONFIG") or "{}")
    task = config.get("task") or {}
    task_type = task.get("type")
    if task_type is None:
        return True
    if task_type == "chief":
        return True
    return task_type == "worker" and task.get("index", 0) == 0 and (
        "chief" not in config.get("cluster", {})
    )


def worker_id():
    """`"chief"` or `"<type>_<index>"` from TF_CONFIG, to keep worker files apart."""
    task = (json.loads(os.environ.get("TF_CONFIG") or "{}").get("task")) or {}
    if is_chief():
        return "chief"
    return f"{task.get('type')}_{task.get('index', 0)}"
