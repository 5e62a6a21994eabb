"""Train anywhere, ship through TFLite: a PSA segmentation model trained under JAX.

Keras 3 fixes its backend once per process, so the two halves run in two:

1. this process (KERAS_BACKEND=jax, or --backend torch): build a small
   MobileNetV3 + Lite R-ASPP model with PSA, train it a few steps on
   `keras_psa.data`'s shapes scenes, save it as `.keras`;
2. a TensorFlow process: `keras-psa-convert` loads that file, converts it to
   float32 TFLite and runs its checks (GPU-delegate ops, XNNPACK delegation,
   Keras-vs-TFLite parity), exit code 1 if one fails (`--strict`).

Run with `python examples/train_on_jax.py --output-dir runs/jax_to_tflite`
(about a minute on a laptop CPU). Outputs: `model.keras`, `model.tflite` and
its `model.report.md`, and `sample_input.npy` / `sample_output.npy`
(what the trained model gives under JAX, for comparing after the hand-over).
"""

import argparse
import json
import os
import subprocess
import sys


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output-dir", default="runs/jax_to_tflite")
    parser.add_argument("--backend", choices=["jax", "torch"], default="jax",
                        help="Keras backend to train on (default jax)")
    parser.add_argument("--steps", type=int, default=20, help="training steps (default 20)")
    parser.add_argument("--image-size", type=int, default=64)
    return parser.parse_args(argv)


def train(args):
    """Builds, trains and saves the model under `args.backend`; returns the summary."""
    import keras
    import numpy as np

    from keras_psa.data import load_dataset
    from keras_psa.models import build_segmentation_model
    from keras_psa.training import segmentation_loss

    keras.utils.set_random_seed(0)
    size = (args.image_size, args.image_size)
    data, info = load_dataset("shapes", size, 4, seed=0, repeat=True)
    model = build_segmentation_model(
        "mobilenet_v3_small", info.num_classes, input_shape=(*size, 3), alpha=0.75,
        head_filters=16, attention="psa_p", attention_positions=("head",),
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=segmentation_loss())
    # numpy batches: the same code then runs on every backend, with or without tf.data.
    batches = [(np.asarray(x), np.asarray(y)) for x, y in data.take(args.steps).as_numpy_iterator()]
    images = np.concatenate([x for x, _ in batches])
    labels = np.concatenate([y for _, y in batches])
    before = [np.array(w) for w in model.get_weights()]
    history = model.fit(images, labels, batch_size=4, epochs=2, shuffle=False, verbose=2)
    moved = sum(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))

    os.makedirs(args.output_dir, exist_ok=True)
    model.save(os.path.join(args.output_dir, "model.keras"))
    sample = images[:2]
    np.save(os.path.join(args.output_dir, "sample_input.npy"), sample)
    np.save(os.path.join(args.output_dir, "sample_output.npy"),
            keras.ops.convert_to_numpy(model(sample, training=False)))
    summary = {"backend": keras.backend.backend(), "loss": history.history["loss"],
               "weights_moved": moved, "weights": len(before)}
    with open(os.path.join(args.output_dir, "train_summary.json"), "w") as file:
        json.dump(summary, file, indent=2)
    return summary


def convert(output_dir):
    """Converts model.keras in a TensorFlow process; returns the converter's exit code."""
    env = dict(os.environ, KERAS_BACKEND="tensorflow")
    env.pop("TF_USE_LEGACY_KERAS", None)
    command = [sys.executable, "-m", "keras_psa.cli.convert",
               os.path.join(output_dir, "model.keras"),
               "--output", os.path.join(output_dir, "model.tflite"),
               "--checks", "gpu-static", "xnnpack", "parity", "--strict"]
    return subprocess.run(command, env=env).returncode


def main(argv=None):
    args = parse_args(argv)
    # Keras reads KERAS_BACKEND when it is first imported: set it before.
    os.environ["KERAS_BACKEND"] = args.backend
    summary = train(args)
    print(f"trained under {summary['backend']}: loss {summary['loss'][0]:.3f} -> "
          f"{summary['loss'][-1]:.3f}", flush=True)
    code = convert(args.output_dir)
    print(f"keras-psa-convert exit code {code}: "
          f"{os.path.join(args.output_dir, 'model.report.md')}", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
