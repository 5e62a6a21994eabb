"""Saves a PNG grid of dataset images with their masks overlaid.

    python examples/preview_data.py --dataset digits --image-size 128 --output /tmp/digits.png
"""

import argparse

from keras_psa.data import load_dataset
from keras_psa.data import save_preview


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="shapes", help="shapes, digits or dir:PATH")
    parser.add_argument("--split", default="val", help="train, val, test or all (directories)")
    parser.add_argument("--image-size", type=int, default=128)
    parser.add_argument("--count", type=int, default=8, help="images in the grid")
    parser.add_argument("--columns", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--num-classes", type=int, default=None,
                        help="classes of a directory dataset (else its classes.txt)")
    parser.add_argument("--output", default="data_preview.png")
    args = parser.parse_args(argv)
    dataset, info = load_dataset(
        args.dataset, args.image_size, args.count, split=args.split, seed=args.seed,
        shuffle=False, drop_remainder=False,
        num_classes=args.num_classes,
    )
    images, masks = next(dataset.as_numpy_iterator())
    save_preview(images, masks, args.output, info.num_classes, columns=args.columns,
                 ignore_label=info.ignore_label)
    print(f"Wrote {args.output}: {len(images)} images of {info.name} ({info.split}), "
          f"classes {', '.join(info.class_names)}")


if __name__ == "__main__":
    main()
