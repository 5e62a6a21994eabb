"""Measures the MediaPipe figures of docs/mediapipe.md for one segmentation model.

Converts MODEL.keras five ways (float32, int8 with float I/O, int8 with uint8
input; the first two also ending at the head's stride), runs each in MediaPipe's
ImageSegmenter (.venv-mediapipe) on validation scenes and reports: category-mask
agreement with the LiteRT argmax, agreement of the low-resolution files' masks
with the full-resolution ones', XNNPACK latency (LiteRT, 1 thread, interleaved
runs) and MediaPipe segment() latency, and delegation of the uint8-input file.

Usage:
    python scripts/mediapipe_figures.py runs/train/model.keras --output-dir runs/mp
"""

import argparse
import json
import os
import subprocess
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def _mediapipe(python, model, images, output, repeats):
    done = subprocess.run([python, os.path.join(ROOT, "scripts", "mediapipe_segment.py"),
                           model, "--images", images, "--output", output,
                           "--repeats", str(repeats)],
                          capture_output=True, text=True, check=True,
                          env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    return json.loads([line for line in done.stdout.splitlines() if line.startswith("{")][-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="a segmentation model (.keras) from the training script")
    parser.add_argument("--output-dir", required=True)
    parser.add_argument("--dataset", default="shapes", help="validation scenes (default shapes)")
    parser.add_argument("--num-images", type=int, default=16)
    parser.add_argument("--output-stride", type=int, default=8)
    parser.add_argument("--runs", type=int, default=100, help="latency runs (default 100)")
    parser.add_argument("--mediapipe-python",
                        default=os.path.join(ROOT, ".venv-mediapipe", "bin", "python"))
    args = parser.parse_args(argv)

    from keras_psa.data.load_dataset import validation_examples
    from keras_psa.export import check_xnnpack_delegation
    from keras_psa.export import convert_model
    from keras_psa.export import run_gpu_accelerator
    from keras_psa.export import run_tflite
    from keras_psa.export.tflite.latency import measure_latency
    from keras_psa.export.tflite.latency import paired_ratio

    os.makedirs(args.output_dir, exist_ok=True)
    from keras_psa.export.conversion.model_loading import load_model as load

    model = load(args.model)
    size = tuple(int(d) for d in model.inputs[0].shape[1:3]) if model.inputs[0].shape[1] else None
    images, _ = validation_examples(args.dataset, size or 256, count=args.num_images)
    images = images.round().clip(0, 255)
    images_path = os.path.join(args.output_dir, "images.npy")
    np.save(images_path, images.astype(np.uint8))
    exports = {
        "float32": {}, f"float32_stride{args.output_stride}": {"output_stride": args.output_stride},
        "int8": {"quantization": "int8"},
        f"int8_stride{args.output_stride}": {"quantization": "int8",
                                             "output_stride": args.output_stride},
        "int8_uint8_input": {"quantization": "int8", "input_dtype": "uint8"},
    }
    results = {}
    for name, options in exports.items():
        path = os.path.join(args.output_dir, f"{name}.tflite")
        convert_model(args.model, path, input_size=size, representative=args.dataset,
                      num_calibration_samples=32, pixel_range=(0.0, 255.0), **options)
        masks_path = os.path.join(args.output_dir, f"{name}.npz")
        report = _mediapipe(args.mediapipe_python, path, images_path, masks_path, args.runs)
        masks = np.load(masks_path)
        agreement = []
        for i, image in enumerate(images):
            logits = run_tflite(path, image[None].astype("float32"))
            logits = np.asarray(logits[0] if isinstance(logits, list) else logits)[0]
            if logits.shape[:2] == image.shape[:2]:
                agreement.append(float(np.mean(np.argmax(logits, -1) == masks[f"category_{i}"])))
        results[name] = {"path": path, "size_bytes": os.path.getsize(path),
                         "mediapipe_segment_ms": report["segment_ms_median"],
                         "mediapipe_vs_litert_argmax": min(agreement) if agreement else None}
    for low, full in ((f"float32_stride{args.output_stride}", "float32"),
                      (f"int8_stride{args.output_stride}", "int8")):
        a = np.load(results[low]["path"][:-7] + ".npz")
        b = np.load(results[full]["path"][:-7] + ".npz")
        results[low]["mediapipe_mask_agreement_with_full"] = float(np.mean(
            [np.mean(a[f"category_{i}"] == b[f"category_{i}"]) for i in range(len(images))]))
    latency = measure_latency([r["path"] for r in results.values()], runs=args.runs)
    for result in results.values():
        result["litert_xnnpack_ms"] = latency[result["path"]]["median_ms"]
    for low, full in ((f"float32_stride{args.output_stride}", "float32"),
                      (f"int8_stride{args.output_stride}", "int8"),
                      ("int8_uint8_input", "int8")):
        results[low][f"latency_ratio_vs_{full}"] = paired_ratio(latency[results[low]["path"]],
                                                                latency[results[full]["path"]])
    uint8 = results["int8_uint8_input"]["path"]
    results["int8_uint8_input"]["xnnpack"] = check_xnnpack_delegation(uint8).summary()
    gpu = run_gpu_accelerator(uint8, inputs={"args_0": images[:1].astype(np.uint8)},
                              tolerance=0.1)
    results["int8_uint8_input"]["gpu"] = gpu.summary()
    out = os.path.join(args.output_dir, "mediapipe_figures.json")
    with open(out, "w") as file:
        json.dump(results, file, indent=2)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
