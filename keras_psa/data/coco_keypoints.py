"""COCO-format keypoint annotations (`person_keypoints_*.json` + images) as top-down crops."""

import json
import numbers
import os

import numpy as np

from keras_psa.data.directory_dataset import read_image
from keras_psa.data.procedural_scenes import normalize_image_size
from keras_psa.keypoints.skeleton import COCO_SKELETON
from keras_psa.keypoints.skeleton import Skeleton

# Sigma of joints whose name COCO does not have (a user's own skeleton).
DEFAULT_SIGMA = 0.05


def _fail(path, where, problem):
    raise ValueError(f"{path}: {where}: {problem}")


def _number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and np.isfinite(value)


def _skeleton_of(path, category):
    names = category.get("keypoints")
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        _fail(path, f"category id {category.get('id')!r}",
              "`keypoints` must be a non-empty list of joint names")
    if tuple(names) == COCO_SKELETON.joint_names:
        return COCO_SKELETON
    sigmas = dict(zip(COCO_SKELETON.joint_names, COCO_SKELETON.sigmas))
    limbs = []
    for pair in category.get("skeleton") or []:
        # COCO's skeleton lists 1-based joint indices.
        if (not isinstance(pair, list) or len(pair) != 2
                or not all(isinstance(i, int) and 1 <= i <= len(names) for i in pair)):
            _fail(path, f"category id {category.get('id')!r}",
                  f"`skeleton` entries must be pairs of joint numbers 1..{len(names)}; "
                  f"found {pair!r}")
        limbs.append((pair[0] - 1, pair[1] - 1))
    flip_pairs = tuple(
        (i, names.index("right_" + name[5:])) for i, name in enumerate(names)
        if name.startswith("left_") and "right_" + name[5:] in names
    )
    return Skeleton(name=str(category.get("name", "custom")), joint_names=tuple(names),
                    limbs=tuple(limbs), flip_pairs=flip_pairs,
                    sigmas=tuple(sigmas.get(n, DEFAULT_SIGMA) for n in names))


