"""XNNPACK latency of .tflite models: warm-up, then the median of many interleaved runs,
with 1 and 2 threads. Writes a Markdown table and a PNG chart.

Examples:
    python conversion/benchmark.py a_float32.tflite a_int8.tflite --output bench/
    python conversion/benchmark.py --mobilenet-demo --output bench/
"""

import argparse
import os
import sys

from _cli_common import ensure_package_importable

ensure_package_importable()


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="*", help=".tflite files to compare")
    parser.add_argument("--output", required=True, help="folder for benchmark.md and .png")
    parser.add_argument("--threads", nargs="+", type=int, default=[1, 2],
                        help="thread counts (default 1 2)")
    parser.add_argument("--runs", type=int, default=50, help="timed rounds (default 50)")
    parser.add_argument("--warmup", type=int, default=5, help="warm-up rounds (default 5)")
    parser.add_argument("--mobilenet-demo", action="store_true",
                        help="convert keras.applications MobileNetV3Small (224x224, alpha 1) "
                             "to float32, plain int8 and int8 with float HARD_SWISH, and "
                             "compare them (the issue's int8-slower-than-float32 case)")
    args = parser.parse_args(argv)
    if not args.models and not args.mobilenet_demo:
        parser.error("give .tflite files or --mobilenet-demo")
    return args


def mobilenet_demo(folder):
    from keras_psa.export import convert_model
    from keras_psa.keras_flavor import keras

    backbone = keras.applications.MobileNetV3Small(
        input_shape=(224, 224, 3), include_top=False, weights=None,
        include_preprocessing=False)
    model = keras.Model(backbone.input, keras.layers.Conv2D(8, 1)(backbone.output))
    paths = {
        "float32": os.path.join(folder, "mnv3s_float32.tflite"),
        "int8 (plain PTQ)": os.path.join(folder, "mnv3s_int8_plain.tflite"),
        "int8 (float HARD_SWISH/SOFTMAX)": os.path.join(folder, "mnv3s_int8.tflite"),
    }
    convert_model(model, paths["float32"])
    convert_model(model, paths["int8 (plain PTQ)"], "int8", num_calibration_samples=8,
                  float_ops=())
    convert_model(model, paths["int8 (float HARD_SWISH/SOFTMAX)"], "int8",
                  num_calibration_samples=8)
    return paths


def write_outputs(results, labels, folder):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    threads = sorted(results)
    lines = ["| model | " + " | ".join(f"{t} thread(s), ms" for t in threads) + " |",
             "|---|" + "---|" * len(threads)]
    for path, label in labels.items():
        cells = [f"{results[t][path]['median_ms']:.2f}" for t in threads]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    table = "\n".join(lines) + "\n"
    with open(os.path.join(folder, "benchmark.md"), "w") as f:
        f.write("# XNNPACK latency (median of interleaved runs)\n\n" + table)
    fig, ax = plt.subplots(figsize=(7, 0.6 * len(labels) + 1.5))
    height = 0.8 / len(threads)
    for i, t in enumerate(threads):
        values = [results[t][p]["median_ms"] for p in labels]
        ax.barh([k + i * height for k in range(len(labels))], values, height,
                label=f"{t} thread(s)")
    ax.set_yticks([k + height * (len(threads) - 1) / 2 for k in range(len(labels))])
    ax.set_yticklabels(list(labels.values()))
    ax.set_xlabel("median latency (ms), XNNPACK")
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(folder, "benchmark.png"), dpi=120)
    return table


def main(argv=None):
    args = parse_args(argv)
    from keras_psa.export.latency import measure_latency

    os.makedirs(args.output, exist_ok=True)
    labels = {p: os.path.basename(p) for p in args.models}
    if args.mobilenet_demo:
        labels.update({p: label for label, p in mobilenet_demo(args.output).items()})
    missing = [p for p in labels if not os.path.isfile(p)]
    if missing:
        print(f"error: no such .tflite file: {', '.join(missing)}", file=sys.stderr)
        return 2
    results = {t: measure_latency(list(labels), t, args.warmup, args.runs)
               for t in args.threads}
    print(write_outputs(results, labels, args.output))
    return 0


if __name__ == "__main__":
    sys.exit(main())
