"""Person boxes for a top-down keypoint model, from a COCO annotation or detection file."""

import json
import os


def _image_id_of(file_name):
    stem = os.path.splitext(os.path.basename(file_name))[0]
    return int(stem) if stem.isdigit() else None


def read_person_boxes(path, min_score=0.0):
    """`{key: (image_id, [[x, y, w, h], ...])}` of a COCO file, keyed by image file name
    (annotation files) or by image id (detection results, matched to files named by
    their COCO id such as `000000000139.jpg`).

    Raises:
        ValueError: the file is not a COCO annotation or detection results file.
    """
    path = os.fspath(path)
    try:
        with open(path, encoding="utf-8") as file:
            data = json.load(file)
    except (OSError, ValueError) as error:
        raise ValueError(f"`boxes` must be a readable COCO JSON file. Received: boxes={path} "
                         f"({error})") from error
    boxes = {}
    if isinstance(data, dict) and "images" in data and "annotations" in data:
        ids = {image["id"]: os.path.basename(image["file_name"]) for image in data["images"]}
        for name_id, name in ids.items():
            boxes[name] = (name_id, [])
        for annotation in data["annotations"]:
            if annotation.get("iscrowd") or annotation["image_id"] not in ids:
                continue
            boxes[ids[annotation["image_id"]]][1].append([float(v) for v in annotation["bbox"]])
        return boxes
    if isinstance(data, list) and all(isinstance(d, dict) and "image_id" in d and "bbox" in d
                                      for d in data):
        for detection in data:
            if detection.get("score", 1.0) < min_score:
                continue
            entry = boxes.setdefault(int(detection["image_id"]),
                                     (int(detection["image_id"]), []))
            entry[1].append([float(v) for v in detection["bbox"]])
        return boxes
    raise ValueError("`boxes` must be a COCO annotation file (images, annotations) or a "
                     f"list of detections (image_id, bbox). Received: boxes={path}")


def boxes_for(boxes, file_name):
    """`(image_id, boxes)` of the image `file_name` in `read_person_boxes`'s dict, or None."""
    name = os.path.basename(file_name)
    if name in boxes:
        return boxes[name]
    image_id = _image_id_of(name)
    return boxes.get(image_id) if image_id is not None else None
