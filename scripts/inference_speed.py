"""Evaluation speed against the bare LiteRT invoke of the same file, side by side.

Builds MobileNetV3-Large + Lite R-ASPP at 256x256 (untrained: speed does not depend on the
weights), converts it to int8 with the package's converter, writes 640x480 JPEGs with their
masks as a `dir:` dataset, then alternates, round after round, (a) `keras-psa-evaluate`'s
scoring loop (decode JPEG and mask, letterbox, run, map the mask back to 640x480, confusion
matrix) and (b) `interpreter.invoke()` alone on one prepared input. Prints the median
images per second of each and their ratio (docs/inference.md).

    python scripts/inference_speed.py --work /tmp/inference_speed
"""

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work", default="/tmp/inference_speed",
                        help="folder for the model file and the JPEG dataset (reused)")
    parser.add_argument("--images", type=int, default=24)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    return parser.parse_args(argv)


def _model_file(work):
    path = os.path.join(work, "mobilenet_v3_large_lraspp_256_int8.tflite")
    if not os.path.isfile(path):
        from keras_psa.export import convert_model
        from keras_psa.models import build_segmentation_model

        model = build_segmentation_model("mobilenet_v3_large", 6, input_shape=(256, 256, 3),
                                         head="lraspp", batch_size=1)
        convert_model(model, path, quantization="int8", representative="shapes",
                      num_calibration_samples=8,
                      labels=[f"class_{i}" for i in range(6)])
    return path


def _dataset(work, count):
    from PIL import Image

    from keras_psa.data.shape_scenes import ShapeScenes

    root = os.path.join(work, "jpegs")
    if not os.path.isdir(root):
        scenes = ShapeScenes((480, 640), split="val", num_examples=count)
        for folder in ("images", "masks"):
            os.makedirs(os.path.join(root, folder))
        for index in range(count):
            image, mask = scenes[index]
            Image.fromarray(np.clip(image, 0, 255).astype(np.uint8)).save(
                os.path.join(root, "images", f"{index:04d}.jpg"), quality=90)
            Image.fromarray(mask.astype(np.uint8)).save(
                os.path.join(root, "masks", f"{index:04d}.png"))
        with open(os.path.join(root, "classes.txt"), "w") as file:
            file.write("\n".join(scenes.class_names) + "\n")
    return f"dir:{root}"


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.work, exist_ok=True)
    from keras_psa.cli.benchmark import cpu_description
    from keras_psa.inference import Predictor
    from keras_psa.inference.model_evaluation import LabelledImages
    from keras_psa.inference.model_evaluation import segmentation_scores

    path = _model_file(args.work)
    spec = _dataset(args.work, args.images)
    predictor = Predictor(path, num_threads=args.threads)
    data = LabelledImages.load(spec, predictor.input_size, split="all")
    interpreter = predictor.runner.interpreter
    details = interpreter.get_input_details()[0]
    prepared = np.zeros(details["shape"], details["dtype"])
    rates = {"evaluate": [], "bare invoke": []}
    # CPU milliseconds per image (all threads): what the work costs, whatever else runs.
    cpu_ms = {"evaluate": [], "bare invoke": []}

    def bare():
        for _ in range(len(data)):
            interpreter.set_tensor(details["index"], prepared)
            interpreter.invoke()

    segmentation_scores(predictor, data, range(2))  # warm-up
    for _ in range(args.rounds):
        for name, work in (("evaluate", lambda: segmentation_scores(predictor, data)),
                           ("bare invoke", bare)):
            started, cpu_started = time.perf_counter(), time.process_time()
            work()
            rates[name].append(len(data) / (time.perf_counter() - started))
            cpu_ms[name].append(1000 * (time.process_time() - cpu_started) / len(data))
    medians = {name: float(np.median(values)) for name, values in rates.items()}
    print(f"{os.path.basename(path)}, {len(data)} JPEGs 640x480, {args.rounds} rounds, "
          f"{args.threads} thread(s), XNNPACK; {cpu_description()}")
    for name, value in medians.items():
        rounds = ", ".join(f"{v:.1f}" for v in rates[name])
        print(f"{name}: {value:.1f} images/s (median; rounds {rounds}); "
              f"{np.median(cpu_ms[name]):.1f} CPU ms per image")
    print(f"evaluate / bare invoke: {medians['evaluate'] / medians['bare invoke']:.1%} of the "
          f"rate; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
