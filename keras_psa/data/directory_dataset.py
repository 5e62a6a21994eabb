"""Real segmentation data stored as `images/` + `masks/` PNG files."""

import os
import zlib

import numpy as np

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg")
MASK_EXTENSIONS = (".png",)
_MAX_LISTED = 10


class DirectoryDataset:
    """Image/mask pairs read from a directory, matched by file stem.

    Layout:
    ```
    root/
      images/<stem>.png|.jpg   RGB (or grey, converted to RGB)
      masks/<stem>.png         index ("L"/"I") or palette ("P") PNG, read as class indices
      classes.txt              optional: one class name per line, line i = class i
      train.txt, val.txt, ...  optional: one stem per line for each split
    ```
    Without split lists, a stable hash of each stem puts about `val_fraction`
    of the pairs in `"val"` and the rest in `"train"`; `"all"` takes every pair.
    Pairs are checked when the dataset is created; files are decoded and their
    labels checked when read (see `verify()` to check every file up front).

    Args:
        root: the dataset directory.
        split: `"train"`, `"val"`, `"test"` (needs `test.txt`) or `"all"`.
        num_classes: number of classes; read from `classes.txt` when omitted.
        ignore_label: a mask value allowed besides `0..num_classes-1`
            (e.g. 255 for unlabelled pixels), or None.
        val_fraction: share of pairs in `"val"` when there are no split lists.

    Example:
    ```python
    data = DirectoryDataset("/data/pets", split="train", num_classes=3)
    image, mask = data[0]  # float32 (H, W, 3) 0..255, int32 (H, W)
    ```
    """

    def __init__(self, root, split="train", num_classes=None, ignore_label=255, val_fraction=0.1):
        self.root = os.fspath(root)
        self.split = split
        self.ignore_label = None if ignore_label is None else int(ignore_label)
        self.val_fraction = float(val_fraction)
        image_dir = os.path.join(self.root, "images")
        mask_dir = os.path.join(self.root, "masks")
        for folder in (image_dir, mask_dir):
            if not os.path.isdir(folder):
                raise ValueError(
                    f"Dataset directory {self.root!r} must contain `images/` and `masks/` "
                    f"folders. Missing: {folder!r}"
                )
        self.class_names = self._class_names(num_classes)
        images = _files_by_stem(image_dir, IMAGE_EXTENSIONS)
        masks = _files_by_stem(mask_dir, MASK_EXTENSIONS)
        _check_pairs(images, masks, image_dir, mask_dir)
        stems = self._split_stems(sorted(images))
        self.pairs = [(images[s], masks[s]) for s in stems]
        if not self.pairs:
            raise ValueError(
                f"Split {split!r} of {self.root!r} has no image/mask pairs. Add pairs or "
                "list stems in the split file."
            )

    @property
    def num_classes(self):
        return len(self.class_names)

    def __len__(self):
        return len(self.pairs)

    def __getitem__(self, index):
        image_path, mask_path = self.pairs[int(index)]
        image = read_image(image_path)
        mask = read_mask(mask_path, self.num_classes, self.ignore_label)
        if image.shape[:2] != mask.shape:
            raise ValueError(
                f"Image {image_path} is {image.shape[1]}x{image.shape[0]} but its mask "
                f"{mask_path} is {mask.shape[1]}x{mask.shape[0]} (width x height). Save the "
                "mask at the image's size."
            )
        return image, mask

    def verify(self):
        """Reads every pair now, raising the first error (useful before a long run)."""
        for index in range(len(self)):
            self[index]

    def _class_names(self, num_classes):
        path = os.path.join(self.root, "classes.txt")
        names = _read_lines(path) if os.path.isfile(path) else None
        if num_classes is None:
            if names is None:
                raise ValueError(
                    f"`num_classes` must be given, or {path!r} must list one class name per "
                    "line. Received: num_classes=None"
                )
            num_classes = len(names)
        if not isinstance(num_classes, (int, np.integer)) or num_classes < 2:
            raise ValueError(
                f"`num_classes` must be an int >= 2. Received: num_classes={num_classes!r}"
            )
        if names is not None and len(names) != num_classes:
            raise ValueError(
                f"{path!r} lists {len(names)} classes but `num_classes` is {num_classes}. "
                f"Fix the file or the argument. Received: num_classes={num_classes}"
            )
        return tuple(names) if names else tuple(f"class_{i}" for i in range(num_classes))

    def _split_stems(self, stems):
        if self.split == "all":
            return stems
        lists = {s: os.path.join(self.root, f"{s}.txt") for s in ("train", "val", "test")}
        if self.split not in lists:
            raise ValueError(
                f"`split` must be 'train', 'val', 'test' or 'all'. Received: split={self.split!r}"
            )
        path = lists[self.split]
        if os.path.isfile(path):
            wanted = _read_lines(path)
            known = set(stems)
            unknown = [s for s in wanted if s not in known]
            if unknown:
                raise ValueError(
                    f"Split file {path} names stems with no image/mask pair: "
                    f"{_listing(unknown)}. Remove those lines or add the files."
                )
            return wanted
        if any(os.path.isfile(p) for p in lists.values()) or self.split == "test":
            raise ValueError(
                f"Split {self.split!r} needs the split file {path} (one stem per line), since "
                "the dataset uses split lists or asks for 'test'."
            )
        in_val = [zlib.crc32(s.encode()) % 10000 < self.val_fraction * 10000 for s in stems]
        return [s for s, v in zip(stems, in_val) if v == (self.split == "val")]


