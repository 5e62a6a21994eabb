"""XNNPACK latency of .tflite models: warm-up, then the median of many interleaved runs,
with 1 and 2 threads. Writes benchmark.md (tables) and benchmark.png (chart).

With no .tflite files it builds the package's models and compares, in one run:
  - attention: PSA vs no attention vs SE vs CBAM in the head of MobileNetV3-Large
    LR-ASPP, float32 and int8 (the cost of PSA, target <= 3% over none);
  - backbones: int8 vs float32 for every backbone with an LR-ASPP head and no
    attention (target int8 >= 2x faster);
  - op kinds (--op-kinds, part of --full): int8 vs float32 for stacks of one kind of
    MobileNetV3 op each, which shows what caps the backbones' int8 speed-up on this CPU.
Ratios are medians of per-round ratios: the models run in turn every round, so a
busy machine slows all of them alike.

The default is a demo (MobileNetV3-Large only, 128x128 inputs, none / PSA / SE,
20 runs: a few minutes on 2 cores). --full uses
larger sizes (attention 512x512, backbones 256x256) and more runs.

Examples:
    keras-psa-benchmark                      # demo, into benchmark_results/
    keras-psa-benchmark --full --output docs/
    keras-psa-benchmark a_float32.tflite a_int8.tflite --output bench/
    keras-psa-benchmark --mobilenet-demo --output bench/
    keras-psa-benchmark --op-kinds --skip-attention --skip-backbones
"""

import argparse
import os
import platform
import sys

from keras_psa.cli.backend_check import exit_unless_tensorflow_backend
from keras_psa.cli.exit_codes import EXIT_CODES_HELP

BACKBONES = ("mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large",
             "mobilenet_v3_small_minimalistic", "mobilenet_v3_large_minimalistic")
ATTENTIONS = ("none", "psa_p", "psa_s", "se", "cbam")
# The demo shares the MobileNetV3-Large model between both comparisons (same
# size): 3 models, 6 conversions.
DEMO = {"attention_size": 128, "backbone_size": 128, "runs": 20, "warmup": 3,
        "attentions": ["none", "psa_p", "se"], "backbones": ["mobilenet_v3_large"]}
FULL = {"attention_size": 512, "backbone_size": 256, "runs": 100, "warmup": 10,
        "attentions": list(ATTENTIONS), "backbones": list(BACKBONES), "op_kinds": True}


BENCHMARK_DATA = "shapes"  # images for BatchNorm statistics and int8 calibration


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        epilog=EXIT_CODES_HELP,description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="*", help=".tflite files to compare instead of the "
                                                  "package's models")
    parser.add_argument("--output", default="benchmark_results",
                        help="folder for benchmark.md, benchmark.png and the .tflite files "
                             "(default benchmark_results)")
    parser.add_argument("--full", action="store_true",
                        help="attention at 512x512, backbones at 256x256, "
                             "100 runs, all attentions")
    parser.add_argument("--threads", nargs="+", type=int, default=[1, 2],
                        help="thread counts (default 1 2)")
    parser.add_argument("--runs", type=int, help="timed rounds (demo 20, full 100)")
    parser.add_argument("--warmup", type=int, help="warm-up rounds (demo 3, full 10)")
    parser.add_argument("--attention-size", type=int,
                        help="input size of the attention comparison (demo 128, full 512)")
    parser.add_argument("--backbone-size", type=int,
                        help="input size of the backbone comparison (demo 128, full 256)")
    parser.add_argument("--attentions", nargs="+", choices=ATTENTIONS,
                        help="attentions to compare (demo: none psa_p se cbam; full: all)")
    parser.add_argument("--backbones", nargs="+", choices=BACKBONES,
                        help="backbones of the int8-vs-float32 comparison (demo: "
                             "mobilenet_v3_large; full: all)")
    parser.add_argument("--psa-variant", choices=("paper", "official"), default="paper")
    parser.add_argument("--skip-attention", action="store_true",
                        help="leave out the attention comparison")
    parser.add_argument("--skip-backbones", action="store_true",
                        help="leave out the backbone comparison")
    parser.add_argument("--calibration-samples", type=int, default=16,
                        help="int8 calibration images (default 16; latency does not depend "
                             "on them)")
    parser.add_argument("--int8-io", action="store_true",
                        help="int8 models take and return int8 tensors (no DEQUANTIZE of the "
                             "full-resolution logits); default float input/output")
    parser.add_argument("--op-kinds", action="store_true", default=None,
                        help="also compare int8 vs float32 per kind of op (1x1 and 3x3 "
                             "convolutions, depthwise, hard-swish, Add, channel gate, resize); "
                             "on with --full")
    parser.add_argument("--mobilenet-demo", action="store_true",
                        help="convert keras.applications MobileNetV3Small (224x224, alpha 1) "
                             "to float32, plain int8, the package's int8 (float HARD_SWISH) "
                             "and int8 with decomposed hard-swish, and compare them (plain "
                             "int8 MobileNetV3 is slower than float32 on XNNPACK)")
    parser.add_argument("--dataset", default=None,
                        help="score each given file on this dataset as keras-psa-evaluate "
                             "does (digits, shapes, dir:PATH, figures, coco:ROOT): size, "
                             "score and latency side by side")
    parser.add_argument("--split", default="val", help="the --dataset split to score")
    args = parser.parse_args(argv)
    if args.dataset and not args.models:
        parser.error("--dataset scores the given files: name one or more .tflite files")
    preset = FULL if args.full else DEMO
    for key, value in preset.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.runs < 1 or args.warmup < 0:
        parser.error(f"--runs must be >= 1 and --warmup >= 0. Received: {args.runs}, "
                     f"{args.warmup}")
    return args


