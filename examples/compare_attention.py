"""Accuracy study: the same segmentation or keypoint-heatmap model with no attention, PSA
(parallel and sequential), SE and CBAM, trained with the same budget and data over paired seeds.

Seed s of every attention trains on the same data in the same order (data seed 0) from the
same weight-initialisation seed s, so the runs are paired: the table gives each attention's
mean +- std over seeds and its paired difference to `none` with a 95% Student-t confidence
interval. Metrics: validation mean IoU and pixel accuracy (--task segmentation) or OKS AP
(pycocotools' COCOeval) and PCK@0.1 (--task keypoints); params, MACs and the fp32 TFLite
(XNNPACK) latency. Output: study.md (table), study.json, study.png (chart). Each run goes
through keras_psa.training (train_segmentation / train_keypoints), like the training
commands; finished runs are kept, so an interrupted study started again continues.

--record-dir keeps one small JSON record per finished run (its summary without file paths,
plus the CPU it ran on); a run recorded there with the same recipe is not trained again, so
a study too long for one machine's sitting can be committed and continued elsewhere, and
--report-only tabulates the seeds every attention has reached so far.

Examples:
    python examples/compare_attention.py --output-dir runs/study            # segmentation
    python examples/compare_attention.py --task keypoints --output-dir runs/study_keypoints \\
        --record-dir docs/study_runs/keypoints                               # resumable
    python examples/compare_attention.py --task keypoints --report-only \\
        --record-dir docs/study_runs/keypoints --output-dir runs/study_keypoints
    python examples/compare_attention.py --seeds 8 --epochs 30 --image-size 128 \\
        --alpha 1.0 --output-dir runs/study_long                             # longer
"""

import argparse
import dataclasses
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

