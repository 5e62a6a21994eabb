"""The `--images` and `--pixel-range` flags of the tools that run a model on real inputs.

Real images matter: a trained (above all an int8) model fed noise runs outside
the ranges it was calibrated for, and a check on noise then says little.
"""


def add_image_arguments(parser, purpose, pixel_range_default):
    """Adds `--images SOURCE` and `--pixel-range LOW HIGH` to `parser`.

    `purpose` completes "real inputs ..." in the help; `pixel_range_default`
    says where the range comes from when the flag is absent.
    """
    parser.add_argument("--images", metavar="SOURCE",
                        help=f"real inputs {purpose}: a dataset name of keras_psa.data "
                             "(digits, shapes, figures) or a folder of images (default: random "
                             "images in the model's pixel range)")
    parser.add_argument("--pixel-range", nargs=2, type=float, default=None,
                        metavar=("LOW", "HIGH"),
                        help=f"value range the model's input takes (default: "
                             f"{pixel_range_default})")


def validate_pixel_range(parser, args):
    """Exits through `parser.error` unless `--pixel-range` is absent or LOW < HIGH."""
    if args.pixel_range is not None and not args.pixel_range[0] < args.pixel_range[1]:
        parser.error(f"--pixel-range must be LOW HIGH with LOW < HIGH. "
                     f"Received: {args.pixel_range}")


def read_images(model_path, source, num_inputs, pixel_range):
    """`num_inputs` images of `source` at the input size of the .tflite `model_path`,
    scaled to `pixel_range`, as one float32 batch."""
    import numpy as np

    from keras_psa import export

    _, height, width, channels = export.inspect_model(model_path)["inputs"][0]["shape"]
    return np.concatenate(list(export.representative_images(
        source, (height, width), channels, num_samples=num_inputs, pixel_range=pixel_range)))


def run_inputs(args, reference=None, default_range=None):
    """`(pixel_range, images)` of a tool's run of `args.model`: the range from
    `--pixel-range`, else the reference Keras model's input `Rescaling`, else the
    file's metadata, else `default_range`; the images from `--images` (None: the
    checks use random ones, which cannot judge an int8 file's labels or keypoints)."""
    from keras_psa import export
    from keras_psa.export.conversion.input_range import model_input_range
    from keras_psa.export.conversion.input_range import resolve_pixel_range

    pixel_range = tuple(args.pixel_range) if args.pixel_range else None
    if reference is not None and model_input_range(reference) is not None:
        # Also refuses a --pixel-range that contradicts the reference's Rescaling.
        pixel_range = resolve_pixel_range(reference, pixel_range,
                                          needed_for=f"the checks of {args.model}")
    if pixel_range is None:
        metadata = export.read_metadata(args.model)
        pixel_range = (metadata.input_range if metadata is not None else None) or default_range
    if not args.images:
        return pixel_range, None
    if pixel_range is None:
        raise ValueError(f"`--pixel-range` must be given with --images {args.images}: the "
                         f"input range of {args.model} is in neither its metadata nor a "
                         "--reference model. Received: --pixel-range None")
    return pixel_range, read_images(args.model, args.images, args.num_inputs, pixel_range)
