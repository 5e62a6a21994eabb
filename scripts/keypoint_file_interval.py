"""Paired bootstrap of the OKS AP difference between two `.tflite` files of one keypoint run.

OKS AP is a figure of the whole validation set: two int8 files of the same model differ by a
few thousandths, which 200 figures cannot resolve. This resamples the validation figures
(the same resample for both files) and gives the 95% interval of `FIRST - SECOND`.

Example (the keypoint demo's QAT file against post-training int8 with the same op set):

    python scripts/keypoint_file_interval.py runs/pipeline_keypoints \
        qat/qat_int8_xnnpack.tflite qat/ptq_int8_xnnpack.tflite
"""

import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run", help="a keypoint pipeline folder (with float/summary.json)")
    parser.add_argument("first", help="a .tflite file, relative to RUN or absolute")
    parser.add_argument("second", nargs="+", help="the file(s) to compare it with")
    parser.add_argument("--val-examples", type=int, default=None,
                        help="validation figures to score on (default: the run's); more "
                             "figures narrow the interval (built-in figures only)")
    parser.add_argument("--resamples", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.resamples < 10:
        parser.error(f"--resamples must be >= 10. Received: {args.resamples}")
    return args


def main(argv=None):
    args = parse_args(argv)
    from tqdm import tqdm

    from keras_psa.data.load_keypoint_dataset import keypoint_examples
    from keras_psa.export.tflite.litert_runner import make_interpreter
    from keras_psa.export.tflite.litert_runner import run_tflite
    from keras_psa.keypoints.evaluation import predict_keypoints
    from keras_psa.keypoints.evaluation import score_keypoints

    summary_path = os.path.join(args.run, "float", "summary.json")
    if not os.path.isfile(summary_path):
        sys.exit(f"error: `run` must be a keypoint pipeline folder with float/summary.json. "
                 f"Received: run={args.run!r}")
    with open(summary_path) as file:
        summary = json.load(file)
    dataset = summary["dataset"]
    image_size = tuple(dataset["image_size"])
    examples = keypoint_examples(dataset["name"], image_size, split="val",
                                 seed=summary["config"].get("data_seed") or 0,
                                 num_examples=args.val_examples or dataset["val_examples"])
    predictions = {}
    for name in [args.first, *args.second]:
        path = name if os.path.isabs(name) else os.path.join(args.run, name)
        interpreter = make_interpreter(path, xnnpack=True)

        def predict(images, path=path, interpreter=interpreter):
            return np.concatenate([run_tflite(path, image[None], interpreter=interpreter)[0]
                                   for image in images])

        predictions[name] = predict_keypoints(predict, examples["images"], image_size,
                                              dataset["sigma"])
        print(f"{name}: OKS AP {score_keypoints(predictions[name], examples).ap:.4f}")
    count = len(examples["images"])
    rng = np.random.default_rng(args.seed)
    differences = {name: [] for name in args.second}
    for _ in tqdm(range(args.resamples), desc="bootstrap"):
        index = rng.integers(0, count, count)
        sample = {key: (value[index] if isinstance(value, np.ndarray) else value)
                  for key, value in examples.items()}
        first = score_keypoints(predictions[args.first][index], sample).ap
        for name in args.second:
            differences[name].append(first - score_keypoints(predictions[name][index],
                                                             sample).ap)
    for name, values in differences.items():
        low, high = np.percentile(values, [2.5, 97.5])
        print(f"{args.first} - {name}: 95% interval [{low:+.4f}, {high:+.4f}] "
              f"({args.resamples} paired resamples of {count} figures)")


if __name__ == "__main__":
    main()
