"""Accuracy study: the same segmentation model with no attention, PSA (parallel and
sequential), SE and CBAM, trained with the same budget and data over several seeds.

Reports mean +- std of validation mean IoU and pixel accuracy, params, MACs and the
fp32 TFLite (XNNPACK) latency as a Markdown table (study.md) and a PNG chart
(study.png). Each run goes through keras_psa.training.train_segmentation, like
examples/train_segmentation.py; finished runs are kept, so an interrupted study
started again with the same command continues.

Examples:
    python examples/compare_attention.py --output-dir runs/study            # ~laptop size
    python examples/compare_attention.py --dataset shapes --output-dir runs/study_shapes
    python examples/compare_attention.py --seeds 5 --epochs 30 --image-size 128 \\
        --alpha 1.0 --output-dir runs/study_long                             # longer
"""

import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from keras_psa.cli.choices import ATTENTIONS  # noqa: E402
from keras_psa.cli.choices import BACKBONES  # noqa: E402
from keras_psa.cli.choices import HEADS  # noqa: E402
from keras_psa.cli.choices import PSA_VARIANTS  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--dataset", default="digits", choices=("digits", "shapes"))
    parser.add_argument("--attentions", default=",".join(ATTENTIONS),
                        help=f"comma-separated subset of {','.join(ATTENTIONS)}")
    parser.add_argument("--seeds", type=int, default=3, help="weight-init seeds per attention")
    parser.add_argument("--backbone", default="mobilenet_v3_small",
                        choices=BACKBONES)
    parser.add_argument("--head", default="deeplabv3plus", choices=HEADS,
                        help="deeplabv3plus: its stride-4 decoder resolves the small digits, "
                             "which LR-ASPP at 64x64 does not learn in this budget")
    parser.add_argument("--attention-positions", default="head",
                        help="comma-separated subset of head,stride4,stride8,stride16")
    parser.add_argument("--psa-variant", default="paper", choices=PSA_VARIANTS)
    parser.add_argument("--alpha", type=float, default=0.5)
    parser.add_argument("--head-filters", type=int, default=64)
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--steps-per-epoch", type=int, default=100)
    parser.add_argument("--train-examples", type=int, default=None)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--warmup-steps", type=int, default=50)
    parser.add_argument("--latency-runs", type=int, default=50,
                        help="timed TFLite invokes per model (median reported)")
    parser.add_argument("--latency-threads", type=int, default=1)
    parser.add_argument("--output-dir", default="runs/compare_attention")
    args = parser.parse_args(argv)
    args.attentions = tuple(a.strip() for a in args.attentions.split(",") if a.strip())
    if not args.attentions or any(a not in ATTENTIONS for a in args.attentions):
        parser.error(f"--attentions must be a comma-separated subset of {','.join(ATTENTIONS)}")
    if args.seeds < 1:
        parser.error("--seeds must be >= 1")
    args.attention_positions = tuple(
        p.strip() for p in args.attention_positions.split(",") if p.strip()
    )
    return args


def run_config(args, attention, seed):
    from keras_psa.training import TrainConfig

    return TrainConfig(
        output_dir=os.path.join(args.output_dir, "runs", f"{attention}_seed{seed}"),
        dataset=args.dataset, image_size=args.image_size, batch_size=args.batch_size,
        epochs=args.epochs, steps_per_epoch=args.steps_per_epoch,
        train_examples=args.train_examples, backbone=args.backbone, head=args.head,
        attention=None if attention == "none" else attention,
        attention_positions=args.attention_positions, psa_variant=args.psa_variant,
        alpha=args.alpha, head_filters=args.head_filters, learning_rate=args.lr,
        warmup_steps=args.warmup_steps, seed=seed, data_seed=0,
        num_pictures=4 if seed == 0 else 0,
    )


def train_all(args):
    """Trains every (attention, seed) run not finished yet; returns their summaries."""
    from tqdm import tqdm

    from keras_psa.training import train_segmentation

    jobs = [(a, s) for a in args.attentions for s in range(args.seeds)]
    summaries = {}
    for attention, seed in tqdm(jobs, desc="runs", unit="run", file=sys.stdout):
        config = run_config(args, attention, seed)
        path = os.path.join(config.output_dir, "summary.json")
        if os.path.exists(path):
            with open(path) as file:
                summaries[attention, seed] = json.load(file)
            continue
        started = time.time()
        summary = train_segmentation(config, verbose=0)
        summary["timing"]["run_seconds"] = round(time.time() - started, 2)
        with open(path, "w") as file:
            json.dump(summary, file, indent=2)
        tqdm.write(f"{attention} seed {seed}: val mean IoU {summary['val']['mean_iou']:.4f} "
                   f"({summary['timing']['run_seconds']:.0f} s)", file=sys.stdout)
        summaries[attention, seed] = summary
    return summaries