def read_image(path):
    """Reads an image file as float32 RGB (H, W, 3) in 0..255, naming the file on failure."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            return np.asarray(image.convert("RGB"), np.float32)
    except Exception as error:  # PIL raises many types for corrupt or foreign files
        raise ValueError(
            f"Cannot read image file {path}: {error}. Replace it with a valid PNG/JPEG, or "
            "remove it together with its mask."
        ) from error


def read_mask(path, num_classes, ignore_label=None):
    """Reads an index or palette PNG mask as int32 (H, W) and checks its labels."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            mode = image.mode
            # "P" yields palette indices and "L"/"I" the stored values: both are class indices.
            if mode in ("P", "L", "I", "I;16", "I;16B", "I;16L", "1"):
                mask = np.asarray(image).astype(np.int32)
            else:
                mask = None
    except Exception as error:
        raise ValueError(
            f"Cannot read mask file {path}: {error}. Replace it with a valid index or palette "
            "PNG, or remove it together with its image."
        ) from error
    if mask is None:
        raise ValueError(
            f"Mask file {path} is a {mode!r} image, not a class-index mask. Save it as a "
            "single-channel ('L') or palette ('P') PNG whose pixel values are class indices."
        )
    bad = (mask < 0) | (mask >= num_classes)
    if ignore_label is not None:
        bad &= mask != ignore_label
    if bad.any():
        values = np.unique(mask[bad])[:_MAX_LISTED].tolist()
        allowed = f"0..{num_classes - 1}"
        if ignore_label is not None:
            allowed += f" or the ignore label {ignore_label}"
        raise ValueError(
            f"Mask file {path} has labels {values} outside {allowed} "
            f"({int(bad.sum())} pixels). Fix the mask, or raise `num_classes` / set "
            "`ignore_label`."
        )
    return mask


def _files_by_stem(folder, extensions):
    files = {}
    for name in sorted(os.listdir(folder)):
        stem, extension = os.path.splitext(name)
        if name.startswith(".") or extension.lower() not in extensions:
            continue
        if stem in files:
            raise ValueError(
                f"Two files in {folder} share the stem {stem!r}: {os.path.basename(files[stem])} "
                f"and {name}. Keep one of them."
            )
        files[stem] = os.path.join(folder, name)
    return files


def _check_pairs(images, masks, image_dir, mask_dir):
    no_mask = sorted(set(images) - set(masks))
    no_image = sorted(set(masks) - set(images))
    problems = []
    if no_mask:
        problems.append(
            f"{len(no_mask)} image(s) without a mask in {mask_dir}: "
            f"{_listing([images[s] for s in no_mask])}"
        )
    if no_image:
        problems.append(
            f"{len(no_image)} mask(s) without an image in {image_dir}: "
            f"{_listing([masks[s] for s in no_image])}"
        )
    if problems:
        raise ValueError(
            "Images and masks must pair up by file stem (images/a.jpg <-> masks/a.png). "
            + "; ".join(problems)
            + ". Add the missing files or remove the unpaired ones."
        )


def _read_lines(path):
    with open(path, encoding="utf-8") as file:
        lines = [line.strip() for line in file]
    return [line for line in lines if line and not line.startswith("#")]


def _listing(items):
    shown = ", ".join(str(i) for i in items[:_MAX_LISTED])
    return shown + (f" and {len(items) - _MAX_LISTED} more" if len(items) > _MAX_LISTED else "")