# The defaults that differ by task (a flag given on the command line wins).
TASK_DEFAULTS = {
    "segmentation": {"dataset": "digits", "head": "deeplabv3plus", "image_size": "64",
                     "lr": 3e-3},
    "keypoints": {"dataset": "figures", "head": "fpn", "image_size": "128,96", "lr": 1e-2},
}
# (summary["val"] key, table name) of the primary and the secondary metric.
METRICS = {"segmentation": (("mean_iou", "val mean IoU"), ("pixel_accuracy", "val pixel acc.")),
           "keypoints": (("oks_ap", "val OKS AP"), ("pck", "val PCK@0.1"))}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--task", default="segmentation", choices=tuple(TASK_DEFAULTS))
    parser.add_argument("--dataset", default=None,
                        help="segmentation: digits (default) or shapes; keypoints: figures "
                             "(default) or coco:ROOT")
    parser.add_argument("--attentions", default=",".join(ATTENTIONS),
                        help=f"comma-separated subset of {','.join(ATTENTIONS)}")
    parser.add_argument("--seeds", type=int, default=5,
                        help="paired seeds per attention (>= 2 for confidence intervals)")
    parser.add_argument("--backbone", default="mobilenet_v3_small",
                        choices=BACKBONES)
    parser.add_argument("--head", default=None, choices=HEADS,
                        help="segmentation default deeplabv3plus: its stride-4 decoder resolves "
                             "the small digits, which LR-ASPP at 64x64 does not learn in this "
                             "budget; keypoints default lraspp")
    parser.add_argument("--attention-positions", default="head",
                        help="comma-separated subset of head,stride4,stride8,stride16")
    parser.add_argument("--psa-variant", default="paper", choices=PSA_VARIANTS)
    parser.add_argument("--alpha", type=float, default=0.5)
    parser.add_argument("--head-filters", type=int, default=64)
    parser.add_argument("--image-size", default=None,
                        help="N (segmentation, default 64) or H,W (keypoints, default 128,96)")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--steps-per-epoch", type=int, default=100)
    parser.add_argument("--train-examples", type=int, default=None,
                        help="default: the dataset's; keypoints on figures: fresh figures every "
                             "step (epochs x steps x batch)")
    parser.add_argument("--val-examples", type=int, default=None,
                        help="scenes or figures in the validation split of a built-in dataset "
                             "(default 200)")
    parser.add_argument("--lr", type=float, default=None,
                        help="peak AdamW learning rate (default 3e-3 segmentation, 2e-3 "
                             "keypoints)")
    parser.add_argument("--warmup-steps", type=int, default=50)
    parser.add_argument("--latency-runs", type=int, default=50,
                        help="timed TFLite invokes per model (median reported)")
    parser.add_argument("--latency-threads", type=int, default=1)
    parser.add_argument("--output-dir", default="runs/compare_attention")
    parser.add_argument("--record-dir", default=None,
                        help="folder of per-run records (<attention>_seed<s>.json); a run "
                             "recorded there with the same recipe is not trained again")
    parser.add_argument("--report-only", action="store_true",
                        help="train nothing: tabulate the seeds that every attention has "
                             "finished (in --record-dir or --output-dir)")
    args = parser.parse_args(argv)
    for key, value in TASK_DEFAULTS[args.task].items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    try:
        size = tuple(int(v) for v in args.image_size.split(","))
    except ValueError:
        size = ()
    if len(size) != (1 if args.task == "segmentation" else 2) or min(size) < 32:
        parser.error("--image-size must be N (segmentation) or H,W (keypoints), each >= 32. "
                     f"Received: {args.image_size!r}")
    args.image_size = size[0] if args.task == "segmentation" else size
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
    from keras_psa.training import KeypointTrainConfig
    from keras_psa.training import TrainConfig

    fields = dict(
        output_dir=os.path.join(args.output_dir, "runs", f"{attention}_seed{seed}"),
        dataset=args.dataset, image_size=args.image_size, batch_size=args.batch_size,
        epochs=args.epochs, steps_per_epoch=args.steps_per_epoch,
        train_examples=args.train_examples, val_examples=args.val_examples,
        backbone=args.backbone, head=args.head,
        attention=None if attention == "none" else attention,
        attention_positions=args.attention_positions, psa_variant=args.psa_variant,
        alpha=args.alpha, head_filters=args.head_filters, learning_rate=args.lr,
        warmup_steps=args.warmup_steps, seed=seed, data_seed=0,
        num_pictures=4 if seed == 0 else 0,
    )
    if args.task == "keypoints":
        if fields["train_examples"] is None and args.dataset == "figures":
            # Fresh figures every step, as the demo trains (docs/keypoints.md).
            fields["train_examples"] = args.epochs * args.steps_per_epoch * args.batch_size
        return KeypointTrainConfig(**fields)
    return TrainConfig(**fields)


# Config fields that do not change what a run computes: where it writes, how many pictures.
NOT_RECIPE = ("output_dir", "num_pictures")


def _recipe(config):
    config = config if isinstance(config, dict) else dataclasses.asdict(config)
    return json.loads(json.dumps({k: v for k, v in config.items() if k not in NOT_RECIPE}))


def _record_path(args, attention, seed):
    if args.record_dir is None:
        return None
    return os.path.join(args.record_dir, f"{attention}_seed{seed}.json")