def read_coco_keypoints(annotation_file, image_dir, check_images=True):
    """Reads and checks a COCO keypoint annotation file.

    Returns:
        `(skeleton, entries)`: the category's `Skeleton` and one dict per usable
        person (not crowd, at least one labeled keypoint): `file`, `width`,
        `height`, `keypoints` (K, 2), `visibility` (K,), `bbox`, `area`, `id`.

    Raises:
        ValueError naming the file and the entry: unreadable JSON, missing
        fields, keypoint lists of the wrong length, labeled keypoints outside
        their image, boxes of no size, image files that do not exist.
    """
    path = os.fspath(annotation_file)
    try:
        with open(path, encoding="utf-8") as file:
            data = json.load(file)
    except FileNotFoundError:
        raise ValueError(f"`annotation_file` does not exist. Received: {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path}: not a readable JSON file: {error}") from error
    if not isinstance(data, dict):
        _fail(path, "top level", "must be a JSON object with images, annotations, categories")
    for key in ("images", "annotations", "categories"):
        if not isinstance(data.get(key), list):
            _fail(path, "top level", f"`{key}` must be a list (COCO keypoint format)")
    with_keypoints = [c for c in data["categories"] if isinstance(c, dict) and "keypoints" in c]
    if len(with_keypoints) != 1:
        _fail(path, "categories", "exactly one category must list `keypoints`; found "
              f"{len(with_keypoints)}")
    category = with_keypoints[0]
    skeleton = _skeleton_of(path, category)
    count = skeleton.num_joints

    images = {}
    for position, image in enumerate(data["images"]):
        where = f"images[{position}]"
        if not isinstance(image, dict) or not all(k in image for k in
                                                   ("id", "file_name", "width", "height")):
            _fail(path, where, "needs id, file_name, width and height")
        if not (_number(image["width"]) and _number(image["height"])
                and image["width"] > 0 and image["height"] > 0):
            _fail(path, f"{where} (id {image['id']!r})", "width and height must be positive")
        images[image["id"]] = image

    entries, missing = [], []
    image_dir = os.fspath(image_dir)
    for position, annotation in enumerate(data["annotations"]):
        if not isinstance(annotation, dict):
            _fail(path, f"annotations[{position}]", "must be an object")
        where = f"annotations[{position}] (id {annotation.get('id')!r})"
        if annotation.get("category_id") != category.get("id"):
            continue
        if annotation.get("iscrowd", 0):
            continue
        for key in ("image_id", "keypoints", "bbox"):
            if key not in annotation:
                _fail(path, where, f"missing `{key}`")
        values = annotation["keypoints"]
        if (not isinstance(values, list) or len(values) != 3 * count
                or not all(_number(v) for v in values)):
            _fail(path, where, f"`keypoints` must be {3 * count} numbers (x, y, v for each of "
                  f"{count} joints); found {len(values) if isinstance(values, list) else values!r}")
        bbox = annotation["bbox"]
        if (not isinstance(bbox, list) or len(bbox) != 4 or not all(_number(v) for v in bbox)
                or bbox[2] <= 0 or bbox[3] <= 0):
            _fail(path, where, f"`bbox` must be [x, y, width, height] with a positive size; "
                  f"found {bbox!r}")
        image = images.get(annotation["image_id"])
        if image is None:
            _fail(path, where, f"image_id {annotation['image_id']!r} is not in `images`")
        triples = np.asarray(values, np.float32).reshape(count, 3)
        visibility = triples[:, 2].astype(np.int32)
        if not np.isin(visibility, (0, 1, 2)).all():
            _fail(path, where, "keypoint visibility flags must be 0, 1 or 2")
        if not (visibility > 0).any():
            continue  # nothing to learn from, as in COCO's own keypoint training
        for joint in np.nonzero(visibility > 0)[0]:
            x, y = triples[joint, :2]
            if not (0 <= x <= image["width"] and 0 <= y <= image["height"]):
                _fail(path, where, f"keypoint {skeleton.joint_names[joint]!r} at ({x:g}, {y:g}) "
                      f"is outside its {image['width']}x{image['height']} image "
                      f"{image['file_name']!r}")
        file_path = os.path.join(image_dir, image["file_name"])
        if check_images and not os.path.isfile(file_path):
            missing.append(f"{file_path} (image id {image['id']!r}, {where})")
        area = annotation.get("area")
        entries.append({
            "file": file_path, "width": image["width"], "height": image["height"],
            "keypoints": triples[:, :2], "visibility": visibility,
            "bbox": np.asarray(bbox, np.float32),
            "area": np.float32(area if _number(area) and area > 0 else bbox[2] * bbox[3]),
            "id": annotation.get("id", position),
        })
    if missing:
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        raise ValueError(f"{path}: {len(missing)} annotated image file(s) missing under "
                         f"{image_dir}: " + "; ".join(missing[:5]) + more)
    if not entries:
        _fail(path, "annotations", "no non-crowd annotation with a labeled keypoint")
    return skeleton, entries


def crop_transform(bbox, image_size, padding=1.25):
    """`(center, scale)` of COCO's top-down crop of `bbox` into `image_size`.

    The box is grown to the crop's aspect ratio, then by `padding`; `scale` is
    source pixels per crop pixel. A source point p lands at
    `(p - center) / scale + (size - 1) / 2`.
    """
    height, width = image_size
    x, y, box_w, box_h = (float(v) for v in bbox)
    center = np.array([x + box_w / 2, y + box_h / 2], np.float64)
    aspect = width / height
    if box_w > aspect * box_h:
        box_h = box_w / aspect
    else:
        box_w = box_h * aspect
    return center, box_w * padding / width


