"""Writes small COCO keypoint folders for the tests (from the procedural figures)."""

import json
import os

import numpy as np


def write_coco_folder(root, split="val2017", count=3, canvas=(96, 80), seed=0):
    """ROOT/annotations/person_keypoints_<split>.json + ROOT/<split>/*.png.

    Each image is a figure crop pasted at an offset on a larger grey canvas, so
    a loader must crop it back out of the box. Returns (annotation_file,
    image_dir, figures examples, offsets).
    """
    from PIL import Image

    from keras_psa.data import KeypointFigures
    from keras_psa.keypoints import FIGURE_SKELETON

    figures = KeypointFigures((64, 48), split="val", seed=seed, num_examples=count)
    image_dir = os.path.join(root, split)
    os.makedirs(image_dir, exist_ok=True)
    os.makedirs(os.path.join(root, "annotations"), exist_ok=True)
    images, annotations, examples, offsets = [], [], [], []
    for index in range(count):
        example = figures[index]
        offset = np.array([7 + 3 * index, 11 + 2 * index])
        canvas_image = np.full((*canvas, 3), 128, np.uint8)
        canvas_image[offset[1]:offset[1] + 64, offset[0]:offset[0] + 48] = np.round(
            example["image"]).astype(np.uint8)
        name = f"{index:04d}.png"
        Image.fromarray(canvas_image).save(os.path.join(image_dir, name))
        keypoints = example["keypoints"] + offset
        triples = np.concatenate([keypoints, example["visibility"][:, None]], 1)
        triples[example["visibility"] == 0] = 0
        bbox = example["bbox"].copy()
        bbox[:2] += offset
        images.append({"id": index + 1, "file_name": name, "width": canvas[1],
                       "height": canvas[0]})
        annotations.append({"id": 100 + index, "image_id": index + 1, "category_id": 1,
                            "iscrowd": 0, "keypoints": triples.ravel().tolist(),
                            "num_keypoints": int((example["visibility"] > 0).sum()),
                            "bbox": bbox.tolist(), "area": float(example["area"])})
        examples.append(example)
        offsets.append(offset)
    data = {"images": images, "annotations": annotations,
            "categories": [{"id": 1, "name": "figure",
                            "keypoints": list(FIGURE_SKELETON.joint_names),
                            "skeleton": [[a + 1, b + 1] for a, b in FIGURE_SKELETON.limbs]}]}
    annotation_file = os.path.join(root, "annotations", f"person_keypoints_{split}.json")
    with open(annotation_file, "w") as file:
        json.dump(data, file)
    return annotation_file, image_dir, examples, offsets
