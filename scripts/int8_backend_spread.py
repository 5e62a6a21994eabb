"""How far TFLite's own CPU backends disagree on one int8 file.

Runs the file on XNNPACK, on TFLite's optimized builtin kernels and on its
reference kernels, on real images, and prints for each pair the share of output
elements within 0 / 1 / 3 int8 steps and the task-level agreement (labels or
heatmap peaks). This is the floor for any other backend (an NPU, the GPU): it
cannot be expected to agree with one CPU backend better than two CPU backends
agree with each other. `--per-op` adds, for builtin vs reference kernels (both
keep every tensor), each op whose int8 output differs, to show where rounding
differences start and how they grow.

The reference kernels are no device's: in ai-edge-litert 2.3 their int8 SUM over
H*W (PSA's weighted sum) is wrong, up to 127 steps from the exact sum that the
builtin kernels and XNNPACK compute, so for PSA models the XNNPACK vs builtin
row is the floor, and reference rows show that bug.

python scripts/int8_backend_spread.py runs/pipeline_keypoints/qat/qat_int8.tflite \
    --images figures --per-op
"""

import argparse
import itertools

import numpy as np
from ai_edge_litert.interpreter import Interpreter
from ai_edge_litert.interpreter import OpResolverType

from keras_psa.cli.image_inputs import add_image_arguments
from keras_psa.cli.image_inputs import read_images
from keras_psa.cli.image_inputs import validate_pixel_range
from keras_psa.export.checks.error_measures import AGREEMENTS
from keras_psa.export.checks.error_measures import share_within_steps
from keras_psa.export.tflite.output_kind import output_kind
from keras_psa.export.tflite.output_steps import output_grids

BACKENDS = {"xnnpack": OpResolverType.AUTO,
            "builtin": OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
            "reference": OpResolverType.BUILTIN_REF}


def interpreter(path, backend, keep_tensors=False):
    found = Interpreter(model_path=path, experimental_op_resolver_type=BACKENDS[backend],
                        experimental_preserve_all_tensors=keep_tensors, num_threads=1)
    found.allocate_tensors()
    return found


def outputs(path, backend, images):
    runner = interpreter(path, backend).get_signature_runner()
    (name,) = runner.get_input_details()
    results = [runner(**{name: image[None]}) for image in images]
    return {key: np.concatenate([r[key] for r in results]) for key in results[0]}


def per_op(path, images):
    """Rows (op index, op, share exact, share within 1 step, max steps) where builtin != ref."""
    a, b = (interpreter(path, backend, keep_tensors=True) for backend in ("builtin", "reference"))
    index = a.get_input_details()[0]["index"]
    found = {}
    for image in images:
        for it in (a, b):
            it.set_tensor(index, image[None].astype(a.get_input_details()[0]["dtype"]))
            it.invoke()
        for i, op in enumerate(a._get_ops_details()):
            for tensor in op["outputs"]:
                x, y = a.get_tensor(tensor), b.get_tensor(tensor)
                if x.dtype.kind not in "iu":
                    continue
                d = np.abs(x.astype(np.int64) - y.astype(np.int64))
                found.setdefault(i, [op["op_name"], []])[1].append(d)
    for i, (name, diffs) in found.items():
        d = np.concatenate([x.ravel() for x in diffs])
        if d.max() > 0:
            yield i, name, float(np.mean(d == 0)), float(np.mean(d <= 1)), int(d.max())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="an int8 .tflite file")
    add_image_arguments(parser, "to run (use the model's own data)", "0 255, the package's")
    parser.add_argument("--num-images", type=int, default=8)
    parser.add_argument("--per-op", action="store_true",
                        help="also list the ops whose int8 output differs (builtin vs ref)")
    args = parser.parse_args(argv)
    validate_pixel_range(parser, args)
    images = read_images(args.model, args.images or "random", args.num_images,
                         tuple(args.pixel_range or (0.0, 255.0)))
    grids = output_grids(args.model)
    agreement_name, agreement = AGREEMENTS[output_kind(args.model)]
    results = {backend: outputs(args.model, backend, images) for backend in BACKENDS}
    print(f"{args.model}: {len(images)} images of {args.images}")
    print(f"| pair | output | within 0 / 1 / 3 steps | {agreement_name} |")
    print("|---|---|---|---|")
    for first, second in itertools.combinations(BACKENDS, 2):
        for name, grid in grids.items():
            if grid is None:
                continue
            x, y = (grid.real_values(results[b][name]) for b in (first, second))
            shares = " / ".join(
                f"{share_within_steps(x, y, grid.step, k, grid.sigmoid_input_step):.2%}"
                for k in (0, 1, 3))
            task = agreement(x, y)
            print(f"| {first} vs {second} | {name} | {shares} | "
                  f"{'n/a' if task is None else f'{task:.2%}'} |")
    if args.per_op:
        print("\n| op | name | exact | within 1 step | max steps |\n|---|---|---|---|---|")
        for i, name, exact, within, worst in per_op(args.model, images):
            print(f"| {i} | {name} | {exact:.4f} | {within:.4f} | {worst} |")


if __name__ == "__main__":
    main()
