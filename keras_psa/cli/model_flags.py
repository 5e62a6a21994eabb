"""The flags of the tools that run a model on images: for files that do not say."""

from keras_psa.inference.image_fit import FIT_MODES
from keras_psa.inference.model_facts import TASKS
from keras_psa.inference.model_runner import ACCELERATORS


def add_model_flags(parser):
    """Adds --task, --labels, --pixel-range, --sigma, --fit, --accelerator, --threads,
    --no-xnnpack."""
    group = parser.add_argument_group(
        "model facts (only for files whose metadata or summary.json lacks them)")
    group.add_argument("--task", choices=TASKS, default=None)
    group.add_argument("--labels", default=None,
                       help="class (or joint) names: a label file or 'a,b,c'")
    group.add_argument("--pixel-range", nargs=2, type=float, default=None,
                       metavar=("LOW", "HIGH"),
                       help="values the model takes for pixels 0..255, e.g. 0 255")
    group.add_argument("--sigma", type=float, default=None,
                       help="heatmap sigma of a keypoint model (its decoding's smoothing)")
    run = parser.add_argument_group("running")
    run.add_argument("--fit", choices=FIT_MODES, default="letterbox",
                     help="how images fit the model's input: keep the aspect ratio with "
                          "borders, or stretch")
    run.add_argument("--accelerator", choices=ACCELERATORS, default="cpu",
                     help="LiteRT's CPU (XNNPACK) or its GPU accelerator (.tflite files; a "
                          "Vulkan device: a GPU's driver, else SwiftShader)")
    run.add_argument("--threads", type=int, default=1, help="LiteRT CPU threads")
    run.add_argument("--no-xnnpack", action="store_true",
                     help="run .tflite files on TFLite's builtin kernels instead of XNNPACK")


def predictor_of(args, model):
    """The `Predictor` of `model` with the flags of `add_model_flags`."""
    from keras_psa.inference import Predictor

    return Predictor(model, task=args.task, labels=args.labels,
                     pixel_range=args.pixel_range, sigma=args.sigma, fit=args.fit,
                     num_threads=args.threads, xnnpack=not args.no_xnnpack,
                     accelerator=args.accelerator)