def warp_crop(image, center, scale, image_size):
    """Bilinear crop of `image` (H, W, 3) around `center`, zeros outside the image.

    `scale` is source pixels per crop pixel: one number, or `(x, y)` for a crop
    that stretches the image.
    """
    height, width = image_size
    src_h, src_w = image.shape[:2]
    scale_x, scale_y = np.broadcast_to(np.asarray(scale, np.float64), (2,))
    xs = center[0] + (np.arange(width) - (width - 1) / 2) * scale_x
    ys = center[1] + (np.arange(height) - (height - 1) / 2) * scale_y
    x0 = np.floor(xs).astype(np.int64)
    y0 = np.floor(ys).astype(np.int64)
    wx = (xs - x0)[None, :, None]
    wy = (ys - y0)[:, None, None]
    padded = np.pad(image, ((1, 1), (1, 1), (0, 0)))  # zero border for samples outside

    def sample(yi, xi):
        yi = np.clip(yi + 1, 0, src_h + 1)
        xi = np.clip(xi + 1, 0, src_w + 1)
        return padded[yi[:, None], xi[None, :]]

    top = sample(y0, x0) * (1 - wx) + sample(y0, x0 + 1) * wx
    bottom = sample(y0 + 1, x0) * (1 - wx) + sample(y0 + 1, x0 + 1) * wx
    return (top * (1 - wy) + bottom * wy).astype(np.float32)


class CocoKeypoints:
    """A user's COCO-style keypoint data as top-down person crops.

    Each usable annotation (not crowd, at least one labeled keypoint) is one
    example: its box grown to the crop's aspect ratio and by `padding`,
    warped to `image_size`, keypoints moved with it; keypoints that leave the
    crop become unlabeled (visibility 0). Examples look like
    `KeypointFigures`' so both train the same way.

    Args:
        annotation_file: a COCO `person_keypoints_*.json` (or any COCO file
            with one keypoint category).
        image_dir: folder the `file_name`s are relative to.
        image_size: int or (height, width) of the crops.
        padding: box enlargement (COCO top-down practice: 1.25).

    Example:
    ```python
    data = CocoKeypoints("coco/annotations/person_keypoints_val2017.json",
                         "coco/val2017", image_size=(256, 192))
    example = data[0]  # image, keypoints (17, 2), visibility, bbox, area
    ```
    """

    def __init__(self, annotation_file, image_dir, image_size=(128, 96), padding=1.25):
        if not _number(padding) or padding < 1.0:
            raise ValueError(f"`padding` must be a number >= 1. Received: padding={padding!r}")
        self.image_size = normalize_image_size(image_size)
        self.padding = float(padding)
        self.annotation_file = os.fspath(annotation_file)
        self.skeleton, self.entries = read_coco_keypoints(annotation_file, image_dir)

    @property
    def num_joints(self):
        return self.skeleton.num_joints

    def __len__(self):
        return len(self.entries)

    def __getitem__(self, index):
        index = int(index)
        if not 0 <= index < len(self.entries):
            raise IndexError(f"Annotation index {index} out of range [0, {len(self.entries)}).")
        entry = self.entries[index]
        image = read_image(entry["file"])
        center, scale = crop_transform(entry["bbox"], self.image_size, self.padding)
        height, width = self.image_size
        offset = np.array([(width - 1) / 2, (height - 1) / 2])
        keypoints = (entry["keypoints"] - center) / scale + offset
        visibility = entry["visibility"].copy()
        outside = ((keypoints[:, 0] < 0) | (keypoints[:, 0] > width - 1)
                   | (keypoints[:, 1] < 0) | (keypoints[:, 1] > height - 1))
        visibility[outside] = 0
        x, y, box_w, box_h = entry["bbox"]
        corner = (np.array([x, y]) - center) / scale + offset
        return {
            "image": warp_crop(image, center, scale, self.image_size),
            "keypoints": keypoints.astype(np.float32),
            "visibility": visibility,
            "bbox": np.array([*corner, box_w / scale, box_h / scale], np.float32),
            "area": np.float32(entry["area"] / scale ** 2),
        }