def _read_summary(path, config, metric):
    """A finished run's summary from `path`, checked to be a run of `config`'s recipe."""
    try:
        with open(path) as file:
            summary = json.load(file)
        value = summary["val"][metric]
        recorded = _recipe(summary["config"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise SystemExit(f"{path} is not a finished run's summary with val {metric} "
                         f"({type(error).__name__}: {error}). Delete it to train that run "
                         "again.") from None
    if not isinstance(value, (int, float)):
        raise SystemExit(f"{path}: val {metric} must be a number. Received: {value!r}. "
                         "Delete it to train that run again.")
    expected = _recipe(config)
    changed = sorted(key for key in set(recorded) | set(expected)
                     if recorded.get(key) != expected.get(key))
    if changed:
        details = ", ".join(f"{key}={recorded.get(key)!r} (this study: {expected.get(key)!r})"
                            for key in changed[:6])
        raise SystemExit(f"{path} was trained with another recipe: {details}. Give the same "
                         "flags, or another --output-dir / --record-dir for a new study.")
    return summary


def _write_record(path, summary):
    from keras_psa.cli.benchmark import cpu_description

    record = {key: value for key, value in summary.items() if key != "files"}
    record.setdefault("machine", {"cpu": cpu_description(), "cores": os.cpu_count()})
    os.makedirs(os.path.dirname(path), exist_ok=True)
    temporary = path + ".tmp"
    with open(temporary, "w") as file:
        json.dump(record, file, indent=1)
    os.replace(temporary, path)


def finished_run(args, attention, seed):
    """The summary of a finished (attention, seed) run, or None; keeps --record-dir current."""
    (metric, _), _ = METRICS[args.task]
    config = run_config(args, attention, seed)
    run_path = os.path.join(config.output_dir, "summary.json")
    record_path = _record_path(args, attention, seed)
    if os.path.exists(run_path):
        summary = _read_summary(run_path, config, metric)
        if record_path and not os.path.exists(record_path):
            _write_record(record_path, summary)
        return summary
    if record_path and os.path.exists(record_path):
        return _read_summary(record_path, config, metric)
    return None


def train_all(args):
    """Trains every (attention, seed) run not finished yet; returns their summaries."""
    from tqdm import tqdm

    from keras_psa.training import train_keypoints
    from keras_psa.training import train_segmentation

    train = train_segmentation if args.task == "segmentation" else train_keypoints
    (metric, label), _ = METRICS[args.task]
    # Seed-major: a study stopped part-way has every attention at the seeds it reached.
    jobs = [(a, s) for s in range(args.seeds) for a in args.attentions]
    summaries = {}
    for attention, seed in tqdm(jobs, desc="runs", unit="run", file=sys.stdout):
        summary = finished_run(args, attention, seed)
        if summary is None:
            config = run_config(args, attention, seed)
            started = time.time()
            summary = train(config, verbose=0)
            summary["timing"]["run_seconds"] = round(time.time() - started, 2)
            with open(os.path.join(config.output_dir, "summary.json"), "w") as file:
                json.dump(summary, file, indent=2)
            if args.record_dir:
                _write_record(_record_path(args, attention, seed), summary)
            tqdm.write(f"{attention} seed {seed}: {label} {summary['val'][metric]:.4f} "
                       f"({summary['timing']['run_seconds']:.0f} s)", file=sys.stdout)
        summaries[attention, seed] = summary
    return summaries


def finished_seeds(args):
    """The summaries of seeds 0..n-1, n the number of seeds every attention has finished."""
    summaries = {}
    for seed in range(args.seeds):
        found = {a: finished_run(args, a, seed) for a in args.attentions}
        if any(summary is None for summary in found.values()):
            break
        summaries.update({(a, seed): summary for a, summary in found.items()})
    return summaries, len(summaries) // len(args.attentions)


def _architecture(args, summary):
    """A freshly built model of a run's architecture (its weights do not change the timing)."""
    from keras_psa.models import ArchitectureSpec
    from keras_psa.training.train_keypoints import build_keypoint_model

    config = summary["config"]
    if args.task == "keypoints":
        return build_keypoint_model(config, summary["dataset"]["num_joints"])
    size = config["image_size"]
    return ArchitectureSpec.from_config(config).build_segmentation_model(
        summary["dataset"]["num_classes"], input_shape=(size, size, 3))


def tflite_latencies(args, summaries):
    """fp32 TFLite latency (batch 1, XNNPACK) of each attention's architecture, interleaved."""
    from keras_psa.export import convert_model
    from keras_psa.export.tflite.latency import measure_latency

    folder = os.path.join(args.output_dir, "latency")
    os.makedirs(folder, exist_ok=True)
    paths = {}
    for attention in args.attentions:
        path = os.path.join(folder, f"{attention}_float32.tflite")
        convert_model(_architecture(args, summaries[attention, 0]), path,
                      quantization="float32")
        paths[attention] = path
    measured = measure_latency(list(paths.values()), num_threads=args.latency_threads,
                               runs=args.latency_runs)
    return {attention: measured[path] for attention, path in paths.items()}


def _std(values):
    return float(values.std(ddof=1)) if len(values) > 1 else 0.0


def aggregate(args, summaries, latencies, num_seeds):
    from keras_psa.training import paired_difference

    (primary, _), (secondary, _) = METRICS[args.task]
    seeds = range(num_seeds)
    values = {(a, metric): np.array([summaries[a, s]["val"][metric] for s in seeds])
              for a in args.attentions for metric in (primary, secondary)}

    def difference(attention, metric):
        if "none" not in args.attentions or attention == "none":
            return None
        return paired_difference(values[attention, metric], values["none", metric])

    rows = []
    for attention in args.attentions:
        runs = [summaries[attention, seed] for seed in seeds]
        value, other = values[attention, primary], values[attention, secondary]
        rows.append({
            "attention": attention, "metric": primary,
            "value": float(value.mean()), "value_std": _std(value),
            "value_runs": value.tolist(),
            "difference_to_none": difference(attention, primary),
            "secondary_metric": secondary,
            "secondary": float(other.mean()), "secondary_std": _std(other),
            "secondary_runs": other.tolist(),
            "secondary_difference_to_none": difference(attention, secondary),
            "params": runs[0]["model"]["params"], "macs": runs[0]["model"]["macs"],
            "tflite_fp32_ms": latencies[attention]["median_ms"],
            "train_seconds": float(np.mean([r["timing"]["train_seconds_this_process"]
                                            for r in runs])),
            "run_seconds": float(sum(r["timing"].get("run_seconds") or 0.0 for r in runs)),
        })
    return rows


def _difference_cell(difference):
    if difference is None:
        return "-"
    if difference["low"] is None:
        return f"{difference['mean']:+.4f} (one seed: no interval)"
    return f"{difference['mean']:+.4f} [{difference['low']:+.4f}, {difference['high']:+.4f}]"


def _machines(summaries):
    return sorted({summary.get("machine", {}).get("cpu", "this machine")
                   for summary in summaries.values()})


def markdown(args, rows, num_seeds, summaries):
    (_, primary), (_, secondary) = METRICS[args.task]
    size = ("x".join(map(str, args.image_size)) if args.task == "keypoints"
            else f"{args.image_size}x{args.image_size}")
    compute = sum(row["run_seconds"] for row in rows)
    reached = (f"{num_seeds} paired seed(s) each" if num_seeds == args.seeds
               else f"{num_seeds} of {args.seeds} paired seeds each so far")
    lines = [
        f"Task `{args.task}`, dataset `{args.dataset}` {size}, {args.backbone} "
        f"(alpha {args.alpha}) + {args.head} head (filters {args.head_filters}), attention at "
        f"{','.join(args.attention_positions)} ({args.psa_variant} PSA); {args.epochs} epochs x "
        f"{args.steps_per_epoch} steps, batch {args.batch_size}, AdamW lr {args.lr} cosine; "
        f"{reached} (seed s: same data order, same initialisation "
        f"seed). Difference to none: mean of the per-seed differences and its 95% Student-t "
        f"confidence interval. Latency: fp32 TFLite, batch 1, XNNPACK, "
        f"{args.latency_threads} thread(s), median of {args.latency_runs} interleaved runs. "
        f"Training and evaluation: {compute / 60:.1f} min over {len(summaries)} runs on "
        f"{'; '.join(_machines(summaries))}.",
        "",
        f"| attention | {primary} | {primary}: difference to none (95% CI) | {secondary} | "
        f"{secondary}: difference to none (95% CI) | params | MACs | TFLite fp32 ms | "
        "train s/run |",
        "|---|---|---|---|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['attention']} | {row['value']:.4f} ± {row['value_std']:.4f} | "
            f"{_difference_cell(row['difference_to_none'])} | "
            f"{row['secondary']:.4f} ± {row['secondary_std']:.4f} | "
            f"{_difference_cell(row['secondary_difference_to_none'])} | "
            f"{row['params']:,} | {row['macs'] / 1e6:.2f} M | {row['tflite_fp32_ms']:.2f} | "
            f"{row['train_seconds']:.0f} |"
        )
    return "\n".join(lines) + "\n"


def _difference_panel(axes, rows, key, label):
    paired = [r for r in rows if r[key] is not None]
    for index, row in enumerate(paired):
        difference = row[key]
        error = None if difference["low"] is None else [[difference["mean"] - difference["low"]],
                                                        [difference["high"] - difference["mean"]]]
        axes.errorbar([index], [difference["mean"]], yerr=error, fmt="o", capsize=5)
    axes.axhline(0.0, color="gray", linewidth=1)
    axes.set_xticks(range(len(paired)), [r["attention"] for r in paired])
    axes.set_ylabel(f"{label}: paired difference to none (95% CI)")


def chart(rows, path, title, labels):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    label, secondary_label = labels
    names = [row["attention"] for row in rows]
    figure, (left, middle, second, right) = plt.subplots(1, 4, figsize=(20, 4))
    left.bar(names, [r["value"] for r in rows], yerr=[r["value_std"] for r in rows],
             capsize=5, color="tab:blue", alpha=0.8)
    for index, row in enumerate(rows):
        left.scatter([index] * len(row["value_runs"]), row["value_runs"], color="black",
                     s=12, zorder=3)
    left.set_ylabel(f"{label} (mean ± std, dots: seeds)")
    low = min(min(r["value_runs"]) for r in rows)
    left.set_ylim(max(0.0, low - 0.05), None)
    _difference_panel(middle, rows, "difference_to_none", label)
    _difference_panel(second, rows, "secondary_difference_to_none", secondary_label)
    right.errorbar([r["tflite_fp32_ms"] for r in rows], [r["value"] for r in rows],
                   yerr=[r["value_std"] for r in rows], fmt="o", capsize=4)
    for row in rows:
        right.annotate(f"{row['attention']}\n{row['macs'] / 1e6:.1f} MMAC",
                       (row["tflite_fp32_ms"], row["value"]), textcoords="offset points",
                       xytext=(6, 4), fontsize=8)
    right.set_xlabel("fp32 TFLite latency, ms (XNNPACK, batch 1)")
    right.set_ylabel(label)
    figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.output_dir, exist_ok=True)
    if args.report_only:
        summaries, num_seeds = finished_seeds(args)
        if not num_seeds:
            raise SystemExit("--report-only: no seed has a finished run of every attention "
                             f"({','.join(args.attentions)}) in {args.output_dir} or "
                             f"--record-dir {args.record_dir}.")
    else:
        summaries, num_seeds = train_all(args), args.seeds
    print("Converting to fp32 TFLite and timing ...", flush=True)
    latencies = tflite_latencies(args, summaries)
    rows = aggregate(args, summaries, latencies, num_seeds)
    table = markdown(args, rows, num_seeds, summaries)
    with open(os.path.join(args.output_dir, "study.md"), "w") as file:
        file.write(table)
    with open(os.path.join(args.output_dir, "study.json"), "w") as file:
        json.dump({"args": {k: v for k, v in vars(args).items()}, "rows": rows,
                   "seeds_reached": num_seeds, "machines": _machines(summaries)},
                  file, indent=2)
    chart(rows, os.path.join(args.output_dir, "study.png"),
          f"{args.task}, {args.dataset}: attention blocks at equal budget "
          f"({num_seeds} paired seeds)", [name for _, name in METRICS[args.task]])
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