def mobilenet_demo(folder):
    from keras_psa.data import validation_examples
    from keras_psa.export import convert_model
    from keras_psa.keras_flavor import keras
    from keras_psa.models import set_batch_norm_statistics

    backbone = keras.applications.MobileNetV3Small(
        input_shape=(224, 224, 3), include_top=False, weights=None)
    model = keras.Model(backbone.input, keras.layers.Conv2D(8, 1)(backbone.output))
    set_batch_norm_statistics(model, validation_examples(BENCHMARK_DATA, 224)[0])
    paths = {
        "float32": os.path.join(folder, "mnv3s_float32.tflite"),
        "int8 (plain PTQ)": os.path.join(folder, "mnv3s_int8_plain.tflite"),
        "int8 (keras_psa default: float HARD_SWISH)": os.path.join(folder, "mnv3s_int8.tflite"),
        "int8 (decomposed hard-swish, all int8)": os.path.join(folder,
                                                               "mnv3s_int8_decomposed.tflite"),
    }
    convert_model(model, paths["float32"])
    int8 = {"quantization": "int8", "num_calibration_samples": 8,
            "representative": BENCHMARK_DATA}
    convert_model(model, paths["int8 (plain PTQ)"], **int8, float_ops=(),
                  xnnpack_fallback=False)
    convert_model(model, paths["int8 (keras_psa default: float HARD_SWISH)"], **int8)
    convert_model(model, paths["int8 (decomposed hard-swish, all int8)"], **int8,
                  decompose_hard_swish=True)
    return paths


def convert_segmentation_models(folder, specs, calibration_samples, progress, int8_io=False):
    """Builds and converts each `(backbone, attention, size, psa_variant)` to float32
    and int8. Returns {(spec, mode): (path, macs)}."""
    from keras_psa.data import validation_examples
    from keras_psa.export import convert_model
    from keras_psa.models import build_segmentation_model
    from keras_psa.models import count_macs
    from keras_psa.models import set_batch_norm_statistics

    paths = {}
    for spec in specs:
        backbone, attention, size, variant = spec
        model = build_segmentation_model(
            backbone, 21, input_shape=(size, size, 3), head="lraspp",
            attention=None if attention == "none" else attention, psa_variant=variant)
        # Untrained weights, but activation ranges (hence int8 scales and what
        # XNNPACK accepts) like a trained model's.
        set_batch_norm_statistics(model, validation_examples(BENCHMARK_DATA, size)[0])
        macs = count_macs(model)
        for mode in ("float32", "int8"):
            suffix = "_io" if int8_io and mode == "int8" else ""
            path = os.path.join(folder,
                                f"{backbone}_lraspp_{attention}_{size}_{mode}{suffix}.tflite")
            if not os.path.isfile(path):  # reuse files of an earlier run in the same folder
                convert_model(model, path, mode, num_calibration_samples=calibration_samples,
                              representative=BENCHMARK_DATA, int8_io=bool(suffix))
            paths[(spec, mode)] = (path, macs)
            progress.update()
    return paths


