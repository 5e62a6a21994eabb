"""Measures how many images per second the data pipelines deliver on this machine.

    python examples/benchmark_data.py --dataset shapes digits --image-size 128 256
"""

import argparse
import time

from keras_psa.data import load_dataset


def images_per_second(name, image_size, batch_size, batches):
    dataset, _ = load_dataset(name, image_size, batch_size, split="train", seed=0,
                              repeat=True)
    iterator = iter(dataset)
    next(iterator)  # warm up: tracing, thread pools
    start = time.perf_counter()
    for _ in range(batches):
        next(iterator)
    return batches * batch_size / (time.perf_counter() - start)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", nargs="+", default=["shapes", "digits"])
    parser.add_argument("--image-size", type=int, nargs="+", default=[128, 256])
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--batches", type=int, default=20)
    args = parser.parse_args(argv)
    print("| dataset | image size | images/s |\n|---|---|---|")
    for name in args.dataset:
        for size in args.image_size:
            rate = images_per_second(name, size, args.batch_size, args.batches)
            print(f"| {name} | {size}x{size} | {rate:.0f} |")


if __name__ == "__main__":
    main()