def tflite_latencies(args, summaries):
    """fp32 TFLite latency (batch 1, XNNPACK) of each attention's seed-0 model, interleaved."""
    from keras_psa.export import convert_model
    from keras_psa.export.tflite.latency import measure_latency

    paths = {}
    for attention in args.attentions:
        run = summaries[attention, 0]
        path = os.path.join(os.path.dirname(run["files"]["model"]), "model_float32.tflite")
        if not os.path.exists(path):
            convert_model(run["files"]["model"], path, quantization="float32")
        paths[attention] = path
    measured = measure_latency(list(paths.values()), num_threads=args.latency_threads,
                               runs=args.latency_runs)
    return {attention: measured[path] for attention, path in paths.items()}


def _std(values):
    return float(values.std(ddof=1)) if len(values) > 1 else 0.0


def aggregate(args, summaries, latencies):
    rows = []
    for attention in args.attentions:
        runs = [summaries[attention, seed] for seed in range(args.seeds)]
        iou = np.array([run["val"]["mean_iou"] for run in runs])
        accuracy = np.array([run["val"]["pixel_accuracy"] for run in runs])
        rows.append({
            "attention": attention,
            "mean_iou": float(iou.mean()), "mean_iou_std": _std(iou),
            "mean_iou_runs": iou.tolist(),
            "pixel_accuracy": float(accuracy.mean()), "pixel_accuracy_std": _std(accuracy),
            "params": runs[0]["model"]["params"], "macs": runs[0]["model"]["macs"],
            "tflite_fp32_ms": latencies[attention]["median_ms"],
            "train_seconds": float(np.mean([r["timing"]["train_seconds_this_process"]
                                            for r in runs])),
        })
    return rows


def markdown(args, rows, study_seconds):
    lines = [
        f"Dataset `{args.dataset}` {args.image_size}x{args.image_size}, {args.backbone} "
        f"(alpha {args.alpha}) + {args.head} head (filters {args.head_filters}), attention at "
        f"{','.join(args.attention_positions)} ({args.psa_variant} PSA); {args.epochs} epochs x "
        f"{args.steps_per_epoch} steps, batch {args.batch_size}, AdamW lr {args.lr} cosine; "
        f"{args.seeds} seed(s) each. Latency: fp32 TFLite, batch 1, XNNPACK, "
        f"{args.latency_threads} thread(s), median of {args.latency_runs} interleaved runs. "
        f"Study wall time: {study_seconds / 60:.1f} min.",
        "",
        "| attention | val mean IoU | val pixel acc. | params | MACs | TFLite fp32 ms | "
        "train s/run |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['attention']} | {row['mean_iou']:.4f} ± {row['mean_iou_std']:.4f} | "
            f"{row['pixel_accuracy']:.4f} ± {row['pixel_accuracy_std']:.4f} | "
            f"{row['params']:,} | {row['macs'] / 1e6:.2f} M | {row['tflite_fp32_ms']:.2f} | "
            f"{row['train_seconds']:.0f} |"
        )
    return "\n".join(lines) + "\n"


def chart(rows, path, title):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [row["attention"] for row in rows]
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    left.bar(names, [r["mean_iou"] for r in rows], yerr=[r["mean_iou_std"] for r in rows],
             capsize=5, color="tab:blue", alpha=0.8)
    for index, row in enumerate(rows):
        left.scatter([index] * len(row["mean_iou_runs"]), row["mean_iou_runs"], color="black",
                     s=12, zorder=3)
    left.set_ylabel("validation mean IoU (mean ± std, dots: seeds)")
    low = min(min(r["mean_iou_runs"]) for r in rows)
    left.set_ylim(max(0.0, low - 0.05), None)
    right.errorbar([r["tflite_fp32_ms"] for r in rows], [r["mean_iou"] for r in rows],
                   yerr=[r["mean_iou_std"] for r in rows], fmt="o", capsize=4)
    for row in rows:
        right.annotate(f"{row['attention']}\n{row['macs'] / 1e6:.1f} MMAC",
                       (row["tflite_fp32_ms"], row["mean_iou"]), textcoords="offset points",
                       xytext=(6, 4), fontsize=8)
    right.set_xlabel("fp32 TFLite latency, ms (XNNPACK, batch 1)")
    right.set_ylabel("validation mean IoU")
    figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def main(argv=None):
    args = parse_args(argv)
    started = time.time()
    os.makedirs(args.output_dir, exist_ok=True)
    summaries = train_all(args)
    print("Converting to fp32 TFLite and timing ...", flush=True)
    latencies = tflite_latencies(args, summaries)
    rows = aggregate(args, summaries, latencies)
    study_seconds = time.time() - started
    table = markdown(args, rows, study_seconds)
    with open(os.path.join(args.output_dir, "study.md"), "w") as file:
        file.write(table)
    with open(os.path.join(args.output_dir, "study.json"), "w") as file:
        json.dump({"args": {k: v for k, v in vars(args).items()}, "rows": rows,
                   "study_seconds": study_seconds}, file, indent=2)
    chart(rows, os.path.join(args.output_dir, "study.png"),
          f"{args.dataset}: attention blocks at equal budget ({args.seeds} seeds)")
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