def convert_op_kind_models(folder, progress):
    """Converts each of `OP_KINDS` to float32 and int8. Returns {(name, mode): path}."""
    from keras_psa.cli.op_kind_models import OP_KINDS
    from keras_psa.cli.op_kind_models import op_kind_model
    from keras_psa.export import convert_model

    paths = {}
    for name, shape, depth, int8_io, _ in OP_KINDS:
        model = op_kind_model(name, shape, depth)
        for mode in ("float32", "int8"):
            path = os.path.join(folder, f"op_{model.name}_{mode}.tflite")
            if not os.path.isfile(path):
                # Single-op stacks with no preprocessing: calibrated on [0, 1] noise.
                convert_model(model, path, mode, num_calibration_samples=8,
                              pixel_range=(0.0, 1.0), int8_io=int8_io and mode == "int8")
            paths[(name, mode)] = path
            progress.update()
    return paths


def op_kind_table(results, paths):
    from keras_psa.cli.op_kind_models import OP_KINDS

    threads = sorted(results)
    lines = ["### int8 vs float32 per kind of op (MobileNetV3-Small shapes at 256x256)", "",
             "Each model stacks one kind of op; a backbone's int8 speed-up cannot exceed "
             "that of the kinds that dominate it.", "",
             "| op kind | input | layers | " + " | ".join(
                 f"{t} thr float32 ms | {t} thr int8 ms | {t} thr speed-up" for t in threads)
             + " |", "|---|---|---|" + "---|---|---|" * len(threads)]
    rows = {}
    for name, shape, depth, _, _ in OP_KINDS:
        f32, i8 = paths[(name, "float32")], paths[(name, "int8")]
        cells, speedups = _speedup_cells(results, f32, i8)
        rows.update({(name, t): speedup for t, speedup in speedups.items()})
        lines.append(f"| {name} | {'x'.join(map(str, shape))} | {depth} | "
                     + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n", rows


def _ms(result):
    return f"{result['median_ms']:.2f}"


def _speedup_cells(results, f32_path, int8_path):
    """Per thread count: "float32 ms | int8 ms | speed-up" cells and the speed-ups
    (medians of per-round ratios)."""
    from keras_psa.export.tflite.latency import paired_ratio

    cells, speedups = [], {}
    for t in sorted(results):
        speedups[t] = paired_ratio(results[t][f32_path], results[t][int8_path])
        cells.append(f"{_ms(results[t][f32_path])} | {_ms(results[t][int8_path])} | "
                     f"{speedups[t]:.2f}x")
    return cells, speedups


def attention_table(results, paths, attentions, backbone, size, variant):
    from keras_psa.export.tflite.latency import paired_ratio

    threads = sorted(results)
    lines = [f"### Attention in the head of {backbone} LR-ASPP, {size}x{size}",
             "", "Latency in ms (median); ratio vs no attention (median of per-round ratios).",
             "", "| attention | MMACs | mode | " + " | ".join(
                 f"{t} thr ms | {t} thr vs none" for t in threads) + " |",
             "|---|---|---|" + "---|---|" * len(threads)]
    rows = {}
    for mode in ("float32", "int8"):
        base = paths[((backbone, "none", size, variant), mode)][0]
        for attention in attentions:
            path, macs = paths[((backbone, attention, size, variant), mode)]
            cells = []
            for t in threads:
                ratio = paired_ratio(results[t][path], results[t][base])
                rows[(attention, mode, t)] = ratio
                cells.append(f"{_ms(results[t][path])} | {100 * (ratio - 1):+.1f}%")
            lines.append(f"| {attention} | {macs / 1e6:.1f} | {mode} | " + " | ".join(cells)
                         + " |")
    return "\n".join(lines) + "\n", rows


def backbone_table(results, paths, backbones, size):

    threads = sorted(results)
    lines = [f"### int8 vs float32 per backbone, LR-ASPP head, no attention, {size}x{size}",
             "", "| backbone | MMACs | " + " | ".join(
                 f"{t} thr float32 ms | {t} thr int8 ms | {t} thr speed-up" for t in threads)
             + " |", "|---|---|" + "---|---|---|" * len(threads)]
    rows = {}
    for backbone in backbones:
        spec = (backbone, "none", size, "paper")
        f32, macs = paths[(spec, "float32")]
        i8 = paths[(spec, "int8")][0]
        cells, speedups = _speedup_cells(results, f32, i8)
        rows.update({(backbone, t): speedup for t, speedup in speedups.items()})
        lines.append(f"| {backbone} | {macs / 1e6:.1f} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n", rows


def files_table(results, labels, scores=None):
    """Latency per file and thread count; with `scores` (`evaluate_models`' result) also
    each file's size and score, and its paired difference to the first file."""
    threads = sorted(results)
    score_heads, by_path = [], {}
    if scores is not None:
        metric = "mean_iou" if scores["task"] == "segmentation" else "oks_ap"
        name = "mean IoU" if metric == "mean_iou" else "OKS AP"
        score_heads = ["bytes", f"{scores['split']} {name}", "vs first (95% interval)"]
        by_path = {entry["path"]: [str(os.path.getsize(entry["path"])),
                                   f"{entry[metric]:.4f}", "-"] for entry in scores["models"]}
        for diff in scores["differences"]:
            low, high = diff["ci95"]
            by_path[diff["model"]][2] = (f"{diff['difference']:+.4f} "
                                         f"[{low:+.4f}, {high:+.4f}]")
    heads = score_heads + [f"{t} thread(s), ms" for t in threads]
    lines = ["| model | " + " | ".join(heads) + " |", "|---|" + "---|" * len(heads)]
    for path, label in labels.items():
        cells = by_path.get(path, []) + [_ms(results[t][path]) for t in threads]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def draw_chart(groups, path):
    """One horizontal bar panel per group: {title: {label: {threads: ms}}}."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = {title: bars for title, bars in groups.items() if bars}
    heights = [0.45 * len(bars) + 1.2 for bars in groups.values()]
    fig, axes = plt.subplots(len(groups), 1, figsize=(8, sum(heights)),
                             gridspec_kw={"height_ratios": heights}, squeeze=False)
    for ax, (title, bars) in zip(axes[:, 0], groups.items()):
        labels = list(bars)
        threads = sorted({t for values in bars.values() for t in values})
        height = 0.8 / len(threads)
        for i, t in enumerate(threads):
            ax.barh([k + i * height for k in range(len(labels))],
                    [bars[label][t] for label in labels], height, label=f"{t} thread(s)")
        ax.set_yticks([k + height * (len(threads) - 1) / 2 for k in range(len(labels))])
        ax.set_yticklabels(labels)
        ax.invert_yaxis()
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("median latency (ms), XNNPACK")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


# int8-vs-float32 ratios depend on which of these XNNPACK can use.
_CPU_FEATURES = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "amx_int8", "asimddp", "i8mm")


def cpu_description():
    """CPU model and the SIMD features that decide XNNPACK's int8 and float kernels."""
    model, flags = platform.processor() or platform.machine(), set()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                key, _, value = line.partition(":")
                if key.strip() == "model name":
                    model = value.strip()
                elif key.strip() in ("flags", "Features"):
                    flags.update(value.split())
    except OSError:
        pass
    features = [feature for feature in _CPU_FEATURES if feature in flags]
    return f"{model} ({', '.join(features) or 'no listed SIMD features'})"


def machine_note():
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    note = f"CPU: {cpu_description()}; cores: {os.cpu_count()}"
    if load:
        note += f"; load average at the end (1/5/15 min): {load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f}"
    return note


def run_package_benchmark(args, folder):
    from tqdm import tqdm

    from keras_psa.cli.op_kind_models import OP_KINDS
    from keras_psa.export.tflite.latency import measure_latency

    backbone = "mobilenet_v3_large"
    attention_specs = [] if args.skip_attention else [
        (backbone, a, args.attention_size, args.psa_variant)
        for a in dict.fromkeys(["none", *args.attentions])]
    backbone_specs = [] if args.skip_backbones else [
        (b, "none", args.backbone_size, "paper") for b in args.backbones]
    specs = list(dict.fromkeys(attention_specs + backbone_specs))
    with tqdm(total=2 * len(specs), desc="convert") as progress:
        paths = convert_segmentation_models(folder, specs, args.calibration_samples, progress,
                                            args.int8_io)
    sections, chart, summary = [], {}, {}
    for title, group_specs in (("attention", attention_specs), ("backbones", backbone_specs)):
        if not group_specs:
            continue
        # One interleaved measurement per group and thread count: ratios within a
        # group come from the same rounds.
        group_paths = [paths[(s, m)][0] for s in group_specs for m in ("float32", "int8")]
        results = {t: measure_latency(group_paths, t, args.warmup, args.runs)
                   for t in tqdm(args.threads, desc=f"latency ({title})")}
        if title == "attention":
            table, rows = attention_table(results, paths, list(dict.fromkeys(
                ["none", *args.attentions])), backbone, args.attention_size, args.psa_variant)
            summary["attention"] = rows
            bars = {f"{s[1]} {m}": {t: results[t][paths[(s, m)][0]]["median_ms"]
                                    for t in args.threads}
                    for m in ("float32", "int8") for s in group_specs}
            chart[f"attention in the head, {backbone} LR-ASPP {args.attention_size}px"] = bars
        else:
            table, rows = backbone_table(results, paths, args.backbones, args.backbone_size)
            summary["backbones"] = rows
            bars = {f"{s[0]} {m}": {t: results[t][paths[(s, m)][0]]["median_ms"]
                                    for t in args.threads}
                    for s in group_specs for m in ("float32", "int8")}
            chart[f"int8 vs float32, LR-ASPP {args.backbone_size}px"] = bars
        sections.append(table)
    if args.op_kinds:
        with tqdm(total=2 * len(OP_KINDS), desc="convert (op kinds)") as progress:
            kind_paths = convert_op_kind_models(folder, progress)
        group_paths = list(kind_paths.values())
        results = {t: measure_latency(group_paths, t, args.warmup, args.runs)
                   for t in tqdm(args.threads, desc="latency (op kinds)")}
        table, summary["op_kinds"] = op_kind_table(results, kind_paths)
        sections.append(table)
        chart["int8 vs float32 per kind of op"] = {
            f"{name} {mode}": {t: results[t][path]["median_ms"] for t in args.threads}
            for (name, mode), path in kind_paths.items()}
    return sections, chart, summary


def target_lines(summary):
    lines = []
    for (attention, mode, threads), ratio in sorted(summary.get("attention", {}).items()):
        if attention.startswith("psa") and threads == 1:
            verdict = "met" if ratio <= 1.03 else "MISSED"
            lines.append(f"- {attention} {mode}, 1 thread: {100 * (ratio - 1):+.1f}% over no "
                         f"attention (target <= +3%): {verdict}")
    for (backbone, threads), speedup in sorted(summary.get("backbones", {}).items()):
        verdict = "met" if speedup >= 2.0 else "MISSED"
        lines.append(f"- {backbone}, {threads} thread(s): int8 {speedup:.2f}x faster than "
                     f"float32 (target >= 2x): {verdict}")
    return lines


def main(argv=None):
    args = parse_args(argv)
    exit_unless_tensorflow_backend("keras-psa-benchmark")
    from keras_psa.export.tflite.latency import measure_latency

    os.makedirs(args.output, exist_ok=True)
    sections, chart, summary = [], {}, {}
    labels = {p: os.path.basename(p) for p in args.models}
    if args.mobilenet_demo:
        labels.update({p: label for label, p in mobilenet_demo(args.output).items()})
    missing = [p for p in labels if not os.path.isfile(p)]
    if missing:
        print(f"error: no such .tflite file: {', '.join(missing)}", file=sys.stderr)
        return 2
    if labels:
        results = {t: measure_latency(list(labels), t, args.warmup, args.runs)
                   for t in args.threads}
        scores = None
        if args.dataset:
            from keras_psa.inference.model_evaluation import evaluate_models

            try:
                scores = evaluate_models(list(labels), args.dataset, split=args.split)
            except ValueError as error:
                print(f"error: {error}", file=sys.stderr)
                return 2
        sections.append(files_table(results, labels, scores))
        chart["models"] = {label: {t: results[t][p]["median_ms"] for t in args.threads}
                           for p, label in labels.items()}
    else:
        sections, chart, summary = run_package_benchmark(args, args.output)
    header = ["# XNNPACK latency (median of interleaved runs)", "",
              f"{args.runs} timed rounds after {args.warmup} warm-up rounds; "
              f"{machine_note()}.", ""]
    targets = target_lines(summary)
    if targets:
        header += ["Targets:", "", *targets, ""]
    text = "\n".join(header) + "\n" + "\n".join(sections)
    with open(os.path.join(args.output, "benchmark.md"), "w") as f:
        f.write(text)
    draw_chart(chart, os.path.join(args.output, "benchmark.png"))
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
